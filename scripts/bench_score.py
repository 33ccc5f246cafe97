"""Scoring throughput: end-to-end scoring against model-only forward passes, and Dask workers.

    python scripts/bench_score.py [--n 1500 | --folder PATH | --survey sim] [--tile nside=64] [--model PATH]
                                  [--repeats 7]

A folder source of ``--n`` simulated galaxies (PNG cutouts at the model's picture size and a
manifest, spread over the simulated sky's footprint) is written first, or ``--folder`` names one
(the real JPEGs of ``../shared/data/gz-decals-rings``), or ``--survey sim`` scores the simulated
sky itself, whose cutouts the warm-up pass renders into a fresh cache (the first passes then
read them back from it). Then come ``--repeats`` rounds of
model-only and end-to-end runs back to back. This machine's speed drifts from second to second,
so each rate is the best over the rounds (the machine at its quietest), each ratio is of those
best rates, and the rounds' own ratios are printed beside it to show the spread:
- model-only: forward passes over the galaxies' pictures, already decoded and normalised;
- in this process (``ringsky score``'s default), from opening the folder to the last tile's
  parquet (parent lists, reading, batching, model, writes), twice: reading and decoding one
  cutout per galaxy (tile packs off, as a first pass), and rescoring from the tile packs
  (``ringsky.pipeline.packs``) that a first pass left in the cache;
- on a Dask LocalCluster of 1 worker (all cores) and of 2 workers (cores split), from the tile
  packs, timed after a warm-up pass that starts the workers and loads the model;
- the producer alone, what the prefetch thread does for the model (parent lists, reading,
  batching, normalising) without the model, in ms of CPU per galaxy.
The last line is ``default path ratio X.XX``: the lower of the first-pass and rescoring ratios.
"""
import argparse
import os
import tempfile
import time

import torch
from astropy.table import vstack

from ringsky.dask_client import connect
from ringsky.pipeline.dask_runner import ScoreJob, local_torch_threads, score_tiles_on
from ringsky.config import conf
from ringsky.learn.models import load_classifier
from ringsky.pipeline.score import input_batches, score_tiles
from ringsky.sources import open_source
from ringsky.sources.folder import write_simulated_folder
from ringsky.tiles import parse_tile_spec


def model_only_rate(classifier, images, batch_size):
    """Galaxies/s of the network alone on pre-decoded, pre-normalised tensors."""
    batches = [classifier.inputs(images[i:i + batch_size]) for i in range(0, len(images), batch_size)]
    started = time.perf_counter()
    for batch in batches:
        classifier.outputs(batch)
    return len(images) / (time.perf_counter() - started)


def end_to_end_rate(survey, tile_spec, classifier, batch_size, packs):
    """Galaxies/s from opening the source to the last tile written."""
    with tempfile.TemporaryDirectory() as out, conf.set_temp("tile_packs", packs):
        started = time.perf_counter()
        source = open_source(survey)
        summary = score_tiles(parse_tile_spec(tile_spec).resolve(source.footprint), source, classifier, out,
                              force=True, batch_size=batch_size, progress=False)
        return summary.galaxies / (time.perf_counter() - started)


def producer_ms(survey, tile_spec, classifier, batch_size, packs):
    """Milliseconds per galaxy of the prefetch thread's work, run alone (best of 3)."""
    best = float("inf")
    with conf.set_temp("tile_packs", packs):
        for _ in range(3):
            started = time.process_time()
            source = open_source(survey)
            tiles = parse_tile_spec(tile_spec).resolve(source.footprint)
            galaxies = sum(len(inputs) for inputs, _ in input_batches(tiles, source, classifier, batch_size)
                           if inputs is not None)
            best = min(best, 1e3 * (time.process_time() - started) / galaxies)
    return best


