"""Simulated grz cutouts of ringed and ringless galaxies, as the Legacy Surveys would see them.

Plain numpy, no GalSim: a 3-band stamp of a few hundred pixels is analytic profiles on a grid
plus one FFT convolution per band, so a compiled renderer buys little here, and numpy keeps
the install small and every pixel reproducible from a seed.

Each galaxy is drawn at the survey's 0.262"/px in nanomaggies (g, r, z): Sersic bulge,
exponential disc, optional bar and spiral arms, rings (inner, outer, arm-wound pseudo-rings,
nuclear, collisional) or ring-free look-alikes (ellipticals, spirals, barred discs, edge-on
discs, lenses), neighbours, foreground stars and faint background sources, a Moffat PSF,
sky and Poisson noise. The stamp is framed on the galaxy's size, as Galaxy Zoo DECaLS framed
its cutouts, so the galaxy fills about the central third to half of the picture. On request
the same scene is also drawn in u and i (for 5-channel models), without changing a g, r or z
pixel.
"""
from concurrent.futures import ProcessPoolExecutor

import numpy as np
from astropy.table import Table

from .imaging import grz_to_rgb, resize_planes, resize_rgb, ugriz_to_planes

SIMULATOR_VERSION = 2  # bump when pixels change: cached cutouts and training sets are keyed on it
PIXSCALE = 0.262  # arcsec per pixel, Legacy Surveys native
BANDS = "grz"
ALL_BANDS = "ugriz"  # what render() can draw; grz always, u and i on request
RING_TYPES = ("inner", "outer", "inner+outer", "pseudo", "nuclear", "collisional")
RING_TYPE_WEIGHTS = (0.3, 0.22, 0.14, 0.22, 0.07, 0.05)
NONRING_TYPES = ("elliptical", "spiral", "barred_spiral", "edge_on", "lens", "irregular")
NONRING_TYPE_WEIGHTS = (0.2, 0.22, 0.15, 0.1, 0.18, 0.15)
SKY_SIGMA = np.array([0.025, 0.006, 0.009, 0.012, 0.015])  # ugriz nanomaggies per pixel: DECaLS grz depth
PSF_SCALE = np.array([1.15, 1.08, 1.0, 0.96, 0.94])  # ugriz seeing relative to r
INVERSE_GAIN = 0.003  # Poisson variance per nanomaggy of signal
MIN_STAMP, MAX_STAMP = 64, 320

# colours as ugriz flux ratios to r, from an old red population to a young blue one. Discs,
# rings and arms take any colour between the two, so colour alone never tells a ring: real
# rings are as often red rings in S0/a hosts as blue star-forming ones.
RED = np.array([0.09, 0.44, 1.0, 1.3, 1.58])
BLUE = np.array([0.45, 0.7, 1.0, 1.1, 1.22])
GRZ = [ALL_BANDS.index(b) for b in BANDS]


def _colour(blueness):
    return RED + (BLUE - RED) * blueness


def nanomaggies(mag):
    """Flux in nanomaggies of an AB magnitude (zero point 22.5)."""
    return 10 ** ((22.5 - mag) / 2.5)


def magnitude(flux):
    """AB magnitude of a flux in nanomaggies."""
    return 22.5 - 2.5 * np.log10(np.maximum(flux, 1e-9))


