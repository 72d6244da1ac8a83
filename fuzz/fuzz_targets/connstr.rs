//! The connection-string parsers (every format) and the renderers of what they parsed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use neon_lsp::connstr::{self, Format};

fuzz_target!(|text: &str| {
    let _ = connstr::detect_format(text);
    let _ = connstr::parse_with_fields(text);
    if let Ok((_, params)) = connstr::parse(text) {
        for format in [Format::Uri, Format::KeyValue, Format::Npgsql, Format::Jdbc] {
            // A rendering must parse again (what the quick fixes rely on).
            let rendered = params.render(format);
            let _ = connstr::parse_as(&rendered, format);
            let _ = params.masked(format);
        }
    }
});
