"""Galaxy Zoo tables: GZ2 (Hart et al. 2016) and GZ DECaLS DR5 (Walmsley et al. 2022), downloaded
from their published locations through the cached HTTP layer, or read from local files (CSV,
FITS, VOTable, parquet).

Every known table gains three columns with the same meaning, so that vote cuts read alike:
``votes`` (volunteers who classified the galaxy), ``ring_votes`` (volunteers who marked a ring)
and ``ring_fraction`` (their ratio). GZ2 asked "ring?" only after "anything odd? yes", so its
published ``t08_odd_feature_a19_ring_fraction`` is conditional on that answer; ``ring_fraction``
here is the unconditional one. Tables without ``ra``/``dec`` but with IAU names (``iauname``)
get positions parsed from the names.
"""
import io

import numpy as np
from astropy.table import MaskedColumn, Table

from .. import RingskyError
from ..config import conf
from ..net import fetch, decompressed
from ..rows import checked_positions, read_table
from .buta import position_from_name

SCHEMAS = {
    "gz2": {"votes": "total_classifications", "ring_votes": "t08_odd_feature_a19_ring_count"},
    "gzdecals": {"votes": "smooth-or-featured_total-votes", "ring_votes": "rare-features_ring"},
}
"""The published column behind ``votes`` and ``ring_votes`` in each Galaxy Zoo table."""


def download(name):
    """A published Galaxy Zoo table ("gz2" or "gzdecals"), from the cache after the first time."""
    url = {"gz2": conf.gz2_url, "gzdecals": conf.gzdecals_url}[name]
    return Table.read(io.BytesIO(decompressed(fetch(url, expect="csv"))), format="ascii.csv")


def schema_of(table):
    """Which known Galaxy Zoo table this is, by its columns; None for any other table."""
    for name, columns in SCHEMAS.items():
        if all(column in table.colnames for column in columns.values()):
            return name
    return None


def add_ring_votes(table):
    """``votes``, ``ring_votes`` and ``ring_fraction`` for a known table (unchanged otherwise)."""
    name = schema_of(table)
    if name is None:
        return table
    columns = SCHEMAS[name]
    votes = np.ma.filled(np.ma.asarray(table[columns["votes"]], dtype=float), 0)
    ring_votes = np.ma.filled(np.ma.asarray(table[columns["ring_votes"]], dtype=float), 0)
    table["votes"], table["ring_votes"] = votes, ring_votes
    with np.errstate(invalid="ignore", divide="ignore"):
        fraction = ring_votes / votes
    table["ring_fraction"] = MaskedColumn(fraction, mask=votes <= 0)
    table.meta["GZSCHEMA"] = name
    return table


def read_galaxy_zoo(source):
    """A Galaxy Zoo table with ``ra``/``dec`` in degrees (from ``iauname`` where needed) and, for the
    known tables, the ring vote columns. ``source``: "gz2", "gzdecals" (downloaded) or a file.
    A row without a usable position (missing, not a number, out of range, an iauname that is not
    a J-name) is one RingskyError naming it (:mod:`ringsky.rows`)."""
    table = download(source) if source in SCHEMAS else read_table(source)
    if "ra" not in table.colnames or "dec" not in table.colnames:
        if "iauname" not in table.colnames:
            raise RingskyError(f"{source}: needs ra/dec columns or an iauname column")
        positions = [position_from_name(str(name)) for name in table["iauname"]]
        missing = np.array([p is None for p in positions])
        table["ra"] = MaskedColumn([p[0] if p else np.nan for p in positions], mask=missing, unit="deg")
        table["dec"] = MaskedColumn([p[1] if p else np.nan for p in positions], mask=missing, unit="deg")
    csv = str(source).endswith((".csv", ".csv.gz")) or source in SCHEMAS
    checked_positions(table, f"Galaxy Zoo table {source}", lambda k: f"line {k + 2}" if csv else f"row {k + 1}")
    table["ra"].unit = table["dec"].unit = "deg"
    return add_ring_votes(table)
