"""Rings painted into real hosts: the stretch undone and redone, the host's geometry measured from
its light, rings coplanar at their stated radius, non-rings given other structure, and every
picture reproducible from (seed, index) with its host named."""
import numpy as np
import pytest

from conftest import REAL_RINGS, needs_real_rings, run_cli
from ringsky.imaging import grz_to_rgb, stretch_planes, unstretch_rgb
from ringsky.learn.inject import STRUCTURES, inject, injected_set, measure_host, paint, ring_shapes
from ringsky.simulate import RING_TYPES

N = 128


def disc_radius(axis_ratio=0.5, angle=0.6, centre=(66.0, 61.0)):
    """Each pixel's radius in the plane of a disc of this geometry."""
    yy, xx = np.mgrid[:N, :N]
    dx, dy = xx - centre[0], yy - centre[1]
    u = dx * np.cos(angle) + dy * np.sin(angle)
    v = (-dx * np.sin(angle) + dy * np.cos(angle)) / axis_ratio
    return np.hypot(u, v)


def disc_host(axis_ratio=0.5, angle=0.6, centre=(66.0, 61.0), scale=9.0, seed=0):
    """A picture of an exponential disc of known geometry, with sky noise, as uint8 RGB."""
    light = 2.0 * np.exp(-disc_radius(axis_ratio, angle, centre) / scale)
    grz = np.stack([0.5 * light, light, 1.6 * light]) + np.random.default_rng(seed).normal(0, 0.004, (3, N, N))
    return grz_to_rgb(grz)


def test_the_stretch_is_undone_and_redone_to_the_same_picture():
    picture = disc_host()
    assert np.abs(stretch_planes(unstretch_rgb(picture)).astype(int) - picture).max() <= 1


def test_the_host_geometry_comes_from_its_light():
    host = measure_host(unstretch_rgb(disc_host(axis_ratio=0.5, angle=0.6)))
    assert (host.x, host.y) == pytest.approx((66.0, 61.0), abs=1.0)
    assert host.axis_ratio == pytest.approx(0.5, abs=0.08)
    assert np.cos(2 * (host.angle - 0.6)) > np.cos(2 * np.radians(8))  # position angle within 8 degrees
    assert 9.0 < host.half_light < 2.5 * 9.0  # an exponential disc's is 1.68 scale lengths


@pytest.mark.parametrize("kind", ["inner", "outer", "nuclear"])
def test_a_ring_is_painted_coplanar_at_its_radius(kind):
    flux = unstretch_rgb(disc_host())
    host = measure_host(flux)
    rng = np.random.default_rng(1)
    (shape, radius), = ring_shapes(rng, kind, host)
    added = paint(flux, host, shape, radius, 0.5, np.ones(3), 0.5, rng).mean(axis=-1) - flux.mean(axis=-1)

    true_radius = disc_radius()

    def along(r):  # the added light at radius r in the host's true disc plane, all round the ring
        return np.median(added[np.abs(true_radius - r) < 1.0])

    assert along(radius) > 3 * max(along(0.5 * radius), along(1.6 * radius), 0)  # coplanar: bright all round
    profile = [along(r) for r in np.linspace(0.5 * radius, 1.5 * radius, 21)]
    assert np.linspace(0.5, 1.5, 21)[np.argmax(profile)] == pytest.approx(1.0, abs=0.15)


def test_rings_and_other_structure_are_drawn_and_described():
    picture = disc_host()
    kinds, structures = set(), set()
    for seed in range(60):
        image, row = inject(picture, np.random.default_rng(seed), is_ring=seed % 2 == 0)
        assert image.shape == picture.shape and image.dtype == np.uint8
        assert row["is_ring"] == (seed % 2 == 0)
        if row["is_ring"]:
            kinds.add(row["ring_type"])
            assert 0 < row["ring_radius"] < 0.6 and 0.1 <= row["contrast"] <= 0.8
        else:
            assert row["ring_type"] == "" and row["contrast"] == 0
        structures.add(row["structure"])
    assert kinds <= set(RING_TYPES) and len(kinds) >= 4
    assert structures == set(STRUCTURES)


def test_an_injected_set_follows_from_its_seed_and_names_each_host():
    hosts = np.stack([disc_host(axis_ratio=q, seed=k) for k, q in enumerate((0.4, 0.6, 0.8, 1.0))])
    images, table = injected_set(hosts, 12, seed=3, npix=64)
    again, table_again = injected_set(hosts, 12, seed=3, npix=64, workers=2)
    assert images.shape == (12, 64, 64, 3)
    assert np.array_equal(images, again) and list(table["host"]) == list(table_again["host"])
    assert set(table["host"]) <= set(range(4)) and list(table["id"]) == list(range(12))
    other, _ = injected_set(hosts, 12, seed=4, npix=64)
    assert not np.array_equal(images, other)


@needs_real_rings()
def test_simulate_injects_into_a_folders_non_rings(tmp_path):
    result = run_cli("simulate", "--inject-into", f"folder:{REAL_RINGS}", "--n", 10, "--npix", 48, "--host-npix", 96,
                     "--crop", 0.6, "--workers", 1, "--out", tmp_path / "injected")
    assert "injected 10 pictures into" in result.stdout
    from astropy.table import Table

    manifest = Table.read(tmp_path / "injected" / "catalogue.csv", format="ascii.csv")
    real = Table.read(REAL_RINGS / "catalogue.csv", format="ascii.csv")
    non_rings = np.flatnonzero(np.asarray(real["ring"]) == 0)
    assert len(manifest) == 10 and set(manifest["ring"]) <= {0, 1}
    assert max(manifest["host"]) < len(non_rings)  # hosts are numbered among the non-rings only
    assert all((tmp_path / "injected" / name).is_file() for name in manifest["image"])
