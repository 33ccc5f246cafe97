"""Positional crossmatch with SkyCoord, replacing the seed project's joins on name strings.

Default radius 2": Buta's J-name, HyperLEDA and Galaxy Zoo 2 positions of the same galaxy
agree to 0.35" (median) and within 1" for 99 % of galaxies, while at Galaxy Zoo densities
(a few tens of galaxies per deg^2) an unrelated galaxy falls within 2" with probability ~1e-4.
"""
import astropy.units as u
import numpy as np
from astropy.coordinates import SkyCoord

DEFAULT_RADIUS = 2 * u.arcsec
REPORT_RADII = (1, 2, 5) * u.arcsec


def skycoord(table):
    """ICRS SkyCoord of a table's ra/dec (deg); masked positions become NaN (never matched)."""
    ra = np.ma.filled(np.ma.asarray(table["ra"], dtype=float), np.nan)
    dec = np.ma.filled(np.ma.asarray(table["dec"], dtype=float), np.nan)
    return SkyCoord(ra * u.deg, dec * u.deg, frame="icrs")


def nearest(coords, catalogue):
    """For each position, the index of and separation to the nearest catalogue position."""
    usable = ~np.isnan(coords.ra.deg)
    known = np.flatnonzero(~np.isnan(catalogue.ra.deg))
    index = np.full(len(coords), -1)
    separation = np.full(len(coords), np.inf) * u.arcsec
    if usable.any() and len(known):
        i, sep, _ = coords[usable].match_to_catalog_sky(catalogue[known])
        index[usable], separation[usable] = known[i], sep.to(u.arcsec)
    return index, separation


def match(coords, catalogue, radius=DEFAULT_RADIUS):
    """Nearest-neighbour matches within ``radius``: (index into catalogue or -1, separation)."""
    index, separation = nearest(coords, catalogue)
    return np.where(separation <= radius, index, -1), separation


def counts_within(separation, radii=REPORT_RADII):
    """How many positions have a match within each radius."""
    return {f"{r.to_value(u.arcsec):g}arcsec": int((separation <= r).sum()) for r in radii}


def plot_separations(separations, path, limit=10.0):
    """Histogram (log counts) of nearest-neighbour separations, one curve per label."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    bins = np.linspace(0, limit, 101)
    for label, separation in separations.items():
        values = np.clip(separation.to_value(u.arcsec), 0, limit)
        ax.hist(values[np.isfinite(values)], bins=bins, histtype="step", label=label)
    for r in REPORT_RADII:
        ax.axvline(r.to_value(u.arcsec), ls=":", color="grey")
    ax.set(xlabel=f"separation to nearest match (arcsec; > {limit:g} piled at the edge)", ylabel="galaxies",
           yscale="log", title="Buta (2017) rings: positional crossmatch")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
