"""The explorer in a real headless Chromium against `ringsky app` on 127.0.0.1: Aladin Lite and
the HiPS are served locally, nothing leaves the machine, markers follow the filters, votes
survive a restart, the filter form and the table's order drive the page, table rows select and
sort, and hostile names stay text. Screenshots go to artifacts/."""
import os
import shutil
import socket
import sys
import time
from contextlib import closing

import numpy as np
import pytest
from astropy.table import Table
from conftest import REPO, assert_one_line_error, require_tool, run_cli

from ringsky.catalogue.files import read_catalogue
from ringsky.explore.votes import VoteStore, votes_path

sys.path.insert(0, str(REPO / "app"))
from browser import ExplorerPage, ExplorerServer, launch  # noqa: E402
from sky_view import background_folder, remove_served_files, start_background_build  # noqa: E402

ARTIFACTS = REPO / "artifacts"
HOSTILE_TITLE = "<script>window.__pwned = 1</script> rings"
HOSTILE_NAME = "<img src=x onerror=\"window.__pwned = 2\">"
REMOTE = "203.0.113.9"  # TEST-NET-3: never a real host; a request to it would leave 127.0.0.1
HOSTILE_SOURCE = f"[link](http://{REMOTE}/) ![x](http://{REMOTE}/x.png) <b onmouseover=\"window.__pwned=3\">b</b>"



@pytest.fixture(scope="module", autouse=True)
def aladin_fetched():
    """Aladin Lite comes from npm at set-up (make install); CI must have it."""
    if not (REPO / "app" / "static" / "aladin.js").is_file():
        if os.environ.get("CI"):
            pytest.fail("app/static/aladin.js is missing, but make install must fetch it")
        pytest.skip("Aladin Lite is not fetched (make install runs npm pack)")


def processes_naming(path, within):
    """The processes whose command line names ``path``, once none are left or ``within`` s pass."""
    import psutil

    deadline = time.monotonic() + within
    while True:
        left = [p for p in psutil.process_iter(["cmdline"]) if str(path) in " ".join(p.info["cmdline"] or ())]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.2)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def catalogue(sim_catalogue, tmp_path_factory):
    """The shared scored catalogue, with a hostile title, one hostile object name and, on another
    row, a hostile source id (Markdown and HTML that would load a remote image)."""
    root = tmp_path_factory.mktemp("explorer")
    path = root / "catalogue.fits"
    shutil.copy(sim_catalogue, path)
    shutil.copy(sim_catalogue.with_name("coverage.moc.fits"), root / "coverage.moc.fits")
    table = Table.read(path)  # header keywords (title, survey, tile size, threshold) travel in meta
    table.meta["TITLE"] = HOSTILE_TITLE
    for column, row, text in (("name", 0, HOSTILE_NAME), ("source_id", 1, HOSTILE_SOURCE)):
        table[column] = table[column].astype("U128")
        table[column][row] = text
    table.write(path, overwrite=True)
    return path


