"""Tile packs: the decoded pictures of one tile in one uncompressed .npy file in the cache.

Scoring a tile again (with a new model, or after an interrupted run) then reads one file
through a memory map instead of opening and decoding a cutout per galaxy: on a 2-core CPU
that decoding takes 14-25 % of the model's speed away (``docs/scaling.md``), and at survey
scale one file per tile also spares the file system millions of small files.

A pack is named by the ringsky version, its source's ``pack_key`` (sources without one are
not packed), the tile, the pictures' size and kind, and a hash of the tile's galaxy ids (and
sizes, which set a survey cutout's field), so a changed source or parent list gets a new pack
and a stale one is never read. It is written as the tile is first decoded, with plain
sequential writes (a full disk is then an error naming the file, not a bus error), and moved
into place only when every row has been written. A half-written pack that a killed run left
behind is removed by the next run that writes a pack beside it, once nobody has written to it
for STALE_PART_SECONDS.
"""
import hashlib
import os
from contextlib import contextmanager

import numpy as np

from .. import RingskyError, __version__
from ..config import cache_folder, conf
from ..fileio import part_path, remove_stale_parts
from ..imaging import DEPTH
from ..sources import pictures

STALE_PART_SECONDS = 120
"""A pack being written is touched with every batch; one untouched this long is stale. Sweeping
a slow live writer's costs only its pack, never a result: the pack is then not kept."""


def pack_path(source, tile, galaxies, npix, planes):
    """Where the pack of ``galaxies`` (the rows of ``tile``) is kept, or None if not packed."""
    key = getattr(source, "pack_key", None)
    if key is None or not conf.tile_packs or not len(galaxies):
        return None
    rows = hashlib.sha1("\n".join(map(str, galaxies["id"])).encode())
    if "size" in galaxies.colnames:  # a survey cutout's field follows the galaxy's size
        rows.update(np.asarray(galaxies["size"], dtype=np.float64).tobytes())
    return cache_folder("packs") / __version__ / key / f"{npix}-{planes}" / f"{tile.name}-{rows.hexdigest()[:12]}.npy"


def _open_pack(path, shape):
    """The pack at ``path`` as a read-only memory map, or None where it is missing or damaged
    (it is then made again)."""
    try:
        pack = np.load(path, mmap_mode="r")
    except (OSError, ValueError):
        return None
    return pack if pack.shape == shape and pack.dtype == np.uint8 else None


@contextmanager
def tile_pictures(source, tile, galaxies, npix, planes="rgb"):
    """Yield ``read(start, stop)``: uint8 pictures of rows ``start:stop`` of ``galaxies``, from
    the tile's pack when there is one, else from the source, written into a new pack that is
    kept if the block reads every row and ends without error."""
    path = pack_path(source, tile, galaxies, npix, planes)
    if path is None:
        yield lambda start, stop: pictures(source, galaxies[start:stop], npix, planes)
        return
    shape = (len(galaxies), npix, npix, DEPTH[planes])
    pack = _open_pack(path, shape)
    if pack is not None:
        yield lambda start, stop: np.array(pack[start:stop])
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_parts(path.parent, idle_seconds=STALE_PART_SECONDS)
    temporary = part_path(path)
    try:
        with open(temporary, "wb") as out:
            rows = PackRows(out, temporary, shape)

            def read(start, stop):
                images = pictures(source, galaxies[start:stop], npix, planes)
                rows.append(start, images)
                return images

            yield read
        if rows.complete:
            try:
                os.replace(temporary, path)
            except FileNotFoundError:  # swept as stale by another run: the pack is made another time
                pass
    finally:
        temporary.unlink(missing_ok=True)


class PackRows:
    """Rows written to a pack file in order with plain writes (never through a memory map, where
    a full disk is a bus error, not an error): a pack whose rows came out of order is not kept,
    and a write that fails (a full cache disk) is one error naming the file."""

    def __init__(self, out, path, shape):
        self.out, self.path, self.n, self.next, self.in_order = out, path, shape[0], 0, True
        self._write(lambda: np.lib.format.write_array_header_1_0(
            out, {"descr": "|u1", "fortran_order": False, "shape": shape}))

    def _write(self, write):
        try:
            write()
            self.out.flush()
        except OSError as error:
            raise RingskyError(f"cannot write tile pack {self.path}: {error.strerror or error}") from error

    def append(self, start, images):
        if start != self.next:
            self.in_order = False
        if self.in_order:
            self._write(lambda: self.out.write(np.ascontiguousarray(images, dtype=np.uint8).tobytes()))
            self.next += len(images)

    @property
    def complete(self):
        return self.in_order and self.next == self.n
