#!/usr/bin/env bash
# The VS Code end-to-end test: installs code-server (cached), builds the neon-lsp binary and the
# .vsix, then drives VS Code in headless chromium (vscode-e2e.mjs). Exit 0 when it passed.
#
#   editors/vscode/e2e/run.sh                      # screenshot to $TMPDIR/neon-lsp-vscode-e2e.png
#   SCREENSHOT=docs/vscode-diagnostic.png editors/vscode/e2e/run.sh   # refresh the README's picture
#
# Needs what .ci/prereqs/40-editors.sh installs (chromium, ripgrep, a C/C++ toolchain,
# libkrb5-dev, node 20). Honours CARGO_TARGET_DIR, NEON_LSP_BIN (skip the build), CHROMIUM.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
extension="$repo/editors/vscode"

chromium="${CHROMIUM:-$(command -v chromium || true)}"
[ -n "$chromium" ] || { echo "vscode e2e: chromium is not installed (Debian: apt-get install chromium)" >&2; exit 1; }

code_server="$(bash "$here/install-code-server.sh" | tail -n 1)"

if [ -z "${NEON_LSP_BIN:-}" ]; then
  (cd "$repo" && cargo build --quiet --bin neon-lsp)
  NEON_LSP_BIN="${CARGO_TARGET_DIR:-$repo/target}/debug/neon-lsp"
fi

cd "$extension"
[ -d node_modules ] || npm ci --no-audit --no-fund
# Packaged as a release is: the binary, stripped, in this platform's server/<target>/ and the
# per-platform .vsix the Marketplace would serve here; the extension must find it on its own.
npm run --silent bundle-server -- --binary "$NEON_LSP_BIN" >/dev/null
npm run --silent package >/dev/null
target="$(node -p '`${process.platform}-${process.arch === "arm" ? "armhf" : process.arch}`')"
vsix="$extension/neon-lsp-$target.vsix"
[ -f "$vsix" ] || { echo "vscode e2e: npm run package made no $vsix" >&2; exit 1; }

screenshot="${SCREENSHOT:-${TMPDIR:-/tmp}/neon-lsp-vscode-e2e.png}"
case "$screenshot" in /*) ;; *) screenshot="$repo/$screenshot" ;; esac

CODE_SERVER="$code_server" NEON_LSP_BIN="$NEON_LSP_BIN" VSIX="$vsix" \
  FIXTURE="$repo/tests/fixtures/projects/django-broken" CHROMIUM="$chromium" SCREENSHOT="$screenshot" \
  node "$here/vscode-e2e.mjs"
