//! Writing entries so that dotenvy reads back exactly the value: the least quoting that is
//! unambiguous to every common loader, and the edit that appends an entry in the file's style.

use crate::text::TextRange;

use super::{BYTE_ORDER_MARK, LineEnding};

/// `KEY=value`, quoted and escaped only when needed so that dotenvy reads back exactly `value`.
/// `key` is written as given; check it with [`is_valid_key`](super::is_valid_key).
pub fn render_entry(key: &str, value: &str) -> String {
    format!("{key}={}", render_value(value))
}

/// The text to write after `=` so that dotenvy reads exactly `value`: bare when that is
/// unambiguous, else single quotes (literal, no `$` expansion), else double quotes with
/// escapes. A carriage return stays raw inside double quotes because dotenvy has no escape
/// for it.
pub fn render_value(value: &str) -> String {
    if value.is_empty() {
        return String::new();
    }
    if value.chars().all(is_plain_value_char) {
        return value.to_owned();
    }
    // In single quotes dotenvy's line reader still treats a backslash as escaping the next
    // character, so a trailing backslash would hide the closing quote.
    let single_quote_safe = !value.contains(['\'', '\n', '\r']) && !value.ends_with('\\');
    if single_quote_safe {
        return format!("'{value}'");
    }
    let mut rendered = String::with_capacity(value.len() + 2);
    rendered.push('"');
    for character in value.chars() {
        match character {
            '\\' => rendered.push_str("\\\\"),
            '"' => rendered.push_str("\\\""),
            '$' => rendered.push_str("\\$"),
            '\n' => rendered.push_str("\\n"),
            other => rendered.push(other),
        }
    }
    rendered.push('"');
    rendered
}

/// The edit that appends `KEY=value` as a new last line: an empty range at the end of `text`
/// and the text to insert there, starting with a line break when the file does not end with one
/// and using the file's own line ending.
pub fn append_entry_edit(text: &str, key: &str, value: &str) -> (TextRange, String) {
    let line_ending = LineEnding::detect(text).as_str();
    let body = text.strip_prefix(BYTE_ORDER_MARK).unwrap_or(text);
    let mut insertion = String::new();
    if !body.is_empty() && !body.ends_with('\n') {
        insertion.push_str(line_ending);
    }
    insertion.push_str(&render_entry(key, value));
    insertion.push_str(line_ending);
    (TextRange::empty(text.len()), insertion)
}

/// Characters that mean the same to every common loader when written without quotes.
fn is_plain_value_char(character: char) -> bool {
    !character.is_whitespace()
        && !character.is_control()
        && !matches!(character, '\'' | '"' | '\\' | '$' | '#' | '`')
}

#[cfg(test)]
mod tests {
    use crate::dotenv::tests::check;
    use crate::dotenv::{append_entry_edit, render_entry};
    use crate::text::TextRange;

    #[test]
    fn renders_values_with_the_least_quoting() {
        assert_eq!(render_entry("K", ""), "K=");
        assert_eq!(
            render_entry("K", "postgres://u@h:5432/db?sslmode=require"),
            "K=postgres://u@h:5432/db?sslmode=require"
        );
        assert_eq!(render_entry("K", "two words"), "K='two words'");
        assert_eq!(render_entry("K", "pa$$word"), "K='pa$$word'");
        assert_eq!(render_entry("K", "#hash"), "K='#hash'");
        assert_eq!(
            render_entry("K", "it's \"x\" $y\\"),
            "K=\"it's \\\"x\\\" \\$y\\\\\""
        );
        assert_eq!(render_entry("K", "line1\nline2"), "K=\"line1\\nline2\"");
    }

    #[test]
    fn append_entry_edit_adds_a_line_in_the_files_style() {
        assert_eq!(
            append_entry_edit("", "K", "v"),
            (TextRange::empty(0), "K=v\n".to_owned())
        );
        assert_eq!(
            append_entry_edit("A=1\n", "K", "v"),
            (TextRange::empty(4), "K=v\n".to_owned())
        );
        assert_eq!(append_entry_edit("A=1", "K", "v").1, "\nK=v\n");
        assert_eq!(
            append_entry_edit("A=1\r\nB=2", "K", "a b").1,
            "\r\nK='a b'\r\n"
        );
        assert_eq!(
            append_entry_edit("\u{feff}", "K", "v"),
            (TextRange::empty(3), "K=v\n".to_owned())
        );
        let text = "NEON_A=1\nNEON_B=2 ";
        let (range, insertion) = append_entry_edit(text, "NEON_C", "x y");
        let edited = format!("{}{insertion}{}", &text[..range.start], &text[range.end..]);
        let file = check(&edited);
        assert!(
            file.errors.is_empty(),
            "the added line break also fixes the last line"
        );
        assert_eq!(file.get("NEON_C").unwrap().value, "x y");
    }
}
