"""5-channel models: ugriz rendered by the simulator, read from FITS folders, trained, scored
and evaluated through the same code as RGB; sources without ugriz say so in one line."""
import json

import numpy as np
import pyarrow.parquet as pq
import pytest
from astropy.io import fits
from astropy.table import Table

from conftest import assert_one_line_error, run_cli
from ringsky.learn.datasets import simulated_set
from ringsky.imaging import grz_to_rgb, resize_rgb, to_model_input, ugriz_to_planes
from ringsky.simulate import draw_galaxy, render, simulate
from ringsky import RingskyError
from ringsky.sources import labelled_pictures, open_source, pictures
from ringsky.sources.folder import write_simulated_folder
from ringsky.sources.simulated import SimulatedSky
from ringsky.tiles import Tile


def _galaxy(index, is_ring=True):
    rng = np.random.default_rng([42, index])
    return draw_galaxy(rng, is_ring), rng


def test_ugriz_renders_the_same_grz_pixels_and_adds_u_and_i():
    for index in range(6):
        g, rng = _galaxy(index, is_ring=index % 2 == 0)
        grz = render(g, rng)
        g, rng = _galaxy(index, is_ring=index % 2 == 0)
        ugriz = render(g, rng, "ugriz")
        assert ugriz.shape == (5,) + grz.shape[1:]
        assert np.array_equal(ugriz[[1, 2, 4]], grz)  # models and caches of grz pictures stay valid
        u, g_band, r, i, z = ugriz.sum(axis=(1, 2))
        assert u < g_band and r < i < z, (u, g_band, r, i, z)  # every population is bluer in u, i lies between r and z
    with pytest.raises(ValueError, match="bands must be"):
        render(g, rng, "gri")


def test_ugriz_planes_stretch_each_band_on_its_own():
    fluxes = np.zeros((5, 8, 8), dtype=np.float32)
    fluxes[2, 4, 4] = 0.05  # light in r only
    planes = ugriz_to_planes(fluxes)
    assert planes.shape == (8, 8, 5) and planes.dtype == np.uint8
    assert planes[4, 4, 2] > planes[0, 0, 2] and np.all(planes[4, 4, [0, 1, 3, 4]] == planes[0, 0, [0, 1, 3, 4]])
    brighter = ugriz_to_planes(fluxes * 3)
    assert brighter[4, 4, 2] > planes[4, 4, 2]
    with pytest.raises(ValueError, match="5 bands"):
        ugriz_to_planes(fluxes[:3])
    x = to_model_input(planes[None], channels=5)
    assert x.shape == (1, 5, 8, 8)
    with pytest.raises(ValueError, match="5-channel model takes ugriz pictures of 5 planes, not 3"):
        to_model_input(np.zeros((1, 8, 8, 3), np.uint8), channels=5)
    with pytest.raises(ValueError, match="3-channel model takes rgb pictures of 3 planes, not 5"):
        to_model_input(planes[None], channels=3)


def test_simulated_ugriz_pictures_show_the_same_galaxies():
    rgb, truth = simulate(4, seed=9, npix=32)
    planes, truth_ugriz = simulate(4, seed=9, npix=32, planes="ugriz")
    assert planes.shape == (4, 32, 32, 5) and planes.dtype == np.uint8
    assert list(truth["is_ring"]) == list(truth_ugriz["is_ring"]) and list(truth["mag_r"]) == list(truth_ugriz["mag_r"])
    sky = SimulatedSky()
    galaxies = sky.galaxies(Tile(32, 6812))[:5]
    first = pictures(sky, galaxies, 32, "ugriz")
    assert first.shape == (5, 32, 32, 5)
    assert np.array_equal(pictures(sky, galaxies, 32, "ugriz"), first)  # read back from the .npy cache
    assert pictures(sky, galaxies, 32).shape == (5, 32, 32, 3)
    for _ in range(2):  # made, then read back: each kind from its own cache file
        assert simulated_set(16, 5, 32)[0].shape == (16, 32, 32, 3)
        assert simulated_set(16, 5, 32, planes="ugriz")[0].shape == (16, 32, 32, 5)
        assert simulated_set(16, 5, 32, ring_fraction=0.25)[2].meta["RINGFRAC"] == 0.25


