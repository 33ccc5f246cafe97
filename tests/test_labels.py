"""Buta (2017) Table 2 from LaTeX, J-name positions, and the positional crossmatch."""
import json
import re

import astropy.units as u
import numpy as np
import pytest
from astropy.table import Table
from conftest import SHARED_DATA, assert_one_line_error, run_cli

from ringsky.labels.buta import position_from_name
from ringsky.labels.crossmatch import counts_within, match, nearest, skycoord

CATALOGUES = SHARED_DATA / "catalogues"
needs_catalogues = pytest.mark.skipif(not (CATALOGUES / "buta2017_table2.tex").exists(),
                                      reason=f"Buta (2017) table not found in {CATALOGUES} (../shared/data absent)")


@pytest.mark.parametrize("name, ra, dec", [
    ("J07242070+4209004", (7 + 24 / 60 + 20.70 / 3600) * 15, 42 + 9 / 60 + 0.4 / 3600),  # 2MASX
    ("J074118.53+341347.6", (7 + 41 / 60 + 18.53 / 3600) * 15, 34 + 13 / 60 + 47.6 / 3600),  # SDSS
    ("J001655.18-002739.1", 4.229917, -0.460861),  # as parsed in the shared gz-decals-rings table
])
def test_positions_from_j_names(name, ra, dec):
    assert position_from_name(name) == pytest.approx((ra, dec), abs=2e-6)


def test_other_names_have_no_position():
    assert position_from_name("UGC 04000") is None and position_from_name("J0724+42") is None


def test_crossmatch_counts_by_radius():
    ours = Table({"ra": [10.0, 20.0, 30.0, 40.0, np.nan], "dec": [0.0, 0.0, 0.0, 0.0, 0.0]})
    offsets = np.array([0.5, 1.5, 3.0, 10.0]) / 3600
    theirs = Table({"ra": [10.0, 20.0, 30.0, 40.0] + offsets, "dec": [0.0] * 4})
    index, separation = nearest(skycoord(ours), skycoord(theirs))
    assert list(index) == [0, 1, 2, 3, -1]
    assert separation[:4].to_value(u.arcsec) == pytest.approx([0.5, 1.5, 3.0, 10.0], rel=1e-6)
    assert counts_within(separation) == {"1arcsec": 1, "2arcsec": 2, "5arcsec": 3}
    assert list(match(skycoord(ours), skycoord(theirs))[0]) == [0, 1, -1, -1, -1]


@needs_catalogues
def test_buta_table_is_read_whole(tmp_path):
    result = run_cli("labels", "buta", "--source", CATALOGUES / "buta2017_table2.tex", "--out", tmp_path / "buta.fits")
    assert "3962 galaxies read" in result.stdout
    table = Table.read(tmp_path / "buta.fits")
    assert len(table) == 3962 and len(set(table["gz2_image"].compressed())) > 3900
    first = table[0]
    assert (first["name"], first["pgc"], first["gz2_image"], first["cvrhs"]) == (
        "J07242070+4209004", 2193308, 108110, "SB(r,bl)ab:")
    assert first["notes"] == "poorly resolved; (r) dark-spacer; strong bar"  # ditto rows folded in
    assert first["has_ring"] and first["inner_ring"] and first["barlens"]
    sources = np.asarray(table["coord_source"]).astype(str)
    assert (sources != "").sum() > 3900 and (sources == "jname").sum() > 2900
    assert int(table["has_ring"].sum()) + int(table["lens_only"].sum()) <= 3962
    assert np.nanmedian(table["sep_hyperleda"].filled(np.nan)) < 1.0  # independent positions agree
    ra, dec = position_from_name("J07242070+4209004")
    assert (first["ra"], first["dec"]) == pytest.approx((ra, dec))


@needs_catalogues
def test_crossmatch_with_the_shared_galaxy_zoo_tables(tmp_path):
    run_cli("labels", "buta", "--source", CATALOGUES / "buta2017_table2.tex", "--out", tmp_path / "buta.parquet")
    result = run_cli("labels", "crossmatch", "--buta", tmp_path / "buta.parquet",
                     "--gz2", CATALOGUES / "buta2017_gz2_matched.csv",
                     "--gzdecals", CATALOGUES / "buta2017_gzdecals5_matched.csv", "--out", tmp_path / "x")
    report = json.loads((tmp_path / "x" / "crossmatch.json").read_text())
    gz2 = report["gz2"]["buta_matched_within"]
    assert gz2["1arcsec"] <= gz2["2arcsec"] <= gz2["5arcsec"] <= 3408
    assert gz2["2arcsec"] > 3200  # the name-joined GZ2 rows are nearly all recovered by position
    matched = Table.read(tmp_path / "x" / "buta_x_gz2.fits")
    circular = np.asarray(matched["coord_source"]).astype(str) == "gz2"
    assert circular.sum() > 0 and np.all(matched["gz2_index"][circular] == -1)
    # the seed's name joins, checked on the sky: nearly every joined row sits at a Buta position
    for label, rows in (("gz2", 3408), ("gzdecals", 1239)):
        found = report[label]
        assert found["rows"] == rows and found["rows_near_buta"] + found["rows_over_5arcsec_from_buta"] <= rows
        assert found["rows_near_buta"] > 0.99 * rows > 0 < found["rows_over_5arcsec_from_buta"] < 0.01 * rows
    assert "of its 1239 rows, " in result.stdout
    assert (tmp_path / "x" / "separations.png").read_bytes()[:4] == b"\x89PNG"


