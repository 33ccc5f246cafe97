"""The catalogue as a HATS collection, where LSDB users work: the catalogue's rows, partitioned
by HEALPix and written by ``lsdb`` with a margin cache, so that ``Catalog.crossmatch`` finds a
counterpart across a partition edge too. A masked value becomes a null. HATS has no place for
units or UCDs: those stay in the FITS and VOTable beside it; the provenance cards go into the
collection's ``hats.properties`` as ``ringsky_*`` keys.

The catalogue is built in memory anyway (its FITS writer needs every row), so
``lsdb.from_dataframe`` is the whole import; a survey too large for that would go through
``hats-import`` from the tile results instead.
"""
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from . import RingskyError

HATS_NAME = "catalogue.hats"
CATALOG_NAME = "ringsky"


def arrow_table(table):
    """The astropy Table as pyarrow columns, masked values as nulls. A table read from FITS is
    big-endian, which arrow does not take, and holds bytes: it is made native text first."""
    columns = {}
    for name in table.colnames:
        column = table[name]
        values = np.asarray(column)
        values = values.astype(str if values.dtype.kind == "S" else values.dtype.newbyteorder("="), copy=False)
        mask = np.ma.getmaskarray(column) if hasattr(column, "mask") else None
        columns[name] = pa.array(values, mask=mask if mask is not None and mask.any() else None)
    return pa.table(columns)


def hats_properties(cards):
    """The catalogue's provenance cards as extra ``hats.properties`` keys."""
    return {"obs_title": "ringsky ring galaxy candidates",
            **{f"ringsky_{key.lower()}": str(value) for key, (value, _) in cards.items()}}


def write_hats(table, cards, path):
    """Write ``table`` as a HATS collection at ``path``, replacing what was there only once
    complete, and return ``path``. lsdb cannot partition no rows: for an empty table any older
    collection is removed (it would describe another catalogue) and None is returned."""
    path = Path(path)
    if not len(table):
        shutil.rmtree(path, ignore_errors=True)
        return None
    try:
        import lsdb  # numba and dask behind it: imported only when a collection is asked for
    except ImportError as error:
        raise RingskyError(f"--hats needs lsdb (pip install 'ringsky[hats]'): {error}") from error
    frame = arrow_table(table).to_pandas(types_mapper=pd.ArrowDtype)
    catalog = lsdb.from_dataframe(frame, ra_column="ra", dec_column="dec", catalog_name=CATALOG_NAME)
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=f".{path.name}.") as work:
        staged = Path(work) / path.name
        catalog.write_catalog(staged, catalog_name=CATALOG_NAME, addl_hats_properties=hats_properties(cards),
                              progress_bar=False, error_if_empty=False)
        if path.exists():
            shutil.rmtree(path)
        staged.rename(path)
    return path
