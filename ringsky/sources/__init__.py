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
for ``ringsky evaluate``. Sources with five-band data (the simulator, SDSS FITS frames, folders
of ugriz FITS) list "ugriz" in their ``planes`` and offer ``ugriz_cutouts(galaxies, npix)`` ->
uint8 (N, npix, npix, 5) for 5-channel models; their ``labelled_sample`` takes
``planes="ugriz"``. ``pictures`` and ``labelled_pictures`` pick the kind a model reads.
A ``pack_key`` names what a source's pictures depend on besides each galaxy's id and size, so
that scoring can keep a tile's decoded pictures in one file (:mod:`ringsky.pipeline.packs`).
"""
from .. import RingskyError

__all__ = ["SURVEYS", "UnknownSourceError", "check_planes", "has_splits", "labelled_pictures", "open_source",
           "pictures"]


class UnknownSourceError(RingskyError):
    """A ``--survey`` value that names no source."""


SURVEYS = "'sim', 'folder:PATH', 'legacy[:LAYER]', 'sdss' or 'hips:ID|PATH|URL'"


def check_planes(source, planes):
    """One clear error, before any work, when ``source`` cannot give a model its kind of picture."""
    if planes not in getattr(source, "planes", ("rgb",)):
        raise RingskyError(f"{source.name} has no ugriz images for a 5-channel model: use sim, "
                           "sdss with --format fits, or a folder of ugriz FITS cutouts")


def pictures(source, galaxies, npix, planes="rgb"):
    """The galaxies as a model with ``planes`` pictures (``ModelConfig.planes``) reads them."""
    if planes == "rgb":
        return source.cutouts(galaxies, npix)
    check_planes(source, planes)
    return source.ugriz_cutouts(galaxies, npix)


def has_splits(source):
    """True for a source whose rows carry a training table's ``split`` (a ``fetch --folder``)."""
    return bool(getattr(source, "splits", ()))


def labelled_pictures(source, npix, planes="rgb", splits=None, **options):
    """``source.labelled_sample`` as a model with ``planes`` pictures reads it; with ``splits``,
    only the rows of those splits where the source has them (``has_splits``), else every row."""
    if splits is not None and has_splits(source):
        options["splits"] = splits
    if planes == "rgb":
        return source.labelled_sample(npix, **options)
    check_planes(source, planes)
    return source.labelled_sample(npix, planes=planes, **options)


def open_source(spec, parents=None, image_format=None, pixscale=None):
    """The source named on the command line. Online surveys take their galaxies from
    ``parents`` (``tractor``, ``sdss`` or a table file; see :mod:`ringsky.sources.parents`), their
    cutout format (``fits`` or ``jpeg``) and a fixed ``pixscale`` in arcsec/px (else the
    cutout follows the galaxy's size)."""
    name, _, argument = (spec or "").partition(":")
    if name == "legacy":
        from .parents import open_parents
        from .legacy import LegacySurvey

        return LegacySurvey(open_parents(parents, "tractor"), layer=argument or "ls-dr10",
                            image_format=image_format or "fits", pixscale=pixscale)
    if name == "sdss" and not argument:
        from .parents import open_parents
        from .sdss import Sdss

        return Sdss(open_parents(parents, "sdss"), image_format=image_format or "jpeg", pixscale=pixscale)
    if name == "hips" and argument:
        from .parents import open_parents
        from .hips import HipsSource

        return HipsSource(open_parents(parents, "tractor"), argument, pixscale=pixscale)
    if name == "sim" and not argument:
        from .simulated import SimulatedSky

        return SimulatedSky()
    if name == "folder" and argument:
        from .folder import FolderSource

        return FolderSource(argument)
    raise UnknownSourceError(f"unknown survey {spec!r}: expected {SURVEYS}")
