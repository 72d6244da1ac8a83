//! Where secrets are in a file's text, and the one way every output masks them.
//!
//! Reporters, `--fix`, hover and logs must never show a password, and must not even reveal
//! its length. Instead of guessing from the shape of one printed line, the ranges come from
//! the parsers that already know them: [`crate::dotenv`] (every value, its quoting and
//! escapes), [`crate::connstr`] (the exact range of a password inside a connection string) and
//! [`crate::scan`] (the string literals of a source file). Where a parser cannot be sure — a
//! broken connection string, a value with escapes — the range grows to the end of the value:
//! masking too much costs a little readability, masking too little leaks a password.
//!
//! [`secret_ranges`] answers for a whole file, [`value_secret_ranges`] for one value (a fix's
//! new text, a hovered .env value); [`mask`] replaces each range by the fixed-width
//! [`MASK`]. [`is_secret_key`] is the one list of key shapes that hold secrets.
//!
//! Not a secret *detector* for arbitrary text (entropy, token formats): it masks what sits
//! where a secret goes.

use crate::text::TextRange;
use crate::workspace::{FileKind, classify};

/// What every output prints instead of a secret, whatever the secret's length.
pub const MASK: &str = crate::connstr::MASK;

/// Words that make a key a secret's key, found in the key's lower-cased letters and digits
/// (so `NEON_POSTGRESQL_PASSWORD`, `dbPassword`, `client-secret`, `passwrd` all match).
const SECRET_KEY_WORDS: &[&str] = &[
    "password",
    "passwd",
    "passwrd",
    "pasword",
    "passwort",
    "passphrase",
    "pwd",
    "secret",
    "token",
    "apikey",
    "credential",
    "privatekey",
];

/// Whole words of a key (split at `_`, `-`, `.`, spaces and camelCase) that name a password.
const SECRET_KEY_SEGMENTS: &[&str] = &["pass", "pw", "psw", "pword"];

/// Whether a value under `key` holds a secret, by the key's shape: Service Connector's secret
/// fields (password, client secret) and any key that names a password, secret or token —
/// misspellings included (`passwrd`, `pasword`, `pwd`, `pass`).
///
/// Decided once per key and thread: a generated .env repeats one key 146,000 times, and the
/// full shape test (a name parse, a folded copy, a dozen substring searches, the segments) on
/// every copy was a fifth of `check`'s time. The cache holds at most [`KEY_CACHE_LIMIT`]
/// keys (it starts over when full) of at most [`KEY_CACHE_MAX_LEN`] bytes each.
pub fn is_secret_key(key: &str) -> bool {
    if key.len() > KEY_CACHE_MAX_LEN {
        return secret_key_shape(key);
    }
    KEY_CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        if let Some(&secret) = cache.get(key) {
            return secret;
        }
        let secret = secret_key_shape(key);
        if cache.len() >= KEY_CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(key.into(), secret);
        secret
    })
}

/// The most keys [`is_secret_key`] remembers per thread.
const KEY_CACHE_LIMIT: usize = 4096;
/// The longest key [`is_secret_key`] remembers; longer ones are decided each time.
const KEY_CACHE_MAX_LEN: usize = 128;

