"""Scoring on Dask: tiles as tasks on a LocalCluster or a running scheduler, surviving a killed worker."""
import os
import signal

import numpy as np
import pytest
from conftest import assert_one_line_error, config_home, run_cli

from ringsky.catalogue.files import write_catalogue
from ringsky.pipeline.dask_runner import ScoreJob, score_tiles_on
from ringsky.learn.models import load_classifier
from ringsky.pipeline.score import score_tiles
from ringsky.sources.simulated import SimulatedSky
from ringsky.tiles import parse_tile_spec

dask_distributed = pytest.importorskip("dask.distributed")


@pytest.fixture(scope="module")
def cluster():
    with dask_distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                       dashboard_address=None) as cluster, dask_distributed.Client(cluster) as client:
        yield cluster, client


def catalogue_rows(tiles_dir, out_dir):
    table = write_catalogue(tiles_dir, out_dir)
    table.sort("source_id")
    return table


def test_a_killed_worker_still_gives_the_complete_identical_catalogue(tmp_path, small_model, cluster):
    _, client = cluster
    source = SimulatedSky()
    tiles = parse_tile_spec("nside=128:108992-109007").resolve(source.footprint)  # one nside=32 cell, 16 tiles
    single = score_tiles(tiles, source, load_classifier(small_model), tmp_path / "single", progress=False)

    pids = client.run(os.getpid)
    killed = []

    def kill_a_busy_worker(_):
        if killed:
            return
        busy = max(client.processing().items(), key=lambda item: len(item[1]))
        if busy[1]:  # a worker with tasks in hand: they must be redone elsewhere or after its restart
            os.kill(pids[busy[0]], signal.SIGKILL)
            killed.append(busy[0])

    job = ScoreJob(out_dir=str(tmp_path / "dask"), model=str(small_model), cache_dir=os.environ["RINGSKY_CACHE"])
    summary = score_tiles_on(client, tiles, job, progress=False, on_result=kill_a_busy_worker)
    assert killed, "no worker was busy when the first tile finished"
    assert summary.tiles == len(tiles) == 16 and summary.galaxies == single.galaxies

    ours, theirs = catalogue_rows(tmp_path / "dask", tmp_path / "c1"), catalogue_rows(tmp_path / "single", tmp_path / "c2")
    assert len(ours) == len(theirs) == len(set(ours["source_id"]))  # complete, and no row twice
    for column in ("name", "source_id", "ra", "dec", "healpix", "ring_flag"):
        assert np.array_equal(ours[column], theirs[column]), column
    # One process fills its batches across tiles, a Dask task batches one tile: the same
    # galaxies meet different batch sizes, and the kernels round differently.
    # (measured: 6e-8 at most)
    assert np.abs(ours["ring_probability"] - theirs["ring_probability"]).max() < 1e-6


def test_cli_on_a_running_scheduler_then_skips_finished_tiles(tmp_path, small_model, cluster):
    local, _ = cluster
    spec = "nside=64:27248-27251"
    result = run_cli("score", "--tile", spec, "--model", small_model, "--out", tmp_path / "tiles",
                     "--scheduler", local.scheduler_address, "--quiet")
    assert "scored 4 tiles" in result.stdout and f"({local.scheduler_address})" in result.stdout
    assert len(list((tmp_path / "tiles").glob("*.parquet"))) == 4
    result = run_cli("score", "--tile", spec, "--model", small_model, "--out", tmp_path / "tiles",
                     "--scheduler", local.scheduler_address, "--quiet")
    assert "scored 0 tiles" in result.stdout and "skipped 4 finished" in result.stdout


def test_unreachable_scheduler_is_one_line(tmp_path, small_model):
    result = run_cli("score", "--tile", "nside=32:6812", "--model", small_model, "--out", tmp_path,
                     "--scheduler", "tcp://127.0.0.1:9", "--quiet", check=False,
                     env={"XDG_CONFIG_HOME": str(config_home(tmp_path, scheduler_timeout=2.0))})
    assert_one_line_error(result, 1, "cannot reach the Dask scheduler at tcp://127.0.0.1:9")
