"""The candidate table as a small Streamlit component: one page of rows in a plain HTML table."""
from pathlib import Path

import numpy as np
import streamlit.components.v1 as components

_table = components.declare_component("ringsky_table", path=str(Path(__file__).resolve().parent / "table_component"))

DIGITS = {"ra": 6, "dec": 6, "ring_probability": 3}  # decimals shown; other columns as they are


def candidate_table(view, selected):
    """Draw ``view`` (a page of the catalogue frame with its ``row`` column) and mark the
    ``selected`` catalogue row; returns the last row clicked ({'row', 'at'}) or None."""
    columns = [{"name": name, "digits": DIGITS.get(name)} for name in view.columns]
    rows = [list(values) for values in zip(*(_plain(view[name]) for name in view.columns))]
    return _table(columns=columns, rows=rows, selected=selected, key="table", default=None)


def _plain(column):
    """A column as JSON-ready Python values (numpy scalars are not)."""
    values = column.to_numpy()
    if values.dtype.kind == "f":
        return [None if np.isnan(value) else float(value) for value in values]
    return values.tolist()
