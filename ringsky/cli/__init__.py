"""The ``ringsky`` command. User errors are one line on stderr and a non-zero exit status:
2 for a bad command line (tile spec, survey name), 1 for anything else that went wrong.
Each command group's options live beside its handlers, in its own module."""
import signal
import sys

from .. import RingskyError, __version__
from ..config import conf
from . import explore, labels, learn, pipeline
from .common import Parser, UsageError

__all__ = ["build_parser", "main"]


def build_parser():
    parser = Parser(prog="ringsky", description="Find ring galaxies in imaging surveys.")
    parser.add_argument("--version", action="version", version=f"ringsky {__version__}")
    common = Parser(add_help=False)
    common.add_argument("--cache", help="cache folder for cutouts and training sets")
    common.add_argument("--quiet", action="store_true", help="no progress bars")
    subparsers = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    def command(name, help_text):
        return subparsers.add_parser(name, help=help_text, parents=[common])

    for group in (learn, pipeline, labels, explore):
        group.add_commands(command, common)
    return parser


def _interrupted(signum, frame):
    raise KeyboardInterrupt


def main(argv=None):
    signal.signal(signal.SIGTERM, _interrupted)  # a batch system's SIGTERM ends a run as Ctrl-C does
    try:
        args = build_parser().parse_args(argv)
        with conf.set_temp("cache_dir", args.cache or conf.cache_dir):
            args.func(args)
    except UsageError as error:
        print(f"ringsky: error: {error}", file=sys.stderr)
        return 2
    except RingskyError as error:
        print(f"ringsky: error: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        where = f": {error.filename}" if error.filename else ""
        print(f"ringsky: error: {error.strerror or error}{where}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("ringsky: interrupted; finished tiles are kept", file=sys.stderr)
        return 130
    return 0

