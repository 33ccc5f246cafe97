"""k-fold cross-validation of one recipe over fold seeds: stratified folds that follow from (seed,
id), the colour baseline on the same folds, the colour-controlled AUC, out-of-fold predictions
and the threshold a final model takes from them, and clear errors for sources it cannot split or
models it cannot start from."""
import json
import shutil

import numpy as np
from astropy.table import Table
from conftest import assert_one_line_error, run_cli

from ringsky.learn.crossval import colour_controlled_auc, redness
from ringsky.learn.metrics import crossval_threshold
from ringsky.splits import stratified_folds


def test_folds_are_stratified_and_follow_from_the_seed_and_ids_alone():
    ids = np.array([f"J{k:04d}" for k in range(103)])
    labels = (np.arange(103) % 3 == 0).astype(int)
    folds = stratified_folds(ids, labels, 5, seed=0)
    for label in (0, 1):
        counts = np.bincount(folds[labels == label], minlength=5)
        assert counts.max() - counts.min() <= 1, counts
    shuffled = np.random.default_rng(0).permutation(103)
    assert np.array_equal(stratified_folds(ids[shuffled], labels[shuffled], 5, seed=0), folds[shuffled])
    other = stratified_folds(ids, labels, 5, seed=1)
    assert not np.array_equal(other, folds)  # another seed deals the galaxies anew
    assert np.array_equal(np.bincount(other, minlength=5), np.bincount(folds, minlength=5))


def test_redness_ranks_by_the_colour_of_the_centre_above_the_sky():
    pictures = np.full((3, 30, 30, 3), 40, dtype=np.uint8)  # RGB, a sky of 40 in every plane
    for k, (red, blue) in enumerate(((120, 60), (90, 90), (60, 120))):
        pictures[k, 12:18, 12:18, 0], pictures[k, 12:18, 12:18, 2] = red, blue
    assert np.all(np.diff(redness(pictures)) < 0)  # R (z) over B (g)
    with_star = pictures.copy()
    with_star[:, 0:4, 0:4, 2] = 250  # a blue star in the corner, outside the central third
    assert np.allclose(redness(with_star), redness(pictures))
    ugriz = pictures[..., [2, 2, 1, 0, 0]]  # the same light as u, g, r, i, z planes
    assert np.allclose(redness(ugriz, "ugriz"), redness(pictures))


def test_the_colour_controlled_auc_sees_through_colour():
    rng = np.random.default_rng(3)
    colour = rng.normal(size=4000)
    rings = (rng.random(4000) < 1 / (1 + np.exp(-3 * colour))).astype(int)  # red galaxies are mostly rings
    from sklearn.metrics import roc_auc_score

    overall = roc_auc_score(rings, colour)
    assert overall > 0.8  # colour alone ranks them well overall, much less among galaxies of about one colour
    assert colour_controlled_auc(rings, colour, colour) < overall - 0.1
    seen = rings + 0.5 * rng.normal(size=4000)  # a score that sees the ring itself keeps its rank in every bin
    assert colour_controlled_auc(rings, seen, colour) > 0.85
    assert np.isclose(colour_controlled_auc(rings, seen, colour), roc_auc_score(rings, seen), atol=0.03)


def test_the_threshold_from_crossval_states_its_precision_at_a_ten_percent_ring_fraction():
    labels = np.array([1] * 50 + [0] * 50)
    scores = np.r_[np.linspace(0.5, 1.0, 50), np.linspace(0.0, 0.6, 50)]
    chosen = crossval_threshold(labels, scores)
    flagged = scores >= chosen["threshold"]
    recall, fpr = flagged[labels == 1].mean(), flagged[labels == 0].mean()
    assert (chosen["recall"], chosen["false_positive_rate"]) == (recall, fpr)
    assert np.isclose(chosen["expected_precision"], 0.1 * recall / (0.1 * recall + 0.9 * fpr))
    assert chosen["expected_precision"] < flagged[labels == 1].sum() / flagged.sum()  # rarer rings, lower precision


