"""Atomic file writes (a result is either complete on disk or absent, never half written), and
names for files derived from others."""
import hashlib
import os
import time
import uuid
from contextlib import contextmanager
from pathlib import Path


def part_path(path):
    """An unused hidden temporary path beside ``path``, for writing it atomically."""
    return path.with_name(f".{path.name}.{uuid.uuid4().hex}.part")


def remove_stale_parts(folder, idle_seconds=None):
    """Delete the temporary files that runs killed mid-write left in ``folder`` (SIGKILL, power
    loss, a Dask worker stopped): a run starting in its own output folder owns it, so every one
    is stale; in a folder that runs share (the cache), only those nobody has written to for
    ``idle_seconds``, since a live writer touches its file with every batch."""
    now = time.time()
    for stale in Path(folder).glob(".*.part"):
        try:
            if idle_seconds is None or now - stale.stat().st_mtime > idle_seconds:
                stale.unlink()
        except FileNotFoundError:  # its writer finished or another run swept it meanwhile
            pass


@contextmanager
def atomic_path(path):
    """Yield an unused temporary path beside ``path``; move it into place only if the block succeeds."""
    path = Path(path)
    temporary = part_path(path)
    try:
        yield temporary
        os.replace(temporary, path)
    finally:
        if temporary.exists():
            temporary.unlink()


@contextmanager
def failures_named(path):
    """An OSError in the block that names no file (a full disk, as most writers report it) is
    raised again naming ``path``, so that its one-line message says what could not be written."""
    try:
        yield
    except OSError as error:
        if error.filename:
            raise
        raise OSError(error.errno, error.strerror or str(error), str(path)) from error


def version_key(paths, *parts):
    """A short name for data derived from these files as they are now (path, modification
    time, size) and ``parts``: a changed file gets a new name, so a stale result is never reused."""
    stamps = [f"{Path(p).resolve()}:{Path(p).stat().st_mtime_ns}:{Path(p).stat().st_size}" for p in paths]
    return hashlib.sha1("|".join(stamps + [str(part) for part in parts]).encode()).hexdigest()[:16]
