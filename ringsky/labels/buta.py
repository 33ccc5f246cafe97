"""Buta (2017, MNRAS 471, 4027) "Galactic Rings Revisited I", Table 2: 3962 ringed galaxies
from Galaxy Zoo 2 with CVRHS types, read from the LaTeX source of the table or from VizieR
(J/MNRAS/471/4027).

The LaTeX table repeats its header on every page, opens each hour of RA with a section row,
continues long notes on rows of ditto marks (``"``) and occasionally on a bare wrapped line;
all of that is folded back into one row per galaxy. Positions come from the J-names where
the name is a 2MASX (``J07242070+4209004``) or SDSS (``J074118.53+341347.6``) designation,
else from HyperLEDA by PGC number, else from the Galaxy Zoo 2 table by GZ2 image id.
"""
import io
import re
from pathlib import Path

import astropy.units as u
import numpy as np
from astropy.coordinates import SkyCoord
from astropy.table import MaskedColumn, Table

from .. import RingskyError
from ..config import conf
from ..net import fetch
from ..rows import read_table
from .cvrhs import parse_cvrhs, plain_type

EXPECTED_ROWS = 3962
SIBLINGS = {"hyperleda": "buta2017_hyperleda.txt", "gz2": "buta2017_gz2_matched.csv"}
"""The position tables read from beside the LaTeX Table 2 unless others are given."""
VIZIER_CATALOG = "J/MNRAS/471/4027"
_VIZIER_COLUMNS = {"name": ("Name", "2MASX", "SDSS", "ID"), "pgc": ("PGC",),
                   "gz2_image": ("GZ2", "GZ2ID", "GZ2Id", "Image", "ImgId"), "z": ("z",), "t_stage": ("T",),
                   "cvrhs": ("CVRHS", "Type", "MType", "Morph"), "notes": ("Notes", "Note", "Rem", "Com", "Comm")}
"""ringsky column -> the names VizieR may give it, tried in order, case-insensitively."""
_HEADER_NAMES = {"2MASX/SDSS", "Other name", "Other", "1"}
_TWOMASX = re.compile(r"^J(\d{2})(\d{2})(\d{2})(\d{2})([+-])(\d{2})(\d{2})(\d{2})(\d)$")
_SDSS = re.compile(r"^J(\d{2})(\d{2})(\d{2}\.\d+)([+-])(\d{2})(\d{2})(\d{2}\.\d+)$")


def _cells(line):
    return [cell.strip() for cell in line.strip()[:-2].split("&")]


def _number(text):
    """A float, or NaN for the table's blanks and dots."""
    return float(text) if re.fullmatch(r"-?\d*\.?\d+", text) else np.nan


def read_table2_latex(path):
    """One row per galaxy: name, pgc, gz2_image, z, t_stage, cvrhs (plain), cvrhs_published (LaTeX),
    notes, and where it sits in the file (ra_hour, line). A file that is not that table is one
    RingskyError naming the file (and the line, where one is to blame)."""
    rows, section = [], None
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise RingskyError(f"cannot read {path} as LaTeX text: {error}") from error
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if not text.endswith("\\\\"):
            continue
        try:
            section = _read_row(_cells(text), rows, section, number)
        except (ValueError, IndexError, TypeError) as error:
            raise RingskyError(f"{path}:{number}: cannot read this row of Table 2: {text[:60]!r}") from error
    if not rows:
        raise RingskyError(f"{path} holds no row of Buta (2017) Table 2 (name & PGC & image & z & T & CVRHS & notes \\\\)")
    return _with_blanks_masked(Table(rows=rows))


def _read_row(cells, rows, section, number):
    """Add the galaxy (or the continued notes) of one table line to ``rows``; the RA section after it."""
    if cells[0].startswith("{\\bf"):
        return int(re.search(r"RA:\s*(\d+)", cells[0])[1])
    if len(cells) == 1 and rows:
        rows[-1]["notes"] += " " + cells[0]
    elif '"' in cells[0]:
        rows[-1]["notes"] += " " + cells[-1]
    elif cells[0] in _HEADER_NAMES:
        pass
    elif len(cells) == 7:
        name, pgc, image, z, t_stage, cvrhs, notes = cells
        rows.append({"name": name, "pgc": int(pgc) if pgc.isdigit() else -1,
                     "gz2_image": int(image) if image.isdigit() else -1,
                     "z": _number(z), "t_stage": _number(t_stage.replace("$-$", "-")), "cvrhs_published": cvrhs,
                     "cvrhs": plain_type(cvrhs), "notes": notes, "ra_hour": section, "line": number})
    else:
        raise ValueError("not a row of seven cells")
    return section


