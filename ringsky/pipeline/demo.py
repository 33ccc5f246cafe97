"""The main job on the embedded default: score the simulated sky with the shipped model,
write the demo catalogue, and check it against the simulator's truth."""
import importlib.util
import time

import numpy as np

from ..catalogue.files import write_catalogue
from ..catalogue.crossids import default_matches
from ..learn.models import load_classifier
from .score import score_tiles
from ..sources.simulated import SimulatedSky
from ..tiles import TileSpec


def run_demo(out, work, model=None, progress=True):
    started = time.time()
    source = SimulatedSky()
    tiles = TileSpec(32, None).resolve(source.footprint)
    classifier = load_classifier(model)
    summary = score_tiles(tiles, source, classifier, work, progress=progress)
    hats = all(importlib.util.find_spec(name) for name in ("lsdb", "hats_import"))  # the [hats] extra (make demo has it)
    table = write_catalogue(work, out, default_matches(), hats=hats)  # as ringsky catalogue does by default
    seconds = time.time() - started

    truth = {}
    for tile in tiles:
        galaxies = source.galaxies(tile)
        truth.update(zip(galaxies["id"], galaxies["is_ring"]))
    is_ring = np.array([truth[i] for i in table["source_id"]])
    flagged = np.asarray(table["ring_flag"])
    true_positive = int((flagged & is_ring).sum())
    precision = true_positive / max(1, flagged.sum())
    recall = true_positive / max(1, is_ring.sum())
    print(f"tiles: {len(tiles)} ({table.meta['TILES']}; {summary.tiles} scored now, {summary.skipped} already done)\n"
          f"galaxies scored: {len(table)}\n"
          f"rings found: {int(flagged.sum())} at threshold {table.meta['THRESH']:.3f} "
          f"(model {table.meta['MODELID']})\n"
          f"against the simulated truth ({int(is_ring.sum())} rings): precision {precision:.3f}, recall {recall:.3f}\n"
          f"wall time: {seconds:.1f} s\n"
          f"catalogue: {out}/catalogue.fits, {out}/catalogue.vot, {out}/coverage.moc.fits"
          + (f", {out}/catalogue.hats" if hats else ""))