def test_labels_errors_are_one_line(tmp_path):
    result = run_cli("labels", "buta", "--source", tmp_path / "none.tex", "--out", tmp_path / "b.fits", check=False)
    assert_one_line_error(result, 1, "Buta table not found")
    (tmp_path / "t.tex").write_text("x & y \\\\\n")
    result = run_cli("labels", "buta", "--source", tmp_path / "t.tex", "--out", tmp_path / "b.csv", check=False)
    assert_one_line_error(result, 1)


@pytest.mark.parametrize("content, fragment", [
    (b"", "holds no row of Buta (2017) Table 2"),
    (b"hello world\n", "holds no row of Buta (2017) Table 2"),
    (b"\\begin{table}\n\\end{table}\n", "holds no row of Buta (2017) Table 2"),
    (bytes(range(128, 256)) * 8, "as LaTeX text"),
    (b"\\begin{tabular}{ll}\nNGC 1 & (R)SA(r)0 \\\\\n\\end{tabular}\n", "junk.tex:2: cannot read this row"),
    (b"{\\bf no RA here} & x \\\\\n", "junk.tex:1: cannot read this row"),
    (b"\" & a ditto row with nothing above \\\\\n", "junk.tex:1: cannot read this row"),
])
def test_labels_buta_on_a_file_that_is_not_table_2_is_one_line(tmp_path, content, fragment):
    (tmp_path / "junk.tex").write_bytes(content)
    result = run_cli("labels", "buta", "--source", tmp_path / "junk.tex", "--out", tmp_path / "buta.fits",
                     check=False)
    assert_one_line_error(result, 1, fragment)
    assert not (tmp_path / "buta.fits").exists()


def test_ring_flags_decode_into_types_and_vetted_negatives(tmp_path):
    from ringsky.labels.ringflags import read_ring_flags

    (tmp_path / "flags.csv").write_text("objid,ra,dec,z,ring_flags\n0012,10,1,0.02,0\n2,11,1,0.03,2\n3,12,1,0.03,4\n"
                                        "4,13,1,0.03,8\n5,14,1,0.03,12\n6,15,1,0.03,16\n")
    table = read_ring_flags(tmp_path / "flags.csv")
    assert list(table["id"]) == ["0012", "2", "3", "4", "5", "6"]
    assert list(table["ring_type"]) == ["none", "nuclear", "inner", "outer", "inner+outer", "pseudo"]
    assert list(table["has_ring"]) == [False, True, True, True, True, True]
    assert list(table["inner_ring"]) == [False, False, True, False, True, False]


@pytest.mark.parametrize("row, message", [("1,10,1,0.02,1", "ring_flags 1 holds bits outside"),
                                          ("1,10,1,0.02,-4", "ring_flags -4 holds bits outside"),
                                          ("1,10,95,0.02,0", "line 2: position")])
def test_bad_ring_flags_are_one_line(tmp_path, row, message):
    (tmp_path / "flags.csv").write_text("objid,ra,dec,z,ring_flags\n" + row + "\n")
    result = run_cli("labels", "flags", "--flags", tmp_path / "flags.csv", "--out", tmp_path / "t.fits", check=False)
    assert_one_line_error(result, 1, message)


@pytest.mark.skipif(not (CATALOGUES / "sdss_ring_flags.csv").exists(), reason="../shared/data is absent")
def test_labels_flags_builds_a_split_training_table_that_is_also_a_parent_list(tmp_path):
    from ringsky.sources.parents import TableParents

    result = run_cli("labels", "flags", "--flags", CATALOGUES / "sdss_ring_flags.csv", "--out", tmp_path / "t.fits")
    assert "8527 galaxies (1868 rings, 6659 vetted non-rings), 1 duplicates dropped" in result.stdout
    table = Table.read(tmp_path / "t.fits")
    kinds = {k: int((table["ring_type"] == k).sum()) for k in set(table["ring_type"])}
    assert kinds == {"none": 6659, "nuclear": 111, "inner": 857, "outer": 186, "inner+outer": 372, "pseudo": 342}
    for split in ("train", "validation", "test"):  # every split holds rings and vetted non-rings
        assert set(table["label"][table["split"] == split]) == {0, 1}
    assert len(set(table["id"])) == len(table)
    assert len(TableParents(tmp_path / "t.fits").table) == len(table)


