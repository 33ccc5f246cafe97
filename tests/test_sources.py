from pathlib import Path

import astropy.units as u
import numpy as np
import pytest
from conftest import REAL_RINGS, assert_one_line_error, needs_real_rings, run_cli

from ringsky import RingskyError
from ringsky.sources import UnknownSourceError, open_source
from ringsky.sources.folder import FolderSource
from ringsky.sources.simulated import DEFAULT_FOOTPRINT, SimulatedSky
from ringsky.tiles import Tile, pixels_at


@pytest.fixture(scope="module")
def sky():
    return SimulatedSky(workers=1)


def test_open_source_names():
    assert isinstance(open_source("sim"), SimulatedSky)
    for bad in ("", "sdss9", "folder:", "sim:x"):
        with pytest.raises(UnknownSourceError):
            open_source(bad)


def test_sky_density_and_ring_fraction(sky):
    tables = [sky.galaxies(Tile(32, p)) for p in DEFAULT_FOOTPRINT]
    counts = np.array([len(t) for t in tables])
    area = Tile(32, DEFAULT_FOOTPRINT[0]).area.to_value(u.deg**2)
    assert np.all(np.abs(counts - 100 * area) < 5 * np.sqrt(100 * area))  # Poisson, 5 sigma
    rings = sum(int(t["is_ring"].sum()) for t in tables)
    assert 0.06 < rings / counts.sum() < 0.14
    for pixel, table in zip(DEFAULT_FOOTPRINT, tables):
        assert np.all(Tile(32, pixel).owns(table["ra"], table["dec"]))


def test_sky_is_deterministic_and_independent_of_tiling(sky):
    whole = sky.galaxies(Tile(32, DEFAULT_FOOTPRINT[1]))
    again = SimulatedSky(workers=1).galaxies(Tile(32, DEFAULT_FOOTPRINT[1]))
    assert list(whole["id"]) == list(again["id"]) and np.array_equal(whole["ra"], again["ra"])
    parts = [sky.galaxies(Tile(64, p)) for p in pixels_at([DEFAULT_FOOTPRINT[1]], 32, 64)]
    assert sorted(i for part in parts for i in part["id"]) == sorted(whole["id"])


def test_outside_the_footprint_is_empty(sky):
    assert len(sky.galaxies(Tile(32, 0))) == 0
    assert list(sky.footprint(32)) == list(DEFAULT_FOOTPRINT)


def test_cutouts_are_rendered_once_then_read_from_the_cache(sky):
    galaxies = sky.galaxies(Tile(32, DEFAULT_FOOTPRINT[2]))[:5]
    first = sky.cutouts(galaxies, 48)
    paths = [Path(path) for path in sky._cache_paths(galaxies, 48, "rgb")]
    assert all(p.exists() for p in paths)
    stamp = paths[0].stat().st_mtime_ns
    second = SimulatedSky(workers=2).cutouts(galaxies, 48)
    assert first.shape == (5, 48, 48, 3) and np.array_equal(first, second)
    assert paths[0].stat().st_mtime_ns == stamp


def test_simulated_folder_round_trips_through_the_folder_source(tmp_path):
    run_cli("simulate", "--n", 12, "--seed", 4, "--npix", 40, "--out", tmp_path / "sim", "--workers", 1)
    source = FolderSource(tmp_path / "sim")
    images, labels, table = source.labelled_sample(40)
    assert images.shape == (12, 40, 40, 3) and set(labels) <= {0, 1}
    owned = sum(len(source.galaxies(Tile(32, p))) for p in source.footprint(32))
    assert owned == 12


def test_folder_source_errors_are_one_line(tmp_path):
    with pytest.raises(RingskyError, match="no manifest"):
        FolderSource(tmp_path)
    (tmp_path / "catalogue.csv").write_text("id,ra\nA,1.0\n")
    with pytest.raises(RingskyError, match="lacks column"):
        FolderSource(tmp_path)
    (tmp_path / "catalogue.csv").write_text("id,ra,dec,image\nA,1.0,2.0,missing.jpg\n")
    source = FolderSource(tmp_path)
    with pytest.raises(RingskyError, match="cannot read cutout"):
        source.cutouts(source.table, 32)


def test_manifest_ids_stay_text_exactly_as_written(tmp_path):
    (tmp_path / "catalogue.csv").write_text("id,ra,dec,image\n007,1.0,2.0,a.png\n1e3,3,4,b.png\n"
                                            "12345678901234567890123,5,6,c.png\n")
    assert list(FolderSource(tmp_path).table["id"]) == ["007", "1e3", "12345678901234567890123"]


