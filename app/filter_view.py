"""The sidebar's filters as a small Streamlit component (a plain HTML form), and the rows they pass.

Streamlit's own slider, radio, multiselect and selectbox each make a first visit fetch and
compile a script chunk of their own (with the table's order and page widgets, about half a
second of a first visit here, in paired visits); the form needs none of them. It is a v2
component, drawn in the page itself rather than in an iframe of its own. Its state is the
whole filter state, so the page reads one dict.
"""
from pathlib import Path

import numpy as np
import streamlit as st

HERE = Path(__file__).resolve().parent / "filter_component"
_filters = st.components.v2.component("ringsky_filters", html='<form autocomplete="off"></form>',
                                      css=(HERE / "filters.css").read_text(), js=(HERE / "filters.js").read_text())

DEFAULTS = {"low": 0.0, "high": 1.0, "flag": "all", "types": [], "tiles": [], "known": "all",
            "vetted": "all", "survey": None, "export": False, "per_tile": False}
"""The state before the first change: every row passes; ``survey`` None is the first one offered."""


def filter_panel(threshold, ring_types, tiles, vetting_labels, surveys):
    """Draw the form; the filter state it holds (``DEFAULTS`` until the first change).
    ``ring_types`` is empty when the catalogue has no ring types."""
    state = dict(DEFAULTS, survey=surveys[0])
    choices = {"threshold": threshold, "types": list(ring_types), "tiles": [int(t) for t in tiles],
               "vetting": ["all", "unvetted", *vetting_labels], "surveys": list(surveys)}
    state.update(_filters(key="filters", data=choices).get("filters") or {})
    if state["survey"] not in surveys:  # the browser's value is input like any other
        state["survey"] = surveys[0]
    return state


def rows_passing(frame, state, verdicts):
    """Boolean mask of the catalogue rows (``frame``) that pass ``state``; ``verdicts`` maps
    source ids to their vetting label."""
    low, high = float(state["low"]), float(state["high"])
    keep = frame["ring_probability"].between(min(low, high), max(low, high)).to_numpy().copy()
    if state["flag"] != "all":
        keep &= frame["ring_flag"].to_numpy() == (state["flag"] == "ring")
    if state["types"] and "ring_type" in frame:
        keep &= frame["ring_type"].astype(str).isin(state["types"]).to_numpy()
    if state["tiles"]:
        keep &= np.isin(frame["healpix"].to_numpy(), np.asarray(state["tiles"], dtype=np.int64))
    if state["known"] != "all":
        keep &= (frame["known"] != "").to_numpy() == (state["known"] == "matched")
    if state["vetted"] != "all":
        keep &= frame["source_id"].map(verdicts).fillna("unvetted").to_numpy() == state["vetted"]
    return keep
