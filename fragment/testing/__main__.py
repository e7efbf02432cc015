"""``python -m fragment.testing``: see :mod:`fragment.testing._command`."""

import sys

from ._command import main

if __name__ == "__main__":
    sys.exit(main())
