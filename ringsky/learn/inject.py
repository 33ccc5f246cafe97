"""Rings painted into real host galaxies: training pictures whose only cue is the ring.

The simulator's galaxies are not real ones, and models trained on them alone rank real rings
at chance. Here the host is real (a picture from ``sdss-galaxies`` or one of a training fold's
real non-rings): its picture is turned back into band fluxes (``imaging.unstretch_rgb``), its
centre, axis ratio, position angle and half-light radius are measured from its light, and a
ring of one of the simulator's types is painted coplanar with its disc, scaled to the host's own
surface brightness at the ring's radius, in a colour near the host's there, blurred by a
Gaussian PSF and given photon noise on the host's sky noise, then stretched back.

Negatives are the same hosts untouched or given structure that is not a ring (a bar, a lens,
spiral arms, a companion), and a third of the positives get such structure too, so "something
was added" is never the cue. Each injected picture depends only on (seed, index) and names its
host, so a host and all its variants can be kept in one fold.
"""
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
from astropy.table import Table
from scipy import ndimage

from ..imaging import resize_rgb, stretch_planes, unstretch_rgb
from ..simulate import RING_TYPE_WEIGHTS, RING_TYPES

STRUCTURES = ("none", "bar", "lens", "arms", "companion")
STRUCTURE_WEIGHTS = (0.3, 0.2, 0.15, 0.2, 0.15)
#: a ring's surface brightness at its crest over the host's there: log-uniform in this range
CONTRAST = (0.1, 0.8)
EXTRA_STRUCTURE = 0.3  # fraction of rings that also get a bar, arms or a companion


@dataclass
class Host:
    """A host's light, measured: centre (px), axis ratio, position angle (rad), half-light
    radius along the major axis (px), sky level and noise, and each pixel's disc-plane radius
    and azimuth."""

    x: float
    y: float
    axis_ratio: float
    angle: float
    half_light: float
    sky: float
    noise: float
    radius: np.ndarray
    azimuth: np.ndarray


def measure_host(flux):
    """Geometry from the second moments of the light above 3 sigma in the region that holds
    the picture's centre, weighted towards the centre so that a companion does not pull it."""
    grey = flux.mean(axis=-1)
    n = grey.shape[0]
    sky = float(np.median(grey))
    grey = grey - sky
    noise = float(1.4826 * np.median(np.abs(grey - np.median(grey)))) + 1e-6
    smooth = ndimage.gaussian_filter(grey, n / 128)
    yy, xx = np.mgrid[:n, :n]
    middle = (n - 1) / 2
    from_middle = np.hypot(xx - middle, yy - middle)
    regions, _ = ndimage.label(smooth > 3 * noise)
    core = regions.flat[np.argmax(np.where(from_middle < 0.1 * n, smooth, -np.inf))]
    weight = np.where((regions == core) & (core > 0), np.maximum(smooth, 0), 0.0)
    weight *= np.exp(-0.5 * (from_middle / (n / 6)) ** 2)
    if weight.sum() <= 0:
        weight = (from_middle < 0.15 * n).astype(float)
    total = weight.sum()
    x, y = (weight * xx).sum() / total, (weight * yy).sum() / total
    dx, dy = xx - x, yy - y
    moments = np.array([[(weight * dx * dx).sum(), (weight * dx * dy).sum()],
                        [(weight * dx * dy).sum(), (weight * dy * dy).sum()]]) / total
    values, vectors = np.linalg.eigh(moments)
    axis_ratio = float(np.clip(np.sqrt(max(values[0], 1e-6) / values[1]), 0.2, 1.0))
    angle = float(np.arctan2(vectors[1, 1], vectors[0, 1]))
    u = dx * np.cos(angle) + dy * np.sin(angle)
    v = (-dx * np.sin(angle) + dy * np.cos(angle)) / axis_ratio
    radius = np.hypot(u, v)
    inside = weight > 0
    order = np.argsort(radius[inside])
    light = np.cumsum(weight[inside][order])
    half_light = float(radius[inside][order][np.searchsorted(light, light[-1] / 2)])
    return Host(x, y, axis_ratio, angle, max(half_light, 2.0), sky, noise, radius, np.arctan2(v, u))


def _annulus(rng, host, radius, width, clumpiness):
    """A Gaussian annulus in the disc plane, brighter and fainter along its length."""
    profile = np.exp(-0.5 * ((host.radius - radius) / max(1.0, width * radius)) ** 2)
    along = np.ones_like(host.azimuth)
    for k in range(1, 5):
        along += clumpiness * rng.normal() / k * np.cos(k * host.azimuth + rng.uniform(0, 2 * np.pi))
    return profile * np.clip(along, 0.1, None)


