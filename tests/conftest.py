"""Test set-up: an isolated cache, offline timm, the shared real data, and a CLI runner.

Sockets other than loopback are blocked by pytest-remotedata (see test_offline.py);
tests that need the live network carry ``@pytest.mark.remote_data``.
"""
import os
import shutil
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
REAL_RINGS = SHARED_DATA / "gz-decals-rings"


def pytest_configure(config):
    """One fresh cache for the whole session, shared by in-process and subprocess calls."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    config.ringsky_cache = tempfile.mkdtemp(prefix="ringsky-test-cache-")
    os.environ["RINGSKY_CACHE"] = config.ringsky_cache


def pytest_unconfigure(config):
    shutil.rmtree(getattr(config, "ringsky_cache", ""), ignore_errors=True)


def needs_real_rings():
    return pytest.mark.skipif(not (REAL_RINGS / "catalogue.csv").exists(),
                              reason=f"real images not found at {REAL_RINGS} (../shared/data is absent)")


def require_tool(name):
    """Path of a command-line tool; skip where it is missing, but fail in CI, which installs it."""
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is not installed, but CI must install it (.ci/run)")
        pytest.skip(f"{name} is not installed (apt-get install {name})")
    return path


def run_cli(*args, check=True, timeout=600, env=None):
    """Run the real ``ringsky`` command in a subprocess (``env`` adds variables); return the
    CompletedProcess."""
    result = subprocess.run([sys.executable, "-m", "ringsky.cli", *map(str, args)], capture_output=True,
                            text=True, timeout=timeout, cwd=REPO, env={**os.environ, **(env or {})})
    if check and result.returncode != 0:
        raise AssertionError(f"ringsky {' '.join(map(str, args))} failed:\n{result.stdout}\n{result.stderr}")
    return result


def assert_one_line_error(result, status, *fragments):
    """A user error: the given exit status, one line on stderr, no traceback."""
    assert result.returncode == status, (result.returncode, result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("ringsky: error: "), lines[0]
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@pytest.fixture(scope="session")
def small_model(tmp_path_factory):
    """An untrained 32 px convnext_atto saved like a real model: fast mechanics tests."""
    from ringsky.learn.models import ModelConfig, build_network, save_classifier

    path = tmp_path_factory.mktemp("small-model") / "small"
    config = ModelConfig(architecture="convnext_atto", input_size=32, threshold=0.5)
    save_classifier(build_network(config), config, path)
    return path.with_suffix(".json")


@pytest.fixture(scope="session")
def sim_catalogue(tmp_path_factory):
    """A real catalogue (FITS, VOTable, MOC) of ~84 simulated galaxies in four nside=128 tiles,
    scored by the shipped model."""
    root = tmp_path_factory.mktemp("sim-catalogue")
    tile = 4 * 1703
    run_cli("score", "--tile", f"nside=128:{tile * 16}-{tile * 16 + 3}", "--survey", "sim", "--scheduler", "none",
            "--out", root / "tiles", "--quiet")
    run_cli("catalogue", root / "tiles", "--out", root / "cat", "--quiet")
    return root / "cat" / "catalogue.fits"


FAST_NETWORK = {"backoff": 0.01, "backoff_max": 2.0, "timeout_connect": 1.0, "timeout_read": 0.4,
                "retries": 8, "requests_per_second": 1000.0}
"""Network settings for tests: quick back-off and a short read timeout, so stalls cost little."""


@pytest.fixture
def fast_network(tmp_path):
    """Quick retries and a fresh cache for one test (in-process)."""
    from ringsky.config import conf

    with ExitStack() as stack:
        for name, value in dict(FAST_NETWORK, cache_dir=str(tmp_path / "cache")).items():
            stack.enter_context(conf.set_temp(name, value))
        yield tmp_path / "cache"


def config_home(tmp_path, **items):
    """An XDG config home whose astropy/ringsky.cfg sets ``items`` (plus FAST_NETWORK): how a
    user points ringsky at other services, and how subprocess tests reach the replay server."""
    home = tmp_path / "xdg"
    (home / "astropy").mkdir(parents=True, exist_ok=True)
    lines = ["[config]"] + [f"{name} = {value}" for name, value in {**FAST_NETWORK, **items}.items()]
    (home / "astropy" / "ringsky.cfg").write_text("\n".join(lines) + "\n")
    return home


def kill_once_checkpointed(args, checkpoint, timeout=120):
    """Start ``ringsky ARGS``, SIGKILL it as soon as ``checkpoint`` exists (its first epoch
    written), and wait for it to end: an interrupted training run to resume."""
    import signal
    import time

    process = subprocess.Popen([sys.executable, "-m", "ringsky.cli", *map(str, args)], cwd=REPO,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + timeout
    while not checkpoint.exists() and process.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
