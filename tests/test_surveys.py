"""Online sources and parent lists against the replay server on 127.0.0.1: the same protocol as
the simulated sky, recorded answers in each service's documented format, faults injected."""
import shutil
import socket
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from astropy.table import MaskedColumn, Table
from conftest import assert_one_line_error, config_home, run_cli
from replay_server import RECORDED, replay_server

from ringsky import net
from ringsky.config import conf
from ringsky.learn.models import load_classifier
from ringsky.sources.parents import SdssParents, TableParents, TractorParents, open_parents
from ringsky.pipeline.score import score_tiles
from ringsky.sources import open_source, pictures
from ringsky.sources.legacy import LegacySurvey, legacy_fits_to_rgb
from ringsky.sources.sdss import Sdss
from ringsky.tiles import Tile

TILE = Tile(32, 6812)


def recorded_parents():
    """The recorded Tractor answer as a user table: 24 galaxies of tile nside32-ipix06812."""
    from astropy.io.votable import parse_single_table

    return parse_single_table(RECORDED / "tap-tractor.xml").to_table()


@pytest.fixture
def parents_file(tmp_path):
    """Parents in two tiles: the recorded 24 in 6812 and 6 shifted into 6813."""
    table = recorded_parents()
    moved = table[:6].copy()
    centre = Tile(32, 6813).centre
    moved["ra"] = centre.ra.deg + np.linspace(-0.3, 0.3, 6)
    moved["dec"] = centre.dec.deg + np.linspace(-0.3, 0.3, 6)
    moved["ls_id"] += 1
    both = Table(np.concatenate([table.as_array(), moved.as_array()]))
    path = tmp_path / "parents.fits"
    both.write(path)
    return path


def test_tractor_parents_through_pyvo_tap(fast_network):
    parents = TractorParents()
    adql = parents.adql(TILE)
    assert "ls_dr10.tractor" in adql and "NOT IN ('PSF', 'DUP')" in adql and "CONTAINS(POINT('ICRS', ra, dec)" in adql
    with replay_server(script=["500", "html200"]) as server, conf.set_temp("tap_url", f"{server.url}/tap"):
        galaxies = parents.galaxies(TILE)
        assert len(server.log) == 3 and server.log[-1][0].endswith("/tap/sync")
        assert len(parents.galaxies(TILE)) == len(galaxies) and len(server.log) == 3  # cached per tile
    assert len(galaxies) == 24 and set(galaxies.colnames) >= {"id", "ra", "dec", "size"}
    assert galaxies["size"].unit == "arcsec" and np.all(TILE.owns(galaxies["ra"], galaxies["dec"]))


def test_sdss_parents_through_astroquery(fast_network):
    from astroquery.sdss import conf as sdss_conf

    parents = SdssParents()
    sql = parents.sql(TILE)
    assert "FROM Galaxy" in sql and "petroMag_r < 17.7" in sql and "ra BETWEEN" in sql
    with replay_server(script=["429"], retry_after="0") as server, \
            sdss_conf.set_temp("skyserver_baseurl", server.url):
        galaxies = parents.galaxies(TILE)
        assert "x_results.aspx" in server.log[-1][0] and len(server.log) == 2
    assert len(galaxies) == 24 and galaxies["id"][0] == "1237648720693755000"


def test_sdss_sql_box_wraps_at_ra_zero():
    from ringsky.tiles import tile_index

    sql = SdssParents().sql(Tile(32, int(tile_index([0.05], [10.0], 32)[0])))
    assert "ra >=" in sql and "OR ra <=" in sql


def test_user_table_parents_any_format(tmp_path):
    table = recorded_parents()
    for suffix in (".fits", ".vot", ".csv", ".parquet"):
        path = tmp_path / f"parents{suffix}"
        table.write(path, format="votable" if suffix == ".vot" else None)
        parents = TableParents(path)
        assert len(parents.galaxies(TILE)) == 24 and list(parents.footprint(32)) == [6812]
        assert np.allclose(parents.table["size"], table["shape_r"])


def test_bad_parents_are_one_clear_error(tmp_path):
    from ringsky import RingskyError

    (tmp_path / "nopos.csv").write_text("a,b\n1,2\n")
    with pytest.raises(RingskyError, match="lacks ra/dec"):
        TableParents(tmp_path / "nopos.csv")
    with pytest.raises(RingskyError, match="expected 'tractor'"):
        open_parents("nowhere.fits", "tractor")


def test_legacy_fits_request_and_colour_mapping(fast_network, parents_file):
    source = open_source("legacy", parents=str(parents_file))
    row = source.galaxies(TILE)[0]
    url, params = source.request(row, 64)
    assert url.endswith("/cutout.fits") and params["layer"] == "ls-dr10" and params["bands"] == "grz"
    assert params["size"] == "64" and float(params["pixscale"]) == pytest.approx(17 * row["size"] / 64, rel=1e-3)
    fixed = LegacySurvey(source.parents, layer="ls-dr10-grz", pixscale=0.262).request(row, 64)[1]
    assert fixed["pixscale"] == "0.2620" and fixed["layer"] == "ls-dr10-grz"


