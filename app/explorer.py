"""ringsky catalogue explorer: the candidates over the sky, filters, a detail panel, vetting.

Run it with ``ringsky app [CATALOGUE]`` or
``streamlit run app/explorer.py -- [CATALOGUE] [--overlay TABLE ...] [--model PATH]``.
Untrusted strings (catalogue titles, names, ids) are only ever shown as text.
"""
import argparse
import gc
import importlib
import io
import sys
import threading
import time
from contextlib import closing
from pathlib import Path

import numpy as np
import streamlit as st
from PIL import Image

from filter_view import filter_panel, rows_passing
from known_catalogues import cross_identified, known_catalogues, matched_to, overlay_args
from plain_text import notice
from selection import newest_click
from sky_view import (ONLINE_SURVEYS, built_background, ensure_blank_background, ensure_markers,
                      last_click, moc_json, shown_mask, sky, start_background_build)
from table_view import candidate_table, last_view
from ringsky import RingskyError
from ringsky.catalogue.files import MOC_NAME, read_catalogue, source_rows
from ringsky.config import conf
from ringsky.explore.framing import view_of
from ringsky.imaging import centre_pixels
from ringsky.sources import pictures
from ringsky.explore.votes import LABELS, VoteStore, export_labels, most_uncertain, votes_path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CATALOGUE = REPO / "catalogues" / "demo" / "catalogue.fits"
LOCAL_SURVEY = "ringsky cutouts (local)"
CUTOUT_PIXELS = 128


def options():
    parser = argparse.ArgumentParser(prog="explorer")
    parser.add_argument("catalogue", nargs="?", default=str(DEFAULT_CATALOGUE))
    parser.add_argument("--overlay", action="append", default=[], help="a known catalogue to draw (RA/Dec table)")
    parser.add_argument("--model", help="the model that scored the catalogue (default: the shipped one)")
    parser.add_argument("--hips-order", type=int, default=7, help="HiPS order of the local sky background")
    parser.add_argument("--cache", help="ringsky cache folder (cutouts)")
    opts = parser.parse_args(sys.argv[1:])
    if opts.cache:
        conf.cache_dir = opts.cache
    return opts


@st.cache_resource(show_spinner="Reading the catalogue...")
def load(path, mtime, overlays):
    table = read_catalogue(path)
    known = known_catalogues(overlays)
    frame = table[[c for c in table.colnames if table[c].ndim == 1]].to_pandas()
    frame["source_id"] = frame["source_id"].astype(str)
    frame["name"] = frame["name"].astype(str) if "name" in frame else frame["source_id"]
    frame["known"] = cross_identified(table)
    mine = {name: known[name] for name in (Path(path).name for path in overlays)}
    unnamed = (frame["known"] == "").to_numpy()
    frame.loc[unnamed, "known"] = matched_to(frame["ra"].to_numpy()[unnamed], frame["dec"].to_numpy()[unnamed], mine)
    frame.insert(0, "row", np.arange(len(frame)))
    freeze_long_lived()
    return table, frame, known


@st.cache_resource
def marker_file(path, mtime, _frame):
    return ensure_markers(path, _frame["ra"], _frame["dec"], _frame["ring_probability"])


@st.cache_resource
def framing(path, mtime, _frame):
    """The sky's centre and field of view for the whole catalogue, once per catalogue version."""
    return view_of(_frame["ra"].to_numpy(), _frame["dec"].to_numpy())


@st.cache_resource(show_spinner=False)
def background_build(path, mtime, order):
    """The local HiPS, built once per catalogue version (about two minutes for the demo
    catalogue here) while the first page, its table and filters go on without it."""
    return start_background_build(path, order)


@st.fragment(run_every=2)
def rerun_when_built(build):
    """Poll the build while the page shows the blank sky; draw the page again once it is done."""
    if build.done():
        st.rerun()


def local_background(path, version, order):
    """The local HiPS's URL once built; until then a blank one, a line saying so, and a poll."""
    built = built_background(path, order)
    if built:
        return built
    build = background_build(path, version, order)
    if not build.done():
        st.text("Building the local sky background (once per catalogue); the table and filters work meanwhile.")
        rerun_when_built(build)
        return ensure_blank_background(order)
    try:
        return build.result()
    except Exception as error:  # any failure of the build is the sky's only: the rest of the page works
        notice(f"cannot build the local sky background: {error}")
        return ensure_blank_background(order)


@st.cache_resource
def source_of(survey):
    from ringsky.sources import open_source

    return open_source(survey)


