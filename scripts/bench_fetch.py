"""Fetching: requests per galaxy (per-galaxy cutouts vs the tile-aligned HiPS path) and fetch
throughput against the replay server on 127.0.0.1, with and without injected faults.

    python scripts/bench_fetch.py [--galaxies 300] [--density 100 1000] [--fault-rate 0.3]

1. A local colour HiPS (PNG tiles, 512 px, built with reproject from a 0.5 deg square mosaic at
   0.8 arcsec/px) is served over HTTP. Galaxies are scattered over it at each density (per deg^2)
   with Tractor-like radii (2.5-9 arcsec, so 42-153 arcsec cutouts of 64 px). Requests are counted
   by ringsky.net for: hips2fits (one request per galaxy), HiPS tiles fetched galaxy by galaxy
   (each with an empty cache: no sharing), and the tile-aligned path (each HiPS tile once per batch).
2. ``ringsky fetch``'s engine pulls Legacy FITS cutouts for ``--galaxies`` galaxies from the
   replay server, fault-free and with ``--fault-rate`` faults (500, 429 with Retry-After: 1,
   stalls past a 1 s read timeout, truncated bodies, HTML pages with status 200).
"""
import argparse
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from astropy.table import Table
from astropy.wcs import WCS

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from astroquery.hips2fits import hips2fits  # noqa: E402
from replay_server import replay_server  # noqa: E402

from ringsky import net  # noqa: E402
from ringsky.config import conf  # noqa: E402
from ringsky.sources.hips import HipsSource  # noqa: E402
from ringsky.sources.legacy import LegacySurvey  # noqa: E402

CENTRE = (150.5, 2.0)
SIDE_DEG = 0.5
PIXSCALE = 0.8


def build_hips(root):
    from pyavm import AVM
    from PIL import Image
    from reproject import reproject_interp
    from reproject.hips import reproject_to_hips

    npix = int(SIDE_DEG * 3600 / PIXSCALE)
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    wcs.wcs.crval, wcs.wcs.crpix = list(CENTRE), [npix / 2 + 0.5, npix / 2 + 0.5]
    wcs.wcs.cdelt = [-PIXSCALE / 3600, PIXSCALE / 3600]
    noise = np.random.default_rng(0).integers(10, 60, (npix, npix, 3), dtype=np.uint8)
    Image.fromarray(noise).save(root / "plain.png")
    AVM.from_wcs(wcs, shape=(npix, npix)).embed(str(root / "plain.png"), str(root / "sky.png"))
    reproject_to_hips(str(root / "sky.png"), coord_system_out="equatorial", reproject_function=reproject_interp,
                      output_directory=str(root / "hips"), tile_size=512)
    return root / "hips", wcs, npix


def scattered(wcs, npix, count, seed):
    rng = np.random.default_rng(seed)
    margin = 100
    ra, dec = wcs.pixel_to_world_values(rng.uniform(margin, npix - margin, count),
                                        rng.uniform(margin, npix - margin, count))
    return Table({"id": [f"g{i}" for i in range(count)], "ra": ra, "dec": dec,
                  "size": rng.uniform(2.5, 9.0, count)})


@contextmanager
def hips2fits_server(url):
    """Point astroquery's hips2fits at ``url`` (its ``server`` attribute) for a block."""
    saved, hips2fits.server = hips2fits.server, url
    try:
        yield
    finally:
        hips2fits.server = saved


def requests_for(action):
    before = net.stats["requests"]
    action()
    return net.stats["requests"] - before


def requests_per_galaxy(hips, wcs, npix, densities):
    area = (SIDE_DEG * (npix - 200) / npix) ** 2
    with replay_server(hips_root=hips) as server:
        for density in densities:
            galaxies = scattered(wcs, npix, max(1, int(density * area)), seed=density)
            with tempfile.TemporaryDirectory() as cache, conf.set_temp("cache_dir", cache), \
                    hips2fits_server(f"{server.url}/hips2fits"):
                per_galaxy = requests_for(lambda: HipsSource(None, "CDS/P/DESI-Legacy-Surveys/DR10/color")
                                          .cutouts(galaxies, 64))
            source = HipsSource(None, f"{server.url}/hips")
            unshared = 0
            for i in range(len(galaxies)):
                with tempfile.TemporaryDirectory() as cache, conf.set_temp("cache_dir", cache):
                    unshared += requests_for(lambda: source.cutouts(galaxies[i:i + 1], 64))
            with tempfile.TemporaryDirectory() as cache, conf.set_temp("cache_dir", cache):
                source = HipsSource(None, f"{server.url}/hips")
                aligned = requests_for(lambda: source.cutouts(galaxies, 64))
            n = len(galaxies)
            print(f"density {density}/deg2 ({n} galaxies): requests per galaxy: hips2fits {per_galaxy / n:.2f}, "
                  f"HiPS tiles per galaxy {unshared / n:.2f}, tile-aligned {aligned / n:.2f}")


def fetch_rate(galaxies, fault_rate):
    with tempfile.TemporaryDirectory() as cache, conf.set_temp("cache_dir", cache), \
            replay_server(fault_rate=fault_rate, seed=1, stall=1.5, retry_after="1") as server, \
            conf.set_temp("legacy_url", f"{server.url}/viewer"), conf.set_temp("timeout_read", 1.0), \
            conf.set_temp("backoff", 0.05), conf.set_temp("retries", 8), conf.set_temp("requests_per_second", 1000.0):
        before = dict(net.stats)
        start = time.perf_counter()
        failed = LegacySurvey(None).fetch(galaxies, 64)
        seconds = time.perf_counter() - start
        retried = net.stats["retried"] - before.get("retried", 0)
        faults = server.faults()
    print(f"fetch, fault rate {fault_rate:.0%}: {len(galaxies) / seconds:.1f} galaxies/s "
          f"({len(galaxies)} cutouts, {seconds:.1f} s, {retried} retried, {len(faults)} faults injected, "
          f"{len(failed)} failed)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--galaxies", type=int, default=300)
    parser.add_argument("--density", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--fault-rate", type=float, default=0.3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as root:
        hips, wcs, npix = build_hips(Path(root))
        requests_per_galaxy(hips, wcs, npix, args.density)
        galaxies = scattered(wcs, npix, args.galaxies, seed=7)
    fetch_rate(galaxies, 0.0)
    fetch_rate(galaxies, args.fault_rate)


if __name__ == "__main__":
    main()
