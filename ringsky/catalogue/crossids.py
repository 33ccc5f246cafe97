"""Cross-identifications: each catalogue galaxy's nearest counterpart in known ring catalogues.

For every table matched under a short name NAME the catalogue gains ``NAME_id`` (the
counterpart's identifier, empty where none lies within the radius), ``NAME_sep`` (arcsec,
masked where none) and, for tables that type their rings (Buta 2017's CVRHS types, expert ring
flags), ``NAME_type``. The nearest counterpart comes from ``SkyCoord.match_to_catalog_sky``.

By default the known catalogues are those found in ``../shared/data/catalogues`` beside the
repository (or ``conf.known_catalogues``, or ``$RINGSKY_KNOWN_CATALOGUES``): Buta (2017) Table 2, the expert ring flags, and the
published Shan et al. (2024) ConvNeXt and Krishnakumar et al. (2024) rings.
"""
import os
import re
from pathlib import Path

import astropy.units as u
import numpy as np
from astropy.coordinates import SkyCoord
from astropy.io import ascii
from astropy.table import MaskedColumn, Table

from .. import RingskyError
from ..labels.buta import SIBLINGS, load_buta, read_hyperleda
from ..labels.galaxyzoo import read_galaxy_zoo
from ..labels.ringflags import read_ring_flags
from ..config import cache_folder, conf
from ..fileio import atomic_path, version_key

DEFAULT_RADIUS = 5 * u.arcsec
"""Match radius: catalogue positions of one galaxy agree to about an arcsec; 5" takes in
centroid differences of large discs without reaching a neighbour at z ~ 0.05."""

KNOWN = {"buta2017": "buta2017_table2.tex", "ringflags": "sdss_ring_flags.csv",
         "shan2024": "shan2024_convnext_rings.csv", "krishnakumar2024": "krishnakumar2024_rings.csv"}
"""Short name -> file of the published ring catalogues matched by default."""

ID_COLUMNS = ("id", "objid", "objID", "ID", "iauname", "name")


def known_folder():
    """Where the published catalogues are looked for."""
    given = conf.known_catalogues or os.environ.get("RINGSKY_KNOWN_CATALOGUES")
    return Path(given) if given else Path(__file__).resolve().parents[3] / "shared" / "data" / "catalogues"


def default_matches():
    """{name: path} of the published catalogues present."""
    folder = known_folder()
    return {name: folder / file for name, file in KNOWN.items() if (folder / file).is_file()}


def parse_match(text):
    """``NAME=TABLE`` of ``--match``: a short name (letters, digits, _) and an existing file."""
    name, _, path = text.partition("=")
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name) or not path:
        raise RingskyError(f"--match {text!r}: expected NAME=TABLE with a NAME of letters, digits and _")
    if not Path(path).is_file():
        raise RingskyError(f"--match {text!r}: no table at {path}")
    return name, Path(path)


def read_counterparts(path):
    """(ids as text, ra, dec in deg, ring types or None) of one known catalogue: Buta's LaTeX
    Table 2 (with its HyperLEDA and GZ2 position tables beside it), a ring-flag table, or any
    table with an id and RA/Dec columns. Kept in the cache by the files read, since Buta's
    table takes seconds to parse."""
    path = Path(path)
    inputs = [path] + [path.with_name(name) for name in SIBLINGS.values() if path.suffix == ".tex"]
    cached = cache_folder("known") / f"{version_key([p for p in inputs if p.is_file()])}.npz"
    if cached.is_file():
        with np.load(cached) as saved:
            return saved["ids"], saved["ra"], saved["dec"], saved["types"] if saved["typed"] else None
    ids, ra, dec, types = _parse_counterparts(path)
    cached.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(cached) as temporary, open(temporary, "wb") as out:
        np.savez(out, ids=ids, ra=ra, dec=dec, types=types if types is not None else np.array([], dtype=str),
                 typed=types is not None)
    return ids, ra, dec, types


def _parse_counterparts(path):
    if path.suffix == ".tex":
        leda, gz2 = path.with_name(SIBLINGS["hyperleda"]), path.with_name(SIBLINGS["gz2"])
        table = load_buta(path, read_hyperleda(leda) if leda.is_file() else None,
                          read_galaxy_zoo(gz2) if gz2.is_file() else None)
        table = table[np.asarray(table["coord_source"]).astype(str) != ""]
        return (np.asarray(table["name"]).astype(str), np.asarray(table["ra"], float), np.asarray(table["dec"], float),
                np.asarray(table["cvrhs"]).astype(str))
    try:
        table = Table.read(path, format="ascii.csv", converters={c: [ascii.convert_numpy(str)] for c in ID_COLUMNS}) \
            if path.suffix == ".csv" else Table.read(path)
    except (OSError, ValueError) as error:
        raise RingskyError(f"cannot read table {path} to match: {str(error).splitlines()[0]}") from error
    if "ring_flags" in table.colnames:
        flags = read_ring_flags(path)
        return (np.asarray(flags["id"]).astype(str), np.asarray(flags["ra"], float), np.asarray(flags["dec"], float),
                np.asarray(flags["ring_type"]).astype(str))
    lower = {name.lower(): name for name in table.colnames}
    ra, dec = next(((lower[r], lower[d]) for r, d in (("ra", "dec"), ("raj2000", "dej2000")) if r in lower and d in lower),
                   (None, None))
    if ra is None:
        raise RingskyError(f"{path}: no RA/Dec columns (ra, dec in degrees) to match on")
    id_column = next((c for c in ID_COLUMNS if c in table.colnames), None)
    ids = np.asarray(table[id_column]).astype(str) if id_column else np.arange(len(table)).astype(str)
    return ids, np.asarray(table[ra], dtype=float), np.asarray(table[dec], dtype=float), None


def cross_identify(table, matches, radius=DEFAULT_RADIUS):
    """Add ``NAME_id``, ``NAME_sep`` (and ``NAME_type``) columns to the catalogue ``table`` for
    each ``{name: path}`` of ``matches``; returns {column: (unit, UCD, description)}."""
    described = {}
    galaxies = SkyCoord(np.asarray(table["ra"], dtype=float) * u.deg, np.asarray(table["dec"], dtype=float) * u.deg)
    for name, path in matches.items():
        ids, ra, dec, types = read_counterparts(path)
        known = np.isfinite(ra) & np.isfinite(dec)
        ids, ra, dec = ids[known], ra[known], dec[known]
        found = np.zeros(len(table), dtype=bool)
        index = np.zeros(len(table), dtype=int)
        separation = np.full(len(table), np.nan)
        if len(ra) and len(table):
            index, angle, _ = galaxies.match_to_catalog_sky(SkyCoord(ra * u.deg, dec * u.deg))
            separation = angle.to_value(u.arcsec)
            found = separation <= radius.to_value(u.arcsec)
        table[f"{name}_id"] = np.where(found, ids[index] if len(ra) else "", "").astype(str)
        table[f"{name}_sep"] = MaskedColumn(np.where(found, separation, np.nan), mask=~found, unit=u.arcsec)
        where = Path(path).name
        described[f"{name}_id"] = (None, "meta.id.cross", f"Identifier of the nearest {where} galaxy within "
                                   f"{radius.to_value(u.arcsec):g} arcsec (empty: none)")
        described[f"{name}_sep"] = (u.arcsec, "pos.angDistance", f"Separation from that {where} galaxy")
        if types is not None:
            types = types[known]
            table[f"{name}_type"] = np.where(found, types[index] if len(ra) else "", "").astype(str)
            described[f"{name}_type"] = (None, "src.morph.type", f"Ring type of that {where} galaxy")
    return described
