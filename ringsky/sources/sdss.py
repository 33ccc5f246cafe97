"""SDSS DR18 pictures: SkyServer ``ImgCutout/getjpeg`` colour cutouts, or 5-band ugriz FITS
cut with ``Cutout2D`` from the calibrated frames on the Science Archive Server.

``getjpeg`` serves 64-2048 px at any ``scale`` (0.396 arcsec/px native). Frames are whole
2048 x 1489 fields in nanomaggies; one is fetched (and cached) per band and field, and every
galaxy on it is cut out locally, which is what the Galaxy Zoo 2 seed did through SkyView.
"""
import io

import astropy.units as u
import numpy as np
from astropy.coordinates import SkyCoord
from astropy.io import fits
from astropy.nddata import Cutout2D
from astropy.wcs import WCS
from PIL import Image

from ..config import conf
from ..imaging import grz_to_rgb, load_rgb, ugriz_to_planes
from ..net import NotFound, call_with_retries, fetch, decompressed
from .parents import cached_table
from .survey import SurveySource

NATIVE_PIXSCALE = 0.396
"""arcsec per pixel of the SDSS imaging camera."""
GETJPEG_SIZES = (64, 2048)
"""Smallest and largest side in pixels that getjpeg serves."""
BANDS = "ugriz"


def frame_url(band, run, rerun, camcol, field):
    """Science Archive Server path of one calibrated frame (bzip2-compressed FITS)."""
    return (f"{conf.sdss_sas_url}/{rerun}/{run}/{camcol}/"
            f"frame-{band}-{int(run):06d}-{int(camcol)}-{int(field):04d}.fits.bz2")


def nearest_field_sql(ra, dec):
    return ("SELECT TOP 1 p.run, p.rerun, p.camcol, p.field FROM dbo.fGetNearestObjEq("
            f"{ra:.6f}, {dec:.6f}, 0.5) AS n JOIN PhotoObj AS p ON p.objID = n.objID")


def field_of(ra, dec):
    """(run, rerun, camcol, field) of the SDSS field nearest (ra, dec), via astroquery.sdss."""
    from astroquery.sdss import SDSS

    sql = nearest_field_sql(ra, dec)

    def lookup():
        table = call_with_retries(lambda: SDSS.query_sql(sql, data_release=18, cache=False), "SDSS field lookup")
        if table is None or not len(table):
            raise NotFound(f"SDSS has no imaging at ra={ra:.5f} dec={dec:.5f}")
        return table

    row = cached_table("sdss-fields", sql, lookup)[0]
    return int(row["run"]), int(row["rerun"]), int(row["camcol"]), int(row["field"])


def cut_frame(content, ra, dec, npix, pixscale):
    """A ``npix`` x ``npix`` cutout at ``pixscale`` arcsec/px from one frame's FITS bytes,
    resampled bilinearly from the native scale; zero outside the frame."""
    with fits.open(io.BytesIO(decompressed(content))) as hdus:
        data, wcs = hdus[0].data.astype(np.float32), WCS(hdus[0].header)
    native = int(round(npix * pixscale / NATIVE_PIXSCALE))
    cut = Cutout2D(data, SkyCoord(ra * u.deg, dec * u.deg), (native, native), wcs=wcs,
                   mode="partial", fill_value=np.nan).data
    return np.asarray(resize_float(cut, npix))


def resize_float(image, npix):
    return np.asarray(Image.fromarray(np.nan_to_num(image)).resize((npix, npix), Image.Resampling.BILINEAR))


class Sdss(SurveySource):
    """``--survey sdss``: getjpeg colour cutouts; ``image_format="fits"`` cuts ugriz frames."""

    name = "sdss"

    def __init__(self, parents, image_format="jpeg", pixscale=None):
        super().__init__(parents, pixscale)
        self.image_format = image_format

    def getjpeg_request(self, row, npix):
        size = int(np.clip(npix, *GETJPEG_SIZES))
        params = {"ra": f"{float(row['ra']):.6f}", "dec": f"{float(row['dec']):.6f}",
                  "scale": f"{self.field(row, npix) / size:.4f}", "width": str(size), "height": str(size)}
        return f"{conf.skyserver_url}/ImgCutout/getjpeg", params

    def ugriz(self, row, npix):
        """Fluxes (5, npix, npix) in nanomaggies from the five frames of the galaxy's field."""
        ra, dec = float(row["ra"]), float(row["dec"])
        run, rerun, camcol, field = field_of(ra, dec)
        pixscale = self.field(row, npix) / npix
        return np.stack([cut_frame(fetch(frame_url(band, run, rerun, camcol, field), expect="fits"),
                                   ra, dec, npix, pixscale) for band in BANDS])

    @property
    def planes(self):
        """Kinds of picture on offer: ugriz planes only from the calibrated frames (``fits``)."""
        return ("rgb", "ugriz") if self.image_format == "fits" else ("rgb",)

    def ugriz_cutouts(self, galaxies, npix):
        """uint8 ugriz planes (N, npix, npix, 5) for 5-channel models, from the calibrated frames."""
        return self.many(galaxies, lambda row: ugriz_to_planes(self.ugriz(row, npix)), (npix, npix, 5))

    def cutout(self, row, npix):
        if self.image_format == "fits":
            return grz_to_rgb(self.ugriz(row, npix)[[1, 2, 3]])
        url, params = self.getjpeg_request(row, npix)
        return load_rgb(io.BytesIO(fetch(url, params, expect="image")), npix)
