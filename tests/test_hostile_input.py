"""Hostile input against every command, as a user would give it: each case is one clear line on
stderr with the right exit status, no traceback, and the finished tile results and the existing
catalogue of the workspace byte for byte as they were, with nothing added beside them."""
import hashlib
import json
import shutil
import signal
import subprocess

import numpy as np
import pytest
from astropy.io import fits
from astropy.table import Table
from conftest import assert_one_line_error, run_cli

from ringsky.cli import main
from ringsky.sources.folder import write_simulated_folder

HEADER = "id,ra,dec,image,ring"


@pytest.fixture(scope="module")
def finished(tmp_path_factory, small_model):
    """A workspace: a folder source of 12 simulated galaxies, its finished tile results and a
    catalogue made from them."""
    root = tmp_path_factory.mktemp("workspace")
    write_simulated_folder(root / "good", 12, seed=4, ring_fraction=0.5, npix=32)
    run_cli("score", "--tile", "nside=1", "--survey", f"folder:{root / 'good'}", "--model", small_model,
            "--out", root / "tiles", "--quiet")
    run_cli("catalogue", root / "tiles", "--out", root / "cat", "--quiet")
    return root


def digests(root):
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for folder in ("tiles", "cat") for p in sorted((root / folder).rglob("*")) if p.is_file()}


def good_rows(ws, n=4):
    """The first ``n`` manifest lines of the good folder, with images pointing into it."""
    lines = (ws / "good" / "catalogue.csv").read_text().splitlines()
    table = Table.read(ws / "good" / "catalogue.csv", format="ascii.csv", converters={"id": str})
    return [f"{r['id']},{r['ra']},{r['dec']},{ws / 'good' / r['image']},{r['ring']}" for r in table[:n]], lines


def manifest(ws, *edits, header=HEADER):
    """A folder ``bad`` whose manifest is the good rows with ``edits`` (line number -> text) applied."""
    rows, _ = good_rows(ws)
    for k, text in edits:
        if k < len(rows):
            rows[k] = text
        else:
            rows.append(text)
    (ws / "bad").mkdir(exist_ok=True)
    (ws / "bad" / "catalogue.csv").write_text("\n".join([header] + rows) + "\n")
    return f"folder:{ws / 'bad'}"


def one_picture(ws, name, write):
    """A folder ``bad`` of one galaxy whose cutout file ``name`` is made by ``write(path)``."""
    rows, _ = good_rows(ws, 1)
    (ws / "bad").mkdir(exist_ok=True)
    write(ws / "bad" / name)
    first = rows[0].split(",")
    (ws / "bad" / "catalogue.csv").write_text(f"{HEADER}\n{first[0]},{first[1]},{first[2]},{name},1\n")
    return f"folder:{ws / 'bad'}"


def model_json(ws, small_model, **changes):
    """A copy of the small model whose JSON has ``changes``."""
    config = json.loads(small_model.read_text())
    config.update(changes)
    shutil.copy(small_model.with_suffix(".safetensors"), ws / "edited.safetensors")
    (ws / "edited.json").write_text(json.dumps(config))
    return ws / "edited.json"


def unreadable_json(ws, small_model):
    """A copy of the small model whose JSON is not JSON."""
    path = model_json(ws, small_model)
    path.write_text("{not json")
    return path


def score(ws, model, survey, tile="nside=1"):
    return ["score", "--tile", tile, "--survey", survey, "--model", model, "--out", ws / "tiles", "--quiet"]


def rescore(ws, model, survey):
    """``score --force`` over the finished tile, which a failure must leave as it was."""
    return score(ws, model, survey) + ["--force"]


def evaluate(ws, model, survey, *more):
    return ["evaluate", "--survey", survey, "--model", model, "--resamples", 5, "--out", ws / "cat", *more]


def train(ws, *more):
    return ["train", "--architecture", "simple_cnn", "--input-size", 32, "--epochs", 1, "--quiet",
            "--out", ws / "cat" / "model", *more]


def write_text(ws, name, text):
    (ws / name).write_text(text)
    return ws / name


def fits_file(path, data):
    fits.PrimaryHDU(data).writeto(path)