thread_local! {
    static KEY_CACHE: std::cell::RefCell<std::collections::HashMap<Box<str>, bool>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

/// The shape test behind [`is_secret_key`], uncached.
fn secret_key_shape(key: &str) -> bool {
    if crate::catalogue::parse_name(key).is_some_and(|parsed| parsed.field.is_secret()) {
        return true;
    }
    let folded: String = key
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if SECRET_KEY_WORDS.iter().any(|word| folded.contains(word)) {
        return true;
    }
    // `DBPASS`, `SMTPPASS`: a password suffix glued to its prefix, not a word of its own.
    if folded.ends_with("pass")
        && !["bypass", "compass", "overpass"]
            .iter()
            .any(|w| folded.ends_with(w))
    {
        return true;
    }
    segments(key).any(|segment| {
        SECRET_KEY_SEGMENTS
            .iter()
            .any(|word| segment.eq_ignore_ascii_case(word))
    })
}

/// `DB_PASS`, `db-pass`, `dbPass` → `DB`, `PASS` / `db`, `pass` / `db`, `Pass`.
fn segments(key: &str) -> impl Iterator<Item = &str> {
    let bytes = key.as_bytes();
    let mut cuts = vec![0];
    for (index, window) in bytes.windows(2).enumerate() {
        if window[0].is_ascii_lowercase() && window[1].is_ascii_uppercase() {
            cuts.push(index + 1);
        }
    }
    cuts.push(bytes.len());
    let pieces: Vec<&str> = cuts
        .windows(2)
        .filter_map(|pair| key.get(pair[0]..pair[1]))
        .collect();
    pieces
        .into_iter()
        .flat_map(|piece| piece.split(|c: char| !c.is_ascii_alphanumeric()))
        .filter(|segment| !segment.is_empty())
}

/// .env keys whose values are shown: they never hold a secret (host, port, database, user,
/// TLS flag, ids). Matched by suffix so near misses (`NEON_POSTGRES_USER`) stay readable.
fn is_readable_key(key: &str) -> bool {
    use crate::catalogue::Field;
    if is_secret_key(key) {
        return false;
    }
    // `KEY == SUFFIX` or `KEY` ending in `_SUFFIX`, ASCII case folded, without a copy.
    let bytes = key.as_bytes();
    let ends_with = |suffix: &str| {
        let suffix = suffix.as_bytes();
        bytes.len() >= suffix.len()
            && bytes[bytes.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
            && (bytes.len() == suffix.len() || bytes[bytes.len() - suffix.len() - 1] == b'_')
    };
    [
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
    .any(|field| ends_with(field.suffix()))
}

/// Every byte range of `text` (the file at `path`) that holds or may hold a secret, sorted
/// and merged. .env files are masked value by value; other files by their string literals
/// (connection strings in them) and by `key = value` pairs whose key names a secret.
pub fn secret_ranges(path: &str, text: &str) -> Vec<TextRange> {
    if classify(path) == Some(FileKind::DotEnv) {
        return parsed_env_secret_ranges(text, &crate::dotenv::parse(text));
    }
    match crate::scan::Language::for_path(path) {
        Some(language) => {
            let scan = crate::scan::scan_path(path, language, text);
            scanned_secret_ranges(text, &scan.string_literals)
        }
        None => scanned_secret_ranges(text, &[]),
    }
}

/// [`secret_ranges`] of a source file whose string literals are already known (the analysis
/// scanned it): the same ranges without scanning the file a second time.
pub fn scanned_secret_ranges(
    text: &str,
    literals: &[crate::scan::StringLiteral],
) -> Vec<TextRange> {
    let mut ranges = Vec::new();
    for literal in literals {
        let exact = !literal.interpolated
            && !literal.value.contains('\\')
            && !literal.value.contains("\"\"");
        value_ranges(
            &literal.value,
            literal.value_range.start,
            exact,
            &mut ranges,
        );
    }
    keyed_ranges(text, Written::Input, &mut ranges);
    uri_ranges(text, 0, text.len(), &mut ranges);
    normalise(ranges)
}

/// The secret ranges inside one value (a connection string, a fix's new text, a line of a
/// message), relative to `value`.
pub fn value_secret_ranges(value: &str) -> Vec<TextRange> {
    let mut ranges = Vec::new();
    let (inner, base) = unquoted(value);
    value_ranges(inner, base, true, &mut ranges);
    keyed_ranges(value, Written::Input, &mut ranges);
    normalise(ranges)
}

/// A .env value fit to show (hover, pull's diff): masked exactly as `check` masks it in the
/// file — wholly when its key may hold a secret, only its password when it is a connection
/// string, not at all when its key is known to hold none (host, port, user, …).
pub fn masked_env_value(key: &str, value: &str) -> String {
    let mut ranges = Vec::new();
    env_value_ranges(key, value, 0, true, &mut ranges);
    mask(value, &normalise(ranges))
}

/// `text` with each of `ranges` (sorted, merged, relative to `text`) replaced by [`MASK`].
pub fn mask(text: &str, ranges: &[TextRange]) -> String {
    mask_window(text, TextRange::new(0, text.len()), ranges).text
}

/// A fix's title or new text masked: rule-authored text that may carry a value taken from the
/// input (a connection string, `password="…"` in code). Only such values are masked — a URI's
/// written password, a parsed string's secret fields, a secret key's `=`/`:=`/`=>` value or its
/// quoted value — never the rule's own words: `(no password: with Entra auth …)` and `reads
/// AZURE_POSTGRESQL_PASSWORD: Service Connector sets …` print intact, and so does code that
/// fills a slot (`:${encodeURIComponent(process.env.…)}@`).
pub fn mask_value(text: &str) -> String {
    mask(text, &rule_text_ranges(text))
}

/// The secret ranges of rule-authored text ([`mask_value`]).
fn rule_text_ranges(text: &str) -> Vec<TextRange> {
    let mut ranges = Vec::new();
    let mut uris = Vec::new();
    let (inner, base) = unquoted(text);
    uri_ranges(inner, base, inner.len(), &mut uris);
    uris.retain(|range| {
        !text
            .get(range.start..range.end)
            .is_some_and(is_interpolation)
    });
    ranges.extend(uris);
    field_ranges(inner, base, true, &mut ranges);
    keyed_ranges(text, Written::RuleText, &mut ranges);
    normalise(ranges)
}

/// A value wholly inside one pair of quotes (a fix's new .env text,
/// `'Server=…;Password=****'`) and where its inside starts. The connection string is inside the
/// quotes: judged whole, it does not parse, and its last secret would grow over the closing
/// quote (issue 14: the masked fix text lost its quote).
fn unquoted(value: &str) -> (&str, usize) {
    let bytes = value.as_bytes();
    match (bytes.first(), bytes.last()) {
        (Some(&open @ (b'\'' | b'"')), Some(&close)) if bytes.len() >= 2 && open == close => {
            (&value[1..value.len() - 1], 1)
        }
        _ => (value, 0),
    }
}

/// A slot filled by code, not a value: `${…}`, `{…}`, `#{…}`, `%s`.
fn is_interpolation(value: &str) -> bool {
    let value = value.trim();
    let slot = value.starts_with("${") || value.starts_with("#{") || value.starts_with('{');
    (slot && value.ends_with('}')) || value == "%s"
}

/// Who wrote the text [`keyed_ranges`] looks at.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Written {
    /// A file of the project: `password: hunter2` in YAML is a value.
    Input,
    /// A rule's title or new text: after `key:` only a quoted value is one; an unquoted word
    /// is the rule's prose (`no password: with Entra auth`).
    RuleText,
}

/// A slice of a file with its secrets masked, and a map back from file offsets to columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaskedWindow {
    pub text: String,
    pieces: Vec<Piece>,
}

/// A run of the window shown as it is, or one secret range shown as [`MASK`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Piece {
    range: TextRange,
    /// 0-based character column of the piece's first character in the masked text.
    column: usize,
    masked: bool,
}

