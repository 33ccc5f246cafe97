"""``ringsky labels``: the Buta (2017) ring table and its crossmatch with Galaxy Zoo."""
import json
from pathlib import Path

import numpy as np
from astropy.table import Table

from . import RingskyError
from .catalogs.buta import load_buta, read_hyperleda
from .catalogs.crossmatch import REPORT_RADII, counts_within, match, nearest, plot_separations, skycoord
from .catalogs.galaxyzoo import read_galaxy_zoo
from .fileio import atomic_path

SIBLINGS = {"hyperleda": "buta2017_hyperleda.txt", "gz2": "buta2017_gz2_matched.csv"}


def write_table(table, path):
    """FITS or parquet by extension, atomically."""
    path = Path(path)
    formats = {".fits": "fits", ".parquet": "parquet"}
    if path.suffix not in formats:
        raise RingskyError(f"{path}: output must end in .fits or .parquet")
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as temporary:
        table.write(temporary, format=formats[path.suffix])


def buta_table(source, hyperleda=None, gz2=None):
    """Table 2 with CVRHS fields and positions, plus a report of what was recovered."""
    source = Path(source)
    if not source.is_file():
        raise RingskyError(f"Buta table not found: {source}")
    hyperleda = hyperleda or _sibling(source, "hyperleda")
    gz2 = gz2 or _sibling(source, "gz2")
    table = load_buta(source, read_hyperleda(hyperleda) if hyperleda else None,
                      read_galaxy_zoo(gz2) if gz2 else None)
    table.meta.update({"SOURCE": source.name, "REFERENC": "Buta 2017, MNRAS 471, 4027, Table 2"})
    report = {"rows": len(table), "has_ring": int(table["has_ring"].sum()),
              "lens_only": int(table["lens_only"].sum()),
              "with_position": int((table["coord_source"] != "").sum()),
              "position_from": {s: int((table["coord_source"] == s).sum()) for s in ("jname", "hyperleda", "gz2")},
              "without_position": [str(n) for n in table["name"][table["coord_source"] == ""]]}
    for column in ("sep_hyperleda", "sep_gz2"):
        if column in table.colnames:
            separation = table[column].compressed()
            report[f"{column}_arcsec"] = {"n": len(separation),
                                          "median": round(float(np.median(separation)), 3),
                                          "p99": round(float(np.percentile(separation, 99)), 3),
                                          "over_5arcsec": int((separation > 5).sum())}
    return table, report


def _sibling(source, key):
    path = source.parent / SIBLINGS[key]
    return path if path.is_file() else None


def crossmatch_report(buta, tables, out_dir, radius):
    """Match Buta positions against Galaxy Zoo tables; counts, matched tables and a plot."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    report, separations = {"radius_arcsec": radius.value}, {}
    for label, path in tables.items():
        zoo = read_galaxy_zoo(path)
        coords = skycoord(buta)
        if "coord_source" in buta.colnames:  # a position copied from this very table proves nothing
            circular = np.asarray(buta["coord_source"]).astype(str) == label
            coords = skycoord(Table({"ra": np.where(circular, np.nan, buta["ra"]),
                                     "dec": np.where(circular, np.nan, buta["dec"])}))
        _, separation = nearest(coords, skycoord(zoo))
        index, _ = match(coords, skycoord(zoo), radius)
        separations[f"Buta x {label}"] = separation
        matched = buta.copy()
        matched[f"{label}_index"] = index
        matched[f"{label}_sep"] = separation
        write_table(matched, out_dir / f"buta_x_{label}.fits")
        report[label] = {"rows": len(zoo), "buta_matched_within": counts_within(separation, REPORT_RADII),
                         "matched_at_radius": int((index >= 0).sum())}
    plot_separations(separations, out_dir / "separations.png")
    with atomic_path(out_dir / "crossmatch.json") as temporary:
        temporary.write_text(json.dumps(report, indent=2) + "\n")
    return report
