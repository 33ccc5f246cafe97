import astropy.units as u
import numpy as np
import pytest

from ringsky.tiles import Tile, TileSpecError, parse_tile_spec, pixels_at, tile_index, tiles_moc


@pytest.mark.parametrize("text, nside, pixels", [
    ("nside=32", 32, None),
    ("nside=32:1234", 32, (1234,)),
    ("nside=32:1234,1240-1243", 32, (1234, 1240, 1241, 1242, 1243)),
    (" nside = 1 : 0-11 ", 1, tuple(range(12))),
])
def test_parse_valid_specs(text, nside, pixels):
    spec = parse_tile_spec(text)
    assert (spec.nside, spec.pixels) == (nside, pixels)


@pytest.mark.parametrize("text, message", [
    ("nside=33", "power of two"),
    ("nside=0", "power of two"),
    ("nside=32:12288", "out of range"),
    ("nside=32:5-3", "empty pixel range"),
    ("nside=32:1-2-3", "bad pixel list"),
    ("nside=32:a", "bad tile spec"),
    ("nside=32:", "bad tile spec"),
    ("side=32", "bad tile spec"),
    ("", "bad tile spec"),
])
def test_bad_specs_say_why(text, message):
    with pytest.raises(TileSpecError, match=message):
        parse_tile_spec(text)


def test_spec_without_pixels_takes_the_footprint():
    spec = parse_tile_spec("nside=64")
    assert [t.ipix for t in spec.resolve(lambda nside: pixels_at([7], 32, nside))] == [28, 29, 30, 31]


def test_tile_geometry():
    tile = Tile(32, 6812)
    assert tile.area.to_value(u.deg**2) == pytest.approx(41252.96 / (12 * 32**2), rel=1e-4)
    assert tile.level == 5 and tile.name == "nside32-ipix06812"
    assert Tile.from_name(tile.name) == tile
    assert tile_index(tile.centre.ra.deg, tile.centre.dec.deg, 32) == 6812
    corners = tile.boundary(step=1)
    assert len(corners) == 4
    assert np.all(tile.centre.separation(corners) < 2.5 * u.deg)


def test_every_galaxy_belongs_to_exactly_one_tile():
    rng = np.random.default_rng(0)
    ra, dec = rng.uniform(0, 360, 2000), np.degrees(np.arcsin(rng.uniform(-1, 1, 2000)))
    owners = np.array([[Tile(2, p).owns(ra, dec)[i] for p in range(48)] for i in range(0, 2000, 50)])
    assert np.all(owners.sum(axis=1) == 1)


def test_random_positions_fall_inside_their_tile():
    tile = Tile(32, 6813)
    ra, dec = tile.random_positions(np.random.default_rng(1), 500)
    assert np.all(tile.owns(ra, dec))


def test_pixels_at_other_resolutions():
    assert list(pixels_at([3], 32, 64)) == [12, 13, 14, 15]
    assert list(pixels_at([12, 13, 15, 40], 64, 32)) == [3, 10]


def test_moc_covers_exactly_the_tiles():
    tiles = [Tile(32, 6812), Tile(32, 6813), Tile(64, 4 * 6814)]
    moc = tiles_moc(tiles)
    expected = (2 / (12 * 32**2) + 1 / (12 * 64**2))
    assert moc.sky_fraction == pytest.approx(expected, rel=1e-9)
    centre = Tile(32, 6813).centre
    assert moc.contains_lonlat(centre.ra, centre.dec)[0]
    outside = Tile(32, 6815).centre
    assert not moc.contains_lonlat(outside.ra, outside.dec)[0]
