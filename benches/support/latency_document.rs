//! The language-server latency benchmarks' document: 10,000 lines of JavaScript with a
//! `process.env.NEON_POSTGRESQL_HOST` read on every 20th line (500 reads). Shared by
//! `lsp_latency` (over stdio) and `edit_breakdown` (the same edit, step by step).

pub fn big_js() -> String {
    let mut text = String::new();
    for line in 0..10_000 {
        if line % 20 == 0 {
            text.push_str(&format!(
                "const v{line} = process.env.NEON_POSTGRESQL_HOST; // reference\n"
            ));
        } else {
            text.push_str(&format!(
                "function f{line}(a, b) {{ return a * {line} + b; }}\n"
            ));
        }
    }
    text
}
