"""Score tiles: cutouts -> classifier -> one result file of ring probabilities per tile
(:mod:`ringsky.results`).

A result is written atomically, so it is complete or absent; a rerun skips the tiles already
on disk (``force`` redoes them), which makes an interrupted run resumable.
"""
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from .. import RingskyError
from ..fileio import remove_stale_parts
from .packs import tile_pictures
from .prefetch import prefetch
from ..results import is_finished, result_path, result_table, run_provenance, write_result

def input_batches(tiles, source, classifier, batch_size):
    """Full batches of model inputs drawn across tile boundaries (small tiles would otherwise
    make small batches, which run slower per galaxy): (inputs or None, pieces), a piece
    (tile, galaxies, start, stop) naming the rows of one tile that the batch holds, in order.
    A tile without galaxies is a piece with no rows. Pictures come from the tile's pack when the
    cache holds one (:mod:`ringsky.pipeline.packs`)."""
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
    provenance = run_provenance(classifier, source)
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
                yield tile, result_table(tile, galaxies, tile_probabilities, classifier.config.model_id, provenance)


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
    return [tile for tile in tiles if force or not is_finished(result_path(out_dir, tile))]


def score_tiles(tiles, source, classifier, out_dir, force=False, batch_size=256, progress=True):
    """Score each tile not yet on disk, in this process; return what was done."""
    check_writable(out_dir)
    started = time.time()
    todo = tiles_to_do(tiles, out_dir, force)
    summary = ScoreSummary(skipped=len(tiles) - len(todo))
    with tqdm(total=len(todo), desc="tiles", unit="tile", disable=not progress) as bar:
        for tile, table in scored_tiles(todo, source, classifier, batch_size):
            write_result(table, result_path(out_dir, tile))
            summary.tiles += 1
            summary.galaxies += table.num_rows
            bar.update()
    summary.seconds = time.time() - started
    return summary