def dask_rate(survey, tiles, model, batch_size, workers):
    with connect("local", workers) as client, tempfile.TemporaryDirectory() as out:
        job = ScoreJob(out_dir=out, survey=survey, model=model, batch_size=batch_size,
                       cache_dir=conf.cache_dir, torch_threads=local_torch_threads(workers))
        score_tiles_on(client, tiles, job, force=True, progress=False)
        best = 0.0
        for _ in range(2):
            summary = score_tiles_on(client, tiles, job, force=True, progress=False)
            best = max(best, summary.galaxies / summary.seconds)
        return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1500, help="galaxies in the simulated folder source")
    parser.add_argument("--folder", help="score this folder source instead of simulating one (e.g. the real "
                                         "JPEG cutouts of ../shared/data/gz-decals-rings)")
    parser.add_argument("--survey", choices=["sim"], help="score the simulated sky itself")
    parser.add_argument("--tile", default="nside=64")
    parser.add_argument("--model")
    parser.add_argument("--batch-size", type=int, default=conf.batch_size)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()

    classifier = load_classifier(args.model)
    npix = classifier.config.picture_size
    with tempfile.TemporaryDirectory() as simulated_folder, tempfile.TemporaryDirectory() as cache, \
            conf.set_temp("cache_dir", cache):
        survey = args.survey or f"folder:{args.folder or simulated_folder}"
        if not args.folder and not args.survey:
            started = time.perf_counter()
            write_simulated_folder(simulated_folder, args.n, seed=11, ring_fraction=0.1, npix=npix,
                                   workers=conf.workers)
            print(f"simulated {args.n} galaxies ({args.n / (time.perf_counter() - started):.0f}/s) as PNGs")
        end_to_end_rate(survey, args.tile, classifier, args.batch_size, packs=True)  # warm-up: packs (and cache) written
        source = open_source(survey)
        tiles = parse_tile_spec(args.tile).resolve(source.footprint)
        images = source.cutouts(vstack([source.galaxies(t) for t in tiles]), npix)
        print(f"model {classifier.config.model_id}, {classifier.config.input_size} px of {npix} px pictures; "
              f"{len(images)} galaxies in {len(tiles)} tiles of {survey}; torch {torch.__version__}, "
              f"{torch.get_num_threads()} threads, {os.cpu_count()} CPUs")
        rounds = []
        for _ in range(args.repeats):
            rounds.append((model_only_rate(classifier, images, args.batch_size),
                           end_to_end_rate(survey, args.tile, classifier, args.batch_size, packs=False),
                           end_to_end_rate(survey, args.tile, classifier, args.batch_size, packs=True)))
        producer = [producer_ms(survey, args.tile, classifier, args.batch_size, packs) for packs in (False, True)]
        one, two = (dask_rate(survey, tiles, args.model, args.batch_size, workers) for workers in (1, 2))
    model, decoding, packed = (max(column) for column in zip(*rounds))

    def each_round(column):
        return ", ".join(f"{r[column] / r[0]:.2f}" for r in rounds)

    print(f"model-only forward                               {model:8.1f} galaxies/s")
    print(f"in this process, first pass (decode each cutout) {decoding:8.1f} galaxies/s, ratio {decoding / model:.2f} "
          f"(rounds: {each_round(1)})")
    print(f"in this process, rescoring from tile packs       {packed:8.1f} galaxies/s, ratio {packed / model:.2f} "
          f"(rounds: {each_round(2)})")
    print(f"Dask LocalCluster, 1 worker, from packs          {one:8.1f} galaxies/s, ratio {one / model:.2f}")
    print(f"Dask LocalCluster, 2 workers, from packs         {two:8.1f} galaxies/s, ratio {two / model:.2f}")
    print(f"producer alone, CPU per galaxy: first pass {producer[0]:.3f} ms, packs {producer[1]:.3f} ms")
    print(f"default path ratio {min(decoding, packed) / model:.2f} (ringsky score: in this process; the lower of "
          "first pass and rescoring)")


if __name__ == "__main__":
    main()
