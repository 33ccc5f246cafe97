"""Vetting votes: SQLite beside the catalogue, safe with concurrent writers, exported as a
labelled folder that ``ringsky train --labelled`` and ``ringsky evaluate`` accept."""
import json
import multiprocessing
import shutil
import sqlite3

import numpy as np
import pytest
from astropy.table import Table
from conftest import assert_one_line_error, run_cli
from PIL import Image

from ringsky import RingskyError
from ringsky.catalogue.files import read_catalogue
from ringsky.sources import open_source
from ringsky.explore.votes import VoteStore, export_labels, most_uncertain, votes_path


@pytest.fixture
def catalogue(sim_catalogue, tmp_path):
    """A private copy of the shared scored catalogue, so votes start empty."""
    copy = tmp_path / "catalogue.fits"
    shutil.copy(sim_catalogue, copy)
    return copy


def test_latest_vote_wins_and_votes_survive_reopening(tmp_path):
    store = VoteStore(tmp_path / "c.votes.sqlite")
    store.record("A", "ring", voter="alice")
    store.record("B", "unsure", voter="alice")
    store.record("A", "not_ring", voter="bob")
    store.close()
    again = VoteStore(tmp_path / "c.votes.sqlite")
    assert again.verdicts() == {"A": "not_ring", "B": "unsure"}
    history = sqlite3.connect(tmp_path / "c.votes.sqlite").execute("SELECT voter FROM votes").fetchall()
    assert [v for (v,) in history] == ["alice", "alice", "bob"]


def test_unknown_vote_is_refused(tmp_path):
    with pytest.raises(RingskyError, match="unknown vote 'maybe'"):
        VoteStore(tmp_path / "v.sqlite").record("A", "maybe")


def _vote_many(path, voter, count):
    store = VoteStore(path)
    for k in range(count):
        store.record(f"{voter}-{k}", "ring", voter=voter)
    store.close()


def test_two_sessions_voting_at_once_lose_nothing(tmp_path):
    """Two processes (two browser sessions' servers) write at the same time."""
    path = tmp_path / "c.votes.sqlite"
    VoteStore(path).close()
    workers = [multiprocessing.get_context("spawn").Process(target=_vote_many, args=(path, name, 200))
               for name in ("left", "right")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    assert len(VoteStore(path).verdicts()) == 400


def test_most_uncertain_skips_vetted_rows():
    table = Table({"source_id": ["a", "b", "c", "d"], "ring_probability": [0.9, 0.52, 0.45, 0.1]})
    assert most_uncertain(table, {}, 0.5).tolist() == [1]
    assert most_uncertain(table, {"b": "ring"}, 0.5, count=2).tolist() == [2, 0]
    assert most_uncertain(table, {k: "ring" for k in "abcd"}, 0.5).tolist() == []


def test_votes_path_sits_beside_the_catalogue(tmp_path):
    assert votes_path(tmp_path / "catalogue.fits") == tmp_path / "catalogue.votes.sqlite"


def test_exported_votes_train_and_evaluate(catalogue, tmp_path):
    table = read_catalogue(catalogue)
    store = VoteStore(votes_path(catalogue))
    median = np.median(table["ring_probability"])
    for row in table:
        store.record(row["source_id"], "ring" if row["ring_probability"] > median else "not_ring")
    store.record(table["source_id"][0], "unsure")
    verdicts = store.verdicts()
    manifest = export_labels(table, verdicts, open_source("sim"), tmp_path / "labels", npix=64)
    exported = Table.read(manifest, format="ascii.csv")
    assert len(exported) == len(table) - 1
    assert str(table["source_id"][0]) not in set(exported["id"].astype(str))
    assert all((tmp_path / "labels" / image).is_file() for image in exported["image"])
    expected = {str(i): int(verdicts[str(i)] == "ring") for i in exported["id"]}
    assert dict(zip(exported["id"].astype(str), exported["ring"].tolist())) == expected

    model = tmp_path / "vetted"
    run_cli("train", "--labelled", f"folder:{tmp_path / 'labels'}", "--init", "ringsky/data/ringsky-default.json",
            "--epochs", "1", "--batch-size", "16", "--out", model, "--quiet")
    config = json.loads(model.with_suffix(".json").read_text())
    assert config["training"]["data"].startswith(f"folder:{tmp_path / 'labels'}: ")
    assert config["training"]["initial_model"] == read_catalogue(catalogue).meta["MODELID"]
    run_cli("evaluate", "--survey", f"folder:{tmp_path / 'labels'}", "--model", model.with_suffix(".json"),
            "--out", tmp_path / "evaluation", "--quiet")
    assert json.loads((tmp_path / "evaluation" / "metrics.json").read_text())["n"] == len(exported)


def test_export_without_decisive_votes_is_an_error(catalogue, tmp_path):
    with pytest.raises(RingskyError, match="no ring / not-ring votes"):
        export_labels(read_catalogue(catalogue), {"x": "unsure"}, open_source("sim"), tmp_path / "labels")


def test_labelled_training_needs_both_classes_in_each_split(tmp_path):
    folder = tmp_path / "one-class"
    folder.mkdir()
    Image.fromarray(np.zeros((64, 64, 3), dtype=np.uint8)).save(folder / "g.png")
    (folder / "catalogue.csv").write_text("id,ra,dec,image,ring\n" + "".join(
        f"g{k},150.0,2.0,g.png,1\n" for k in range(12)))
    result = run_cli("train", "--labelled", f"folder:{folder}", "--out", tmp_path / "m", check=False)
    assert_one_line_error(result, 1, "split needs both rings and non-rings")
