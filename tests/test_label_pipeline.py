"""The label path end to end, offline: expert ring flags -> a split training table -> its
cutouts fetched from the replay server into a folder -> a model trained on it -> evaluated on
the table's test split, the four commands of the README's labels section."""
import json

import numpy as np
from astropy.table import Table
from conftest import config_home, run_cli
from replay_server import replay_server

from ringsky.simulate import RING_TYPES

RING_FLAGS = (4, 8, 12, 2, 16, 4 + 16)


def write_flags(path, n=40):
    """``n`` galaxies a few arcmin apart near (150, 2) deg, half of them rings of every type."""
    rng = np.random.default_rng(3)
    flags = [RING_FLAGS[(k // 2) % len(RING_FLAGS)] if k % 2 else 0 for k in range(n)]
    rows = [f"{5870000000000 + k},{150 + rng.uniform(-0.4, 0.4):.6f},{2 + rng.uniform(-0.4, 0.4):.6f},0.05,{f}"
            for k, f in enumerate(flags)]
    path.write_text("objid,ra,dec,z,ring_flags\n" + "\n".join(rows) + "\n")


def test_flags_to_fetched_folder_to_trained_and_evaluated_model(tmp_path):
    write_flags(tmp_path / "flags.csv")
    run_cli("labels", "flags", "--flags", tmp_path / "flags.csv", "--out", tmp_path / "table.fits")
    table = Table.read(tmp_path / "table.fits")

    folder = tmp_path / "cutouts"
    with replay_server() as server:
        env = {"XDG_CONFIG_HOME": str(config_home(tmp_path, legacy_url=f"{server.url}/viewer")),
               "RINGSKY_CACHE": str(tmp_path / "cache")}
        fetched = run_cli("fetch", "--tile", "nside=8", "--survey", "legacy", "--parents", tmp_path / "table.fits",
                          "--npix", 48, "--folder", folder, "--quiet", env=env)
        requests = len(server.log)
    assert "fetched 40 of 40 cutouts" in fetched.stdout and requests == 40
    assert f"40 cutouts (20 rings: a labelled source for train, crossval and evaluate) -> folder:{folder}" \
        in fetched.stdout

    manifest = Table.read(folder / "catalogue.csv", format="ascii.csv", converters={"id": str})
    by_id = {str(i): k for k, i in enumerate(table["id"])}
    rows = [by_id[str(i)] for i in manifest["id"]]
    assert list(manifest["ring"]) == list(table["label"][rows])  # the truth is the table's, galaxy by galaxy
    assert list(manifest["split"]) == list(table["split"][rows])
    assert list(manifest["ring_type"]) == list(table["ring_type"][rows])
    assert all((folder / name).is_file() for name in manifest["image"])

    learning = int(np.isin(np.asarray(table["split"]).astype(str), ("train", "validation")).sum())
    trained = run_cli("train", "--labelled", f"folder:{folder}", "--architecture", "simple_cnn", "--input-size", 32,
                      "--epochs", 1, "--batch-size", 8, "--task", "ring+type", "--out", tmp_path / "model", "--quiet",
                      env={"RINGSKY_CACHE": str(tmp_path / "cache")})
    assert "model " in trained.stdout
    config = json.loads((tmp_path / "model.json").read_text())
    assert f"{(table['split'] == 'train').sum()} training, {(table['split'] == 'validation').sum()} validation" \
        in config["training"]["data"] and learning < len(table)

    evaluated = run_cli("evaluate", "--survey", f"folder:{folder}", "--model", tmp_path / "model.json",
                        "--resamples", 10, "--out", tmp_path / "evaluation", env={"RINGSKY_CACHE": str(tmp_path / "cache")})
    test = table[table["split"] == "test"]
    assert "(its test split)" in evaluated.stdout
    assert f"test set: {len(test)} galaxies ({int(test['label'].sum())} rings" in evaluated.stdout
    for kind in set(test["ring_type"][test["label"] == 1]):
        assert f"recall of {kind} rings: " in evaluated.stdout
    typed = int(np.isin(np.asarray(test["ring_type"]).astype(str), RING_TYPES).sum())  # inner+pseudo is none of the head's types
    assert 0 < typed < int(test["label"].sum()) and "ring-type head: accuracy" in evaluated.stdout
    assert f" on {typed} typed rings" in evaluated.stdout
    everything = run_cli("evaluate", "--survey", f"folder:{folder}", "--model", tmp_path / "model.json", "--split",
                         "all", "--resamples", 10, "--out", tmp_path / "all", env={"RINGSKY_CACHE": str(tmp_path / "cache")})
    assert f"test set: {len(table)} galaxies" in everything.stdout
