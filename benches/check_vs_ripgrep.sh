#!/usr/bin/env bash
# Times `neon-lsp check` against ripgrep searching the same tree for the same prefixes, in the
# same run, and prints the wall-time ratio and both peak memories.
#
# Tree: a large real tree present on every machine of this kind (the Python installation's lib
# directory, ~46,000 files) plus generated files that contain references (a few thousand source
# files in several languages and .env files with realistic mistakes).
#
#   benches/check_vs_ripgrep.sh [TREE] [RUNS]
#
# Targets (issue "Analysis core and check"): wall time at most 2x ripgrep's, peak RSS < 100 MiB.
set -euo pipefail
cd "$(dirname "$0")/.."

tree="${1:-$(python3 -c 'import sysconfig,os; print(os.path.dirname(sysconfig.get_paths()["stdlib"]))')}"
runs="${2:-7}"
command -v rg >/dev/null || { echo "ripgrep (rg) is required: apt-get install -y ripgrep" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time is required: apt-get install -y time" >&2; exit 2; }

cargo build --release --quiet
bin="$PWD/target/release/neon-lsp"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
gen="$work/generated"
python3 benches/generate_tree.py "$gen" 2000

# Both tools get the same two roots. neon-lsp reports paths relative to the current folder, which
# must hold both: run from /.
cd /
paths=("$tree" "$gen")
pattern='NEON_POSTGRES|AZURE_POSTGRES|postgres(ql)?://|ossrdbms'

measure() { # name, command...: prints "seconds maxrss_kib"
  local name="$1"; shift
  /usr/bin/time -f "%e %M %x" -o "$work/$name.time" "$@" >/dev/null 2>&1 || true
  # Exit status 0 or 1 (findings) is a run; anything else means the tool failed.
  local status; status=$(tail -n 1 "$work/$name.time" | awk '{print $3}')
  if [ "$status" != 0 ] && [ "$status" != 1 ]; then echo "$name failed (exit $status)" >&2; exit 2; fi
  tail -n 1 "$work/$name.time" | awk '{print $1, $2}'
}

# Warm the page cache for both.
rg -c -e "$pattern" "${paths[@]}" >/dev/null 2>&1 || true
"$bin" check "${paths[@]}" --format json >/dev/null 2>&1 || true

files=$(find "${paths[@]}" -type f | wc -l)
echo "tree: $tree + $gen ($files files), $runs runs each, $(nproc) cores"
declare -a rg_times ck_times
rg_mem=0; ck_mem=0
for i in $(seq "$runs"); do
  read -r t m < <(measure rg rg -c -e "$pattern" "${paths[@]}")
  rg_times+=("$t"); (( m > rg_mem )) && rg_mem=$m
  read -r t m < <(measure check "$bin" check "${paths[@]}" --format json)
  ck_times+=("$t"); (( m > ck_mem )) && ck_mem=$m
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
rg_med=$(median "${rg_times[@]}"); ck_med=$(median "${ck_times[@]}")
summary=$({ "$bin" check "${paths[@]}" --format json 2>/dev/null || true; } | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["summary"]["files_scanned"], "files scanned,", len(d["diagnostics"]), "diagnostics")' || echo "?")
printf '%-22s %10s %14s\n' tool "median s" "peak RSS MiB"
printf '%-22s %10s %14.1f\n' "rg (same prefixes)" "$rg_med" "$(echo "$rg_mem/1024" | bc -l)"
printf '%-22s %10s %14.1f\n' "neon-lsp check" "$ck_med" "$(echo "$ck_mem/1024" | bc -l)"
printf 'ratio check/rg: %.2fx   (%s)\n' "$(echo "$ck_med/$rg_med" | bc -l)" "$summary"
