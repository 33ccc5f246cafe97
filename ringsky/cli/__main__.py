"""``python -m ringsky.cli``, as the tests and the explorer's server run it."""
import sys

from . import main

sys.exit(main())
