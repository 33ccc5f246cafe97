"""Scoring tiles and merging them into FITS / VOTable / MOC, checked with the real STILTS."""
import subprocess
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from astropy.io import fits
from astropy.io.votable import parse_single_table
from astropy.table import Table, vstack
from conftest import require_tool, run_cli
from mocpy import MOC

from ringsky.catalogue.files import compact_ranges, iau_names
from ringsky.hosts import HOST_COLUMNS
from ringsky.sources.simulated import DEFAULT_FOOTPRINT

TILE = DEFAULT_FOOTPRINT[0]
SUBTILES = f"nside=128:{TILE * 16}-{TILE * 16 + 3}"  # four small tiles, ~84 galaxies


@pytest.fixture(scope="module")
def scored(tmp_path_factory, small_model):
    """Four tiles scored in this process; the rerun test below also goes through a LocalCluster."""
    root = tmp_path_factory.mktemp("scored")
    run_cli("score", "--tile", SUBTILES, "--survey", "sim", "--model", small_model, "--scheduler", "none",
            "--out", root / "tiles", "--quiet")
    run_cli("catalogue", root / "tiles", "--out", root / "cat", "--quiet")
    return root


def test_iau_names_truncate():
    names = iau_names([10.684583, 359.9999999, 150.0], [41.269167, -0.5, 2.0000001])
    assert names == ["RSKY J004244.29+411609.0", "RSKY J235959.99-003000.0", "RSKY J100000.00+020000.0"]


def test_compact_ranges():
    assert compact_ranges([7, 1, 2, 3, 9, 10]) == "1-3,7,9-10"


def test_one_parquet_per_tile_with_provenance(scored):
    paths = sorted((scored / "tiles").glob("*.parquet"))
    assert [p.name for p in paths] == [f"nside128-ipix{TILE * 16 + k:06d}.parquet" for k in range(4)]
    table = pq.read_table(paths[0])
    assert table.column_names == ["id", "ra", "dec", "healpix_nside", "healpix_ipix", "probability", "model_id",
                                  *HOST_COLUMNS]
    assert table.schema.metadata[b"ringsky.survey"] == b"sim"
    assert table.schema.metadata[b"ringsky.parents"].startswith(b"the simulated sky's truth")
    assert not list((scored / "tiles").glob(".*"))  # no temporary files left behind


def test_rerun_skips_finished_tiles_and_force_redoes_them(scored, small_model):
    path = sorted((scored / "tiles").glob("*.parquet"))[0]
    before = path.stat().st_mtime_ns
    result = run_cli("score", "--tile", SUBTILES, "--model", small_model, "--out", scored / "tiles", "--quiet")
    assert "skipped 4 finished" in result.stdout and "in this process" in result.stdout  # the default path
    assert path.stat().st_mtime_ns == before
    result = run_cli("score", "--tile", f"nside=128:{TILE * 16}", "--model", small_model, "--out",
                     scored / "tiles", "--force", "--scheduler", "local", "--workers", 1, "--quiet")
    assert "scored 1 tiles" in result.stdout and "LocalCluster" in result.stdout
    assert path.stat().st_mtime_ns != before


def test_fits_catalogue_has_units_ucds_and_provenance(scored):
    with fits.open(scored / "cat" / "catalogue.fits") as hdul:
        header = hdul[1].header
        ucds = {header[f"TTYPE{i}"]: header[f"TUCD{i}"] for i in range(1, header["TFIELDS"] + 1)}
        assert ucds["ra"] == "pos.eq.ra;meta.main" and ucds["name"] == "meta.id;meta.main"
        assert ucds["ring_probability"] == "stat.probability" and ucds["healpix"] == "pos.healpix"
        assert header["HPXNSIDE"] == 128 and header["HPXORDER"] == "NESTED" and header["RADESYS"] == "ICRS"
        assert header["TILES"] == f"nside=128:{TILE * 16}-{TILE * 16 + 3}"
        for key in ("MODELID", "THRESH", "SURVEY", "RSKYVER", "DATE"):
            assert key in header
    table = Table.read(scored / "cat" / "catalogue.fits")
    assert table["ra"].unit == "deg" and len(table) > 20
    assert np.array_equal(table["ring_flag"], table["ring_probability"] >= table.meta["THRESH"])
    assert all(name.startswith("RSKY J") for name in table["name"])


