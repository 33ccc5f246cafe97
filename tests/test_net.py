"""The HTTP layer against a real server on 127.0.0.1: retries, Retry-After, validation,
cache, per-host limits, and errors from libraries that are not OSError."""
import io
import socket
import time

import numpy as np
import pytest
from astropy.io import fits
from PIL import Image
from replay_server import HTML_ERROR, RECORDED, replay_server

from ringsky import net
from ringsky.config import conf

FITS_BYTES = (RECORDED / "legacy-cutout-0.fits").read_bytes()


def cutout_url(server):
    return f"{server.url}/viewer/cutout.fits", {"ra": "151.000000", "dec": "1.000000"}


def recorded_for(params):
    import zlib

    key = zlib.crc32(f"{params['ra']},{params['dec']}".encode()) % 4
    return (RECORDED / f"legacy-cutout-{key}.fits").read_bytes()


def counts():
    return dict(net.stats)


def delta(before, key):
    return net.stats[key] - before.get(key, 0)


@pytest.mark.parametrize("fault", ["500", "429", "stall", "truncated", "html200"])
def test_each_fault_is_retried_and_the_good_answer_cached(fast_network, fault):
    with replay_server(script=[fault], stall=1.0, retry_after="0") as server:
        url, params = cutout_url(server)
        before = counts()
        assert net.fetch(url, params, expect="fits") == recorded_for(params)
        assert delta(before, "retried") == 1 and delta(before, "requests") == 2
        assert [f for _, f in server.log] == [fault, None]
        assert net.fetch(url, params, expect="fits") == recorded_for(params)
        assert len(server.log) == 2 and delta(before, "cached") == 1


def test_retry_after_is_honoured(fast_network):
    with replay_server(script=["429"], retry_after="1") as server:
        url, params = cutout_url(server)
        start = time.monotonic()
        net.fetch(url, params, expect="fits")
        assert time.monotonic() - start >= 1.0


def test_a_persistent_html_page_is_an_error_and_never_cached(fast_network):
    with conf.set_temp("retries", 2), replay_server(script=["html200"] * 3) as server:
        url, params = cutout_url(server)
        with pytest.raises(net.BadResponse, match="HTML page"):
            net.fetch(url, params, expect="fits")
        assert len(server.log) == 3
        assert not net.cache_path(url, params, "fits").exists()


def test_404_is_final(fast_network):
    with replay_server() as server:
        with pytest.raises(net.NotFound):
            net.fetch(f"{server.url}/nothing/here", expect="image")
        assert len(server.log) == 1


def test_unreachable_host_is_service_unavailable(fast_network):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with conf.set_temp("retries", 2), pytest.raises(net.ServiceUnavailable, match="after 3 attempts"):
        net.fetch(f"http://127.0.0.1:{port}/viewer/cutout.fits", {"ra": 1}, expect="fits")


def test_a_corrupt_cache_entry_is_fetched_again(fast_network):
    with replay_server() as server:
        url, params = cutout_url(server)
        net.fetch(url, params, expect="fits")
        path = net.cache_path(url, params, "fits")
        path.write_bytes(path.read_bytes()[:5000])
        assert net.fetch(url, params, expect="fits") == recorded_for(params)
        assert len(server.log) == 2


def test_per_host_concurrency_and_rate_limits(fast_network):
    from concurrent.futures import ThreadPoolExecutor

    with conf.set_temp("connections_per_host", 2), conf.set_temp("requests_per_second", 20.0), \
            conf.set_temp("timeout_read", 5.0), replay_server(script=["stall"] * 6, stall=0.2) as server:
        start = time.monotonic()
        with ThreadPoolExecutor(6) as pool:
            list(pool.map(lambda i: net.fetch(f"{server.url}/viewer/cutout.fits", {"ra": i}, expect="fits",
                                              cache=False), range(10)))
        assert server.max_in_flight == 2
        assert time.monotonic() - start >= 9 / 20


@pytest.mark.parametrize("expect, content, reason", [
    ("fits", FITS_BYTES[:len(FITS_BYTES) - 100], "truncated"),
    ("fits", HTML_ERROR, "HTML page"),
    ("fits", b"", "empty"),
    ("image", (RECORDED / "legacy-cutout-0.jpg").read_bytes()[:600], "not a valid image"),
    ("votable", b"<VOTABLE><RESOURCE>", "not a valid votable"),
])
def test_validation_rejects_broken_content(expect, content, reason):
    with pytest.raises(ValueError, match=reason):
        net.validate(content, expect)


def test_validation_accepts_real_content():
    net.validate(FITS_BYTES, "fits")
    net.validate((RECORDED / "legacy-cutout-0.jpg").read_bytes(), "image")
    net.validate((RECORDED / "tap-tractor.xml").read_bytes(), "votable")
    buffer = io.BytesIO()
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(buffer, format="PNG")
    net.validate(buffer.getvalue(), "image")
    with fits.open(io.BytesIO(FITS_BYTES)) as hdus:
        assert hdus[0].header["BANDS"] == "grz"


def test_retry_after_forms():
    assert net.parse_retry_after("7") == 7.0
    assert 55 < net.parse_retry_after(time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 60))) <= 60
    assert net.parse_retry_after("soon") is None
    with conf.set_temp("backoff_max", 5.0):
        assert net.backoff_delay(0, server_wait=3600) == 5.0
    with conf.set_temp("backoff", 1.0), conf.set_temp("backoff_max", 100.0):
        delays = [net.backoff_delay(3) for _ in range(50)]
        assert 4.0 <= min(delays) and max(delays) <= 8.0 and len(set(delays)) > 1


def test_library_errors_are_retried_including_pyvo(fast_network):
    from pyvo.dal import DALQueryError, DALServiceError

    attempts = []

    def flaky():
        attempts.append(1)
        if len(attempts) == 1:
            raise ConnectionError("connection reset")
        if len(attempts) == 2:
            raise DALServiceError("503 from TAP")
        return "table"

    assert net.call_with_retries(flaky, "TAP") == "table" and len(attempts) == 3
    with conf.set_temp("retries", 1), pytest.raises(net.ServiceUnavailable, match="DALServiceError"):
        net.call_with_retries(lambda: (_ for _ in ()).throw(DALServiceError("down")), "TAP")
    with pytest.raises(net.BadResponse, match="query refused"):
        net.call_with_retries(lambda: (_ for _ in ()).throw(DALQueryError("bad ADQL")), "TAP")
    with pytest.raises(KeyError):
        net.call_with_retries(lambda: {}["x"], "not ours")
