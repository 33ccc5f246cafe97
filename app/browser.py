"""Drive the explorer in a real headless Chromium (Debian's, through Playwright): the app's
tests and its benchmark share this. Never ``playwright install``: it downloads a browser."""
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                 "--disable-background-networking", "--disable-component-update", "--enable-unsafe-swiftshader"]
LOCAL_SCHEMES = ("data", "blob", "about")
VIEWPORT = {"width": 1500, "height": 1100}
COUNT = re.compile(r"(\d+) of (\d+) candidates match the filters")


SETTLED = """([pattern, afterKey, withTable]) => {
  const failure = document.querySelector("[data-testid='stException']");
  if (failure) return {error: "the app raised: " + failure.textContent};
  const olderSky = document.querySelector("iframe[src*='ringsky_sky']");  // an older explorer (bench_app --baseline)
  const sky = document.getElementById("ringsky-sky") ||
              (olderSky && olderSky.contentDocument && olderSky.contentDocument.body);
  if (!sky) return false;
  if (sky.dataset.error) return {error: "the sky failed: " + sky.dataset.error};
  const count = new RegExp(pattern).exec(Array.from(document.querySelectorAll("[data-testid='stText']"),
                                                  function (element) { return element.textContent; }).join("\\n"));
  if (!count || sky.dataset.markers === undefined || sky.dataset.key === afterKey) return false;
  if (Number(sky.dataset.markers) !== Number(count[1])) return false;
  const table = document.querySelector(".st-key-table [data-testid='stBidiComponentIsolated']");
  const rows = table && table.shadowRoot && table.shadowRoot.getElementById("scroller");
  if (withTable && (!rows || Number(rows.dataset.total) !== Number(count[1]))) return false;
  return {markers: Number(sky.dataset.markers), key: sky.dataset.key};
}"""


class ExplorerServer:
    """``ringsky app CATALOGUE`` on 127.0.0.1 in a subprocess, ready once it answers."""

    def __init__(self, catalogue, port, *options, cwd=None, env=None):
        self.url = f"http://127.0.0.1:{port}/"
        self.command = [sys.executable, "-m", "ringsky.cli", "app", str(catalogue), "--port", str(port),
                        "--no-browser", *map(str, options)]
        self.cwd = cwd
        self.env = env
        self.process = None
        self.log = None

    def start(self, timeout=120):
        self.log = open(Path(self.cwd or ".") / f"streamlit-{time.time_ns()}.log", "w") if self.cwd else subprocess.DEVNULL
        self.process = subprocess.Popen(self.command, stdout=self.log, stderr=subprocess.STDOUT, cwd=self.cwd,
                                        env=self.env)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the explorer exited with status {self.process.returncode}")
            try:
                with urllib.request.urlopen(self.url + "_stcore/health", timeout=2) as answer:
                    if answer.status == 200:
                        return self
            except OSError:
                time.sleep(0.3)
        raise TimeoutError(f"the explorer did not answer at {self.url} within {timeout} s")

    def wait_idle(self, quiet=0.05, timeout=120):
        """Wait until the server uses less than ``quiet`` s of CPU in a second: after its first
        page it imports torch and timm in the background, which would slow the next visits."""
        import psutil

        process = psutil.Process(self.process.pid)
        used = sum(process.cpu_times()[:2])
        deadline = time.time() + timeout
        while time.time() < deadline:
            time.sleep(1)
            now = sum(process.cpu_times()[:2])
            if now - used < quiet:
                return self
            used = now
        raise TimeoutError(f"the explorer at {self.url} was still busy after {timeout} s")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(30)
        if self.log not in (None, subprocess.DEVNULL):
            self.log.close()


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


class ExplorerPage:
    """One browser tab on the explorer, recording every request and page error."""

    def __init__(self, browser, url, viewport=VIEWPORT, context=None):
        """A tab of its own (empty browser cache), or one more tab of ``context`` (shared cache)."""
        self.page = context.new_page() if context else browser.new_page(viewport=viewport)
        self.requests, self.responses, self.errors = [], [], []
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("response", lambda response: self.responses.append((response.url, response.status)))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.url = url

    def open(self):
        self.page.goto(self.url, wait_until="domcontentloaded")
        return self

    def remote_requests(self):
        """Requests to anywhere but 127.0.0.1 (or local data/blob URLs)."""
        return [url for url in self.requests
                if urlparse(url).scheme not in LOCAL_SCHEMES and urlparse(url).hostname != "127.0.0.1"]

    def draw_seconds(self):
        """How long the sky's last redraw of the markers took."""
        return int(self.page.evaluate("document.getElementById('ringsky-sky').dataset.drawMs")) / 1000

    def wait_settled(self, after_key=None, timeout=60, table=True):
        """Wait until the sky shows exactly the rows the count line reports and, unless ``table``
        is false, the table a page of them (and, given ``after_key``, a new render); returns
        (markers, key). The check runs inside the page at every animation frame, so the time it
        reports is when the page got there, not when a round trip from Python noticed."""
        state = self.page.wait_for_function(SETTLED, arg=[COUNT.pattern, after_key, table], polling="raf",
                                            timeout=timeout * 1000).json_value()
        if "error" in state:
            raise RuntimeError(state["error"])
        return state["markers"], state["key"]

    def sky_survey(self):
        """The URL of the HiPS the sky shows as its background."""
        return self.page.evaluate("(document.getElementById('ringsky-sky') || {dataset: {}}).dataset.survey")

    def wait_local_sky(self, timeout=240):
        """Wait until the sky's background is the catalogue's own HiPS, not the blank one shown
        while it is built; returns its URL."""
        self.page.wait_for_function("() => { const sky = document.getElementById('ringsky-sky');"
                                    " const survey = sky && sky.dataset.survey;"
                                    " return survey && survey.includes('/hips/') && !survey.includes('/blank-'); }",
                                    polling=250, timeout=timeout * 1000)
        return self.sky_survey()

    def filters(self):
        """The filter form, to locate its inputs in (Playwright's locators see into its shadow root)."""
        return self.page.locator(".st-key-filters")

    def table(self):
        """The candidate table, to locate its rows and controls in."""
        return self.page.locator(".st-key-table")

    def choose(self, group, label):
        """Tick ``label`` in the filter form's ``group`` (e.g. "Ring flag", "not ring")."""
        self.filters().get_by_role("group", name=group).get_by_label(label, exact=True).check()

    def click_marker(self, ra, dec):
        """Click the marker at (ra, dec) on Aladin's canvas."""
        x, y = self.page.evaluate(f"window.ringskyAladin.world2pix({ra}, {dec})")
        box = self.page.locator("#ringsky-sky").bounding_box()
        self.page.mouse.click(box["x"] + x, box["y"] + y)
