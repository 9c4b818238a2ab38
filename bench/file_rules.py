"""The file rules, measured on both sides, and what the file-policy service costs.

Figures (issue 20 items 1-2 and the Shape):

* ``hostile_caught`` / ``hostile_total``: names that must be secret or need consent
  (the issue's lists, backups and editor copies of secrets, CI of other forges, hook
  and tool managers) -- junk stopped;
* ``ordinary_paths`` / ``ordinary_flagged``: every file under the running Python's
  library folder (standard library and site-packages: real projects' sources, data,
  docs) asked both questions; key and certificate fixtures (``*.pem``, ``*.key``) are
  counted apart: ``ordinary_flagged`` is the right answers the rules drop;
* ``document_check_us_median``: one completion-context check
  (``FilePolicy.document_is_secret``) with the cached per-workspace service, in a
  workspace with ``.git/``, ``.github/``, ``.vscode`` links and a 6-deep file;
* ``document_check_new_policy_us_median``: the same check building the policy every
  time (what every completion request paid before the service was cached);
* ``list_2000_names_ms``: the secret check of 2 000 entries of one folder (a listing,
  one look at the links for all), against ``list_2000_names_one_by_one_ms``.
"""

from __future__ import annotations

import os
import statistics
import sys
import sysconfig
import tempfile
import time
from pathlib import Path
from typing import Any

from iskra_ls.file_policy import is_secret, needs_consent
from iskra_ls.file_service import FilePolicy

HOSTILE_SECRETS = [
    "#.env#", "prod.env.bak", "server.key.bak", ".git-credentials.bak", ".id_rsa.swp",
    "id_rsa~", ".npmrc.~2~", "server.key.orig", ".bash_history", ".zsh_history",
    ".python_history", ".local/share/fish/fish_history", ".cargo/credentials.toml",
    ".htpasswd", "auth.json", "secrets.yaml", "deploy/secrets.yml", ".yarnrc.yml",
    ".hg/hgrc", ".svn/entries", ".m2/settings.xml", ".gitcookies", ".env.local.swp",
]
HOSTILE_CONSENT = [
    ".gitea/workflows/ci.yml", ".forgejo/workflows/ci.yml", ".gitlab/ci/build.yml",
    "appveyor.yml", ".cirrus.yml", "lefthook.yaml", "lefthook-local.yml", "mise.local.toml",
    ".mise.local.toml", ".mise/config.toml", ".dir-locals.el", ".lazy.lua", ".gitpod.yml",
    ".tool-versions", ".cargo/config.toml", "gradle/wrapper/gradle-wrapper.properties",
    ".github/actions/setup/action.yaml", ".pre-commit-config.yml", "Directory.Build.props",
]
FIXTURES = (".pem", ".key", ".crt", ".der")


def rules_both_sides(limit: int | None = None) -> dict[str, Any]:
    caught = sum(is_secret(p) for p in HOSTILE_SECRETS) + sum(
        needs_consent(p) for p in HOSTILE_CONSENT)
    library = Path(sysconfig.get_paths()["stdlib"])
    paths: list[str] = []
    for folder in {library, Path(sysconfig.get_paths()["purelib"])}:
        for dirpath, _dirs, files in os.walk(folder):
            paths.extend(os.path.relpath(os.path.join(dirpath, f), folder) for f in files)
    paths = paths[:limit] if limit is not None else paths
    flagged = [p for p in paths if is_secret(p) or needs_consent(p)]
    fixtures = [p for p in flagged if p.lower().endswith(FIXTURES)]
    others = [p for p in flagged if not p.lower().endswith(FIXTURES)]
    return {
        "hostile_total": len(HOSTILE_SECRETS) + len(HOSTILE_CONSENT),
        "hostile_caught": caught,
        "ordinary_paths": len(paths),
        "ordinary_key_fixtures": len(fixtures),
        "ordinary_flagged": len(others),
        "ordinary_flagged_examples": others[:10],
        "python": sys.version.split()[0],
    }


def _workspace(root: Path) -> str:
    for folder in (".git/hooks", ".git/refs", ".github", "tools/vscode", "ci",
                   "src/a/b/c/d/e"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    os.symlink("tools/vscode", root / ".vscode")
    os.symlink("../ci", root / ".github" / "workflows")
    big = root / "big"
    big.mkdir()
    for n in range(2_000):
        (big / f"f{n:04}.py").touch()
    document = root / "src/a/b/c/d/e/module.py"
    document.write_text("x = 1\n", encoding="utf-8")
    return str(document)


def service_cost(runs: int = 2_000) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        document = _workspace(root)
        cached = FilePolicy([root])
        cached.document_is_secret(document)
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            cached.document_is_secret(document)
            timings.append((time.perf_counter() - started) * 1e6)
        fresh = []
        for _ in range(max(runs // 10, 20)):
            started = time.perf_counter()
            FilePolicy([root]).document_is_secret(document)
            fresh.append((time.perf_counter() - started) * 1e6)
        entries = {name: False for name in sorted(os.listdir(root / "big"))}
        started = time.perf_counter()
        hidden = len(cached.secret_entries(str(root / "big"), entries))
        listing_ms = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        for name in entries:
            cached.is_secret(str(root / "big" / name))
        one_by_one_ms = (time.perf_counter() - started) * 1000
    return {
        "document_check_us_median": round(statistics.median(timings), 1),
        "document_check_us_p95": round(sorted(timings)[int(len(timings) * 0.95)], 1),
        "document_check_new_policy_us_median": round(statistics.median(fresh), 1),
        "list_2000_names_ms": round(listing_ms, 1),
        "list_2000_names_one_by_one_ms": round(one_by_one_ms, 1),
        "list_2000_hidden": hidden,
    }


async def run(runs: int = 2_000, paths: int | None = None) -> dict[str, Any]:
    """``paths`` caps the library corpus (the smoke test), ``runs`` the timed checks."""
    return {**rules_both_sides(paths), **service_cost(runs)}


if __name__ == "__main__":  # python -m bench.file_rules
    import asyncio
    import json

    print(json.dumps(asyncio.run(run()), indent=2))