def draw_galaxy(rng, is_ring):
    """Random physical description of one galaxy: a dict of scalars, all in arcsec/degrees."""
    kind = rng.choice(RING_TYPES, p=RING_TYPE_WEIGHTS) if is_ring else rng.choice(
        NONRING_TYPES, p=NONRING_TYPE_WEIGHTS)
    g = {
        "is_ring": bool(is_ring),
        "kind": str(kind),
        "mag_r": rng.uniform(14.0, 17.7),
        "disc_scale": rng.uniform(1.8, 5.0),
        "bulge_fraction": rng.uniform(0.1, 0.5),
        "bulge_n": rng.uniform(1.5, 4.0),
        "pa": rng.uniform(0, 180),
        "inclination": np.degrees(np.arccos(rng.uniform(np.cos(np.radians(70)), 1.0))),
        "bar": 0.0, "bar_angle": rng.uniform(0, 180),
        "arms": 0.0, "pitch": rng.uniform(12, 30), "arm_phase": rng.uniform(0, 2 * np.pi),
        "inner_ring": 0.0, "outer_ring": 0.0, "pseudo_ring": 0.0, "nuclear_ring": 0.0,
        "collisional_ring": 0.0, "lens": 0.0, "ring_contrast": rng.uniform(0.06, 0.35),
        "nucleus_offset": 0.0, "dust_lane": 0.0, "knots": 0,
        "disc_blueness": rng.uniform(0.0, 0.8), "ring_blueness": rng.uniform(0.0, 1.0),
        "psf_fwhm": rng.uniform(1.0, 1.6),
        "neighbour": bool(rng.random() < 0.15), "star": bool(rng.random() < 0.15),
        "centre_offset": rng.normal(0, 0.6, 2),
    }
    h = g["disc_scale"]
    if is_ring and kind != "collisional":  # resonance rings live mostly in early-type discs
        g["bulge_fraction"] = rng.uniform(0.2, 0.6)
    if kind in ("inner", "inner+outer"):
        g["inner_ring"] = h * rng.uniform(0.9, 1.6)
        if rng.random() < 0.6:
            g["bar"] = g["inner_ring"] * rng.uniform(0.85, 1.0)
        g["arms"] = rng.uniform(0.0, 0.25)
    if kind in ("outer", "inner+outer"):
        g["outer_ring"] = h * rng.uniform(2.2, 3.2)
        g["bar"] = g["bar"] or g["outer_ring"] * rng.uniform(0.35, 0.5)
        g["disc_scale"] *= rng.uniform(0.6, 0.9)
    if kind == "pseudo":
        g["pseudo_ring"] = h * rng.uniform(1.2, 2.6)
        g["bar"] = g["pseudo_ring"] * rng.uniform(0.5, 0.8) if rng.random() < 0.5 else 0.0
    if kind == "nuclear":
        g["nuclear_ring"] = h * rng.uniform(0.45, 0.7)
        g["bar"] = h * rng.uniform(1.2, 1.8)
        g["ring_contrast"] *= 2.0
        g["bulge_fraction"] *= 0.5
    if kind == "collisional":
        g["collisional_ring"] = h * rng.uniform(1.5, 2.5)
        g["nucleus_offset"] = rng.uniform(0.15, 0.5)
        g["ring_contrast"] = rng.uniform(0.5, 0.9)
        g["ring_blueness"] = rng.uniform(0.5, 1.0)
        g["neighbour"] = bool(rng.random() < 0.5)
    if kind == "elliptical":
        g["bulge_fraction"] = 1.0
        g["bulge_n"] = rng.uniform(3.0, 5.0)
        g["inclination"] = np.degrees(np.arccos(rng.uniform(0.5, 1.0)))
    if kind == "spiral":
        g["arms"] = rng.uniform(0.3, 0.8)
    if kind == "barred_spiral":
        g["bar"] = h * rng.uniform(1.0, 1.8)
        g["arms"] = rng.uniform(0.2, 0.6)
    if kind == "edge_on":
        g["inclination"] = rng.uniform(78, 90)
        g["dust_lane"] = rng.uniform(0.0, 0.7)
    if kind == "irregular":  # clumpy star-forming dwarfs: blue knots, no ordered ring
        g["disc_scale"] = h * rng.uniform(0.5, 0.9)
        g["bulge_fraction"] = rng.uniform(0.0, 0.08)
        g["disc_blueness"] = rng.uniform(0.5, 1.0)
        g["knots"] = int(rng.integers(3, 9))
        g["ring_contrast"] = rng.uniform(0.3, 0.8)
    if kind == "lens":
        g["lens"] = h * rng.uniform(0.9, 1.8)
        g["bar"] = g["lens"] * rng.uniform(0.6, 0.9) if rng.random() < 0.4 else 0.0
    return g


def galaxy_radius(g):
    """Visible radius in arcsec, used to frame the cutout."""
    if g["bulge_fraction"] >= 1.0:
        return 3.0 * g["disc_scale"]
    features = [g["outer_ring"], g["pseudo_ring"] * 1.5, g["collisional_ring"], g["inner_ring"]]
    return max(3.2 * g["disc_scale"], 1.2 * max(features))


def stamp_size(g):
    """Stamp side in native pixels: about 2.8 visible diameters, as Galaxy Zoo framed galaxies."""
    npix = int(round(5.6 * galaxy_radius(g) / PIXSCALE))
    return int(np.clip(npix + npix % 2, MIN_STAMP, MAX_STAMP))


