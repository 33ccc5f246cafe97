"""Score tiles: cutouts -> classifier -> one parquet of ring probabilities per tile.

A tile's parquet is written atomically, so it is complete or absent; a rerun skips the
tiles already on disk (``force`` redoes them), which makes an interrupted run resumable.
Each file carries its provenance (model id, threshold, survey) in the parquet metadata.
"""
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

from . import RingskyError
from .fileio import atomic_path

RESULT_COLUMNS = ("id", "ra", "dec", "healpix_nside", "healpix_ipix", "probability", "model_id")


class TileResultError(RingskyError):
    """A tile result on disk that cannot be read."""


def tile_path(out_dir, tile):
    return Path(out_dir) / f"{tile.name}.parquet"


def read_tile(path):
    """A tile result as a pyarrow Table, or TileResultError naming the file."""
    try:
        return pq.read_table(path)
    except (OSError, pa.ArrowException) as error:
        raise TileResultError(f"corrupt tile result {path} ({str(error).splitlines()[0]}); "
                              f"delete it or rerun 'ringsky score' with --force") from error


def is_finished(path):
    """True when a readable result exists; a damaged one is reported and scored again."""
    if not path.exists():
        return False
    try:
        pq.read_metadata(path)
        return True
    except (OSError, pa.ArrowException):
        tqdm.write(f"ringsky: {path} is damaged; scoring that tile again", file=sys.stderr)
        return False


def score_tile(tile, source, classifier, batch_size=256):
    """Probabilities for every galaxy ``tile`` owns, as a pyarrow Table with provenance."""
    galaxies = source.galaxies(tile)
    probabilities = np.empty(len(galaxies), dtype=np.float32)
    npix = classifier.config.input_size
    for start in range(0, len(galaxies), batch_size):
        chunk = galaxies[start:start + batch_size]
        probabilities[start:start + batch_size] = classifier.predict(source.cutouts(chunk, npix), batch_size)
    n = len(galaxies)
    table = pa.table({
        "id": pa.array([str(i) for i in galaxies["id"]], pa.string()),
        "ra": pa.array(np.asarray(galaxies["ra"], dtype=np.float64)),
        "dec": pa.array(np.asarray(galaxies["dec"], dtype=np.float64)),
        "healpix_nside": pa.array(np.full(n, tile.nside, dtype=np.int32)),
        "healpix_ipix": pa.array(np.full(n, tile.ipix, dtype=np.int64)),
        "probability": pa.array(probabilities),
        "model_id": pa.array([classifier.config.model_id] * n, pa.string()),
    })
    return table.replace_schema_metadata({
        "ringsky.model_id": classifier.config.model_id,
        "ringsky.threshold": repr(classifier.config.threshold),
        "ringsky.survey": source.name,
        "ringsky.tile": tile.name,
    })


def write_tile(table, path):
    with atomic_path(path) as temporary:
        pq.write_table(table, temporary)


@dataclass
class ScoreSummary:
    tiles: int = 0
    skipped: int = 0
    galaxies: int = 0
    seconds: float = 0.0


def score_tiles(tiles, source, classifier, out_dir, force=False, batch_size=256, progress=True):
    """Score each tile not yet on disk; return what was done."""
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out_dir):
            pass
    except OSError as error:
        raise RingskyError(f"cannot write to output folder {out_dir}: {error.strerror or error}") from error
    summary, started = ScoreSummary(), time.time()
    for tile in tqdm(tiles, desc="tiles", unit="tile", disable=not progress):
        path = tile_path(out_dir, tile)
        if not force and is_finished(path):
            summary.skipped += 1
            continue
        table = score_tile(tile, source, classifier, batch_size)
        write_tile(table, path)
        summary.tiles += 1
        summary.galaxies += table.num_rows
    summary.seconds = time.time() - started
    return summary
