"""The catalogue as a HATS collection (`ringsky catalogue --hats`), read back with lsdb as an LSDB
user would: the same rows as the FITS, masked values as nulls, the provenance in its properties,
and a cross-match there against a second, small HATS catalogue."""
import numpy as np
import pytest
from astropy.table import Table
from conftest import run_cli

from ringsky.catalogue.files import read_catalogue

lsdb = pytest.importorskip("lsdb", reason="lsdb is not installed (pip install 'ringsky[hats]')")


@pytest.fixture(scope="module")
def collection(sim_catalogue, tmp_path_factory):
    """The shared simulated tiles catalogued with --hats, one known table matching every third galaxy."""
    root = tmp_path_factory.mktemp("hats")
    scored = read_catalogue(sim_catalogue)
    known = scored[::3]["source_id", "ra", "dec"]
    known["dec"] = known["dec"] + 1 / 3600
    known.rename_column("source_id", "id")
    known.write(root / "known.fits")
    run_cli("catalogue", sim_catalogue.parent.parent / "tiles", "--out", root / "cat", "--no-known", "--match",
            f"mine={root / 'known.fits'}", "--hats", "--quiet")
    return root / "cat"


def test_the_collection_holds_the_catalogues_rows_with_nulls_where_it_is_masked(collection):
    fits = read_catalogue(collection / "catalogue.fits")
    frame = lsdb.open_catalog(collection / "catalogue.hats").compute().sort_values(["healpix", "source_id"])
    assert list(frame["source_id"]) == list(fits["source_id"])
    assert list(frame["name"]) == list(fits["name"])
    np.testing.assert_allclose(frame["ring_probability"].to_numpy(float), fits["ring_probability"], rtol=1e-6)
    assert list(frame["ring_flag"]) == list(fits["ring_flag"])
    separations = fits["mine_sep"]
    assert 0 < separations.mask.sum() < len(fits)
    assert list(frame["mine_sep"].isna()) == list(separations.mask)
    np.testing.assert_allclose(frame["mine_sep"].dropna().to_numpy(float), separations.compressed(), rtol=1e-9)


def test_the_collection_carries_the_provenance_and_a_margin(collection):
    properties = (collection / "catalogue.hats" / "ringsky" / "hats.properties").read_text()
    fits = read_catalogue(collection / "catalogue.fits")
    assert f"ringsky_modelid={fits.meta['MODELID']}" in properties
    assert f"ringsky_tiles={fits.meta['TILES']}" in properties
    assert (collection / "catalogue.hats" / "collection.properties").is_file()
    assert any(path.name.endswith("arcs") for path in (collection / "catalogue.hats").iterdir()), "no margin cache"


def test_an_lsdb_crossmatch_finds_the_counterparts_of_a_second_hats_catalogue(collection, tmp_path):
    import pandas as pd

    fits = read_catalogue(collection / "catalogue.fits")
    others = Table({"other_id": [f"o{k}" for k in range(0, len(fits), 4)], "ra": fits["ra"][::4],
                    "dec": fits["dec"][::4] + 2 / 3600})
    frame = others.to_pandas()
    lsdb.from_dataframe(frame, ra_column="ra", dec_column="dec", catalog_name="others").write_catalog(
        tmp_path / "others", progress_bar=False)
    rings = lsdb.open_catalog(collection / "catalogue.hats")
    matched = rings.crossmatch(lsdb.open_catalog(tmp_path / "others"), radius_arcsec=3, n_neighbors=1,
                               suffixes=("", "_other"), suffix_method="overlapping_columns").compute()
    assert len(matched) == len(others)
    expected = pd.Series(list(fits["source_id"][::4]), index=list(others["other_id"]))
    assert (matched["source_id"].to_numpy() == expected[matched["other_id"]].to_numpy()).all()
    np.testing.assert_allclose(matched["_dist_arcsec"].to_numpy(float), 2.0, atol=0.01)


def test_an_empty_catalogue_says_it_has_no_collection_and_leaves_no_stale_one(tmp_path):
    run_cli("score", "--tile", "nside=128:0", "--survey", "sim", "--scheduler", "none", "--out", tmp_path / "tiles",
            "--quiet")
    stale = tmp_path / "cat" / "catalogue.hats"
    stale.mkdir(parents=True)
    result = run_cli("catalogue", tmp_path / "tiles", "--out", tmp_path / "cat", "--no-known", "--hats")
    assert len(read_catalogue(tmp_path / "cat" / "catalogue.fits")) == 0
    assert "no HATS collection written" in result.stdout
    assert not stale.exists()


def test_beyond_hats_import_rows_hats_import_writes_the_same_collection(collection, tmp_path):
    from ringsky.config import conf
    from ringsky.catalogue.hats_collection import write_hats

    fits = read_catalogue(collection / "catalogue.fits")
    cards = {"MODELID": (fits.meta["MODELID"], "")}
    write_hats(fits, cards, tmp_path / "in-memory.hats")
    with conf.set_temp("hats_import_rows", len(fits) // 2):
        write_hats(fits, cards, tmp_path / "imported.hats")
    properties = (tmp_path / "imported.hats" / "ringsky" / "hats.properties").read_text()
    assert "hats_builder=hats-import" in properties
    assert f"ringsky_modelid={fits.meta['MODELID']}" in properties
    imported, in_memory = (lsdb.open_catalog(path).compute().sort_values(["healpix", "source_id"])
                           for path in (tmp_path / "imported.hats", tmp_path / "in-memory.hats"))
    assert imported.columns.tolist() == in_memory.columns.tolist()
    for name in imported.columns:
        assert list(imported[name].isna()) == list(in_memory[name].isna()), name
        assert list(imported[name].dropna()) == list(in_memory[name].dropna()), name
    assert any(path.name.endswith("arcs") for path in (tmp_path / "imported.hats").iterdir()), "no margin cache"