CASES = {
    # score: the folder manifest
    "manifest repeated id": (lambda ws, m: score(ws, m, manifest(ws, (1, good_rows(ws)[0][0]))), 1, "repeats line 2"),
    "manifest empty ra": (lambda ws, m: score(ws, m, manifest(ws, (0, "g1,,10.0,x.png,1"))), 1, "line 2: ra '' is not a number"),
    "manifest dec 95": (lambda ws, m: score(ws, m, manifest(ws, (2, "g1,10.0,95,x.png,1"))), 1, "line 4: position"),
    "manifest ra 400": (lambda ws, m: score(ws, m, manifest(ws, (3, "g1,400,10,x.png,1"))), 1, "line 5: position"),
    "manifest dec nan": (lambda ws, m: score(ws, m, manifest(ws, (0, "g1,10.0,nan,x.png,1"))), 1, "line 2: position"),
    "manifest ra text": (lambda ws, m: score(ws, m, manifest(ws, (1, "g1,ten,10,x.png,1"))), 1, "'ten' is not a number"),
    "manifest ragged row": (lambda ws, m: score(ws, m, manifest(ws, (4, "g9,10,10,x.png,1,extra,more"))), 1,
                            "not a readable CSV table"),
    "manifest without image column": (lambda ws, m: score(ws, m, manifest(ws, header="id,ra,dec,picture,ring")), 1,
                                      "lacks column(s) image"),
    "manifest non-ASCII id": (lambda ws, m: score(ws, m, manifest(ws, (0, "gal\u00e1xia,10,10,x.png,1"))), 1,
                              "not printable ASCII"),
    "manifest is binary": (lambda ws, m: score(ws, m, f"folder:{write_text(ws, 'bin.csv', '')}"), 1,
                           "folder source"),
    "no manifest": (lambda ws, m: score(ws, m, f"folder:{ws / 'nowhere'}"), 1, "no manifest at"),
    # score: the pictures
    "empty PNG": (lambda ws, m: rescore(ws, m, one_picture(ws, "e.png", lambda p: p.write_bytes(b""))), 1,
                  "cannot read cutout"),
    "truncated FITS": (lambda ws, m: rescore(ws, m, one_picture(
        ws, "t.fits", lambda p: (fits_file(p, np.ones((3, 32, 32), np.float32)), p.write_bytes(p.read_bytes()[:3000])))),
        1, "cannot read cutout"),
    "header-only FITS": (lambda ws, m: rescore(ws, m, one_picture(ws, "h.fits", lambda p: fits.PrimaryHDU().writeto(p))),
                         1, "no image data"),
    "NaN-only FITS": (lambda ws, m: rescore(ws, m, one_picture(
        ws, "n.fits", lambda p: fits_file(p, np.full((3, 32, 32), np.nan, np.float32)))), 1, "no finite pixel"),
    "text as JPEG": (lambda ws, m: rescore(ws, m, one_picture(ws, "x.jpg", lambda p: p.write_text("not a picture"))), 1,
                     "cannot read cutout"),
    # score: tiles, surveys and parents
    "tile spec": (lambda ws, m: score(ws, m, "sim", tile="nside=3"), 2, "nside"),
    "tile out of range": (lambda ws, m: score(ws, m, "sim", tile="nside=32:99999"), 2, "99999"),
    "unknown survey": (lambda ws, m: score(ws, m, "hubble"), 2, "unknown survey 'hubble'"),
    "missing parents": (lambda ws, m: score(ws, m, "legacy") + ["--parents", ws / "none.fits"], 1,
                        "expected 'tractor', 'sdss' or an existing table file"),
    "parents dec -91": (lambda ws, m: score(ws, m, "legacy") + [
        "--parents", write_text(ws, "p.csv", "id,ra,dec\n1,10,-91\n")], 1, "row 1: position"),
    # score: the model file
    "model architecture not text": (lambda ws, m: score(ws, model_json(ws, m, architecture=7), "sim"), 1, "architecture"),
    "model with 2 channels": (lambda ws, m: score(ws, model_json(ws, m, channels=2), "sim"), 1, "channels must be"),
    "model classes without ring": (lambda ws, m: score(ws, model_json(ws, m, classes=["a", "b"]), "sim"), 1,
                                   "classes must be"),
    "model input size 0": (lambda ws, m: score(ws, model_json(ws, m, input_size=0), "sim"), 1, "input_size must be"),
    "model threshold text": (lambda ws, m: score(ws, model_json(ws, m, threshold="high"), "sim"), 1,
                             "threshold must be"),
    "model JSON not JSON": (lambda ws, m: score(ws, unreadable_json(ws, m), "sim"), 1,
                            "malformed model config"),
    "model weights missing": (lambda ws, m: score(ws, write_text(ws, "lone.json", "{}"), "sim"), 1,
                              "model file not found"),
    "score batch size 0": (lambda ws, m: score(ws, m, "sim") + ["--batch-size", 0], 2, "argument --batch-size"),
    "score no workers": (lambda ws, m: score(ws, m, "sim") + ["--scheduler", "local", "--workers", 0], 2,
                         "argument --workers: 0 is not in [1, ...]"),
    "fetch npix 0": (lambda ws, m: ["fetch", "--tile", "nside=1", "--survey", f"folder:{ws / 'good'}", "--npix", 0], 2,
                     "argument --npix: 0 is not in [8, 4096]"),
    "simulate ring fraction 2": (lambda ws, m: ["simulate", "--n", 4, "--ring-fraction", 2, "--out", ws / "cat" / "s"],
                                 2, "argument --ring-fraction: 2 is not in [0, 1]"),
    "simulate no galaxies": (lambda ws, m: ["simulate", "--n", -5, "--out", ws / "cat" / "s"], 2, "argument --n"),
    # catalogue
    "catalogue of an empty folder": (lambda ws, m: ["catalogue", ws / "empty", "--out", ws / "cat"], 1,
                                     "no tile results"),
    "catalogue of a damaged tile": (lambda ws, m: ["catalogue", damaged_tiles(ws), "--out", ws / "cat"], 1,
                                    "nside1-ipix"),
    # evaluate
    "evaluate ring yes": (lambda ws, m: evaluate(ws, m, manifest(ws, (0, "g1,10,10,x.png,yes"))), 1,
                          "ring 'yes' is not 1"),
    "evaluate empty ring": (lambda ws, m: evaluate(ws, m, manifest(ws, (2, "g1,10,10,x.png,"))), 1,
                            "ring '' is not 1"),
    "evaluate rule without validation": (lambda ws, m: evaluate(ws, m, "sim", "--threshold-rule", "max-f1"), 2,
                                         "--threshold-rule needs --validation"),
    "evaluate unknown rule": (lambda ws, m: evaluate(ws, m, "sim", "--threshold-rule", "best", "--validation", "sim"),
                              1, "best"),
    "evaluate resamples -1": (lambda ws, m: evaluate(ws, m, "sim", "--resamples", -1), 2, "argument --resamples"),
    "evaluate threshold nan": (lambda ws, m: evaluate(ws, m, "sim", "--threshold", "nan"), 2, "argument --threshold"),
    "evaluate without truth": (lambda ws, m: evaluate(ws, m, manifest(ws, header="id,ra,dec,image,label")), 1,
                               "no 'ring' column"),
    # train
    "train rings only": (lambda ws, m: train(ws, "--labelled", manifest(ws, *[(k, good_rows(ws)[0][k][:-1] + "1")
                                                                        for k in range(4)])), 1,
                         "needs both rings and non-rings"),
    "train bad TOML": (lambda ws, m: train(ws, "--config", write_text(ws, "r.toml", "epochs = = 3\n")), 1, "r.toml"),
    "train unknown setting": (lambda ws, m: train(ws, "--config", write_text(ws, "u.toml", "speed = 3\n")), 1, "speed"),
    "train zero epochs": (lambda ws, m: train(ws, "--epochs", 0), 2, "argument --epochs: 0 is not in [1, ...]"),
    "train crop 1.5": (lambda ws, m: train(ws, "--crop", 1.5), 2, "argument --crop: 1.5 is not in (0, 1]"),
    "train no simulated galaxies (TOML)": (lambda ws, m: train(ws, "--config", write_text(ws, "n.toml", "n_train = 0\n")),
                                           1, "n_train must be at least 1"),
    "train lr text": (lambda ws, m: train(ws, "--lr", "fast"), 2, "argument --lr: 'fast' is not a number"),
    "train init nowhere": (lambda ws, m: train(ws, "--init", ws / "nowhere.safetensors"), 1, "--init"),
    "train unknown task": (lambda ws, m: train(ws, "--task", "bars"), 1, "task must be one of"),
    # labels
    "labels buta junk": (lambda ws, m: ["labels", "buta", "--source", write_text(ws, "j.tex", "\\begin{table}\n"),
                                        "--out", ws / "cat" / "b.fits"], 1, "holds no row of Buta (2017) Table 2"),
    "labels flags bad bits": (lambda ws, m: ["labels", "flags", "--flags", write_text(
        ws, "f.csv", "objid,ra,dec,ring_flags\n1,10,10,4\n2,11,11,64\n"), "--out", ws / "cat" / "f.fits"], 1,
        "line 3: ring_flags 64"),
    "labels flags no position": (lambda ws, m: ["labels", "flags", "--flags", write_text(
        ws, "g.csv", "objid,ring_flags\n1,4\n"), "--out", ws / "cat" / "f.fits"], 1, "lacks ra, dec"),
    "labels flags wrong suffix": (lambda ws, m: ["labels", "flags", "--flags", write_text(
        ws, "h.csv", "objid,ra,dec,ring_flags\n1,10,10,4\n"), "--out", ws / "cat" / "f.txt"], 1,
        "must end in .fits or .parquet"),
    "labels agreement without sources": (lambda ws, m: ["labels", "agreement", "--flags", ws / "f.csv",
                                                        "--out", ws / "cat"], 2, "--buta, --zoo or both"),
    "labels build on a foreign table": (lambda ws, m: ["labels", "build", "--buta", ws / "cat" / "catalogue.fits",
                                                       "--zoo", ws / "none.csv", "--out", ws / "cat" / "t.fits"], 1,
                                        "is not a table written by 'ringsky labels buta': it lacks cvrhs, coord_source"),
    "labels agreement zoo dec 95": (lambda ws, m: ["labels", "agreement", "--flags", flags_file(ws), "--zoo",
                                                   "x=" + str(write_text(ws, "z.csv", "ra,dec,votes\n10,95,30\n")),
                                                   "--out", ws / "cat"], 1, "z.csv: line 2: position"),
    "labels agreement zoo without dec": (lambda ws, m: ["labels", "agreement", "--flags", flags_file(ws), "--zoo",
                                                        "x=" + str(write_text(ws, "y.csv", "ra,dec,votes\n10,,30\n")),
                                                        "--out", ws / "cat"], 1, "y.csv: line 2: dec is missing"),
    "labels missing zoo": (lambda ws, m: ["labels", "agreement", "--flags", flags_file(ws), "--zoo",
                                          f"x={ws / 'none.csv'}", "--out", ws / "cat"], 1, "cannot read table"),
    # app
    "app on text": (lambda ws, m: ["app", write_text(ws, "notes.txt", "hello"), "--no-browser"], 1,
                    "cannot read catalogue"),
    "app on a foreign table": (lambda ws, m: ["app", foreign_table(ws), "--no-browser"], 1,
                               "is not a ringsky catalogue"),
    "app port 70000": (lambda ws, m: ["app", ws / "cat" / "catalogue.fits", "--port", 70000, "--no-browser"], 2,
                       "argument --port: 70000 is not in [1, 65535]"),
    "app on nothing": (lambda ws, m: ["app", ws / "missing.fits", "--no-browser"], 1, "catalogue not found"),
}


