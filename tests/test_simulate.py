import numpy as np
import pytest

from ringsky.simulate import NONRING_TYPES, PIXSCALE, RING_TYPES, draw_galaxy, render, simulate, stamp_size


def test_same_seed_same_pixels_other_seed_other_pixels():
    a, truth_a = simulate(6, seed=11, npix=48)
    b, truth_b = simulate(6, seed=11, npix=48)
    c, _ = simulate(6, seed=12, npix=48)
    assert np.array_equal(a, b)
    assert list(truth_a["morphology"]) == list(truth_b["morphology"])
    assert not np.array_equal(a, c)


def test_galaxy_depends_only_on_seed_and_index():
    few, _ = simulate(3, seed=5, npix=32)
    many, _ = simulate(8, seed=5, npix=32, workers=2)
    assert np.array_equal(few, many[:3])


def test_truth_table_describes_each_galaxy_with_units():
    images, truth = simulate(40, seed=3, ring_fraction=0.5, npix=32)
    assert images.shape == (40, 32, 32, 3) and images.dtype == np.uint8
    for column in ("id", "is_ring", "morphology", "ring_type", "inclination", "mag_g", "mag_r", "mag_z",
                   "psf_fwhm", "has_neighbour", "has_star"):
        assert column in truth.colnames
    assert truth["mag_r"].unit == "mag" and truth["inclination"].unit == "deg"
    rings = truth[truth["is_ring"]]
    assert set(rings["ring_type"]) <= set(RING_TYPES) and all(rings["morphology"] == "ring")
    assert set(truth[~truth["is_ring"]]["morphology"]) <= set(NONRING_TYPES)
    assert 10 < len(rings) < 30
    assert np.all((truth["psf_fwhm"] >= 1.0) & (truth["psf_fwhm"] <= 1.6))


def test_every_ring_and_non_ring_kind_is_drawn():
    rng = np.random.default_rng(0)
    kinds = {draw_galaxy(rng, is_ring=k % 2 == 0)["kind"] for k in range(600)}
    assert kinds == set(RING_TYPES) | set(NONRING_TYPES)


@pytest.mark.parametrize("kind", ["inner", "outer", "pseudo", "collisional"])
def test_a_ring_shows_as_a_bump_in_the_radial_profile(kind):
    """Without noise the azimuthally averaged profile rises again at the ring radius."""
    rng = np.random.default_rng(4)
    while (g := draw_galaxy(rng, is_ring=True))["kind"] != kind:
        pass
    g.update(inclination=0.0, neighbour=False, star=False, centre_offset=np.zeros(2), ring_contrast=0.6,
             nucleus_offset=0.0)
    flux = render(g, rng)[1]
    npix = stamp_size(g)
    y, x = np.indices(flux.shape) - (npix - 1) / 2
    radius = np.hypot(x, y) * PIXSCALE
    ring = max(g["inner_ring"], g["outer_ring"], g["pseudo_ring"], g["collisional_ring"])
    profile = [flux[(radius > r - 0.3) & (radius < r + 0.3)].mean() for r in (0.75 * ring, ring)]
    assert profile[1] > profile[0]


def test_stamp_follows_galaxy_size_at_native_scale():
    rng = np.random.default_rng(2)
    small, large = draw_galaxy(rng, False), draw_galaxy(rng, False)
    small.update(kind="spiral", disc_scale=1.8, bulge_fraction=0.3)
    large.update(kind="spiral", disc_scale=4.5, bulge_fraction=0.3)
    assert stamp_size(small) < stamp_size(large)
    assert render(small, rng).shape == (3, stamp_size(small), stamp_size(small))