def _sersic(r, r_e, n):
    b = 2 * n - 1 / 3 + 0.009876 / n
    return np.exp(-b * ((r / r_e) ** (1 / n) - 1))


def _ring(r, radius, width):
    return np.exp(-0.5 * ((r - radius) / width) ** 2)


def _pseudo_ring(r, phi, radius, pitch, phase, width):
    """Two open arcs that wind outwards by a pitch angle: an arm-wound (R')/(rs) pseudo-ring."""
    total = np.zeros_like(r)
    for arm in range(2):
        angle = np.mod(phi - phase - arm * np.pi, 2 * np.pi)
        arc_radius = radius * np.exp(angle * np.tan(np.radians(pitch)) * 0.12)
        taper = np.sin(np.clip(angle / (1.8 * np.pi), 0, 1) * np.pi) ** 0.5
        total += _ring(r, arc_radius, width) * taper
    return total


def _moffat_kernel(npix, fwhm, beta=3.0):
    """Moffat PSF on the stamp grid, centred on pixel (0, 0) for FFT convolution."""
    alpha = fwhm / PIXSCALE / (2 * np.sqrt(2 ** (1 / beta) - 1))
    k = np.fft.fftfreq(npix, 1 / npix)
    rr = k[:, None] ** 2 + k[None, :] ** 2
    kernel = (1 + rr / alpha**2) ** -beta
    return kernel / kernel.sum()


def _grid(npix, centre, pa, q):
    """Disc-plane coordinates (arcsec): elliptical radius and azimuth for a tilted, rotated disc."""
    axis = (np.arange(npix) - (npix - 1) / 2) * PIXSCALE
    x = axis[None, :] - centre[0]
    y = axis[:, None] - centre[1]
    theta = np.radians(pa)
    u = x * np.cos(theta) + y * np.sin(theta)
    v = (-x * np.sin(theta) + y * np.cos(theta)) / q
    return np.hypot(u, v), np.arctan2(v, u), u, v


def _point_sources(rng, npix, count, mag_range):
    """Positions (pixel) and r-band fluxes of stars or compact background sources."""
    pos = rng.uniform(0, npix - 1, (count, 2))
    flux = nanomaggies(rng.uniform(*mag_range, count))
    return pos, flux


