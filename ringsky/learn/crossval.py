"""k-fold cross-validation of one training recipe on a labelled source, over several fold seeds.

A recipe is an initial model (``init``: a ringsky model, an encoder from ``ringsky pretrain``,
``imagenet:ARCH``, a weights file, or none) and the settings of ``ringsky train`` (depth,
crop, augmentation, injection, ...). For each fold seed the galaxies are dealt into stratified
folds by a hash of (seed, id), so every recipe run with the same seeds sees the same folds;
each fold is then the test set once. With ``holdout`` (the default of ``ringsky train``) the
next fold validates and picks the best epoch; without it the model trains on every other fold
for a fixed number of epochs, as a final model trained on all labels would. ``as_is`` scores
the initial model without training.

Beside the recipe, on the same folds, the baseline that learns nothing: each galaxy ranked by
the colour of its centre (``redness``). Real rings are mostly red S0/a discs, so a model has
learnt rings only where it beats that, overall and inside bins of matched colour: the
colour-controlled AUC is the mean ROC AUC inside quartiles of the colour, of each seed's
out-of-fold predictions. Every out-of-fold prediction is kept, for ensembles and for choosing
a final model's threshold on real predictions (``metrics.crossval_threshold``).
"""
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import torch
from astropy.table import Table
from sklearn.metrics import roc_auc_score

from .. import RingskyError
from ..splits import LEARNING_SPLITS, stratified_folds
from .metrics import summarise
from .models import load_classifier, read_encoder_config
from .train import TrainSettings, initial_classifier, fit, with_injection, with_rehearsal

METHODS = ("colour", "model")
#: bands whose ratio ``redness`` takes: (red, blue) plane of each kind of picture
COLOUR_PLANES = {"rgb": (0, 2), "ugriz": (4, 1)}
DEFAULTS = {"epochs": 30, "batch_size": 32, "learning_rate": 1e-3, "warmup_epochs": 1.0}