def _ugriz_folder(folder, n=6):
    """A folder of (5, H, W) ugriz FITS cutouts in nanomaggies with ring truth, as a user would bring."""
    (folder / "images").mkdir(parents=True)
    rows = []
    for k in range(n):
        g, rng = _galaxy(100 + k, is_ring=k % 2 == 0)
        fits.PrimaryHDU(render(g, rng, "ugriz")).writeto(folder / "images" / f"g{k}.fits")
        rows.append((f"g{k}", 150.1 + 0.01 * k, 2.1, f"images/g{k}.fits", int(k % 2 == 0)))
    Table(rows=rows, names=("id", "ra", "dec", "image", "ring")).write(folder / "catalogue.csv", format="ascii.csv")


def test_a_folder_of_ugriz_fits_gives_planes_and_rgb(tmp_path):
    _ugriz_folder(tmp_path / "ugriz")
    source = open_source(f"folder:{tmp_path / 'ugriz'}")
    planes, labels, _ = source.labelled_sample(32, planes="ugriz")
    assert planes.shape == (6, 32, 32, 5) and list(labels) == [1, 0, 1, 0, 1, 0]
    rgb = source.cutouts(source.table[:1], 32)[0]
    grz = fits.getdata(tmp_path / "ugriz" / "images" / "g0.fits")[[1, 2, 3]]
    assert np.array_equal(rgb, resize_rgb(grz_to_rgb(grz), 32))  # RGB from a ugriz file uses its g, r and z


def test_a_five_channel_model_trains_scores_and_evaluates(tmp_path):
    model = tmp_path / "ugriz"
    run_cli("train", "--architecture", "simple_cnn", "--channels", "5", "--input-size", "32", "--n-train", "128",
            "--n-validation", "64", "--epochs", "1", "--batch-size", "32", "--workers", "1", "--quiet",
            "--out", model)
    config = json.loads(model.with_suffix(".json").read_text())
    assert config["channels"] == 5 and "ugriz pictures" in config["training"]["data"]

    run_cli("score", "--survey", "sim", "--tile", "nside=64:27248", "--scheduler", "none", "--quiet",
            "--model", model, "--out", tmp_path / "scores")
    scores = pq.read_table(next((tmp_path / "scores").rglob("*.parquet"))).to_pandas()
    assert len(scores) == len(SimulatedSky().galaxies(Tile(64, 27248))) > 20
    assert scores["probability"].between(0, 1).all() and scores["probability"].std() > 0

    _ugriz_folder(tmp_path / "folder")
    run_cli("evaluate", "--survey", f"folder:{tmp_path / 'folder'}", "--model", model, "--resamples", "20",
            "--out", tmp_path / "evaluation")
    metrics = json.loads((tmp_path / "evaluation" / "metrics.json").read_text())
    assert (metrics["n"], metrics["n_ring"]) == (6, 3) and 0 <= metrics["roc_auc"] <= 1

    write_simulated_folder(tmp_path / "pngs", 4, 0, 0.5, 32)
    with pytest.raises(RingskyError, match="a JPEG or PNG has no ugriz planes"):
        labelled_pictures(open_source(f"folder:{tmp_path / 'pngs'}"), 32, "ugriz")
    sdss_jpeg = run_cli("score", "--survey", "sdss", "--tile", "nside=32:6812", "--model", model,
                        "--out", tmp_path / "s", check=False)
    assert_one_line_error(sdss_jpeg, 1, "sdss has no ugriz images", "--format fits")
    assert not (tmp_path / "s").exists() or not any((tmp_path / "s").rglob("*.parquet"))