impl MaskedWindow {
    /// The 0-based character column in [`MaskedWindow::text`] where file offset `offset`
    /// (of `text`, the whole file) appears. An offset inside a mask lands on the mask's start,
    /// or on its end when `round_up` (for the end of an underline).
    pub fn column(&self, text: &str, offset: usize, round_up: bool) -> usize {
        let mask_width = MASK.chars().count();
        let mut end_column = 0;
        for piece in &self.pieces {
            if offset < piece.range.start {
                return end_column;
            }
            let width = if piece.masked {
                mask_width
            } else {
                text.get(piece.range.start..piece.range.end)
                    .map_or(0, |s| s.chars().count())
            };
            if offset < piece.range.end {
                if piece.masked {
                    let inside = round_up && offset > piece.range.start;
                    return piece.column + if inside { mask_width } else { 0 };
                }
                let upto = floor_char_boundary(text, offset);
                return piece.column
                    + text
                        .get(piece.range.start..upto)
                        .map_or(0, |s| s.chars().count());
            }
            end_column = piece.column + width;
        }
        end_column
    }
}

/// `text[window]` with every secret range that touches it replaced by one [`MASK`].
/// `ranges` must be sorted and merged (as [`secret_ranges`] returns them).
pub fn mask_window(text: &str, window: TextRange, ranges: &[TextRange]) -> MaskedWindow {
    let end = floor_char_boundary(text, window.end.min(text.len()));
    let start = floor_char_boundary(text, window.start.min(end));
    let mut out = String::new();
    let mut pieces = Vec::new();
    let mut column = 0;
    let mut at = start;
    let mut plain = |from: usize, to: usize, out: &mut String, column: &mut usize| {
        if let Some(slice) = text.get(from..to).filter(|s| !s.is_empty()) {
            pieces.push(Piece {
                range: TextRange::new(from, to),
                column: *column,
                masked: false,
            });
            *column += slice.chars().count();
            out.push_str(slice);
        }
    };
    let mut masks = Vec::new();
    let first = ranges.partition_point(|range| range.end <= start);
    for range in ranges.get(first..).unwrap_or_default() {
        if range.start >= end {
            break;
        }
        if range.is_empty() {
            continue;
        }
        let mask_start = floor_char_boundary(text, range.start.max(at));
        plain(at, mask_start, &mut out, &mut column);
        let mask_end = ceil_char_boundary(text, range.end.min(end)).max(mask_start);
        masks.push(Piece {
            range: TextRange::new(mask_start, mask_end),
            column,
            masked: true,
        });
        out.push_str(MASK);
        column += MASK.chars().count();
        at = mask_end;
    }
    plain(at, end, &mut out, &mut column);
    pieces.extend(masks);
    pieces.sort_by_key(|piece| piece.range.start);
    MaskedWindow { text: out, pieces }
}

