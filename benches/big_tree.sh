#!/usr/bin/env bash
# Peak memory of `neon-lsp check` on a big generated tree (issue 16's bar: 200,000 files with
# 5,000 .env files and a few GB of unrelated content, under 150 MiB peak RSS), with ripgrep and
# the Python dotenv-linter on the same tree for reference when they are installed.
#
#   benches/big_tree.sh [FILES=200000] [ENV_FILES=5000] [GIGABYTES=3]
#   TREE=/some/folder benches/big_tree.sh     # reuse (and keep) a tree generated before
#
# The tree goes to a temporary folder (TMPDIR) and is removed afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
files="${1:-200000}"; envs="${2:-5000}"; gigabytes="${3:-3}"
[ -x /usr/bin/time ] || { echo "/usr/bin/time is required: apt-get install -y time" >&2; exit 2; }

cargo build --release --quiet
bin="$PWD/target/release/neon-lsp"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# TREE=<folder> reuses a tree generated earlier (kept); otherwise one is made and removed.
tree="${TREE:-$work/tree}"
if [ ! -d "$tree" ]; then
  started=$SECONDS
  python3 benches/generate_big_tree.py "$tree" "$files" "$envs" "$gigabytes"
  echo "generated in $((SECONDS - started)) s"
fi
echo "tree: $(find "$tree" -type f | wc -l) files, $(find "$tree" -name .env | wc -l) .env, $(du -sh --apparent-size "$tree" | cut -f1)"

measure() { # name, command...: prints a row (wall s, peak RSS MiB, exit status)
  local name="$1"; shift
  /usr/bin/time -v -o "$work/time" "$@" >"$work/out" 2>"$work/err" || true
  local wall rss status
  wall=$(grep 'Elapsed (wall clock)' "$work/time" | awk '{print $NF}')
  rss=$(grep 'Maximum resident set size' "$work/time" | awk '{print $NF}')
  status=$(grep 'Exit status' "$work/time" | awk '{print $NF}')
  printf '%-34s %10s %12.1f %6s\n' "$name" "$wall" "$(echo "$rss/1024" | bc -l)" "$status"
}
# Warm the page cache once, so every tool reads from memory.
"$bin" check "$tree" --format json >/dev/null 2>&1 || true
printf '%-34s %10s %12s %6s\n' tool "wall" "peak MiB" exit
measure "neon-lsp check --format json" "$bin" check "$tree" --format json
summary=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["summary"]["files_scanned"], "files scanned,", len(d["diagnostics"]), "diagnostics")' "$work/out" 2>/dev/null || echo "?")
measure "neon-lsp check (text)" "$bin" check "$tree"
if command -v rg >/dev/null; then
  measure "rg -c NEON_POSTGRES|AZURE_POSTGRES" rg -c -e 'NEON_POSTGRES|AZURE_POSTGRES' "$tree"
fi
if command -v dotenv-linter >/dev/null; then
  # The Python dotenv-linter takes file names: every .env file of the tree.
  find "$tree" -name .env -print0 > "$work/envs"
  measure "dotenv-linter (the .env files)" xargs -0 -a "$work/envs" dotenv-linter
fi
echo "neon-lsp: $summary"
