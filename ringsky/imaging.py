"""What the classifier sees: grz fluxes -> survey-style RGB -> resized uint8 -> normalised arrays.

Every image source (the simulator, FITS cutouts, JPEG cutouts, local folders) goes through
these functions, so a model trained on one source sees the same kind of picture from another.
A 5-channel model sees ugriz instead: each band asinh-stretched on its own into one uint8
plane, so its pictures travel through the same code as RGB ones, 5 planes deep.
"""
import numpy as np
from PIL import Image

#: Legacy Surveys colour-JPEG mapping of grz (nanomaggies) to RGB planes: band -> (plane, scale).
LEGACY_RGB_SCALES = {"g": (2, 6.0), "r": (1, 3.4), "z": (0, 2.2)}
LEGACY_RGB_OFFSET = 0.03
LEGACY_RGB_Q = 20.0


def grz_to_rgb(grz, bands="grz"):
    """Map fluxes of shape (..., 3, H, W) in nanomaggies to uint8 RGB (..., H, W, 3).

    This is the asinh mapping of the Legacy Surveys viewer's colour JPEGs (and of the
    Galaxy Zoo DECaLS images): each band is scaled and offset, the mean intensity I is
    stretched by asinh(Q I)/sqrt(Q), and every band keeps its share of I.
    """
    grz = np.asarray(grz, dtype=np.float32)
    planes = np.empty(grz.shape[:-3] + (3,) + grz.shape[-2:], dtype=np.float32)
    for index, band in enumerate(bands):
        plane, scale = LEGACY_RGB_SCALES[band]
        planes[..., plane, :, :] = grz[..., index, :, :] * scale + LEGACY_RGB_OFFSET
    return stretch_planes(np.moveaxis(planes, -3, -1))


def stretch_planes(planes):
    """Scaled, offset band fluxes (..., H, W, 3) -> uint8 RGB: the intensity stretch of ``grz_to_rgb``."""
    planes = np.asarray(planes, dtype=np.float32)
    intensity = np.maximum(planes, 0).mean(axis=-1, keepdims=True)
    stretched = np.arcsinh(LEGACY_RGB_Q * intensity) / np.sqrt(LEGACY_RGB_Q)
    intensity[intensity == 0] = 1e-6
    rgb = np.clip(planes * (stretched / intensity), 0.0, 1.0)
    return np.round(rgb * 255).astype(np.uint8)


def unstretch_rgb(rgb):
    """uint8 RGB (..., H, W, 3) -> the scaled band fluxes that ``stretch_planes`` maps to it
    (exact but for rounding and clipping). For pictures made with another asinh mapping (SDSS's
    gri JPEGs) it is an approximately linear flux scale, good enough to paint features in."""
    pixels = np.asarray(rgb, dtype=np.float32) / 255.0
    stretched = pixels.mean(axis=-1, keepdims=True)
    intensity = np.sinh(stretched * np.sqrt(LEGACY_RGB_Q)) / LEGACY_RGB_Q
    return pixels * (intensity / np.maximum(stretched, 1e-6))


#: what a model's pictures are made of: RGB from grz (1- and 3-channel models), or ugriz planes
PLANES = {1: "rgb", 3: "rgb", 5: "ugriz"}
#: planes per picture of each kind
DEPTH = {"rgb": 3, "ugriz": 5}
#: per-band flux scale of ugriz planes, so a typical galaxy fills each plane alike (g, r, z as
#: in the Legacy Surveys' RGB mapping; u and i for the simulator's and SDSS's colours)
UGRIZ_SCALES = (17.0, 6.0, 3.4, 2.8, 2.2)


