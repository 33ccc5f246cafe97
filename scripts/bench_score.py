"""Scoring throughput: end-to-end ``score_tiles`` against model-only forward passes.

    python scripts/bench_score.py [--tile nside=32] [--survey sim] [--model PATH]

(a) model-only: forward passes over the same galaxies' pictures, already decoded and normalised;
(b) end-to-end: ``score_tiles`` (parent list, cutouts, batching, model, parquet writes),
    for the simulated sky once with an empty cutout cache (rendering included) and once warm;
(c) their ratio. Ratios, not absolute rates, are what to compare on a noisy machine.
"""
import argparse
import os
import tempfile
import time

import torch
from astropy.table import vstack

from ringsky.config import conf
from ringsky.models import load_classifier
from ringsky.score import score_tiles
from ringsky.sources import open_source
from ringsky.tiles import parse_tile_spec


def model_only_rate(classifier, images, batch_size, repeats=3):
    """Galaxies/s of the network alone on pre-decoded, pre-normalised tensors (best of repeats)."""
    batches = [classifier.inputs(images[i:i + batch_size]) for i in range(0, len(images), batch_size)]
    classifier.logits(batches[0])
    best = 0.0
    for _ in range(repeats):
        started = time.perf_counter()
        for batch in batches:
            classifier.logits(batch)
        best = max(best, len(images) / (time.perf_counter() - started))
    return best


def end_to_end_rate(tiles, source, classifier, batch_size):
    with tempfile.TemporaryDirectory() as out:
        summary = score_tiles(tiles, source, classifier, out, force=True, batch_size=batch_size, progress=False)
    return summary.galaxies / summary.seconds, summary.galaxies


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tile", default="nside=32")
    parser.add_argument("--survey", default="sim")
    parser.add_argument("--model")
    parser.add_argument("--batch-size", type=int, default=conf.batch_size)
    args = parser.parse_args()

    source = open_source(args.survey)
    tiles = parse_tile_spec(args.tile).resolve(source.footprint)
    classifier = load_classifier(args.model)
    print(f"model {classifier.config.model_id}, {classifier.config.input_size} px; {len(tiles)} tiles of "
          f"{source.name}; torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPUs")

    with tempfile.TemporaryDirectory() as cache, conf.set_temp("cache_dir", cache):
        cold, n = end_to_end_rate(tiles, source, classifier, args.batch_size)
        warm, _ = end_to_end_rate(tiles, source, classifier, args.batch_size)
        galaxies = vstack([source.galaxies(t) for t in tiles])
        images = source.cutouts(galaxies, classifier.config.input_size)
    model = model_only_rate(classifier, images, args.batch_size)
    print(f"(a) model-only forward:          {model:8.1f} galaxies/s ({n} galaxies)")
    print(f"(b) end-to-end, cold cache:      {cold:8.1f} galaxies/s (cutouts made on the fly)")
    print(f"(b) end-to-end, warm cache:      {warm:8.1f} galaxies/s")
    print(f"(c) ratio end-to-end / model-only: cold {cold / model:.3f}, warm {warm / model:.3f}")


if __name__ == "__main__":
    main()
