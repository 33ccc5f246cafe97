"""The candidate table as a small Streamlit component: one page of rows in a plain HTML table,
with the order and the page over the whole selection chosen in the component itself. A v2
component, drawn in the page itself rather than in an iframe of its own."""
from pathlib import Path

import numpy as np
import streamlit as st

HERE = Path(__file__).resolve().parent / "table_component"
_table = st.components.v2.component("ringsky_table", html=(HERE / "table.html").read_text(),
                                    css=(HERE / "table.css").read_text(), js=(HERE / "table.js").read_text())

PAGE_ROWS = 100  # a first visit draws a page; 500 rows cost it about 0.2 s here (paired visits)
COLUMNS = ["row", "name", "source_id", "ra", "dec", "ring_probability", "ring_flag", "healpix", "known"]
SORTS = {
    "ring probability, highest first": ("ring_probability", False),
    "ring probability, lowest first": ("ring_probability", True),
    "right ascension": ("ra", True),
    "declination": ("dec", True),
    "name": ("name", True),
    "catalogue order": ("row", True),
}
DIGITS = {"ra": 6, "dec": 6, "ring_probability": 3}  # decimals shown; other columns as they are


def page_of(rows, sort, page):
    """Page ``page`` (from 1, clamped to the pages there are) of ``rows`` in the order ``sort``
    names: (the page's rows, its number, the number of pages). The browser gets a page rather
    than every row: a 100,000-row table takes seconds to send and draw."""
    column, ascending = SORTS[sort]
    pages = max(1, -(-len(rows) // PAGE_ROWS))
    page = min(max(1, int(page)), pages)
    first = (page - 1) * PAGE_ROWS
    ordered = rows[column].sort_values(ascending=ascending, kind="stable").index  # one column, not every one
    return rows.loc[ordered[first:first + PAGE_ROWS], COLUMNS], page, pages


def candidate_table(rows, selected):
    """Draw a page of ``rows`` (the filtered catalogue frame, with its ``row`` column), marking
    the ``selected`` catalogue row. The component's last view, ``last_view()``, is
    {'sort', 'page', 'row', 'at'}, where 'row' is the catalogue row clicked or None."""
    last = last_view() or {}
    sort = last.get("sort") if last.get("sort") in SORTS else next(iter(SORTS))
    view, page, pages = page_of(rows, sort, last.get("page") or 1)
    first = (page - 1) * PAGE_ROWS
    caption = (f"rows {first + 1 if len(view) else 0}-{first + len(view)} of {len(rows)}; "
               "a click on a column header sorts this page")
    columns = [{"name": name, "digits": DIGITS.get(name)} for name in view.columns]
    values = [list(row) for row in zip(*(_plain(view[name]) for name in view.columns))]
    _table(key="table", data={"columns": columns, "rows": values, "selected": selected, "sorts": list(SORTS),
                              "sort": sort, "page": page, "pages": pages, "caption": caption, "total": len(rows)})


def last_view():
    """The table's last view (see ``candidate_table``), None before the first change."""
    return (st.session_state.get("table") or {}).get("view")


def _plain(column):
    """A column as JSON-ready Python values (numpy scalars are not)."""
    values = column.to_numpy()
    if values.dtype.kind == "f":
        return [None if np.isnan(value) else float(value) for value in values]
    return values.tolist()
