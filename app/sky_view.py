"""The Aladin Lite sky as a Streamlit component, and the local HiPS background it shows."""
import atexit
import base64
import contextlib
import gzip
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from concurrent.futures import Future
from pathlib import Path

import numpy as np
import streamlit as st
from mocpy import MOC

from ringsky.explore.framing import BIN_COLOURS, PROBABILITY_BINS
from ringsky.fileio import atomic_path, version_key
from ringsky.explore.skyhips import build_catalogue_hips, write_empty_hips

APP_DIR = Path(__file__).resolve().parent
STATIC_DIR = APP_DIR / "static"
ALADIN_JS = STATIC_DIR / "aladin.js"

ONLINE_SURVEYS = {
    "Legacy Surveys DR10 (online)": "CDS/P/DESI-Legacy-Surveys/DR10/color",
    "SDSS DR9 (online)": "CDS/P/SDSS9/color",
}

MARKERS_FORMAT = "ra-dec-p-row"  # part of the marker file's name: a new layout gets a new file

SKY_DIR = APP_DIR / "aladin_component"
_sky = st.components.v2.component(
    "ringsky_sky", html='<div id="ringsky-sky"></div><div id="ringsky-sky-status">loading Aladin Lite...</div>',
    css=(SKY_DIR / "sky.css").read_text(), js=(SKY_DIR / "markers.js").read_text() + (SKY_DIR / "sky.js").read_text(),
    isolate_styles=False)  # in the page's own DOM, as Aladin Lite is usually embedded; found by id there


def served_path(path):
    """The URL path of a file or folder under the static folder (Streamlit serves ``app/static`` at
    ``/app/static``)."""
    return "app/static/" + path.relative_to(STATIC_DIR).as_posix()


def background_folder(catalogue_path, order):
    """Where the catalogue's HiPS lives under the static folder: one per catalogue file version."""
    return STATIC_DIR / "hips" / version_key([catalogue_path], order)


def markers_file(catalogue_path):
    """Where the catalogue's candidates for the sky live under the static folder: one file per
    catalogue file version."""
    return STATIC_DIR / "markers" / f"{version_key([catalogue_path], MARKERS_FORMAT)}.bin.gz"


def remove_served_files(catalogue_path, order):
    """Delete the marker file and the HiPS made for this version of the catalogue, and what a
    server stopped in mid-build left of it: for the throwaway catalogues of tests and
    benchmarks, which would otherwise pile up here."""
    markers_file(catalogue_path).unlink(missing_ok=True)
    folder = background_folder(catalogue_path, order)
    for built in [folder, *folder.parent.glob(f".{folder.name}.*")]:  # build_hips's work folders
        shutil.rmtree(built, ignore_errors=True)


def ensure_markers(catalogue_path, ra, dec, probability):
    """The candidates for the sky as a static file written once per catalogue version; its URL
    path. Little-endian float32 ra, dec, p and int32 catalogue-row columns, least probable
    first (the order the sky draws them in). The browser fetches it once; a filter change
    then sends only a bit mask of the rows shown. It is stored gzipped, as ``.gz``: Streamlit
    serves that type as it is, where it would compress any other file again (at level 9, 0.15 s
    for 100,000 rows here) on every request."""
    path = markers_file(catalogue_path)
    if not path.is_file():
        order = np.argsort(np.asarray(probability), kind="stable")
        columns = [np.asarray(c, dtype="<f4")[order] for c in (ra, dec, probability)] + [order.astype("<i4")]
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as temporary:
            temporary.write_bytes(gzip.compress(b"".join(column.tobytes() for column in columns), compresslevel=1))
    return served_path(path)


def shown_mask(shown):
    """The rows passing the filters as base64 of one bit per row (little-endian bit order), or
    None when every row passes."""
    if shown.all():
        return None
    return base64.b64encode(np.packbits(shown, bitorder="little").tobytes()).decode("ascii")


def built_background(catalogue_path, order):
    """The URL path of the catalogue's HiPS if it is built already, else None."""
    folder = background_folder(catalogue_path, order)
    return served_path(folder) if (folder / "properties").is_file() else None


def start_background_build(catalogue_path, order):
    """Build the catalogue's HiPS from its cutouts in a child process; a Future of its URL path.
    A process, not a thread: when the server stops mid-build it ends the build at once
    (reproject's worker threads would hold its exit for minutes) and removes the build's work
    folder."""
    folder = background_folder(catalogue_path, order)
    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}."))
    builder = subprocess.Popen([sys.executable, "-m", "ringsky.explore.skyhips", str(catalogue_path), str(folder),
                                str(order), str(work)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)

    def stop():
        """End the build and the worker processes it started (the simulated sky's, a survey's)."""
        with contextlib.suppress(ProcessLookupError):  # all of them ended already
            os.killpg(builder.pid, signal.SIGTERM)
        builder.wait()
        shutil.rmtree(work, ignore_errors=True)

    atexit.register(stop)
    build = Future()

    def wait():
        error = builder.communicate()[1].strip()
        shutil.rmtree(work, ignore_errors=True)
        if builder.returncode == 0:
            build.set_result(served_path(folder))
        else:
            sys.stderr.write(error + "\n")  # a traceback, if any, for the server's log
            build.set_exception(RuntimeError(error.splitlines()[-1] if error else f"exit status {builder.returncode}"))

    threading.Thread(target=wait, name="sky-background", daemon=True).start()
    return build


def ensure_blank_background(order):
    """A HiPS with no tiles, the sky's background while the catalogue's own is built; its URL
    path. Written once, atomically: pages opened together may ask for it at once."""
    folder = STATIC_DIR / "hips" / f"blank-order{order}"
    if not (folder / "properties").is_file():
        folder.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=folder.parent, prefix=f".{folder.name}.") as work:
            write_empty_hips(Path(work) / folder.name, order, "ringsky blank sky")
            try:
                (Path(work) / folder.name).rename(folder)
            except OSError:  # another page wrote it first
                pass
    return served_path(folder)


def moc_json(path):
    """The MOC beside the catalogue (``coverage.moc.fits``) as Aladin's JSON, or None."""
    if not Path(path).is_file():
        return None
    return json.loads(MOC.from_fits(path).to_string(format="json"))


def sky(markers, overlays, moc, survey, target, fov, selected, draw_key):
    """Draw the sky, redrawing the markers when ``draw_key`` changes. One component instance
    lives through every rerun: a changing key would draw it afresh and restart Aladin on each
    filter change."""
    _sky(key="sky", data={"markers": markers, "overlays": overlays, "moc": moc, "survey": survey, "target": target,
                          "fov": fov, "selected": selected, "drawKey": draw_key,
                          "scale": {"bins": PROBABILITY_BINS, "colours": BIN_COLOURS}})


def last_click():
    """The last marker clicked, {'row', 'at'}, or None."""
    return (st.session_state.get("sky") or {}).get("click")

