"""The tile-result file, the interface between scoring and the catalogue: one parquet per tile,
``nsideNN-ipixNNNNN.parquet``, holding each galaxy's ring probability and host properties, with
its provenance (model, threshold, survey, parent list) and its own tile's name in the parquet
metadata. This module alone knows its name pattern, columns and keys.

A result is written atomically with page checksums, so it is complete or absent; on reading,
every data page is checked, and a file whose columns, tile name or rows are not a ringsky
result for the tile it is named after counts as damaged.
"""
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

from . import RingskyError
from .fileio import atomic_path, failures_named
from .hosts import HOST_COLUMNS, host_values
from .tiles import Tile

RESULT_COLUMNS = ("id", "ra", "dec", "healpix_nside", "healpix_ipix", "probability", "model_id") + tuple(HOST_COLUMNS)
#: what a result records of the run that scored it, each as ``ringsky.KEY`` in the parquet metadata
PROVENANCE_KEYS = ("model_id", "threshold", "survey", "parents", "expected_precision", "ring_fraction")
RESULT_PATTERN = "nside*-ipix*.parquet"


class TileResultError(RingskyError):
    """A tile result on disk that cannot be read."""


def result_path(out_dir, tile):
    return Path(out_dir) / f"{tile.name}.parquet"


def result_paths(folder):
    """The tile results in ``folder``, in tile order, or RingskyError if there are none."""
    paths = sorted(Path(folder).glob(RESULT_PATTERN))
    if not paths:
        raise RingskyError(f"no tile results ({RESULT_PATTERN}) in {folder}")
    return paths


def run_provenance(classifier, source):
    """What a result records of the run: the model, its threshold and cross-validated precision,
    the image source and its parent list."""
    crossval = classifier.config.metrics.get("crossval", {})
    return {"model_id": classifier.config.model_id, "threshold": repr(classifier.config.threshold),
            "survey": source.name, "parents": getattr(source, "parents_name", source.name),
            "expected_precision": str(crossval.get("expected_precision", "")),
            "ring_fraction": str(crossval.get("ring_fraction", ""))}


def result_table(tile, galaxies, probabilities, model_id, provenance):
    """One tile's results as a pyarrow Table with ``provenance`` (:func:`run_provenance`) in its
    metadata: the host properties the parent list gives (:mod:`ringsky.sources.hosts`, null where it
    gives none) travel with each galaxy."""
    n = len(galaxies)
    table = pa.table({
        "id": pa.array([str(i) for i in galaxies["id"]], pa.string()),
        "ra": pa.array(np.asarray(galaxies["ra"], dtype=np.float64)),
        "dec": pa.array(np.asarray(galaxies["dec"], dtype=np.float64)),
        "healpix_nside": pa.array(np.full(n, tile.nside, dtype=np.int32)),
        "healpix_ipix": pa.array(np.full(n, tile.ipix, dtype=np.int64)),
        "probability": pa.array(probabilities),
        "model_id": pa.array([model_id] * n, pa.string()),
        **{name: pa.array(values, mask=np.isnan(values)) for name, values in host_values(galaxies).items()},
    })
    return table.replace_schema_metadata({**{f"ringsky.{key}": provenance[key] for key in PROVENANCE_KEYS},
                                          "ringsky.tile": tile.name})


def provenance_of(table):
    """The run's provenance a result records, {key: text}."""
    meta = {key.decode(): value.decode() for key, value in (table.schema.metadata or {}).items()}
    return {key: meta.get(f"ringsky.{key}") for key in PROVENANCE_KEYS}


def write_result(table, path):
    """Write one tile's result atomically, with page checksums, so later reads can tell damage."""
    with atomic_path(path) as temporary, failures_named(path):
        pq.write_table(table, temporary, write_page_checksum=True)


def _problem(table, path):
    """Why ``table`` read from ``path`` is not a ringsky tile result for that file's tile, or None."""
    if tuple(table.column_names) != RESULT_COLUMNS:
        return f"its columns are {', '.join(table.column_names)}, not a ringsky tile result's"
    try:
        tile = Tile.from_name(path.stem)
    except RingskyError as error:
        return f"its name is not a tile's ({error})"
    named = (table.schema.metadata or {}).get(b"ringsky.tile", b"").decode()
    if named != tile.name:
        return f"it holds the results of tile {named or '(none)'}"
    if table.num_rows and (set(table["healpix_ipix"].to_pylist()) != {tile.ipix}
                           or set(table["healpix_nside"].to_pylist()) != {tile.nside}):
        return "its rows belong to another tile"
    return None


def _checked(path):
    """(the Table, None) for a sound ringsky tile result, else (None, what is wrong with it): every
    data page is read and checked against the checksum written with it."""
    try:
        table = pq.read_table(path, page_checksum_verification=True)
    except (OSError, pa.ArrowException) as error:
        return None, str(error).splitlines()[0]
    problem = _problem(table, path)
    return (None, problem) if problem else (table, None)


def read_result(path):
    """A tile result as a pyarrow Table, or TileResultError naming the file and what is wrong."""
    table, problem = _checked(Path(path))
    if problem:
        raise TileResultError(f"corrupt tile result {path} ({problem}); delete it or rerun 'ringsky score' "
                              "with --force")
    return table


def is_finished(path):
    """True when a sound ringsky result for the tile is on disk; one that is damaged or not
    ringsky's is reported and scored again."""
    if not path.exists():
        return False
    _, problem = _checked(path)
    if problem:
        tqdm.write(f"ringsky: {path} is damaged ({problem}); scoring that tile again", file=sys.stderr)
    return problem is None
