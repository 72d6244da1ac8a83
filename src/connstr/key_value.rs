//! libpq key-value strings (`host=… port=5432 dbname=… sslmode=require`): libpq's
//! `conninfo_parse`, and the renderer, in the key order the catalogue gives per client type.

use std::borrow::Cow;

use crate::text::TextRange;

use super::{
    ConnectionParams, DEFAULT_PORT, Format, ParseError, ParseErrorKind, ParsedConnectionString,
    keywords::{is_libpq_keyword, is_secret_option},
    render::Secrets,
    shared::{Collector, Pair, secret_quoting_hint, shown_key, slice},
};

/// C `isspace` in the C locale, which is what libpq's `conninfo_parse` uses.
pub(super) fn is_libpq_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// libpq's `conninfo_parse`: `key = value` pairs separated by whitespace; a value is either a
/// run of non-space characters or `'single quoted'`, and in both a backslash escapes the next
/// character. Whitespace after `=` is skipped, so `host= port=5` sets host to `port=5`.
pub(super) fn parse_key_value(text: &str) -> Result<ParsedConnectionString, ParseError> {
    let bytes = text.as_bytes();
    let skip_spaces = |mut i: usize| {
        while bytes.get(i).is_some_and(|b| is_libpq_space(*b)) {
            i += 1;
        }
        i
    };
    let mut collector = Collector::new(Format::KeyValue);
    let mut after_bare_secret = false;
    let mut i = skip_spaces(0);
    while i < bytes.len() {
        let key_start = i;
        while bytes
            .get(i)
            .is_some_and(|b| !is_libpq_space(*b) && *b != b'=')
        {
            i += 1;
        }
        let key_range = TextRange::new(key_start, i);
        let key = slice(text, key_start, i);
        i = skip_spaces(i);
        if bytes.get(i) != Some(&b'=') {
            let message = if after_bare_secret {
                format!(
                    "unexpected text after the password; {}",
                    secret_quoting_hint(Format::KeyValue)
                )
            } else if is_libpq_keyword(key) {
                format!("\"{key}\" has no value: expected \"=\" after it")
            } else {
                "expected \"key=value\": this word has no \"=\" (libpq separates pairs with \
                 spaces, so a value containing spaces must be quoted)"
                    .to_owned()
            };
            return Err(ParseError::new(
                ParseErrorKind::MissingValue,
                key_range,
                message,
            ));
        }
        i = skip_spaces(i + 1);
        let value_start = i;
        let mut value = Vec::new();
        let quoted = bytes.get(i) == Some(&b'\'');
        if quoted {
            i += 1;
            loop {
                match bytes.get(i) {
                    None => {
                        return Err(ParseError::new(
                            ParseErrorKind::UnbalancedQuote,
                            TextRange::new(value_start, bytes.len()),
                            format!(
                                "the value of {} opens a quote that is never closed",
                                shown_key(key)
                            ),
                        ));
                    }
                    Some(b'\\') => {
                        if let Some(escaped) = bytes.get(i + 1) {
                            value.push(*escaped);
                        }
                        i += 2;
                    }
                    Some(b'\'') => {
                        i += 1;
                        break;
                    }
                    Some(other) => {
                        value.push(*other);
                        i += 1;
                    }
                }
            }
        } else {
            while let Some(&byte) = bytes.get(i) {
                if is_libpq_space(byte) {
                    break;
                }
                if byte == b'\\' {
                    i += 1;
                    if let Some(escaped) = bytes.get(i) {
                        value.push(*escaped);
                    }
                } else {
                    value.push(byte);
                }
                i += 1;
            }
        }
        let i_end = i.min(bytes.len());
        let value_range = TextRange::new(value_start, i_end);
        let value = String::from_utf8_lossy(&value).into_owned();
        let raw = slice(text, value_start, i_end);
        collector.apply_libpq(Pair {
            key,
            key_range,
            value,
            value_range,
            raw,
            after_bare_secret,
        })?;
        after_bare_secret = !quoted && (key == "password" || is_secret_option(key));
        i = skip_spaces(i_end);
    }
    collector.finish()
}

/// One rendered `key=value` of a key-value string, before quoting.
pub(super) struct KeyValuePair {
    pub(super) key: Cow<'static, str>,
    pub(super) value: String,
    pub(super) masked: bool,
}

impl ConnectionParams {
    /// A key-value string with `keys` (libpq keywords) first, in that order, as the catalogue
    /// fixes per client type (Python: `dbname host port sslmode user password`). Parameters
    /// not listed follow in the default order, except a port of 5432, which is every driver's
    /// default and which Service Connector leaves out for Go.
    pub fn render_key_value_ordered(&self, keys: &[&str]) -> String {
        join_key_value(self.ordered_pairs(keys, Secrets::Show))
    }

    /// [`ConnectionParams::render_key_value_ordered`] with secrets masked.
    pub fn masked_key_value_ordered(&self, keys: &[&str]) -> String {
        join_key_value(self.ordered_pairs(keys, Secrets::Mask))
    }