def test_legacy_fits_follow_the_band_cards(tmp_path):
    import io

    from astropy.io import fits
    from PIL import Image

    content = (RECORDED / "legacy-cutout-0.fits").read_bytes()
    rgb = legacy_fits_to_rgb(content)
    jpeg = np.asarray(Image.open(RECORDED / "legacy-cutout-0.jpg"))
    assert rgb.shape == (64, 64, 3) and np.abs(rgb.astype(int) - jpeg).mean() < 10  # JPEG noise only
    with fits.open(io.BytesIO(content)) as hdus:
        hdus[0].data = hdus[0].data[::-1].copy()
        hdus[0].header["BAND0"], hdus[0].header["BAND2"] = "z", "g"
        buffer = io.BytesIO()
        hdus.writeto(buffer)
    assert np.array_equal(legacy_fits_to_rgb(buffer.getvalue()), rgb)


@pytest.mark.parametrize("image_format", ["fits", "jpeg"])
def test_legacy_cutouts_through_the_protocol(fast_network, parents_file, image_format):
    with replay_server() as server, conf.set_temp("legacy_url", f"{server.url}/viewer"):
        source = open_source("legacy", parents=str(parents_file), image_format=image_format)
        galaxies = source.galaxies(TILE)
        images = source.cutouts(galaxies[:6], 48)
    assert images.shape == (6, 48, 48, 3) and images.dtype == np.uint8 and images.std() > 5
    suffix = "cutout.fits" if image_format == "fits" else "cutout.jpg"
    assert all(path.split("?")[0].endswith(suffix) for path, _ in server.log)


def test_a_survey_tile_is_scored_again_from_its_pack(fast_network, parents_file, small_model, tmp_path):
    classifier = load_classifier(small_model)

    def score(out):
        score_tiles([TILE], open_source("legacy", parents=str(parents_file)), classifier, out, progress=False)
        return _scores(out / f"{TILE.name}.parquet")

    with replay_server() as server, conf.set_temp("legacy_url", f"{server.url}/viewer"):
        first = score(tmp_path / "first")
        shutil.rmtree(fast_network / "http")  # the cached responses gone, only the tile pack is left
        fetched = len(server.log)
        assert fetched >= 24 and score(tmp_path / "again").equals(first) and len(server.log) == fetched
        parents = Table.read(parents_file)
        parents["shape_r"] *= 1.5  # new sizes, new fields of view: the pack no longer serves
        parents.write(parents_file, overwrite=True)
        score(tmp_path / "resized")
        assert len(server.log) == fetched + 24


def test_sdss_getjpeg(fast_network, parents_file):
    with replay_server() as server, conf.set_temp("skyserver_url", f"{server.url}/dr18/SkyServerWS"):
        source = Sdss(open_parents(str(parents_file), "sdss"))
        url, params = source.getjpeg_request(source.galaxies(TILE)[0], 32)
        assert url.endswith("/ImgCutout/getjpeg") and params["width"] == "64"  # getjpeg's smallest
        images = source.cutouts(source.galaxies(TILE)[:3], 32)
    assert images.shape == (3, 32, 32, 3)


def test_sdss_frame_cutout_is_five_bands(fast_network, tmp_path):
    """ugriz from frames: field lookup (SkyServer SQL) + one frame per band, cut with Cutout2D."""
    from astropy.io import fits
    from astropy.wcs import WCS

    from ringsky.sources import sdss

    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    wcs.wcs.crval, wcs.wcs.crpix, wcs.wcs.cdelt = [151.0, 1.0], [100, 100], [-0.396 / 3600, 0.396 / 3600]
    frame = np.random.default_rng(1).normal(size=(200, 200)).astype(np.float32)
    frame[95:105, 95:105] += 50
    fits.PrimaryHDU(frame, header=wcs.to_header()).writeto(tmp_path / "frame.fits")
    cut = sdss.cut_frame((tmp_path / "frame.fits").read_bytes(), 151.0, 1.0, 32, 0.396)
    assert cut.shape == (32, 32) and cut[14:18, 14:18].mean() > 20 and abs(cut[:5, :5].mean()) < 1
    assert sdss.frame_url("r", 756, 301, 3, 42).endswith("/301/756/3/frame-r-000756-3-0042.fits.bz2")


