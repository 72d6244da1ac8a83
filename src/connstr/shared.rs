//! Parsing machinery the formats share: bounded slicing, percent-decoding and encoding, port
//! lists, the `Collector` that turns written fields into [`ConnectionParams`], and the error
//! builders (unknown keys with suggestions, SSL modes, quoting hints).

use std::borrow::Cow;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

use crate::text::TextRange;

use super::{
    ConnectionParams, Field, Format, HostAndPort, ParseError, ParseErrorKind,
    ParsedConnectionString, Password, SslMode, host_and_port,
    keywords::{LIBPQ_KEYWORDS, is_libpq_keyword, npgsql_keyword, suggest_key},
};

/// `text[start..end]`, or "" if the bounds are off. Parsers only cut at ASCII delimiters, which
/// are always character boundaries; this keeps a logic slip from becoming a panic.
pub(super) fn slice(text: &str, start: usize, end: usize) -> &str {
    text.get(start..end).unwrap_or("")
}

/// The end of the character starting at byte `at`, so that a one-character range never splits
/// a multi-byte character.
pub(super) fn char_end(text: &str, at: usize) -> usize {
    at + text
        .get(at..)
        .and_then(|rest| rest.chars().next())
        .map_or(0, char::len_utf8)
}

pub(super) fn non_empty(value: String) -> Option<String> {
    (!value.is_empty()).then_some(value)
}

/// At most 40 characters of a key, for messages.
/// How a message names a key: in quotes when it is a keyword some driver knows, else by its
/// place ("a key"), because an unknown "key" may be a piece of a password that contains `;`,
/// a space or a quote — messages never quote text that may hold a secret.
pub(super) fn shown_key(key: &str) -> Cow<'static, str> {
    let known = is_libpq_keyword(key)
        || npgsql_keyword(key).is_some()
        || key.eq_ignore_ascii_case("password")
        || key.eq_ignore_ascii_case("user");
    if known {
        Cow::Owned(format!("\"{key}\""))
    } else {
        Cow::Borrowed("a key")
    }
}

pub(super) fn parse_port(text: &str, range: TextRange) -> Result<u16, ParseError> {
    let number = (!text.is_empty() && text.len() <= 5 && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse::<u32>().ok())
        .flatten()
        .filter(|port| (1..=65535).contains(port))
        .and_then(|port| u16::try_from(port).ok());
    number.ok_or_else(|| {
        ParseError::new(
            ParseErrorKind::BadPort,
            range,
            "the port must be a number from 1 to 65535",
        )
    })
}

/// Decodes `%XX` escapes, strictly: libpq rejects a stray `%` and `%00`, pgjdbc's
/// `URLDecoder` rejects a stray `%`. `plus_as_space` mirrors `URLDecoder` (pgjdbc) turning
/// `+` into a space; libpq keeps `+`.
pub(super) fn percent_decode(
    raw: &str,
    range: TextRange,
    plus_as_space: bool,
    what: &str,
) -> Result<String, ParseError> {
    let bytes = raw.as_bytes();
    for (index, _) in raw.match_indices('%') {
        let is_hex = |offset: usize| bytes.get(index + offset).is_some_and(u8::is_ascii_hexdigit);
        if !(is_hex(1) && is_hex(2)) {
            let mut end = (index + 3).min(raw.len());
            while !raw.is_char_boundary(end) {
                end += 1;
            }
            return Err(ParseError::new(
                ParseErrorKind::BadPercentEncoding,
                TextRange::new(range.start + index, range.start + end),
                format!(
                    "invalid percent-encoding in the {what}: \"%\" must be followed by two hex \
                     digits (write a literal \"%\" as %25)"
                ),
            ));
        }
    }
    let spaced;
    let source = if plus_as_space && raw.contains('+') {
        spaced = raw.replace('+', " ");
        spaced.as_str()
    } else {
        raw
    };
    let decoded: Vec<u8> = percent_decode_str(source).collect();
    if decoded.contains(&0) {
        return Err(ParseError::new(
            ParseErrorKind::BadPercentEncoding,
            range,
            format!("the {what} contains %00, a NUL byte, which drivers cannot pass on"),
        ));
    }
    String::from_utf8(decoded).map_err(|_| {
        ParseError::new(
            ParseErrorKind::BadPercentEncoding,
            range,
            format!("the {what} percent-decodes to bytes that are not UTF-8"),
        )
    })
}

/// Everything but RFC 3986 unreserved characters is escaped, which both libpq and pgjdbc's
/// `URLDecoder` decode back (in particular `+` becomes `%2B`, so pgjdbc does not read a space).
const COMPONENT_ESCAPES: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