/// The largest character boundary of `text` at or before `offset`.
pub fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    offset = offset.min(text.len());
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// The smallest character boundary of `text` at or after `offset` (at most its length).
pub fn ceil_char_boundary(text: &str, mut offset: usize) -> usize {
    while offset < text.len() && !text.is_char_boundary(offset) {
        offset += 1;
    }
    offset.min(text.len())
}

/// Sorts and merges overlapping or touching ranges.
fn normalise(mut ranges: Vec<TextRange>) -> Vec<TextRange> {
    ranges.retain(|range| !range.is_empty());
    ranges.sort_unstable();
    let mut merged: Vec<TextRange> = Vec::with_capacity(ranges.len());
    for range in ranges {
        match merged.last_mut() {
            Some(last) if range.start <= last.end => last.end = last.end.max(range.end),
            _ => merged.push(range),
        }
    }
    merged
}

/// [`secret_ranges`] of a .env file from the parse the analysis already made (parsing a big
/// file a second time, while the first parse is alive, doubled the peak memory).
pub fn parsed_env_secret_ranges(text: &str, file: &crate::dotenv::EnvFile) -> Vec<TextRange> {
    let mut ranges = Vec::new();
    env_ranges(text, file, &mut ranges);
    normalise(ranges)
}

/// .env files: values by key; lines the parser could not read are masked after their `=`.
fn env_ranges(text: &str, file: &crate::dotenv::EnvFile, out: &mut Vec<TextRange>) {
    let mut covered: Vec<TextRange> = Vec::with_capacity(file.entries.len());
    for entry in &file.entries {
        covered.push(entry.full_line_range);
        let inner = entry.inner_range;
        if inner.is_empty() {
            continue;
        }
        let raw = text.get(inner.start..inner.end).unwrap_or_default();
        env_value_ranges(&entry.key, raw, inner.start, raw == entry.value, out);
    }
    // Whatever no entry covers and is not a comment or blank: a broken line, or a line a
    // broken quote swallowed. Its value (or the whole line, without `=`) may be a secret.
    let covered = normalise(covered);
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        let range = TextRange::new(line_start, line_start + line.trim_end().len());
        line_start += line.len();
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let index = covered.partition_point(|c| c.end <= range.start);
        if covered
            .get(index)
            .is_some_and(|c| c.start <= range.start && range.end <= c.end)
        {
            continue;
        }
        match line.find('=') {
            Some(equals) => {
                let key = line[..equals].trim().trim_start_matches("export ").trim();
                if !is_readable_key(key) || looks_like_connection_string(&line[equals + 1..]) {
                    out.push(TextRange::new(range.start + equals + 1, range.end));
                }
            }
            None if is_variable_name(trimmed) => {}
            None => out.push(range),
        }
    }
}

