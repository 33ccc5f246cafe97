"""HiPS cutouts checked against a HiPS written by an independent implementation
(``reproject.hips.reproject_to_hips``): pixel orientation, local folder and URL access, the
tile-aligned bulk path's request count, and the hips2fits per-galaxy request."""
import astropy.units as u
import numpy as np
import pytest
from astropy.table import Table
from astropy.wcs import WCS
from replay_server import replay_server

from ringsky import net
from ringsky.sources.hips import HipsSource, HipsTiles, deinterleave, pixel_grid, read_properties

CENTRE = (150.3, 2.1)


def reference_image():
    """An asymmetric picture (gradient, a bright bar, a dot) on a TAN grid at 1 arcsec/px."""
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    wcs.wcs.crval, wcs.wcs.crpix, wcs.wcs.cdelt = list(CENTRE), [200.5, 150.5], [-1 / 3600, 1 / 3600]
    y, x = np.mgrid[0:300, 0:400]
    image = (x / 400 + 2 * (y / 300) ** 2).astype(np.float32)
    image[100:120, 300:330] = 5
    image[200:206, 50:56] = 4
    return image, wcs


@pytest.fixture(scope="module")
def reference_hips(tmp_path_factory):
    pytest.importorskip("reproject", reason="reproject builds the reference HiPS (pip install reproject)")
    from pyavm import AVM
    from PIL import Image
    from reproject import reproject_interp
    from reproject.hips import reproject_to_hips

    root = tmp_path_factory.mktemp("hips")
    image, wcs = reference_image()
    grey = np.clip(image / image.max() * 255, 0, 255).astype(np.uint8)[::-1]  # PNG row 0 is the top
    Image.fromarray(np.stack([grey] * 3, axis=-1)).save(root / "plain.png")
    AVM.from_wcs(wcs, shape=image.shape).embed(str(root / "plain.png"), str(root / "sky.png"))
    reproject_to_hips(str(root / "sky.png"), coord_system_out="equatorial", reproject_function=reproject_interp,
                      output_directory=str(root / "hips"), tile_size=64)
    return root / "hips"


def test_deinterleave():
    x, y = deinterleave(np.array([0, 1, 2, 3, 0b1101]), 2)
    assert list(x) == [0, 1, 0, 1, 3] and list(y) == [0, 0, 1, 1, 2]


def test_properties_file(reference_hips):
    properties = read_properties((reference_hips / "properties").read_text())
    tiles = HipsTiles(reference_hips)
    assert properties["hips_tile_format"] == "png" and tiles.width == 64 and tiles.max_order == int(
        properties["hips_order"])


def test_samples_match_the_image_the_hips_was_built_from(reference_hips):
    image, wcs = reference_image()
    rows, columns = np.mgrid[40:260:5, 40:360:5]
    ra, dec = wcs.pixel_to_world_values(columns, rows)
    tiles = HipsTiles(reference_hips)
    sampled = tiles.sample(ra, dec, tiles.max_order)[..., 0].astype(float)
    expected = np.clip(image / image.max() * 255, 0, 255)[rows, columns]
    assert np.corrcoef(sampled.ravel(), expected.ravel())[0, 1] > 0.99


def test_cutout_is_north_up_east_left(reference_hips):
    image, wcs = reference_image()
    ra, dec = wcs.pixel_to_world_values(314.5, 109.5)  # the bright bar, east of nothing special
    source = HipsSource(None, str(reference_hips), pixscale=1.0)
    cut = source.cutouts(Table({"id": ["bar"], "ra": [float(ra)], "dec": [float(dec)]}), 64)[0, ..., 0]
    bar = cut > 200
    rows, columns = np.nonzero(bar)
    assert 15 * 25 < bar.sum() < 25 * 35  # the 20 x 30 px bar, at 1 arcsec/px
    assert np.ptp(columns) > np.ptp(rows)  # wider than tall: x stays x
    grid_ra, grid_dec = pixel_grid(float(ra), float(dec), 64.0, 64)
    assert grid_dec[0, 32] > grid_dec[-1, 32] and grid_ra[32, 0] > grid_ra[32, -1]


def test_url_hips_is_read_tile_aligned_with_few_requests(reference_hips, fast_network):
    image, wcs = reference_image()
    rng = np.random.default_rng(3)
    xs, ys = rng.uniform(60, 340, 40), rng.uniform(60, 240, 40)
    ra, dec = wcs.pixel_to_world_values(xs, ys)
    galaxies = Table({"id": [str(i) for i in range(40)], "ra": ra, "dec": dec})
    local = HipsSource(None, str(reference_hips), pixscale=1.0).cutouts(galaxies, 32)
    with replay_server(hips_root=reference_hips, script=["500"]) as server:
        before = net.stats["requests"]
        remote = HipsSource(None, f"{server.url}/hips", pixscale=1.0).cutouts(galaxies, 32)
        requests = net.stats["requests"] - before
    assert np.array_equal(local, remote)
    tiles = HipsTiles(reference_hips)
    order = tiles.order_for(1.0)
    touched = [set(tiles_under(tiles, float(r), float(d), order)) for r, d in zip(ra, dec)]
    assert requests == len(set().union(*touched)) + 2  # each HiPS tile once, properties, one retried 500
    assert requests < sum(len(t) for t in touched) / 2  # far fewer than fetching per galaxy


def tiles_under(tiles, ra, dec, order):
    from astropy_healpix import HEALPix

    grid_ra, grid_dec = pixel_grid(ra, dec, 32.0, 32)
    pixels = HEALPix(nside=2 ** (order + tiles.bits), order="nested")
    return np.unique(pixels.lonlat_to_healpix(grid_ra.ravel() * u.deg, grid_dec.ravel() * u.deg) >> (2 * tiles.bits))


def test_hips2fits_per_galaxy_request():
    source = HipsSource(None, "CDS/P/DESI-Legacy-Surveys/DR10/color")
    row = Table({"id": ["g"], "ra": [150.0], "dec": [2.0], "size": [5.0]})[0]
    url, params = source.hips2fits_request(row, 64)
    assert url.endswith("/hips2fits") and params["hips"] == "CDS/P/DESI-Legacy-Surveys/DR10/color"
    assert params["projection"] == "TAN" and params["width"] == "64" and params["format"] == "jpg"
    assert float(params["fov"]) == pytest.approx(17 * 5.0 / 3600, rel=1e-4)


def test_fits_only_hips_is_refused(tmp_path):
    from ringsky import RingskyError

    (tmp_path / "properties").write_text("hips_order = 3\nhips_tile_format = fits\n")
    with pytest.raises(RingskyError, match="no PNG/JPEG tiles"):
        HipsTiles(tmp_path)
