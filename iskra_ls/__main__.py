"""``python -m iskra_ls``: the same as the ``iskra-ls`` command."""

from iskra_ls.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