def render(g, rng, bands=BANDS):
    """Render a galaxy description to fluxes (len(bands), N, N) in nanomaggies, with PSF and
    noise; ``bands`` is "grz" or "ugriz". The g, r and z planes are the same either way: u and i
    come from the same scene, and their noise is drawn after everything grz uses."""
    if bands not in (BANDS, ALL_BANDS):
        raise ValueError(f"bands must be {BANDS!r} or {ALL_BANDS!r}, not {bands!r}")
    wanted = [ALL_BANDS.index(b) for b in bands]
    npix = stamp_size(g)
    inc = np.radians(g["inclination"])
    q = np.sqrt(np.cos(inc) ** 2 * (1 - 0.12**2) + 0.12**2)
    h = g["disc_scale"]
    r, phi, u, v = _grid(npix, g["centre_offset"], g["pa"], q)
    flux_r = nanomaggies(g["mag_r"])

    components = []  # (shape, colour, share of r-band flux)
    bulge_centre = g["centre_offset"]
    if g["nucleus_offset"]:
        bulge_centre = g["centre_offset"] + g["nucleus_offset"] * g["collisional_ring"] * np.array(
            [np.cos(np.radians(g["pa"])), np.sin(np.radians(g["pa"]))])
    rb, _, _, _ = _grid(npix, bulge_centre, g["pa"], max(q, 0.6) if g["bulge_fraction"] < 1 else q)
    bulge_re = 3.0 * h if g["bulge_fraction"] >= 1.0 else h * rng.uniform(0.2, 0.35)
    components.append((_sersic(rb, bulge_re, g["bulge_n"]), RED, g["bulge_fraction"]))

    if g["bulge_fraction"] < 1.0:
        disc = np.exp(-r / h)
        if g["arms"]:
            winding = np.log(np.maximum(r, 0.3 * h)) / np.tan(np.radians(g["pitch"]))
            spiral = 1 + g["arms"] * np.cos(2 * (phi - winding - g["arm_phase"]))
            disc = disc * np.where(r > 0.6 * h, spiral, 1.0)
        if g["dust_lane"]:
            disc = disc * (1 - g["dust_lane"] * np.exp(-0.5 * (v * q / (0.25 * h * max(q, 0.15))) ** 2))
        if g["lens"]:
            disc = disc + 0.6 * np.exp(-g["lens"] / h) / (1 + np.exp((r - g["lens"]) / (0.06 * g["lens"])))
        components.append((disc, _colour(g["disc_blueness"]), 1 - g["bulge_fraction"]))
        if g["bar"]:
            angle = np.radians(g["bar_angle"])
            bu = u * np.cos(angle) + v * np.sin(angle)
            bv = -u * np.sin(angle) + v * np.cos(angle)
            rho = np.hypot(bu / g["bar"], bv / (0.3 * g["bar"]))
            components.append((np.clip(1 - rho**2, 0, None) ** 1.5, _colour(0.2), 0.12))
        contrast, ring_colour = g["ring_contrast"], _colour(g["ring_blueness"])
        for name, width in (("inner_ring", 0.1), ("outer_ring", 0.08), ("nuclear_ring", 0.15)):
            if g[name]:
                components.append((_ring(r, g[name], width * g[name] + 0.3), ring_colour, contrast))
        if g["pseudo_ring"]:
            shape = _pseudo_ring(r, phi, g["pseudo_ring"], g["pitch"], g["arm_phase"], 0.1 * g["pseudo_ring"] + 0.3)
            components.append((shape, ring_colour, contrast))
        if g["collisional_ring"]:
            knots = 1 + 0.8 * np.cos(rng.integers(5, 9) * phi + rng.uniform(0, 2 * np.pi))
            shape = _ring(r, g["collisional_ring"], 0.12 * g["collisional_ring"]) * knots
            components.append((shape, ring_colour, contrast))
        if g["knots"]:
            radius = g["disc_scale"] * np.sqrt(rng.uniform(0, 2.5, g["knots"]))
            angle = rng.uniform(0, 2 * np.pi, g["knots"])
            knots = sum(np.exp(-0.5 * ((u - k_r * np.cos(k_a)) ** 2 + (v - k_r * np.sin(k_a)) ** 2) / (0.35 * h) ** 2)
                        * rng.uniform(0.3, 1.0) for k_r, k_a in zip(radius, angle))
            components.append((knots, _colour(1.0), contrast))

    image = np.zeros((len(bands), npix, npix))
    total = sum(share for _, _, share in components)
    for shape, colour, share in components:
        image += (flux_r * share / total) * colour[wanted, None, None] * (shape / shape.sum())

    if g["neighbour"]:
        offset = rng.uniform(0.45, 0.8) * npix * PIXSCALE / 2 * np.array(
            [np.cos(a := rng.uniform(0, 2 * np.pi)), np.sin(a)])
        rn, _, _, _ = _grid(npix, g["centre_offset"] + offset, rng.uniform(0, 180), rng.uniform(0.4, 1))
        shape = _sersic(rn, h * rng.uniform(0.3, 0.8), rng.uniform(1, 4))
        image += nanomaggies(g["mag_r"] + rng.uniform(0, 2)) * RED[wanted, None, None] * shape / shape.sum()

    points = [_point_sources(rng, npix, rng.poisson(2 + npix / 60), (19.5, 23.5))]
    if g["star"]:
        points.append(_point_sources(rng, npix, 1, (14.5, 18.0)))
    for pos, fluxes in points:
        grz = rng.uniform([0.3, 1, 1.0], [0.8, 1, 2.0], (len(fluxes), 3))
        colours = np.empty((len(fluxes), len(ALL_BANDS)))
        colours[:, GRZ] = grz
        colours[:, ALL_BANDS.index("u")] = 0.5 * grz[:, 0]  # compact sources: u/g from their g/r
        colours[:, ALL_BANDS.index("i")] = np.sqrt(grz[:, 2])  # and i/r between r and z
        ix, iy = np.round(pos).astype(int).T
        np.add.at(image, (slice(None), iy, ix), (fluxes[:, None] * colours[:, wanted]).T)

    blurred = np.empty_like(image)
    for plane, band in enumerate(wanted):
        kernel = np.fft.rfft2(_moffat_kernel(npix, g["psf_fwhm"] * PSF_SCALE[band]))
        blurred[plane] = np.fft.irfft2(np.fft.rfft2(image[plane]) * kernel, s=(npix, npix))

    sky = SKY_SIGMA[wanted] * rng.uniform(0.7, 1.3)
    sigma = np.sqrt(sky[:, None, None] ** 2 + INVERSE_GAIN * np.maximum(blurred, 0))
    noise = np.empty_like(blurred)
    grz_planes = [bands.index(b) for b in BANDS]
    noise[grz_planes] = rng.normal(size=(len(BANDS),) + blurred.shape[1:])
    others = [plane for plane in range(len(bands)) if plane not in grz_planes]
    if others:
        noise[others] = rng.normal(size=(len(others),) + blurred.shape[1:])
    return (blurred + noise * sigma).astype(np.float32)