pub(super) fn percent_encode(value: &str) -> String {
    utf8_percent_encode(value, COMPONENT_ESCAPES).to_string()
}

/// Accumulates what a parser finds, in order, applying each driver's "the last one wins".
pub(super) struct Collector {
    pub(super) format: Format,
    pub(super) params: ConnectionParams,
    /// libpq keeps host and port as two parallel comma lists; so do we until the end.
    pub(super) hosts: Option<Vec<String>>,
    pub(super) ports: Option<(Vec<Option<u16>>, TextRange)>,
    pub(super) ssl_mode_written: bool,
    pub(super) fields: Vec<Field>,
}

impl Collector {
    pub(super) fn new(format: Format) -> Self {
        Collector {
            format,
            params: ConnectionParams::default(),
            hosts: None,
            ports: None,
            ssl_mode_written: false,
            fields: Vec::new(),
        }
    }

    pub(super) fn field(
        &mut self,
        key: &str,
        key_range: Option<TextRange>,
        value_range: TextRange,
    ) {
        self.fields.push(Field {
            key: key.to_owned(),
            key_range,
            value_range,
        });
    }

    pub(super) fn set_option(&mut self, key: &str, value: String) {
        match self
            .params
            .options
            .iter_mut()
            .find(|(existing, _)| existing == key)
        {
            Some(slot) => slot.1 = value,
            None => self.params.options.push((key.to_owned(), value)),
        }
    }

    pub(super) fn set_ssl_mode(&mut self, mode: SslMode) {
        self.params.ssl_mode = Some(mode);
        self.ssl_mode_written = true;
    }

    /// Applies one libpq keyword (key-value pair or URI query parameter). `raw` is the value as
    /// written, used to locate errors inside it when it was written verbatim.
    pub(super) fn apply_libpq(&mut self, pair: Pair<'_>) -> Result<(), ParseError> {
        let Pair {
            key,
            key_range,
            value,
            value_range,
            raw,
            after_bare_secret,
        } = pair;
        let verbatim = raw == value;
        match key {
            "host" => self.hosts = Some(value.split(',').map(str::to_owned).collect()),
            "port" => {
                let ports = parse_port_list(&value, value_range, verbatim)?;
                self.ports = Some((ports, value_range));
            }
            "dbname" => self.params.database = non_empty(value),
            "user" => self.params.user = non_empty(value),
            "password" => self.params.password = non_empty(value).map(Password),
            "sslmode" => {
                let mode = SslMode::from_libpq_name(&value)
                    .ok_or_else(|| bad_libpq_ssl_mode(&value, value_range))?;
                self.set_ssl_mode(mode);
            }
            // libpq translates `ssl=true` in a URI (only there, and only that value) into
            // `sslmode=require`, for JDBC compatibility.
            "ssl" if self.format == Format::Uri => {
                if value != "true" {
                    return Err(ParseError::new(
                        ParseErrorKind::BadValue,
                        value_range,
                        "libpq accepts only ssl=true in a URI (meaning sslmode=require); write \
                         sslmode=… instead",
                    )
                    .with_suggestion(Some("sslmode")));
                }
                self.params.ssl_flag = Some(value);
                self.set_ssl_mode(SslMode::Require);
            }
            known if is_libpq_keyword(known) => self.set_option(known, value),
            unknown => {
                return Err(unknown_key_error(
                    self.format,
                    unknown,
                    key_range,
                    after_bare_secret,
                    LIBPQ_KEYWORDS.iter().copied(),
                ));
            }
        }
        self.field(key, Some(key_range), value_range);
        Ok(())
    }

    pub(super) fn finish(mut self) -> Result<ParsedConnectionString, ParseError> {
        self.params.hosts = combine_hosts_and_ports(self.hosts.take(), self.ports.take())?;
        Ok(ParsedConnectionString {
            format: self.format,
            params: self.params,
            fields: self.fields,
        })
    }
}

/// One `key=value` as a parser found it.
pub(super) struct Pair<'a> {
    pub(super) key: &'a str,
    pub(super) key_range: TextRange,
    pub(super) value: String,
    pub(super) value_range: TextRange,
    pub(super) raw: &'a str,
    /// The previous value was an unquoted / unencoded password, so this "key" is probably the
    /// rest of it: the error message must not quote it.
    pub(super) after_bare_secret: bool,
}

