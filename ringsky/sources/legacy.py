"""DESI Legacy Imaging Surveys cutouts from the viewer's cutout service.

``cutout.fits`` (``bands=grz``) gives fluxes in nanomaggies, turned into RGB with the same
asinh mapping as the survey's JPEGs and the simulator; ``cutout.jpg`` gives the survey's own
colour picture. Layer ``ls-dr10`` joins the northern (BASS/MzLS) and southern (DECaLS/DES)
surveys at Dec 32.375 deg; ``ls-dr10-grz`` and ``ls-dr9-north`` etc. select others.
"""
import io

import numpy as np
from astropy.io import fits

from ..config import conf
from ..imaging import grz_to_rgb, load_rgb, resize_rgb
from ..net import fetch
from .survey import SurveySource

NATIVE_PIXSCALE = 0.262
"""arcsec per pixel of the Legacy Surveys images."""
MAX_SIZE = 512
"""Largest cutout side in pixels ringsky asks the viewer for (larger cutouts are resized locally)."""


def legacy_bands(header):
    """Band order of a viewer FITS cube (BAND0, BAND1, ... cards), grz when absent."""
    bands = "".join(header.get(f"BAND{i}", "") for i in range(header.get("NAXIS3", 3)))
    return bands if len(bands) == header.get("NAXIS3", 3) else "grz"


def legacy_fits_to_rgb(content):
    """A viewer ``cutout.fits`` body as uint8 RGB with the survey's colour mapping."""
    with fits.open(io.BytesIO(content)) as hdus:
        hdu = next(h for h in hdus if h.data is not None)
        data = np.nan_to_num(np.asarray(hdu.data, dtype=np.float32))
        bands = legacy_bands(hdu.header)
    order = [bands.index(b) for b in "grz"]
    return grz_to_rgb(data[order])


class LegacySurvey(SurveySource):
    """``--survey legacy[:LAYER]``; FITS cutouts by default, ``image_format="jpeg"`` for JPEGs."""

    def __init__(self, parents, layer="ls-dr10", image_format="fits", pixscale=None):
        super().__init__(parents, pixscale)
        self.layer, self.image_format = layer, image_format
        self.name = f"legacy:{layer}"

    def request(self, row, npix):
        """URL and parameters of one cutout: ``npix`` pixels over the galaxy's field."""
        field = self.field(row, npix)
        size = min(npix, MAX_SIZE)
        params = {"ra": f"{float(row['ra']):.6f}", "dec": f"{float(row['dec']):.6f}", "layer": self.layer,
                  "pixscale": f"{field / size:.4f}", "size": str(size)}
        if self.image_format == "fits":
            params["bands"] = "grz"
            return f"{conf.legacy_url}/cutout.fits", params
        return f"{conf.legacy_url}/cutout.jpg", params

    def cutout(self, row, npix):
        url, params = self.request(row, npix)
        if self.image_format == "fits":
            return resize_rgb(legacy_fits_to_rgb(fetch(url, params, expect="fits")), npix)
        return load_rgb(io.BytesIO(fetch(url, params, expect="image")), npix)
