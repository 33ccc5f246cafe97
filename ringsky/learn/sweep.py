"""``ringsky grid``: train and evaluate a grid of configurations, then rank them.

A grid file is TOML::

    evaluate_on = ["sim", "folder:../shared/data/gz-decals-rings"]   # test sources, first one ranks
    [base]                       # settings every run shares (the names ringsky train reads)
    epochs = 6
    [grid]                       # every combination of these values is one run
    architecture = ["convnext_atto", "resnet18"]
    unfrozen_blocks = [1, "all"]
    [[extra]]                    # single runs added as they are (the SimpleCNN baseline)
    architecture = "simple_cnn"

Each run is a self-contained folder: ``settings.toml`` (which ``ringsky train --config``
reproduces), the model, and per test source ``metrics.json`` with the plots. A run whose
``run.json`` exists is finished and skipped, an interrupted one resumes from its checkpoint,
so a grid can be stopped and restarted at any time.
"""
import functools
import hashlib
import itertools
import json
import re
import tomllib
from dataclasses import asdict
from pathlib import Path

import numpy as np
from astropy.table import Table

from .. import RingskyError
from .evaluate import evaluate
from ..fileio import atomic_path
from .train import settings_from, train

GRID_KEYS = {"evaluate_on", "sim_test_size", "resamples", "base", "grid", "extra"}


def read_grid(path):
    """The grid file as (runs, evaluate_on, options): runs are (name, the settings it changes,
    TrainSettings), every setting checked before anything trains."""
    try:
        spec = tomllib.loads(Path(path).read_text())
    except OSError as error:
        raise RingskyError(f"cannot read grid {path}: {error.strerror}") from error
    except tomllib.TOMLDecodeError as error:
        raise RingskyError(f"{path}: not valid TOML: {error}") from error
    unknown = set(spec) - GRID_KEYS
    if unknown:
        raise RingskyError(f"{path}: unknown entry {sorted(unknown)[0]!r} (known: {', '.join(sorted(GRID_KEYS))})")
    axes = spec.get("grid", {})
    for key, values in axes.items():
        if not isinstance(values, list) or not values:
            raise RingskyError(f"{path}: grid.{key} must be a non-empty list of values")
    combinations = [dict(zip(axes, values)) for values in itertools.product(*axes.values())] if axes else []
    varied = combinations + [dict(extra) for extra in spec.get("extra", [])]
    if not varied:
        raise RingskyError(f"{path}: no runs (give a [grid] table or [[extra]] runs)")
    runs = []
    for changes in varied:
        settings = settings_from({**spec.get("base", {}), **changes}, where=str(path))
        runs.append((run_name(changes, settings), changes, settings))
    _check_architectures({settings.architecture for _, _, settings in runs if not settings.init}, path)
    evaluate_on = spec.get("evaluate_on", ["sim"])
    if not evaluate_on:
        raise RingskyError(f"{path}: evaluate_on needs at least one test source")
    for name, _, settings in runs:
        if settings.labelled and settings.labelled in evaluate_on:
            raise RingskyError(f"{path}: run {name} trains on {settings.labelled}, which it would also be tested "
                               "on; use ringsky crossval for that")
    return runs, evaluate_on, {"sim_test_size": spec.get("sim_test_size", 2000), "resamples": spec.get("resamples", 1000)}


def _check_architectures(names, path):
    """Fail before the first run, not after hours, on an architecture timm does not know."""
    from .models import build_network  # noqa: F401  (registers SimpleCNN; precedes the timm import)
    from timm.models import is_model

    unknown = sorted(name for name in names if not is_model(name))
    if unknown:
        raise RingskyError(f"{path}: unknown architecture {unknown[0]!r} (a timm model name or simple_cnn)")


def run_name(changes, settings):
    """A folder name: what this run changes from the base, plus a hash of all its settings."""
    slug = "_".join(f"{key}-{value}" for key, value in changes.items()) or "base"
    digest = hashlib.sha256(json.dumps(asdict(settings), sort_keys=True).encode()).hexdigest()[:8]
    return re.sub(r"[^A-Za-z0-9.+=_-]", "-", slug)[:80] + "-" + digest


def toml_text(values):
    """``name = value`` lines for flat str/int/float settings (JSON strings are TOML strings)."""
    return "".join(f"{k} = {json.dumps(v)}\n" for k, v in values.items())


