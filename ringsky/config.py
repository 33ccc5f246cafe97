"""Configuration items, astropy style: set in ``~/.astropy/config/ringsky.cfg`` or at run time."""
import os
from pathlib import Path

from astropy import config as _config


class Conf(_config.ConfigNamespace):
    """ringsky settings; ``conf.set_temp`` changes one for a block of code (as tests do)."""

    cache_dir = _config.ConfigItem(
        "", "Folder for cached cutouts and simulated training sets; empty means "
        "$RINGSKY_CACHE, else $XDG_CACHE_HOME/ringsky, else ~/.cache/ringsky.")
    known_catalogues = _config.ConfigItem(
        "", "Folder of the known ring catalogues that ringsky catalogue cross-identifies by default; empty "
        "means $RINGSKY_KNOWN_CATALOGUES, else ../shared/data/catalogues beside the repository.")
    tile_packs = _config.ConfigItem(True, "Keep each scored tile's decoded pictures in the cache as one "
                                    ".npy pack, so scoring it again reads one file and decodes nothing.")
    batch_size = _config.ConfigItem(256, "Images per model forward pass when scoring.")
    hats_import_rows = _config.ConfigItem(1_000_000, "A catalogue of more rows is written as HATS by hats-import "
                                          "(on disk, per tile) rather than lsdb.from_dataframe (in memory).")
    workers = _config.ConfigItem(2, "Processes that render simulated cutouts.")
    sim_seed = _config.ConfigItem(2026, "Seed of the simulated sky (--survey sim).")
    sim_density = _config.ConfigItem(100.0, "Galaxies per square degree on the simulated sky, "
                                     "about a Galaxy-Zoo-like magnitude limit (r < 17.7).")
    sim_ring_fraction = _config.ConfigItem(0.1, "Fraction of ringed galaxies on the simulated sky.")
    scheduler_timeout = _config.ConfigItem(20.0, "Seconds to wait for a running Dask scheduler (--scheduler "
                                           "tcp://...) to answer before giving up.")
    timeout_connect = _config.ConfigItem(10.0, "Seconds to wait for a survey service to accept a connection.")
    timeout_read = _config.ConfigItem(60.0, "Seconds to wait for bytes from a survey service before retrying.")
    retries = _config.ConfigItem(5, "Retries of one request after a connection error, timeout, 429 or 5xx.")
    backoff = _config.ConfigItem(1.0, "Seconds before the first retry; doubles each time, with jitter.")
    backoff_max = _config.ConfigItem(60.0, "Longest wait between retries, Retry-After included.")
    connections_per_host = _config.ConfigItem(4, "Requests in flight at once to one host.")
    requests_per_second = _config.ConfigItem(5.0, "Most requests started per second to one host.")
    user_agent = _config.ConfigItem("ringsky (https://github.com/ringsky/ringsky)",
                                    "User-Agent header sent to survey services.")
    legacy_url = _config.ConfigItem("https://www.legacysurvey.org/viewer",
                                    "Legacy Surveys viewer (cutout.fits, cutout.jpg).")
    skyserver_url = _config.ConfigItem("https://skyserver.sdss.org/dr18/SkyServerWS",
                                       "SDSS SkyServer web services (ImgCutout, SqlSearch).")
    sdss_sas_url = _config.ConfigItem("https://data.sdss.org/sas/dr17/eboss/photoObj/frames",
                                      "SDSS Science Archive Server folder of calibrated frames.")
    tap_url = _config.ConfigItem("https://datalab.noirlab.edu/tap",
                                 "Astro Data Lab TAP service holding ls_dr10.tractor.")
    vizier_url = _config.ConfigItem("https://vizier.cds.unistra.fr/viz-bin/votable",
                                    "VizieR VOTable service (Buta 2017 is J/MNRAS/471/4027).")
    gz2_url = _config.ConfigItem("https://gz2hart.s3.amazonaws.com/gz2_hart16.csv.gz",
                                 "Galaxy Zoo 2 main table (Hart et al. 2016), as linked from data.galaxyzoo.org.")
    gzdecals_url = _config.ConfigItem("https://zenodo.org/records/4573248/files/gz_decals_volunteers_5.csv",
                                      "Galaxy Zoo DECaLS DR5 volunteer votes (Walmsley et al. 2022, Zenodo 4573248).")


conf = Conf()


CACHE_FOLDERS = {
    "http": "survey and service answers, one file per request (ringsky.net)",
    "parents": "parent lists, one table per survey query and tile (ringsky.sources.parents)",
    "packs": "the decoded pictures of scored tiles, one .npy per tile (ringsky.pipeline.packs)",
    "sim": "rendered pictures of the simulated sky (ringsky.sources.simulated)",
    "training": "simulated training and validation sets (ringsky.learn.datasets)",
    "pictures": "decoded picture folders for pretraining and injection (ringsky.sources.picture_folders)",
    "known": "parsed known ring catalogues for cross-identification (ringsky.catalogue.crossids)",
}
"""The cache's sub-folders, each named here only, and what each holds."""


def cache_folder(kind):
    """The cache sub-folder ``kind`` (one of CACHE_FOLDERS) as a Path."""
    if kind not in CACHE_FOLDERS:
        raise KeyError(f"no cache folder {kind!r}: one of {', '.join(CACHE_FOLDERS)}")
    return cache_dir() / kind


def cache_dir():
    """The cache root as a Path (created on first use)."""
    root = conf.cache_dir or os.environ.get("RINGSKY_CACHE") or Path(
        os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "ringsky"
    path = Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path
