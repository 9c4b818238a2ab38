#!/usr/bin/env bash
# Build the platform VSIX (the extension with its frozen iskra-ls inside) and run the
# end-to-end test in code-server with only that VSIX installed.
#
# Needs: Node 20, Debian's chromium, code-server installed by
# editors/vscode/scripts/install-code-server.sh (same DEST: $ISKRA_CODE_SERVER_DIR, default
# <repo>/.cache/code-server), and Python >= 3.11 for the VSIX build (not for the test itself).
# ISKRA_VSIX=<file> skips the build and tests that VSIX (CI builds it once).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
cs_dir="${ISKRA_CODE_SERVER_DIR:-$root/.cache/code-server}"

die() { printf 'vscode e2e: %s\n' "$*" >&2; exit 2; }

launcher="$cs_dir/node_modules/code-server/out/node/entry.js"
if [[ ! -f "$cs_dir/.iskra-code-server-4.100.3" || ! -f "$launcher" ]]; then
  # First run on this machine: install it (idempotent; about a minute from the npm registry).
  bash "$root/editors/vscode/scripts/install-code-server.sh" "$cs_dir" >/dev/null \
    || die "could not install code-server 4.100.3 into $cs_dir (see the messages above)"
fi
chromium="${ISKRA_CHROMIUM:-/usr/bin/chromium}"
[[ -x "$chromium" ]] || die "Chromium not found at $chromium (apt-get install -y chromium)"

vsix="${ISKRA_VSIX:-}"
if [[ -z "$vsix" ]]; then
  vsix="$(bash "$root/editors/vscode/scripts/build-vsix.sh" | tail -n1)" \
    || die "building the VSIX failed (see the messages above)"
fi
[[ -f "$vsix" ]] || die "no VSIX at $vsix"

# npm ci only when the lock file changed since the last install.
if [[ ! -f "$here/node_modules/.package-lock.json" || "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]]; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi

ISKRA_CODE_SERVER="$launcher" ISKRA_VSIX="$vsix" ISKRA_CHROMIUM="$chromium" \
  exec node "$here/e2e.mjs"
