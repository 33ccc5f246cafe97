"""A folder of galaxy pictures for training: a CSV manifest with ``image`` and any label columns.

Unlike a sky source (:mod:`ringsky.sources.folder`), a picture folder needs no positions: it
is what in-domain pretraining and ring injection read, such as ``../shared/data/sdss-galaxies``
(Galaxy Zoo 1 classes and a GZ2 flag, no RA/Dec). Decoded pictures are kept in the cache as
one .npy per (manifest as it is now, size, crop), since decoding 14,000 JPEGs takes longer than
an epoch of some models.
"""
from pathlib import Path

import numpy as np
from astropy.table import Table
from PIL import Image

from .. import RingskyError
from ..config import cache_folder
from ..fileio import atomic_path, version_key
from ..imaging import IMAGE_FORMATS, write_png


def manifest_path(path):
    """``PATH/catalogue.csv`` for a folder, or the CSV itself."""
    path = Path(str(path).removeprefix("folder:"))
    manifest = path / "catalogue.csv" if path.is_dir() else path
    if not manifest.is_file():
        raise RingskyError(f"picture folder: no manifest at {manifest}")
    return manifest


def read_manifest(path):
    """The manifest as a Table, ``id`` (or ``id_str``) and ``image`` required; ids are strings."""
    manifest = manifest_path(path)
    table = Table.read(manifest, format="ascii.csv", converters={"id": str, "id_str": str})
    if "id" not in table.colnames and "id_str" in table.colnames:
        table.rename_column("id_str", "id")
    missing = [c for c in ("id", "image") if c not in table.colnames]
    if missing:
        raise RingskyError(f"picture folder: {manifest} lacks column(s) {', '.join(missing)}")
    table.meta["manifest"] = str(manifest)
    return table


def centre_crop(picture, crop):
    """The central ``crop`` fraction of a square picture's side (PIL image or array)."""
    if crop >= 1.0:
        return picture
    if not isinstance(picture, Image.Image):
        picture = Image.fromarray(picture)
    side = picture.size[0]
    keep = max(1, int(round(side * crop)))
    offset = (side - keep) // 2
    return picture.crop((offset, offset, offset + keep, offset + keep))


def load_picture(path, npix, crop=1.0):
    """uint8 RGB (npix, npix, 3): the picture's central ``crop`` resized with a Lanczos filter."""
    try:
        with Image.open(path, formats=IMAGE_FORMATS) as image:
            image = centre_crop(image.convert("RGB"), crop)
            return np.asarray(image.resize((npix, npix), Image.Resampling.LANCZOS))
    except (OSError, ValueError, Image.DecompressionBombError) as error:
        raise RingskyError(f"picture folder: cannot read {path}: {error}") from error


def folder_pictures(path, npix, crop=1.0, progress=False):
    """(uint8 pictures (N, npix, npix, 3), manifest Table) of a picture folder, decoded once and
    cached by the manifest's path, time and size, the size and the crop."""
    from tqdm import tqdm

    table = read_manifest(path)
    manifest = Path(table.meta["manifest"])
    cached = cache_folder("pictures") / f"{version_key([manifest], npix, crop)}.npy"
    if cached.is_file():
        images = np.load(cached, mmap_mode="r")
        if len(images) == len(table):
            return np.asarray(images), table
    images = np.stack([load_picture(manifest.parent / name, npix, crop)
                       for name in tqdm(table["image"], desc=f"decoding {manifest.parent.name}", disable=not progress)])
    cached.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(cached) as temporary:
        with open(temporary, "wb") as handle:
            np.save(handle, images)
    return images, table


def host_pictures(path, npix, crop=1.0, progress=False):
    """Pictures of a folder that may host injected rings: all of them, or, where the manifest
    has a ``ring`` column, only its non-rings (a real ring is no host for a "no ring" picture)."""
    images, table = folder_pictures(path, npix, crop, progress)
    if "ring" not in table.colnames:
        return images
    return images[np.asarray(table["ring"]).astype(str) == "0"]


def write_picture_folder(out, images, table, prefix):
    """Write uint8 RGB ``images`` as PNGs into the folder ``out`` with a ``catalogue.csv``
    manifest: ``table``'s columns, ids ``PREFIX-NNNNNN`` and the ``image`` paths; a picture
    folder that ``folder_pictures`` and ``ringsky pretrain`` read back."""
    out = Path(out)
    (out / "images").mkdir(parents=True, exist_ok=True)
    manifest = table.copy()
    ids = [f"{prefix}-{k:06d}" for k in range(len(images))]
    names = [f"images/{name}.png" for name in ids]
    for image, name in zip(images, names):
        with atomic_path(out / name) as temporary:
            write_png(image, temporary)
    if "id" in manifest.colnames:
        manifest.remove_column("id")
    manifest.add_column(ids, name="id", index=0)
    manifest.add_column(names, name="image", index=1)
    with atomic_path(out / "catalogue.csv") as temporary:
        manifest.write(temporary, format="ascii.csv")
    return manifest
