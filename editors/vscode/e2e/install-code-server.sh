#!/usr/bin/env bash
# Installs code-server (npm package `code-server`: a real VS Code build served over HTTP) for the
# end-to-end test, into a cache folder, and prints the path of its launcher on the last line.
#
# Its own postinstall downloads ripgrep from GitHub, which is unreachable here, so this script
# installs with scripts disabled, puts Debian's `rg` where @vscode/ripgrep expects its binary
# (node_modules/@vscode/ripgrep/bin/rg; that package's postinstall then sees it and skips the
# download), and runs the rest of code-server's postinstall.sh itself: VS Code's production
# dependencies with their native builds, the node_modules.asar link, the bin links and the
# built-in extensions' dependencies. Idempotent: a finished install is reused.
#
# Needs: node 20 (code-server 4.100.x is built for it), npm, rg, a C/C++ toolchain, python3 and
# the Kerberos headers (Debian: ripgrep g++ make python3 libkrb5-dev; .ci/prereqs/40-editors.sh).
set -euo pipefail

version="${CODE_SERVER_VERSION:-4.100.3}"
cache="${NEON_LSP_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/neon-lsp/e2e}"
dest="$cache/code-server-$version"
launcher="$dest/node_modules/.bin/code-server"

if [ -f "$dest/.installed" ] && [ -x "$launcher" ]; then
  echo "$launcher"
  exit 0
fi

log() { printf 'install-code-server: %s\n' "$*" >&2; }
fail() { log "error: $*"; exit 1; }

command -v node >/dev/null || fail "node is not installed (code-server $version needs node 20)"
command -v npm >/dev/null || fail "npm is not installed"
rg_binary="$(command -v rg || true)"
[ -n "$rg_binary" ] || fail "ripgrep is not installed (Debian: apt-get install ripgrep); code-server's search needs it"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$node_major" = 20 ] || fail "code-server $version is built for node 20, this is node $(node --version); set CODE_SERVER_VERSION to a release built for node $node_major"
for tool in g++ make python3; do
  command -v "$tool" >/dev/null || fail "$tool is needed to build code-server's native modules"
done

work="$dest.partial"
rm -rf "$work"
mkdir -p "$work"
cd "$work"
printf '{"name":"neon-lsp-e2e-code-server","private":true}\n' >package.json

log "npm install code-server@$version (scripts disabled)"
npm install --ignore-scripts --no-audit --no-fund --loglevel=error "code-server@$version" >&2
# code-server's own native dependency (password hashing, loaded at start-up): its prebuilt
# download fails offline and node-pre-gyp falls back to building it.
log "building argon2"
npm rebuild argon2 --loglevel=error >&2

cd node_modules/code-server/lib/vscode
log "VS Code's production dependencies (scripts disabled)"
npm install --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error >&2
mkdir -p node_modules/@vscode/ripgrep/bin
cp "$rg_binary" node_modules/@vscode/ripgrep/bin/rg
log "running their install scripts (native builds; ripgrep's now finds $rg_binary in place)"
# node-pty's postinstall ends with `npx node-gyp configure` (an editor index, compile_commands):
# let npx fetch node-gyp from the registry instead of asking.
npm_config_yes=true npm rebuild --loglevel=error >&2
# The rest of code-server's postinstall.sh (vscode_install):
ln -sfn node_modules node_modules.asar
ln -sfn code-linux.sh bin/remote-cli/code-server
ln -sfn browser-linux.sh bin/helpers/browser.sh
log "built-in extensions' dependencies"
(cd extensions && npm install --omit=dev --no-audit --no-fund --loglevel=error >&2)

cd "$work"
# (code-server writes a default config file on every start: keep it out of the user's home)
XDG_CONFIG_HOME="$work/.probe-config" "$work/node_modules/.bin/code-server" --version >&2 \
  || fail "the installed code-server does not start"
rm -rf "$work/.probe-config"
touch "$work/.installed"
rm -rf "$dest"
mv "$work" "$dest"
log "installed in $dest"
echo "$launcher"
