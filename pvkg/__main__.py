"""`python -m pvkg` runs the CLI."""

import sys

from pvkg._cli import main

if __name__ == "__main__":  # guarded: validation's worker processes import the main module afresh
    sys.exit(main())
