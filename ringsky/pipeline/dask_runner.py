"""Score tiles as Dask tasks: on a LocalCluster, or on any running Dask scheduler (a laptop's,
or one that dask-jobqueue started on a SLURM cluster).

A task scores one tile and writes its parquet atomically, so a task that is retried after a
worker dies rewrites the same complete file and never duplicates rows. Workers open the
survey and the model once each (cached per process) from a picklable :class:`ScoreJob`.
"""
import os
import time
import uuid
from dataclasses import dataclass
from functools import lru_cache

from tqdm import tqdm

from ..config import conf
from ..results import result_path, write_result
from .score import ScoreSummary, check_writable, scored_tiles, tiles_to_do


@dataclass(frozen=True)
class ScoreJob:
    """Everything a worker needs to score a tile, as plain values."""

    out_dir: str
    survey: str = "sim"
    parents: str = None
    image_format: str = None
    pixscale: float = None
    model: str = None
    batch_size: int = 256
    cache_dir: str = ""
    tile_packs: bool = True
    torch_threads: int = None  # None: the worker's default


@lru_cache(maxsize=4)
def _opened(job):
    import torch

    from ..learn.models import load_classifier
    from ..sources import open_source

    if job.torch_threads:
        torch.set_num_threads(job.torch_threads)
    source = open_source(job.survey, parents=job.parents, image_format=job.image_format, pixscale=job.pixscale)
    return source, load_classifier(job.model)


def score_tile_task(tile, job):
    """Run on a worker: score ``tile`` and write its result; the number of galaxies scored."""
    with conf.set_temp("cache_dir", job.cache_dir), conf.set_temp("tile_packs", job.tile_packs), \
            conf.set_temp("workers", 1):
        source, classifier = _opened(job)
        for _, table in scored_tiles([tile], source, classifier, job.batch_size):
            write_result(table, result_path(job.out_dir, tile))
            return table.num_rows


def score_tiles_on(client, tiles, job, force=False, progress=True, on_result=None):
    """Score the unfinished ``tiles`` as tasks on ``client``; ``on_result(tile)`` is called as each
    finishes (progress, tests). A task whose worker dies is rerun elsewhere by the scheduler; a
    task that raises (a service still down after its own retries) stops the run with its error."""
    from dask.distributed import as_completed

    check_writable(job.out_dir)
    started = time.time()
    todo = tiles_to_do(tiles, job.out_dir, force)
    summary = ScoreSummary(skipped=len(tiles) - len(todo))
    run = uuid.uuid4().hex[:12]  # a fresh key per run: Dask would hand back a held result of an equal key
    futures = {client.submit(score_tile_task, tile, job, key=f"ringsky-score-{tile.name}-{run}"): tile
               for tile in todo}
    with tqdm(total=len(todo), desc="tiles", unit="tile", disable=not progress) as bar:
        for future in as_completed(futures):
            summary.galaxies += future.result()
            summary.tiles += 1
            bar.update()
            if on_result:
                on_result(futures[future])
    summary.seconds = time.time() - started
    return summary


def local_torch_threads(workers):
    """Torch threads per worker so that ``workers`` processes share this machine's cores."""
    return max(1, (os.cpu_count() or 1) // workers)
