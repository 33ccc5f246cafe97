"""``ringsky evaluate`` on labelled sources and ``ringsky demo`` end to end with the shipped model."""
import json
import re

import numpy as np
import pytest
from astropy.table import Table
from conftest import REAL_RINGS, assert_one_line_error, needs_real_rings, run_cli

from ringsky.learn.evaluate import bootstrap_intervals
from ringsky.learn.metrics import reliability
from ringsky.sources.simulated import SimulatedSky
from ringsky.tiles import Tile


def test_simulated_test_set_is_balanced_and_labelled_by_truth():
    images, labels, truth = SimulatedSky(workers=1).labelled_sample(32, n=40)
    assert images.shape == (40, 32, 32, 3)
    assert np.array_equal(labels, truth["is_ring"].astype(int)) and 10 < labels.sum() < 30


def test_evaluate_writes_metrics_intervals_and_plots(tmp_path, small_model):
    run_cli("simulate", "--n", 60, "--seed", 8, "--npix", 32, "--out", tmp_path / "sim", "--workers", 1)
    result = run_cli("evaluate", "--survey", f"folder:{tmp_path / 'sim'}", "--model", small_model,
                     "--resamples", 200, "--out", tmp_path / "eval")
    assert re.search(r"ROC AUC \d\.\d{3} \[\d\.\d{3}, \d\.\d{3}\]", result.stdout)
    metrics = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    assert metrics["n"] == 60 and metrics["n_ring"] + metrics["n_not_ring"] == 60
    for name in ("roc_auc", "pr_auc", "precision", "recall", "f1", "accuracy"):
        low, high = metrics["interval_95"][name]
        assert low <= metrics[name] <= high
    assert all(np.diff(metrics["interval_95"][name])[0] > 0 for name in ("roc_auc", "pr_auc"))
    assert sum(metrics["calibration"]["count"]) == 60
    assert sum(v["n"] for v in metrics["recall_by_ring_type"].values()) == metrics["n_ring"]
    assert sum(v["n"] for v in metrics["flagged_by_non_ring_morphology"].values()) == metrics["n_not_ring"]
    for plot in ("roc.png", "pr.png", "confusion.png", "reliability.png"):
        assert (tmp_path / "eval" / plot).read_bytes()[:4] == b"\x89PNG"

    run_cli("simulate", "--n", 40, "--seed", 9, "--npix", 32, "--out", tmp_path / "val", "--workers", 1)
    chosen = run_cli("evaluate", "--survey", f"folder:{tmp_path / 'sim'}", "--model", small_model,
                     "--threshold-rule", "precision:0.6", "--validation", f"folder:{tmp_path / 'val'}",
                     "--resamples", 50,
                     "--out", tmp_path / "eval2")
    assert "(precision:0.6 on validation)" in chosen.stdout
    same = run_cli("evaluate", "--survey", f"folder:{tmp_path / 'sim'}", "--threshold-rule", "max-f1",
                   "--validation", f"folder:{tmp_path / 'sim'}", "--out", tmp_path / "eval3", check=False)
    assert_one_line_error(same, 2, "--validation must not be the test source")


def test_bootstrap_intervals_and_calibration_on_known_cases():
    labels = np.array([0, 1] * 50)
    perfect = labels * 0.8 + 0.1
    intervals = bootstrap_intervals(labels, perfect, 0.5, resamples=100)
    assert all(bounds == [1.0, 1.0] for bounds in intervals.values())
    noisy = np.random.default_rng(0).uniform(size=100)
    low, high = bootstrap_intervals(labels, noisy, 0.5, resamples=300)["roc_auc"]
    assert low < 0.5 < high and 0.1 < high - low < 0.4  # a chance-level AUC on 100 galaxies
    calibration = reliability(labels, perfect)
    assert calibration["count"][1] == 50 and calibration["count"][9] == 50
    assert calibration["fraction_ring"][1] == 0 and calibration["fraction_ring"][9] == 1
    assert calibration["mean_predicted"][0] is None
    assert calibration["ece"] == pytest.approx(0.1)


@needs_real_rings()
def test_shipped_model_on_the_real_decals_images(tmp_path):
    result = run_cli("evaluate", "--survey", f"folder:{REAL_RINGS}", "--out", tmp_path)
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert (metrics["n"], metrics["n_ring"]) == (200, 100)
    assert f"ROC AUC {metrics['roc_auc']:.3f}" in result.stdout


def test_demo_scores_the_simulated_sky_and_reports_it_against_the_truth(tmp_path):
    result = run_cli("demo", "--out", tmp_path / "cat", "--work", tmp_path / "tiles", "--quiet")
    for name in ("catalogue.fits", "catalogue.vot", "coverage.moc.fits", "catalogue.hats/collection.properties"):
        assert (tmp_path / "cat" / name).exists()
    scored = int(re.search(r"galaxies scored: (\d+)", result.stdout).group(1))
    precision, recall = map(float, re.search(r"precision ([\d.]+), recall ([\d.]+)", result.stdout).groups())
    assert 1000 < scored < 1700 and "tiles: 4" in result.stdout and "wall time" in result.stdout
    # the figures it prints are the catalogue's own against the simulator's truth (the shipped
    # model learnt real rings, and the simulator's are not real: the README gives its figures)
    catalogue = Table.read(tmp_path / "cat" / "catalogue.fits")
    truth = {}
    for tile in {int(h) for h in catalogue["healpix"]}:
        galaxies = SimulatedSky().galaxies(Tile(32, tile))
        truth.update(zip(galaxies["id"].astype(str), galaxies["is_ring"]))
    is_ring = np.array([truth[str(i)] for i in catalogue["source_id"]])
    flagged = np.asarray(catalogue["ring_flag"])
    assert len(catalogue) == scored
    assert precision == pytest.approx((flagged & is_ring).sum() / flagged.sum(), abs=5e-4)
    assert recall == pytest.approx((flagged & is_ring).sum() / is_ring.sum(), abs=5e-4)
