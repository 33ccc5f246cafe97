"""A real HTTP server on 127.0.0.1 that replays tests/data/recorded and injects faults.

Routes (by the end of the path, so one server stands in for every service):
``cutout.fits`` / ``cutout.jpg`` (Legacy Surveys viewer; the recording is chosen by the
request's ra/dec, so a galaxy always gets the same picture), ``ImgCutout/getjpeg`` (SkyServer) and ``hips2fits`` (one recorded JPEG),
``SqlSearch`` or ``x_results.aspx`` (SkyServer SQL CSV, as astroquery.sdss asks: the nearest-field query gets
its own answer), ``frame-B-RUN-CAMCOL-FIELD.fits.bz2`` (SDSS calibrated frames), ``tap/sync`` (TAP VOTable),
``viz-bin/votable`` (VizieR, Buta 2017), ``gz2_hart16.csv.gz`` and ``gz_decals_volunteers_5.csv`` (Galaxy Zoo
tables), and ``/hips/...`` (files of a local HiPS folder). A ``script`` of faults answers the first requests; after it, a fraction ``fault_rate`` gets one of: HTTP 500,
HTTP 429 with Retry-After, a stall past the client's timeout, a truncated body, or an HTML
error page with status 200.
"""
import random
import re
import sys
import threading
import time
import zlib
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

RECORDED = Path(__file__).parent / "data" / "recorded"
FAULTS = ("500", "429", "stall", "truncated", "html200")
HTML_ERROR = b"<!DOCTYPE html><html><body><h1>Service temporarily overloaded</h1></body></html>"


class ReplayServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fault_rate=0.0, seed=0, stall=1.0, retry_after="1", hips_root=None, script=()):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fault_rate, self.stall, self.retry_after = fault_rate, stall, retry_after
        self.script = list(script)
        self.in_flight = self.max_in_flight = 0
        self.hips_root = Path(hips_root) if hips_root else None
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self.log = []
        self.posted = []

    def handle_error(self, request, client_address):
        """A client that gave up on a stalled answer closes its socket: not a server error."""
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}"

    def draw_fault(self):
        """The next scripted fault (None = answer normally), then random ones at ``fault_rate``."""
        with self._lock:
            if self.script:
                return self.script.pop(0)
            if self._random.random() < self.fault_rate:
                return self._random.choice(FAULTS)
            return None

    def record(self, path, fault):
        with self._lock:
            self.log.append((path, fault))

    def faults(self):
        return [fault for _, fault in self.log if fault]


def _recording(path, query):
    if path.endswith("cutout.fits") or path.endswith("cutout.jpg"):
        key = zlib.crc32(f"{query.get('ra', [''])[0]},{query.get('dec', [''])[0]}".encode()) % 4
        suffix = "fits" if path.endswith(".fits") else "jpg"
        return RECORDED / f"legacy-cutout-{key}.{suffix}", "image/fits" if suffix == "fits" else "image/jpeg"
    if path.endswith(("ImgCutout/getjpeg", "hips2fits")):
        return RECORDED / "sdss-getjpeg.jpg", "image/jpeg"
    if path.endswith(("SqlSearch", "x_results.aspx")):
        if "fGetNearestObjEq" in query.get("cmd", [""])[0]:
            return RECORDED / "skyserver-field.csv", "text/plain"
        return RECORDED / "skyserver-sql.csv", "text/plain"
    frame = re.search(r"/frame-([ugriz])-\d{6}-\d-\d{4}\.fits\.bz2$", path)
    if frame:
        return RECORDED / f"sdss-frame-{frame.group(1)}.fits.bz2", "application/x-bzip2"
    if path.endswith("/sync"):
        return RECORDED / "tap-tractor.xml", "text/xml"
    if path.endswith("viz-bin/votable"):
        return RECORDED / "vizier-buta2017.xml", "application/x-votable+xml"
    if path.endswith("gz2_hart16.csv.gz"):
        return RECORDED / "gz2-hart16-sample.csv.gz", "application/gzip"
    if path.endswith("gz_decals_volunteers_5.csv"):
        return RECORDED / "gzdecals-volunteers5-sample.csv", "text/csv"
    return None, None


class _Handler(BaseHTTPRequestHandler):
    _flying = False  # this request is counted in the server's in_flight

    def log_message(self, *args):
        pass

    def _body(self):
        split = urlsplit(self.path)
        if self.server.hips_root and split.path.startswith("/hips/"):
            path = self.server.hips_root / split.path[len("/hips/"):]
            return (path.read_bytes(), "application/octet-stream") if path.is_file() else (None, None)
        path, content_type = _recording(split.path, parse_qs(split.query))
        return (path.read_bytes(), content_type) if path else (None, None)

    def _answer(self):
        """A request is in flight from its arrival until its answer starts: once a client has the
        answer it may send its next request before this thread runs again."""
        with self.server._lock:
            self.server.in_flight += 1
            self.server.max_in_flight = max(self.server.max_in_flight, self.server.in_flight)
        self._flying = True
        try:
            self._reply()
        finally:
            self._land()

    def _land(self):
        if self._flying:
            self._flying = False
            with self.server._lock:
                self.server.in_flight -= 1

    def send_response(self, code, message=None):
        self._land()
        super().send_response(code, message)

    def _reply(self):
        fault = self.server.draw_fault()
        self.server.record(self.path, fault)
        if fault == "stall":
            time.sleep(self.server.stall)
        body, content_type = self._body()
        if body is None:
            self.send_error(404)
            return
        if fault in ("500", "429"):
            self.send_response(int(fault))
            if fault == "429":
                self.send_header("Retry-After", self.server.retry_after)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if fault == "html200":
            body, content_type = HTML_ERROR, "text/html; charset=utf-8"
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[:len(body) // 2] if fault == "truncated" else body)
        if fault == "truncated":
            self.close_connection = True

    def do_GET(self):
        self._answer()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with self.server._lock:
            self.server.posted.append(body.decode("utf-8", "replace"))
        self._answer()


@contextmanager
def replay_server(**options):
    server = ReplayServer(**options)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