def test_host_properties_come_from_the_parent_list_with_units_and_ucds_and_unknown_ones_masked(scored):
    from ringsky.sources.simulated import SimulatedSky
    from ringsky.tiles import parse_tile_spec

    sky = SimulatedSky()
    truth = vstack([sky.galaxies(tile) for tile in parse_tile_spec(SUBTILES).resolve(sky.footprint)])
    table = Table.read(scored / "cat" / "catalogue.fits")
    rows = {str(i): k for k, i in enumerate(truth["id"])}
    order = [rows[str(i)] for i in table["source_id"]]
    for name in ("mag_g", "mag_r", "mag_z", "axis_ratio"):
        assert np.allclose(table[name], truth[name][order]) and not np.ma.getmaskarray(table[name]).any()
    assert np.allclose(table["size"], truth["half_light_radius"][order])
    assert np.ma.getmaskarray(table["redshift"]).all()  # the simulated sky has no redshifts: masked, not 0
    assert str(table["mag_r"].unit) == "mag" and str(table["size"].unit) == "arcsec"
    assert table.meta["PARENTS"].startswith("the simulated sky's truth")
    votable = parse_single_table(scored / "cat" / "catalogue.vot")
    fields = {f.name: f for f in votable.fields}
    for name, (unit, ucd, _, _) in HOST_COLUMNS.items():
        assert fields[name].ucd == ucd and (str(fields[name].unit) == unit if unit else fields[name].unit is None)
    assert np.ma.getmaskarray(votable.array["redshift"]).all()


def test_votable_fields_and_provenance(scored):
    votable = parse_single_table(scored / "cat" / "catalogue.vot")
    fields = {f.name: f for f in votable.fields}
    assert fields["dec"].ucd == "pos.eq.dec;meta.main" and str(fields["dec"].unit) == "deg"
    assert {p.name for p in votable.params} == {"THRESH", "HPXNSIDE"}
    assert len(votable.array) == len(Table.read(scored / "cat" / "catalogue.fits"))


def test_a_model_with_crossval_figures_states_its_expected_precision(tmp_path, small_model):
    import json
    import shutil

    model = tmp_path / "validated.json"
    shutil.copy(small_model.with_suffix(".safetensors"), model.with_suffix(".safetensors"))
    config = json.loads(small_model.read_text())
    config["metrics"]["crossval"] = {"expected_precision": 0.42, "ring_fraction": 0.1}
    model.write_text(json.dumps(config))
    run_cli("score", "--tile", f"nside=128:{TILE * 16}", "--survey", "sim", "--model", model, "--scheduler", "none",
            "--out", tmp_path / "tiles", "--quiet")
    run_cli("catalogue", tmp_path / "tiles", "--out", tmp_path / "cat", "--quiet")
    header = fits.getheader(tmp_path / "cat" / "catalogue.fits", 1)
    assert (header["EXPPREC"], header["EXPRFRAC"]) == (0.42, 0.1)
    params = {p.name: p.value for p in parse_single_table(tmp_path / "cat" / "catalogue.vot").params}
    assert (params["EXPPREC"], params["EXPRFRAC"]) == (0.42, 0.1)


def test_moc_is_the_tiles_searched(scored):
    moc = MOC.from_fits(scored / "cat" / "coverage.moc.fits")
    assert moc.sky_fraction == pytest.approx(4 / (12 * 128**2))


