"""Galaxy rows checked once, where they enter ringsky: a folder's manifest, a user's parent table
or a published label table (read by :func:`read_table`).

Ids are text exactly as written (``007`` stays ``007``), printable ASCII and unique; RA is in
[0, 360) and Dec in [-90, 90] deg, present and finite. A row that breaks a rule is one
RingskyError naming the file and the row, before any work, so that nothing bad is published.
"""
import numpy as np
from astropy.table import Table

from . import RingskyError


def read_table(path):
    """Any table astropy reads, by extension; CSV explicitly, so that ids stay as written."""
    try:
        if str(path).endswith((".csv", ".csv.gz")):
            return Table.read(path, format="ascii.csv")
        return Table.read(path)
    except (OSError, ValueError) as error:
        raise RingskyError(f"cannot read table {path}: {error}") from error


def checked_positions(table, where, row_name):
    """Replace ``table``'s ``ra`` and ``dec`` (text, numbers or masked) with float64 degrees,
    refusing missing, non-numeric, non-finite or out-of-range values. ``row_name(k)`` says where
    row ``k`` is in the file (a CSV line, a table row). Whole-column numpy; rows are looked at one
    by one only to name the first bad one."""
    for name in ("ra", "dec"):
        column = table[name]
        missing = np.flatnonzero(np.ma.getmaskarray(column))
        if len(missing):
            raise RingskyError(f"{where}: {row_name(missing[0])}: {name} is missing")
        try:
            table[name] = np.asarray(np.ma.getdata(column), dtype=np.float64)
        except (TypeError, ValueError):
            k, value = next((k, v) for k, v in enumerate(column) if not _is_number(v))
            raise RingskyError(f"{where}: {row_name(k)}: {name} {str(value)!r} is not a number") from None
    ra, dec = np.asarray(table["ra"]), np.asarray(table["dec"])
    bad = np.flatnonzero(~(np.isfinite(ra) & (ra >= 0) & (ra < 360) & np.isfinite(dec) & (dec >= -90) & (dec <= 90)))
    if len(bad):
        k = bad[0]
        raise RingskyError(f"{where}: {row_name(k)}: position ra={ra[k]}, dec={dec[k]} is not in [0, 360) x [-90, 90] deg")


def _is_number(value):
    try:
        float(value)
        return True
    except (TypeError, ValueError):
        return False


def checked_ids(ids, where, row_name, unique=True):
    """The ids as a list of text, each printable ASCII and (``unique``) none repeated."""
    ids, seen = [str(i) for i in ids], {}
    if (not unique or len(set(ids)) == len(ids)) and all(i.strip() and i.isascii() and i.isprintable() for i in ids):
        return ids
    for k, i in enumerate(ids):
        if not i.strip() or not i.isascii() or not i.isprintable():
            raise RingskyError(f"{where}: {row_name(k)}: id {i!r} is empty or not printable ASCII")
        if i in seen:
            raise RingskyError(f"{where}: {row_name(k)}: id {i!r} repeats {row_name(seen[i])}")
        seen[i] = k
    return ids
