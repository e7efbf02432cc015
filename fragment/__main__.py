"""``python -m fragment``: the same command line as the ``fragment`` script."""

import sys

from ._cli import main

if __name__ == "__main__":
    sys.exit(main())
