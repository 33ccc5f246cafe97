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
from .fileio import atomic_path, failures_named, remove_stale_parts
from .hosts import HOST_COLUMNS, host_values
from .packs import tile_pictures
from .prefetch import prefetch
from .tiles import Tile

RESULT_COLUMNS = ("id", "ra", "dec", "healpix_nside", "healpix_ipix", "probability", "model_id") + tuple(HOST_COLUMNS)


class TileResultError(RingskyError):
    """A tile result on disk that cannot be read."""


def tile_path(out_dir, tile):
    return Path(out_dir) / f"{tile.name}.parquet"


def _problem(table, path):
    """Why ``table`` read from ``path`` is not a ringsky tile result for that file's tile, or None."""
    if tuple(table.column_names) != RESULT_COLUMNS:
        return f"its columns are {', '.join(table.column_names)}, not a ringsky tile result's"
    try:
        tile = Tile.from_name(path.stem)
    except RingskyError as error:
        return f"its name is not a tile's ({error})"
    named = (table.schema.metadata or {}).get(b"ringsky.tile", b"").decode()
    if named != tile.name:
        return f"it holds the results of tile {named or '(none)'}"
    if table.num_rows and (set(table["healpix_ipix"].to_pylist()) != {tile.ipix}
                           or set(table["healpix_nside"].to_pylist()) != {tile.nside}):
        return "its rows belong to another tile"
    return None


def _checked(path):
    """(the Table, None) for a sound ringsky tile result, else (None, what is wrong with it): every
    data page is read and checked against the checksum written with it."""
    try:
        table = pq.read_table(path, page_checksum_verification=True)
    except (OSError, pa.ArrowException) as error:
        return None, str(error).splitlines()[0]
    problem = _problem(table, path)
    return (None, problem) if problem else (table, None)


def read_tile(path):
    """A tile result as a pyarrow Table, or TileResultError naming the file and what is wrong."""
    table, problem = _checked(Path(path))
    if problem:
        raise TileResultError(f"corrupt tile result {path} ({problem}); delete it or rerun 'ringsky score' "
                              "with --force")
    return table


def is_finished(path):
    """True when a sound ringsky result for the tile is on disk; one that is damaged or not
    ringsky's is reported and scored again."""
    if not path.exists():
        return False
    _, problem = _checked(path)
    if problem:
        tqdm.write(f"ringsky: {path} is damaged ({problem}); scoring that tile again", file=sys.stderr)
    return problem is None


def input_batches(tiles, source, classifier, batch_size):
    """Full batches of model inputs drawn across tile boundaries (small tiles would otherwise
    make small batches, which run slower per galaxy): (inputs or None, pieces), a piece
    (tile, galaxies, start, stop) naming the rows of one tile that the batch holds, in order.
    A tile without galaxies is a piece with no rows. Pictures come from the tile's pack when the
    cache holds one (:mod:`ringsky.packs`)."""
    npix, planes = classifier.config.picture_size, classifier.config.planes
    pieces, images, held = [], [], 0
    for tile in tiles:
        galaxies = source.galaxies(tile)
        with tile_pictures(source, tile, galaxies, npix, planes) as read:
            start = 0
            while True:
                stop = min(len(galaxies), start + batch_size - held)
                pieces.append((tile, galaxies, start, stop))
                if stop > start:
                    images.append(read(start, stop))
                    held += stop - start
                if held == batch_size:
                    yield classifier.inputs(np.concatenate(images)), pieces
                    pieces, images, held = [], [], 0
                start = stop
                if start >= len(galaxies):
                    break
    if pieces:
        yield (classifier.inputs(np.concatenate(images)) if images else None), pieces


def scored_tiles(tiles, source, classifier, batch_size=256, ahead=2):
    """Yield (tile, result table) for each tile, in order. Cutouts for the next ``ahead`` batches
    are read and decoded in a thread while the model runs; memory holds those batches and one
    tile's probabilities, whatever the tile size."""
    for inputs, pieces in prefetch(input_batches(tiles, source, classifier, batch_size), ahead):
        probabilities = classifier.probabilities(inputs) if inputs is not None else None
        offset = 0
        for tile, galaxies, start, stop in pieces:
            if start == 0:
                tile_probabilities = np.empty(len(galaxies), dtype=np.float32)
            if stop > start:
                tile_probabilities[start:stop] = probabilities[offset:offset + stop - start]
                offset += stop - start
            if stop == len(galaxies):
                yield tile, result_table(tile, galaxies, tile_probabilities, classifier, source)


def result_table(tile, galaxies, probabilities, classifier, source):
    """One tile's results as a pyarrow Table with provenance in its metadata: the host
    properties the parent list gives (:mod:`ringsky.hosts`, null where it gives none) travel
    with each galaxy."""
    n = len(galaxies)
    table = pa.table({
        "id": pa.array([str(i) for i in galaxies["id"]], pa.string()),
        "ra": pa.array(np.asarray(galaxies["ra"], dtype=np.float64)),
        "dec": pa.array(np.asarray(galaxies["dec"], dtype=np.float64)),
        "healpix_nside": pa.array(np.full(n, tile.nside, dtype=np.int32)),
        "healpix_ipix": pa.array(np.full(n, tile.ipix, dtype=np.int64)),
        "probability": pa.array(probabilities),
        "model_id": pa.array([classifier.config.model_id] * n, pa.string()),
        **{name: pa.array(values, mask=np.isnan(values)) for name, values in host_values(galaxies).items()},
    })
    crossval = classifier.config.metrics.get("crossval", {})
    return table.replace_schema_metadata({
        "ringsky.model_id": classifier.config.model_id,
        "ringsky.threshold": repr(classifier.config.threshold),
        "ringsky.expected_precision": str(crossval.get("expected_precision", "")),
        "ringsky.ring_fraction": str(crossval.get("ring_fraction", "")),
        "ringsky.survey": source.name,
        "ringsky.parents": getattr(source, "parents_name", source.name),
        "ringsky.tile": tile.name,
    })


def write_tile(table, path):
    """Write one tile's result atomically, with page checksums, so later reads can tell damage."""
    with atomic_path(path) as temporary, failures_named(path):
        pq.write_table(table, temporary, write_page_checksum=True)


@dataclass
class ScoreSummary:
    tiles: int = 0
    skipped: int = 0
    galaxies: int = 0
    seconds: float = 0.0


def check_writable(out_dir):
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out_dir):
            pass
    except OSError as error:
        raise RingskyError(f"cannot write to output folder {out_dir}: {error.strerror or error}") from error


def tiles_to_do(tiles, out_dir, force=False):
    """The tiles without a finished result in ``out_dir`` (all of them with ``force``); what a
    killed run left half-written there is removed first."""
    remove_stale_parts(out_dir)
    return [tile for tile in tiles if force or not is_finished(tile_path(out_dir, tile))]


def score_tiles(tiles, source, classifier, out_dir, force=False, batch_size=256, progress=True):
    """Score each tile not yet on disk, in this process; return what was done."""
    check_writable(out_dir)
    started = time.time()
    todo = tiles_to_do(tiles, out_dir, force)
    summary = ScoreSummary(skipped=len(tiles) - len(todo))
    with tqdm(total=len(todo), desc="tiles", unit="tile", disable=not progress) as bar:
        for tile, table in scored_tiles(todo, source, classifier, batch_size):
            write_tile(table, tile_path(out_dir, tile))
            summary.tiles += 1
            summary.galaxies += table.num_rows
            bar.update()
    summary.seconds = time.time() - started
    return summary
