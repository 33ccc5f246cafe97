"""Galaxy rows checked once, where they enter ringsky: a folder's manifest or a user's parent table.

Ids are text exactly as written (``007`` stays ``007``), printable ASCII and unique; RA is in
[0, 360) and Dec in [-90, 90] deg, present and finite. A row that breaks a rule is one
RingskyError naming the file and the row, before any work, so that nothing bad is published.
"""
import numpy as np

from . import RingskyError


def checked_positions(table, where, row_name):
    """Replace ``table``'s ``ra`` and ``dec`` (text, numbers or masked) with float64 degrees,
    refusing missing, non-numeric, non-finite or out-of-range values. ``row_name(k)`` says where
    row ``k`` is in the file (a CSV line, a table row)."""
    for name in ("ra", "dec"):
        column = table[name]
        mask = np.ma.getmaskarray(column) if hasattr(column, "mask") else np.zeros(len(column), bool)
        values = np.empty(len(column))
        for k, (value, missing) in enumerate(zip(column, mask)):
            try:
                values[k] = np.nan if missing else float(value)
            except (TypeError, ValueError):
                raise RingskyError(f"{where}: {row_name(k)}: {name} {str(value)!r} is not a number") from None
            if missing or str(value).strip() == "":
                raise RingskyError(f"{where}: {row_name(k)}: {name} is missing")
        table[name] = values
    for k, (ra, dec) in enumerate(zip(table["ra"], table["dec"])):
        if not (np.isfinite(ra) and 0 <= ra < 360 and np.isfinite(dec) and -90 <= dec <= 90):
            raise RingskyError(f"{where}: {row_name(k)}: position ra={ra}, dec={dec} is not in [0, 360) x [-90, 90] deg")


def checked_ids(ids, where, row_name):
    """The ids as a list of text, each printable ASCII and none repeated."""
    ids, seen = [str(i) for i in ids], {}
    for k, i in enumerate(ids):
        if not i.strip() or not i.isascii() or not i.isprintable():
            raise RingskyError(f"{where}: {row_name(k)}: id {i!r} is empty or not printable ASCII")
        if i in seen:
            raise RingskyError(f"{where}: {row_name(k)}: id {i!r} repeats {row_name(seen[i])}")
        seen[i] = k
    return ids