def test_crossval_runs_one_recipe_over_fold_seeds_beside_the_colour_baseline(tmp_path, small_model):
    run_cli("simulate", "--n", 24, "--seed", 5, "--npix", 32, "--out", tmp_path / "sim", "--workers", 1)
    (tmp_path / "finetune.toml").write_text('unfrozen_blocks = 1\naugment = "affine"\nepochs = 3\nrehearsal = 8\n')
    result = run_cli("crossval", "--labelled", f"folder:{tmp_path / 'sim'}", "--init", small_model, "--folds", 3,
                     "--seeds", "0,4", "--config", tmp_path / "finetune.toml", "--epochs", 1, "--batch-size", 4,
                     "--out", tmp_path / "cv", "--quiet")
    results = Table.read(tmp_path / "cv" / "crossval.ecsv")
    predictions = Table.read(tmp_path / "cv" / "predictions.ecsv")
    assert sorted(set(results["method"])) == ["colour", "model"]
    for seed in (0, 4):
        for method in ("colour", "model"):
            rows = results[(results["method"] == method) & (results["seed"] == seed)]
            assert sorted(rows["fold"]) == [0, 1, 2]
            assert rows["n_test"].sum() == 24  # every galaxy is tested exactly once per seed
            assert np.all((rows["roc_auc"] >= 0) & (rows["roc_auc"] <= 1))
        mine = predictions[predictions["seed"] == seed]
        assert sorted(mine["id"]) == sorted(f"sim5-{k:06d}" for k in range(24))
    first, second = (predictions[predictions["seed"] == s] for s in (0, 4))
    first.sort("id"), second.sort("id")
    assert not np.array_equal(first["fold"], second["fold"])
    assert results.meta["folds"] == 3 and results.meta["train_images_per_s"] > 0
    settings = results.meta["settings"]
    assert (settings["unfrozen_blocks"], settings["augment"], settings["epochs"], settings["batch_size"],
            settings["learning_rate"], settings["rehearsal"]) == (1, "affine", 1, 4, 1e-3, 8)  # defaults < TOML < CLI
    summary = predictions.meta["summary"]
    assert {"model_roc_auc_mean", "baseline_roc_auc_mean", "model_colour_controlled_auc_mean"} <= set(summary)
    assert "| colour |" in (tmp_path / "cv" / "crossval.md").read_text()
    assert "| model |" in result.stdout


def test_a_model_as_it_is_is_scored_without_training(tmp_path, small_model):
    run_cli("simulate", "--n", 12, "--seed", 5, "--npix", 32, "--out", tmp_path / "sim", "--workers", 1)
    run_cli("crossval", "--labelled", f"folder:{tmp_path / 'sim'}", "--init", small_model, "--folds", 2,
            "--as-is", "--out", tmp_path / "cv", "--quiet")
    results = Table.read(tmp_path / "cv" / "crossval.ecsv")
    assert results.meta["as_is"] and results.meta["train_images_per_s"] is None
    assert "the initial model as it is" in (tmp_path / "cv" / "crossval.md").read_text()


def test_crossval_refuses_what_it_cannot_split(tmp_path, small_model):
    run_cli("simulate", "--n", 6, "--seed", 5, "--npix", 32, "--out", tmp_path / "sim", "--workers", 1)
    result = run_cli("crossval", "--labelled", f"folder:{tmp_path / 'sim'}", "--init", small_model, "--folds", 5,
                     "--out", tmp_path / "cv", "--quiet", check=False)
    assert_one_line_error(result, 1, "too few rings or non-rings for 5 folds")
    result = run_cli("crossval", "--labelled", f"folder:{tmp_path / 'sim'}", "--init", small_model, "--folds", 1,
                     "--out", tmp_path / "cv", "--quiet", check=False)
    assert_one_line_error(result, 2, "--folds", "1 is not in [2, ...]")
    result = run_cli("crossval", "--labelled", f"folder:{tmp_path / 'sim'}", "--init", small_model,
                     "--seeds", "0,x", "--out", tmp_path / "cv", "--quiet", check=False)
    assert_one_line_error(result, 2, "--seeds", "'0,x' is not whole numbers separated by commas")


def test_crossval_refuses_a_model_already_fine_tuned_on_labelled_cutouts(tmp_path, small_model):
    run_cli("simulate", "--n", 24, "--seed", 5, "--npix", 32, "--out", tmp_path / "sim", "--workers", 1)
    tuned = tmp_path / "tuned.json"
    shutil.copy(small_model.with_suffix(".safetensors"), tuned.with_suffix(".safetensors"))
    config = json.loads(small_model.read_text())
    config["training"] = {"settings": {"labelled": "folder:my-real-rings"}}
    tuned.write_text(json.dumps(config))
    result = run_cli("crossval", "--labelled", f"folder:{tmp_path / 'sim'}", "--init", tuned, "--folds", 3,
                     "--out", tmp_path / "cv", "--quiet", check=False)
    assert_one_line_error(result, 1, "was fine-tuned on folder:my-real-rings")
    assert not (tmp_path / "cv").exists()
