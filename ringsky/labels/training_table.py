"""``ringsky labels``: the Buta (2017) ring table, its crossmatch with Galaxy Zoo, and the
training table built from both."""
import json
from pathlib import Path

import astropy.units as u
import numpy as np
from astropy.table import Table, vstack

from .. import RingskyError
from .buta import EXPECTED_ROWS, SIBLINGS, VIZIER_CATALOG, load_buta, read_hyperleda
from .crossmatch import DEFAULT_RADIUS, REPORT_RADII, counts_within, match, nearest, plot_separations, skycoord
from .galaxyzoo import read_galaxy_zoo
from ..splits import SPLITS, split_by_galaxy, split_by_tile
from ..fileio import atomic_path



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
    """Table 2 with CVRHS fields and positions, plus a report of what was recovered.

    ``source`` is the LaTeX file (HyperLEDA and GZ2 position tables are taken from beside it
    unless given) or "vizier"."""
    if source != "vizier":
        source = Path(source)
        if not source.is_file():
            raise RingskyError(f"Buta table not found: {source}")
        hyperleda = hyperleda or _sibling(source, "hyperleda")
        gz2 = gz2 or _sibling(source, "gz2")
    table = load_buta(source, read_hyperleda(hyperleda) if hyperleda else None,
                      read_galaxy_zoo(gz2) if gz2 else None)
    table.meta.update({"SOURCE": f"VizieR {VIZIER_CATALOG}" if source == "vizier" else source.name,
                       "REFERENC": "Buta 2017, MNRAS 471, 4027, Table 2"})
    report = {"rows": len(table), "expected": EXPECTED_ROWS, "has_ring": int(table["has_ring"].sum()),
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
    """Match Buta positions against Galaxy Zoo tables ("gz2", "gzdecals" or files); counts both ways,
    matched tables and a plot of the separations.

    Buta -> Galaxy Zoo: how many Buta galaxies have a counterpart within 1", 2", 5".
    Galaxy Zoo -> Buta: how many of the table's rows lie within ``radius`` of a Buta galaxy, and how
    many farther than 5" from every one (here every Buta position counts, whatever its source); for
    a table the seed joined by name, the latter are name joins the sky does not confirm.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    report, separations = {"radius_arcsec": radius.value}, {}
    for label, source in tables.items():
        zoo = read_galaxy_zoo(source)
        coords = skycoord(buta)
        if "coord_source" in buta.colnames:  # a position copied from this very table proves nothing
            circular = np.asarray(buta["coord_source"]).astype(str) == label
            coords = skycoord(Table({"ra": np.where(circular, np.nan, buta["ra"]),
                                     "dec": np.where(circular, np.nan, buta["dec"])}))
        index, separation = match(coords, skycoord(zoo), radius)
        separations[f"Buta x {label}"] = separation
        matched = buta.copy()
        matched[f"{label}_index"] = index
        matched[f"{label}_sep"] = separation
        write_table(matched, out_dir / f"buta_x_{label}.fits")
        _, to_buta = nearest(skycoord(zoo), skycoord(buta))
        report[label] = {"rows": len(zoo), "buta_matched_within": counts_within(separation, REPORT_RADII),
                         "matched_at_radius": int((index >= 0).sum()),
                         "rows_near_buta": int((to_buta <= radius).sum()),
                         "rows_over_5arcsec_from_buta": int((to_buta > 5 * u.arcsec).sum())}
    plot_separations(separations, out_dir / "separations.png")
    with atomic_path(out_dir / "crossmatch.json") as temporary:
        temporary.write_text(json.dumps(report, indent=2) + "\n")
    return report


def drop_duplicates(table, radius=DEFAULT_RADIUS):
    """Keep the first of every group of rows within ``radius`` of each other (same galaxy twice)."""
    coords = skycoord(table)
    first, second, _, _ = coords.search_around_sky(coords, radius)
    later = second[first < second]
    keep = np.ones(len(table), dtype=bool)
    keep[np.unique(later)] = False
    return table[keep], int((~keep).sum())


def split_column(table, split, nside, seed):
    """Each row's split: 70/10/20 per galaxy (stratified by label) or by whole HEALPix tiles."""
    if split == "galaxy":
        return split_by_galaxy(table["label"], seed=seed)
    if split == "tile":
        return split_by_tile(table["ra"], table["dec"], nside, seed=seed)
    raise RingskyError(f"split must be 'galaxy' or 'tile', not {split!r}")


BUILD_COLUMNS = ("outer_ring", "inner_ring", "nuclear_ring", "collisional")
"""The Buta table's columns that the builder reads besides its core ones (closed rings)."""


def build_training_table(buta, zoo, votes_column, ring_column, min_votes=20, max_ring_fraction=0.05,
                         positives="rings+pseudo", ratio=None, split="galaxy", nside=8, radius=DEFAULT_RADIUS,
                         seed=0):
    """Positives from Buta (2017), vetted negatives from a Galaxy Zoo table, split per galaxy.

    Positives: Buta galaxies with a position and a ring (``rings``: closed rings only;
    ``rings+pseudo``: rings or pseudo-rings); lens-only galaxies are never positives.
    Negatives: Galaxy Zoo galaxies with at least ``min_votes`` votes and a ring-vote fraction
    of at most ``max_ring_fraction`` that lie farther than ``radius`` from every Buta galaxy.
    Duplicates (rows within ``radius``) are dropped, then the split is made, before any
    oversampling or augmentation; ``ratio`` keeps at most that many negatives per positive.
    """
    for column in (votes_column, ring_column):
        if column not in zoo.colnames:
            raise RingskyError(f"Galaxy Zoo table has no column {column!r}")
    has_position = np.asarray(buta["coord_source"]).astype(str) != ""
    if positives == "rings":
        ringed = np.zeros(len(buta), dtype=bool)
        for column in BUILD_COLUMNS:
            ringed |= np.asarray(buta[column], dtype=bool)
    elif positives == "rings+pseudo":
        ringed = np.asarray(buta["has_ring"], dtype=bool)
    else:
        raise RingskyError(f"positives must be 'rings' or 'rings+pseudo', not {positives!r}")
    chosen = buta[has_position & ringed]
    positive = Table({"id": [f"Buta2017:{n}" for n in chosen["name"]], "ra": np.asarray(chosen["ra"]),
                      "dec": np.asarray(chosen["dec"]), "label": np.ones(len(chosen), dtype=int),
                      "origin": ["buta2017"] * len(chosen), "cvrhs": np.asarray(chosen["cvrhs"]).astype(str)})

    votes = np.ma.filled(np.ma.asarray(zoo[votes_column], dtype=float), 0)
    ring_fraction = np.ma.filled(np.ma.asarray(zoo[ring_column], dtype=float), 1)
    _, to_buta = nearest(skycoord(zoo), skycoord(buta[has_position]))
    vetted = (votes >= min_votes) & (ring_fraction <= max_ring_fraction) & (to_buta > radius)
    candidates = zoo[vetted]
    ids = candidates["iauname"] if "iauname" in candidates.colnames else np.flatnonzero(vetted)
    negative = Table({"id": np.array([f"GZ:{i}" for i in ids], dtype=str),
                      "ra": np.asarray(candidates["ra"], dtype=float), "dec": np.asarray(candidates["dec"], dtype=float),
                      "label": np.zeros(len(candidates), dtype=int), "origin": np.full(len(candidates), "galaxyzoo"),
                      "cvrhs": np.full(len(candidates), "")})
    if ratio is not None and len(negative) > ratio * len(positive):
        keep = np.random.default_rng(seed).choice(len(negative), int(ratio * len(positive)), replace=False)
        negative = negative[np.sort(keep)]

    table, dropped = drop_duplicates(vstack([positive, negative]), radius)
    table["split"] = split_column(table, split, nside, seed)
    table["ra"].unit = table["dec"].unit = "deg"
    table.meta.update({"POSITIVE": positives, "MINVOTES": min_votes, "MAXRINGF": max_ring_fraction,
                       "VOTECOL": votes_column, "RINGCOL": ring_column, "RADIUS": radius.to_value("arcsec"),
                       "RATIO": ratio if ratio is not None else "all", "SPLIT": split, "SEED": seed,
                       "DUPLICAT": dropped, "ORIGIN": "ringsky labels build"})
    return table


def split_counts(table):
    """Positives and negatives per split."""
    return {name: {"rings": int(((table["split"] == name) & (table["label"] == 1)).sum()),
                   "not_rings": int(((table["split"] == name) & (table["label"] == 0)).sum())}
            for name in SPLITS}


def flags_training_table(flags, split="galaxy", nside=8, radius=DEFAULT_RADIUS, seed=0):
    """A training table from expert ring flags (:mod:`ringsky.labels.ringflags`): every flagged
    galaxy a positive, every galaxy flagged 0 a vetted negative, the ring type kept. Duplicates
    (an id listed again, or rows within ``radius``) are dropped, then the split is made as in
    ``build_training_table``.
    The table is also a parent list (``id``, ``ra``, ``dec``) for ``ringsky fetch --parents``."""
    table = Table({"id": [f"SDSS:{i}" for i in flags["id"]], "ra": np.asarray(flags["ra"]),
                   "dec": np.asarray(flags["dec"]), "label": np.asarray(flags["has_ring"], dtype=int),
                   "origin": np.full(len(flags), "ring_flags"), "ring_type": np.asarray(flags["ring_type"]).astype(str),
                   "ring_flags": np.asarray(flags["ring_flags"])})
    if "z" in flags.colnames:
        table["z"] = np.ma.filled(np.ma.asarray(flags["z"], dtype=float), np.nan)
    _, first = np.unique(np.asarray(table["id"]), return_index=True)
    repeated = len(table) - len(first)
    table, dropped = drop_duplicates(table[np.sort(first)], radius)
    table["split"] = split_column(table, split, nside, seed)
    table["ra"].unit = table["dec"].unit = "deg"
    table.meta.update({"RADIUS": radius.to_value("arcsec"), "SPLIT": split, "SEED": seed,
                       "DUPLICAT": dropped + repeated,
                       "ORIGIN": "ringsky labels flags"})
    return table


def type_counts(table):
    """Galaxies per split and ring type ("none" for the vetted negatives)."""
    return {name: {kind: int(((table["split"] == name) & (table["ring_type"] == kind)).sum())
                   for kind in sorted(set(np.asarray(table["ring_type"]).astype(str)))}
            for name in SPLITS}


#: ring types compared between expert flags and Buta's CVRHS fields (rings and pseudo-rings alike)
AGREEMENT_TYPES = {"any ring": ("has_ring", ("has_ring",)), "inner": ("inner_ring", ("inner_ring", "inner_pseudo_ring")),
                   "outer": ("outer_ring", ("outer_ring", "outer_pseudo_ring")), "nuclear": ("nuclear_ring", ("nuclear_ring",))}
AGREEMENT_COLUMNS = tuple(dict.fromkeys(c for _, columns in AGREEMENT_TYPES.values() for c in columns if c != "has_ring"))
"""The Buta table's columns that the agreement reads besides its core ones."""


def flags_agreement(flags, buta, radius=3 * u.arcsec):
    """Where expert ring flags and Buta (2017) see the same galaxies (nearest match within
    ``radius``): a confusion table per ring type (rows: type, both, flags only, Buta only,
    neither) and the galaxies on which their any-ring verdicts disagree, the hard cases."""
    index, separation = match(skycoord(flags), skycoord(buta), radius)
    shared = index >= 0
    mine, theirs = flags[shared], buta[index[shared]]
    rows = []
    for name, (flag_column, buta_columns) in AGREEMENT_TYPES.items():
        said = np.asarray(mine[flag_column], dtype=bool)
        seen = np.zeros(len(theirs), dtype=bool)
        for column in buta_columns:
            seen |= np.asarray(theirs[column], dtype=bool)
        rows.append((name, int((said & seen).sum()), int((said & ~seen).sum()), int((~said & seen).sum()),
                     int((~said & ~seen).sum())))
    confusion = Table(rows=rows, names=("ring_type", "both", "flags_only", "buta_only", "neither"))
    confusion.meta.update({"SHARED": int(shared.sum()), "RADIUS": radius.to_value("arcsec")})
    differ = np.asarray(mine["has_ring"], dtype=bool) != np.asarray(theirs["has_ring"], dtype=bool)
    hard = Table({"id": mine["id"][differ], "ra": mine["ra"][differ], "dec": mine["dec"][differ],
                  "ring_flags": mine["ring_flags"][differ], "flags_ring_type": mine["ring_type"][differ],
                  "buta_name": theirs["name"][differ], "buta_cvrhs": theirs["cvrhs"][differ],
                  "separation_arcsec": separation[shared][differ].to_value("arcsec")})
    return confusion, hard


VERDICTS = ("ring", "not ring", "uncertain")


def zoo_verdicts(zoo, min_votes=20, ring_fraction=0.5, max_ring_fraction=0.05):
    """Each Galaxy Zoo row's ring verdict from its volunteers: "ring" (at least ``min_votes`` votes
    and a ring fraction of at least ``ring_fraction``), "not ring" (enough votes, at most
    ``max_ring_fraction``: the builder's vetted negatives) or "uncertain". A table without vote
    columns (such as Buta's rings joined to Galaxy Zoo) is a list of rings: every row "ring"."""
    if "ring_fraction" not in zoo.colnames:
        return np.full(len(zoo), "ring", dtype=object)
    votes = np.ma.filled(np.ma.asarray(zoo["votes"], dtype=float), 0)
    fraction = np.ma.filled(np.ma.asarray(zoo["ring_fraction"], dtype=float), np.nan)
    verdict = np.full(len(zoo), "uncertain", dtype=object)
    verdict[(votes >= min_votes) & (fraction >= ring_fraction)] = "ring"
    verdict[(votes >= min_votes) & (fraction <= max_ring_fraction)] = "not ring"
    return verdict


def flags_zoo_agreement(flags, zoo, radius=3 * u.arcsec, min_votes=20, ring_fraction=0.5, max_ring_fraction=0.05):
    """Expert ring flags against a Galaxy Zoo table's verdicts (``zoo_verdicts`` with these cuts)
    on the galaxies both hold: per flags ring type (any ring, none, then each type) how many the
    volunteers call a ring, not a ring or leave uncertain; and the hard cases, where the flags
    and a confident volunteer verdict disagree."""
    index, separation = match(skycoord(flags), skycoord(zoo), radius)
    shared = index >= 0
    mine, verdict = flags[shared], zoo_verdicts(zoo, min_votes, ring_fraction, max_ring_fraction)[index[shared]]
    kinds = np.asarray(mine["ring_type"]).astype(str)
    ringed = np.asarray(mine["has_ring"], dtype=bool)
    groups = {"any ring": ringed, "none": ~ringed}
    groups.update({kind: kinds == kind for kind in sorted(set(kinds) - {"none"})})
    confusion = Table(rows=[(name, int(chosen.sum()), *(int((chosen & (verdict == v)).sum()) for v in VERDICTS))
                            for name, chosen in groups.items()],
                      names=("flags_ring_type", "shared", "zoo_ring", "zoo_not_ring", "zoo_uncertain"))
    confusion.meta.update({"SHARED": int(shared.sum()), "RADIUS": radius.to_value("arcsec"),
                           "VOTES": "ring_fraction" in zoo.colnames, "MINVOTES": min_votes, "RINGF": ring_fraction,
                           "MAXRINGF": max_ring_fraction})
    differ = (ringed & (verdict == "not ring")) | (~ringed & (verdict == "ring"))
    hard = Table({"id": mine["id"][differ], "ra": mine["ra"][differ], "dec": mine["dec"][differ],
                  "ring_flags": mine["ring_flags"][differ], "flags_ring_type": mine["ring_type"][differ],
                  "zoo_verdict": verdict[differ].astype(str),
                  "separation_arcsec": separation[shared][differ].to_value("arcsec")})
    return confusion, hard


def mark_disagreements(table, buta, radius=3 * u.arcsec):
    """A flags training table with ``buta_name`` and ``disagrees`` columns: True where Buta (2017)
    holds the galaxy (nearest within ``radius``) and its any-ring verdict is not the table's label."""
    index, _ = match(skycoord(table), skycoord(buta), radius)
    shared = index >= 0
    theirs = np.zeros(len(table), dtype=bool)
    theirs[shared] = np.asarray(buta["has_ring"], dtype=bool)[index[shared]]
    names = np.full(len(table), "", dtype=object)
    names[shared] = np.asarray(buta["name"]).astype(str)[index[shared]]
    table["buta_name"] = names.astype(str)
    table["disagrees"] = shared & (theirs != np.asarray(table["label"], dtype=bool))
    return table


def write_agreement(sections, hard_cases, out_dir):
    """``agreement.md`` (one confusion table per section) and one FITS table of hard cases per
    source (``disagreements.fits`` for Buta, ``disagreements_LABEL.fits`` for a Galaxy Zoo
    table) in ``out_dir``; returns the markdown."""
    out_dir = Path(out_dir)
    for name, hard in hard_cases.items():
        write_table(hard, out_dir / name)
    text = "\n".join(sections)
    with atomic_path(out_dir / "agreement.md") as temporary:
        temporary.write_text(text)
    return text


def agreement_markdown(confusion, flags_path, buta_path):
    lines = [f"Expert ring flags ({flags_path}) against Buta (2017) ({buta_path}): {confusion.meta['SHARED']} galaxies "
             f"in both, nearest match within {confusion.meta['RADIUS']:g}\" (`ringsky labels agreement`). Buta's "
             "rings and pseudo-rings count alike; the flags' pseudo bit is its own type.", "",
             "| ring type | both say ring | flags only | Buta only | neither |", "|---|---|---|---|---|"]
    lines += [f"| {r['ring_type']} | {r['both']} | {r['flags_only']} | {r['buta_only']} | {r['neither']} |"
              for r in confusion]
    return "\n".join(lines) + "\n"


def zoo_agreement_markdown(confusion, flags_path, label, zoo_path):
    if confusion.meta["VOTES"]:
        m = confusion.meta
        how = (f"the volunteers' verdict from the ring vote fraction (ring: >= {m['MINVOTES']:g} votes and >= "
               f"{m['RINGF']:g}; not ring: >= {m['MINVOTES']:g} votes and <= {m['MAXRINGF']:g}, the builder's "
               "vetted negatives; otherwise uncertain)")
    else:
        how = "a table of rings without ring votes, so every galaxy it holds counts as a ring"
    lines = [f"Expert ring flags ({flags_path}) against Galaxy Zoo {label} ({zoo_path}): {confusion.meta['SHARED']} "
             f"galaxies in both within {confusion.meta['RADIUS']:g}\"; {how}.", "",
             "| flags ring type | shared | Galaxy Zoo: ring | not ring | uncertain |", "|---|---|---|---|---|"]
    lines += [f"| {r['flags_ring_type']} | {r['shared']} | {r['zoo_ring']} | {r['zoo_not_ring']} | {r['zoo_uncertain']} |"
              for r in confusion]
    return "\n".join(lines) + "\n"