def galaxy_truth(g):
    """The truth-table row of a galaxy description: class, ring type, geometry, magnitudes."""
    flux_r = nanomaggies(g["mag_r"])
    bulge, rest = g["bulge_fraction"], 1 - g["bulge_fraction"]
    colour = bulge * RED + rest * _colour(g["disc_blueness"])
    return {
        "is_ring": g["is_ring"],
        "morphology": g["kind"] if not g["is_ring"] else "ring",
        "ring_type": g["kind"] if g["is_ring"] else "",
        "inclination": g["inclination"],
        "position_angle": g["pa"],
        "disc_scale": g["disc_scale"],
        "bulge_fraction": bulge,
        "bar_length": g["bar"],
        "ring_radius": max(g["inner_ring"], g["outer_ring"], g["pseudo_ring"],
                           g["nuclear_ring"], g["collisional_ring"]),
        "psf_fwhm": g["psf_fwhm"],
        "has_neighbour": g["neighbour"],
        "has_star": g["star"],
        "mag_g": magnitude(flux_r * colour[ALL_BANDS.index("g")]),
        "mag_r": g["mag_r"],
        "mag_z": magnitude(flux_r * colour[ALL_BANDS.index("z")]),
        "stamp_arcsec": stamp_size(g) * PIXSCALE,
    }


TRUTH_UNITS = {"inclination": "deg", "position_angle": "deg", "disc_scale": "arcsec",
               "bar_length": "arcsec", "ring_radius": "arcsec", "psf_fwhm": "arcsec",
               "mag_g": "mag", "mag_r": "mag", "mag_z": "mag", "stamp_arcsec": "arcsec"}


def picture(g, rng, npix, planes="rgb"):
    """A galaxy description rendered to what a model sees: uint8 RGB (npix, npix, 3) from grz,
    or, for ``planes="ugriz"``, uint8 ugriz planes (npix, npix, 5)."""
    if planes == "ugriz":
        return resize_planes(ugriz_to_planes(render(g, rng, ALL_BANDS)), npix)
    return resize_rgb(grz_to_rgb(render(g, rng)), npix)


def simulate_one(rng, is_ring, npix, planes="rgb"):
    """One galaxy: its picture (see ``picture``) and its truth row."""
    g = draw_galaxy(rng, is_ring)
    return picture(g, rng, npix, planes), galaxy_truth(g)


def _simulate_chunk(args):
    seed, indices, ring_fraction, npix, planes = args
    images, rows = [], []
    for index in indices:
        rng = np.random.default_rng([seed, index])
        image, row = simulate_one(rng, rng.random() < ring_fraction, npix, planes)
        images.append(image)
        rows.append(row)
    return np.stack(images), rows


def simulate(n, seed=0, ring_fraction=0.5, npix=64, workers=1, planes="rgb"):
    """Simulate n galaxies: uint8 pictures (n, npix, npix, 3 RGB or 5 ugriz planes) and an
    astropy truth Table.

    Galaxy i depends only on (seed, i), so any subset, worker count, chunking or kind of
    picture gives the same galaxies; the index is kept in the table's ``id`` column.
    """
    chunks = [(seed, part, ring_fraction, npix, planes) for part in np.array_split(np.arange(n), max(1, 4 * workers)) if len(part)]
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            results = list(pool.map(_simulate_chunk, chunks))
    else:
        results = [_simulate_chunk(chunk) for chunk in chunks]
    images = np.concatenate([images for images, _ in results])
    truth = Table(rows=[row for _, rows in results for row in rows])
    truth.add_column(np.arange(n), name="id", index=0)
    for name, unit in TRUTH_UNITS.items():
        truth[name].unit = unit
    truth.meta.update({"SIMVER": SIMULATOR_VERSION, "SIMSEED": seed, "RINGFRAC": ring_fraction, "NPIX": npix, "PIXSCALE": PIXSCALE})
    return images, truth
