//! Text helpers for the languages without syntax trees: the call around a read, found by
//! bracket matching within a bounded window (strings skipped on the way forward).

use crate::text::TextRange;

/// How far back a call's opening parenthesis may be from the read inside it.
const WINDOW: usize = 2048;

/// The call to one of `callees` whose parentheses hold `at`: (whole call, inside the parentheses).
pub(crate) fn enclosing_call(
    text: &str,
    at: TextRange,
    callees: &[&str],
) -> Option<(TextRange, TextRange)> {
    let bytes = text.as_bytes();
    let floor = at.start.saturating_sub(WINDOW);
    let mut depth = 0usize;
    let mut open = None;
    for index in (floor..at.start).rev() {
        match bytes[index] {
            b')' => depth += 1,
            b'(' if depth == 0 => {
                open = Some(index);
                break;
            }
            b'(' => depth -= 1,
            b';' | b'{' | b'}' if depth == 0 => return None,
            _ => {}
        }
    }
    let open = open?;
    let before = text[..open].trim_end();
    let callee = callees.iter().find(|callee| {
        before.ends_with(*callee)
            && !before[..before.len() - callee.len()]
                .ends_with(|c: char| c.is_alphanumeric() || c == '_')
    })?;
    let start = before.len() - callee.len();
    let close = matching_close(text, open)?;
    (close >= at.end).then(|| {
        (
            TextRange::new(start, close + 1),
            TextRange::new(open + 1, close),
        )
    })
}

/// The `)` matching the `(` at `open`, skipping quoted strings.
fn matching_close(text: &str, open: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut quote: Option<u8> = None;
    let mut index = open;
    let end = (open + 4 * WINDOW).min(bytes.len());
    while index < end {
        let byte = bytes[index];
        match quote {
            Some(q) => {
                if byte == b'\\' {
                    index += 1;
                } else if byte == q {
                    quote = None;
                }
            }
            None => match byte {
                b'"' | b'\'' | b'`' => quote = Some(byte),
                b'(' => depth += 1,
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(index);
                    }
                }
                _ => {}
            },
        }
        index += 1;
    }
    None
}

/// Whether `at` sits inside a double-quoted string on its line (shell).
pub(crate) fn inside_double_quotes(text: &str, at: usize) -> bool {
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let mut inside = false;
    let mut single = false;
    let mut escaped = false;
    for byte in text[line_start..at].bytes() {
        if escaped {
            escaped = false;
            continue;
        }
        match byte {
            b'\\' if !single => escaped = true,
            b'\'' if !inside => single = !single,
            b'"' if !single => inside = !inside,
            _ => {}
        }
    }
    inside
}

/// `text` split at its top-level commas (not inside brackets or strings).
pub(crate) fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let mut start = 0;
    for (index, c) in text.char_indices() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '\'' | '`' => quote = Some(c),
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&text[start..index]);
                start = index + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}