fn is_variable_name(word: &str) -> bool {
    let word = word.strip_prefix("export ").unwrap_or(word).trim();
    word.len() <= 64
        && word.contains('_')
        && word
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

/// One .env value as written (`raw`, at `base`); `exact` when it has no escapes.
fn env_value_ranges(key: &str, raw: &str, base: usize, exact: bool, out: &mut Vec<TextRange>) {
    if raw.is_empty() || is_reference_only(raw) {
        return;
    }
    let whole = TextRange::new(base, base + raw.len());
    if is_secret_key(key) {
        out.push(whole);
    } else if looks_like_connection_string(raw) {
        value_ranges(raw, base, exact, out);
    } else if !is_readable_key(key) {
        out.push(whole);
    }
}

/// `${OTHER}` or `$OTHER` alone: a reference, not a secret.
fn is_reference_only(raw: &str) -> bool {
    let inner = raw
        .strip_prefix("${")
        .and_then(|rest| rest.strip_suffix('}'))
        .or_else(|| raw.strip_prefix('$'));
    inner.is_some_and(|name| {
        !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    })
}

fn looks_like_connection_string(value: &str) -> bool {
    crate::connstr::detect_format(value.trim().trim_matches(['"', '\''])).is_some()
        || value.contains("://")
        || value.to_ascii_lowercase().contains("password")
        || crate::scan::looks_like_connection_string(value)
}

/// A value as written (`raw`, at `base` in the file) that may be a connection string. `exact`:
/// `raw` is the value itself (no escapes), so the connection-string parser's ranges apply.
fn value_ranges(raw: &str, base: usize, exact: bool, out: &mut Vec<TextRange>) {
    uri_ranges(raw, base, raw.len(), out);
    field_ranges(raw, base, exact, out);
}

/// The secret fields of a value that may be a connection string (the parser's ranges when
/// `exact` and it parses) and every `secret-key=value` in it.
fn field_ranges(raw: &str, base: usize, exact: bool, out: &mut Vec<TextRange>) {
    let parsed = if exact {
        crate::connstr::parse_with_fields(raw).ok()
    } else {
        None
    };
    if let Some(parsed) = &parsed {
        for field in &parsed.fields {
            if is_secret_key(&field.key) {
                out.push(field.value_range.offset(base));
            }
        }
    }
    // Every `secret-key=` in the value: to the end of its token when the parser vouched
    // for the string, else to the end of the value.
    let bytes = raw.as_bytes();
    let mut at = 0;
    while let Some((key_start, key_end)) = next_identifier(bytes, at) {
        at = key_end.max(key_start + 1);
        let key = &raw[key_start..key_end];
        let mut cursor = skip_blanks(bytes, key_end);
        if bytes.get(cursor) != Some(&b'=') || !is_secret_key(key) {
            continue;
        }
        cursor = skip_blanks(bytes, cursor + 1);
        let end = if parsed.is_some() {
            token_end(bytes, cursor)
        } else {
            bytes.len()
        };
        if end > cursor {
            out.push(TextRange::new(base + cursor, base + end));
        }
        at = end.max(at);
    }
}

/// `scheme://user:password@host`: from the first `:` of the user info to the *last* `@`
/// before `limit` (a quote or line end), so passwords with `/`, `#`, `?` or spaces are
/// covered whole.
fn uri_ranges(text: &str, base: usize, limit: usize, out: &mut Vec<TextRange>) {
    let bytes = text.as_bytes();
    let limit = limit.min(bytes.len());
    let mut from = 0;
    while let Some(found) = text.get(from..limit).and_then(|rest| rest.find("://")) {
        let start = from + found + 3;
        from = start;
        let stop = bytes
            .get(start..limit)
            .and_then(|rest| {
                rest.iter()
                    .position(|&b| matches!(b, b'"' | b'\'' | b'`' | b'\n' | b'\r'))
            })
            .map_or(limit, |length| start + length);
        let Some(at) = bytes
            .get(start..stop)
            .and_then(|authority| authority.iter().rposition(|&b| b == b'@'))
        else {
            continue;
        };
        let userinfo = &bytes[start..start + at];
        if let Some(colon) = userinfo.iter().position(|&b| b == b':') {
            out.push(TextRange::new(base + start + colon + 1, base + start + at));
        }
        from = start + at;
    }
}

/// Code and configuration: `password = "…"`, `"token": "…"`, `secret: …`, `pwd := "…"`,
/// `:password => '…'`. A quoted value is always a literal; an unquoted one only when it does
/// not look like code (`process.env.X`, `get_password()`, `$VAR`, `${{ secrets.X }}`).
fn keyed_ranges(text: &str, written: Written, out: &mut Vec<TextRange>) {
    let bytes = text.as_bytes();
    let mut at = 0;
    while let Some((key_start, key_end)) = next_identifier(bytes, at) {
        at = key_end.max(key_start + 1);
        if !is_secret_key(&text[key_start..key_end]) {
            continue;
        }
        let mut cursor = skip_blanks(bytes, key_end);
        if matches!(bytes.get(cursor), Some(b'"' | b'\'')) {
            cursor = skip_blanks(bytes, cursor + 1);
        }
        let colon = match (bytes.get(cursor), bytes.get(cursor + 1)) {
            (Some(b'='), Some(b'=' | b'~')) => continue,
            (Some(b'='), Some(b'>')) | (Some(b':'), Some(b'=')) => {
                cursor += 2;
                false
            }
            (Some(b'='), _) => {
                cursor += 1;
                false
            }
            (Some(b':'), _) => {
                cursor += 1;
                true
            }
            _ => continue,
        };
        cursor = skip_blanks(bytes, cursor);
        let quoted = matches!(bytes.get(cursor), Some(b'"' | b'\'' | b'`'));
        if colon && !quoted && written == Written::RuleText {
            continue;
        }
        let range = match bytes.get(cursor) {
            Some(&quote @ (b'"' | b'\'' | b'`')) => {
                let start = cursor + 1;
                let end = closing_quote(bytes, start, quote);
                let value = &bytes[start..end];
                if value.starts_with(b"${") || value.starts_with(b"<") || value.is_empty() {
                    continue;
                }
                TextRange::new(start, end)
            }
            Some(_) => {
                let end = token_end(bytes, cursor);
                let token = &bytes[cursor..end];
                if !looks_like_a_literal(token) {
                    continue;
                }
                TextRange::new(cursor, end)
            }
            None => continue,
        };
        at = range.end.max(at);
        out.push(range);
    }
}

/// The next run of `[A-Za-z0-9_.-]` at or after `from` that starts with a letter or `_`.
fn next_identifier(bytes: &[u8], from: usize) -> Option<(usize, usize)> {
    let is_part = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.');
    let mut start = from;
    // Never start inside an identifier.
    while start > 0 && start < bytes.len() && is_part(bytes[start - 1]) && is_part(bytes[start]) {
        start += 1;
    }
    loop {
        let byte = *bytes.get(start)?;
        if byte.is_ascii_alphabetic() || byte == b'_' {
            break;
        }
        start += 1;
    }
    let mut end = start;
    while bytes.get(end).copied().is_some_and(is_part) {
        end += 1;
    }
    Some((start, end))
}

fn skip_blanks(bytes: &[u8], mut at: usize) -> usize {
    while bytes.get(at).is_some_and(|b| *b == b' ' || *b == b'\t') {
        at += 1;
    }
    at
}

/// Where an unquoted value ends: a separator of the formats it may be in, or a line end.
fn token_end(bytes: &[u8], start: usize) -> usize {
    let quoted = bytes.get(start).filter(|b| matches!(b, b'"' | b'\''));
    if let Some(&quote) = quoted {
        return (closing_quote(bytes, start + 1, quote) + 1).min(bytes.len());
    }
    bytes
        .get(start..)
        .and_then(|rest| {
            rest.iter().position(|&b| {
                matches!(
                    b,
                    b';' | b'&' | b',' | b')' | b'}' | b']' | b'"' | b'\'' | b'`'
                ) || b.is_ascii_whitespace()
            })
        })
        .map_or(bytes.len(), |length| start + length)
}

/// Where a quoted value that starts at `start` ends (before the quote): a backslash escapes
/// the next byte and a doubled quote is one quote, so neither ends the value early.
fn closing_quote(bytes: &[u8], start: usize, quote: u8) -> usize {
    let mut at = start;
    while let Some(&byte) = bytes.get(at) {
        if byte == quote && bytes.get(at + 1) == Some(&quote) {
            at += 2;
            continue;
        }
        if byte == quote || byte == b'\n' {
            return at;
        }
        at += if byte == b'\\' { 2 } else { 1 };
    }
    bytes.len()
}

/// Placeholders (`$X`, `{x}`, `%s`, `<password>`) and code (`process.env.X`,
/// `get_password()`, `os.environ[…]`) are not secrets; masking them would hide what a
/// diagnostic is about.
fn looks_like_a_literal(token: &[u8]) -> bool {
    let Some(first) = token.first() else {
        return false;
    };
    if matches!(first, b'$' | b'{' | b'%' | b'<' | b'[') {
        return false;
    }
    let lowercase = token.to_ascii_lowercase();
    let code = [
        &b"process.env"[..],
        b"os.environ",
        b"os.getenv",
        b"getenv",
        b"environment.",
        b"env[",
        b"env.",
        b"env(",
        b"secrets.",
        b"config.",
        b"settings.",
        b"self.",
        b"this.",
    ];
    if code
        .iter()
        .any(|needle| lowercase.windows(needle.len()).any(|w| w == *needle))
    {
        return false;
    }
    // A call: `get_password(…)`, `vault.read(…)` (a password may start with `(`, not hold one
    // after a name).
    let call = token.iter().position(|b| *b == b'(').is_some_and(|paren| {
        paren > 0
            && token[..paren]
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.'))
    });
    !call
}

#[cfg(test)]
mod tests;