    /// The port list of a key-value string: one port if all hosts share it.
    fn key_value_port(&self) -> Option<String> {
        let first = self.hosts.first()?.1;
        if self.hosts.iter().all(|(_, port)| *port == first) {
            return first.map(|port| port.to_string());
        }
        Some(
            self.hosts
                .iter()
                .map(|(_, port)| port.map(|port| port.to_string()).unwrap_or_default())
                .collect::<Vec<_>>()
                .join(","),
        )
    }

    pub(super) fn key_value_pairs(&self, secrets: Secrets) -> Vec<KeyValuePair> {
        let pair = |key: &'static str, value: String| KeyValuePair {
            key: Cow::Borrowed(key),
            value,
            masked: false,
        };
        let mut pairs = Vec::new();
        if self.hosts.iter().any(|(host, _)| !host.is_empty()) {
            let hosts: Vec<&str> = self.hosts.iter().map(|(host, _)| host.as_str()).collect();
            pairs.push(pair("host", hosts.join(",")));
        }
        if let Some(port) = self.key_value_port() {
            pairs.push(pair("port", port));
        }
        if let Some(database) = &self.database {
            pairs.push(pair("dbname", database.clone()));
        }
        if let Some(mode) = self.ssl_mode {
            pairs.push(pair("sslmode", mode.libpq_name().to_owned()));
        }
        if let Some(user) = &self.user {
            pairs.push(pair("user", user.clone()));
        }
        if let Some((password, masked)) = self.password_text(secrets) {
            pairs.push(KeyValuePair {
                key: Cow::Borrowed("password"),
                value: password,
                masked,
            });
        }
        for (key, value, masked) in self.rendered_options(Format::KeyValue, secrets) {
            pairs.push(KeyValuePair { key, value, masked });
        }
        pairs
    }

    fn ordered_pairs(&self, keys: &[&str], secrets: Secrets) -> Vec<KeyValuePair> {
        let mut remaining = self.key_value_pairs(secrets);
        let mut ordered = Vec::with_capacity(remaining.len());
        for key in keys {
            if let Some(at) = remaining.iter().position(|pair| pair.key == *key) {
                ordered.push(remaining.remove(at));
            }
        }
        let default_port = DEFAULT_PORT.to_string();
        ordered.extend(
            remaining
                .into_iter()
                .filter(|pair| !(pair.key == "port" && pair.value == default_port)),
        );
        ordered
    }
}

/// Quotes a key-value value the way libpq reads it back: single quotes, with `\` escaping
/// `'` and `\`, whenever the bare value would be misread.
fn libpq_quote(value: &str) -> Cow<'_, str> {
    let needs_quotes = value.is_empty()
        || value
            .bytes()
            .any(|b| is_libpq_space(b) || b == b'\'' || b == b'\\');
    if !needs_quotes {
        return Cow::Borrowed(value);
    }
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        if c == '\'' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('\'');
    Cow::Owned(out)
}

pub(super) fn join_key_value(pairs: Vec<KeyValuePair>) -> String {
    pairs
        .iter()
        .map(|pair| {
            let value = if pair.masked {
                Cow::Borrowed(pair.value.as_str())
            } else {
                libpq_quote(&pair.value)
            };
            format!("{}={}", pair.key, value)
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use crate::connstr::{Format, Password, host_and_port, parse_as};

    #[test]
    fn key_value_quoting_escapes_and_spaces_around_equals() {
        let text = r"host = db.example  port= 5432 password='it\'s a \\ secret' dbname=my\ db application_name=''";
        let params = parse_as(text, Format::KeyValue).unwrap();
        assert_eq!(params.hosts, vec![host_and_port("db.example", Some(5432))]);
        assert_eq!(
            params.password.as_ref().map(Password::expose),
            Some(r"it's a \ secret")
        );
        assert_eq!(params.database.as_deref(), Some("my db"));
        assert_eq!(params.option("application_name"), Some(""));
        let rendered = params.render(Format::KeyValue);
        assert_eq!(
            rendered,
            r"host=db.example port=5432 dbname='my db' password='it\'s a \\ secret' application_name=''"
        );
        assert_eq!(parse_as(&rendered, Format::KeyValue).unwrap(), params);
    }

    #[test]
    fn key_value_multi_host_port_lists() {
        let params = parse_as("host=a,b,c port=5432", Format::KeyValue).unwrap();
        assert!(params.hosts.iter().all(|(_, port)| *port == Some(5432)));
        let params = parse_as("host=a,b port=,5433", Format::KeyValue).unwrap();
        assert_eq!(
            params.hosts,
            vec![host_and_port("a", None), host_and_port("b", Some(5433))]
        );
        assert_eq!(params.render(Format::KeyValue), "host=a,b port=,5433");
        let params = parse_as("port=6543 dbname=x", Format::KeyValue).unwrap();
        assert_eq!(params.hosts, vec![host_and_port("", Some(6543))]);
        assert_eq!(params.render(Format::KeyValue), "port=6543 dbname=x");
    }

    #[test]
    fn key_value_whitespace_after_equals_is_skipped_like_libpq() {
        let params = parse_as("host= port=5432", Format::KeyValue).unwrap();
        assert_eq!(params.hosts, vec![host_and_port("port=5432", None)]);
    }
}
