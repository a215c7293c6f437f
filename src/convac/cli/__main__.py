"""``python -m convac.cli``: the ``convac`` program."""

import sys

from convac.cli import main

if __name__ == "__main__":
    sys.exit(main())
