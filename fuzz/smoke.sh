#!/usr/bin/env bash
# Runs every cargo-fuzz target for SECONDS seconds (default 5) on its seed corpus plus what
# earlier runs found (fuzz/corpus, not committed) and fails on the first crash, hang or
# out-of-memory. CI's smoke run; a longer run prints libFuzzer's figures at the end of each.
#
#   fuzz/smoke.sh [SECONDS] [TARGET...]
#
# FUZZ_DEV=1 builds the targets unoptimized (cargo fuzz --dev): a few minutes instead of the
# release build's ~12 (cargo-fuzz builds release with one codegen unit), with debug assertions
# and overflow checks on. Right for a smoke run of a few seconds (CI); a long run wants release.
#
# libFuzzer needs a nightly compiler: the nightly toolchain when rustup has one, else stable
# with RUSTC_BOOTSTRAP=1 (which unlocks the same flags). No sanitizer: the crate has no unsafe
# code of its own, and the targets look for panics, hangs and memory blow-ups.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-5}"; shift || true
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
toolchain=()
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  toolchain=(+nightly)
else
  export RUSTC_BOOTSTRAP=1
fi
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo "${toolchain[@]}" fuzz list)
profile=()
[ "${FUZZ_DEV:-0}" = 1 ] && profile=(--dev)
cargo "${toolchain[@]}" fuzz build --sanitizer none "${profile[@]}"
for target in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$target"
  echo "== $target (${seconds} s)"
  # -timeout: one input taking this long is a failure (the parsers are meant to be linear);
  # -rss_limit_mb: so is using this much memory.
  log="fuzz/corpus/$target.log"
  if ! cargo "${toolchain[@]}" fuzz run --sanitizer none "${profile[@]}" "$target" "fuzz/corpus/$target" "fuzz/seeds/$target" -- \
    -max_total_time="$seconds" -timeout=30 -rss_limit_mb=1024 -print_final_stats=1 >"$log" 2>&1; then
    tail -n 40 "$log"
    echo "fuzz target $target failed; reproduce with: cargo fuzz run --sanitizer none $target fuzz/artifacts/$target/<file>" >&2
    exit 1
  fi
  grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)|^#[0-9]+ +DONE' "$log" || true
done
