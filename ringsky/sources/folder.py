"""A folder of the user's own cutouts (JPEG, PNG, or grz or ugriz FITS) listed in a CSV manifest.

The manifest (``catalogue.csv`` in the folder, or a CSV path) has ``id`` or ``id_str``,
``ra``, ``dec`` (deg) and ``image`` (path relative to the manifest); an optional ``ring``
column (1/0) is the truth that ``ringsky evaluate`` scores against, and an optional
``field_arcsec`` the width of each cutout on the sky (for the explorer's sky background). A
``split`` column (train, validation, test: a training table's, through ``ringsky fetch
--folder``) is kept: training and cross-validation then use train and validation only, and
``ringsky evaluate`` the test rows.
A FITS cutout holds fluxes in nanomaggies as (3, H, W) grz or (5, H, W) ugriz planes; only
ugriz ones serve 5-channel models.
"""
import io
import re
import warnings
from collections import Counter
from pathlib import Path

import astropy.units as u
import numpy as np
from astropy.io import ascii, fits
from astropy.table import Table
from astropy.utils.exceptions import AstropyUserWarning
from PIL import Image

from .. import RingskyError
from ..fileio import atomic_path, version_key
from ..imaging import DEPTH, grz_to_rgb, load_rgb, resize_planes, resize_rgb, ugriz_to_planes, write_png
from ..rows import checked_ids, checked_positions
from ..tiles import tile_index
from .survey import DEFAULT_FIELD

REQUIRED = ("ra", "dec", "image")


def read_manifest(manifest):
    """The manifest as a Table, checked once here (:mod:`ringsky.rows`): ids kept as text exactly
    as written, positions in range, ``ring``, where there is one, 1 or 0. Any other row is a
    RingskyError naming the file and its line."""
    def line(k):
        return f"line {k + 2}"

    where = f"folder source: {manifest}"
    try:
        table = Table.read(manifest, format="ascii.csv", fill_values=[("", "0")], fill_include_names=[],
                           converters={"id": [ascii.convert_numpy(str)], "id_str": [ascii.convert_numpy(str)],
                                       "image": [ascii.convert_numpy(str)]})
    except (ValueError, UnicodeDecodeError) as error:
        raise RingskyError(f"{where}: not a readable CSV table ({str(error).splitlines()[0]})") from error
    if "id" not in table.colnames and "id_str" in table.colnames:
        table.rename_column("id_str", "id")
    missing = [c for c in ("id",) + REQUIRED if c not in table.colnames]
    if missing:
        raise RingskyError(f"folder source: {manifest} lacks column(s) {', '.join(missing)}")
    checked_positions(table, where, line)
    table["id"] = checked_ids(table["id"], where, line)
    if "ring" in table.colnames:
        rings = [str(v) for v in table["ring"]]
        bad = [k for k, v in enumerate(rings) if v not in ("0", "1")]
        if bad:
            raise RingskyError(f"{where}: {line(bad[0])}: ring {rings[bad[0]]!r} is not 1 (ring) or 0 (not a ring)")
        table["ring"] = np.asarray(rings, dtype=int)
    table["ra"].unit = table["dec"].unit = u.deg
    return table


