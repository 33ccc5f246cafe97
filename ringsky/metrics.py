"""Evaluation metrics, threshold choice and plots for a binary ring classifier."""
import warnings

import numpy as np
from sklearn import metrics as skm

from . import RingskyError


def best_f1_threshold(labels, probabilities):
    """The probability cut that maximises F1 (the seed projects' choice, made on validation)."""
    precision, recall, thresholds = skm.precision_recall_curve(labels, probabilities)
    f1 = 2 * precision * recall / np.maximum(precision + recall, 1e-12)
    return float(thresholds[np.argmax(f1[:-1])])


def parse_threshold_rule(rule):
    """``"max-f1"`` -> (``"max-f1"``, None); ``"precision:0.9"`` -> (``"precision"``, 0.9)."""
    if rule == "max-f1":
        return rule, None
    name, _, value = rule.partition(":")
    try:
        target = float(value)
    except ValueError:
        target = -1.0
    if name != "precision" or not 0 < target <= 1:
        raise RingskyError(f"threshold rule must be 'max-f1' or 'precision:P' with 0 < P <= 1, not {rule!r}")
    return name, target


def select_threshold(labels, probabilities, rule):
    """The cut chosen on a validation set by ``rule``: max F1, or the lowest cut (most recall)
    whose precision reaches the target. Where no cut reaches it, the most precise cut, with a
    warning, so a finished training run is never lost to an unreachable target."""
    name, target = parse_threshold_rule(rule)
    if name == "max-f1":
        return best_f1_threshold(labels, probabilities)
    precision, _, thresholds = skm.precision_recall_curve(labels, probabilities)
    reaching = np.flatnonzero(precision[:-1] >= target)
    if len(reaching):
        return float(thresholds[reaching[0]])
    warnings.warn(f"no threshold reaches precision {target:g} on validation (best {precision[:-1].max():.3f}); "
                  "using the most precise one")
    return float(thresholds[np.argmax(precision[:-1])])


def summarise(labels, probabilities, threshold):
    """ROC AUC, PR AUC, and precision/recall/F1/accuracy at ``threshold``, with the class balance."""
    labels = np.asarray(labels).astype(int)
    predicted = np.asarray(probabilities) >= threshold
    tn, fp, fn, tp = skm.confusion_matrix(labels, predicted, labels=[0, 1]).ravel()
    return {
        "n": int(len(labels)), "n_ring": int(labels.sum()), "n_not_ring": int((1 - labels).sum()),
        "roc_auc": float(skm.roc_auc_score(labels, probabilities)),
        "pr_auc": float(skm.average_precision_score(labels, probabilities)),
        "threshold": float(threshold),
        "precision": float(skm.precision_score(labels, predicted, zero_division=0)),
        "recall": float(skm.recall_score(labels, predicted, zero_division=0)),
        "f1": float(skm.f1_score(labels, predicted, zero_division=0)),
        "accuracy": float(skm.accuracy_score(labels, predicted)),
        "confusion": {"tn": int(tn), "fp": int(fp), "fn": int(fn), "tp": int(tp)},
    }


def format_summary(summary):
    """One readable block for the terminal."""
    c = summary["confusion"]
    return (f"test set: {summary['n']} galaxies ({summary['n_ring']} rings, {summary['n_not_ring']} not rings)\n"
            f"ROC AUC {summary['roc_auc']:.3f}  PR AUC {summary['pr_auc']:.3f}\n"
            f"at threshold {summary['threshold']:.3f}: precision {summary['precision']:.3f}  "
            f"recall {summary['recall']:.3f}  F1 {summary['f1']:.3f}  accuracy {summary['accuracy']:.3f}\n"
            f"confusion: TP {c['tp']}  FP {c['fp']}  FN {c['fn']}  TN {c['tn']}")


def plot_roc(labels, probabilities, path, title):
    import matplotlib.pyplot as plt

    fpr, tpr, _ = skm.roc_curve(labels, probabilities)
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.plot(fpr, tpr, label=f"AUC = {skm.roc_auc_score(labels, probabilities):.3f}")
    ax.plot([0, 1], [0, 1], ls=":", color="grey")
    ax.set(xlabel="false positive rate", ylabel="true positive rate", title=title)
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_confusion(summary, path, title):
    import matplotlib.pyplot as plt

    c = summary["confusion"]
    matrix = np.array([[c["tn"], c["fp"]], [c["fn"], c["tp"]]])
    fig, ax = plt.subplots(figsize=(4, 4))
    ax.imshow(matrix, cmap="Blues")
    for (i, j), value in np.ndenumerate(matrix):
        ax.text(j, i, str(value), ha="center", va="center",
                color="white" if value > matrix.max() / 2 else "black")
    ax.set(xticks=[0, 1], yticks=[0, 1], xticklabels=["not ring", "ring"], yticklabels=["not ring", "ring"],
           xlabel="predicted", ylabel="true", title=f"{title}\nthreshold {summary['threshold']:.3f}")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
