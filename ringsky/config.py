"""Configuration items, astropy style: set in ``~/.astropy/config/ringsky.cfg`` or at run time."""
import os
from pathlib import Path

from astropy import config as _config


class Conf(_config.ConfigNamespace):
    """ringsky settings; ``conf.set_temp`` changes one for a block of code (as tests do)."""

    cache_dir = _config.ConfigItem(
        "", "Folder for cached cutouts and simulated training sets; empty means "
        "$RINGSKY_CACHE, else $XDG_CACHE_HOME/ringsky, else ~/.cache/ringsky.")
    batch_size = _config.ConfigItem(256, "Images per model forward pass when scoring.")
    workers = _config.ConfigItem(2, "Processes that render simulated cutouts.")
    sim_seed = _config.ConfigItem(2026, "Seed of the simulated sky (--survey sim).")
    sim_density = _config.ConfigItem(100.0, "Galaxies per square degree on the simulated sky, "
                                     "about a Galaxy-Zoo-like magnitude limit (r < 17.7).")
    sim_ring_fraction = _config.ConfigItem(0.1, "Fraction of ringed galaxies on the simulated sky.")


conf = Conf()


def cache_dir():
    """The cache root as a Path (created on first use)."""
    root = conf.cache_dir or os.environ.get("RINGSKY_CACHE") or Path(
        os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "ringsky"
    path = Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path