class FolderSource:
    """Cutouts on disk, described by a manifest."""

    planes = ("rgb", "ugriz")  # ugriz from FITS cutouts that hold five bands

    def __init__(self, path):
        path = Path(path)
        self.manifest = path / "catalogue.csv" if path.is_dir() else path
        if not self.manifest.is_file():
            raise RingskyError(f"folder source: no manifest at {self.manifest}")
        self.name = f"folder:{path}"
        self.parents_name = f"the manifest {self.manifest.name} of {self.name}"
        self.table = read_manifest(self.manifest)
        self._tile_indices = {}

    @property
    def pack_key(self):
        """Names this folder's tile packs (ringsky.pipeline.packs) after the manifest as it is now: edit or
        touch the manifest when cutouts are replaced, so that their packs are made again."""
        return "folder-" + version_key([self.manifest])

    def _tile_index(self, nside):
        """Each row's tile at ``nside``, computed once: a tile's galaxies are then one comparison."""
        if nside not in self._tile_indices:
            self._tile_indices[nside] = tile_index(self.table["ra"], self.table["dec"], nside)
        return self._tile_indices[nside]

    def footprint(self, nside):
        return np.unique(self._tile_index(nside))

    def galaxies(self, tile):
        return self.table[self._tile_index(tile.nside) == tile.ipix]

    def _load(self, image, npix, planes):
        path = self.manifest.parent / image
        try:
            if path.suffix.lower() not in (".fits", ".fit", ".fz"):
                if planes == "ugriz":
                    raise ValueError("a JPEG or PNG has no ugriz planes: 5-channel models need ugriz FITS")
                return load_rgb(path, npix)
            with warnings.catch_warnings():
                warnings.simplefilter("error", AstropyUserWarning)  # a truncated file: an error, not a warning
                with fits.open(io.BytesIO(path.read_bytes())) as hdul:  # no handle left open on failure
                    fluxes = next((hdu.data for hdu in hdul if hdu.data is not None and hdu.data.size), None)
                    if fluxes is None:
                        raise ValueError("no image data (a header only, or empty)")
                    fluxes = np.array(fluxes, dtype=np.float32)
            if fluxes.ndim != 3 or fluxes.shape[0] not in (3, 5):
                raise ValueError(f"expected (3, H, W) grz or (5, H, W) ugriz fluxes, not shape {fluxes.shape}")
            if not np.isfinite(fluxes).any():
                raise ValueError("no finite pixel")
            if planes == "ugriz":
                if fluxes.shape[0] != 5:
                    raise ValueError("a grz FITS has no ugriz planes: 5-channel models need ugriz FITS")
                return resize_planes(ugriz_to_planes(fluxes), npix)
            return resize_rgb(grz_to_rgb(fluxes[1:4] if fluxes.shape[0] == 5 else fluxes), npix)
        except (OSError, ValueError, TypeError, IndexError, AstropyUserWarning, Image.DecompressionBombError) as error:
            raise RingskyError(f"folder source: cannot read cutout {path}: "
                               f"{str(error).splitlines()[0] if str(error) else type(error).__name__}") from error

    def _pictures(self, galaxies, npix, planes):
        if not len(galaxies):
            return np.empty((0, npix, npix, DEPTH[planes]), dtype=np.uint8)
        return np.stack([self._load(image, npix, planes) for image in galaxies["image"]])

    def cutouts(self, galaxies, npix):
        return self._pictures(galaxies, npix, "rgb")

    def ugriz_cutouts(self, galaxies, npix):
        """uint8 ugriz planes (N, npix, npix, 5) from ugriz FITS cutouts, for 5-channel models."""
        return self._pictures(galaxies, npix, "ugriz")

    def fields(self, galaxies, npix):
        """Width on the sky of each cutout, arcsec: the manifest's ``field_arcsec``, else 60"."""
        if "field_arcsec" in galaxies.colnames:
            return np.asarray(galaxies["field_arcsec"], dtype=float)
        return np.full(len(galaxies), DEFAULT_FIELD)

    @property
    def splits(self):
        """The splits a training table's ``split`` column names (train, validation, test), or ()."""
        return tuple(sorted(set(self.table["split"]))) if "split" in self.table.colnames else ()

    def labelled_sample(self, npix, planes="rgb", splits=None):
        """Pictures, ring labels and rows; only the rows of ``splits`` when given (see ``splits``)."""
        if "ring" not in self.table.colnames:
            raise RingskyError(f"folder source: {self.manifest} has no 'ring' column to evaluate against")
        table = self.table
        if splits is not None:
            table = table[np.isin(np.asarray(table["split"]).astype(str), splits)]
            if not len(table):
                raise RingskyError(f"folder source: {self.manifest} has no galaxy in split {', '.join(splits)}")
        return self._pictures(table, npix, planes), np.asarray(table["ring"], dtype=int), table


def image_names(ids):
    """``images/ID.png`` per id, the id made safe for any file system (characters other than
    letters, digits, ``.``, ``_`` and ``-`` become ``_``); a name two ids share gets the row number."""
    safe = [re.sub(r"[^A-Za-z0-9._-]", "_", str(i)) for i in ids]
    taken = Counter(safe)
    return [f"images/{s}-{k}.png" if taken[s] > 1 else f"images/{s}.png" for k, s in enumerate(safe)]


def write_cutout_folder(out, table, images):
    """A folder this source reads back: uint8 RGB ``images`` as PNGs and ``table`` (``id``,
    ``ra``, ``dec`` and whatever else should travel, e.g. ``ring``) as ``catalogue.csv``."""
    out = Path(out)
    (out / "images").mkdir(parents=True, exist_ok=True)
    names = image_names(table["id"])
    for image, name in zip(images, names):
        with atomic_path(out / name) as temporary:
            write_png(image, temporary)
    manifest = table.copy(copy_data=False)
    manifest.add_column(names, name="image", index=3)
    with atomic_path(out / "catalogue.csv") as temporary:
        manifest.write(temporary, format="ascii.csv")
    return manifest


def write_simulated_folder(out, n, seed, ring_fraction, npix, workers=1):
    """Simulate ``n`` galaxies into a folder this source reads back: PNG cutouts, a
    ``catalogue.csv`` manifest (positions spread over the simulated sky's footprint, ``ring``
    truth) and the full truth table as ``truth.fits``. Returns the truth Table."""
    from ..simulate import simulate
    from ..tiles import Tile
    from .simulated import BASE_NSIDE, DEFAULT_FOOTPRINT

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    images, truth = simulate(n, seed=seed, ring_fraction=ring_fraction, npix=npix, workers=workers)
    rng = np.random.default_rng([seed, 7])
    cells = rng.choice(DEFAULT_FOOTPRINT, n)
    ra, dec = np.empty(n), np.empty(n)
    for cell in np.unique(cells):
        chosen = cells == cell
        ra[chosen], dec[chosen] = Tile(BASE_NSIDE, int(cell)).random_positions(rng, int(chosen.sum()))
    truth.add_columns([ra, dec], names=["ra", "dec"], indexes=[1, 1])
    truth["ra"].unit = truth["dec"].unit = u.deg
    with atomic_path(out / "truth.fits") as temporary:
        truth.write(temporary, format="fits")
    write_cutout_folder(out, Table({"id": [f"sim{seed}-{i:06d}" for i in truth["id"]], "ra": ra, "dec": dec,
                                    "ring": truth["is_ring"].astype(int), "ring_type": truth["ring_type"],
                                    "morphology": truth["morphology"]}), images)
    return truth