@pytest.mark.parametrize("rows, message", [
    ("A,,2.0,a.png", "line 2: ra '' is not a number"),
    ("A,1.0,abc,a.png", "line 2: dec 'abc' is not a number"),
    ("A,1.0,95,a.png", "line 2: position ra=1.0, dec=95.0 is not in"),
    ("A,400,5,a.png", "line 2: position ra=400.0"),
    ("A,-1,5,a.png", "line 2: position ra=-1.0"),
    ("A,1.0,nan,a.png", "dec=nan is not in"),
    ("A,inf,1,a.png", "ra=inf, dec=1.0 is not in"),
    ("A,1,2,a.png\nA,3,4,b.png", "line 3: id 'A' repeats line 2"),
    (",1,2,a.png", "line 2: id '' is empty"),
    ("\u00c5,1,2,a.png", "not printable ASCII"),
    ("A,1,2,a.png,extra", "not a readable CSV table"),
])
def test_a_bad_manifest_row_is_one_error_naming_its_line(tmp_path, rows, message):
    (tmp_path / "catalogue.csv").write_text("id,ra,dec,image\n" + rows + "\n", encoding="utf-8")
    with pytest.raises(RingskyError, match="catalogue.csv: ") as error:
        FolderSource(tmp_path)
    assert message in str(error.value) and "\n" not in str(error.value)


@pytest.mark.parametrize("value", ["yes", "", "2"])
def test_a_ring_label_is_one_or_zero(tmp_path, value):
    (tmp_path / "catalogue.csv").write_text(f"id,ra,dec,image,ring\nA,1,2,a.png,1\nB,1,2,b.png,{value}\n")
    with pytest.raises(RingskyError, match=f"line 3: ring '{value}' is not 1"):
        FolderSource(tmp_path)


def test_a_bad_manifest_stops_scoring_before_anything_is_written(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "catalogue.csv").write_text("id,ra,dec,image\nA,1,2,a.png\nB,1,-95,b.png\n")
    result = run_cli("score", "--tile", "nside=1", "--survey", f"folder:{tmp_path / 'in'}", "--out",
                     tmp_path / "out", "--quiet", check=False)
    assert_one_line_error(result, 1, "line 3: position ra=1.0, dec=-95.0")
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


@needs_real_rings()
def test_real_decals_rings_load_through_the_folder_source():
    source = FolderSource(REAL_RINGS)
    images, labels, table = source.labelled_sample(64)
    assert images.shape == (200, 64, 64, 3)
    assert labels.sum() == 100
    assert sum(len(source.galaxies(Tile(32, p))) for p in source.footprint(32)) == 200


def test_sky_density_and_ring_fraction_are_configurable():
    from ringsky.config import conf

    tile = Tile(32, DEFAULT_FOOTPRINT[0])
    with conf.set_temp("sim_density", 300.0), conf.set_temp("sim_ring_fraction", 0.5):
        dense = SimulatedSky(workers=1).galaxies(tile)
    assert len(dense) > 2.5 * len(SimulatedSky(workers=1).galaxies(tile))
    assert 0.4 < dense["is_ring"].mean() < 0.6


def _bad_pictures(folder):
    """name -> how to make a cutout that cannot be decoded."""
    from astropy.io import fits
    from PIL import Image

    good = np.full((3, 16, 16), 1.0, dtype=np.float32)
    fits.PrimaryHDU(good).writeto(folder / "good.fits")
    whole = (folder / "good.fits").read_bytes()
    Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(folder / "good.jpg")
    return {
        "empty.png": lambda p: p.write_bytes(b""),
        "text.jpg": lambda p: p.write_text("not a picture"),
        "truncated.jpg": lambda p: p.write_bytes((folder / "good.jpg").read_bytes()[:200]),
        "bomb.png": lambda p: Image.fromarray(np.zeros((100, 100, 3), np.uint8)).save(p),
        "empty.fits": lambda p: p.write_bytes(b""),
        "header-only.fits": lambda p: fits.PrimaryHDU().writeto(p),
        "truncated.fits": lambda p: p.write_bytes(whole[:2880 + 100]),
        "nan.fits": lambda p: fits.PrimaryHDU(np.full((3, 16, 16), np.nan, np.float32)).writeto(p),
        "flat.fits": lambda p: fits.PrimaryHDU(np.ones((16, 16), np.float32)).writeto(p),
    }


@pytest.mark.filterwarnings("error")  # a warning would be a second line on the command line
@pytest.mark.parametrize("name", ["empty.png", "text.jpg", "truncated.jpg", "bomb.png", "empty.fits",
                                  "header-only.fits", "truncated.fits", "nan.fits", "flat.fits"])
def test_a_cutout_that_cannot_be_decoded_is_one_error_naming_the_file(tmp_path, monkeypatch, name):
    from PIL import Image

    _bad_pictures(tmp_path)[name](tmp_path / name)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # bomb.png's 10,000 pixels are over twice this
    (tmp_path / "catalogue.csv").write_text(f"id,ra,dec,image\nA,1,2,{name}\n")
    source = FolderSource(tmp_path)
    with pytest.raises(RingskyError, match=f"cannot read cutout {tmp_path / name}: ") as error:
        source.cutouts(source.table, 16)
    assert "\n" not in str(error.value)
