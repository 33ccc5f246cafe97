"""What every command group shares: the parser that turns a bad value into a usage error, and
the image source and tiles named on the command line."""
import argparse

from .. import RingskyError


class UsageError(RingskyError):
    """A bad command-line value; exit status 2."""


class Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


def source_of(args):
    """The image source named by --survey (with --parents, --format, --pixscale); an unknown
    name is a usage error."""
    from ..sources import UnknownSourceError, open_source

    try:
        return open_source(args.survey, parents=getattr(args, "parents", None),
                           image_format=getattr(args, "format", None), pixscale=getattr(args, "pixscale", None))
    except UnknownSourceError as error:
        raise UsageError(str(error)) from error


def tiles_and_source(args):
    from ..tiles import TileSpecError, parse_tile_spec

    try:
        spec = parse_tile_spec(args.tile)
    except TileSpecError as error:
        raise UsageError(str(error)) from error
    source = source_of(args)
    tiles = spec.resolve(source.footprint)
    if not tiles:
        raise UsageError(f"{args.tile} selects no tile of the footprint of {source.name}")
    return tiles, source

