//! The .env parser and its writers on any text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let parsed = neon_lsp::dotenv::parse(text);
    let _ = format!("{parsed:?}");
    // Whatever was read as a value can be written back.
    let _ = neon_lsp::dotenv::render_value(text);
    let _ = neon_lsp::dotenv::append_entry_edit(text, "NEON_POSTGRESQL_HOST", text);
});