@st.cache_resource
def classifier_of(model):
    from ringsky.learn.models import load_classifier

    return load_classifier(model)


def freeze_long_lived():
    """Move every object alive now (modules, a catalogue read) out of the garbage collector's
    generations. Streamlit runs a full collection after every script run, holding the GIL, so
    the server answers nothing meanwhile: with torch imported that took 0.3 s of each page load
    and filter change here (0.1 s before). Frozen objects are still freed by reference counting."""
    gc.freeze()


def import_models():
    importlib.import_module("ringsky.learn.models")
    freeze_long_lived()


@st.cache_resource(show_spinner=False)
def models_imported_in_the_background():
    """Import torch and timm once per server, in a thread started after the first page is out:
    the first candidate opened then skips that import (about 4 s here) before its saliency map."""
    thread = threading.Thread(target=import_models, daemon=True)
    thread.start()
    return thread


def verdicts(path):
    with closing(VoteStore(votes_path(path))) as store:
        return store.verdicts()


def per_tile(frame, shown):
    """Candidates per HEALPix tile, shown and in all, as a table with bars: drawn on request
    (a second grid slows every page load), without a chart library (a megabyte of JavaScript)."""
    counts = frame.groupby("healpix").size().rename("candidates").to_frame()
    counts["shown"] = frame[shown].groupby("healpix").size().reindex(counts.index, fill_value=0)
    st.dataframe(counts.reset_index(), hide_index=True, column_config={
        "shown": st.column_config.ProgressColumn("shown", format="%d", min_value=0,
                                                 max_value=int(counts["candidates"].max()))})


def table_bytes(table, fmt):
    """The table written in ``fmt`` as bytes: astropy's text formats write str, the others bytes."""
    buffer = io.StringIO() if fmt.startswith("ascii") else io.BytesIO()
    table.write(buffer, format=fmt)
    value = buffer.getvalue()
    return value.encode() if isinstance(value, str) else value


def detail(row, frame, table, path, opts, votes, threshold, shown):
    """The selected candidate: cutout, saliency, links, vote buttons."""
    galaxy = frame.iloc[row]
    st.text(f"{galaxy['name']}\nsource {galaxy['source_id']}  tile {galaxy['healpix']}")
    st.metric("Ring probability", f"{galaxy['ring_probability']:.3f}",
              "ring" if galaxy["ring_probability"] >= threshold else "not ring", delta_color="off")
    if galaxy["known"]:
        st.text(f"in {galaxy['known']}")
    try:
        source = source_of(table.meta["SURVEY"])
        galaxies = source_rows(source, table[row:row + 1], int(table.meta["HPXNSIDE"]), int(galaxy["healpix"]))
        classifier = classifier_of(opts.model)
        config = classifier.config
        image = centre_pixels(source.cutouts(galaxies, config.picture_size), config.input_size)[0]
        seen = image if config.planes == "rgb" else pictures(source, galaxies, config.picture_size, config.planes)[0]
        from ringsky.learn.saliency import overlay, smoothgrad

        big = np.asarray(Image.fromarray(image).resize((CUTOUT_PIXELS * 2, CUTOUT_PIXELS * 2)))
        left, right = st.columns(2)
        left.image(big, caption="cutout")
        right.image(overlay(big, smoothgrad(classifier, seen)), caption="saliency (SmoothGrad)")
    except RingskyError as error:
        notice(f"No cutout: {error}")
    ra, dec = galaxy["ra"], galaxy["dec"]
    st.markdown(f"[Legacy Surveys viewer](https://www.legacysurvey.org/viewer?ra={ra:.6f}&dec={dec:.6f}"
                f"&layer=ls-dr10&zoom=16) · [SDSS SkyServer](https://skyserver.sdss.org/dr18/"
                f"VisualTools/navi?ra={ra:.6f}&dec={dec:.6f})")
    current = votes.get(galaxy["source_id"], "unvetted")
    st.text(f"your verdict: {current}")
    buttons = st.columns(len(LABELS))
    for column, label in zip(buttons, LABELS):
        if column.button(label.replace("_", " "), key=f"vote-{label}"):
            with closing(VoteStore(votes_path(path))) as store:
                store.record(galaxy["source_id"], label, voter=st.session_state.setdefault("voter", f"browser-{time.time_ns()}"))
            st.rerun()
    if st.button("Next: most uncertain unvetted", key="next"):
        pick = most_uncertain(frame[shown].reset_index(drop=True), votes, threshold)
        if len(pick):
            st.session_state.selected = int(frame[shown].iloc[int(pick[0])]["row"])
            st.rerun()


