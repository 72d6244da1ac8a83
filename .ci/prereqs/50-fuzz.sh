# The fuzz smoke run (fuzz/smoke.sh): cargo-fuzz from crates.io, and a C++ compiler for
# libFuzzer itself (built by the libfuzzer-sys crate). The nightly compiler libFuzzer needs is
# the rustup nightly toolchain when present, else stable with RUSTC_BOOTSTRAP=1 (see the script).
apt_install g++
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --quiet
