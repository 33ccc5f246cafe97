"""The catalogue as a HATS collection, where LSDB users work: the catalogue's rows, partitioned
by HEALPix, with a margin cache so that ``Catalog.crossmatch`` finds a counterpart across a
partition edge too. A masked value becomes a null. HATS has no place for units or UCDs: those
stay in the FITS and VOTable beside it; the provenance cards go into the collection's
``hats.properties`` as ``ringsky_*`` keys.

Up to ``conf.hats_import_rows`` rows (lsdb's guidance for ``from_dataframe``: under a million)
the collection is partitioned in memory by ``lsdb.from_dataframe``; a larger catalogue is
written one parquet file per tile and imported by ``hats-import``, which partitions on disk.
"""
import importlib.util
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .. import RingskyError
from ..dask_client import connect
from ..config import conf

HATS_NAME = "catalogue.hats"
CATALOG_NAME = "ringsky"
MARGIN_ARCSEC = 5.0


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


def write_in_memory(arrow, properties, staged):
    """lsdb.from_dataframe and its writer (numba and dask behind it: imported only here)."""
    import lsdb

    catalog = lsdb.from_dataframe(arrow.to_pandas(types_mapper=pd.ArrowDtype), ra_column="ra", dec_column="dec",
                                  catalog_name=CATALOG_NAME, margin_threshold=MARGIN_ARCSEC)
    catalog.write_catalog(staged, catalog_name=CATALOG_NAME, addl_hats_properties=properties, progress_bar=False,
                          error_if_empty=False)


def write_by_import(arrow, properties, staged, work):
    """hats-import over one parquet file per tile, on a Dask LocalCluster on 127.0.0.1, as
    ``ringsky score --scheduler local`` starts one."""
    from hats_import.collection.arguments import CollectionArguments
    from hats_import.pipeline import pipeline_with_client

    tiles = arrow["healpix"].to_numpy()
    inputs = []
    for ipix in np.unique(tiles):
        inputs.append(work / "tiles" / f"{ipix}.parquet")
        inputs[-1].parent.mkdir(exist_ok=True)
        pq.write_table(arrow.filter(pa.array(tiles == ipix)), inputs[-1])
    arguments = (CollectionArguments(output_artifact_name=staged.name, output_path=staged.parent,
                                     tmp_dir=work / "import", progress_bar=False)
                 .catalog(input_file_list=inputs, file_reader="parquet", ra_column="ra", dec_column="dec",
                          output_artifact_name=CATALOG_NAME, addl_hats_properties=properties)
                 .add_margin(margin_threshold=MARGIN_ARCSEC, is_default=True))
    with connect("local", conf.workers) as client:
        pipeline_with_client(arguments, client)


def write_hats(table, cards, path):
    """Write ``table`` as a HATS collection at ``path``, replacing what was there only once
    complete, and return ``path``. HATS cannot partition no rows: for an empty table any older
    collection is removed (it would describe another catalogue) and None is returned."""
    path = Path(path)
    if not len(table):
        shutil.rmtree(path, ignore_errors=True)
        return None
    missing = [name for name in ("lsdb", "hats_import") if importlib.util.find_spec(name) is None]
    if missing:
        raise RingskyError(f"--hats needs {' and '.join(missing)} (pip install 'ringsky[hats]')")
    arrow = arrow_table(table)
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=f".{path.name}.") as work:
        work = Path(work)
        staged = work / path.name
        if len(table) <= conf.hats_import_rows:
            write_in_memory(arrow, hats_properties(cards), staged)
        else:
            write_by_import(arrow, hats_properties(cards), staged, work)
        if path.exists():
            shutil.rmtree(path)
        staged.rename(path)
    return path
