"""Tile packs: a scored tile's decoded pictures kept in one file, read when the tile is scored again."""
import os
import shutil
import time

import numpy as np
import pyarrow.parquet as pq
import pytest

from ringsky import RingskyError
from ringsky.config import conf
from ringsky.learn.models import load_classifier
from ringsky.pipeline.packs import STALE_PART_SECONDS, pack_path, tile_pictures
from ringsky.pipeline.score import score_tiles
from ringsky.sources.folder import FolderSource, write_simulated_folder
from ringsky.tiles import parse_tile_spec

N = 40


@pytest.fixture(scope="module")
def simulated_folder(tmp_path_factory):
    path = tmp_path_factory.mktemp("packs") / "folder"
    write_simulated_folder(path, N, seed=5, ring_fraction=0.5, npix=32)
    return path


@pytest.fixture
def folder(simulated_folder, tmp_path):
    """A copy of a folder of N simulated 32 px PNG cutouts, with a cache of its own."""
    shutil.copytree(simulated_folder, tmp_path / "folder")
    with conf.set_temp("cache_dir", str(tmp_path / "cache")):
        yield tmp_path / "folder"


def score(folder, model, out, batch_size=4):
    """Probabilities by galaxy id, scored from a freshly opened folder source."""
    source = FolderSource(folder)
    tiles = parse_tile_spec("nside=32").resolve(source.footprint)
    score_tiles(tiles, source, load_classifier(model), out, force=True, batch_size=batch_size, progress=False)
    rows = [pq.read_table(path).to_pydict() for path in sorted(out.glob("*.parquet"))]
    return {i: p for row in rows for i, p in zip(row["id"], row["probability"])}


def packs(cache):
    return sorted((cache / "packs").rglob("*.npy"))


def test_rescoring_reads_the_tile_packs_not_the_cutouts(folder, small_model, tmp_path):
    first = score(folder, small_model, tmp_path / "first")
    assert len(first) == N
    written = packs(tmp_path / "cache")
    tiles = len(parse_tile_spec("nside=32").resolve(FolderSource(folder).footprint))
    assert len(written) == tiles > 1
    assert sum(len(np.load(path, mmap_mode="r")) for path in written) == N

    shutil.copytree(folder / "images", tmp_path / "images")
    shutil.rmtree(folder / "images")
    assert score(folder, small_model, tmp_path / "again") == first

    written[0].write_bytes(written[0].read_bytes()[:200])  # a damaged pack is made again
    shutil.copytree(tmp_path / "images", folder / "images")
    assert score(folder, small_model, tmp_path / "repaired") == first
    assert np.load(written[0]).shape[1:] == (32, 32, 3)

    stat = (folder / "catalogue.csv").stat()  # an edited manifest gets packs of its own
    os.utime(folder / "catalogue.csv", ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert score(folder, small_model, tmp_path / "edited") == first
    assert len(packs(tmp_path / "cache")) == 2 * tiles


def test_a_tile_that_fails_midway_leaves_no_pack(folder, small_model, tmp_path):
    source = FolderSource(folder)
    tiles = parse_tile_spec("nside=32").resolve(source.footprint)
    last = source.galaxies(tiles[-1])
    (folder / last["image"][-1]).write_bytes(b"not a PNG")  # its other rows are read first
    with pytest.raises(RingskyError, match="cannot read cutout"):
        score(folder, small_model, tmp_path / "out", batch_size=2)
    assert not any(path.name.endswith(".part") for path in (tmp_path / "cache").rglob("*"))
    assert not pack_path(source, tiles[-1], last, 32, "rgb").exists()
    assert packs(tmp_path / "cache") == sorted(pack_path(source, tile, source.galaxies(tile), 32, "rgb")
                                               for tile in tiles[:-1])


def test_a_changed_parent_list_or_packs_off_reads_the_cutouts(folder, small_model, tmp_path):
    source = FolderSource(folder)
    tile = parse_tile_spec("nside=32").resolve(source.footprint)[0]
    galaxies = source.galaxies(tile)
    assert pack_path(source, tile, galaxies, 32, "rgb") != pack_path(source, tile, galaxies[:-1], 32, "rgb")
    assert pack_path(source, tile, galaxies, 32, "rgb") != pack_path(source, tile, galaxies, 32, "ugriz")
    with tile_pictures(source, tile, galaxies, 32) as read:  # rows left unread: no pack
        assert read(0, 2).shape == (2, 32, 32, 3)
    assert not packs(tmp_path / "cache")
    with conf.set_temp("tile_packs", False):
        score(folder, small_model, tmp_path / "out")
        assert pack_path(source, tile, galaxies, 32, "rgb") is None
    assert not packs(tmp_path / "cache")


def test_a_cache_that_cannot_take_the_pack_is_one_line_and_leaves_no_part_file(folder, tmp_path, small_model):
    """A write limit (RLIMIT_FSIZE, as a full disk would) under the pack's size: the pack's plain
    writes fail with an error, where writes through a memory map would kill the process."""
    import resource
    import signal
    import subprocess
    import sys

    from conftest import REPO, assert_one_line_error

    def limited():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write then fails with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))  # a pack of 40 32 px pictures is 123 kB

    result = subprocess.run([sys.executable, "-m", "ringsky.cli", "score", "--tile", "nside=1", "--survey",
                             f"folder:{folder}", "--model", str(small_model), "--cache", str(tmp_path / "cache"),
                             "--out", str(tmp_path / "out"), "--quiet"],
                            cwd=REPO, capture_output=True, text=True, preexec_fn=limited, timeout=300)
    assert_one_line_error(result, 1, "cannot write tile pack", "File too large")
    assert not [p for p in (tmp_path / "cache").rglob("*") if p.name.endswith(".part")]
    assert not list((tmp_path / "out").glob("*.parquet"))


def test_a_pack_left_half_written_by_a_killed_run_is_swept_once_idle(folder, small_model, tmp_path):
    source = FolderSource(folder)
    tile = parse_tile_spec("nside=32").resolve(source.footprint)[0]
    where = pack_path(source, tile, source.galaxies(tile), 32, "rgb").parent
    where.mkdir(parents=True)
    stale, live = where / ".old.npy.1.part", where / ".busy.npy.2.part"  # a killed run's, another run's
    stale.write_bytes(b"x" * 100)
    live.write_bytes(b"x" * 100)
    idle = time.time() - STALE_PART_SECONDS - 60
    os.utime(stale, (idle, idle))
    score(folder, small_model, tmp_path / "out")
    assert not stale.exists() and live.exists()
    assert len(packs(tmp_path / "cache")) > 0
