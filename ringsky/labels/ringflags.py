"""Expert ring flags in the bit scheme of Nair & Abraham (2010, ApJS 186, 427).

A ``ring_flags`` value is a sum of bits: 2 nuclear, 4 inner, 8 outer, 16 pseudo-ring; 0 is a
galaxy an expert looked at and found ringless, a vetted negative. ``../shared/data/catalogues/
sdss_ring_flags.csv`` (objid, ra, dec, z, ring_flags) is such a table; a user's with the same
columns reads the same way.
"""
from pathlib import Path

import numpy as np
from astropy.io import ascii
from astropy.table import Table

from .. import RingskyError
from ..rows import checked_ids, checked_positions

RING_BITS = {"nuclear": 2, "inner": 4, "outer": 8, "pseudo": 16}
ID_COLUMNS = ("objid", "objID", "id")


def ring_type(flags):
    """The ring types a flag value holds, as text ("inner+outer"; "none" for 0)."""
    return "+".join(name for name, bit in RING_BITS.items() if flags & bit) or "none"


def read_ring_flags(path):
    """The table with ``id`` (text), float ``ra``/``dec``, ``ring_flags`` and decoded columns:
    ``has_ring``, one boolean per type (``nuclear_ring`` ...) and ``ring_type``. A row that is not
    a position with known bits is one RingskyError naming it; an id listed twice is kept (the
    training table keeps its first row)."""
    path = Path(path)
    where = f"ring-flag table {path}"

    def row(k):
        return f"line {k + 2}" if path.suffix == ".csv" else f"row {k + 1}"

    try:
        table = Table.read(path, format="ascii.csv", converters={c: [ascii.convert_numpy(str)] for c in ID_COLUMNS}) \
            if path.suffix == ".csv" else Table.read(path)
    except (OSError, ValueError) as error:
        raise RingskyError(f"{where}: cannot read it ({str(error).splitlines()[0]})") from error
    id_column = next((c for c in ID_COLUMNS if c in table.colnames), None)
    missing = [c for c, present in (("an id (objid)", id_column), ("ra", "ra" in table.colnames),
                                   ("dec", "dec" in table.colnames), ("ring_flags", "ring_flags" in table.colnames))
               if not present]
    if missing:
        raise RingskyError(f"{where} lacks {', '.join(missing)}")
    checked_positions(table, where, row)
    table["id"] = checked_ids(table[id_column], where, row, unique=False)  # a galaxy listed twice: see below
    try:
        flags = np.asarray(table["ring_flags"], dtype=np.int64)
    except (TypeError, ValueError):
        raise RingskyError(f"{where}: ring_flags must be whole numbers") from None
    unknown = np.flatnonzero((flags < 0) | (flags & ~sum(RING_BITS.values())).astype(bool))
    if len(unknown):
        k = unknown[0]
        raise RingskyError(f"{where}: {row(k)}: ring_flags {flags[k]} holds bits outside "
                           f"{', '.join(f'{bit} {name}' for name, bit in RING_BITS.items())}")
    table["ring_flags"] = flags
    table["has_ring"] = flags != 0
    for name, bit in RING_BITS.items():
        table[f"{name}_ring"] = (flags & bit) != 0
    table["ring_type"] = [ring_type(int(f)) for f in flags]
    return table