def ring_shapes(rng, kind, host):
    """(shape, crest radius in px) of each ring of one type, radii in units of the host's
    half-light radius as resonance rings sit (inner near the bar's end, outer at about twice)."""
    r50 = host.half_light
    if kind == "inner":
        radius = r50 * rng.uniform(0.7, 1.6)
        return [(_annulus(rng, host, radius, rng.uniform(0.08, 0.25), rng.uniform(0, 0.4)), radius)]
    if kind == "outer":
        radius = r50 * rng.uniform(1.6, 2.8)
        return [(_annulus(rng, host, radius, rng.uniform(0.08, 0.25), rng.uniform(0, 0.5)), radius)]
    if kind == "inner+outer":
        inner = r50 * rng.uniform(0.7, 1.2)
        outer = inner * rng.uniform(1.8, 2.4)
        return [(_annulus(rng, host, inner, rng.uniform(0.08, 0.22), rng.uniform(0, 0.4)), inner),
                (_annulus(rng, host, outer, rng.uniform(0.08, 0.22), rng.uniform(0, 0.5)), outer)]
    if kind == "nuclear":
        radius = r50 * rng.uniform(0.25, 0.5)
        return [(_annulus(rng, host, radius, rng.uniform(0.1, 0.25), rng.uniform(0, 0.2)), radius)]
    if kind == "pseudo":  # two arcs that wind outwards and nearly close: (R')/(rs)
        radius = r50 * rng.uniform(0.9, 2.4)
        pitch, phase, span = rng.uniform(5, 15), rng.uniform(0, 2 * np.pi), rng.uniform(1.3, 1.9) * np.pi
        width = max(1.0, rng.uniform(0.06, 0.15) * radius)
        shape = np.zeros_like(host.radius)
        for arm in range(2):
            along = np.mod(host.azimuth - phase - arm * np.pi, 2 * np.pi)
            crest = radius * np.exp(along * np.tan(np.radians(pitch)) * 0.25)
            shape += np.exp(-0.5 * ((host.radius - crest) / width) ** 2) * np.sin(np.clip(along / span, 0, 1) * np.pi) ** 0.5
        return [(shape, radius)]
    if kind == "collisional":  # off-centre and knotty, as after a head-on passage
        radius = r50 * rng.uniform(1.2, 2.5)
        offset, towards = rng.uniform(0.1, 0.4) * radius, rng.uniform(0, 2 * np.pi)
        shifted = np.hypot(host.radius * np.cos(host.azimuth) - offset * np.cos(towards),
                           host.radius * np.sin(host.azimuth) - offset * np.sin(towards))
        knots = 1 + 0.8 * np.cos(rng.integers(5, 9) * host.azimuth + rng.uniform(0, 2 * np.pi))
        return [(np.exp(-0.5 * ((shifted - radius) / max(1.0, 0.12 * radius)) ** 2) * knots, radius)]
    raise ValueError(f"unknown ring type {kind!r}")


def structure_shape(rng, kind, host, n):
    """(shape, radius where its brightness is scaled, contrast) of a non-ring structure."""
    r50 = host.half_light
    if kind == "bar":
        length, angle = r50 * rng.uniform(0.6, 1.6), rng.uniform(0, np.pi)
        along = host.radius * np.cos(host.azimuth - angle) / length
        across = host.radius * np.sin(host.azimuth - angle) / (0.3 * length)
        return np.clip(1 - along ** 2 - across ** 2, 0, None) ** 1.5, 0.5 * length, rng.uniform(0.2, 1.0)
    if kind == "lens":  # a shelf of light with a soft edge: bright inside, no crest
        edge = r50 * rng.uniform(0.8, 2.0)
        return 1 / (1 + np.exp((host.radius - edge) / (0.06 * edge))), 0.8 * edge, rng.uniform(0.1, 0.5)
    if kind == "arms":  # two logarithmic arms over the outer disc, never closing
        pitch, phase = rng.uniform(12, 30), rng.uniform(0, 2 * np.pi)
        winding = np.log(np.maximum(host.radius, 0.3 * r50)) / np.tan(np.radians(pitch))
        envelope = np.exp(-host.radius / (r50 * rng.uniform(0.8, 1.5))) * (host.radius > 0.5 * r50)
        return np.maximum(np.cos(2 * (host.azimuth - winding - phase)), 0) ** 2 * envelope, r50, rng.uniform(0.2, 0.7)
    if kind == "companion":
        towards, distance = rng.uniform(0, 2 * np.pi), rng.uniform(1.5, 4.0) * r50
        yy, xx = np.mgrid[:n, :n]
        offset = np.hypot(xx - host.x - distance * np.cos(towards), yy - host.y - distance * np.sin(towards))
        return np.exp(-offset / (r50 * rng.uniform(0.15, 0.5))), 0.3 * r50, rng.uniform(0.5, 3.0)
    raise ValueError(f"unknown structure {kind!r}")