@functools.lru_cache(maxsize=4)
def _test_sample(spec, npix, sim_test_size, planes):
    """A test source's labelled sample, read once per grid for each input size and kind of picture."""
    from ..sources import labelled_pictures, open_source

    options = {"n": sim_test_size} if spec == "sim" else {}
    return labelled_pictures(open_source(spec), npix, planes, **options)


def run_grid(path, out, progress=True):
    """Train and evaluate every run not yet finished; write the leaderboard; return it."""
    from .models import load_classifier

    runs, evaluate_on, options = read_grid(path)
    out = Path(out)
    (out / "runs").mkdir(parents=True, exist_ok=True)  # only once the whole grid has been checked
    rows = []
    for number, (name, changes, settings) in enumerate(runs, 1):
        folder = out / "runs" / name
        record = folder / "run.json"
        if record.exists():
            if progress:
                print(f"[{number}/{len(runs)}] {name}: finished before, skipped", flush=True)
            rows.append(json.loads(record.read_text()))
            continue
        if progress:
            print(f"[{number}/{len(runs)}] {name}: training", flush=True)
        folder.mkdir(parents=True, exist_ok=True)
        with atomic_path(folder / "settings.toml") as temporary:
            temporary.write_text(toml_text(asdict(settings)))
        config = train(settings, folder / "model", progress=False)
        classifier = load_classifier(folder / "model")
        row = {"run": name, **{k: str(v) for k, v in changes.items()},
               "val_roc_auc": config.metrics["validation"]["roc_auc"],
               "val_pr_auc": config.metrics["validation"]["pr_auc"], "threshold": config.threshold,
               "train_images_per_s": config.metrics["history"][-1]["train_images_per_s"],
               "epochs_run": len(config.metrics["history"]), "wall_time_s": config.training["wall_time_s"],
               "weights_mb": round((folder / "model.safetensors").stat().st_size / 2**20, 2)}
        for number_of_source, spec in enumerate(evaluate_on):
            images, labels, table = _test_sample(spec, config.picture_size, options["sim_test_size"], config.planes)
            summary = evaluate(classifier, images, labels, table, config.threshold,
                               folder / f"test-{number_of_source + 1}", spec, options["resamples"])
            low, high = summary["interval_95"]["roc_auc"]
            row.update({f"test{number_of_source + 1}_roc_auc": summary["roc_auc"],
                        f"test{number_of_source + 1}_roc_auc_95": f"[{low:.3f}, {high:.3f}]",
                        f"test{number_of_source + 1}_pr_auc": summary["pr_auc"],
                        f"test{number_of_source + 1}_f1": summary["f1"]})
        with atomic_path(record) as temporary:
            temporary.write_text(json.dumps(row, indent=2) + "\n")
        rows.append(row)
    board = leaderboard(rows, evaluate_on)
    with atomic_path(out / "leaderboard.csv") as temporary:
        board.write(temporary, format="ascii.csv")
    with atomic_path(out / "leaderboard.md") as temporary:
        temporary.write_text(leaderboard_markdown(board, evaluate_on))
    return board


def leaderboard(rows, evaluate_on):
    """All runs as a Table, best first by ROC AUC on the first test source."""
    names = list(dict.fromkeys(key for row in rows for key in row))
    table = Table(rows=[[row.get(name, "") for name in names] for row in rows], names=names)
    table.meta["evaluate_on"] = list(evaluate_on)
    order = np.argsort(-np.asarray(table["test1_roc_auc"], dtype=float), kind="stable")
    return table[order]


def _cell(value):
    """Scores (0-1) to 3 decimals, rates, times and sizes to 4 significant digits, text as written."""
    if isinstance(value, (float, np.floating)):
        return f"{value:.3f}" if abs(value) <= 1 else f"{value:.4g}"
    return str(value)


def leaderboard_markdown(board, evaluate_on):
    """The leaderboard as a markdown table, with a line per test source saying what testN is."""
    lines = [f"- test{i + 1}: {spec}" for i, spec in enumerate(evaluate_on)] + [""]
    lines.append("| " + " | ".join(board.colnames) + " |")
    lines.append("|" + "---|" * len(board.colnames))
    for row in board:
        cells = [_cell(v) for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
