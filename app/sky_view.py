"""The Aladin Lite sky as a Streamlit component, and the local HiPS background it shows."""
import hashlib
import json
from pathlib import Path

import numpy as np
import streamlit.components.v1 as components
from astropy.coordinates import SkyCoord
from mocpy import MOC

from ringsky.skyhips import build_hips
from ringsky.sources import open_source

APP_DIR = Path(__file__).resolve().parent
STATIC_DIR = APP_DIR / "static"
ALADIN_JS = STATIC_DIR / "aladin.js"

ONLINE_SURVEYS = {
    "Legacy Surveys DR10 (online)": "CDS/P/DESI-Legacy-Surveys/DR10/color",
    "SDSS DR9 (online)": "CDS/P/SDSS9/color",
}

_sky = components.declare_component("ringsky_sky", path=str(APP_DIR / "aladin_component"))


def background_folder(catalogue_path, order):
    """Where the catalogue's HiPS lives under the static folder: one per catalogue file version."""
    stat = Path(catalogue_path).stat()
    key = hashlib.sha1(f"{Path(catalogue_path).resolve()}|{stat.st_mtime_ns}|{order}".encode()).hexdigest()[:16]
    return STATIC_DIR / "hips" / key


def ensure_background(catalogue_path, table, order):
    """Build the catalogue's HiPS from its cutouts unless built already; its URL path under
    the app (Streamlit serves ``app/static`` at ``/app/static``)."""
    folder = background_folder(catalogue_path, order)
    if not (folder / "properties").is_file():
        folder.parent.mkdir(parents=True, exist_ok=True)
        build_hips(table, open_source(table.meta["SURVEY"]), folder, order=order,
                   title=f"ringsky {table.meta['SURVEY']} cutouts")
    return "app/static/" + folder.relative_to(STATIC_DIR).as_posix()


def moc_json(path):
    """The MOC beside the catalogue (``coverage.moc.fits``) as Aladin's JSON, or None."""
    if not Path(path).is_file():
        return None
    return json.loads(MOC.from_fits(path).to_string(format="json"))


def sky(markers, overlays, moc, survey, target, fov, selected, key):
    """Draw the sky; returns the last marker clicked ({'row', 'at'}) or None."""
    return _sky(markers=markers, overlays=overlays, moc=moc, survey=survey, target=target, fov=fov,
                selected=selected, key=key, default=None)


def view_of(ra, dec):
    """Centre (SkyCoord) and field of view (deg) that frame the positions."""
    if not len(ra):
        return SkyCoord(0, 0, unit="deg"), 60.0
    positions = SkyCoord(ra, dec, unit="deg")
    mean = positions.cartesian.mean()
    centre = SkyCoord(mean, frame="icrs", representation_type="cartesian")
    centre = SkyCoord(centre.spherical.lon, centre.spherical.lat, frame="icrs")
    radius = float(np.max(centre.separation(positions).deg))
    return centre, min(180.0, max(0.05, 2.2 * radius))
