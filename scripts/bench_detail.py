"""How long the explorer's detail panel takes to open: the first candidate after a server start
(the model and its saliency map are needed for the first time) and the ones after it.

Starts ``ringsky app`` on a scored catalogue (the demo one by default: ``make demo`` writes it),
opens the page, lets it sit for ``--look`` seconds as a person would, then clicks table rows
and times each until the panel shows that candidate and a fresh (not stale) saliency map.

    python scripts/bench_detail.py [CATALOGUE] [--look 5] [--opens 3]
"""
import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "app"))
from browser import ExplorerPage, ExplorerServer, launch  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("catalogue", nargs="?", default=str(REPO / "catalogues" / "demo" / "catalogue.fits"))
    parser.add_argument("--look", type=float, default=5.0, help="seconds between the page settling and the first click")
    parser.add_argument("--opens", type=int, default=3)
    parser.add_argument("--port", type=int, default=8621)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="ringsky-bench-detail-") as folder:
        server = ExplorerServer(args.catalogue, args.port, "--hips-order", 5, cwd=folder).start(timeout=300)
        try:
            with sync_playwright() as playwright:
                browser = launch(playwright)
                page = ExplorerPage(browser, server.url).open()
                page.wait_settled(timeout=300)
                time.sleep(args.look)
                rows = page.table().locator("tbody tr")
                headers = page.table().locator("thead th").all_inner_texts()
                column = next(k for k, name in enumerate(headers) if name.startswith("source_id"))
                seconds = []
                for k in range(args.opens):
                    row = rows.nth(2 * k + 1)
                    source_id = row.locator("td").nth(column).inner_text()
                    started = time.perf_counter()
                    row.click()
                    page.page.get_by_text(f"source {source_id}").wait_for(timeout=120_000)
                    page.page.locator("[data-testid='stElementContainer'][data-stale='false']",
                                      has_text="saliency (SmoothGrad)").wait_for(timeout=120_000)
                    seconds.append(time.perf_counter() - started)
                browser.close()
        finally:
            server.stop()
    print(f"detail panel, first candidate after a server start ({args.look:g} s after the page settled): "
          f"{seconds[0]:.2f} s")
    print(f"detail panel, the next {len(seconds) - 1}: " + ", ".join(f"{s:.2f} s" for s in seconds[1:]))


if __name__ == "__main__":
    main()
