//! The source scanners: the first byte picks the language, the rest is the file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use neon_lsp::scan::{self, Language};

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let language = Language::ALL[usize::from(pick) % Language::ALL.len()];
    let _ = scan::might_be_relevant(rest);
    let text = String::from_utf8_lossy(rest);
    let _ = scan::scan(language, &text);
});
