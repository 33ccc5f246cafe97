"""Explorer speed at 100,000 rows, measured in a real headless Chromium.

Writes a synthetic 100,000-row ringsky catalogue over the simulated footprint, starts
``ringsky app`` on it, and times (a) a page load until the sky has drawn every marker, the
table a page of them and the count line agrees: on a cold server (it reads the catalogue and
matches the known catalogues; its sky background is built in a thread meanwhile, and the
time until the sky shows it is printed too), then, once the server is idle
(after its first page it imports torch in the background), in a new browser profile (an
empty browser cache: every script of Streamlit and Aladin Lite is fetched and compiled) and
as a return visit (a new tab of a browser that has been there), and (b) filter changes until
the sky and the table again show exactly the filtered rows. Goal: each within 2 s. ``--catalogue catalogues/demo/catalogue.fits --hips-order 7`` times the
demo catalogue instead, with a sky background of real cutouts at the explorer's default order.

With ``--baseline REV`` it then serves the ringsky package and explorer of git revision REV
beside this checkout's, on the same catalogue, and times first visits to the two in turn: on
this machine a load time drifts by a quarter from one minute to the next, so only such a
paired comparison shows a change of a tenth of a second. With ``--h11`` it compares, the same
way, this explorer served as installed with one whose uvicorn falls back to h11 and asyncio
(httptools and uvloop hidden), and times both servers sending the page's own scripts.

    python scripts/bench_app.py [--rows 100000 | --catalogue PATH] [--repeats 5] [--baseline REV] [--h11]
"""
import argparse
import http.client
import io
import os
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from astropy.table import Table

REPO = Path(__file__).resolve().parents[1]
HIPS_ORDER = 5
sys.path.insert(0, str(REPO / "app"))
from browser import VIEWPORT, ExplorerPage, ExplorerServer, launch  # noqa: E402
from sky_view import remove_served_files  # noqa: E402

from ringsky.catalogue.files import COLUMNS, iau_names, write_fits  # noqa: E402
from ringsky.sources.simulated import BASE_NSIDE, DEFAULT_FOOTPRINT  # noqa: E402
from ringsky.tiles import Tile, tiles_moc  # noqa: E402


def synthetic_catalogue(rows, folder, seed=0):
    rng = np.random.default_rng(seed)
    tiles = [Tile(BASE_NSIDE, int(p)) for p in DEFAULT_FOOTPRINT]
    per_tile = np.bincount(rng.integers(0, len(tiles), rows), minlength=len(tiles))
    ra, dec, ipix = [], [], []
    for tile, count in zip(tiles, per_tile):
        r, d = tile.random_positions(rng, int(count))
        ra.append(r), dec.append(d), ipix.append(np.full(int(count), tile.ipix))
    ra, dec, ipix = map(np.concatenate, (ra, dec, ipix))
    probability = rng.beta(0.6, 1.4, rows).astype(np.float32)
    table = Table({"name": iau_names(ra, dec), "source_id": [f"BENCH-{k:07d}" for k in range(rows)], "ra": ra,
                   "dec": dec, "healpix": ipix, "ring_probability": probability, "ring_flag": probability >= 0.5})
    for name in table.colnames:
        table[name].unit, _, table[name].description = COLUMNS[name]
    cards = {"SURVEY": ("sim", ""), "THRESH": (0.5, ""), "MODELID": ("benchmark", ""), "HPXNSIDE": (BASE_NSIDE, ""),
             "TITLE": (f"benchmark: {rows} synthetic rows", "")}
    path = folder / "catalogue.fits"
    write_fits(table, path, cards)
    tiles_moc(tiles).save(str(folder / "coverage.moc.fits"), format="fits", overwrite=True)
    return path, int(table["ring_flag"].sum())


def copied_catalogue(path, folder):
    """A copy of the catalogue at ``path`` (and its MOC) in ``folder``: a new file, whose sky
    background the explorer has not built yet."""
    shutil.copy(path, folder / "catalogue.fits")
    shutil.copy(Path(path).with_name("coverage.moc.fits"), folder / "coverage.moc.fits")
    return folder / "catalogue.fits", int(Table.read(path)["ring_flag"].sum())