@pytest.mark.skipif(not (CATALOGUES / "sdss_ring_flags.csv").exists(), reason="../shared/data is absent")
def test_ring_flags_and_buta_agree_or_disagree_galaxy_by_galaxy(tmp_path):
    run_cli("labels", "buta", "--source", CATALOGUES / "buta2017_table2.tex", "--out", tmp_path / "buta.fits")
    result = run_cli("labels", "agreement", "--flags", CATALOGUES / "sdss_ring_flags.csv", "--buta",
                     tmp_path / "buta.fits", "--out", tmp_path / "agree")
    rows = {line.split(" | ")[0].strip("| "): [int(v) for v in line.strip(" |").split(" | ")[1:]]
            for line in (tmp_path / "agree" / "agreement.md").read_text().splitlines()
            if line.startswith("| ") and line.split(" | ")[1].strip().isdigit()}
    shared = int(re.search(r"(\d+) galaxies in both", result.stdout).group(1))
    assert shared > 100 and all(sum(counts) == shared for counts in rows.values())
    hard = Table.read(tmp_path / "agree" / "disagreements.fits")
    assert len(hard) == rows["any ring"][1] + rows["any ring"][2]  # flags only + Buta only
    assert (hard["separation_arcsec"] <= 3).all()
    assert ((hard["ring_flags"] == 0) == (hard["flags_ring_type"] == "none")).all()


def test_ring_flags_against_galaxy_zoo_votes_per_ring_type(tmp_path):
    # votes, ring votes, flags: agree on a ring, two hard cases, agree on none, two uncertain (few votes, 0.25)
    rows = [(40, 30, 4), (40, 30, 0), (40, 1, 8), (40, 1, 0), (10, 9, 12), (40, 10, 0)]
    zoo = Table({"ra": [150 + 0.01 * k for k in range(6)], "dec": [2.0] * 6,
                 "total_classifications": [r[0] for r in rows], "t08_odd_feature_a19_ring_count": [r[1] for r in rows]})
    zoo.write(tmp_path / "gz2.fits")
    flags = "objid,ra,dec,ring_flags\n" + "\n".join(f"{k},{150 + 0.01 * k + 1e-4},2.0,{r[2]}" for k, r in enumerate(rows))
    (tmp_path / "flags.csv").write_text(flags + "\n7,151,3,4\n")  # the last is in no Galaxy Zoo table
    result = run_cli("labels", "agreement", "--flags", tmp_path / "flags.csv", "--zoo", f"gz2={tmp_path / 'gz2.fits'}",
                     "--out", tmp_path / "agree")
    text = (tmp_path / "agree" / "agreement.md").read_text()
    assert "6 galaxies in both" in text and "ring: >= 20 votes and >= 0.5" in text
    assert "| any ring | 3 | 1 | 1 | 1 |" in text and "| none | 3 | 1 | 1 | 1 |" in text
    assert "| inner | 1 | 1 | 0 | 0 |" in text and "| inner+outer | 1 | 0 | 0 | 1 |" in text
    hard = Table.read(tmp_path / "agree" / "disagreements_gz2.fits")
    assert sorted(hard["id"]) == ["1", "2"] and list(hard["zoo_verdict"][np.argsort(hard["id"])]) == ["ring", "not ring"]
    assert "2 with gz2" in result.stdout
    assert_one_line_error(run_cli("labels", "agreement", "--flags", tmp_path / "flags.csv", "--out", tmp_path / "x",
                                  check=False), 2, "--buta, --zoo or both")


@pytest.mark.skipif(not (CATALOGUES / "sdss_ring_flags.csv").exists(), reason="../shared/data is absent")
def test_the_flags_builder_marks_or_drops_what_buta_disagrees_with_and_keeps_it_apart(tmp_path):
    run_cli("labels", "buta", "--source", CATALOGUES / "buta2017_table2.tex", "--out", tmp_path / "buta.fits")
    flags = ("labels", "flags", "--flags", CATALOGUES / "sdss_ring_flags.csv", "--buta", tmp_path / "buta.fits")
    marked = run_cli(*flags, "--out", tmp_path / "marked.fits")
    table, hard = Table.read(tmp_path / "marked.fits"), Table.read(tmp_path / "marked-disagreements.fits")
    assert len(table) == 8527 and table["disagrees"].sum() == len(hard) > 0
    assert set(hard["id"]) == set(table["id"][table["disagrees"]]) and (hard["buta_name"] != "").all()
    assert f"{len(hard)} galaxies where Buta (2017) disagrees (marked" in marked.stdout
    run_cli(*flags, "--disagreements", "drop", "--out", tmp_path / "dropped.fits")
    dropped = Table.read(tmp_path / "dropped.fits")
    assert len(dropped) == len(table) - len(hard) and not set(dropped["id"]) & set(hard["id"])
    assert list(dropped["split"]) == list(table["split"][~table["disagrees"]])  # the split is made before the drop
    refused = run_cli("labels", "flags", "--flags", CATALOGUES / "sdss_ring_flags.csv", "--disagreements", "drop",
                      "--out", tmp_path / "x.fits", check=False)
    assert_one_line_error(refused, 2, "needs --buta")