def _local_light(flux, host, radius):
    """The host's median light above the sky in a thin annulus at ``radius`` (at least 2 sigma
    of sky noise), and its colour there (planes summing to 3)."""
    band = np.abs(host.radius - radius) < max(1.0, 0.05 * radius)
    if not band.any():
        return 2 * host.noise, np.ones(3)
    grey = flux.mean(axis=-1) - host.sky
    colour = np.maximum(np.median(flux[band], axis=0) - np.median(flux.reshape(-1, 3), axis=0), 1e-6)
    return max(float(np.median(grey[band])), 2 * host.noise), 3 * colour / colour.sum()


def paint(flux, host, shape, radius, contrast, colour, psf_sigma, rng):
    """``flux`` plus ``shape`` blurred by the PSF, its crest ``contrast`` times the host's light
    at ``radius``, in ``colour`` (planes summing to 3), with photon noise on the sky noise."""
    shape = ndimage.gaussian_filter(shape, psf_sigma)
    shape = shape / max(float(shape.max()), 1e-9)
    light, _ = _local_light(flux, host, radius)
    added = contrast * light * shape[..., None] * colour[None, None, :]
    grain = np.sqrt(np.maximum(added.mean(axis=-1, keepdims=True), 0) * host.noise) * 0.5
    return flux + added + grain * rng.normal(size=shape.shape)[..., None]


def inject(picture, rng, is_ring):
    """One injected picture (uint8 RGB, the host's size) and its description."""
    flux = unstretch_rgb(picture)
    host = measure_host(flux)
    n = picture.shape[0]
    psf_sigma = rng.uniform(0.6, 1.5) * n / 256
    row = {"is_ring": bool(is_ring), "ring_type": "", "structure": "none", "contrast": 0.0, "ring_radius": 0.0,
           "axis_ratio": host.axis_ratio, "half_light_radius": host.half_light / n}
    if is_ring:
        kind = str(rng.choice(RING_TYPES, p=RING_TYPE_WEIGHTS))
        contrast = float(np.exp(rng.uniform(*np.log(CONTRAST))))
        for shape, radius in ring_shapes(rng, kind, host):
            _, colour = _local_light(flux, host, radius)
            blueness = rng.uniform(-0.2, 0.8)  # rings are as often the disc's colour as bluer
            colour = colour * np.array([1 - 0.15 * blueness, 1.0, 1 + 0.3 * blueness])
            flux = paint(flux, host, shape, radius, contrast, 3 * colour / colour.sum(), psf_sigma, rng)
        row.update(ring_type=kind, contrast=contrast, ring_radius=radius / n)
        structure = str(rng.choice(("bar", "arms", "companion"))) if rng.random() < EXTRA_STRUCTURE else "none"
    else:
        structure = str(rng.choice(STRUCTURES, p=STRUCTURE_WEIGHTS))
    if structure != "none":
        shape, radius, contrast = structure_shape(rng, structure, host, n)
        _, colour = _local_light(flux, host, radius)
        if structure == "companion":
            colour = np.array([1.2, 1.0, 0.8]) * rng.uniform(0.8, 1.2, 3)
        flux = paint(flux, host, shape, radius, contrast, 3 * colour / colour.sum(), psf_sigma, rng)
        row["structure"] = structure
    return stretch_planes(flux), row


def _inject_chunk(args):
    hosts, indices, host_of, seed, ring_fraction, npix = args
    images, rows = [], []
    for index, host_index in zip(indices, host_of):
        rng = np.random.default_rng([seed, index])
        image, row = inject(hosts[host_index], rng, rng.random() < ring_fraction)
        images.append(resize_rgb(image, npix))
        rows.append({"id": int(index), **row})
    return images, rows


def injected_set(hosts, n, seed, npix, ring_fraction=0.5, workers=1):
    """``n`` injected pictures (uint8 (n, npix, npix, 3)) from uint8 RGB ``hosts`` (painted at
    the hosts' own size, then resized), and a Table: ``id``, ``host`` (index into ``hosts``),
    ``is_ring``, ``ring_type``, ``structure``, ``contrast``, ``ring_radius`` and
    ``half_light_radius`` (fractions of the picture's side), ``axis_ratio``. Picture i depends
    only on (seed, i) and the hosts, whatever the number of workers."""
    host_of = np.random.default_rng([seed, n]).integers(len(hosts), size=n)
    parts = [part for part in np.array_split(np.arange(n), max(1, 4 * workers)) if len(part)]
    chunks = []
    for part in parts:
        used, local = np.unique(host_of[part], return_inverse=True)
        chunks.append((np.asarray(hosts)[used], part, local, seed, ring_fraction, npix))
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            results = list(pool.map(_inject_chunk, chunks))
    else:
        results = [_inject_chunk(chunk) for chunk in chunks]
    images = np.stack([image for part_images, _ in results for image in part_images])
    table = Table(rows=[row for _, part_rows in results for row in part_rows])
    table.add_column(host_of, name="host", index=1)
    return images, table