def ugriz_to_planes(ugriz):
    """Map fluxes (..., 5, H, W) in nanomaggies to uint8 planes (..., H, W, 5): each band
    scaled, offset and stretched by asinh(Q x)/sqrt(Q) as in ``grz_to_rgb``, but on its own,
    so no band's noise leaks into another."""
    ugriz = np.asarray(ugriz, dtype=np.float32)
    if ugriz.shape[-3] != len(UGRIZ_SCALES):
        raise ValueError(f"ugriz images need 5 bands, not {ugriz.shape[-3]}")
    scales = np.asarray(UGRIZ_SCALES, dtype=np.float32)[:, None, None]
    scaled = np.maximum(ugriz * scales + LEGACY_RGB_OFFSET, 0)
    stretched = np.clip(np.arcsinh(LEGACY_RGB_Q * scaled) / np.sqrt(LEGACY_RGB_Q), 0.0, 1.0)
    return np.moveaxis(np.round(stretched * 255), -3, -1).astype(np.uint8)


def resize_planes(image, npix):
    """Resize uint8 planes (H, W, P), any P, to (npix, npix, P), each plane as ``resize_rgb`` would."""
    if image.shape[0] == npix and image.shape[1] == npix:
        return image
    return np.stack([np.asarray(Image.fromarray(np.ascontiguousarray(image[..., k])).resize(
        (npix, npix), Image.Resampling.LANCZOS)) for k in range(image.shape[-1])], axis=-1)


def resize_rgb(image, npix):
    """Resize one uint8 RGB image (H, W, 3) to (npix, npix, 3) with an antialiasing filter."""
    if image.shape[0] == npix and image.shape[1] == npix:
        return image
    resized = Image.fromarray(image).resize((npix, npix), Image.Resampling.LANCZOS)
    return np.asarray(resized)


IMAGE_FORMATS = ("PNG", "JPEG")


def write_png(image, path):
    """Write a uint8 picture as a PNG stored without deflate (``compress_level=0``). Cutouts
    are mostly sky noise, which deflate shrinks by only a sixth (64 against 77 kB at 160 px),
    while inflating it was most of what reading a cutout cost the scoring loop: PIL reads a
    stored 160 px PNG in 0.16 ms against 0.44 ms deflated."""
    Image.fromarray(image).save(path, format="PNG", compress_level=0)


def load_rgb(path, npix):
    """Read a JPEG or PNG cutout as uint8 RGB resized to (npix, npix, 3). Only those two
    formats are tried, and an RGB image is not converted: in the scoring loop the per-image
    overheads cost as much as the decoding."""
    with Image.open(path, formats=IMAGE_FORMATS) as image:
        return resize_rgb(np.asarray(image if image.mode == "RGB" else image.convert("RGB")), npix)


def centre_pixels(images, npix):
    """The central (npix, npix) of pictures (N, H, W, P) as a view: a model's crop of its cutouts."""
    offset = (images.shape[1] - npix) // 2
    if offset <= 0:
        return images
    return images[:, offset:offset + npix, offset:offset + npix]


def to_model_input(images, channels=3, mean=0.5, std=0.25):
    """uint8 (N, H, W, P) -> float32 (N, C, H, W): C = 3 (RGB), 1 (mean of RGB) or 5 (ugriz
    planes), normalised as (x / 255 - mean) / std. The result is a view in channels-last memory
    order, the layout the classifier runs in, so no copy is made to reorder it."""
    images = np.asarray(images, dtype=np.uint8)
    expected = DEPTH[PLANES[channels]]
    if images.shape[-1] != expected:
        raise ValueError(f"a {channels}-channel model takes {PLANES[channels]} pictures of {expected} planes, "
                         f"not {images.shape[-1]}")
    if channels == 1:
        x = images[..., 0:1].astype(np.float32)  # R + G + B as three whole-array adds: a
        x += images[..., 1:2]                    # sum over the 3-long last axis is 7x slower
        x += images[..., 2:3]
        x *= 1.0 / (3 * 255.0 * std)
    else:
        x = images.astype(np.float32)
        x *= 1.0 / (255.0 * std)
    x -= mean / std
    return np.moveaxis(x, -1, 1)
