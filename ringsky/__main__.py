"""``python -m ringsky``: the ringsky command."""
import sys

from .cli import main

sys.exit(main())
