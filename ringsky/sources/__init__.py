"""Image sources behind one small protocol, so scoring never knows which survey it reads.

A source answers three questions:

``footprint(nside)``
    the NESTED pixels at ``nside`` where it has galaxies (for ``--tile nside=N``);
``galaxies(tile)``
    the parent galaxy list a tile owns: an astropy Table with ``id``, ``ra``, ``dec`` (deg)
    and whatever truth or metadata the source knows;
``cutouts(galaxies, npix)``
    uint8 RGB pictures (N, npix, npix, 3), one per row, many positions at once.

Sources that know the truth also offer ``labelled_sample(npix)`` -> (images, labels, table)
for ``ringsky evaluate``.
"""
from .. import RingskyError


class UnknownSourceError(RingskyError):
    """A ``--survey`` value that names no source."""


def open_source(spec):
    """The source named on the command line: ``sim`` or ``folder:PATH``."""
    name, _, argument = (spec or "").partition(":")
    if name == "sim" and not argument:
        from .simulated import SimulatedSky

        return SimulatedSky()
    if name == "folder" and argument:
        from .folder import FolderSource

        return FolderSource(argument)
    raise UnknownSourceError(f"unknown survey {spec!r}: expected 'sim' or 'folder:PATH'")