def _with_blanks_masked(table):
    """Blank ids (-1) and numbers (NaN) become masked; notes get single spaces."""
    table["notes"] = [re.sub(r"\s+", " ", n).strip() for n in table["notes"]]
    table["pgc"] = MaskedColumn(table["pgc"], mask=table["pgc"] < 0)
    table["gz2_image"] = MaskedColumn(table["gz2_image"], mask=table["gz2_image"] < 0)
    for column in ("z", "t_stage"):
        table[column] = MaskedColumn(table[column], mask=np.isnan(table[column]))
    return table


def vizier_type(text):
    """A type as VizieR writes it -> ringsky's plain form (``R_1_'`` -> ``R1'``, ``SAB_a_`` -> ``SAB_a``,
    ``0^+^`` -> ``0+``)."""
    text = plain_type(text) if "$" in text or "\\" in text else text
    text = re.sub(r"\^([^^]*)\^?", r"\1", text)
    return re.sub(r"_\{?([0-9]+|[a-z])\}?_?", lambda m: m[1] if m[1].isdigit() else "_" + m[1], text).strip()


def vizier_payload(catalog=VIZIER_CATALOG):
    """The request body astroquery.vizier builds for every row and column of ``catalog``."""
    from astroquery.vizier import Vizier

    return Vizier(columns=["**"], row_limit=-1).get_catalogs(catalog, get_query_payload=True)


def _vizier_column(table, key):
    by_lower = {name.lower(): name for name in table.colnames}
    for candidate in _VIZIER_COLUMNS[key]:
        if candidate.lower() in by_lower:
            return table[by_lower[candidate.lower()]]
    return None


def read_table2_vizier(catalog=VIZIER_CATALOG):
    """Table 2 from VizieR through the HTTP layer (cached, retried): same columns as the LaTeX reader,
    with the type as VizieR writes it in ``cvrhs_published``."""
    from astropy.io.votable import parse

    content = fetch(conf.vizier_url, data=vizier_payload(catalog), expect="votable")
    tables = list(parse(io.BytesIO(content)).iter_tables())
    named = [t for t in tables if str(t.name).endswith("table2")] or tables
    votable = max(named, key=lambda t: len(t.array)).to_table(use_names_over_ids=True)
    columns = {key: _vizier_column(votable, key) for key in _VIZIER_COLUMNS}
    if columns["name"] is None or columns["cvrhs"] is None:
        raise RingskyError(f"VizieR {catalog}: no name or type column among {votable.colnames}")

    def values(key, blank):
        column = columns[key]
        return np.full(len(votable), blank) if column is None else np.ma.filled(np.ma.asarray(column), blank)

    published = [str(t).strip() for t in values("cvrhs", "")]
    table = Table({"name": [str(n).strip() for n in values("name", "")],
                   "pgc": values("pgc", -1).astype(int), "gz2_image": values("gz2_image", -1).astype(np.int64),
                   "z": values("z", np.nan).astype(float), "t_stage": values("t_stage", np.nan).astype(float),
                   "cvrhs_published": published, "cvrhs": [vizier_type(t) for t in published],
                   "notes": [str(n) for n in values("notes", "")]})
    return _with_blanks_masked(table)


def add_cvrhs_fields(table):
    """Columns for every parsed CVRHS field (outer_ring, inner_variety, has_ring, ...)."""
    parsed = [parse_cvrhs(t).as_dict() for t in table["cvrhs"]]
    for key in parsed[0]:
        if key != "type":
            table[key] = [p[key] for p in parsed]
    return table


