"""A local HiPS of the scored cutouts: the explorer's sky background when there is no network.

Each catalogue tile becomes one mosaic: every galaxy's cutout, resampled to the HiPS pixel
scale and pasted at its position on a TAN grid, transparent between galaxies. The mosaic is a
PNG with its WCS in AVM tags, which ``reproject.hips.reproject_to_hips`` turns into PNG HiPS
tiles; ``coadd_hips`` then merges the tiles' HiPS, blending through the transparency.
"""
import math
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
from astropy.wcs import WCS
from PIL import Image
from pyavm import AVM
from reproject import reproject_interp
from reproject.hips import coadd_hips, reproject_to_hips

from .. import RingskyError
from ..catalogue.files import read_catalogue
from ..sources import open_source
from ..tiles import Tile

TILE_WIDTH = 512


def hips_pixscale(order):
    """Pixel size of a HiPS of 512-pixel tiles at ``order``, arcsec."""
    return math.degrees(math.sqrt(4 * math.pi / (12 * 4**order))) * 3600 / TILE_WIDTH


def mosaic_wcs(tile, pixscale):
    """A north-up TAN grid over ``tile`` (with room for cutouts at its edge) and its shape."""
    centre = tile.centre
    corners = tile.boundary(step=2)
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    wcs.wcs.crval = [centre.ra.deg, centre.dec.deg]
    wcs.wcs.cdelt = [-pixscale / 3600, pixscale / 3600]
    x, y = wcs.wcs_world2pix(corners.ra.deg, corners.dec.deg, 0)
    half = int(np.ceil(max(np.abs(x).max(), np.abs(y).max()) + 120 / pixscale))
    wcs.wcs.crpix = [half + 1, half + 1]
    return wcs, (2 * half + 1, 2 * half + 1)


def paint_mosaic(images, ra, dec, fields, wcs, shape, pixscale):
    """RGBA mosaic (FITS row order: row 0 is south) with each cutout at its position."""
    mosaic = np.zeros(shape + (4,), dtype=np.uint8)
    x, y = wcs.wcs_world2pix(ra, dec, 0)
    for image, cx, cy, field in zip(images, x, y, fields):
        width = max(2, int(round(field / pixscale)))
        stamp = np.asarray(Image.fromarray(image).resize((width, width), Image.Resampling.LANCZOS))[::-1]
        x0, y0 = int(round(cx)) - width // 2, int(round(cy)) - width // 2
        xa, ya = max(x0, 0), max(y0, 0)
        xb, yb = min(x0 + width, shape[1]), min(y0 + width, shape[0])
        if xa >= xb or ya >= yb:
            continue
        mosaic[ya:yb, xa:xb, :3] = stamp[ya - y0:yb - y0, xa - x0:xb - x0]
        mosaic[ya:yb, xa:xb, 3] = 255
    return mosaic


def write_avm_png(mosaic, wcs, path):
    """The mosaic as a PNG (row 0 north, as images are) carrying its WCS as AVM tags."""
    plain = Path(path).with_suffix(".plain.png")
    Image.fromarray(mosaic[::-1]).save(plain)
    avm = AVM.from_wcs(wcs, shape=mosaic.shape[:2])
    avm.Spatial.Equinox = 2000.0
    avm.embed(str(plain), str(path))
    plain.unlink()


def write_empty_hips(folder, order, title):
    """A HiPS with no tiles: a background that loads (blank) rather than failing over to a remote one."""
    folder.mkdir()
    (folder / "properties").write_text(
        f"creator_did = ivo://ringsky/{title}\nobs_title = {title}\nhips_version = 1.4\n"
        f"hips_tile_format = png\nhips_tile_width = {TILE_WIDTH}\nhips_order = {order}\n"
        f"hips_frame = equatorial\ndataproduct_type = image\n")


def build_hips(catalogue, source, out_dir, order=8, npix=64, title="ringsky cutouts", progress=None, work_dir=None):
    """Write a PNG HiPS of the catalogue's cutouts at ``order`` into ``out_dir`` (replacing it
    only once complete), building it in a temporary folder under ``work_dir`` (by default
    ``out_dir``'s parent; on the same file system). ``catalogue`` needs ``source_id`` and
    ``healpix`` columns and ``meta['HPXNSIDE']``; ``source`` gives the galaxies, cutouts and
    their fields."""
    out_dir = Path(out_dir)
    pixscale = hips_pixscale(order)
    nside = int(catalogue.meta["HPXNSIDE"])
    wanted = set(np.asarray(catalogue["source_id"], dtype=str))
    with tempfile.TemporaryDirectory(dir=work_dir or out_dir.parent, prefix=f".{out_dir.name}.") as work:
        work = Path(work)
        parts = []
        for ipix in np.unique(np.asarray(catalogue["healpix"])):
            tile = Tile(nside, int(ipix))
            galaxies = source.galaxies(tile)
            galaxies = galaxies[np.isin(np.asarray(galaxies["id"], dtype=str), list(wanted))]
            if len(galaxies):
                wcs, shape = mosaic_wcs(tile, pixscale)
                mosaic = paint_mosaic(source.cutouts(galaxies, npix), np.asarray(galaxies["ra"], dtype=float),
                                      np.asarray(galaxies["dec"], dtype=float), source.fields(galaxies, npix),
                                      wcs, shape, pixscale)
                png = work / f"{tile.name}.png"
                write_avm_png(mosaic, wcs, png)
                parts.append(work / tile.name)
                reproject_to_hips(str(png), coord_system_out="equatorial", reproject_function=reproject_interp,
                                  output_directory=str(parts[-1]), level=order, tile_size=TILE_WIDTH, threads=True,
                                  properties={"obs_title": title, "creator_did": f"ivo://ringsky/{title}"})
            if progress is not None:
                progress.update(1)
        merged = work / "merged"
        if parts:
            coadd_hips([str(p) for p in parts], str(merged))
        else:
            write_empty_hips(merged, order, title)
        if out_dir.exists():
            shutil.rmtree(out_dir)
        merged.rename(out_dir)
    return out_dir


def build_catalogue_hips(catalogue_path, out_dir, order, work_dir=None):
    """Build the HiPS of a catalogue file's cutouts, from the survey it names."""
    catalogue = read_catalogue(catalogue_path)
    survey = catalogue.meta["SURVEY"]
    return build_hips(catalogue, open_source(survey), out_dir, order=order, title=f"ringsky {survey} cutouts",
                      work_dir=work_dir)


def main(argv):
    """``python -m ringsky.explore.skyhips CATALOGUE OUT_DIR ORDER WORK_DIR``: the explorer's
    background build, a process of its own. The last line on stderr of a failure says why."""
    catalogue_path, out_dir, order, work_dir = argv
    try:
        build_catalogue_hips(catalogue_path, out_dir, int(order), work_dir)
    except RingskyError as error:
        sys.exit(str(error))


if __name__ == "__main__":
    main(sys.argv[1:])
