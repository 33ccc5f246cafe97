"""Bad input: one clear line, a non-zero exit, no traceback, and no finished tile lost."""
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from astropy.table import Table
from conftest import REPO, assert_one_line_error, run_cli

from ringsky.sources.simulated import DEFAULT_FOOTPRINT

TILE = DEFAULT_FOOTPRINT[3]


@pytest.mark.parametrize("spec, fragment", [
    ("nside=33", "power of two"),
    ("nside=32:99999", "out of range"),
    ("garbage", "bad tile spec"),
])
def test_bad_tile_spec_exits_2(spec, fragment, tmp_path, small_model):
    result = run_cli("score", "--tile", spec, "--model", small_model, "--out", tmp_path, check=False)
    assert_one_line_error(result, 2, fragment)


def test_a_tile_outside_the_footprint_is_an_empty_result_not_an_error(tmp_path, small_model):
    run_cli("score", "--tile", "nside=32:1", "--model", small_model, "--out", tmp_path / "tiles", "--quiet")
    run_cli("catalogue", tmp_path / "tiles", "--out", tmp_path / "cat")
    assert len(Table.read(tmp_path / "cat" / "catalogue.fits")) == 0


def test_unknown_survey_and_option_exit_2(tmp_path):
    assert_one_line_error(run_cli("score", "--tile", "nside=32", "--survey", "hubble", "--out", tmp_path,
                                  check=False), 2, "unknown survey")
    assert_one_line_error(run_cli("score", "--tiles", "nside=32", check=False), 2)


def test_missing_and_malformed_model(tmp_path):
    result = run_cli("score", "--tile", "nside=32", "--model", tmp_path / "none.json", "--out", tmp_path, check=False)
    assert_one_line_error(result, 1, "model file not found")
    (tmp_path / "bad.json").write_text("[1, 2")
    (tmp_path / "bad.safetensors").write_bytes(b"nonsense")
    result = run_cli("score", "--tile", "nside=32", "--model", tmp_path / "bad.json", "--out", tmp_path, check=False)
    assert_one_line_error(result, 1, "malformed model config")


def test_unwritable_output_folder(tmp_path, small_model):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = run_cli("score", "--tile", f"nside=32:{TILE}", "--model", small_model, "--out", blocker / "tiles",
                     check=False)
    assert_one_line_error(result, 1, "cannot write to output folder")
    result = run_cli("catalogue", tmp_path, "--out", tmp_path, check=False)
    assert_one_line_error(result, 1, "no tile results")


def test_corrupt_tile_result_is_named_and_then_rescored(tmp_path, small_model):
    spec = f"nside=128:{TILE * 16}-{TILE * 16 + 1}"
    run_cli("score", "--tile", spec, "--model", small_model, "--scheduler", "none", "--out", tmp_path / "tiles", "--quiet")
    first, second = sorted((tmp_path / "tiles").glob("*.parquet"))
    kept = second.read_bytes()
    first.write_bytes(first.read_bytes()[:100])
    result = run_cli("catalogue", tmp_path / "tiles", "--out", tmp_path / "cat", check=False)
    assert_one_line_error(result, 1, "corrupt tile result", first.name)
    result = run_cli("score", "--tile", spec, "--model", small_model, "--out", tmp_path / "tiles", "--quiet")
    assert "damaged" in result.stdout + result.stderr and "scored 1 tiles" in result.stdout
    assert second.read_bytes() == kept  # the finished tile was not touched
    run_cli("catalogue", tmp_path / "tiles", "--out", tmp_path / "cat")


def test_sigkill_mid_run_then_rerun_gives_the_uninterrupted_catalogue(tmp_path, small_model):
    spec = f"nside=128:{TILE * 16}-{TILE * 16 + 7}"
    run_cli("score", "--tile", spec, "--model", small_model, "--batch-size", 4, "--out", tmp_path / "clean", "--quiet")
    run_cli("catalogue", tmp_path / "clean", "--out", tmp_path / "clean-cat")

    # a fresh cache, so the interrupted run has real work in flight when it is killed; small batches
    # in both runs, so that tiles finish one after another (a batch is filled across tiles)
    env = dict(os.environ, RINGSKY_CACHE=str(tmp_path / "cache"))
    command = [sys.executable, "-m", "ringsky.cli", "score", "--tile", spec, "--model", str(small_model),
               "--batch-size", "4", "--out", str(tmp_path / "killed"), "--quiet"]
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while len(list((tmp_path / "killed").glob("*.parquet"))) < 3 and time.time() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    finished = len(list((tmp_path / "killed").glob("*.parquet")))
    assert 3 <= finished < 8, "the run was not interrupted mid-way"

    stale = tmp_path / "killed" / ".nside128-ipix000000.parquet.0123abcd.part"  # as a write cut short leaves
    stale.write_bytes(b"PAR1")
    result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0 and f"skipped {finished} finished" in result.stdout
    assert not list((tmp_path / "killed").glob(".*.part"))  # swept by the rerun
    run_cli("catalogue", tmp_path / "killed", "--out", tmp_path / "killed-cat")
    clean = Table.read(tmp_path / "clean-cat" / "catalogue.fits")
    resumed = Table.read(tmp_path / "killed-cat" / "catalogue.fits")
    assert len(clean) > 100
    for name in clean.colnames:  # masked where unknown (the sky's redshifts) alike, equal elsewhere
        unknown = np.ma.getmaskarray(clean[name])
        assert np.array_equal(unknown, np.ma.getmaskarray(resumed[name])), name
        assert (np.ma.getdata(clean[name])[~unknown] == np.ma.getdata(resumed[name])[~unknown]).all(), name
    assert (tmp_path / "killed-cat" / "coverage.moc.fits").read_bytes() == (tmp_path / "clean-cat" / "coverage.moc.fits").read_bytes()


