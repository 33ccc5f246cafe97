"""ringsky pretrain: an encoder from a picture folder's label columns (missing values left out),
resumable, written as an encoder that training starts from and scoring refuses."""
import json

import numpy as np
import pytest
import torch
from astropy.table import Table

from conftest import assert_one_line_error, kill_once_checkpointed, run_cli
from ringsky import RingskyError
from ringsky.sources.picture_folders import read_manifest
from ringsky.learn.pretrain import head_targets


@pytest.fixture(scope="module")
def picture_folder(tmp_path_factory):
    """Simulated galaxies as a picture folder without positions: two label columns, one with gaps."""
    root = tmp_path_factory.mktemp("pictures")
    run_cli("simulate", "--n", 40, "--seed", 8, "--npix", 40, "--workers", 1, "--out", root)
    manifest = Table.read(root / "catalogue.csv", format="ascii.csv")
    manifest["odd"] = [str(r) if k % 3 else "" for k, r in enumerate(manifest["ring"])]
    manifest.keep_columns(["id", "image", "morphology", "odd"])
    manifest.write(root / "catalogue.csv", format="ascii.csv", overwrite=True)
    return root


def test_each_label_column_is_a_head_and_missing_values_are_left_out(picture_folder):
    targets = head_targets(read_manifest(picture_folder), ["morphology", "odd"])
    classes, labels = targets["odd"]
    assert classes == ["0", "1"]
    assert np.array_equal(labels == -1, np.arange(40) % 3 == 0)
    assert set(targets["morphology"][0]) >= {"ring", "elliptical"}
    with pytest.raises(RingskyError, match="no column 'spiral'"):
        head_targets(read_manifest(picture_folder), ["spiral"])


def test_an_encoder_is_pretrained_then_fine_tuned_and_never_scored(tmp_path, picture_folder):
    options = ["--pictures", f"folder:{picture_folder}", "--heads", "morphology,odd", "--input-size", 32,
               "--crop", 0.8, "--epochs", 1, "--batch-size", 8, "--quiet"]
    result = run_cli("pretrain", *options, "--out", tmp_path / "encoder")
    assert "validation accuracy morphology" in result.stdout
    config = json.loads((tmp_path / "encoder.json").read_text())
    assert config["kind"] == "encoder" and config["architecture"] == "tf_efficientnet_lite0"
    assert config["heads"]["odd"] == ["0", "1"] and (config["mean"], config["std"]) == (0.5, 0.5)
    assert set(config["metrics"]["history"][0]["val_accuracy"]) == {"morphology", "odd"}

    run_cli("simulate", "--n", 24, "--seed", 5, "--npix", 40, "--out", tmp_path / "labelled", "--workers", 1)
    run_cli("train", "--labelled", f"folder:{tmp_path / 'labelled'}", "--init", tmp_path / "encoder",
            "--input-size", 32, "--epochs", 1, "--batch-size", 8, "--quiet", "--out", tmp_path / "tuned")
    tuned = json.loads((tmp_path / "tuned.json").read_text())
    assert tuned["training"]["initial_model"] == config["model_id"]
    assert (tuned["architecture"], tuned["mean"], tuned["std"], tuned["classes"]) == (
        "tf_efficientnet_lite0", 0.5, 0.5, [])

    scored = run_cli("score", "--tile", "nside=32:6812", "--model", tmp_path / "encoder", "--scheduler", "none",
                     "--out", tmp_path / "tiles", check=False)
    assert_one_line_error(scored, 1, "is an encoder written by ringsky pretrain")


def test_a_killed_pretraining_resumes_to_the_same_encoder(tmp_path, picture_folder):
    options = ["pretrain", "--pictures", f"folder:{picture_folder}", "--heads", "morphology,odd", "--init", "",
               "--architecture", "convnext_atto", "--input-size", 32, "--epochs", 4, "--batch-size", 8,
               "--quiet"]
    run_cli(*options, "--out", tmp_path / "whole")
    out = tmp_path / "killed"
    checkpoint = out.with_suffix(".checkpoint.pt")
    kill_once_checkpointed([*options, "--out", out], checkpoint)
    assert checkpoint.exists() and not out.with_suffix(".json").exists(), "the run ended before it could be killed"
    assert torch.load(checkpoint, weights_only=True)["epoch"] < 4
    run_cli(*options, "--out", out)
    assert not checkpoint.exists()
    assert (json.loads(out.with_suffix(".json").read_text())["model_id"]
            == json.loads((tmp_path / "whole.json").read_text())["model_id"])
