"""``ringsky fetch``: fill the cutout cache of some tiles ahead of scoring.

Fetching and scoring are separate so that a slow or flaky service is met once, with
retries and a summary of what failed, and scoring then runs from disk. A failed cutout
does not stop the others; a rerun fetches only what is still missing. With ``--folder`` the
fetched cutouts also become a folder source, the labelled set that train, crossval and
evaluate read when the parent list is a training table.
"""
import time
from dataclasses import dataclass, field

import numpy as np
from astropy.table import vstack
from tqdm import tqdm

from .. import RingskyError


@dataclass
class FetchSummary:
    tiles: int
    galaxies: int
    failed: int
    seconds: float
    failed_ids: list = field(default_factory=list)


def fetch_tiles(tiles, source, npix, progress=True):
    """Cache the cutouts of every galaxy in ``tiles``; sources without a network (the simulated
    sky, folders) render or read theirs, which fills their own caches."""
    start = time.perf_counter()
    galaxies, failed = 0, []
    bar = tqdm(total=0, unit="gal", disable=not progress, desc="fetch")
    for tile in tiles:
        rows = source.galaxies(tile)
        galaxies += len(rows)
        bar.total += len(rows)
        bar.refresh()
        if hasattr(source, "fetch"):
            failed += source.fetch(rows, npix, progress=bar)
        else:
            source.cutouts(rows, npix)
            bar.update(len(rows))
    bar.close()
    return FetchSummary(len(tiles), galaxies, len(failed), time.perf_counter() - start, failed)


def write_fetched_folder(out, tiles, source, npix, failed=()):
    """The cutouts of ``tiles`` (now in the cache) as a folder source, ``folder:OUT``: PNGs and a
    manifest with each galaxy's position, field width and the parent table's other columns,
    a training table's ``label`` as the ``ring`` truth. Galaxies whose cutout failed are left out.
    Returns the manifest."""
    from ..sources.folder import write_cutout_folder

    failed = set(failed)
    tables, images = [], []
    for tile in tiles:
        rows = source.galaxies(tile)
        rows = rows[np.array([str(i) not in failed for i in rows["id"]], dtype=bool)]
        if len(rows):
            rows["field_arcsec"] = source.fields(rows, npix)
            tables.append(rows)
            images.append(source.cutouts(rows, npix))
    if not tables:
        raise RingskyError(f"--folder {out}: no cutout was fetched, nothing to write")
    table = vstack(tables)
    if "label" in table.colnames and "ring" not in table.colnames:
        table.rename_column("label", "ring")
    return write_cutout_folder(out, table, np.concatenate(images))
