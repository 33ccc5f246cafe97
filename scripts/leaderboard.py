"""The real-image leaderboard: each recipe cross-validated on the real labelled cutouts over fold
seeds, beside the colour baseline, and ensembles of recipes.

    python scripts/leaderboard.py [--rows docs/evaluation/leaderboard.toml] [--only NAME,...] [--out DIR]

Each ``[[row]]`` of the rows file is one ``ringsky crossval`` command (its ``options``), run into
``OUT/NAME`` unless ``OUT/NAME/predictions.ecsv`` is there already (delete it to run the row
again); every row uses the file's ``labelled`` source and ``seeds``, so all rows see the same
folds. A row that starts from a file it does not find (a pretrained encoder, an earlier model)
names the shell command that makes it (``prepare``; ``ringsky ...`` runs this checkout's) and the
file it makes (``creates``); that command runs first where the file is missing. An
``[[ensemble]]`` averages the out-of-fold probabilities of the rows it names, galaxy by galaxy,
and with ``colour = true`` blends that with the colour baseline by percentile rank.
``OUT/ROWS.md`` (``ROWS`` the rows file's name) then lists every row that has run: ROC AUC, PR AUC and the
colour-controlled AUC (mean and spread over seeds) and the command that reproduces it.
"""
import argparse
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
from astropy.table import Table
from scipy.stats import rankdata

from ringsky.learn.crossval import fold_scores, seed_scores

ROOT = Path(__file__).resolve().parents[1]


def run_row(row, spec, out):
    """Run one row's crossval unless its predictions are on disk; return its predictions."""
    folder = out / row["name"]
    predictions = folder / "predictions.ecsv"
    if "prepare" in row and not (ROOT / row["creates"]).is_file():
        print(f"preparing {row['creates']}: {row['prepare']}", flush=True)
        command = row["prepare"].replace("ringsky ", f"{sys.executable} -m ringsky.cli ", 1) \
            if row["prepare"].startswith("ringsky ") else row["prepare"]
        subprocess.run(command, shell=True, check=True, cwd=ROOT)
    if not predictions.is_file():
        command = [sys.executable, "-m", "ringsky.cli", "crossval", "--labelled", spec["labelled"], "--seeds",
                   spec["seeds"], *map(str, row.get("options", [])), "--out", str(folder), "--quiet"]
        print(f"running {row['name']}: {' '.join(command[2:])}", flush=True)
        subprocess.run(command, check=True, cwd=ROOT)
    return Table.read(predictions, format="ascii.ecsv")


def ensemble(members, with_colour=False):
    """Out-of-fold predictions whose probability is the mean of the members' for the same galaxy
    and seed (the members share folds, so each mean is of models that never saw that galaxy).
    ``with_colour``: the score becomes the mean of that probability's and the colour's percentile
    ranks among the seed's galaxies, a blend that uses no labels."""
    keyed = [{(i, s): p for i, s, p in zip(m["id"], m["seed"], m["probability"])} for m in members]
    first = members[0].copy()
    first["probability"] = [np.mean([k[(i, s)] for k in keyed]) for i, s in zip(first["id"], first["seed"])]
    if with_colour:
        for seed in np.unique(first["seed"]):
            mine = first["seed"] == seed
            first["probability"][mine] = (rankdata(first["probability"][mine]) + rankdata(first["colour"][mine])) \
                / (2 * mine.sum())
    first.meta = {"settings_changed": "mean probability of " + ", ".join(m.meta["name"] for m in members)}
    return first


def spread(values):
    return f"{np.mean(values):.3f} ± {np.std(values):.3f}"


def ahead_of_colour(predictions):
    """The model's test ROC AUC minus the colour's, fold by fold on the same galaxies: mean, its
    standard error, and in how many folds the model is ahead."""
    folds = fold_scores(predictions)
    model, colour = folds[folds["method"] == "model"], folds[folds["method"] == "colour"]
    gain = np.asarray(model["roc_auc"]) - np.asarray(colour["roc_auc"])
    return f"{gain.mean():+.3f} ± {gain.std(ddof=1) / np.sqrt(len(gain)):.3f} ({(gain > 0).sum()}/{len(gain)})"


def leaderboard_markdown(spec, rows):
    """The leaderboard: one line per row (name, what, scores, command) and the colour baseline."""
    baseline = None
    lines = [("| recipe | what | ROC AUC | PR AUC | colour-controlled AUC | colour, same folds and pictures | "
              "ahead of colour, fold by fold (folds ahead) | reproduce |"),
             "|---|---|---|---|---|---|---|---|"]
    for row, predictions in rows:
        scores = seed_scores(predictions)
        model, colour = scores[scores["method"] == "model"], scores[scores["method"] == "colour"]
        baseline = baseline or colour
        command = (f"`ringsky crossval --labelled {spec['labelled']} --seeds {spec['seeds']} "
                   f"{' '.join(map(str, row.get('options', [])))} --out DIR`" if "options" in row
                   else f"mean of {', '.join(row['rows'])}" + (" and the colour (percentile ranks)"
                                                                 if row.get("colour") else ""))
        if "prepare" in row:
            command = f"`{row['prepare']}`, then {command}"
        lines.append(f"| {row['name']} | {row['what']} | {spread(model['roc_auc'])} | {spread(model['pr_auc'])} | "
                     f"{spread(model['colour_controlled_auc'])} | {spread(colour['roc_auc'])} | "
                     f"{ahead_of_colour(predictions)} | {command} |")
    if baseline is not None:
        lines.insert(2, f"| colour | log(z/g) of the centre, no training | {spread(baseline['roc_auc'])} | "
                        f"{spread(baseline['pr_auc'])} | {spread(baseline['colour_controlled_auc'])} | | | "
                        "every row computes it on its own folds and pictures |")
    folds = f"{len(str(spec['seeds']).split(','))} fold seeds ({spec['seeds']})"
    return (f"5-fold cross-validation on {spec['labelled']}, over {folds}: mean ± spread over seeds of the "
            "per-seed score (ROC and PR AUC: the mean over folds; colour-controlled AUC: the mean ROC AUC "
            "inside quartiles of the colour, of the seed's out-of-fold predictions; ahead of colour: the row's test "
            "ROC AUC minus the colour's in each of the folds x seeds, mean ± standard error).\n\n" + "\n".join(lines) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default=ROOT / "docs" / "evaluation" / "leaderboard.toml", type=Path)
    parser.add_argument("--out", default=ROOT / "docs" / "evaluation" / "leaderboard", type=Path)
    parser.add_argument("--only", help="run only these rows (comma-separated names); the board lists all that ran")
    args = parser.parse_args()
    spec = tomllib.loads(args.rows.read_text())
    wanted = set(args.only.split(",")) if args.only else None
    done = {}
    for row in spec.get("row", []):
        if wanted is None or row["name"] in wanted:
            done[row["name"]] = (row, run_row(row, spec, args.out))
        elif (args.out / row["name"] / "predictions.ecsv").is_file():
            done[row["name"]] = (row, Table.read(args.out / row["name"] / "predictions.ecsv", format="ascii.ecsv"))
    for name, (row, predictions) in done.items():
        predictions.meta["name"] = name
    for row in spec.get("ensemble", []):
        if all(name in done for name in row["rows"]):
            done[row["name"]] = (row, ensemble([done[name][1] for name in row["rows"]], row.get("colour", False)))
    text = leaderboard_markdown(spec, list(done.values()))
    (args.out / f"{args.rows.stem}.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
