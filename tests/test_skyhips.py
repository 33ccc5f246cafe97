"""The explorer's local HiPS: built from the scored cutouts, readable back by a HiPS reader."""
import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from astropy.table import Table

from ringsky.catalogue.files import read_catalogue
from ringsky.explore.skyhips import build_hips, hips_pixscale
from ringsky.sources import open_source
from ringsky.sources.hips import HipsSource

ORDER = 6


@pytest.fixture(scope="module")
def hips(sim_catalogue, tmp_path_factory):
    out = tmp_path_factory.mktemp("hips") / "background"
    build_hips(read_catalogue(sim_catalogue), open_source("sim"), out, order=ORDER, title="test")
    return out


def test_hips_pixel_scale_matches_the_standard():
    """HiPS 1.0: order 9 with 512-pixel tiles is about 0.8 arcsec per pixel."""
    assert hips_pixscale(9) == pytest.approx(0.805, abs=0.001)
    assert hips_pixscale(8) == pytest.approx(2 * hips_pixscale(9))


def test_properties_and_tiles(hips):
    properties = dict(line.split("=", 1) for line in (hips / "properties").read_text().splitlines() if "=" in line)
    properties = {k.strip(): v.strip() for k, v in properties.items()}
    assert properties["hips_order"] == str(ORDER)
    assert properties["hips_tile_format"] == "png"
    assert properties["hips_frame"] == "equatorial"
    assert list((hips / f"Norder{ORDER}").glob("Dir*/Npix*.png"))
    assert list((hips / "Norder3").glob("Dir*/Npix*.png"))


def _brightness(hips, ra, dec):
    row = Table({"id": ["x"], "ra": [ra], "dec": [dec]})[0]
    return HipsSource(None, str(hips)).cutout(row, 16).astype(float)


def test_galaxies_are_painted_and_empty_sky_is_not(hips, sim_catalogue):
    table = read_catalogue(sim_catalogue)
    brightest = table[np.argmax(table["ring_probability"])]
    assert _brightness(hips, brightest["ra"], brightest["dec"])[6:10, 6:10].mean() > 5
    galaxies = SkyCoord(table["ra"], table["dec"], unit="deg")
    ra0, dec0 = np.mean(table["ra"]), np.mean(table["dec"])
    grid = SkyCoord(*np.meshgrid(ra0 + np.linspace(-0.4, 0.4, 41), dec0 + np.linspace(-0.4, 0.4, 41)), unit="deg")
    grid = grid.flatten()
    _, distance, _ = grid.match_to_catalog_sky(galaxies)
    emptiest = grid[np.argmax(distance)]
    assert distance.max() > 150 * u.arcsec
    assert _brightness(hips, emptiest.ra.deg, emptiest.dec.deg).max() == 0


def test_a_catalogue_without_cutouts_gives_an_empty_but_valid_hips(sim_catalogue, tmp_path):
    table = read_catalogue(sim_catalogue)
    table["source_id"] = [f"nowhere-{k}" for k in range(len(table))]
    out = build_hips(table, open_source("sim"), tmp_path / "empty", order=ORDER)
    assert "hips_tile_format = png" in (out / "properties").read_text()
    assert not list(out.glob("Norder*"))
