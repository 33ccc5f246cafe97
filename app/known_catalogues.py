"""Known ring catalogues drawn over the sky, and which of them holds each candidate.

The published catalogues are those ``ringsky catalogue`` cross-identifies by default
(:mod:`ringsky.catalogue.crossids`: Buta 2017, the expert ring flags, Shan et al. 2024, Krishnakumar et
al. 2024, from ``../shared/data/catalogues`` when present): the explorer reads their matches
from the catalogue's ``NAME_id`` columns rather than matching again, and draws their galaxies.
Any table with RA/Dec columns can be added (``--overlay``); those are matched here.
"""
from pathlib import Path

import astropy.units as u
import numpy as np
from astropy.coordinates import SkyCoord

from ringsky import RingskyError
from ringsky.catalogue.crossids import default_matches, read_counterparts

MATCH_RADIUS = 5 * u.arcsec
SHAPES = ("square", "triangle", "rhomb", "cross", "plus")
COLOURS = ("#ffd400", "#00e5ff", "#ff66ff", "#ffffff", "#aaff00")


def read_known(path):
    """(ra, dec) in degrees of one known catalogue (read once, then from the ringsky cache)."""
    if not Path(path).is_file():
        raise RingskyError(f"known catalogue not found: {path}")
    _, ra, dec, _ = read_counterparts(path)
    return ra, dec


def known_catalogues(extra=()):
    """{name: (ra, dec)}: the published catalogues found, then the user's tables."""
    found = {name: read_known(path) for name, path in default_matches().items()}
    found.update({Path(path).name: read_known(path) for path in extra})
    return found


def cross_identified(table):
    """For each candidate, the first catalogue that ``ringsky catalogue`` found it in (its
    ``NAME_id`` columns), else ''."""
    named = np.full(len(table), "", dtype=object)
    for column in table.colnames:
        name = column.removesuffix("_id")
        if column.endswith("_id") and f"{name}_sep" in table.colnames:
            ids = np.asarray(np.ma.filled(table[column], "")).astype(str)  # read back, "none" is masked
            named[(ids != "") & (named == "")] = name
    return named


def matched_to(ra, dec, known):
    """For each candidate, the first known catalogue with a galaxy within 5", else ''."""
    matched = np.full(len(ra), "", dtype=object)
    if not len(ra):
        return matched
    candidates = SkyCoord(ra * u.deg, dec * u.deg)
    for name, (kra, kdec) in known.items():
        if not len(kra):
            continue
        _, separation, _ = candidates.match_to_catalog_sky(SkyCoord(kra * u.deg, kdec * u.deg))
        matched[(separation < MATCH_RADIUS) & (matched == "")] = name
    return matched


def overlay_args(known, centre, radius_deg):
    """Known galaxies near the searched sky, as the sky component draws them."""
    overlays = []
    for k, (name, (ra, dec)) in enumerate(known.items()):
        near = SkyCoord(ra * u.deg, dec * u.deg).separation(centre).deg < radius_deg
        overlays.append({"name": name, "ra": ra[near].tolist(), "dec": dec[near].tolist(),
                         "shape": SHAPES[k % len(SHAPES)], "color": COLOURS[k % len(COLOURS)]})
    return overlays
