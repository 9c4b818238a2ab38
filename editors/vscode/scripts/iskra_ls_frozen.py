"""Entry point of the frozen (PyInstaller) iskra-ls that the VS Code extension carries.

The same as the ``iskra-ls`` console script; a file of its own because PyInstaller freezes a
script, not an entry point.
"""

import multiprocessing
import sys

from iskra_ls.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()
    sys.exit(main())
