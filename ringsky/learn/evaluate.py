"""Evaluate a classifier on a labelled sample: metrics with bootstrap intervals, calibration,
recall per ring type, and the plots, written to one folder. ``ringsky evaluate`` and
``ringsky grid`` both use it, so a leaderboard row and a standalone evaluation agree.
"""
import json

import numpy as np
from sklearn import metrics as skm

from ..fileio import atomic_path
from .metrics import (plot_confusion, plot_precision_recall, plot_reliability, plot_roc, reliability,
                      select_threshold, summarise)

INTERVAL_METRICS = ("roc_auc", "pr_auc", "accuracy", "precision", "recall", "f1")


def bootstrap_intervals(labels, probabilities, threshold, resamples=1000, seed=0):
    """95 % percentile intervals of the metrics, from ``resamples`` draws of the galaxies with
    replacement (draws holding one class only are redrawn, as AUCs need both)."""
    labels, probabilities = np.asarray(labels).astype(int), np.asarray(probabilities)
    rng = np.random.default_rng(seed)
    values = {name: [] for name in INTERVAL_METRICS}
    while len(values["roc_auc"]) < resamples:
        pick = rng.integers(0, len(labels), len(labels))
        y, p = labels[pick], probabilities[pick]
        if y.min() == y.max():
            continue
        flagged = p >= threshold
        tp, fp = int((flagged & (y == 1)).sum()), int((flagged & (y == 0)).sum())
        fn = int((~flagged & (y == 1)).sum())
        values["roc_auc"].append(skm.roc_auc_score(y, p))
        values["pr_auc"].append(skm.average_precision_score(y, p))
        values["accuracy"].append(float((flagged == (y == 1)).mean()))
        values["precision"].append(tp / (tp + fp) if tp + fp else 0.0)
        values["recall"].append(tp / (tp + fn))
        values["f1"].append(2 * tp / (2 * tp + fp + fn))
    return {name: [float(v) for v in np.percentile(values[name], [2.5, 97.5])] for name in INTERVAL_METRICS}


def _text(column):
    """A column as strings, empty where a CSV reader masked blank cells."""
    return np.asarray(column.filled("") if hasattr(column, "filled") else column).astype(str)


def by_type(table, labels, probabilities, threshold):
    """Where the truth table has them: recall per ring type (``ring_type``) and the fraction
    flagged per non-ring morphology (``morphology``), the classifier's known failure modes."""
    flagged = np.asarray(probabilities) >= threshold
    labels = np.asarray(labels).astype(int)
    out = {}
    if table is not None and "ring_type" in table.colnames:
        types = _text(table["ring_type"])
        out["recall_by_ring_type"] = {t: {"n": int(((types == t) & (labels == 1)).sum()),
                                          "recall": float(flagged[(types == t) & (labels == 1)].mean())}
                                      for t in sorted(set(types[labels == 1]) - {""})}
    if table is not None and "morphology" in table.colnames:
        kinds = _text(table["morphology"])
        out["flagged_by_non_ring_morphology"] = {k: {"n": int(((kinds == k) & (labels == 0)).sum()),
                                                     "flagged": float(flagged[(kinds == k) & (labels == 0)].mean())}
                                                 for k in sorted(set(kinds[labels == 0]))}
    return out


def validation_sample(spec, npix, n_simulated=2000, planes="rgb"):
    """(images, labels) to choose a threshold on: for ``sim`` the simulator's validation seed
    (the one training uses, never the test seed); otherwise the named labelled source, only its
    validation rows where it has a training table's split column."""
    if spec == "sim":
        from .datasets import simulated_set
        from .train import VALIDATION_SEED

        return simulated_set(n_simulated, VALIDATION_SEED, npix, planes=planes)[:2]
    from ..sources import labelled_pictures, open_source

    return labelled_pictures(open_source(spec), npix, planes, splits=("validation",))[:2]


def morphology_scores(classifier, images, truth):
    """A multi-class model's accuracy and recall per class (the most probable class counts)."""
    classes = np.array(classifier.config.classes)
    predicted = classes[np.argmax(classifier.class_probabilities(images), axis=1)]
    return {"accuracy": float((predicted == truth).mean()),
            "recall_by_class": {c: float((predicted[truth == c] == c).mean()) for c in classes if (truth == c).any()}}


def ring_type_scores(classifier, images, labels, table):
    """A ring-type head's accuracy and recall per type (the most probable type counts) on the
    rings whose ``ring_type`` is one it knows; None when there is no such ring."""
    types = np.array(classifier.config.ring_types)
    kinds = _text(table["ring_type"])
    known = (np.asarray(labels) == 1) & np.isin(kinds, types)
    if not known.any():
        return None
    predicted = types[np.argmax(classifier.type_probabilities(images[known]), axis=1)]
    truth = kinds[known]
    return {"n": int(known.sum()), "accuracy": float((predicted == truth).mean()),
            "recall_by_type": {t: {"n": int((truth == t).sum()), "recall": float((predicted[truth == t] == t).mean())}
                               for t in types if (truth == t).any()}}


def threshold_source_problem(rule, validation, survey, test_split):
    """Why a threshold rule may not be applied with this ``validation`` source, or None: it needs
    one, and never the test source itself (a threshold chosen on the test set flatters every
    metric at it), unless that is the simulator or a folder whose test rows are held apart
    (``test_split``)."""
    if rule is None:
        return None
    if validation is None:
        return "--threshold-rule needs --validation, the labelled source to choose the threshold on"
    if validation == survey and survey != "sim" and not test_split:
        return "--validation must not be the test source: a threshold chosen on the test set flatters every metric at it"
    return None


def choose_threshold(classifier, rule=None, validation=None, value=None):
    """The threshold to evaluate at: ``value`` if given; else ``rule`` applied to a labelled
    ``validation`` sample (images, labels); else the model's own."""
    if value is not None:
        return float(value), "given"
    if rule is not None:
        images, labels = validation
        return select_threshold(labels, classifier.predict(images), rule), f"{rule} on validation"
    return float(classifier.config.threshold), "the model's"


def evaluate(classifier, images, labels, table, threshold, out, survey, resamples=1000):
    """Score the sample of the source named ``survey``, write ``metrics.json`` and the ROC, PR,
    confusion and reliability PNGs to ``out``; return the summary."""
    probabilities = classifier.predict(images)
    summary = summarise(labels, probabilities, threshold)
    summary["interval_95"] = bootstrap_intervals(labels, probabilities, threshold, resamples)
    summary["resamples"] = resamples
    summary["calibration"] = reliability(labels, probabilities)
    summary.update(by_type(table, labels, probabilities, threshold))
    if classifier.config.ring_types and table is not None and "ring_type" in table.colnames:
        types = ring_type_scores(classifier, images, labels, table)
        if types:
            summary["ring_type_head"] = types
    if classifier.config.classes and table is not None and "morphology" in table.colnames:
        summary["morphology"] = morphology_scores(classifier, images, _text(table["morphology"]))
    summary.update({"model_id": classifier.config.model_id, "survey": survey})
    title = f"{classifier.config.model_id} on {survey}"
    out.mkdir(parents=True, exist_ok=True)
    plot_roc(labels, probabilities, out / "roc.png", title)
    plot_precision_recall(labels, probabilities, summary, out / "pr.png", title)
    plot_confusion(summary, out / "confusion.png", title)
    plot_reliability(summary["calibration"], out / "reliability.png", title)
    with atomic_path(out / "metrics.json") as temporary:
        temporary.write_text(json.dumps(summary, indent=2) + "\n")
    return summary
