#!/usr/bin/env bash
# Install code-server 4.100.3 (= VS Code 1.100.3) into DEST without network access beyond the
# npm registry, for the VS Code end-to-end test.
#
# Why not a plain `npm install code-server`: its postinstall downloads ripgrep from GitHub, which
# CI cannot reach. So we install with --ignore-scripts, build the native modules against the
# system Node headers, link Debian's ripgrep in, and redo the rest of code-server's
# postinstall.sh by hand. 4.100.3 is the newest release that runs on Node 20.
#
# Usage: install-code-server.sh [DEST]
#   DEST defaults to $ISKRA_CODE_SERVER_DIR, else <repo>/.cache/code-server.
# Idempotent: a finished install leaves a marker file and later runs return at once.
# Prints the path of the code-server launcher as its last line.
# Needs (Debian): nodejs 20, npm, build-essential, python3, libkrb5-dev, ripgrep.
set -euo pipefail

VERSION=4.100.3
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
dest="${1:-${ISKRA_CODE_SERVER_DIR:-$root/.cache/code-server}}"
marker="$dest/.iskra-code-server-$VERSION"
launcher="$dest/node_modules/code-server/out/node/entry.js"

log() { printf 'install-code-server: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

if [[ -f "$marker" && -f "$launcher" ]]; then
  log "code-server $VERSION already installed in $dest"
  echo "$launcher"
  exit 0
fi

# Check the prerequisites first, so a missing package fails with the fix in the message.
apt_hint="apt-get install -y nodejs npm build-essential python3 libkrb5-dev ripgrep"
command -v node >/dev/null || die "node not found ($apt_hint)"
command -v npm >/dev/null || die "npm not found ($apt_hint)"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
[[ "$node_major" == 20 ]] || die "code-server $VERSION needs Node 20, found $(node --version)"
command -v rg >/dev/null || die "ripgrep (rg) not found ($apt_hint)"
command -v cc >/dev/null && command -v make >/dev/null || die "no C compiler ($apt_hint)"
command -v krb5-config >/dev/null || die "Kerberos headers missing ($apt_hint)"

# Start clean: a half-finished earlier attempt is not worth repairing.
rm -rf "$dest"
mkdir -p "$dest"
cd "$dest"
printf '{"name": "iskra-code-server", "private": true}\n' > package.json
# The cache may live inside the repository (.cache/): keep git from ever seeing it.
printf '*\n' > .gitignore

npm_q=(--no-audit --no-fund --loglevel=error)
log "npm install code-server@$VERSION (scripts off)"
npm install "${npm_q[@]}" --ignore-scripts "code-server@$VERSION" >&2
npm rebuild "${npm_q[@]}" argon2 >&2

vscode="$dest/node_modules/code-server/lib/vscode"
cd "$vscode"
log "installing VS Code's own dependencies"
npm install "${npm_q[@]}" --omit=dev --ignore-scripts >&2
log "building native modules"
# node-pty's last build step fails harmlessly (it wants a prebuilt helper); check the results
# below instead of trusting the exit code.
npm rebuild "${npm_q[@]}" @vscode/spdlog @vscode/deviceid native-watchdog kerberos node-pty >&2 \
  || log "npm rebuild reported an error; checking the built modules"
for mod in @vscode/spdlog @vscode/deviceid native-watchdog kerberos node-pty; do
  found="$(find "node_modules/$mod" -name '*.node' -path '*Release*' 2>/dev/null | head -n1)"
  [[ -n "$found" ]] || die "native module $mod did not build"
done

# ripgrep: VS Code looks for it at @vscode/ripgrep/bin/rg (search, and some extensions).
mkdir -p node_modules/@vscode/ripgrep/bin
ln -sfn "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg

# The rest of code-server's postinstall.sh.
ln -sfn node_modules node_modules.asar
(cd bin/remote-cli && ln -sfn code-linux.sh code-server)
(cd bin/helpers && ln -sfn browser-linux.sh browser.sh)
log "installing the built-in extensions' dependencies"
(cd extensions && npm install "${npm_q[@]}" --omit=dev >&2)

touch "$marker"
log "installed code-server $VERSION in $dest"
echo "$launcher"
