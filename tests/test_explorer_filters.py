"""The explorer's filters, table pages and clicks as plain functions: which catalogue rows pass
the filter form's state, which rows a page of the table holds, in what order, and which click
opens a candidate."""
import sys

import numpy as np
import pandas as pd
import pytest
from conftest import REPO

sys.path.insert(0, str(REPO / "app"))
from filter_view import DEFAULTS, rows_passing  # noqa: E402
from selection import newest_click  # noqa: E402
from table_view import PAGE_ROWS, page_of  # noqa: E402


@pytest.fixture
def frame():
    """1,234 candidates with every column the filters and the table read."""
    rng = np.random.default_rng(5)
    n = 1234
    probability = rng.random(n)
    return pd.DataFrame({
        "row": np.arange(n), "name": [f"RSKY {k:05d}" for k in rng.permutation(n)],
        "source_id": [f"S{k}" for k in range(n)], "ra": rng.uniform(10, 20, n), "dec": rng.uniform(-5, 5, n),
        "ring_probability": probability, "ring_flag": probability >= 0.4, "healpix": rng.choice([7, 8, 9], n),
        "known": np.where(rng.random(n) < 0.1, "buta2017", ""), "ring_type": rng.choice(["inner", "outer", "none"], n),
    })


def passing(frame, verdicts=None, **changes):
    return rows_passing(frame, dict(DEFAULTS, **changes), verdicts or {})


def test_the_default_state_passes_every_row(frame):
    assert passing(frame).all()


def test_each_filter_keeps_exactly_its_rows(frame):
    p = frame["ring_probability"].to_numpy()
    assert np.array_equal(passing(frame, low=0.25, high=0.5), (p >= 0.25) & (p <= 0.5))
    assert np.array_equal(passing(frame, low=0.5, high=0.25), (p >= 0.25) & (p <= 0.5)), "a reversed range"
    assert np.array_equal(passing(frame, flag="ring"), p >= 0.4)
    assert np.array_equal(passing(frame, flag="not ring"), p < 0.4)
    assert np.array_equal(passing(frame, types=["inner", "outer"]), frame["ring_type"].to_numpy() != "none")
    assert np.array_equal(passing(frame, tiles=[7, 9]), frame["healpix"].to_numpy() != 8)
    assert np.array_equal(passing(frame, known="matched"), frame["known"].to_numpy() == "buta2017")
    assert np.array_equal(passing(frame, known="not matched"), frame["known"].to_numpy() == "")


def test_filters_combine_and_vetting_reads_the_votes(frame):
    verdicts = {"S3": "ring", "S4": "not_ring", "S10": "ring"}
    ring = passing(frame, verdicts, vetted="ring")
    assert np.flatnonzero(ring).tolist() == [3, 10]
    assert passing(frame, verdicts, vetted="unvetted").sum() == len(frame) - 3
    both = passing(frame, verdicts, flag="ring", tiles=[8], low=0.6)
    p = frame["ring_probability"].to_numpy()
    assert np.array_equal(both, (p >= 0.6) & (frame["healpix"].to_numpy() == 8))


def test_pages_follow_the_order_over_the_whole_selection(frame):
    rows = frame[passing(frame, flag="ring")]
    order = rows.sort_values("ring_probability", ascending=False, kind="stable")["row"].to_numpy()
    pages = []
    for number in (1, 2):
        view, page, count = page_of(rows, "ring probability, highest first", number)
        assert page == number and count == -(-len(rows) // PAGE_ROWS)
        pages.append(view["row"].to_numpy())
    assert np.array_equal(np.concatenate(pages), order[:2 * PAGE_ROWS])
    view, page, _ = page_of(rows, "right ascension", 99)
    assert page == count, "a page past the end shows the last one"
    assert np.array_equal(view["row"].to_numpy(), rows.sort_values("ra")["row"].to_numpy()[(count - 1) * PAGE_ROWS:])
    view, page, count = page_of(rows.iloc[:0], "name", 3)
    assert (len(view), page, count) == (0, 1, 1)


def test_only_the_newest_click_opens_a_candidate_and_only_once():
    marker, row = {"row": 7, "at": 1000}, {"row": 42, "at": 2000}
    assert newest_click([marker, None], 0) == marker
    assert newest_click([marker, row], 1000) == row
    # both components keep their last click: after the table's, the older marker click stays old
    assert newest_click([marker, row], 2000) is None
    assert newest_click([{"row": 3, "at": 3000}, row], 2000)["row"] == 3
    sorted_page = {"sort": "declination", "page": 2, "row": None, "at": 4000}  # no row: not a click on one
    assert newest_click([marker, sorted_page], 2000) is None
