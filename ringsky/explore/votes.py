"""People's verdicts on catalogue candidates, kept in SQLite beside the catalogue.

Every vote is a row (who, what, when); an object's verdict is its latest vote. SQLite in WAL
mode with a busy timeout lets two browser sessions vote at once and keeps votes across
restarts. The export is a folder source (PNG cutouts plus a ``catalogue.csv`` manifest with
``ring`` 1/0), which ``ringsky train --labelled folder:PATH`` and ``ringsky evaluate`` read.
"""
import csv
import datetime
import sqlite3
from pathlib import Path

import numpy as np

from .. import RingskyError
from ..catalogue.files import source_rows
from ..fileio import atomic_path
from ..imaging import write_png

LABELS = ("ring", "not_ring", "unsure")

SCHEMA = """
CREATE TABLE IF NOT EXISTS votes (
    vote INTEGER PRIMARY KEY AUTOINCREMENT,
    source_id TEXT NOT NULL,
    label TEXT NOT NULL CHECK (label IN ('ring', 'not_ring', 'unsure')),
    voter TEXT NOT NULL,
    voted_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS votes_by_source ON votes (source_id, vote);
"""


def votes_path(catalogue_path):
    """``catalogue.fits`` -> ``catalogue.votes.sqlite`` beside it."""
    catalogue_path = Path(catalogue_path)
    return catalogue_path.with_name(catalogue_path.stem + ".votes.sqlite")


class VoteStore:
    """The votes on one catalogue. Open one per browser session; each call is one transaction."""

    def __init__(self, path):
        self.path = Path(path)
        try:
            self._db = sqlite3.connect(self.path, timeout=10, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(SCHEMA)
        except sqlite3.Error as error:
            raise RingskyError(f"cannot open the vote database {self.path}: {error}") from error

    def record(self, source_id, label, voter="anonymous"):
        if label not in LABELS:
            raise RingskyError(f"unknown vote {label!r}: expected one of {', '.join(LABELS)}")
        now = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
        with self._db:
            self._db.execute("INSERT INTO votes (source_id, label, voter, voted_at) VALUES (?, ?, ?, ?)",
                             (str(source_id), label, voter, now))

    def verdicts(self):
        """{source_id: latest label} over every voted object."""
        rows = self._db.execute(
            "SELECT source_id, label FROM votes WHERE vote IN (SELECT MAX(vote) FROM votes GROUP BY source_id)")
        return dict(rows.fetchall())

    def close(self):
        self._db.close()


def most_uncertain(catalogue, verdicts, threshold, count=1):
    """Indices of the unvetted rows whose probability lies nearest the threshold: the
    candidates a vote teaches the model most about."""
    vetted = np.isin(np.asarray(catalogue["source_id"], dtype=str), list(verdicts))
    distance = np.abs(np.asarray(catalogue["ring_probability"], dtype=float) - threshold)
    distance[vetted] = np.inf
    order = np.argsort(distance, kind="stable")[:count]
    return order[np.isfinite(distance[order])]


def export_labels(catalogue, verdicts, source, out_dir, npix=128):
    """Write the ring / not-ring verdicts (unsure ones left out) as a folder source; returns
    the manifest path. Cutouts come from the catalogue's own image source."""
    out_dir = Path(out_dir)
    ids = np.asarray(catalogue["source_id"], dtype=str)
    keep = np.array([verdicts.get(i) in ("ring", "not_ring") for i in ids], dtype=bool)
    if not keep.any():
        raise RingskyError("no ring / not-ring votes to export yet")
    rows = catalogue[keep]
    (out_dir / "images").mkdir(parents=True, exist_ok=True)
    manifest = out_dir / "catalogue.csv"
    records = []
    for healpix in np.unique(np.asarray(rows["healpix"])):
        these = rows[np.asarray(rows["healpix"]) == healpix]
        galaxies = source_rows(source, these, int(catalogue.meta["HPXNSIDE"]), int(healpix))
        for galaxy, image, field in zip(galaxies, source.cutouts(galaxies, npix), source.fields(galaxies, npix)):
            name = f"images/{galaxy['id']}.png"
            with atomic_path(out_dir / name) as temporary:
                write_png(image, temporary)
            records.append({"id": str(galaxy["id"]), "ra": float(galaxy["ra"]), "dec": float(galaxy["dec"]),
                            "image": name, "ring": int(verdicts[str(galaxy["id"])] == "ring"),
                            "field_arcsec": round(float(field), 3)})
    with atomic_path(manifest) as temporary:
        with open(temporary, "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(records[0]))
            writer.writeheader()
            writer.writerows(records)
    return manifest

