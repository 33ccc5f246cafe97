"""Published ring catalogues drawn over the sky and matched against the candidates.

By default: Buta (2017) Table 2, the Shan et al. (2024) ConvNeXt rings and the Krishnakumar
et al. (2024) rings, from ``../shared/data/catalogues`` beside the repository (or
``$RINGSKY_KNOWN_CATALOGUES``) when present; any table with RA/Dec columns can be added.
"""
import os
from pathlib import Path

import astropy.units as u
import numpy as np
from astropy.coordinates import SkyCoord
from astropy.table import Table

from ringsky import RingskyError
from ringsky.config import cache_dir
from ringsky.fileio import atomic_path, version_key

MATCH_RADIUS = 5 * u.arcsec
SHAPES = ("square", "triangle", "rhomb", "cross", "plus")
COLOURS = ("#ffd400", "#00e5ff", "#ff66ff", "#ffffff", "#aaff00")
PUBLISHED = {
    "Buta 2017": "buta2017_table2.tex",
    "Shan 2024 ConvNeXt": "shan2024_convnext_rings.csv",
    "Krishnakumar 2024": "krishnakumar2024_rings.csv",
}


def default_folder():
    given = os.environ.get("RINGSKY_KNOWN_CATALOGUES")
    return Path(given) if given else Path(__file__).resolve().parents[1].parent / "shared" / "data" / "catalogues"


def _ra_dec(table, path):
    names = {name.lower(): name for name in table.colnames}
    for ra, dec in (("ra", "dec"), ("raj2000", "dej2000"), ("ra_deg", "dec_deg")):
        if ra in names and dec in names:
            return np.asarray(table[names[ra]], dtype=float), np.asarray(table[names[dec]], dtype=float)
    raise RingskyError(f"{path}: no RA/Dec columns (ra, dec in degrees)")


def read_known(path):
    """(ra, dec) in degrees of one published catalogue: Buta's LaTeX table or any table. Kept
    in the ringsky cache, keyed by the files read: Buta's table takes seconds to parse."""
    from ringsky.labels import SIBLINGS  # lazily: ringsky.labels imports torch

    path = Path(path)
    if not path.is_file():
        raise RingskyError(f"known catalogue not found: {path}")
    inputs = [path] + ([path.parent / name for name in SIBLINGS.values()] if path.suffix == ".tex" else [])
    cached = cache_dir() / "known" / f"{version_key([p for p in inputs if p.is_file()])}.npy"
    if cached.is_file():
        return tuple(np.load(cached))
    ra, dec = parse_known(path)
    cached.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(cached) as temporary, open(temporary, "wb") as out:
        np.save(out, np.stack([ra, dec]))
    return ra, dec


def parse_known(path):
    if path.suffix == ".tex":
        from ringsky.labels import buta_table

        table = buta_table(path)[0]
        has = table["coord_source"] != ""
        return np.asarray(table["ra"][has], dtype=float), np.asarray(table["dec"][has], dtype=float)
    try:
        table = Table.read(path, format="ascii.csv") if path.suffix == ".csv" else Table.read(path)
    except (OSError, ValueError) as error:
        raise RingskyError(f"cannot read known catalogue {path}: {str(error).splitlines()[0]}") from error
    return _ra_dec(table, path)


def known_catalogues(extra=()):
    """{name: (ra, dec)}: the published catalogues found, then the user's tables."""
    folder = default_folder()
    found = {name: read_known(folder / file) for name, file in PUBLISHED.items() if (folder / file).is_file()}
    found.update({Path(path).name: read_known(path) for path in extra})
    return found


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
