"""Galaxy Zoo tables read from local files (CSV, FITS, VOTable, parquet).

Tables without ``ra``/``dec`` columns but with IAU names (``iauname``, as in Galaxy Zoo
DECaLS) get positions parsed from the names.
"""
import numpy as np
from astropy.table import MaskedColumn, Table

from .. import RingskyError
from .buta import position_from_name


def read_table(path):
    """Any table astropy reads, by extension; CSV explicitly, so that ids stay as written."""
    try:
        if str(path).endswith(".csv"):
            return Table.read(path, format="ascii.csv")
        return Table.read(path)
    except (OSError, ValueError) as error:
        raise RingskyError(f"cannot read table {path}: {error}") from error


def read_galaxy_zoo(path):
    """A Galaxy Zoo table with ``ra``/``dec`` in degrees (from ``iauname`` where needed)."""
    table = read_table(path)
    if "ra" not in table.colnames or "dec" not in table.colnames:
        if "iauname" not in table.colnames:
            raise RingskyError(f"{path}: needs ra/dec columns or an iauname column")
        positions = [position_from_name(str(name)) for name in table["iauname"]]
        missing = np.array([p is None for p in positions])
        table["ra"] = MaskedColumn([p[0] if p else np.nan for p in positions], mask=missing, unit="deg")
        table["dec"] = MaskedColumn([p[1] if p else np.nan for p in positions], mask=missing, unit="deg")
    return table
