"""The embedded simulated sky: a deterministic galaxy population over a small footprint.

Galaxies are generated per nside=32 base cell from (seed, cell, index) alone, so a galaxy's
position, truth and pixels are the same whatever tiling, order or process asks for it.
Cutouts are rendered on demand and cached on disk as PNG (lossless, and viewable); the ugriz
planes that 5-channel models read are cached as .npy.
"""
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import astropy.units as u
import numpy as np
from astropy.table import Table, vstack

from ..config import cache_folder, conf
from ..fileio import atomic_path
from ..imaging import DEPTH, load_rgb, write_png
from ..simulate import PIXSCALE, SIMULATOR_VERSION, draw_galaxy, galaxy_truth, picture, simulate, stamp_size
from ..tiles import Tile, pixels_at

BASE_NSIDE = 32
#: four nside=32 tiles (one nside=16 cell) around RA 150, Dec +2: 13.4 deg^2
DEFAULT_FOOTPRINT = tuple(range(4 * 1703, 4 * 1703 + 4))
TEST_SEED = 3_000_001  # reserved for the held-out simulated test set
TRUTH_COLUMNS = ("is_ring", "ring_type", "morphology", "mag_g", "mag_r", "mag_z", "half_light_radius", "axis_ratio")
"""What the sky's parent list tells of each galaxy: its truth and its host properties."""
HALF_LIGHT_PER_SCALE = 1.678
"""An exponential disc's half-light radius in scale lengths."""


def _galaxy(seed, cell, index, ring_fraction):
    """Description and generator state of one sky galaxy, from its identity alone."""
    rng = np.random.default_rng([seed, BASE_NSIDE, cell, index])
    return draw_galaxy(rng, rng.random() < ring_fraction), rng


def _render(args):
    seed, cell, index, ring_fraction, npix, planes = args
    g, rng = _galaxy(seed, cell, index, ring_fraction)
    return picture(g, rng, npix, planes)


def _save(image, path):
    with atomic_path(path) as temporary:
        if path.endswith(".png"):
            write_png(image, temporary)
        else:
            with open(temporary, "wb") as handle:
                np.save(handle, image)


def _load(path, npix):
    return load_rgb(path, npix) if path.endswith(".png") else np.load(path)


