"""What every online survey source shares: a parent list per tile, cutout scale from the
galaxy's size, and cutouts fetched concurrently through :mod:`ringsky.net`.

A subclass says how to get one galaxy's picture (``cutout(row, npix)``); fetching many at
once, the progress of ``ringsky fetch`` and the failure count live here.
"""
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .. import RingskyError
from ..config import conf
from ..fileio import version_key
from ..net import ServiceError

FIELD_PER_RADIUS = 17.0
"""Cutout width per galaxy radius: Galaxy Zoo DECaLS used 424 px x 0.04 x petro_th50 = 17 radii."""
MIN_FIELD = 42.4
"""Narrowest cutout, arcsec: Galaxy Zoo DECaLS's floor of 424 px x 0.1 arcsec/px."""
DEFAULT_FIELD = 60.0
"""Cutout width in arcsec when the parent list gives no size."""


def field_of_view(size, fixed_pixscale=None, npix=None):
    """Cutout width in arcsec: a fixed pixel scale, or scaled to the galaxy's radius (arcsec)."""
    if fixed_pixscale:
        return fixed_pixscale * npix
    if size is None or not np.isfinite(size):
        return DEFAULT_FIELD
    return max(MIN_FIELD, FIELD_PER_RADIUS * float(size))


class SurveySource:
    """Base of the online sources; ``parents`` supplies the galaxies of a tile."""

    name = "survey"

    def __init__(self, parents, pixscale=None):
        self.parents = parents
        self.pixscale = pixscale

    @property
    def parents_name(self):
        """The parent list behind the galaxies and their host properties, for the provenance."""
        return getattr(self.parents, "description", getattr(self.parents, "name", "parents"))

    @property
    def pack_key(self):
        """Names this survey's tile packs (ringsky.pipeline.packs) after what its cutouts depend on besides
        each galaxy's id and size, which the packs hash themselves."""
        key = version_key([], self.name, getattr(self, "image_format", ""), self.pixscale)
        return f"{type(self).__name__.lower()}-{key}"

    def footprint(self, nside):
        if hasattr(self.parents, "footprint"):
            return self.parents.footprint(nside)
        raise RingskyError(f"{self.name} covers much of the sky: name the tiles, e.g. --tile nside=32:6812")

    def galaxies(self, tile):
        return self.parents.galaxies(tile)

    def field(self, row, npix):
        size = row["size"] if "size" in row.colnames else None
        return field_of_view(size, self.pixscale, npix)

    def fields(self, galaxies, npix):
        """Width on the sky of each galaxy's cutout, arcsec."""
        return np.array([self.field(row, npix) for row in galaxies])

    def cutout(self, row, npix):
        raise NotImplementedError

    def many(self, galaxies, one, shape):
        """``one(row)`` for every galaxy, fetched concurrently, stacked (uint8, ``shape`` each)."""
        if not len(galaxies):
            return np.empty((0,) + shape, dtype=np.uint8)
        with ThreadPoolExecutor(conf.connections_per_host) as pool:
            return np.stack(list(pool.map(one, galaxies)))

    def cutouts(self, galaxies, npix):
        return self.many(galaxies, lambda row: self.cutout(row, npix), (npix, npix, 3))

    def fetch(self, galaxies, npix, progress=None):
        """Fill the cache for ``galaxies``; returns the ids that failed (others are kept)."""
        def one(row):
            try:
                self.cutout(row, npix)
                return None
            except ServiceError:
                return str(row["id"])
            finally:
                if progress is not None:
                    progress.update(1)

        with ThreadPoolExecutor(conf.connections_per_host) as pool:
            return [failure for failure in pool.map(one, galaxies) if failure is not None]