def test_sdss_ugriz_planes_come_from_five_frames(fast_network, parents_file):
    """5-channel pictures: one nearest-field lookup, one calibrated frame per band, cut and stretched."""
    from astroquery.sdss import conf as sdss_conf

    with replay_server() as server, sdss_conf.set_temp("skyserver_baseurl", server.url), \
            conf.set_temp("sdss_sas_url", f"{server.url}/sas/dr17/eboss/photoObj/frames"):
        source = Sdss(open_parents(str(parents_file), "sdss"), image_format="fits", pixscale=0.396)
        galaxy = source.galaxies(TILE)[:1]
        planes = pictures(source, galaxy, 32, "ugriz")[0]
        rgb = source.cutouts(galaxy, 32)[0]
    frames = sorted(path.split("/")[-1] for path, _ in server.log if ".fits.bz2" in path)
    assert frames == [f"frame-{band}-000756-3-0042.fits.bz2" for band in "giruz"]  # fetched once, cached
    assert planes.shape == (32, 32, 5) and rgb.shape == (32, 32, 3)
    centre, edge = planes[12:20, 12:20].mean(axis=(0, 1)), planes[:4, :4].mean(axis=(0, 1))
    assert np.all(centre > edge + 20), (centre, edge)  # the galaxy stands out in every band
    means = planes.mean(axis=(0, 1))
    assert len(set(np.round(means, 1).tolist())) == 5, means  # and each band shows it differently


def test_unknown_surveys_name_every_choice():
    from ringsky.sources import UnknownSourceError

    with pytest.raises(UnknownSourceError, match="legacy"):
        open_source("panstarrs")


def _scores(path):
    table = pq.read_table(path).to_pandas()
    return table.set_index("id")["probability"].sort_index()


def test_scoring_through_30_percent_faults_matches_a_fault_free_run(tmp_path, parents_file, small_model):
    """The issue's fault test: same results, retries observed, no corrupt cache entry. The
    fault-free reference is scored in this process (one tile, one batch: the same numbers)."""
    clean_env = {"RINGSKY_CACHE": str(tmp_path / "clean-cache")}
    faulty_env = {"RINGSKY_CACHE": str(tmp_path / "faulty-cache")}
    with replay_server() as server:
        env = {**clean_env, "XDG_CONFIG_HOME": str(config_home(tmp_path / "a", legacy_url=f"{server.url}/viewer"))}
        run_cli("score", "--tile", "nside=32:6812", "--survey", "legacy", "--parents", parents_file,
                "--model", small_model, "--scheduler", "none", "--out", tmp_path / "clean", "--quiet", env=env)
        assert not server.faults()
    with replay_server(fault_rate=0.3, seed=5, stall=1.0, retry_after="1") as server:
        env = {**faulty_env, "XDG_CONFIG_HOME": str(config_home(tmp_path / "b", legacy_url=f"{server.url}/viewer"))}
        run_cli("score", "--tile", "nside=32:6812", "--survey", "legacy", "--parents", parents_file,
                "--model", small_model, "--out", tmp_path / "faulty", "--quiet", env=env)
        faults = server.faults()
    assert len(faults) >= 3 and len(set(faults)) >= 3, faults
    name = "nside32-ipix06812.parquet"
    clean, faulty = _scores(tmp_path / "clean" / name), _scores(tmp_path / "faulty" / name)
    assert len(clean) == 24 and clean.equals(faulty)
    cached = list((tmp_path / "faulty-cache" / "http").rglob("*.fits"))
    assert len(cached) == 24
    for path in cached:
        net.validate(path.read_bytes(), "fits")


def test_unreachable_service_is_one_line_and_keeps_finished_tiles(tmp_path, parents_file, small_model):
    out = tmp_path / "tiles"
    with replay_server() as server:
        env = {"XDG_CONFIG_HOME": str(config_home(tmp_path, legacy_url=f"{server.url}/viewer", retries=1))}
        run_cli("score", "--tile", "nside=32:6812", "--survey", "legacy", "--parents", parents_file,
                "--model", small_model, "--scheduler", "none", "--out", out, "--quiet", env=env)
    finished = (out / "nside32-ipix06812.parquet").read_bytes()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {"XDG_CONFIG_HOME": str(config_home(tmp_path / "down", legacy_url=f"http://127.0.0.1:{port}/viewer",
                                              retries=1)),
           "RINGSKY_CACHE": str(tmp_path / "empty-cache")}
    result = run_cli("score", "--tile", "nside=32:6812-6813", "--survey", "legacy", "--parents", parents_file,
                     "--model", small_model, "--out", out, "--quiet", check=False, env=env)
    assert_one_line_error(result, 1, f"127.0.0.1:{port}", "after 2 attempts")
    assert (out / "nside32-ipix06812.parquet").read_bytes() == finished
    assert not (out / "nside32-ipix06813.parquet").exists()