@pytest.fixture(scope="module")
def playwright_browser():
    require_tool("chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def server(catalogue, tmp_path_factory):
    explorer = ExplorerServer(catalogue, free_port(), "--hips-order", 6, cwd=tmp_path_factory.mktemp("server"))
    explorer.start(timeout=300)
    yield explorer
    explorer.stop()
    remove_served_files(catalogue, 6)


def screenshot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def assert_markers_where_aladin_puts_them(page, table):
    """Every seventh candidate's marker is drawn within a pixel of Aladin's own world2pix."""
    for row in range(0, len(table), 7):
        drawn = page.page.evaluate(f"window.ringskyMarkers.pixel({row})")
        expected = page.page.evaluate(f"window.ringskyAladin.world2pix({table['ra'][row]}, {table['dec'][row]})")
        assert drawn is not None and expected is not None, row
        assert np.hypot(drawn[0] - expected[0], drawn[1] - expected[1]) < 1.0, (row, drawn, expected)


def test_markers_follow_the_filters_and_nothing_leaves_the_machine(server, playwright_browser, catalogue):
    table = read_catalogue(catalogue)
    page = ExplorerPage(playwright_browser, server.url).open()
    markers, key = page.wait_settled(timeout=240)
    assert markers == len(table)
    assert_markers_where_aladin_puts_them(page, table)
    page.page.evaluate("window.ringskyAladin.beforeTheFilter = true")  # the same Aladin through every rerun
    page.choose("Ring flag", "not ring")
    markers, key = page.wait_settled(after_key=key)
    assert markers == int((~table["ring_flag"]).sum())
    assert page.page.evaluate("window.ringskyAladin.beforeTheFilter === true"), "a filter change restarted Aladin"
    page.choose("Ring flag", "all")
    markers, _ = page.wait_settled(after_key=key)
    assert markers == len(table)
    assert "/blank-" not in page.wait_local_sky()  # built in the background on this first visit
    assert page.page.evaluate("window.ringskyAladin.beforeTheFilter === true"), "the new background restarted Aladin"
    time.sleep(2)  # let Aladin fetch its tiles
    screenshot(page, "explorer-overview")
    page.page.set_viewport_size({"width": 1200, "height": 900})
    time.sleep(1)  # Aladin resizes its projection a moment after its element
    assert_markers_where_aladin_puts_them(page, table)
    hips = [(url, status) for url, status in page.responses if "/app/static/hips/" in url]
    assert any(url.endswith("/properties") and status == 200 for url, status in hips)
    assert any(url.endswith(".png") and status == 200 for url, status in hips), "no local HiPS tile was drawn"
    assert any(url.endswith("/app/static/aladin.js") for url in page.requests)
    assert page.remote_requests() == []
    assert page.errors == []


def test_hostile_names_are_shown_as_text_and_never_run(server, playwright_browser, catalogue):
    hostile_name = str(read_catalogue(catalogue)["name"][0])  # HOSTILE_NAME as the FITS column's width keeps it
    assert hostile_name.startswith("<img")
    page = ExplorerPage(playwright_browser, server.url).open()
    page.wait_settled(timeout=120)
    assert HOSTILE_TITLE in page.page.inner_text("body")
    page.table().scroll_into_view_if_needed()
    rows = page.table().locator("tbody tr")
    rows.filter(has_text=hostile_name).wait_for(timeout=60_000)
    for frame in page.page.frames:
        assert frame.evaluate("typeof window.__pwned") == "undefined"
    assert page.errors == []


def test_a_hostile_source_id_is_text_in_the_table_the_panel_and_its_message(server, playwright_browser, catalogue):
    page = ExplorerPage(playwright_browser, server.url).open()
    page.wait_settled(timeout=120)
    page.table().scroll_into_view_if_needed()
    row = page.table().locator("tbody tr").filter(has_text=HOSTILE_SOURCE)
    row.wait_for(timeout=60_000)
    row.click()
    page.page.get_by_text(f"source {HOSTILE_SOURCE}").wait_for(timeout=60_000)  # the detail panel
    page.page.get_by_text(f"the image source has no galaxy {HOSTILE_SOURCE}").wait_for(timeout=60_000)  # its message
    row.hover()
    time.sleep(1)
    for frame in page.page.frames:
        assert frame.evaluate("typeof window.__pwned") == "undefined"
        found = frame.locator(f"a[href*='{REMOTE}'], img[src*='{REMOTE}'], b[onmouseover]")
        assert found.count() == 0, found.evaluate_all("(nodes) => nodes.map((n) => n.parentElement.outerHTML)")
    assert page.remote_requests() == []
    assert page.errors == []


def test_click_a_marker_vote_and_the_vote_survives_a_restart(server, playwright_browser, catalogue):
    table = read_catalogue(catalogue)
    target = table[int(np.argmax(table["ring_probability"]))]
    page = ExplorerPage(playwright_browser, server.url).open()
    page.wait_settled(timeout=120)
    page.click_marker(target["ra"], target["dec"])
    page.page.get_by_text(f"source {target['source_id']}").wait_for(timeout=60_000)
    page.page.get_by_text("your verdict: unvetted").wait_for(timeout=60_000)
    page.page.get_by_role("button", name="ring", exact=True).click()
    page.page.get_by_text("your verdict: ring").wait_for(timeout=60_000)
    screenshot(page, "explorer-vetted")
    assert page.remote_requests() == []
    assert page.errors == []

    server.stop()
    server.start(timeout=120)
    again = ExplorerPage(playwright_browser, server.url).open()
    again.wait_settled(timeout=120)
    again.click_marker(target["ra"], target["dec"])
    again.page.get_by_text(f"source {target['source_id']}").wait_for(timeout=60_000)
    again.page.get_by_text("your verdict: ring").wait_for(timeout=60_000)
    with closing(VoteStore(votes_path(catalogue))) as store:
        assert store.verdicts() == {str(target["source_id"]): "ring"}


def test_a_table_row_selects_its_candidate(server, playwright_browser, catalogue):
    table = read_catalogue(catalogue)
    most_probable_first = np.argsort(-np.asarray(table["ring_probability"]), kind="stable")
    page = ExplorerPage(playwright_browser, server.url).open()
    page.wait_settled(timeout=120)
    marked = table[most_probable_first[0]]
    page.click_marker(marked["ra"], marked["dec"])  # a marker first: the row clicked after it wins
    page.page.get_by_text(f"source {marked['source_id']}").wait_for(timeout=60_000)
    grid = page.table()
    rows = grid.locator("tbody tr")
    rows.nth(3).click()
    page.page.get_by_text(f"source {table['source_id'][most_probable_first[3]]}").wait_for(timeout=60_000)
    markers, _ = page.wait_settled()
    assert markers == len(table)
    time.sleep(1)  # an older click must not take the panel back
    assert f"source {table['source_id'][most_probable_first[3]]}" in page.page.inner_text("body")
    assert f"source {marked['source_id']}" not in page.page.inner_text("body")
    grid.get_by_text("ring_probability").click()
    order = [int(row) for row in rows.evaluate_all("(rows) => rows.map((row) => row.dataset.row)")]
    assert sorted(order) == list(range(len(table)))
    assert np.all(np.diff(np.asarray(table["ring_probability"])[order]) >= 0), "the header click did not sort"
    assert page.errors == []


def test_the_filter_form_and_the_table_order_drive_the_page(server, playwright_browser, catalogue):
    table = read_catalogue(catalogue)
    probability = np.asarray(table["ring_probability"])
    page = ExplorerPage(playwright_browser, server.url).open()
    markers, key = page.wait_settled(timeout=120)
    low = float(np.round(np.median(probability), 2))
    filters = page.filters()
    filters.get_by_role("spinbutton", name="from").fill(str(low))
    filters.get_by_role("spinbutton", name="from").press("Enter")
    markers, key = page.wait_settled(after_key=key)
    assert markers == int((probability >= low).sum())
    tile = int(table["healpix"][0])
    page.choose("Tile (HEALPix)", str(tile))
    markers, key = page.wait_settled(after_key=key)
    assert markers == int(((probability >= low) & (np.asarray(table["healpix"]) == tile)).sum())
    grid = page.table()
    grid.locator("#sort").select_option("declination")
    rows = grid.locator("tbody tr")
    expected = [int(k) for k in np.argsort(np.asarray(table["dec"]), kind="stable")
                if probability[k] >= low and table["healpix"][k] == tile]
    page.page.wait_for_function(
        """(expected) => {
             const table = document.querySelector(".st-key-table [data-testid='stBidiComponentIsolated']");
             const rows = Array.from(table.shadowRoot.querySelectorAll("tbody tr"), (row) => row.dataset.row);
             return rows.join() === expected.join();
           }""", arg=[str(k) for k in expected], timeout=60_000)
    assert rows.count() == len(expected)
    assert grid.locator("#page").inner_text() == "page 1 of 1"
    assert page.errors == []


def test_the_filtered_selection_downloads_as_votable_fits_and_csv(server, playwright_browser, catalogue, tmp_path):
    table = read_catalogue(catalogue)
    page = ExplorerPage(playwright_browser, server.url).open()
    markers, key = page.wait_settled(timeout=120)
    page.choose("Ring flag", "not ring")
    markers, key = page.wait_settled(after_key=key)
    page.choose("Show", "export tools")
    page.page.get_by_role("button", name="CSV", exact=True).wait_for(timeout=60_000)
    expected = sorted(str(name) for name in table["source_id"][~np.asarray(table["ring_flag"])])
    for label, fmt in (("VOTable", "votable"), ("FITS", "fits"), ("CSV", "ascii.csv")):
        with page.page.expect_download(timeout=60_000) as download:
            page.page.get_by_role("button", name=label, exact=True).click()
        path = tmp_path / download.value.suggested_filename
        download.value.save_as(path)
        assert sorted(str(name) for name in Table.read(path, format=fmt)["source_id"]) == expected, label
    assert page.remote_requests() == []
    assert page.errors == []


def test_a_cold_server_shows_the_table_and_filters_while_it_builds_the_sky_background(playwright_browser, tmp_path):
    """A catalogue of one nside=32 tile (about 350 galaxies) with its HiPS at order 8: minutes
    of building, against seconds for the page to settle, even on a loaded machine. That the sky
    then switches to the built background is the first test's (its server starts cold too).
    Stopped in mid-build, the server exits at once and leaves no half-built HiPS behind."""
    run_cli("score", "--tile", "nside=32:6813", "--survey", "sim", "--scheduler", "none", "--out", tmp_path / "tiles",
            "--quiet")
    run_cli("catalogue", tmp_path / "tiles", "--out", tmp_path / "cat", "--no-known", "--quiet")
    catalogue = tmp_path / "cat" / "catalogue.fits"
    explorer = ExplorerServer(catalogue, free_port(), "--hips-order", 8, cwd=tmp_path).start(timeout=120)
    try:
        page = ExplorerPage(playwright_browser, explorer.url).open()
        markers, key = page.wait_settled(timeout=120)
        assert markers == len(read_catalogue(catalogue))
        assert "/blank-order8" in page.sky_survey()
        page.page.get_by_text("Building the local sky background").wait_for(timeout=30_000)
        page.choose("Ring flag", "not ring")  # the filters work meanwhile
        markers, key = page.wait_settled(after_key=key)
        assert markers == int((~read_catalogue(catalogue)["ring_flag"]).sum())
        page.table().locator("tbody tr").first.wait_for(timeout=30_000)  # and the table
        assert "/blank-order8" in page.sky_survey()
        assert page.errors == []
        assert page.remote_requests() == []
        started = time.monotonic()
        explorer.stop()
        assert time.monotonic() - started < 10
        folder = background_folder(catalogue, 8)
        assert not (folder / "properties").is_file()
        assert list(folder.parent.glob(f".{folder.name}.*")) == []
        assert processes_naming(catalogue, within=5) == []  # the build, nor the workers it started
    finally:
        explorer.stop()
        remove_served_files(catalogue, 8)


def test_a_failed_background_build_is_one_line_for_the_page_and_leaves_nothing_behind(sim_catalogue, tmp_path):
    """The build's own process fails (the catalogue's picture folder has gone): the page gets the
    reason, and no work folder is left under the served files."""
    path = tmp_path / "catalogue.fits"
    table = Table.read(sim_catalogue)
    table.meta["SURVEY"] = f"folder:{tmp_path / 'gone'}"
    table.write(path)
    try:
        error = start_background_build(path, 6).exception(timeout=120)
        assert isinstance(error, RuntimeError)
        assert "gone" in str(error) and "\n" not in str(error) and "Traceback" not in str(error)
        folder = background_folder(path, 6)
        assert not folder.exists() and list(folder.parent.glob(f".{folder.name}.*")) == []
    finally:
        remove_served_files(path, 6)


def test_app_refuses_a_missing_catalogue(tmp_path):
    assert_one_line_error(run_cli("app", tmp_path / "none.fits", check=False), 1, "catalogue not found")



def test_app_never_waits_for_streamlits_email_prompt_and_opens_the_browser_itself(sim_catalogue, tmp_path):
    """A fresh home (no Streamlit credentials), no terminal input: the server still starts, and the
    page is opened through $BROWSER, here a script that writes down the address it is given."""
    import subprocess
    import urllib.request

    opened = tmp_path / "opened.txt"
    recorder = tmp_path / "browser.py"
    recorder.write_text(f"import sys, pathlib\npathlib.Path({str(opened)!r}).write_text(sys.argv[1])\n")
    port = free_port()
    env = dict(os.environ, HOME=str(tmp_path), BROWSER=f"{sys.executable} {recorder} %s")
    process = subprocess.Popen([sys.executable, "-m", "ringsky.cli", "app", str(sim_catalogue), "--port", str(port)],
                               cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.time() + 120
        while not opened.exists() and time.time() < deadline and process.poll() is None:
            time.sleep(0.3)
        assert opened.read_text() == f"http://127.0.0.1:{port}/"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=5) as answer:
            assert answer.status == 200
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0]
    assert "Email" not in output, output
