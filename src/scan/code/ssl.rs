//! JavaScript/TypeScript `ssl:` object properties.

use super::*;

impl Code<'_> {
    /// JavaScript `ssl: <expr>` and `"ssl": <expr>` object properties.
    pub(super) fn ssl_properties(&self, scan: &mut Scan) {
        let mut keys: Vec<(TextRange, usize)> = Vec::new();
        for found in JS_SSL_KEY.find_iter(self.masked) {
            if self.token_starts_at(found.start()) {
                keys.push((
                    TextRange::new(found.start(), found.start() + 3),
                    found.end(),
                ));
            }
        }
        for literal in &self.lexed.literals {
            if self.slice(literal.content) == "ssl" {
                let colon = self.skip_ws(literal.range.end);
                if self.byte(colon) == b':' {
                    keys.push((literal.range, colon + 1));
                }
            }
        }
        for (key_range, after_colon) in keys {
            // Only object properties: `{ ssl: …` or `, ssl: …` (not `a ? ssl : b`).
            let before = self.skip_ws_back(key_range.start);
            if before == 0 || !matches!(self.byte(before - 1), b'{' | b',') {
                continue;
            }
            let value_start = self.skip_ws(after_colon);
            let mut depth = 0usize;
            let mut end = value_start;
            let limit = (value_start + 4096).min(self.masked.len());
            while end < limit {
                match self.byte(end) {
                    b'(' | b'[' | b'{' => depth += 1,
                    b')' | b']' | b'}' if depth == 0 => break,
                    b')' | b']' | b'}' => depth -= 1,
                    b',' | b';' if depth == 0 => break,
                    _ => {}
                }
                end += 1;
            }
            let value_range = TextRange::new(value_start, self.skip_ws_back(end).max(value_start));
            if value_range.is_empty() {
                continue;
            }
            scan.ssl_properties.push(SslProperty {
                key_range,
                value_range,
                value_text: self.slice(value_range).to_owned(),
            });
        }
    }
}

static_regex!(JS_SSL_KEY, r"\bssl\s*:");

#[cfg(test)]
pub(super) fn regexes() -> Vec<&'static Regex> {
    vec![&*JS_SSL_KEY]
}
