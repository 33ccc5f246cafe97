"""ringsky: find ring galaxies in imaging surveys and publish them as a VO catalogue."""
from importlib.metadata import PackageNotFoundError, version

__all__ = ["RingskyError", "__version__"]

try:
    __version__ = version("ringsky")
except PackageNotFoundError:
    __version__ = "0.0.0+unknown"


class RingskyError(Exception):
    """A problem the user can fix (bad input, missing file); shown as one line, never a traceback."""
