"""The explorer's parts outside the browser: matching candidates to known catalogues, user
tables drawn over the sky, and the SmoothGrad saliency of the detail panel."""
import sys

import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from astropy.table import Table
from conftest import REPO

from ringsky import RingskyError
from ringsky.learn.models import DEFAULT_MODEL, load_classifier
from ringsky.learn.saliency import overlay, smoothgrad

sys.path.insert(0, str(REPO / "app"))
from known_catalogues import known_catalogues, matched_to, overlay_args  # noqa: E402


@pytest.fixture
def no_published(tmp_path, monkeypatch):
    """No published catalogues: only the tables a test gives."""
    monkeypatch.setenv("RINGSKY_KNOWN_CATALOGUES", str(tmp_path / "none"))


def test_a_candidate_matches_the_first_known_catalogue_within_5_arcsec():
    ra = np.full(3, 150.0)
    dec = 2.0 + np.array([0.0, 3.0, 7.0]) / 3600  # 0, 3 and 7 arcsec north of (150, 2)
    known = {"first": (np.array([150.0]), np.array([2.0])), "second": (ra.copy(), dec.copy())}
    assert matched_to(ra, dec, known).tolist() == ["first", "first", "second"]
    assert matched_to(ra, dec, {"empty": (np.array([]), np.array([]))}).tolist() == ["", "", ""]


def test_a_user_table_is_read_matched_and_drawn_near_the_searched_sky(tmp_path, no_published):
    path = tmp_path / "mine.csv"
    Table({"RA": [150.0, 170.0], "Dec": [2.0, 2.0]}).write(path)
    known = known_catalogues([path])
    assert list(known) == ["mine.csv"]
    assert matched_to(np.array([150.0, 151.0]), np.array([2.0, 2.0]), known).tolist() == ["mine.csv", ""]
    [drawn] = overlay_args(known, SkyCoord(150.5, 2.0, unit="deg"), 5.0)
    assert (drawn["name"], drawn["ra"], drawn["dec"]) == ("mine.csv", [150.0], [2.0])


def test_unusable_user_tables_are_one_clear_error(tmp_path, no_published):
    with pytest.raises(RingskyError, match="known catalogue not found"):
        known_catalogues([tmp_path / "absent.csv"])
    Table({"x": [1.0], "y": [2.0]}).write(tmp_path / "xy.csv")
    with pytest.raises(RingskyError, match="no RA/Dec columns"):
        known_catalogues([tmp_path / "xy.csv"])


def test_saliency_is_a_repeatable_map_of_the_models_input():
    classifier = load_classifier(DEFAULT_MODEL)
    npix = classifier.config.picture_size
    rng = np.random.default_rng(0)
    picture = rng.integers(0, 255, (npix, npix, 3), dtype=np.uint8)
    other = rng.integers(0, 255, (npix, npix, 3), dtype=np.uint8)
    saliency = smoothgrad(classifier, picture)
    seen = classifier.config.input_size  # the map covers what the model sees: the picture's central crop
    assert saliency.shape == (seen, seen)
    assert saliency.min() >= 0 and saliency.max() == pytest.approx(1.0)
    assert np.array_equal(saliency, smoothgrad(classifier, picture))
    assert not np.allclose(saliency, smoothgrad(classifier, other))
    shown = overlay(np.zeros((2 * seen, 2 * seen, 3), np.uint8), saliency)
    assert shown.shape == (2 * seen, 2 * seen, 3) and shown.dtype == np.uint8 and shown.any()


def test_the_explorer_reads_which_known_catalogue_holds_a_candidate_from_the_catalogue():
    from known_catalogues import cross_identified

    table = Table({"source_id": ["a", "b", "c"], "buta2017_id": ["NGC 1", "", ""], "buta2017_sep": [1.0, 0, 0],
                   "ringflags_id": ["7", "8", ""], "ringflags_sep": [2.0, 3.0, 0], "other_id": ["x", "y", "z"]})
    assert cross_identified(table).tolist() == ["buta2017", "ringflags", ""]  # other_id has no _sep: not a match
