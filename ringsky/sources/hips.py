"""Cutouts from a HiPS (Hierarchical Progressive Survey): the CDS hips2fits service per
galaxy, or the HiPS tiles themselves (a local folder or a URL), fetched once per tile.

HiPS tiles are HEALPix cells (NESTED, ICRS). A tile of order ``k`` and width ``w = 2**b``
holds the pixels of order ``k + b`` whose index starts with the tile's; inside the tile,
pixel ``i`` sits at column ``y`` and row ``x`` (``x``/``y`` from the even/odd bits of the
last ``2b`` bits of ``i``), counting rows from the top in PNG/JPEG tiles and from the bottom
in FITS tiles. The tile-aligned path samples every galaxy of a batch from the tiles they
share, so one request serves many galaxies.
"""
import io
import math
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import astropy.units as u
import numpy as np
from astropy.wcs import WCS
from astropy_healpix import HEALPix
from PIL import Image

from .. import RingskyError
from ..config import conf
from ..imaging import load_rgb
from ..net import NotFound, fetch
from .survey import SurveySource


def read_properties(text):
    """A HiPS ``properties`` file as a dict (``key = value`` lines, ``#`` comments)."""
    properties = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and not line.lstrip().startswith("#"):
            properties[key.strip()] = value.strip()
    return properties


def tile_name(order, index, extension):
    return f"Norder{order}/Dir{(index // 10000) * 10000}/Npix{index}.{extension}"


def deinterleave(values, bits):
    """Split NESTED sub-indices into (x, y) from their even and odd bits."""
    x = np.zeros_like(values)
    y = np.zeros_like(values)
    for bit in range(bits):
        x |= ((values >> (2 * bit)) & 1) << bit
        y |= ((values >> (2 * bit + 1)) & 1) << bit
    return x, y


def pixel_grid(ra, dec, field_arcsec, npix):
    """Sky positions (deg) of an npix x npix TAN grid centred on (ra, dec), north up, east left;
    row 0 is the top of the picture."""
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    wcs.wcs.crval = [ra, dec]
    wcs.wcs.crpix = [(npix + 1) / 2, (npix + 1) / 2]
    scale = field_arcsec / npix / 3600
    wcs.wcs.cdelt = [-scale, scale]
    rows, columns = np.mgrid[npix - 1:-1:-1, 0:npix]
    return wcs.pixel_to_world_values(columns, rows)


class HipsTiles:
    """A colour HiPS (PNG or JPEG tiles) in a local folder or at a URL."""

    def __init__(self, location):
        self.location = str(location).rstrip("/")
        self.remote = self.location.startswith(("http://", "https://"))
        properties = read_properties(self._read("properties", "text").decode())
        self.max_order = int(properties.get("hips_order", 0))
        self.width = int(properties.get("hips_tile_width", 512))
        self.bits = int(math.log2(self.width))
        formats = properties.get("hips_tile_format", "jpeg").split()
        colour = [f for f in formats if f in ("png", "jpeg")]
        if not colour:
            raise RingskyError(f"HiPS {self.location} has no PNG/JPEG tiles (formats: {' '.join(formats)})")
        self.extension = "jpg" if colour[0] == "jpeg" else "png"
        if properties.get("hips_frame", "equatorial") != "equatorial":
            raise RingskyError(f"HiPS {self.location} is not in the equatorial frame")

    def _read(self, name, expect):
        if self.remote:
            return fetch(f"{self.location}/{name}", expect=expect)
        path = Path(self.location) / name
        if not path.exists():
            raise NotFound(f"no {path}")
        return path.read_bytes()

    def tile(self, order, index):
        """One tile as uint8 RGB (width, width, 3); black where the HiPS has none."""
        try:
            content = self._read(tile_name(order, index, self.extension), "image")
        except NotFound:
            return np.zeros((self.width, self.width, 3), dtype=np.uint8)
        with Image.open(io.BytesIO(content)) as image:
            return np.asarray(image.convert("RGB"))

    def order_for(self, pixscale_arcsec):
        """Coarsest tile order whose pixels are no larger than the cutout's (else the deepest)."""
        for order in range(self.max_order + 1):
            pixel = math.degrees(math.sqrt(4 * math.pi / (12 * 4 ** (order + self.bits)))) * 3600
            if pixel <= pixscale_arcsec:
                return order
        return self.max_order

    def sample(self, ra, dec, order):
        """Nearest HiPS pixel at each position (deg arrays of any shape) as uint8 RGB (..., 3)."""
        pixels = HEALPix(nside=2 ** (order + self.bits), order="nested")
        index = pixels.lonlat_to_healpix(np.ravel(ra) * u.deg, np.ravel(dec) * u.deg)
        tiles = index >> (2 * self.bits)
        x, y = deinterleave(index & (self.width * self.width - 1), self.bits)
        needed = np.unique(tiles)
        with ThreadPoolExecutor(conf.connections_per_host if self.remote else 1) as pool:
            images = dict(zip(needed, pool.map(lambda t: self.tile(order, int(t)), needed)))
        out = np.empty((index.size, 3), dtype=np.uint8)
        for t in needed:
            chosen = tiles == t
            out[chosen] = images[t][x[chosen], y[chosen]]
        return out.reshape(np.shape(ra) + (3,))


class HipsSource(SurveySource):
    """``--survey hips:ID`` through hips2fits per galaxy, or ``hips:PATH|URL`` read tile by tile."""

    def __init__(self, parents, hips, pixscale=None):
        super().__init__(parents, pixscale)
        self.hips = hips
        self.name = f"hips:{hips}"
        self.tiles = HipsTiles(hips) if (Path(hips).is_dir() or "://" in hips) else None

    def hips2fits_request(self, row, npix):
        """The request ``astroquery.hips2fits`` builds for this cutout, to its ``server``
        (a CDS mirror); ringsky sends it through :mod:`ringsky.net` for retries and cache."""
        from astropy.coordinates import Angle, Latitude, Longitude
        from astroquery.hips2fits import hips2fits

        payload = hips2fits.query(hips=self.hips, width=npix, height=npix, projection="TAN",
                                  ra=Longitude(float(row["ra"]) * u.deg), dec=Latitude(float(row["dec"]) * u.deg),
                                  fov=Angle(self.field(row, npix) / 3600 * u.deg), format="jpg",
                                  get_query_payload=True)
        return hips2fits.server, {key: str(value) for key, value in payload.items()}

    def cutout(self, row, npix):
        if self.tiles is None:
            url, params = self.hips2fits_request(row, npix)
            return load_rgb(io.BytesIO(fetch(url, params, expect="image")), npix)
        return self._from_tiles([row], npix)[0]

    def _from_tiles(self, rows, npix):
        fields = [self.field(row, npix) for row in rows]
        order = self.tiles.order_for(min(fields) / npix)
        grids = [pixel_grid(float(row["ra"]), float(row["dec"]), field, npix) for row, field in zip(rows, fields)]
        ra = np.stack([g[0] for g in grids])
        dec = np.stack([g[1] for g in grids])
        return self.tiles.sample(ra, dec, order)

    def cutouts(self, galaxies, npix):
        if self.tiles is None or not len(galaxies):
            return super().cutouts(galaxies, npix)
        return self._from_tiles(list(galaxies), npix)
