"""Value types for the command line: a number out of its range is a usage error naming the
option (exit 2) before any work starts, not a traceback from deep inside a run."""
import argparse
import math


def whole(minimum=0, maximum=None):
    """An int in [minimum, maximum]."""
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum or (maximum is not None and value > maximum):
            raise argparse.ArgumentTypeError(f"{value} is not in [{minimum}, {maximum if maximum is not None else '...'}]")
        return value

    return parse


def number(minimum=None, maximum=None, above=None):
    """A finite float in [minimum, maximum], or greater than ``above``."""
    def parse(text):
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not math.isfinite(value) or (minimum is not None and value < minimum) \
                or (maximum is not None and value > maximum) or (above is not None and value <= above):
            low = f"({above:g}" if above is not None else (f"[{minimum:g}" if minimum is not None else "(...")
            high = f"{maximum:g}]" if maximum is not None else "...)"
            raise argparse.ArgumentTypeError(f"{text} is not in {low}, {high}")
        return value

    return parse


def whole_list(text):
    """Comma-separated whole numbers, at least one."""
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        values = []
    if not values:
        raise argparse.ArgumentTypeError(f"{text!r} is not whole numbers separated by commas")
    return values


POSITIVE = whole(1)
COUNT = whole(0)
PIXELS = whole(8, 4096)
FRACTION = number(0.0, 1.0)
CROP = number(maximum=1.0, above=0.0)
POSITIVE_NUMBER = number(above=0.0)
NON_NEGATIVE = number(minimum=0.0)
