"""HEALPix tiles: the unit of work, of caching and of coverage (NESTED ordering, ICRS).

A tile is ``(nside, ipix)``; it owns the galaxies whose centres fall in it, so every galaxy
belongs to exactly one tile of a given nside. Specs on the command line look like
``nside=32`` (every tile of the source's footprint), ``nside=32:1234`` or
``nside=32:1234,1240-1250``.
"""
import re
from dataclasses import dataclass

import astropy.units as u
import numpy as np
from astropy.coordinates import ICRS
from astropy_healpix import HEALPix

from . import RingskyError


class TileSpecError(RingskyError):
    """A tile spec that cannot be parsed or names pixels that do not exist."""


@dataclass(frozen=True, order=True)
class Tile:
    """One HEALPix cell, NESTED ordering, ICRS."""

    nside: int
    ipix: int

    @property
    def healpix(self):
        return HEALPix(nside=self.nside, order="nested", frame=ICRS())

    @property
    def level(self):
        """HEALPix order (depth): nside = 2**level."""
        return self.nside.bit_length() - 1

    @property
    def name(self):
        """A file-name-safe label, e.g. ``nside32-ipix001234``."""
        return f"nside{self.nside}-ipix{self.ipix:0{len(str(12 * self.nside**2 - 1))}d}"

    @classmethod
    def from_name(cls, name):
        """The tile a ``name`` label (``nside32-ipix001234``) stands for."""
        match = re.fullmatch(r"nside(\d+)-ipix(\d+)", name)
        if not match:
            raise TileSpecError(f"{name!r} is not a tile name like nside32-ipix001234")
        nside, ipix = check_nside(int(match.group(1))), int(match.group(2))
        if ipix >= 12 * nside**2:
            raise TileSpecError(f"{name!r}: pixel {ipix} is out of range at nside={nside} (0-{12 * nside**2 - 1})")
        return cls(nside, ipix)

    @property
    def centre(self):
        return self.healpix.healpix_to_skycoord(self.ipix)

    @property
    def area(self):
        return self.healpix.pixel_area.to(u.deg**2)

    def boundary(self, step=4):
        """The tile's outline as a SkyCoord of ``4 * step`` vertices."""
        return self.healpix.boundaries_skycoord(self.ipix, step=step)[0]

    def owns(self, ra, dec):
        """Boolean mask of the positions (degrees) whose centre lies in this tile."""
        return tile_index(ra, dec, self.nside) == self.ipix

    def random_positions(self, rng, count):
        """Uniform positions inside the tile (degrees), from the pixel's own (dx, dy) frame."""
        dx, dy = rng.random(count), rng.random(count)
        lon, lat = self.healpix.healpix_to_lonlat(np.full(count, self.ipix), dx=dx, dy=dy)
        return lon.to_value(u.deg), lat.to_value(u.deg)


def tile_index(ra, dec, nside):
    """NESTED pixel index at ``nside`` of positions in degrees."""
    hp = HEALPix(nside=nside, order="nested", frame=ICRS())
    return hp.lonlat_to_healpix(np.asarray(ra) * u.deg, np.asarray(dec) * u.deg)


def check_nside(nside):
    if nside < 1 or nside & (nside - 1) or nside > 2**29:
        raise TileSpecError(f"nside must be a power of two between 1 and 2**29, not {nside}")
    return nside


_SPEC = re.compile(r"^\s*nside\s*=\s*(\d+)\s*(?::\s*([\d,\s-]+))?\s*$")


@dataclass(frozen=True)
class TileSpec:
    """A parsed ``--tile`` argument: an nside and either explicit pixels or ``None`` (all)."""

    nside: int
    pixels: tuple | None

    def resolve(self, footprint):
        """The tiles to process; ``footprint`` gives the source's pixels at an nside."""
        pixels = self.pixels if self.pixels is not None else footprint(self.nside)
        return [Tile(self.nside, int(p)) for p in sorted(set(pixels))]


def parse_tile_spec(text):
    """Parse ``nside=N[:PIX[,PIX|A-B]...]``; raise TileSpecError with a one-line reason."""
    match = _SPEC.match(text or "")
    if not match:
        raise TileSpecError(f"bad tile spec {text!r}: expected nside=N, nside=N:PIX or nside=N:A-B,PIX,...")
    nside = check_nside(int(match.group(1)))
    if match.group(2) is None:
        return TileSpec(nside, None)
    npix = 12 * nside**2
    pixels = []
    for part in match.group(2).split(","):
        bounds = [b.strip() for b in part.split("-")]
        if len(bounds) > 2 or not all(b.isdigit() for b in bounds):
            raise TileSpecError(f"bad pixel list {part.strip()!r} in tile spec {text!r}")
        first, last = int(bounds[0]), int(bounds[-1])
        if last < first:
            raise TileSpecError(f"empty pixel range {part.strip()!r} in tile spec {text!r}")
        if last >= npix:
            raise TileSpecError(f"pixel {last} out of range for nside={nside} (0..{npix - 1})")
        pixels.extend(range(first, last + 1))
    return TileSpec(nside, tuple(pixels))


def pixels_at(pixels, from_nside, to_nside):
    """NESTED pixels at ``to_nside`` covering the given pixels at ``from_nside``."""
    pixels = np.asarray(pixels, dtype=np.int64)
    if to_nside >= from_nside:
        factor = (to_nside // from_nside) ** 2
        return (pixels[:, None] * factor + np.arange(factor)).ravel()
    return np.unique(pixels // (from_nside // to_nside) ** 2)


def tiles_moc(tiles):
    """A mocpy MOC of the union of tiles (any mix of nsides)."""
    from mocpy import MOC

    levels = np.array([t.level for t in tiles], dtype=np.uint8)
    ipix = np.array([t.ipix for t in tiles], dtype=np.uint64)
    return MOC.from_healpix_cells(ipix, depth=levels, max_depth=int(levels.max()))

