#!/usr/bin/env bash
# Build the Iskra VS Code extension (VSIX) and run its end-to-end test in code-server.
#
# Needs: code-server installed by editors/vscode/scripts/install-code-server.sh (same DEST:
# $ISKRA_CODE_SERVER_DIR, default <repo>/.cache/code-server), Debian's chromium, Node 20,
# and iskra-ls ($ISKRA_LS, else the one on PATH).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
ext="$root/editors/vscode"
cs_dir="${ISKRA_CODE_SERVER_DIR:-$root/.cache/code-server}"

die() { printf 'vscode e2e: %s\n' "$*" >&2; exit 2; }

launcher="$cs_dir/node_modules/code-server/out/node/entry.js"
if [[ ! -f "$cs_dir/.iskra-code-server-4.100.3" || ! -f "$launcher" ]]; then
  # First run on this machine: install it (idempotent; about a minute from the npm registry).
  bash "$root/editors/vscode/scripts/install-code-server.sh" "$cs_dir" >/dev/null \
    || die "could not install code-server 4.100.3 into $cs_dir (see the messages above)"
fi
iskra_ls="${ISKRA_LS:-$(command -v iskra-ls || true)}"
[[ -n "$iskra_ls" && -x "$iskra_ls" ]] || die "iskra-ls not found (set ISKRA_LS or put it on PATH)"
chromium="${ISKRA_CHROMIUM:-/usr/bin/chromium}"
[[ -x "$chromium" ]] || die "Chromium not found at $chromium (apt-get install -y chromium)"

# npm ci only when the lock file changed since the last install.
ensure_deps() {
  if [[ ! -f "$1/node_modules/.package-lock.json" || "$1/package-lock.json" -nt "$1/node_modules/.package-lock.json" ]]; then
    (cd "$1" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

ensure_deps "$ext"
ensure_deps "$here"
(cd "$ext" && npm run --silent package >/dev/null)
[[ -f "$ext/iskra-vscode.vsix" ]] || die "packaging the extension produced no VSIX"

ISKRA_LS="$iskra_ls" ISKRA_CODE_SERVER="$launcher" ISKRA_VSIX="$ext/iskra-vscode.vsix" \
  ISKRA_CHROMIUM="$chromium" exec node "$here/e2e.mjs"