pub(super) fn bad_libpq_ssl_mode(value: &str, range: TextRange) -> ParseError {
    let meant = SslMode::from_any_spelling(value);
    let hint = match meant {
        Some(mode) => format!("; libpq spells it \"{}\"", mode.libpq_name()),
        None => String::new(),
    };
    ParseError::new(
        ParseErrorKind::BadValue,
        range,
        format!(
            "sslmode must be one of disable, allow, prefer, require, verify-ca, verify-full \
             (lowercase){hint}"
        ),
    )
    .with_suggestion(meant.map(SslMode::libpq_name))
}

pub(super) fn unknown_key_error<'a>(
    format: Format,
    key: &str,
    range: TextRange,
    after_bare_secret: bool,
    candidates: impl IntoIterator<Item = &'a str>,
) -> ParseError {
    if after_bare_secret {
        return ParseError::new(
            ParseErrorKind::UnknownKey,
            range,
            format!(
                "unexpected text after the password; {}",
                secret_quoting_hint(format)
            ),
        );
    }
    let what = match format {
        Format::Uri => "URI query parameter",
        Format::KeyValue => "libpq keyword",
        Format::Npgsql => "Npgsql keyword",
        Format::Jdbc => "pgjdbc property",
    };
    if key.is_empty() {
        return ParseError::new(ParseErrorKind::UnknownKey, range, format!("empty {what}"));
    }
    let suggestion = suggest_key(format, key, candidates);
    let hint = match suggestion {
        Some(suggestion) => format!("; did you mean \"{suggestion}\"?"),
        None => String::new(),
    };
    ParseError::new(
        ParseErrorKind::UnknownKey,
        range,
        // A misspelt keyword is named (it is a near miss of a known word, not a value); any
        // other unknown key may be a piece of a password that contains a separator.
        match suggestion {
            Some(_)
                if key.len() <= 24
                    && key
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b" _-.".contains(&b)) =>
            {
                format!("unknown {what} \"{key}\"{hint}")
            }
            _ => format!("unknown {what} at this position{hint}"),
        },
    )
    .with_suggestion(suggestion)
}

pub(super) fn secret_quoting_hint(format: Format) -> &'static str {
    match format {
        Format::KeyValue => "a password containing spaces must be quoted: password='…'",
        Format::Npgsql => "a password containing \";\" must be quoted: Password=\"…\"",
        Format::Uri | Format::Jdbc => {
            "special characters in a password (& = # ? / @ % + space) must be percent-encoded"
        }
    }
}

/// libpq's port list: entries may be empty (default port); `verbatim` says whether offsets in
/// `value` are offsets in the text, so that a bad entry can be pinpointed.
fn parse_port_list(
    value: &str,
    value_range: TextRange,
    verbatim: bool,
) -> Result<Vec<Option<u16>>, ParseError> {
    let mut ports = Vec::new();
    let mut offset = 0;
    for entry in value.split(',') {
        let range = if verbatim {
            TextRange::new(
                value_range.start + offset,
                value_range.start + offset + entry.len(),
            )
        } else {
            value_range
        };
        ports.push(if entry.is_empty() {
            None
        } else {
            Some(parse_port(entry, range)?)
        });
        offset += entry.len() + 1;
    }
    Ok(ports)
}

/// libpq's rule: one port applies to every host; otherwise there must be one per host.
fn combine_hosts_and_ports(
    hosts: Option<Vec<String>>,
    ports: Option<(Vec<Option<u16>>, TextRange)>,
) -> Result<Vec<HostAndPort>, ParseError> {
    let hosts = hosts.unwrap_or_else(|| vec![String::new()]);
    let combined: Vec<HostAndPort> = match ports {
        None => hosts
            .into_iter()
            .map(|host| host_and_port(host, None))
            .collect(),
        Some((ports, _)) if ports.len() == 1 => {
            let port = ports.first().copied().flatten();
            hosts
                .into_iter()
                .map(|host| host_and_port(host, port))
                .collect()
        }
        Some((ports, _)) if ports.len() == hosts.len() => hosts
            .into_iter()
            .zip(ports)
            .map(|(host, port)| host_and_port(host, port))
            .collect(),
        Some((ports, range)) => {
            return Err(ParseError::new(
                ParseErrorKind::BadPort,
                range,
                format!(
                    "{} ports for {} hosts: give one port for all hosts or one per host",
                    ports.len(),
                    hosts.len()
                ),
            ));
        }
    };
    let only_defaults = combined.len() == 1
        && combined
            .first()
            .is_some_and(|(host, port)| host.is_empty() && port.is_none());
    Ok(if only_defaults { Vec::new() } else { combined })
}
