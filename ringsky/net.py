"""One HTTP client for every survey service: timeouts, polite retries, per-host limits and a
validated on-disk cache.

Surveys fail in many small ways: refused connections, stalls, 429 with ``Retry-After``, 5xx,
truncated bodies, and HTML error pages served with status 200. Every request goes through
:func:`fetch`, which retries the transient ones with exponential back-off and jitter, checks
that what came back decodes as what was asked for, and caches only bytes that passed.
Services reached through other libraries (pyvo TAP, astroquery) get the same retries from
:func:`call_with_retries`, which also understands pyvo's ``DALServiceError``, not an OSError.
"""
import bz2
import email.utils
import gzip
import hashlib
import io
import random
import threading
import time
import warnings
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import requests
from astropy.utils.exceptions import AstropyWarning

from . import RingskyError, __version__
from .config import cache_folder, conf
from .fileio import atomic_path

RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


class ServiceError(RingskyError):
    """A survey service did not give a usable answer."""


class ServiceUnavailable(ServiceError):
    """The service could not be reached, or kept failing, after every retry."""


class BadResponse(ServiceError):
    """The service answered, but not with what was asked for (4xx, or content that does not decode)."""


class NotFound(BadResponse):
    """HTTP 404: the service has nothing there (e.g. a HiPS tile outside the survey)."""


class _Transient(Exception):
    """One failed attempt worth retrying; ``wait`` is the server's Retry-After, if any."""

    def __init__(self, reason, wait=None, permanent=None):
        super().__init__(reason)
        self.wait = wait
        self.permanent = permanent


stats = Counter()
"""Counts since import: ``requests`` sent, ``cached`` hits, ``retried`` attempts, ``failed`` requests."""
_stats_lock = threading.Lock()


def _count(key, n=1):
    with _stats_lock:
        stats[key] += n


class _HostLimit:
    """At most ``connections`` requests in flight and ``rate`` starts per second to one host."""

    def __init__(self, connections, rate):
        self._slots = threading.BoundedSemaphore(connections)
        self._interval = 1.0 / rate if rate > 0 else 0.0
        self._lock = threading.Lock()
        self._next_start = 0.0

    @contextmanager
    def slot(self):
        with self._slots:
            with self._lock:
                start = max(time.monotonic(), self._next_start)
                self._next_start = start + self._interval
            time.sleep(max(0.0, start - time.monotonic()))
            yield


_hosts = {}
_hosts_lock = threading.Lock()
_session = threading.local()


def _host_limit(host):
    key = (host, conf.connections_per_host, conf.requests_per_second)
    with _hosts_lock:
        if key not in _hosts:
            _hosts[key] = _HostLimit(conf.connections_per_host, conf.requests_per_second)
        return _hosts[key]


def _http():
    """One requests.Session per thread (Sessions are not thread-safe)."""
    if not hasattr(_session, "value"):
        _session.value = requests.Session()
        _session.value.headers["User-Agent"] = f"{conf.user_agent} ringsky/{__version__}"
    return _session.value


def backoff_delay(attempt, server_wait=None):
    """Seconds before retry ``attempt`` (0-based): the server's Retry-After when it gave one,
    else exponential back-off with full jitter; never more than ``conf.backoff_max``."""
    if server_wait is not None:
        return min(server_wait, conf.backoff_max)
    return min(conf.backoff * 2 ** attempt, conf.backoff_max) * random.uniform(0.5, 1.0)