def test_fetch_fills_the_cache_and_reports(tmp_path, parents_file):
    with replay_server(script=["500", "truncated"]) as server:
        env = {"XDG_CONFIG_HOME": str(config_home(tmp_path, legacy_url=f"{server.url}/viewer")),
               "RINGSKY_CACHE": str(tmp_path / "cache")}
        args = ("fetch", "--tile", "nside=32:6812-6813", "--survey", "legacy", "--parents", parents_file,
                "--npix", 64, "--quiet")
        first = run_cli(*args, env=env)
        second = run_cli(*args, env=env)
    assert "fetched 30 of 30 cutouts in 2 tiles (32 requests, 0 from cache, 2 retried, 0 failed)" in first.stdout
    assert "(0 requests, 30 from cache, 0 retried, 0 failed)" in second.stdout


def test_fetch_reports_failures_and_keeps_the_rest(tmp_path, parents_file):
    with replay_server(script=["html200"] * 2) as server:
        env = {"XDG_CONFIG_HOME": str(config_home(tmp_path, legacy_url=f"{server.url}/viewer", retries=1,
                                                  connections_per_host=1)),
               "RINGSKY_CACHE": str(tmp_path / "cache")}
        result = run_cli("fetch", "--tile", "nside=32:6812", "--survey", "legacy", "--parents", parents_file,
                         "--quiet", check=False, env=env)
    assert "fetched 23 of 24 cutouts" in result.stdout and "1 failed" in result.stdout
    assert_one_line_error(result, 1, "1 cutouts failed")
    assert len(list(Path(tmp_path / "cache" / "http").rglob("*.fits"))) == 23


@pytest.mark.parametrize("suffix, change, message", [
    (".fits", lambda t: t["ra"].__setitem__(3, 400.0), "row 4: position ra=400.0"),
    (".fits", lambda t: t["dec"].__setitem__(0, np.nan), "row 1: dec is missing"),
    (".parquet", lambda t: t["dec"].__setitem__(5, -91.0), "row 6: position"),
    (".fits", lambda t: t["ls_id"].__setitem__(2, t["ls_id"][1]), "row 3: id"),
])
def test_bad_rows_of_a_parent_table_are_one_error_naming_the_row(tmp_path, suffix, change, message):
    from ringsky import RingskyError

    table = recorded_parents()
    change(table)
    table.write(tmp_path / f"parents{suffix}")
    with pytest.raises(RingskyError, match="parent table ") as error:
        TableParents(tmp_path / f"parents{suffix}")
    assert message in str(error.value)


def test_a_parent_table_keeps_its_ids_as_text(tmp_path):
    (tmp_path / "parents.csv").write_text("id,ra,dec\n007,150.1,2.2\n1e3,150.2,2.3\n")
    assert list(TableParents(tmp_path / "parents.csv").table["id"]) == ["007", "1e3"]


def test_host_properties_travel_from_a_parent_table_into_the_tile_result(fast_network, parents_file, small_model,
                                                                          tmp_path):
    table = Table.read(parents_file)
    table["z"] = MaskedColumn(np.linspace(0.02, 0.08, len(table)), mask=np.arange(len(table)) % 5 == 0)
    table.write(parents_file, overwrite=True)
    with replay_server() as server, conf.set_temp("legacy_url", f"{server.url}/viewer"):
        score_tiles([TILE], open_source("legacy", parents=str(parents_file)), load_classifier(small_model),
                    tmp_path / "out", progress=False)
    result = pq.read_table(tmp_path / "out" / f"{TILE.name}.parquet").to_pydict()
    by_id = {str(i): row for i, row in zip(table["ls_id"], table)}
    for k, galaxy in enumerate(result["id"]):
        row = by_id[galaxy]
        assert result["redshift"][k] == (None if np.ma.is_masked(row["z"]) else pytest.approx(row["z"]))
        assert result["mag_r"][k] == pytest.approx(row["mag_r"]) and result["size"][k] == pytest.approx(row["shape_r"])
        assert result["mag_g"][k] is None and result["axis_ratio"][k] is None  # the table has neither: null, not 0
    assert any(z is None for z in result["redshift"]) and any(z is not None for z in result["redshift"])
    metadata = pq.read_schema(tmp_path / "out" / f"{TILE.name}.parquet").metadata
    assert metadata[b"ringsky.parents"] == b"the table parents.fits"


def test_tractor_parents_give_magnitudes_and_the_axis_ratio_from_the_ellipticity():
    from ringsky.sources.parents import axis_ratio

    assert "mag_g, mag_r, mag_z, shape_r, shape_e1, shape_e2" in TractorParents().adql(TILE)
    assert axis_ratio([0.0, 0.6], [0.0, 0.8]).tolist() == [1.0, 0.0]  # round, and a line
    assert axis_ratio([0.2], [0.0])[0] == pytest.approx(0.8 / 1.2)
    assert "petroMag_g, petroMag_r, petroMag_z, petroRad_r, expAB_r" in SdssParents().sql(TILE)
