"""Live services, skipped by default; run online with ``pytest --remote-data``."""
import numpy as np
import pytest
from astropy.table import Table

from ringsky.labels.buta import EXPECTED_ROWS, add_cvrhs_fields, read_table2_vizier
from ringsky.labels.galaxyzoo import read_galaxy_zoo
from ringsky.sources.parents import SdssParents, TractorParents
from ringsky.sources.hips import HipsSource
from ringsky.sources.legacy import LegacySurvey
from ringsky.sources.sdss import Sdss
from ringsky.tiles import Tile, tile_index

NGC_4736 = Table({"id": ["NGC4736"], "ra": [192.7211], "dec": [41.1206], "size": [60.0]})
"""M94, a bright galaxy with an inner ring and an outer ring, in the Legacy Surveys and SDSS."""
TILE = Tile(32, int(tile_index([192.72], [41.12], 32)[0]))

pytestmark = pytest.mark.remote_data


def test_legacy_fits_and_jpeg_cutouts(tmp_path):
    for image_format in ("fits", "jpeg"):
        images = LegacySurvey(None, image_format=image_format).cutouts(NGC_4736, 64)
        assert images.shape == (1, 64, 64, 3) and images.std() > 10


def test_sdss_getjpeg_and_frames():
    source = Sdss(None)
    assert source.cutouts(NGC_4736, 64).std() > 10
    fluxes = Sdss(None, image_format="fits", pixscale=1.0).ugriz(NGC_4736[0], 32)
    assert fluxes.shape == (5, 32, 32) and np.nanmax(fluxes) > 1


def test_hips2fits_legacy_colour_hips():
    images = HipsSource(None, "CDS/P/DESI-Legacy-Surveys/DR10/color").cutouts(NGC_4736, 64)
    assert images.std() > 10


def test_tractor_and_sdss_parent_lists():
    tractor = TractorParents().galaxies(TILE)
    sdss = SdssParents().galaxies(TILE)
    assert len(tractor) > 50 and len(sdss) > 50
    assert np.all(TILE.owns(tractor["ra"], tractor["dec"]))


def test_buta_table2_from_vizier():
    """Also checks our reading of VizieR's column names and type notation (see tests/data/README.md)."""
    table = add_cvrhs_fields(read_table2_vizier())
    assert len(table) == EXPECTED_ROWS
    assert table["has_ring"].sum() > 0.95 * len(table)
    assert (table["pgc"].count(), table["gz2_image"].count()) > (3500, 3500)


@pytest.mark.parametrize("name, rows", [("gz2", 239_000), ("gzdecals", 100_000)])
def test_galaxy_zoo_published_tables(name, rows):
    table = read_galaxy_zoo(name)
    assert len(table) > rows and table.meta["GZSCHEMA"] == name
    assert np.nanmedian(table["votes"]) >= 20 and 0 < np.nanmean(table["ring_fraction"]) < 0.2