def flags_file(ws):
    return write_text(ws, "flags.csv", "objid,ra,dec,ring_flags\n1,10,10,4\n2,11,11,0\n")


def damaged_tiles(ws):
    """A copy of the finished tiles with one result cut short."""
    shutil.copytree(ws / "tiles", ws / "damaged")
    victim = sorted((ws / "damaged").glob("*.parquet"))[0]
    victim.write_bytes(victim.read_bytes()[:200])
    return ws / "damaged"


def foreign_table(ws):
    Table({"a": [1, 2]}).write(ws / "foreign.fits")
    return ws / "foreign.fits"


@pytest.mark.parametrize("case", list(CASES))
def test_hostile_input_is_one_line_and_leaves_finished_work_alone(case, finished, small_model, tmp_path, capsys,
                                                                  monkeypatch):
    """The command's own ``main`` in this process (a subprocess per case would spend most of its
    time starting Python): the same exit status and stderr as on the command line."""
    ws = tmp_path / "ws"
    shutil.copytree(finished, ws)
    (ws / "empty").mkdir()
    before = digests(ws)
    arguments, status, fragment = CASES[case]
    monkeypatch.setenv("RINGSKY_CACHE", str(ws / "cache"))
    arguments = [str(a) for a in arguments(ws, small_model)]
    previous = signal.getsignal(signal.SIGTERM)  # main treats SIGTERM as Ctrl-C: not pytest's business after it
    try:
        code = main(arguments)
    finally:
        signal.signal(signal.SIGTERM, previous)
    output = capsys.readouterr()
    assert_one_line_error(subprocess.CompletedProcess(arguments, code, output.out, output.err), status, fragment)
    assert digests(ws) == before