class SimulatedSky:
    """A simulated survey: ~``density`` galaxies per deg^2, a fraction of them ringed."""

    name = "sim"
    parents_name = f"the simulated sky's truth (simulator v{SIMULATOR_VERSION})"
    planes = ("rgb", "ugriz")

    def __init__(self, seed=None, density=None, ring_fraction=None, footprint=DEFAULT_FOOTPRINT, workers=None):
        """Arguments left as None take their ``ringsky.config.conf`` values."""
        self.seed = conf.sim_seed if seed is None else seed
        self.density = conf.sim_density if density is None else density
        self.ring_fraction = conf.sim_ring_fraction if ring_fraction is None else ring_fraction
        self.base_pixels = np.asarray(footprint, dtype=np.int64)
        self.workers = conf.workers if workers is None else workers
        self._cells = {}

    @property
    def pack_key(self):
        """What a galaxy's pixels depend on besides its id, naming its tile packs (ringsky.pipeline.packs)."""
        return f"sim-v{SIMULATOR_VERSION}-seed{self.seed}-rf{self.ring_fraction:g}"

    def footprint(self, nside):
        return pixels_at(self.base_pixels, BASE_NSIDE, nside)

    def _cell_galaxies(self, cell):
        """The galaxies of one base cell, drawn once per SimulatedSky (the parent list of the sky)."""
        if cell not in self._cells:
            self._cells[cell] = self._draw_cell(cell)
        return self._cells[cell]

    def _draw_cell(self, cell):
        tile = Tile(BASE_NSIDE, int(cell))
        rng = np.random.default_rng([self.seed, BASE_NSIDE, cell])
        count = rng.poisson(self.density * tile.area.to_value(u.deg**2))
        ra, dec = tile.random_positions(rng, count)
        rows = [galaxy_truth(_galaxy(self.seed, cell, k, self.ring_fraction)[0]) for k in range(count)]
        if not rows:
            table = Table(names=TRUTH_COLUMNS, dtype=(bool, str, str) + (float,) * 5)
        else:
            table = Table(rows=rows, names=list(rows[0]))
            table["half_light_radius"] = HALF_LIGHT_PER_SCALE * table["disc_scale"]
            table["axis_ratio"] = np.cos(np.radians(table["inclination"]))
        table = table[list(TRUTH_COLUMNS)]
        table.add_column([f"SIM{cell:05d}-{k:04d}" for k in range(count)], name="id", index=0)
        table.add_column(ra, name="ra", index=1)
        table.add_column(dec, name="dec", index=2)
        table.add_column(np.full(count, cell), name="cell")
        table.add_column(np.arange(count), name="index")
        return table

    def galaxies(self, tile):
        """The sky galaxies whose centres lie in ``tile`` (any nside)."""
        cells = np.intersect1d(pixels_at([tile.ipix], tile.nside, BASE_NSIDE), self.base_pixels)
        if not len(cells):
            return self._cell_galaxies(self.base_pixels[0])[:0]
        table = vstack([self._cell_galaxies(c) for c in cells])
        table = table[tile.owns(table["ra"], table["dec"])]
        table["ra"].unit = table["dec"].unit = u.deg
        return table

    def _cache_paths(self, galaxies, npix, planes):
        """Where each galaxy's picture is cached, as strings (pathlib costs as much as a PNG read)."""
        folder = cache_folder("sim") / f"v{SIMULATOR_VERSION}-seed{self.seed}-rf{self.ring_fraction:g}"
        suffix = ".png" if planes == "rgb" else f".{planes}.npy"
        return [f"{folder}/cell{cell:05d}/{npix}/{galaxy_id}{suffix}"
                for galaxy_id, cell in zip(galaxies["id"], galaxies["cell"])]

    def _pictures(self, galaxies, npix, planes):
        """Each galaxy's picture from the cache, rendering (and caching) the missing ones."""
        images = np.empty((len(galaxies), npix, npix, DEPTH[planes]), dtype=np.uint8)
        paths = self._cache_paths(galaxies, npix, planes)
        missing = []
        for i, path in enumerate(paths):
            try:
                images[i] = _load(path, npix)
            except FileNotFoundError:
                missing.append(i)
        jobs = [(self.seed, int(galaxies["cell"][i]), int(galaxies["index"][i]), self.ring_fraction, npix, planes)
                for i in missing]
        if self.workers > 1 and len(jobs) > 8:
            with ProcessPoolExecutor(self.workers) as pool:
                rendered = list(pool.map(_render, jobs, chunksize=8))
        else:
            rendered = [_render(job) for job in jobs]
        for i, image in zip(missing, rendered):
            Path(paths[i]).parent.mkdir(parents=True, exist_ok=True)
            _save(image, paths[i])
            images[i] = image
        return images

    def cutouts(self, galaxies, npix):
        return self._pictures(galaxies, npix, "rgb")

    def ugriz_cutouts(self, galaxies, npix):
        """The galaxies in ugriz, for 5-channel models: uint8 planes (N, npix, npix, 5)."""
        return self._pictures(galaxies, npix, "ugriz")

    def fields(self, galaxies, npix):
        """Width on the sky of each galaxy's cutout, arcsec: its stamp, framed on its size."""
        return np.array([stamp_size(_galaxy(self.seed, int(g["cell"]), int(g["index"]), self.ring_fraction)[0]) * PIXSCALE
                         for g in galaxies])

    def labelled_sample(self, npix, n=2000, planes="rgb"):
        """A held-out simulated test set, balanced, from a seed no training run uses."""
        images, truth = simulate(n, seed=TEST_SEED, ring_fraction=0.5, npix=npix, workers=self.workers, planes=planes)
        return images, np.asarray(truth["is_ring"], dtype=int), truth
