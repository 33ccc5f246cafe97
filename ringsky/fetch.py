"""``ringsky fetch``: fill the cutout cache of some tiles ahead of scoring.

Fetching and scoring are separate so that a slow or flaky service is met once, with
retries and a summary of what failed, and scoring then runs from disk. A failed cutout
does not stop the others; a rerun fetches only what is still missing.
"""
import time
from dataclasses import dataclass

from tqdm import tqdm


@dataclass
class FetchSummary:
    tiles: int
    galaxies: int
    failed: int
    seconds: float


def fetch_tiles(tiles, source, npix, progress=True):
    """Cache the cutouts of every galaxy in ``tiles``; sources without a network (the simulated
    sky, folders) render or read theirs, which fills their own caches."""
    start = time.perf_counter()
    galaxies = failed = 0
    bar = tqdm(total=0, unit="gal", disable=not progress, desc="fetch")
    for tile in tiles:
        rows = source.galaxies(tile)
        galaxies += len(rows)
        bar.total += len(rows)
        bar.refresh()
        if hasattr(source, "fetch"):
            failed += len(source.fetch(rows, npix, progress=bar))
        else:
            source.cutouts(rows, npix)
            bar.update(len(rows))
    bar.close()
    return FetchSummary(len(tiles), galaxies, failed, time.perf_counter() - start)