def position_from_name(name):
    """(ra, dec) in degrees from a 2MASX or SDSS J-name, else None."""
    if match := _TWOMASX.match(name):
        h, m, s, cs, sign, d, dm, ds, dds = match.groups()
        ra = (int(h) + int(m) / 60 + (int(s) + int(cs) / 100) / 3600) * 15
        dec = int(d) + int(dm) / 60 + (int(ds) + int(dds) / 10) / 3600
    elif match := _SDSS.match(name):
        h, m, s, sign, d, dm, ds = match.groups()
        ra = (int(h) + int(m) / 60 + float(s) / 3600) * 15
        dec = int(d) + int(dm) / 60 + float(ds) / 3600
    else:
        return None
    return ra, -dec if sign == "-" else dec


def read_hyperleda(path):
    """HyperLEDA positions of the Buta galaxies: pgc, ra, dec (deg)."""
    table = Table.read(path, format="ascii.csv", fill_values=[("", "0")])
    return Table({"pgc": table["pgc"], "ra": np.asarray(table["al2000"]) * 15.0, "dec": table["de2000"]})


def add_positions(table, hyperleda=None, gz2=None):
    """ra, dec (deg, ICRS) and coord_source ('jname', 'hyperleda', 'gz2' or '') per row; also the
    separations between sources where more than one has the galaxy (sep_hyperleda, sep_gz2)."""
    n = len(table)
    ra, dec, source = np.full(n, np.nan), np.full(n, np.nan), np.full(n, "", dtype="U9")
    for i, name in enumerate(table["name"]):
        if (position := position_from_name(name)) is not None:
            ra[i], dec[i], source[i] = *position, "jname"
    others = {}
    if hyperleda is not None:
        by_pgc = {int(p): (r, d) for p, r, d in zip(hyperleda["pgc"], hyperleda["ra"], hyperleda["dec"])}
        others["hyperleda"] = [by_pgc.get(int(p)) if p is not np.ma.masked else None for p in table["pgc"]]
    if gz2 is not None:
        by_image = {int(i): (r, d) for i, r, d in zip(gz2["img_name"], gz2["ra"], gz2["dec"])}
        others["gz2"] = [by_image.get(int(i)) if i is not np.ma.masked else None for i in table["gz2_image"]]
    for label, positions in others.items():
        separation = np.full(n, np.nan)
        for i, position in enumerate(positions):
            if position is None:
                continue
            if source[i]:
                here = SkyCoord(ra[i], dec[i], unit="deg")
                separation[i] = here.separation(SkyCoord(*position, unit="deg")).arcsec
            else:
                (ra[i], dec[i]), source[i] = position, label
        table[f"sep_{label}"] = MaskedColumn(separation, mask=np.isnan(separation), unit=u.arcsec)
    table["ra"] = MaskedColumn(ra, mask=np.isnan(ra), unit=u.deg)
    table["dec"] = MaskedColumn(dec, mask=np.isnan(dec), unit=u.deg)
    table["coord_source"] = source
    return table


def load_buta(path, hyperleda=None, gz2=None):
    """Table 2 with CVRHS fields and positions, from the LaTeX file at ``path`` (which must give all
    3962 galaxies: a shortfall there is a parser bug) or from VizieR when ``path`` is "vizier"."""
    if str(path) == "vizier":
        table = read_table2_vizier()
    else:
        table = read_table2_latex(path)
        if len(table) != EXPECTED_ROWS:
            raise RingskyError(f"{path}: read {len(table)} galaxies, expected {EXPECTED_ROWS}")
    return add_positions(add_cvrhs_fields(table), hyperleda, gz2)


CORE_COLUMNS = ("name", "cvrhs", "ra", "dec", "coord_source", "has_ring")
"""Columns of the table ``ringsky labels buta`` writes that every label command reads."""


def read_buta_table(path, columns=CORE_COLUMNS):
    """The table ``ringsky labels buta`` wrote, with ``columns`` checked: any other table is one
    RingskyError."""
    table = read_table(path)
    missing = [c for c in columns if c not in table.colnames]
    if missing:
        raise RingskyError(f"{path} is not a table written by 'ringsky labels buta': it lacks {', '.join(missing)}")
    return table
