"""k-fold cross-validation: stratified folds that follow from ids, the three methods and the
colour baseline on the same folds, and clear errors for sources it cannot split or models it
cannot start from."""
import json
import shutil

import numpy as np
from astropy.table import Table
from conftest import assert_one_line_error, run_cli

from ringsky.crossval import METHODS, redness, stratified_folds


def test_folds_are_stratified_and_follow_from_the_ids_alone():
    ids = np.array([f"J{k:04d}" for k in range(103)])
    labels = (np.arange(103) % 3 == 0).astype(int)
    folds = stratified_folds(ids, labels, 5)
    for label in (0, 1):
        counts = np.bincount(folds[labels == label], minlength=5)
        assert counts.max() - counts.min() <= 1, counts
    shuffled = np.random.default_rng(0).permutation(103)
    again = stratified_folds(ids[shuffled], labels[shuffled], 5)
    assert np.array_equal(again, folds[shuffled])


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


def test_crossval_compares_the_methods_on_every_fold(tmp_path, small_model):
    run_cli("simulate", "--n", 24, "--seed", 5, "--npix", 32, "--out", tmp_path / "sim", "--workers", 1)
    (tmp_path / "finetune.toml").write_text('unfrozen_blocks = 1\naugment = "affine"\nepochs = 3\nrehearsal = 8\n')
    result = run_cli("crossval", "--labelled", f"folder:{tmp_path / 'sim'}", "--init", small_model, "--folds", 3,
                     "--config", tmp_path / "finetune.toml", "--epochs", 1, "--batch-size", 4,
                     "--out", tmp_path / "cv", "--quiet")
    results = Table.read(tmp_path / "cv" / "crossval.ecsv")
    assert sorted(set(results["method"])) == sorted(METHODS)
    for method in METHODS:
        rows = results[results["method"] == method]
        assert sorted(rows["fold"]) == [0, 1, 2]
        assert rows["n_test"].sum() == 24  # every galaxy is tested exactly once
        assert np.all((rows["roc_auc"] >= 0) & (rows["roc_auc"] <= 1))
    assert results.meta["folds"] == 3 and results.meta["train_images_per_s"] > 0
    settings = results.meta["settings"]
    assert (settings["unfrozen_blocks"], settings["augment"], settings["epochs"], settings["batch_size"],
            settings["learning_rate"], settings["rehearsal"]) == (1, "affine", 1, 4, 1e-3, 8)  # defaults < TOML < CLI
    assert "| sim+real |" in (tmp_path / "cv" / "crossval.md").read_text()
    assert "| real-only |" in result.stdout


def test_crossval_refuses_what_it_cannot_split(tmp_path, small_model):
    run_cli("simulate", "--n", 6, "--seed", 5, "--npix", 32, "--out", tmp_path / "sim", "--workers", 1)
    result = run_cli("crossval", "--labelled", f"folder:{tmp_path / 'sim'}", "--init", small_model, "--folds", 5,
                     "--out", tmp_path / "cv", "--quiet", check=False)
    assert_one_line_error(result, 1, "too few rings or non-rings for 5 folds")
    result = run_cli("crossval", "--labelled", f"folder:{tmp_path / 'sim'}", "--init", small_model, "--folds", 1,
                     "--out", tmp_path / "cv", "--quiet", check=False)
    assert_one_line_error(result, 1, "at least 2 folds")


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
