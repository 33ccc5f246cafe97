import numpy as np

from ringsky.imaging import grz_to_rgb, load_rgb, resize_rgb, to_model_input, write_png


def test_empty_sky_maps_to_the_surveys_grey_background():
    # I = 0.03 in every plane -> asinh(20 * 0.03) / sqrt(20) = 0.1272 -> 32 of 255
    rgb = grz_to_rgb(np.zeros((3, 4, 4)))
    assert rgb.shape == (4, 4, 3) and rgb.dtype == np.uint8
    assert np.all(rgb == 32)


def test_band_to_plane_assignment_follows_the_legacy_surveys():
    only_g = np.zeros((3, 1, 1))
    only_g[0] = 0.05
    only_z = np.zeros((3, 1, 1))
    only_z[2] = 0.05
    blue, red = grz_to_rgb(only_g)[0, 0], grz_to_rgb(only_z)[0, 0]
    assert blue[2] > blue[0] and blue[2] > blue[1]  # g drives the blue plane
    assert red[0] > red[1] and red[0] > red[2]  # z drives the red plane


def test_brighter_flux_is_brighter_and_saturates_at_white():
    levels = [grz_to_rgb(np.full((3, 1, 1), f))[0, 0].sum() for f in (0.01, 0.1, 1.0, 100.0)]
    assert levels == sorted(levels)
    assert levels[-1] == 3 * 255


def test_batches_map_like_single_images():
    rng = np.random.default_rng(1)
    batch = rng.normal(0, 0.05, (5, 3, 8, 8))
    assert np.array_equal(grz_to_rgb(batch)[3], grz_to_rgb(batch[3]))


def test_resize_and_model_input_shapes():
    image = np.random.default_rng(0).integers(0, 256, (50, 50, 3), dtype=np.uint8)
    small = resize_rgb(image, 16)
    assert small.shape == (16, 16, 3)
    x = to_model_input(np.stack([small, small]), channels=3)
    assert x.shape == (2, 3, 16, 16) and x.dtype == np.float32
    grey = to_model_input(small[None], channels=1, mean=0.0, std=1.0)
    assert grey.shape == (1, 1, 16, 16)
    assert np.allclose(grey[0, 0], small.mean(axis=-1) / 255, atol=1e-6)


def test_cutout_pngs_are_stored_without_deflate_and_read_back_exactly(tmp_path):
    """Sky noise barely deflates, and inflating it was most of a first pass's reading time."""
    image = np.random.default_rng(0).integers(0, 256, (160, 160, 3), dtype=np.uint8)
    write_png(image, tmp_path / "cutout.png")
    np.testing.assert_array_equal(load_rgb(tmp_path / "cutout.png", 160), image)
    raw = image.nbytes + 160  # one filter byte per row
    assert raw <= (tmp_path / "cutout.png").stat().st_size < raw + 200