def export(table, frame, shown, path, votes):
    selection = table[frame["row"].to_numpy()[shown]]
    stem = Path(path).stem
    columns = st.columns(4)
    for column, (label, fmt, suffix) in zip(columns, (("VOTable", "votable", "vot"), ("FITS", "fits", "fits"),
                                                      ("CSV", "ascii.csv", "csv"))):
        column.download_button(label, data=lambda fmt=fmt: table_bytes(selection, fmt),
                               file_name=f"{stem}-selection.{suffix}", key=f"download-{suffix}")
    if columns[3].button("Send to TOPCAT (SAMP)", key="samp"):
        from ringsky.explore.samp import send_table

        try:
            receivers = send_table(selection, f"{stem}-selection")
            notice(f"sent {len(selection)} rows to {len(receivers)} SAMP client(s)")
        except RingskyError as error:
            notice(error)
    if st.button("Export votes as a training set", key="export-votes"):
        try:
            manifest = export_labels(table, votes, source_of(table.meta["SURVEY"]),
                                     Path(path).with_name(f"{stem}.labels"))
            notice(f"wrote {manifest}: train with  ringsky train --labelled folder:{manifest.parent}")
        except RingskyError as error:
            notice(error)


def select(*clicks):
    """Open the candidate the newest sky-marker or table-row click names. Read from the session
    state before anything is drawn, so that one run shows the choice everywhere."""
    click = newest_click(clicks, st.session_state.get("clicked_at", 0))
    if click:
        st.session_state.clicked_at = click["at"]
        st.session_state.selected = int(click["row"])


def main():
    st.set_page_config(page_title="ringsky explorer", layout="wide")
    opts = options()
    path = Path(opts.catalogue)
    try:
        version = path.stat().st_mtime_ns  # the cached readers below start again for a new file
        table, frame, known = load(str(path), version, tuple(opts.overlay))
    except (RingskyError, OSError) as error:
        notice(f"cannot open the catalogue: {error}")
        st.stop()
    threshold = float(table.meta["THRESH"])
    votes = verdicts(path)
    st.sidebar.text(str(table.meta.get("TITLE") or path.name))
    st.sidebar.text(f"{len(frame)} candidates, {int(frame['ring_flag'].sum())} flagged, {len(votes)} vetted\n"
                    f"model {table.meta.get('MODELID', '?')}  survey {table.meta.get('SURVEY', '?')}")
    ring_types = sorted(frame["ring_type"].astype(str).unique()) if "ring_type" in frame else []
    with st.sidebar:
        state = filter_panel(threshold, ring_types, sorted(frame["healpix"].unique().tolist()), LABELS,
                             (LOCAL_SURVEY,) + tuple(ONLINE_SURVEYS))
    shown = rows_passing(frame, state, votes)
    survey_name = state["survey"]
    with st.container():  # always there, so the sky after it keeps its place (and its Aladin) when this empties
        if survey_name == LOCAL_SURVEY:
            url = local_background(str(path), version, opts.hips_order)
    if survey_name == LOCAL_SURVEY:
        survey = {"local": True, "name": survey_name, "url": url}
    else:
        survey = {"local": False, "name": survey_name, "url": ONLINE_SURVEYS[survey_name]}

    select(last_click(), last_view())
    selected = st.session_state.get("selected")
    centre, fov = framing(str(path), version, frame)
    markers = {"url": marker_file(str(path), version, frame), "count": len(frame),
               "shown": shown_mask(shown)}
    focus = None
    if selected is not None:
        focus = {"ra": float(frame["ra"].iat[selected]), "dec": float(frame["dec"].iat[selected]), "fov": 0.05}
    draw_key = f"{hash(shown.tobytes())}-{selected}-{survey_name}"
    sky_column, detail_column = st.columns((3, 2))
    with sky_column:
        sky(markers, overlay_args(known, centre, fov), moc_json(path.with_name(MOC_NAME)), survey,
            f"{centre.ra.deg:.6f} {centre.dec.deg:+.6f}", fov, focus, draw_key)
    st.text(f"{int(shown.sum())} of {len(frame)} candidates match the filters")
    candidate_table(frame[shown], selected)
    with detail_column:
        if selected is None:
            st.info("Click a marker or a table row to inspect a candidate.")
        else:
            detail(selected, frame, table, path, opts, votes, threshold, shown)
    if state["export"]:
        st.subheader("Export the selection, or the votes")
        export(table, frame, shown, path, votes)
    if state["per_tile"]:
        st.subheader("Candidates per tile")
        per_tile(frame, shown)
    models_imported_in_the_background()


main()
