#!/usr/bin/env bash
# Build the platform-specific VSIX of the Iskra extension with the language server inside:
# a PyInstaller one-folder build of iskra-ls in server/, so the user needs no Python.
#
# Runs on the platform it builds for (a frozen Python cannot be cross-built):
#   Linux x64 / arm64, macOS x64 / arm64:  bash editors/vscode/scripts/build-vsix.sh
#   Windows x64 (Git Bash, Python and Node on PATH): bash editors/vscode/scripts/build-vsix.sh
# Output: editors/vscode/iskra-vscode-<target>-<version>.vsix (its path is the last line).
#
# Needs: Python >= 3.11 (PYTHON, else python3/python), Node 20 + npm. Network: PyPI and npm
# for the first build (the build venv and node_modules are reused after that).
# The build venv is a fresh one in .cache/vsix-build (never the developer's .venv), with only
# the server's runtime dependencies and PyInstaller (the `freeze` extra): nothing else lands
# in the bundle.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ext="$(cd "$here/.." && pwd)"
root="$(cd "$ext/../.." && pwd)"
work="${ISKRA_VSIX_BUILD_DIR:-$root/.cache/vsix-build}"

log() { printf 'build-vsix: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# The VS Code target this machine builds for.
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) target=linux-x64; exe=iskra-ls ;;
  Linux-aarch64 | Linux-arm64) target=linux-arm64; exe=iskra-ls ;;
  Darwin-x86_64) target=darwin-x64; exe=iskra-ls ;;
  Darwin-arm64) target=darwin-arm64; exe=iskra-ls ;;
  MINGW*-x86_64 | MSYS*-x86_64 | CYGWIN*-x86_64) target=win32-x64; exe=iskra-ls.exe ;;
  *) die "no VS Code target for $(uname -s) $(uname -m)" ;;
esac

python="${PYTHON:-$(command -v python3 || command -v python || true)}"
[[ -n "$python" ]] || die "Python >= 3.11 not found (set PYTHON)"
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || die "$python is older than Python 3.11"
command -v npm >/dev/null || die "npm not found (Node 20)"

mkdir -p "$work"
if [[ "$target" == win32-* ]]; then venv_bin="$work/venv/Scripts"; else venv_bin="$work/venv/bin"; fi
if [[ ! -x "$venv_bin/python" && ! -x "$venv_bin/python.exe" ]]; then
  log "creating the build venv in $work/venv"
  "$python" -m venv "$work/venv"
fi
log "installing iskra-ls and PyInstaller into the build venv"
"$venv_bin/python" -m pip install -q --disable-pip-version-check "$root[freeze]"
version="$("$venv_bin/python" -c 'import iskra_ls; print(iskra_ls.__version__)')"
ext_version="$(cd "$ext" && node -p "require('./package.json').version" 2>/dev/null || true)"
[[ -z "$ext_version" || "$ext_version" == "$version" ]] \
  || die "the extension is $ext_version but the server is $version: bump both together"

# The tree-sitter grammars (iskra_ls/languages.py) are imported by name on first use, which
# PyInstaller cannot see: collect the bindings and each grammar's extension module.
grammar_flags=(--collect-submodules tree_sitter)
for module in $("$venv_bin/python" -c \
    'from iskra_ls.languages import grammar_modules; print(" ".join(grammar_modules()))'); do
  # --collect-data: the wheel's queries/tags.scm, which the definitions index reads.
  grammar_flags+=(--collect-submodules "$module" --collect-data "$module")
done

log "freezing iskra-ls $version for $target (PyInstaller, one folder)"
# One flag per line, so more can be added (grammar packages: --collect-all NAME).
# --collect-submodules: our own modules are imported lazily (after InitializeResult) and some
# by name; the stub server (aiohttp) is in, because `iskra-ls stub-server`/`demo` are part of
# the command. pydantic, lsprotocol and pygls load parts of themselves lazily: collect them
# whole; openai too, through pyinstaller-hooks/hook-openai.py, which leaves out the one
# package that cannot be imported on its own (it made PyInstaller warn of a circular import).
pyinstaller_flags=(
  --noconfirm --clean --log-level WARN
  --onedir --name iskra-ls
  --distpath "$work/dist" --workpath "$work/build" --specpath "$work"
  --additional-hooks-dir "$here/pyinstaller-hooks"
  --collect-submodules iskra_ls
  --collect-submodules pydantic
  --collect-submodules lsprotocol
  --collect-submodules pygls
  "${grammar_flags[@]}"
  --exclude-module tkinter --exclude-module numpy --exclude-module pandas
)
if [[ "$target" != win32-* ]]; then
  # platformdirs' Windows backend loads shell32/ole32 through ctypes; elsewhere it is never
  # imported, and PyInstaller warned that those libraries were not found.
  pyinstaller_flags+=(--exclude-module platformdirs.windows)
fi
"$venv_bin/python" -m PyInstaller "${pyinstaller_flags[@]}" "$here/iskra_ls_frozen.py" >&2

frozen="$work/dist/iskra-ls/$exe"
[[ -x "$frozen" || -f "$frozen" ]] || die "PyInstaller produced no $exe"
got="$("$frozen" --version)"
[[ "$got" == *"$version"* ]] || die "the frozen server says '$got', expected $version"
# Every grammar must be bundled, or its language silently loses its checks (a grammar that
# fails to load logs "no <language> grammar": `iskra-ls demo` on the frozen server shows none).
missing="$(cd "$work" && ISKRA_LS_FROZEN="$frozen" "$venv_bin/python" - <<'PY'
import glob, os
from iskra_ls.languages import grammar_modules
root = os.path.dirname(os.environ["ISKRA_LS_FROZEN"])
print(" ".join(m for m in grammar_modules()
               if not glob.glob(os.path.join(root, "**", m, "_binding*"), recursive=True)))
PY
)"
[[ -z "$missing" ]] || die "the frozen server lacks the grammars: $missing"

rm -rf "$ext/server"
cp -R "$work/dist/iskra-ls" "$ext/server"

cd "$ext"
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
out="iskra-vscode-$target-$version.vsix"
rm -f "$out"
log "packaging $out"
# The extension is bundled by esbuild (dist/extension.js, vscode-languageclient inside), so the
# VSIX needs no node_modules: --no-dependencies.
npx --no-install vsce package --target "$target" --no-dependencies --allow-missing-repository \
  -o "$out" >&2 </dev/null
# server/ belongs in this platform's package only: `npm run package:without-server` must not
# pick it up.
rm -rf "$ext/server"
log "built $ext/$out ($(du -h "$out" | cut -f1))"
echo "$ext/$out"
