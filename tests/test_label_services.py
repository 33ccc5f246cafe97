"""Buta (2017) from VizieR and the Galaxy Zoo tables from their published locations, through
the HTTP layer against the replay server (recorded answers, injected faults)."""
import gzip
import io

import numpy as np
import pytest
from astropy.table import Table
from conftest import SHARED_DATA, config_home, run_cli
from replay_server import RECORDED, replay_server

from ringsky.labels.buta import read_table2_latex, read_table2_vizier, vizier_payload, vizier_type
from ringsky.labels.cvrhs import parse_cvrhs
from ringsky.labels.galaxyzoo import read_galaxy_zoo
from ringsky.config import conf
from ringsky.net import stats

BUTA_TEX = SHARED_DATA / "catalogues" / "buta2017_table2.tex"


@pytest.mark.parametrize("vizier, plain", [("(R_1_')SAB_a_(rs)0/a", "(R1')SAB_a(rs)0/a"),
                                           ("(R_2_')SAB(l)a", "(R2')SAB(l)a"), ("SB(r,bl)ab:", "SB(r,bl)ab:"),
                                           ("(R_1_R_2_')SB(r)0^+^", "(R1R2')SB(r)0+")])
def test_vizier_types_read_as_plain_types(vizier, plain):
    assert vizier_type(vizier) == plain


def test_buta_from_vizier_with_faults(fast_network):
    with replay_server(script=["500", "html200", "truncated"]) as server, \
            conf.set_temp("vizier_url", f"{server.url}/viz-bin/votable"):
        table = read_table2_vizier()
        assert server.faults() == ["500", "html200", "truncated"]
        assert server.posted[-1] == vizier_payload()  # astroquery's own request, sent as VizieR expects
        requests = stats["requests"]
        assert len(read_table2_vizier()) == len(table) == 30
        assert stats["requests"] == requests, "the second read came from the cache"
    assert table["name"][0] == "J07242070+4209004" and table["pgc"][0] == 2193308
    if BUTA_TEX.exists():
        latex = read_table2_latex(BUTA_TEX)[:30]
        assert list(table["name"]) == list(latex["name"])
        for ours, theirs in zip(table["cvrhs"], latex["cvrhs"]):
            # VizieR text cannot underline, so S[A]B reads as SAB and ([r]s) as (rs); the rest must agree
            a, b = (parse_cvrhs(t.replace("[", "").replace("]", "")) for t in (ours, theirs))
            assert (a.outer, a.inner, a.stage, a.has_ring) == (b.outer, b.inner, b.stage, b.has_ring), (ours, theirs)


def test_labels_buta_from_vizier_cli_reports_the_shortfall(tmp_path):
    with replay_server() as server:
        env = {"XDG_CONFIG_HOME": str(config_home(tmp_path, vizier_url=f"{server.url}/viz-bin/votable"))}
        result = run_cli("labels", "buta", "--source", "vizier", "--out", tmp_path / "buta.fits", env=env)
    assert "WARNING: 30 of the 3962 galaxies of Table 2 came back from vizier; 3932 are missing" in result.stdout
    table = Table.read(tmp_path / "buta.fits")
    assert len(table) == 30 and table.meta["SOURCE"] == "VizieR J/MNRAS/471/4027"
    assert {"ra", "dec", "has_ring", "outer_ring", "inner_variety", "family", "stage"} <= set(table.colnames)
    source = np.ma.filled(table["coord_source"], "").astype(str)
    assert list(table["name"][source == ""]) == ["IC 0472"]  # no J-name, and no HyperLEDA table given
    assert np.all(source[source != ""] == "jname")


def test_galaxy_zoo_tables_download_once_with_ring_votes(fast_network):
    with replay_server(script=["429", "truncated"]) as server, \
            conf.set_temp("gz2_url", f"{server.url}/gz2hart/gz2_hart16.csv.gz"), \
            conf.set_temp("gzdecals_url", f"{server.url}/records/4573248/files/gz_decals_volunteers_5.csv"):
        gz2 = read_galaxy_zoo("gz2")
        decals = read_galaxy_zoo("gzdecals")
        assert server.faults() == ["429", "truncated"]
        requests = stats["requests"]
        read_galaxy_zoo("gz2")
        assert stats["requests"] == requests
    published = Table.read(io.BytesIO(gzip.decompress((RECORDED / "gz2-hart16-sample.csv.gz").read_bytes())),
                           format="ascii.csv")
    assert np.all(gz2["votes"] == published["total_classifications"])
    assert np.allclose(gz2["ring_fraction"], published["t08_odd_feature_a19_ring_count"]
                       / published["total_classifications"])
    # unconditional: GZ2 asked about rings only after "something odd? yes"
    assert np.all(gz2["ring_fraction"] <= published["t08_odd_feature_a19_ring_fraction"] + 1e-9)
    assert gz2.meta["GZSCHEMA"] == "gz2" and decals.meta["GZSCHEMA"] == "gzdecals"
    assert np.allclose(decals["ring_fraction"], decals["rare-features_ring_fraction"], atol=1e-3)


def test_labels_build_from_published_tables(tmp_path):
    with replay_server() as server:
        env = {"XDG_CONFIG_HOME": str(config_home(tmp_path, vizier_url=f"{server.url}/viz-bin/votable",
                                                  gz2_url=f"{server.url}/gz2_hart16.csv.gz"))}
        run_cli("labels", "buta", "--source", "vizier", "--out", tmp_path / "buta.fits", env=env)
        result = run_cli("labels", "build", "--buta", tmp_path / "buta.fits", "--zoo", "gz2", "--min-votes", 20,
                         "--max-ring-fraction", 0.05, "--out", tmp_path / "train.fits", env=env)
    table = Table.read(tmp_path / "train.fits")
    gz2 = Table.read(io.BytesIO(gzip.decompress((RECORDED / "gz2-hart16-sample.csv.gz").read_bytes())),
                     format="ascii.csv")
    vetted = (gz2["total_classifications"] >= 20) & (
        gz2["t08_odd_feature_a19_ring_count"] / gz2["total_classifications"] <= 0.05)
    vetted[:10] = False  # the rows at Buta galaxies' positions are never negatives
    assert int((table["label"] == 0).sum()) == int(vetted.sum()) > 0
    buta = Table.read(tmp_path / "buta.fits")
    with_position = np.ma.filled(buta["coord_source"], "").astype(str) != ""
    assert int((table["label"] == 1).sum()) == int((buta["has_ring"] & with_position).sum()) >= 25
    assert "training table" in result.stdout
