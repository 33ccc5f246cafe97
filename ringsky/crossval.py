"""k-fold cross-validation on a labelled source: does the simulator help on real images?

Each galaxy's fold follows from its id alone (stratified by label), so every run uses the
same folds. For each fold the fold itself is the test set, the next fold validates (early
stopping) and the rest trains. Three ways to a model, and a baseline that learns nothing, are
compared on the same folds:

- ``colour``: each galaxy ranked by its colour alone (see ``redness``), a floor any network
  must beat to have learnt more than colour;
- ``sim-only``: the initial model, trained on the simulator, as it is;
- ``real-only``: a new network of the same architecture trained on the real training folds;
- ``sim+real``: the initial model fine-tuned on the real training folds.

Fine-tuning takes the settings of ``ringsky train`` (depth, layer decay, augmentation,
rehearsal, ...); ``real-only`` trains every block of its fresh network whatever the fine-tuning
depth, on the real galaxies alone.
"""
import zlib
from dataclasses import asdict, replace

import numpy as np
import torch
from astropy.table import Table

from . import RingskyError
from .metrics import summarise
from .models import Classifier, build_network, load_classifier
from .train import TrainSettings, fit, with_rehearsal

METHODS = ("colour", "sim-only", "real-only", "sim+real")
#: bands whose ratio ``redness`` takes: (red, blue) plane of each kind of picture
COLOUR_PLANES = {"rgb": (0, 2), "ugriz": (4, 1)}
DEFAULTS = {"epochs": 30, "batch_size": 32, "learning_rate": 1e-3, "warmup_epochs": 1.0}


def stratified_folds(ids, labels, k):
    """Fold number (0..k-1) of each galaxy: within each class, galaxies ordered by a hash of
    their id are dealt out in turn, so each fold gets its share of rings and non-rings."""
    labels = np.asarray(labels)
    folds = np.empty(len(labels), dtype=int)
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        order = members[np.argsort([zlib.crc32(str(ids[i]).encode()) for i in members], kind="stable")]
        folds[order] = np.arange(len(order)) % k
    return folds


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


def _model(method, init, seed):
    torch.manual_seed(seed)
    classifier = load_classifier(init)
    if method != "real-only":
        return classifier
    config = classifier.config.untrained()
    return Classifier(build_network(config), config)


def crossvalidate(spec, init, settings, folds=5, progress=True):
    """A Table of test ROC AUC and PR AUC per method and fold, and the training rate (images/s)."""
    from .sources import labelled_pictures, open_source

    if folds < 2:
        raise RingskyError("cross-validation needs at least 2 folds")
    initial = load_classifier(init).config
    fine_tuned_on = initial.training.get("settings", {}).get("labelled")
    if fine_tuned_on:
        raise RingskyError(f"{init or 'the shipped model'} was fine-tuned on {fine_tuned_on}, so its 'sim-only' "
                           "scores would not be; start from a model trained on the simulator alone, such as the "
                           "shipped one")
    npix = initial.input_size
    images, labels, table = labelled_pictures(open_source(spec), npix, initial.planes)
    fold_of = stratified_folds(table["id"], labels, folds)
    if min(np.bincount(fold_of[labels == 1], minlength=folds).min(),
           np.bincount(fold_of[labels == 0], minlength=folds).min()) == 0:
        raise RingskyError(f"{spec}: too few rings or non-rings for {folds} folds")
    rows, rates = [], []
    for fold in range(folds):
        test, validation = fold_of == fold, fold_of == (fold + 1) % folds
        training = ~(test | validation)
        for method in METHODS:
            if method == "colour":
                predicted, n_train = redness(images[test], initial.planes), 0
            else:
                classifier = _model(method, init, settings.seed + fold)
                if method != "sim-only":
                    used = settings if method == "sim+real" else replace(settings, unfrozen_blocks="all",
                                                                               layer_decay=1.0, rehearsal=0)
                    history = fit(classifier, with_rehearsal(classifier.config, images[training], labels[training],
                                                             used),
                                  (images[validation], labels[validation]), used, progress=False)
                    rates.append(history[-1]["train_images_per_s"])
                predicted, n_train = classifier.predict(images[test]), int(training.sum())
            scores = summarise(labels[test], predicted, 0.5)
            rows.append((method, fold, int(test.sum()), n_train, scores["roc_auc"], scores["pr_auc"]))
            if progress:
                print(f"fold {fold + 1}/{folds} {method:9s} test ROC AUC {scores['roc_auc']:.3f} "
                      f"PR AUC {scores['pr_auc']:.3f}", flush=True)
    results = Table(rows=rows, names=("method", "fold", "n_test", "n_train", "roc_auc", "pr_auc"))
    changed = {k: v for k, v in asdict(settings).items() if v != getattr(TrainSettings, k)}
    results.meta.update({"source": spec, "init": initial.model_id, "folds": folds, "settings": asdict(settings),
                         "settings_changed": ", ".join(f"{k} = {v}" for k, v in changed.items()),
                         "train_images_per_s": float(np.median(rates)) if rates else None})
    return results


def summary_markdown(results):
    """Mean and spread of the test AUCs per method, as a markdown table."""
    lines = ["| method | ROC AUC mean | ROC AUC std | ROC AUC per fold | PR AUC mean |", "|---|---|---|---|---|"]
    for method in METHODS:
        rows = results[results["method"] == method]
        lines.append(f"| {method} | {np.mean(rows['roc_auc']):.3f} | {np.std(rows['roc_auc']):.3f} | "
                     f"{', '.join(f'{v:.3f}' for v in rows['roc_auc'])} | {np.mean(rows['pr_auc']):.3f} |")
    return "\n".join(lines) + "\n"
