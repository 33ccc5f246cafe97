"""Evaluation metrics, threshold choice and plots for a binary ring classifier."""
import warnings

import numpy as np
from sklearn import metrics as skm

from .. import RingskyError


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


#: the ring fraction at which a threshold's expected precision is stated
RING_FRACTION = 0.1


def crossval_threshold(labels, probabilities, ring_fraction=RING_FRACTION):
    """The cut that maximises F1 on cross-validated real predictions, and what it promises:
    recall, false-positive rate, and the precision expected where rings are ``ring_fraction``
    of the galaxies scored (the test set's own precision depends on its class balance)."""
    labels, probabilities = np.asarray(labels).astype(int), np.asarray(probabilities)
    threshold = best_f1_threshold(labels, probabilities)
    flagged = probabilities >= threshold
    recall = float(flagged[labels == 1].mean())
    false_positive_rate = float(flagged[labels == 0].mean())
    flagged_rings = ring_fraction * recall
    expected = flagged_rings / max(flagged_rings + (1 - ring_fraction) * false_positive_rate, 1e-12)
    return {"threshold": threshold, "recall": recall, "false_positive_rate": false_positive_rate,
            "ring_fraction": ring_fraction, "expected_precision": float(expected),
            "n": int(len(labels)), "n_ring": int(labels.sum())}


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


def _json_list(values):
    """Floats with empty bins as None (JSON has no NaN)."""
    return [None if np.isnan(v) else float(v) for v in values]


def reliability(labels, probabilities, bins=10):
    """Calibration in equal-width probability bins: mean predicted probability, fraction of
    rings and count per bin, and the expected calibration error (count-weighted gap)."""
    labels, probabilities = np.asarray(labels).astype(float), np.asarray(probabilities)
    which = np.minimum((probabilities * bins).astype(int), bins - 1)
    count = np.bincount(which, minlength=bins)
    with np.errstate(invalid="ignore"):
        predicted = np.bincount(which, probabilities, bins) / count
        observed = np.bincount(which, labels, bins) / count
    gap = np.nansum(count * np.abs(predicted - observed)) / max(len(labels), 1)
    return {"bins": bins, "mean_predicted": _json_list(predicted), "fraction_ring": _json_list(observed),
            "count": count.tolist(), "ece": float(gap)}


def format_summary(summary):
    """One readable block for the terminal, with 95 % intervals where they were computed."""
    c, interval = summary["confusion"], summary.get("interval_95", {})

    def show(name):
        low_high = interval.get(name)
        return f"{summary[name]:.3f}" + (f" [{low_high[0]:.3f}, {low_high[1]:.3f}]" if low_high else "")

    return (f"test set: {summary['n']} galaxies ({summary['n_ring']} rings, {summary['n_not_ring']} not rings)\n"
            f"ROC AUC {show('roc_auc')}  PR AUC {show('pr_auc')}\n"
            f"at threshold {summary['threshold']:.3f}: precision {show('precision')}  "
            f"recall {show('recall')}  F1 {show('f1')}  accuracy {show('accuracy')}\n"
            f"confusion: TP {c['tp']}  FP {c['fp']}  FN {c['fn']}  TN {c['tn']}"
            + "".join(f"\nrecall of {kind} rings: {r['recall']:.3f} (n={r['n']})"
                      for kind, r in summary.get("recall_by_ring_type", {}).items())
            + _type_head_line(summary.get("ring_type_head")))


def _type_head_line(scores):
    if not scores:
        return ""
    return (f"\nring-type head: accuracy {scores['accuracy']:.3f} on {scores['n']} typed rings; recall "
            + ", ".join(f"{t} {r['recall']:.2f} (n={r['n']})" for t, r in scores["recall_by_type"].items()))


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


def plot_precision_recall(labels, probabilities, summary, path, title):
    """The PR curve, the class balance as the chance level, and the operating point."""
    import matplotlib.pyplot as plt

    precision, recall, _ = skm.precision_recall_curve(labels, probabilities)
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.plot(recall, precision, label=f"AP = {summary['pr_auc']:.3f}")
    ax.axhline(summary["n_ring"] / summary["n"], ls=":", color="grey", label="chance")
    ax.plot([summary["recall"]], [summary["precision"]], "o", color="C3",
            label=f"threshold {summary['threshold']:.3f}")
    ax.set(xlabel="recall", ylabel="precision", xlim=(0, 1), ylim=(0, 1.02), title=title)
    ax.legend(loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_reliability(calibration, path, title):
    """Reliability diagram: fraction of rings against mean predicted probability per bin."""
    import matplotlib.pyplot as plt

    shown = [(p, o) for p, o in zip(calibration["mean_predicted"], calibration["fraction_ring"]) if p is not None]
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.plot([0, 1], [0, 1], ls=":", color="grey")
    ax.plot(*zip(*shown), "o-", label=f"ECE = {calibration['ece']:.3f}")
    ax.set(xlabel="predicted ring probability", ylabel="fraction that are rings", xlim=(0, 1), ylim=(0, 1),
           title=title)
    ax.legend(loc="upper left")
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