def redness(images, planes="rgb"):
    """log(z / g) of the light above the median (sky) level in the central third of each
    picture (z and g as the R and B planes of an RGB picture). Ringed galaxies are mostly
    early-type discs (Buta 2017), so on a real sample colour alone ranks them better than chance."""
    red, blue = COLOUR_PLANES[planes]
    pixels = np.asarray(images, dtype=np.float32)
    n = pixels.shape[1]
    above_sky = pixels - np.median(pixels.reshape(len(pixels), -1, pixels.shape[-1]), axis=1)[:, None, None, :]
    centre = above_sky[:, n // 3:n - n // 3, n // 3:n - n // 3].sum(axis=(1, 2))
    return np.log(np.maximum(centre[:, red], 1.0) / np.maximum(centre[:, blue], 1.0))


def colour_controlled_auc(labels, scores, colour, bins=4):
    """Mean ROC AUC inside ``bins`` quantile bins of ``colour`` (bins holding one class skipped):
    how well ``scores`` rank rings among galaxies of about the same colour."""
    labels, scores = np.asarray(labels), np.asarray(scores)
    edges = np.quantile(colour, np.linspace(0, 1, bins + 1)[1:-1])
    which = np.digitize(colour, edges)
    aucs = [roc_auc_score(labels[which == b], scores[which == b]) for b in range(bins)
            if len(np.unique(labels[which == b])) == 2]
    return float(np.mean(aucs)) if aucs else float("nan")


def _check_init(settings):
    """A ringsky model fine-tuned on labelled cutouts has seen them: refuse it before any work."""
    from pathlib import Path

    init = Path(settings.init) if settings.init else None
    if init is None or not init.with_suffix(".json").is_file() or read_encoder_config(init) is not None:
        return
    fine_tuned_on = load_classifier(init).config.training.get("settings", {}).get("labelled")
    if fine_tuned_on:
        raise RingskyError(f"{settings.init} was fine-tuned on {fine_tuned_on}, so its cross-validated scores "
                           "would not be; start from a model that has not seen labelled cutouts")


def _fold_model(settings, seed, images, labels, train, validation, as_is):
    """The recipe's model for one fold, and its training rate (images/s; None when not trained)."""
    torch.manual_seed(seed)
    classifier, _ = initial_classifier(replace(settings, seed=seed))
    if as_is:
        return classifier, None
    config = classifier.config
    train_images, train_labels = with_rehearsal(config, images[train], labels[train].astype(np.float32), settings)
    train_images, train_labels = with_injection(config, train_images, train_labels, settings, seed=seed)
    held = (images[validation], labels[validation]) if validation is not None else None
    history = fit(classifier, (train_images, train_labels), held, replace(settings, seed=seed), progress=False)
    return classifier, history[-1]["train_images_per_s"]


def crossvalidate(spec, settings, folds=5, seeds=(0,), as_is=False, progress=True):
    """Every out-of-fold prediction (a Table: id, ring, seed, fold, colour, probability), with the
    run's source, folds, seeds and settings in its ``meta``."""
    from ..sources import labelled_pictures, open_source

    if folds < 2:
        raise RingskyError("cross-validation needs at least 2 folds")
    if settings.task != "ring":
        raise RingskyError("cross-validation scores a ring head alone (task = ring); train morphology and "
                           "ring+type models with ringsky train")
    _check_init(settings)
    config = initial_classifier(settings)[0].config
    images, labels, table = labelled_pictures(open_source(spec), config.picture_size, config.planes,
                                              splits=LEARNING_SPLITS)
    colour = redness(images, config.planes)
    predictions, rates = [], []
    for seed in seeds:
        fold_of = stratified_folds(table["id"], labels, folds, seed)
        if min(np.bincount(fold_of[labels == 1], minlength=folds).min(),
               np.bincount(fold_of[labels == 0], minlength=folds).min()) == 0:
            raise RingskyError(f"{spec}: too few rings or non-rings for {folds} folds")
        for fold in range(folds):
            test = fold_of == fold
            validation = fold_of == (fold + 1) % folds if settings.holdout else None
            train = ~test & (~validation if validation is not None else True)
            classifier, rate = _fold_model(settings, 1000 * seed + fold, images, labels, train, validation, as_is)
            if rate:
                rates.append(rate)
            probability = classifier.predict(images[test])
            predictions += [(str(i), int(r), seed, fold, float(c), float(p))
                            for i, r, c, p in zip(table["id"][test], labels[test], colour[test], probability)]
            if progress:
                print(f"seed {seed} fold {fold + 1}/{folds}: test ROC AUC "
                      f"{roc_auc_score(labels[test], probability):.3f} (colour "
                      f"{roc_auc_score(labels[test], colour[test]):.3f})", flush=True)
    oof = Table(rows=predictions, names=("id", "ring", "seed", "fold", "colour", "probability"))
    changed = {k: v for k, v in asdict(settings).items() if v != getattr(TrainSettings, k)}
    oof.meta.update({"source": spec, "folds": folds, "seeds": list(seeds), "as_is": as_is,
                     "settings": asdict(settings),
                     "settings_changed": ", ".join(f"{k} = {v}" for k, v in changed.items()),
                     "train_images_per_s": float(np.median(rates)) if rates else None})
    return oof


def fold_scores(oof):
    """Test ROC AUC and PR AUC per method (the colour baseline, the model), seed and fold (a Table)."""
    rows = []
    for method, column in zip(METHODS, ("colour", "probability")):
        for seed in np.unique(oof["seed"]):
            for fold in np.unique(oof["fold"]):
                mine = oof[(oof["seed"] == seed) & (oof["fold"] == fold)]
                summary = summarise(mine["ring"], mine[column], 0.5)
                rows.append((method, int(seed), int(fold), len(mine), summary["roc_auc"], summary["pr_auc"]))
    return Table(rows=rows, names=("method", "seed", "fold", "n_test", "roc_auc", "pr_auc"), meta=dict(oof.meta))


def seed_scores(oof):
    """Per method and seed: mean test ROC AUC and PR AUC over folds, and the colour-controlled
    AUC of that seed's out-of-fold predictions (a Table)."""
    folds, rows = fold_scores(oof), []
    for method, column in zip(METHODS, ("colour", "probability")):
        for seed in np.unique(oof["seed"]):
            mine = folds[(folds["method"] == method) & (folds["seed"] == seed)]
            predicted = oof[oof["seed"] == seed]
            rows.append((method, int(seed), float(np.mean(mine["roc_auc"])), float(np.mean(mine["pr_auc"])),
                         colour_controlled_auc(predicted["ring"], predicted[column], predicted["colour"])))
    return Table(rows=rows, names=("method", "seed", "roc_auc", "pr_auc", "colour_controlled_auc"))


def summary_markdown(oof):
    """Mean and spread over fold seeds of each method's scores, as a markdown table."""
    scores = seed_scores(oof)
    lines = ["| method | ROC AUC | PR AUC | colour-controlled AUC | ROC AUC per seed |", "|---|---|---|---|---|"]
    for method in METHODS:
        mine = scores[scores["method"] == method]
        lines.append(f"| {method} | {_spread(mine['roc_auc'])} | {_spread(mine['pr_auc'])} | "
                     f"{_spread(mine['colour_controlled_auc'])} | {', '.join(f'{v:.3f}' for v in mine['roc_auc'])} |")
    return "\n".join(lines) + "\n"


def _spread(values):
    return f"{np.mean(values):.3f} ± {np.std(values):.3f}"


def summary_numbers(oof):
    """Mean and spread over seeds of the model's and the colour baseline's ROC AUC and
    colour-controlled AUC, as a flat dict (``model_roc_auc_mean``, ``baseline_...``): what a
    model card and a model's JSON quote."""
    scores = seed_scores(oof)
    numbers = {}
    for method, prefix in zip(METHODS, ("baseline", "model")):
        mine = scores[scores["method"] == method]
        for column in ("roc_auc", "colour_controlled_auc"):
            numbers[f"{prefix}_{column}_mean"] = round(float(np.mean(mine[column])), 4)
            numbers[f"{prefix}_{column}_std"] = round(float(np.std(mine[column])), 4)
    return numbers


def write_report(out, oof):
    """Write ``crossval.ecsv`` (per fold), ``predictions.ecsv`` (out of fold, with the summary in
    its header) and ``crossval.md`` into the folder ``out``; return the markdown."""
    from pathlib import Path

    from ..fileio import atomic_path

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    meta = oof.meta
    meta["summary"] = summary_numbers(oof)
    rate = meta["train_images_per_s"]
    seeds = ", ".join(map(str, meta["seeds"]))
    text = (f"{meta['folds']}-fold cross-validation on {meta['source']} over fold seeds {seeds}; "
            f"{'the initial model as it is' if meta['as_is'] else 'trained'} from "
            f"{meta['settings']['init'] or 'random weights'}; settings: {meta['settings_changed']}"
            + (f"; training {rate:.0f} images/s" if rate else "") + f"\n\n{summary_markdown(oof)}")
    folds = fold_scores(oof)
    for name, write in (("crossval.ecsv", lambda path: folds.write(path, format="ascii.ecsv")),
                        ("predictions.ecsv", lambda path: oof.write(path, format="ascii.ecsv")),
                        ("crossval.md", lambda path: path.write_text(text))):
        with atomic_path(out / name) as temporary:
            write(temporary)
    return text


def read_predictions(folder):
    """The out-of-fold predictions a ``ringsky crossval --out FOLDER`` run wrote (``write_report``)."""
    path = Path(folder) / "predictions.ecsv"
    if not path.is_file():
        raise RingskyError(f"--threshold-from {folder}: no predictions.ecsv there (the output of ringsky crossval)")
    return Table.read(path, format="ascii.ecsv")
