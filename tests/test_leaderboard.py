"""scripts/leaderboard.py on out-of-fold predictions already on disk (no training)."""
import subprocess
import sys

import numpy as np
from astropy.table import Table
from conftest import REPO


def write_predictions(folder, probability):
    """40 galaxies, 2 seeds x 2 folds: ring = first half; colour ranks them perfectly."""
    ring = np.repeat([1, 0], 20)
    rows = [(f"g{i}", ring[i], seed, i % 2, float(ring[i]) + 0.01 * i, float(probability[i]))
            for seed in (0, 1) for i in range(40)]
    folder.mkdir(parents=True)
    Table(rows=rows, names=("id", "ring", "seed", "fold", "colour", "probability")).write(
        folder / "predictions.ecsv", format="ascii.ecsv")


def test_rows_ensembles_and_the_colour_blend_are_scored_from_their_predictions(tmp_path):
    write_predictions(tmp_path / "perfect", np.linspace(1, 0, 40))  # rings first: AUC 1
    write_predictions(tmp_path / "reversed", np.linspace(0, 1, 40))  # rings last: AUC 0
    rows = tmp_path / "board.toml"
    rows.write_text('labelled = "folder:x"\nseeds = "0,1"\n'
                    '[[row]]\nname = "perfect"\nwhat = "p"\noptions = []\n'
                    '[[row]]\nname = "reversed"\nwhat = "r"\noptions = []\n'
                    '[[ensemble]]\nname = "blend"\nwhat = "b"\nrows = ["reversed"]\ncolour = true\n')
    subprocess.run([sys.executable, "scripts/leaderboard.py", "--rows", rows, "--out", tmp_path, "--only", "none"],
                   check=True, cwd=REPO, capture_output=True)
    board = {line.split(" | ")[0].strip("| "): line.split(" | ")
             for line in (tmp_path / "board.md").read_text().splitlines() if line.startswith("| ")}
    assert board["perfect"][2] == "1.000 ± 0.000" and board["reversed"][2] == "0.000 ± 0.000"
    assert board["colour"][2] == "1.000 ± 0.000"
    assert board["reversed"][6] == "-1.000 ± 0.000 (0/4)"  # behind colour in every fold and seed
    # ranks of a reversed model and a perfect colour tie every ring with a non-ring: AUC 0.5
    assert board["blend"][2] == "0.500 ± 0.000" and "and the colour" in board["blend"][7]
