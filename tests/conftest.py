"""The fast default run: tests that start a real editor or build a package are opt-in.

Tests marked ``real_editor`` (Neovim, Emacs, VS Code in code-server) or ``packaging``
(wheel, sdist, VSIX, PyInstaller, ``:Iskra install``) take most of a full run's time. A plain
``pytest`` deselects them and says so at the end; they run with ``--all`` (``.ci/run`` does),
with an explicit ``-m`` expression, or when their file or test is named on the command line.
"""

from __future__ import annotations

from pathlib import Path

import pytest

SLOW_MARKS = ("real_editor", "packaging")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--all",
        action="store_true",
        default=False,
        help="also run the tests marked real_editor and packaging (what .ci/run does)",
    )


def _named(config: pytest.Config) -> set[Path]:
    """The test files named on the command line (a folder names none of its files)."""
    if config.args_source != pytest.Config.ArgsSource.ARGS:
        return set()
    files = set()
    for arg in config.args:
        path = Path(config.invocation_params.dir, arg.split("::", 1)[0]).resolve()
        if path.is_file():
            files.add(path)
    return files


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--all") or config.getoption("markexpr"):
        return
    named = _named(config)
    keep, slow = [], []
    for item in items:
        marked = any(item.get_closest_marker(mark) for mark in SLOW_MARKS)
        if marked and Path(str(item.path)).resolve() not in named:
            slow.append(item)
        else:
            keep.append(item)
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = keep
        config.stash[_DESELECTED] = len(slow)


_DESELECTED = pytest.StashKey[int]()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter,
                            config: pytest.Config) -> None:
    count = config.stash.get(_DESELECTED, 0)
    if count:
        terminalreporter.write_line(
            f"{count} tests that start a real editor or build a package were deselected: "
            "`pytest --all` runs them too (as .ci/run does)."
        )
