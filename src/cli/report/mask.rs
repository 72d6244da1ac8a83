//! Last line of defence against printing a password: masks secret-looking values in the
//! source lines and fix texts a reporter shows.
//!
//! The rules already keep secrets out of messages; but the text reporter quotes the source
//! line under a diagnostic, and a fix may carry a rewritten connection string, both of which
//! can hold a password that would end up in a public CI log or a SARIF upload. This is a
//! heuristic over one line of text, not a parser: it masks the password of a URI
//! (`scheme://user:PASSWORD@host`) and the value after a key that names a secret
//! (`password=…`, `Password=…;`, `NEON_POSTGRESQL_PASSWORD=…`, `token: "…"`). Each masked
//! character becomes `*`, so columns and carets stay where they were.

use std::borrow::Cow;

/// Key fragments whose value is a secret. Matched case-insensitively anywhere in a key.
const SECRET_KEYS: &[&str] = &["password", "passwd", "pwd", "secret", "token"];

/// Replaces every character of each secret value in `text` with `*`.
/// Masks a line of a .env file for display: values stay readable only when their key is known
/// not to hold a secret (host, port, database, user, TLS flag, ids) or when they are connection
/// strings (whose passwords `mask_secrets` hides). Anything else — a secret under an arbitrary
/// key, the unterminated value of a broken line — becomes `*`s of the same length, so carets
/// stay aligned.
pub fn mask_env_line(line: &str) -> String {
    use crate::catalogue::Field;
    let masked = mask_secrets(line).into_owned();
    let Some(equals) = masked.find('=') else {
        return masked;
    };
    let key = masked[..equals].trim().trim_start_matches("export ").trim();
    let value = &masked[equals + 1..];
    // By suffix, so that near misses (`NEON_POSTGRES_USER`) stay readable too.
    let upper = key.to_ascii_uppercase();
    let readable_key = [
        Field::Host,
        Field::Port,
        Field::Database,
        Field::Name,
        Field::User,
        Field::Username,
        Field::Ssl,
        Field::ClientId,
        Field::TenantId,
    ]
    .iter()
    .any(|field| upper.ends_with(&format!("_{}", field.suffix())));
    let unquoted = value.trim().trim_matches(|c| c == '"' || c == '\'');
    let connection_string = crate::connstr::detect_format(unquoted).is_some();
    if readable_key || connection_string || value.trim().is_empty() {
        return masked;
    }
    let stars: String = value
        .chars()
        .map(|c| if c.is_whitespace() { c } else { '*' })
        .collect();
    format!("{}={stars}", &masked[..equals])
}

pub fn mask_secrets(text: &str) -> Cow<'_, str> {
    let mut masked: Vec<(usize, usize)> = Vec::new();
    uri_passwords(text, &mut masked);
    keyed_values(text, &mut masked);
    if masked.is_empty() {
        return Cow::Borrowed(text);
    }
    let hidden = |offset: usize| {
        masked
            .iter()
            .any(|&(start, end)| start <= offset && offset < end)
    };
    Cow::Owned(
        text.char_indices()
            .map(|(offset, ch)| if hidden(offset) { '*' } else { ch })
            .collect(),
    )
}

fn is_uri_authority_end(byte: u8) -> bool {
    matches!(byte, b'/' | b'?' | b'#' | b'"' | b'\'' | b'`' | b'<' | b'>')
        || byte.is_ascii_whitespace()
}

/// `scheme://user:password@host`: the part between the first `:` and the last `@`.
fn uri_passwords(text: &str, masked: &mut Vec<(usize, usize)>) {
    let bytes = text.as_bytes();
    for (separator, _) in text.match_indices("://") {
        let start = separator + 3;
        let end = bytes
            .get(start..)
            .and_then(|rest| rest.iter().position(|&b| is_uri_authority_end(b)))
            .map_or(bytes.len(), |length| start + length);
        let Some(authority) = bytes.get(start..end) else {
            continue;
        };
        let Some(at) = authority.iter().rposition(|&b| b == b'@') else {
            continue;
        };
        if let Some(colon) = authority
            .get(..at)
            .and_then(|userinfo| userinfo.iter().position(|&b| b == b':'))
        {
            masked.push((start + colon + 1, start + at));
        }
    }
}

fn is_identifier(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-'
}

fn is_value_end(byte: u8) -> bool {
    matches!(
        byte,
        b';' | b'&' | b',' | b')' | b'"' | b'\'' | b'`' | b'}' | b']'
    ) || byte.is_ascii_whitespace()
}

