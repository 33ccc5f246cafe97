"""ringsky grid: a grid of runs, self-contained run folders, a ranked leaderboard, resumable."""
import json
import re

import numpy as np
import pytest
from astropy.table import Table
from conftest import assert_one_line_error, run_cli

from ringsky import RingskyError
from ringsky.learn.sweep import read_grid

GRID = """
evaluate_on = ["sim"]
sim_test_size = 40
resamples = 50
[base]
input_size = 32
n_train = 128
n_validation = 32
epochs = 1
batch_size = 32
workers = 1
[grid]
architecture = ["simple_cnn", "resnet18"]
unfrozen_blocks = [1, "all"]
[[extra]]
architecture = "simple_cnn"
schedule = "constant"
[[extra]]
init = "imagenet:tf_efficientnet_lite0"
channels = 3
"""


def test_grid_runs_every_combination_ranks_them_and_skips_finished_runs(tmp_path):
    grid = tmp_path / "grid.toml"
    grid.write_text(GRID)
    result = run_cli("grid", grid, "--out", tmp_path / "out")
    board = Table.read(tmp_path / "out" / "leaderboard.csv", format="ascii.csv")
    assert len(board) == 6 and "test1: sim" in result.stdout
    assert np.all(np.diff(board["test1_roc_auc"]) <= 0)
    assert sorted(board["architecture"].filled("")) == [""] + ["resnet18"] * 2 + ["simple_cnn"] * 3  # "": from init
    pretrained = board[board["init"].filled("") == "imagenet:tf_efficientnet_lite0"]
    assert json.loads((tmp_path / "out" / "runs" / pretrained["run"][0] / "model.json").read_text())[
        "architecture"] == "tf_efficientnet_lite0"
    for row in board:
        folder = tmp_path / "out" / "runs" / row["run"]
        for name in ("settings.toml", "model.json", "model.safetensors", "run.json", "test-1/metrics.json",
                     "test-1/roc.png", "test-1/pr.png", "test-1/confusion.png", "test-1/reliability.png"):
            assert (folder / name).exists(), (row["run"], name)
        metrics = json.loads((folder / "test-1" / "metrics.json").read_text())
        assert metrics["roc_auc"] == row["test1_roc_auc"] and metrics["n"] == 40

    again = run_cli("grid", grid, "--out", tmp_path / "out")
    assert again.stdout.count("finished before, skipped") == 6
    assert (tmp_path / "out" / "leaderboard.md").read_text() in again.stdout + "\n"

    folder = tmp_path / "out" / "runs" / board["run"][0]
    run_cli("train", "--config", folder / "settings.toml", "--quiet", "--out", tmp_path / "again")
    model_id = json.loads((folder / "model.json").read_text())["model_id"]
    assert json.loads((tmp_path / "again.json").read_text())["model_id"] == model_id


@pytest.mark.parametrize("changes, fragment", [
    ([('"resnet18"', '"resnet_18"')], "unknown architecture 'resnet_18'"),
    ([("epochs = 1", "epoch = 1")], "unknown setting 'epoch'"),
    ([('unfrozen_blocks = [1, "all"]', "unfrozen_blocks = 1")], "grid.unfrozen_blocks must be a non-empty list"),
    ([("evaluate_on", "evaluate")], "unknown entry 'evaluate'"),
    ([('["sim"]', '["folder:x"]'), ('schedule = "constant"', 'labelled = "folder:x"')], "also be tested on"),
])
def test_a_bad_grid_is_refused_before_anything_trains(tmp_path, changes, fragment):
    text = GRID
    for old, new in changes:
        text = text.replace(old, new)
    grid = tmp_path / "grid.toml"
    grid.write_text(text)
    with pytest.raises(RingskyError, match=re.escape(fragment)):
        read_grid(grid)


def test_a_bad_grid_is_one_line_on_the_command_line(tmp_path):
    grid = tmp_path / "grid.toml"
    grid.write_text(GRID.replace('"resnet18"', '"resnet_18"'))
    assert_one_line_error(run_cli("grid", grid, "--out", tmp_path / "out", check=False), 1, "resnet_18")
    assert not (tmp_path / "out").exists()