def parse_retry_after(value):
    """Retry-After as seconds: either delta-seconds or an HTTP date; None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def looks_like_html(content, content_type=""):
    head = content[:512].lstrip().lower()
    return "html" in (content_type or "").lower() or head.startswith((b"<!doctype html", b"<html"))


def decompressed(content):
    """The bytes, decompressed when they came bzip2- or gzip-compressed (SDSS frames, Galaxy Zoo CSVs)."""
    if content[:3] == b"BZh":
        return bz2.decompress(content)
    if content[:2] == b"\x1f\x8b":
        return gzip.decompress(content)
    return content


def _check_fits(content):
    from astropy.io import fits

    content = decompressed(content)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AstropyWarning)  # truncation is checked below, exactly
        with fits.open(io.BytesIO(content), lazy_load_hdus=False) as hdus:
            last = hdus.fileinfo(len(hdus) - 1)
            if len(content) < last["datLoc"] + last["datSpan"]:
                raise ValueError(f"truncated: {len(content)} of {last['datLoc'] + last['datSpan']} bytes")
            if not any(hdu.data is not None for hdu in hdus):
                raise ValueError("FITS file holds no data")


def _check_image(content):
    from PIL import Image

    with Image.open(io.BytesIO(content)) as image:
        image.load()


def _check_votable(content):
    from astropy.io.votable import parse

    parse(io.BytesIO(content)).get_first_table()


def _check_text(content):
    content.decode("utf-8")


def _check_csv(content):
    """A whole CSV file (gzip allowed): a header with columns, and a last line that ends."""
    text = decompressed(content)
    header = text[:text.find(b"\n")].decode("utf-8")
    if header.count(",") < 1:
        raise ValueError("no CSV header line")
    if not text.endswith(b"\n"):
        raise ValueError("truncated: the last line does not end")


VALIDATORS = {"fits": _check_fits, "image": _check_image, "votable": _check_votable, "text": _check_text,
              "csv": _check_csv}
"""What a response must decode as; anything else is retried and never cached."""


def validate(content, expect, content_type=""):
    """Raise ValueError unless ``content`` is a non-empty, decodable ``expect`` (not an HTML page)."""
    if not content:
        raise ValueError("empty body")
    if looks_like_html(content, content_type):
        raise ValueError("an HTML page came back instead of " + expect)
    try:
        VALIDATORS[expect](content)
    except Exception as error:  # decoders raise many types (OSError, ValueError, struct.error, ...)
        raise ValueError(f"not a valid {expect}: {error}") from error


def request_key(url, params, data=None):
    """A stable name for a request: its URL with sorted, encoded parameters, and any POST body."""
    query = urlencode(sorted((params or {}).items()))
    key = f"{url}?{query}" if query else url
    return key if data is None else f"{key} POST {data}"


def cache_path(url, params, expect, data=None):
    key = request_key(url, params, data)
    digest = hashlib.sha256(key.encode()).hexdigest()
    host = urlsplit(url).netloc.replace(":", "_") or "local"
    return cache_folder("http") / host / digest[:2] / f"{digest}.{expect}"


def _attempt(url, params, expect, data=None):
    try:
        timeout = (conf.timeout_connect, conf.timeout_read)
        if data is None:
            response = _http().get(url, params=params, timeout=timeout)
        else:
            response = _http().post(url, params=params, data=data, timeout=timeout)
        content = response.content
    except requests.RequestException as error:
        raise _Transient(f"{type(error).__name__}: {error}") from error
    if response.status_code in RETRY_STATUS:
        raise _Transient(f"HTTP {response.status_code}", parse_retry_after(response.headers.get("Retry-After")),
                         permanent=ServiceUnavailable)
    if response.status_code == 404:
        raise NotFound(f"{urlsplit(url).netloc} has no {request_key(url, params)} (HTTP 404)")
    if response.status_code >= 400:
        raise BadResponse(f"{urlsplit(url).netloc} answered HTTP {response.status_code} for {request_key(url, params)}")
    try:
        validate(content, expect, response.headers.get("Content-Type", ""))
    except ValueError as error:
        raise _Transient(str(error), permanent=BadResponse) from error
    return content


def fetch(url, params=None, *, expect, data=None, cache=True):
    """The body of ``GET url?params`` (``POST`` when given ``data``) that decodes as ``expect``
    ("fits", "image", "votable", "text", "csv"), from the cache when it holds it.
    Raises ServiceUnavailable or BadResponse."""
    path = cache_path(url, params, expect, data)
    if cache and path.exists():
        content = path.read_bytes()
        try:
            validate(content, expect)
            _count("cached")
            return content
        except ValueError:
            path.unlink(missing_ok=True)
    content = call_with_retries(lambda: _limited_attempt(url, params, expect, data), request_key(url, params))
    if cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as temporary:
            Path(temporary).write_bytes(content)
    return content


def _limited_attempt(url, params, expect, data=None):
    with _host_limit(urlsplit(url).netloc).slot():
        _count("requests")
        return _attempt(url, params, expect, data)


def _transient_from_library(error):
    """pyvo and astroquery failures as retryable attempts: OSError (requests, urllib) and pyvo's
    DALAccessError family, which is not an OSError. A refused query (DALQueryError) is final."""
    from pyvo.dal import DALAccessError, DALQueryError

    if isinstance(error, _Transient):
        return error
    if isinstance(error, DALQueryError):
        raise BadResponse(f"query refused: {str(error).splitlines()[0]}") from error
    status = getattr(getattr(error, "response", None), "status_code", None)
    if isinstance(error, requests.HTTPError) and status is not None and status not in RETRY_STATUS:
        raise BadResponse(f"HTTP {status}: {str(error).splitlines()[0]}") from error
    if isinstance(error, (OSError, DALAccessError)):
        first_line = str(error).splitlines()[0] if str(error) else ""
        return _Transient(f"{type(error).__name__}: {first_line}")
    return None


def call_with_retries(attempt, what):
    """``attempt()`` with retries on transient failures; the last failure becomes a ServiceError."""
    number = 0
    while True:
        try:
            return attempt()
        except Exception as error:  # classified just below; anything unexpected is re-raised
            transient = _transient_from_library(error)
            if transient is None:
                raise
            if number == conf.retries:
                _count("failed")
                kind = transient.permanent or ServiceUnavailable
                raise kind(f"{what}: {transient} (after {conf.retries + 1} attempts)") from error
            _count("retried")
            time.sleep(backoff_delay(number, transient.wait))
            number += 1
