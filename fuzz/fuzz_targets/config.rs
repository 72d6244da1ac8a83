//! `neon-lsp.toml` parsing on any text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = neon_lsp::config::parse("neon-lsp.toml", text);
});