/// `…password… = value`, `…secret…: "value"` and the like.
fn keyed_values(text: &str, masked: &mut Vec<(usize, usize)>) {
    let bytes = text.as_bytes();
    let mut position = 0;
    while position < bytes.len() {
        let Some(key_end) = secret_key_at(bytes, position) else {
            position += 1;
            continue;
        };
        position = key_end;
        let mut cursor = key_end;
        let skip_spaces = |mut at: usize| {
            while bytes.get(at).is_some_and(|b| *b == b' ' || *b == b'\t') {
                at += 1;
            }
            at
        };
        cursor = skip_spaces(cursor);
        // A quoted key: `"password": "…"`.
        if bytes.get(cursor).is_some_and(|b| *b == b'"' || *b == b'\'') {
            cursor = skip_spaces(cursor + 1);
        }
        match bytes.get(cursor) {
            Some(b'=') if bytes.get(cursor + 1) != Some(&b'=') => cursor += 1,
            Some(b':') => {
                cursor += if bytes.get(cursor + 1) == Some(&b'=') {
                    2
                } else {
                    1
                }
            }
            _ => continue,
        }
        cursor = skip_spaces(cursor);
        let value = match bytes.get(cursor) {
            Some(&quote @ (b'"' | b'\'')) => {
                let start = cursor + 1;
                (start, closing_quote(bytes, start, quote))
            }
            _ => {
                let end = bytes
                    .get(cursor..)
                    .and_then(|rest| rest.iter().position(|&b| is_value_end(b)))
                    .map_or(bytes.len(), |length| cursor + length);
                (cursor, end)
            }
        };
        if let Some(token) = bytes.get(value.0..value.1)
            && looks_like_a_literal(token)
        {
            masked.push(value);
            position = value.1;
        }
    }
}

/// Where a quoted value that starts at `start` ends; a backslash escapes the next byte, as in
/// libpq's `password='it\'s'`.
fn closing_quote(bytes: &[u8], start: usize, quote: u8) -> usize {
    let mut at = start;
    while let Some(&byte) = bytes.get(at) {
        if byte == quote || byte == b'\n' {
            return at;
        }
        at += if byte == b'\\' { 2 } else { 1 };
    }
    bytes.len()
}

/// The identifier around `position` if it contains a secret key fragment starting there.
fn secret_key_at(bytes: &[u8], position: usize) -> Option<usize> {
    let rest = bytes.get(position..)?;
    let fragment = SECRET_KEYS.iter().find(|key| {
        rest.get(..key.len())
            .is_some_and(|candidate| candidate.eq_ignore_ascii_case(key.as_bytes()))
    })?;
    let mut end = position + fragment.len();
    while bytes.get(end).copied().is_some_and(is_identifier) {
        end += 1;
    }
    Some(end)
}

/// Placeholders (`${X}`, `$X`, `<password>`) and code (`process.env.X`, `get_password()`)
/// are not secrets, and masking them would hide what the diagnostic is about.
fn looks_like_a_literal(token: &[u8]) -> bool {
    let Some(first) = token.first() else {
        return false;
    };
    if matches!(first, b'$' | b'{' | b'%' | b'<') {
        return false;
    }
    let lowercase = token.to_ascii_lowercase();
    !(lowercase.windows(3).any(|w| w == b"env") || token.contains(&b'('))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(input: &str, expected: &str) {
        let output = mask_secrets(input);
        assert_eq!(output, expected);
        assert_eq!(output.chars().count(), input.chars().count());
    }

    #[test]
    fn masks_uri_passwords() {
        check(
            "DATABASE=postgres://app:s3cr:t@ep-x.neon.tech/db?sslmode=require",
            "DATABASE=postgres://app:******@ep-x.neon.tech/db?sslmode=require",
        );
        check("postgresql://app@host/db", "postgresql://app@host/db");
        check(
            "see https://example.com/a:b@c",
            "see https://example.com/a:b@c",
        );
    }

    #[test]
    fn masks_values_of_secret_keys() {
        check(
            "NEON_POSTGRESQL_PASSWORD=hunter2",
            "NEON_POSTGRESQL_PASSWORD=*******",
        );
        check(
            "export AZURE_POSTGRESQL_CLIENTSECRET = 'a b c'",
            "export AZURE_POSTGRESQL_CLIENTSECRET = '*****'",
        );
        check(
            "Host=h;Password=p@ss;Ssl Mode=Require",
            "Host=h;Password=****;Ssl Mode=Require",
        );
        check(
            r"host=h password='it\'s' sslmode=require",
            r"host=h password='*****' sslmode=require",
        );
        check(
            "jdbc:postgresql://h/db?user=u&password=pw&ssl=true",
            "jdbc:postgresql://h/db?user=u&password=**&ssl=true",
        );
        check("  \"password\": \"ümlaut\",", "  \"password\": \"******\",");
        check("pwd := \"x\"", "pwd := \"*\"");
    }

    #[test]
    fn leaves_references_placeholders_and_comparisons_alone() {
        for line in [
            "password: process.env.NEON_POSTGRESQL_PASSWORD,",
            "PASSWORD = os.environ['NEON_POSTGRESQL_PASSWORD']",
            "NEON_POSTGRESQL_PASSWORD: ${{ secrets.PG_PASSWORD }}",
            "password=$PGPASSWORD",
            "token = get_token()",
            "if password == other:",
            "NEON_POSTGRESQL_PASSWORD=",
            "const é = process.env.NEON_POSTGRES_HOST;",
        ] {
            check(line, line);
        }
    }

    #[test]
    fn never_panics_on_odd_input() {
        for line in [
            "password",
            "password=",
            "password:\"",
            "://",
            "a://@",
            "é://é:é@é",
            "token='",
            "\u{0}pwd=\u{feff}x",
        ] {
            let _ = mask_secrets(line);
        }
    }
}
