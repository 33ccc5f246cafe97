"""Scoring throughput: end-to-end scoring against model-only forward passes, and Dask workers.

    python scripts/bench_score.py [--tile nside=64] [--model PATH] [--batch-size 256]

On the simulated sky (cutouts on disk as one PNG per galaxy, the same reads as a folder source):
(a) model-only: forward passes over the same galaxies' pictures, already decoded and normalised;
(b) end-to-end in one process: ``score_tiles`` (parent list, PNG reads and decoding in a prefetch
    thread, batching, model, parquet writes), with the cutout cache warm, and once cold
    (every cutout rendered by the simulator first);
(c) their ratio, warm;
(d) end-to-end on a Dask LocalCluster of 1 worker (all cores) and of 2 workers (cores split),
    timed after a warm-up pass that starts the workers and loads the model.
Ratios, not absolute rates, are what to compare on a noisy machine.
"""
import argparse
import os
import tempfile
import time

import torch
from astropy.table import vstack

from ringsky.cluster import ScoreJob, connect, local_torch_threads, score_tiles_on
from ringsky.config import conf
from ringsky.models import load_classifier
from ringsky.score import score_tiles
from ringsky.sources.simulated import SimulatedSky
from ringsky.tiles import parse_tile_spec


def model_only_rate(classifier, images, batch_size, repeats=3):
    """Galaxies/s of the network alone on pre-decoded, pre-normalised tensors (best of repeats)."""
    batches = [classifier.inputs(images[i:i + batch_size]) for i in range(0, len(images), batch_size)]
    classifier.outputs(batches[0])
    best = 0.0
    for _ in range(repeats):
        started = time.perf_counter()
        for batch in batches:
            classifier.outputs(batch)
        best = max(best, len(images) / (time.perf_counter() - started))
    return best


def end_to_end_rate(tiles, classifier, batch_size, repeats=1):
    best = 0.0
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as out:
            summary = score_tiles(tiles, SimulatedSky(), classifier, out, force=True, batch_size=batch_size,
                                  progress=False)
        best = max(best, summary.galaxies / summary.seconds)
    return best


def dask_rate(tiles, model, batch_size, workers):
    with connect("local", workers) as client, tempfile.TemporaryDirectory() as out:
        job = ScoreJob(out_dir=out, model=model, batch_size=batch_size, cache_dir=conf.cache_dir,
                       torch_threads=local_torch_threads(workers))
        score_tiles_on(client, tiles, job, force=True, progress=False)
        best = 0.0
        for _ in range(2):
            summary = score_tiles_on(client, tiles, job, force=True, progress=False)
            best = max(best, summary.galaxies / summary.seconds)
        return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tile", default="nside=64")
    parser.add_argument("--model")
    parser.add_argument("--batch-size", type=int, default=conf.batch_size)
    args = parser.parse_args()

    source = SimulatedSky()
    tiles = parse_tile_spec(args.tile).resolve(source.footprint)
    classifier = load_classifier(args.model)
    print(f"model {classifier.config.model_id}, {classifier.config.input_size} px; {len(tiles)} tiles of "
          f"{source.name}; torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPUs")

    with tempfile.TemporaryDirectory() as cache, conf.set_temp("cache_dir", cache):
        cold = end_to_end_rate(tiles, classifier, args.batch_size)
        warm = end_to_end_rate(tiles, classifier, args.batch_size, repeats=3)
        galaxies = vstack([source.galaxies(t) for t in tiles])
        images = source.cutouts(galaxies, classifier.config.input_size)
        model = model_only_rate(classifier, images, args.batch_size)
        one, two = (dask_rate(tiles, args.model, args.batch_size, workers) for workers in (1, 2))
    print(f"(a) model-only forward:             {model:8.1f} galaxies/s ({len(galaxies)} galaxies)")
    print(f"(b) end-to-end, one process, warm:  {warm:8.1f} galaxies/s (cold cache, rendering: {cold:.1f})")
    print(f"(c) ratio end-to-end / model-only:  {warm / model:.3f} (cold {cold / model:.3f})")
    print(f"(d) Dask LocalCluster, warm:        1 worker {one:.1f}, 2 workers {two:.1f} galaxies/s "
          f"(ratio to model-only {one / model:.3f}, {two / model:.3f})")


if __name__ == "__main__":
    main()
