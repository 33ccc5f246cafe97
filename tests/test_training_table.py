"""The training-table builder: vetted negatives, and no galaxy leaking between splits."""
import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from astropy.table import Table
from conftest import run_cli

from ringsky.splits import split_by_galaxy, split_by_tile
from ringsky.labels.training_table import build_training_table

RING_FLAGS = ("outer_ring", "inner_ring", "nuclear_ring", "collisional")


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """120 Buta-like galaxies and a Galaxy Zoo table of 1000 with every trap in it."""
    rng = np.random.default_rng(3)
    n = 120
    buta = Table({"name": [f"B{i}" for i in range(n)], "ra": rng.uniform(100, 260, n),
                  "dec": rng.uniform(-5, 60, n), "coord_source": ["jname"] * (n - 5) + [""] * 5,
                  "cvrhs": ["(R')SB(r)a"] * n, "has_ring": np.arange(n) % 10 != 0})
    for flag in RING_FLAGS:
        buta[flag] = np.arange(n) % 3 == 0
    m = 1000
    zoo = Table({"iauname": [f"Z{i}" for i in range(m)], "ra": rng.uniform(100, 260, m),
                 "dec": rng.uniform(-5, 60, m), "votes": rng.integers(5, 60, m).astype(float),
                 "ring_fraction": rng.uniform(0, 0.2, m)})
    zoo["ra"][:60] = buta["ra"][:60] + 0.5 / 3600  # Buta galaxies also in Galaxy Zoo
    zoo["dec"][:60] = buta["dec"][:60]
    zoo["votes"][:60], zoo["ring_fraction"][:60] = 40, 0.0  # ... that would pass every vote cut
    zoo["ra"][900:920], zoo["dec"][900:920] = zoo["ra"][800:820], zoo["dec"][800:820]  # duplicates
    zoo["votes"][800:820] = zoo["votes"][900:920] = 50
    zoo["ring_fraction"][800:820] = zoo["ring_fraction"][900:920] = 0.0
    root = tmp_path_factory.mktemp("labels")
    buta.write(root / "buta.fits")
    zoo.write(root / "zoo.fits")
    return buta, zoo, root


def assert_no_leaks(table):
    ids = {name: set(table["id"][table["split"] == name]) for name in ("train", "validation", "test")}
    assert not (ids["train"] & ids["validation"] or ids["train"] & ids["test"] or ids["validation"] & ids["test"])
    coords = SkyCoord(table["ra"], table["dec"], unit="deg")
    first, second, _, _ = coords.search_around_sky(coords, 2 * u.arcsec)
    pairs = first != second
    assert np.all(table["split"][first[pairs]] == table["split"][second[pairs]]), "a galaxy sits in two splits"
    test = table[table["split"] == "test"]
    assert len(set(test["id"])) == len(test) and not pairs.any(), "duplicates survived"


def test_negatives_are_vetted_and_never_buta_galaxies(inputs):
    buta, zoo, _ = inputs
    table = build_training_table(buta, zoo, "votes", "ring_fraction")
    negatives = table[table["label"] == 0]
    chosen = zoo[np.isin(zoo["iauname"], [i.removeprefix("GZ:") for i in negatives["id"]])]
    assert np.all(chosen["votes"] >= 20) and np.all(chosen["ring_fraction"] <= 0.05)
    assert not set(chosen["iauname"]) & {f"Z{i}" for i in range(60)}
    positives = table[table["label"] == 1]
    assert len(positives) == int((buta["has_ring"] & (buta["coord_source"] != "")).sum())
    assert table.meta["DUPLICAT"] == 20
    assert_no_leaks(table)


def test_a_table_of_buta_galaxies_only_gives_no_negatives(inputs):
    buta, zoo, _ = inputs
    table = build_training_table(buta, zoo[:60], "votes", "ring_fraction")
    assert (table["label"] == 0).sum() == 0 and (table["label"] == 1).sum() > 0


def test_closed_rings_only_and_the_seeds_balance(inputs):
    buta, zoo, _ = inputs
    table = build_training_table(buta, zoo, "votes", "ring_fraction", positives="rings", ratio=0.5)
    closed = np.zeros(len(buta), dtype=bool)
    for flag in RING_FLAGS:
        closed |= buta[flag]
    assert table["label"].sum() == int((closed & (buta["coord_source"] != "")).sum())
    assert (table["label"] == 0).sum() <= 0.5 * table["label"].sum()


def test_stratified_galaxy_split_fractions():
    labels = np.array([1] * 100 + [0] * 900)
    split = split_by_galaxy(labels, seed=1)
    for value, n in ((1, 100), (0, 900)):
        counts = [int(((split == s) & (labels == value)).sum()) for s in ("train", "validation", "test")]
        assert counts == [round(0.7 * n), round(0.1 * n), n - round(0.7 * n) - round(0.1 * n)]
    assert np.array_equal(split, split_by_galaxy(labels, seed=1))


def test_tile_split_keeps_each_tile_in_one_split(inputs):
    _, zoo, _ = inputs
    split = split_by_tile(zoo["ra"], zoo["dec"], nside=8, seed=2)
    from ringsky.tiles import tile_index

    tiles = tile_index(zoo["ra"], zoo["dec"], 8)
    for tile in np.unique(tiles):
        assert len(set(split[tiles == tile])) == 1
    shares = [np.mean(split == s) for s in ("train", "validation", "test")]
    assert shares[0] > 0.5 and shares[2] > 0.1


@pytest.mark.parametrize("split", ["galaxy", "tile"])
def test_cli_builds_a_leak_free_table(inputs, split, tmp_path):
    _, _, root = inputs
    result = run_cli("labels", "build", "--buta", root / "buta.fits", "--zoo", root / "zoo.fits",
                     "--votes-column", "votes", "--ring-column", "ring_fraction", "--split", split,
                     "--out", tmp_path / "train.parquet")
    assert "duplicates dropped" in result.stdout
    table = Table.read(tmp_path / "train.parquet")
    assert set(table["split"]) == {"train", "validation", "test"} and table.meta["SPLIT"] == split
    assert_no_leaks(table)
