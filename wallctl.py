"""Run wallctl from a checkout without installing: `python wallctl.py check config/demo.yaml`."""

import sys

from wall.cli import main

if __name__ == "__main__":
    sys.exit(main())