def baseline_checkout(revision, folder):
    """The ``ringsky`` package and ``app`` folder of git ``revision`` under ``folder``, with this
    checkout's Aladin Lite (fetched at set-up, never committed)."""
    archive = subprocess.run(["git", "archive", revision, "ringsky", "app"], cwd=REPO, check=True,
                             capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    (folder / "app" / "static").mkdir(exist_ok=True)
    shutil.copy(REPO / "app" / "static" / "aladin.js", folder / "app" / "static" / "aladin.js")
    return folder


def without_fast_http(folder):
    """The environment of a server whose uvicorn falls back to h11 and asyncio, as on an install
    without httptools and uvloop: a sitecustomize in ``folder`` hides the two."""
    folder.mkdir()
    (folder / "sitecustomize.py").write_text('import sys\nsys.modules["httptools"] = sys.modules["uvloop"] = None\n')
    return dict(os.environ, PYTHONPATH=str(folder))


def script_fetch_seconds(url, connections=6):
    """Seconds for ``connections`` keep-alive connections (Chromium's limit per host) to fetch
    every script and style the page's HTML names, as a browser's first visit does."""
    host, port = url.split("//")[1].strip("/").split(":")
    with urllib.request.urlopen(url) as answer:
        paths = ["/" + path.lstrip("./") for path in re.findall(r'(?:src|href)="(\./static/[^"]+)"', answer.read().decode())]

    def fetch(share):
        connection = http.client.HTTPConnection(host, int(port))
        for path in share:
            connection.request("GET", path)
            connection.getresponse().read()
        connection.close()

    started = time.perf_counter()
    with ThreadPoolExecutor(connections) as pool:
        list(pool.map(fetch, [paths[k::connections] for k in range(connections)]))
    return time.perf_counter() - started


def paired_first_visits(browser, servers, repeats):
    """First visits (new browser profiles) to each server in turn, until the sky has drawn every
    marker (an older explorer's table does not say when it is drawn); the times per server."""
    times = [[] for _ in servers]
    for _ in range(repeats):
        for server, series in zip(servers, times):
            page = ExplorerPage(browser, server.url)
            series.append(timed(page.open, page, table=False)[0])
            page.page.close()
    return times


def compare(browser, server, other, repeats):
    """Start ``other``, then time first visits and script fetches from the two in turn; the
    four series (visits here, visits there, fetches here, fetches there)."""
    other.start(timeout=300)
    try:
        cold = ExplorerPage(browser, other.url)
        timed(cold.open, cold, table=False)  # its cold start: HiPS, markers
        cold.page.close()
        other.wait_idle()
        here, there = paired_first_visits(browser, (server, other), 2 * repeats)
        fetches = [[script_fetch_seconds(url) for url in (server.url, other.url)] for _ in range(2 * repeats)]
        return here, there, [pair[0] for pair in fetches], [pair[1] for pair in fetches]
    finally:
        other.stop()


def timed(action, page, after_key=None, table=True):
    started = time.perf_counter()
    action()
    markers, key = page.wait_settled(after_key=after_key, timeout=300, table=table)
    return time.perf_counter() - started, markers, key


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--catalogue", type=Path, help="time this catalogue (e.g. catalogues/demo/catalogue.fits, "
                        "copied so that its sky background is built afresh) instead of --rows synthetic ones")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--hips-order", type=int, default=HIPS_ORDER, help=f"of the sky background (default {HIPS_ORDER})")
    parser.add_argument("--port", type=int, default=8611)
    parser.add_argument("--baseline", metavar="REV", help="also compare first visits with git revision REV's explorer")
    parser.add_argument("--h11", action="store_true", help="also compare first visits with this explorer served by "
                        "h11 and asyncio instead of httptools and uvloop")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="ringsky-bench-app-") as folder:
        if args.catalogue:
            catalogue, flagged = copied_catalogue(args.catalogue, Path(folder))
            args.rows = len(Table.read(catalogue))
        else:
            catalogue, flagged = synthetic_catalogue(args.rows, Path(folder))
        ring_label = f"ring (p >= {float(Table.read(catalogue).meta['THRESH']):.3f})"
        server = ExplorerServer(catalogue, args.port, "--hips-order", args.hips_order, cwd=folder).start(timeout=300)
        try:
            with sync_playwright() as playwright:
                browser = launch(playwright)
                page = ExplorerPage(browser, server.url)
                started = time.perf_counter()
                cold, markers, key = timed(page.open, page)
                assert markers == args.rows, markers
                page.wait_local_sky(timeout=600)
                sky_built = time.perf_counter() - started
                server.wait_idle()
                first_visit = []
                for _ in range(args.repeats):
                    page.page.close()
                    page = ExplorerPage(browser, server.url)
                    first_visit.append(timed(page.open, page)[0])
                context = browser.new_context(viewport=VIEWPORT)
                ExplorerPage(browser, server.url, context=context).open().wait_settled(timeout=300)
                return_visit = []
                for _ in range(args.repeats):
                    page.page.close()
                    page = ExplorerPage(browser, server.url, context=context)
                    seconds, markers, key = timed(page.open, page)
                    return_visit.append(seconds)
                draw = []
                filters = []
                for _ in range(args.repeats):
                    seconds, markers, key = timed(lambda: page.choose("Ring flag", ring_label), page, key)
                    assert markers == flagged, (markers, flagged)
                    filters.append(seconds)
                    draw.append(page.draw_seconds())
                    seconds, markers, key = timed(lambda: page.choose("Ring flag", "all"), page, key)
                    assert markers == args.rows, markers
                    filters.append(seconds)
                    draw.append(page.draw_seconds())
                remote = page.remote_requests()
                context.close()  # the return visits' browser: left open, it slowed every later visit
                others = []
                if args.baseline:
                    checkout = baseline_checkout(args.baseline, Path(folder) / "baseline")
                    others.append((args.baseline, ExplorerServer(
                        catalogue, args.port + 1, "--hips-order", args.hips_order, cwd=checkout,
                        env=dict(os.environ, PYTHONPATH=str(checkout)))))
                if args.h11:
                    others.append(("h11 and asyncio", ExplorerServer(
                        catalogue, args.port + 2, "--hips-order", args.hips_order, cwd=folder,
                        env=without_fast_http(Path(folder) / "h11"))))
                comparisons = [(label, compare(browser, server, other, args.repeats)) for label, other in others]
                browser.close()
        finally:
            server.stop()
            remove_served_files(catalogue, args.hips_order)
    print(f"rows {args.rows}, flagged {flagged}")
    print(f"load, cold server: {cold:.2f} s (the sky background, built meanwhile, shown after {sky_built:.1f} s)")
    print(f"load, first visit (new browser profile, empty cache): median {statistics.median(first_visit):.2f} s, "
          f"max {max(first_visit):.2f} s over {len(first_visit)}")
    print(f"load, return visit (browser cache): median {statistics.median(return_visit):.2f} s, "
          f"max {max(return_visit):.2f} s over {len(return_visit)}")
    print(f"filter change: median {statistics.median(filters):.2f} s, max {max(filters):.2f} s over {len(filters)}")
    print(f"  of which the sky redrawing its markers: median {statistics.median(draw):.2f} s, max {max(draw):.2f} s")
    print(f"requests that left 127.0.0.1: {len(remote)}")
    for label, (here, there, fetch_here, fetch_there) in comparisons:
        print(f"first visit, paired with {label} ({len(here)} each, in turn): median {statistics.median(here):.2f} s "
              f"here vs {statistics.median(there):.2f} s there, ratio {statistics.median(here) / statistics.median(there):.2f}")
        print(f"  the page's scripts sent over 6 connections: median {statistics.median(fetch_here):.3f} s here vs "
              f"{statistics.median(fetch_there):.3f} s there, ratio {statistics.median(fetch_here) / statistics.median(fetch_there):.2f}")

if __name__ == "__main__":
    main()