def test_stilts_votlint_finds_nothing_to_report(scored):
    stilts = require_tool("stilts")
    result = subprocess.run([stilts, "votlint", f"votable={scored / 'cat' / 'catalogue.vot'}"],
                            capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "" and result.stderr.strip() == "", result.stdout + result.stderr


def test_stilts_votlint_does_report_a_broken_votable(tmp_path, scored):
    """The check above can fail: votlint exits 0 on errors, but it does print them."""
    stilts = require_tool("stilts")
    broken = tmp_path / "broken.vot"
    text = (scored / "cat" / "catalogue.vot").read_text().replace('datatype="double"', 'datatype="doubble"', 1)
    broken.write_text(text)
    result = subprocess.run([stilts, "votlint", f"votable={broken}"], capture_output=True, text=True, timeout=120)
    assert "doubble" in result.stdout + result.stderr


def test_stilts_reads_units_and_ucds_from_fits(scored):
    stilts = require_tool("stilts")
    result = subprocess.run([stilts, "tpipe", f"in={scored / 'cat' / 'catalogue.fits'}", "cmd=meta"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    for text in ("pos.eq.ra;meta.main", "pos.eq.dec;meta.main", "meta.id;meta.main", "stat.probability",
                 "pos.healpix", "deg", "MODELID", "PARENTS", "mag", "arcsec",
                 *(ucd for _, ucd, _, _ in HOST_COLUMNS.values())):
        assert text in result.stdout


def test_the_catalogue_files_are_replaced_as_a_set_or_not_at_all(tmp_path, scored):
    """A write limit (RLIMIT_FSIZE, as a full disk would) that the new FITS file fits under and
    the new VOTable does not: the old FITS, VOTable and MOC all stay as they were."""
    import resource
    import shutil
    import signal
    import subprocess
    import sys

    from conftest import REPO, assert_one_line_error

    shutil.copytree(scored / "tiles", tmp_path / "tiles")
    first = sorted((tmp_path / "tiles").glob("*.parquet"))[0]
    moved = tmp_path / "later" / first.name
    moved.parent.mkdir()
    first.rename(moved)
    run_cli("catalogue", tmp_path / "tiles", "--out", tmp_path / "cat")  # the old set, three tiles
    old = {p.name: p.read_bytes() for p in (tmp_path / "cat").iterdir()}
    moved.rename(first)  # the new set has four tiles
    run_cli("catalogue", tmp_path / "tiles", "--out", tmp_path / "unlimited")
    fits_size = (tmp_path / "unlimited" / "catalogue.fits").stat().st_size
    assert (tmp_path / "unlimited" / "catalogue.vot").stat().st_size > fits_size + 2880

    def limited():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (fits_size + 2880, fits_size + 2880))

    result = subprocess.run([sys.executable, "-m", "ringsky.cli", "catalogue", str(tmp_path / "tiles"), "--out",
                             str(tmp_path / "cat")], cwd=REPO, capture_output=True, text=True, preexec_fn=limited)
    assert_one_line_error(result, 1, "catalogue.vot")
    assert {p.name: p.read_bytes() for p in (tmp_path / "cat").iterdir()} == old


def test_cross_identifications_name_the_nearest_counterpart_its_separation_and_ring_type(scored, tmp_path):
    table = Table.read(scored / "cat" / "catalogue.fits")
    near = table[:4]
    offsets = np.array([1.0, 2.5, 4.0, 8.0]) / 3600  # the last is beyond the 5" radius
    flags = Table({"objid": [f"77{k}" for k in range(4)], "ra": np.asarray(near["ra"]),
                   "dec": np.asarray(near["dec"]) + offsets, "ring_flags": [4, 8, 0, 12]})
    flags.write(tmp_path / "flags.csv", format="ascii.csv")
    others = Table({"ID": ["a", "b"], "RA": [float(near["ra"][1]), 10.0], "DEC": [float(near["dec"][1]), -5.0]})
    others.write(tmp_path / "others.fits")
    result = run_cli("catalogue", scored / "tiles", "--out", tmp_path / "cat", "--no-known", "--match",
                     f"mine={tmp_path / 'flags.csv'}", "--match", f"theirs={tmp_path / 'others.fits'}")
    assert "3 in mine, 1 in theirs" in result.stdout
    crossed = Table.read(tmp_path / "cat" / "catalogue.fits")
    rows = {str(i): k for k, i in enumerate(crossed["source_id"])}
    for k, (ident, kind) in enumerate([("770", "inner"), ("771", "outer"), ("772", "none"), ("", "")]):
        row = crossed[rows[str(near["source_id"][k])]]
        if ident:
            assert (row["mine_id"], row["mine_type"]) == (ident, kind)
        else:  # no counterpart: empty text in the file, masked when astropy reads it back
            assert np.ma.is_masked(row["mine_id"]) and np.ma.is_masked(row["mine_type"])
        assert np.ma.is_masked(row["mine_sep"]) if not ident else row["mine_sep"] == pytest.approx(offsets[k] * 3600,
                                                                                                  abs=0.01)
    assert (~np.ma.getmaskarray(crossed["theirs_id"])).sum() == 1 and "theirs_type" not in crossed.colnames
    assert crossed.meta["CROSSIDS"] == "mine=flags.csv, theirs=others.fits"
    fields = {f.name: f for f in parse_single_table(tmp_path / "cat" / "catalogue.vot").fields}
    assert fields["mine_id"].ucd == "meta.id.cross" and fields["mine_sep"].ucd == "pos.angDistance"
    assert str(fields["mine_sep"].unit) == "arcsec" and fields["mine_type"].ucd == "src.morph.type"
    bad = run_cli("catalogue", scored / "tiles", "--out", tmp_path / "x", "--match", "1st=nowhere.csv", check=False)
    assert bad.returncode == 1 and "expected NAME=TABLE" in bad.stderr and not (tmp_path / "x").exists()


@pytest.mark.skipif(not (Path(__file__).resolve().parents[2] / "shared" / "data" / "catalogues").is_dir(),
                    reason="../shared/data is absent")
def test_the_known_ring_catalogues_are_cross_identified_by_default(scored):
    table = Table.read(scored / "cat" / "catalogue.fits")
    for name in ("buta2017", "ringflags", "shan2024", "krishnakumar2024"):
        assert f"{name}_id" in table.colnames and f"{name}_sep" in table.colnames
    assert "buta2017_type" in table.colnames and "ringflags_type" in table.colnames
    assert "buta2017=buta2017_table2.tex" in table.meta["CROSSIDS"]