def _flip_data_bytes(path):
    """Damage the first column's data pages, leaving the file's footer (and so its schema) intact."""
    data = bytearray(path.read_bytes())
    for k in range(40, 48):
        data[k] ^= 0xFF
    path.write_bytes(bytes(data))


def _foreign_parquet(path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"x": [1, 2, 3]}), path)


def _another_tiles_result(path):
    others = sorted(path.parent.glob("*.parquet"))
    path.write_bytes(next(p for p in others if p != path).read_bytes())


@pytest.mark.parametrize("damage, reason", [
    (_flip_data_bytes, ""),
    (_foreign_parquet, "its columns are x, not a ringsky tile result's"),
    (_another_tiles_result, "it holds the results of tile"),
])
def test_a_tile_result_is_finished_only_when_it_reads_back_as_ringskys(tmp_path, small_model, damage, reason):
    spec = f"nside=128:{TILE * 16}-{TILE * 16 + 1}"
    run_cli("score", "--tile", spec, "--model", small_model, "--out", tmp_path / "tiles", "--quiet")
    first, second = sorted((tmp_path / "tiles").glob("*.parquet"))
    damage(first)
    result = run_cli("catalogue", tmp_path / "tiles", "--out", tmp_path / "cat", check=False)
    assert_one_line_error(result, 1, f"corrupt tile result {first}", reason)
    result = run_cli("score", "--tile", spec, "--model", small_model, "--out", tmp_path / "tiles", "--quiet")
    assert f"{first} is damaged" in result.stderr and "scored 1 tiles" in result.stdout
    run_cli("catalogue", tmp_path / "tiles", "--out", tmp_path / "cat")


def test_a_tile_name_out_of_range_is_refused_by_the_catalogue(tmp_path, small_model):
    run_cli("score", "--tile", f"nside=32:{TILE}", "--model", small_model, "--out", tmp_path, "--quiet")
    (tmp_path / "nside32-ipix99999.parquet").write_bytes(next(tmp_path.glob("*.parquet")).read_bytes())
    result = run_cli("catalogue", tmp_path, "--out", tmp_path / "cat", check=False)
    assert_one_line_error(result, 1, "nside32-ipix99999", "out of range")


@pytest.mark.parametrize("scheduler", ["none", "local"])
def test_sigterm_ends_a_run_as_ctrl_c_does_keeping_finished_tiles_and_no_part_files(tmp_path, small_model, scheduler):
    """In this process or on a LocalCluster. A Dask worker stopped mid-pack may leave a pack's
    .part file in the cache: the next run that writes beside it sweeps it (tests/test_packs.py)."""
    spec = f"nside=128:{TILE * 16}-{TILE * 16 + 7}"
    env = dict(os.environ, RINGSKY_CACHE=str(tmp_path / "cache"))
    command = [sys.executable, "-m", "ringsky.cli", "score", "--tile", spec, "--model", str(small_model),
               "--batch-size", "4", "--scheduler", scheduler, "--workers", "1", "--out", str(tmp_path / "tiles"),
               "--quiet"]
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 300
    while not list((tmp_path / "tiles").glob("*.parquet")) and time.time() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    finished = list((tmp_path / "tiles").glob("*.parquet"))
    assert process.returncode == 130 and stderr.strip() == "ringsky: interrupted; finished tiles are kept"
    assert 1 <= len(finished) < 8, "the run was not interrupted mid-way"
    left = tmp_path if scheduler == "none" else tmp_path / "tiles"
    assert not [p for p in left.rglob("*") if p.name.endswith(".part")]


@pytest.mark.parametrize("name, content, fragment", [
    ("junk.fits", b"junk\x00\xff" * 100, "cannot read catalogue"),
    ("junk.vot", bytes(range(256)) * 10, "cannot read catalogue"),
    ("table.csv", b"a,b\n1,2\n", "is not a ringsky catalogue: it lacks source_id"),
    ("empty.fits", b"", "cannot read catalogue"),
])
def test_the_explorer_on_a_file_that_is_not_a_catalogue_is_one_line(tmp_path, name, content, fragment):
    (tmp_path / name).write_bytes(content)
    result = run_cli("app", tmp_path / name, "--no-browser", check=False, timeout=60)
    assert_one_line_error(result, 1, fragment)
