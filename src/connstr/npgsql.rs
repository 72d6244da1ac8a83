//! Npgsql / ADO.NET strings (`Server=…;Database=…;Port=5432;Ssl Mode=Require;User Id=…;`):
//! .NET's `DbConnectionStringBuilder` syntax with Npgsql's keyword table, and the renderer.

use std::borrow::Cow;

use crate::text::TextRange;

use super::{
    ConnectionParams, Format, ParseError, ParseErrorKind, ParsedConnectionString, Password,
    SslMode, is_ipv6_literal,
    keywords::{NPGSQL_KEYWORDS, OPTION_SPELLINGS, npgsql_enum_to_libpq, npgsql_keyword},
    render::Secrets,
    shared::{
        Collector, char_end, non_empty, parse_port, secret_quoting_hint, shown_key, slice,
        unknown_key_error,
    },
};

/// .NET's `DbConnectionStringBuilder` syntax: `key=value` separated by `;`, keys trimmed and
/// case-insensitive (`==` in a key is a literal `=`), values trimmed unless quoted with `"` or
/// `'`, a doubled quote inside quotes standing for one. Then Npgsql's keyword table.
pub(super) fn parse_npgsql(text: &str) -> Result<ParsedConnectionString, ParseError> {
    let bytes = text.as_bytes();
    // .NET trims with `char.IsWhiteSpace`, i.e. Unicode whitespace, not just ASCII.
    let skip_spaces = |i: usize| {
        let rest = text.get(i..).unwrap_or("");
        i + (rest.len() - rest.trim_start().len())
    };
    let mut npgsql_hosts: Option<Vec<(String, Option<u16>)>> = None;
    let mut default_port: Option<(u16, TextRange)> = None;
    let mut collector = Collector::new(Format::Npgsql);
    let mut after_bare_secret = false;
    let mut i = 0;
    loop {
        loop {
            let next = skip_spaces(i);
            if bytes.get(next) == Some(&b';') {
                i = next + 1;
            } else {
                i = next;
                break;
            }
        }
        if i >= bytes.len() {
            break;
        }
        let key_start = i;
        let mut key_bytes = Vec::new();
        loop {
            match bytes.get(i) {
                None | Some(b';') => {
                    let message = if after_bare_secret {
                        format!(
                            "unexpected text after the password; {}",
                            secret_quoting_hint(Format::Npgsql)
                        )
                    } else {
                        "expected \"Keyword=value\": this part has no \"=\"".to_owned()
                    };
                    return Err(ParseError::new(
                        ParseErrorKind::MissingValue,
                        TextRange::new(key_start, i),
                        message,
                    ));
                }
                Some(b'=') if bytes.get(i + 1) == Some(&b'=') => {
                    key_bytes.push(b'=');
                    i += 2;
                }
                Some(b'=') => break,
                Some(other) => {
                    key_bytes.push(*other);
                    i += 1;
                }
            }
        }
        let key_owned = String::from_utf8_lossy(&key_bytes).trim().to_owned();
        let key_end = key_start + slice(text, key_start, i).trim_end().len();
        let key_range = TextRange::new(key_start, key_end);
        i = skip_spaces(i + 1);
        let value_start = i;
        let quote = bytes.get(i).copied().filter(|b| *b == b'"' || *b == b'\'');
        let (value, value_range, quoted) = if let Some(quote) = quote {
            i += 1;
            let mut value = Vec::new();
            loop {
                match bytes.get(i) {
                    None => {
                        return Err(ParseError::new(
                            ParseErrorKind::UnbalancedQuote,
                            TextRange::new(value_start, bytes.len()),
                            format!(
                                "the value of {} opens a quote that is never closed",
                                shown_key(&key_owned)
                            ),
                        ));
                    }
                    Some(b) if *b == quote && bytes.get(i + 1) == Some(&quote) => {
                        value.push(quote);
                        i += 2;
                    }
                    Some(b) if *b == quote => {
                        i += 1;
                        break;
                    }
                    Some(other) => {
                        value.push(*other);
                        i += 1;
                    }
                }
            }
            let value_range = TextRange::new(value_start, i);
            i = skip_spaces(i);
            if !matches!(bytes.get(i), None | Some(b';')) {
                return Err(ParseError::new(
                    ParseErrorKind::UnbalancedQuote,
                    TextRange::new(value_start, char_end(text, i)),
                    format!(
                        "text after the closing quote of the value of {}: a quote inside a quoted value \
                         must be doubled",
                        shown_key(&key_owned)
                    ),
                ));
            }
            (
                String::from_utf8_lossy(&value).into_owned(),
                value_range,
                true,
            )
        } else {
            while bytes.get(i).is_some_and(|b| *b != b';') {
                i += 1;
            }
            let end = value_start + slice(text, value_start, i).trim_end().len();
            (
                slice(text, value_start, end).to_owned(),
                TextRange::new(value_start, end),
                false,
            )
        };

        let Some(keyword) = npgsql_keyword(&key_owned) else {
            let candidates = NPGSQL_KEYWORDS.iter().map(|keyword| keyword.canonical);
            return Err(unknown_key_error(
                Format::Npgsql,
                &key_owned,
                key_range,
                after_bare_secret,
                candidates,
            ));
        };
        let field_key = match keyword.canonical {
            "Host" => {
                npgsql_hosts = Some(parse_npgsql_hosts(&value, value_range, quoted)?);
                "host"
            }
            "Port" => {
                default_port = if value.is_empty() {
                    None
                } else {
                    Some((parse_port(value.trim(), value_range)?, value_range))
                };
                "port"
            }
            "Database" => {
                collector.params.database = non_empty(value);
                "dbname"
            }
            "Username" => {
                collector.params.user = non_empty(value);
                "user"
            }
            "Password" => {
                collector.params.password = non_empty(value).map(Password);
                "password"
            }
            "SSL Mode" => {
                let mode = SslMode::from_npgsql_name(value.trim()).ok_or_else(|| {
                    let meant = SslMode::from_any_spelling(&value);
                    let hint = match meant {
                        Some(mode) => format!("; Npgsql spells it \"{}\"", mode.npgsql_name()),
                        None => String::new(),
                    };
                    ParseError::new(
                        ParseErrorKind::BadValue,
                        value_range,
                        format!(
                            "SSL Mode must be one of Disable, Allow, Prefer, Require, VerifyCA, \
                             VerifyFull{hint}"
                        ),
                    )
                    .with_suggestion(meant.map(SslMode::npgsql_name))
                })?;
                collector.set_ssl_mode(mode);
                "sslmode"
            }
            canonical => {
                match OPTION_SPELLINGS
                    .iter()
                    .find(|spelling| spelling.npgsql == Some(canonical))
                {
                    Some(spelling) => {
                        let value = if spelling.npgsql_enum_values {
                            npgsql_enum_to_libpq(&value)
                        } else {
                            value
                        };
                        collector.set_option(spelling.libpq, value);
                        spelling.libpq
                    }
                    None => {
                        collector.set_option(canonical, value);
                        canonical
                    }
                }
            }
        };
        collector.field(field_key, Some(key_range), value_range);
        after_bare_secret = !quoted && matches!(field_key, "password" | "sslpassword");
    }

    // Npgsql: a port written in the host list wins over `Port`, which is the default for the rest.
    let default = default_port.map(|(port, _)| port);
    let combined: Vec<(String, Option<u16>)> = match npgsql_hosts {
        Some(hosts) => hosts
            .into_iter()
            .map(|(host, port)| (host, port.or(default)))
            .collect(),
        None => default
            .map(|port| vec![(String::new(), Some(port))])
            .unwrap_or_default(),
    };
    let range = default_port.map(|(_, range)| range).unwrap_or_default();
    let (hosts, ports): (Vec<String>, Vec<Option<u16>>) = combined.into_iter().unzip();
    if !hosts.is_empty() {
        collector.hosts = Some(hosts);
        collector.ports = Some((ports, range));
    }
    collector.finish()
}

/// Npgsql's `Host` list: `h1,h2:5433,[::1]:5434`. An entry with one colon is `host:port`; a bare
/// IPv6 address (several colons) has no port.
fn parse_npgsql_hosts(
    value: &str,
    value_range: TextRange,
    quoted: bool,
) -> Result<Vec<(String, Option<u16>)>, ParseError> {
    let mut hosts = Vec::new();
    let mut offset = 0;
    for entry in value.split(',') {
        let entry_range = if quoted {
            value_range
        } else {
            TextRange::new(
                value_range.start + offset,
                value_range.start + offset + entry.len(),
            )
        };
        offset += entry.len() + 1;
        let entry = entry.trim();
        if let Some(rest) = entry.strip_prefix('[') {
            let Some((host, after)) = rest.split_once(']') else {
                return Err(ParseError::new(
                    ParseErrorKind::BadHost,
                    entry_range,
                    "an IPv6 address opened with \"[\" has no closing \"]\"",
                ));
            };
            let port = match after.strip_prefix(':') {
                Some(port) => Some(parse_port(port, entry_range)?),
                None if after.is_empty() => None,
                None => {
                    return Err(ParseError::new(
                        ParseErrorKind::BadHost,
                        entry_range,
                        "unexpected text after \"]\": expected \":port\"",
                    ));
                }
            };
            hosts.push((host.to_owned(), port));
        } else if entry.matches(':').count() == 1 {
            let (host, port) = entry.split_once(':').unwrap_or((entry, ""));
            hosts.push((host.to_owned(), Some(parse_port(port, entry_range)?)));
        } else {
            hosts.push((entry.to_owned(), None));
        }
    }
    Ok(hosts)
}

impl ConnectionParams {
    pub(super) fn render_npgsql(&self, secrets: Secrets) -> String {
        let mut parts: Vec<String> = Vec::new();
        let mut push = |key: &str, value: &str, masked: bool| {
            let value = if masked {
                Cow::Borrowed(value)
            } else {
                npgsql_quote(value)
            };
            parts.push(format!("{key}={value}"));
        };
        let first_port = self.hosts.first().and_then(|(_, port)| *port);
        let uniform_port = self.hosts.iter().all(|(_, port)| *port == first_port);
        if !self.hosts.is_empty() {
            let hosts: Vec<String> = self
                .hosts
                .iter()
                .map(|(host, port)| match (uniform_port, port) {
                    (false, Some(port)) if is_ipv6_literal(host) => format!("[{host}]:{port}"),
                    (false, Some(port)) => format!("{host}:{port}"),
                    _ => host.clone(),
                })
                .collect();
            if hosts.iter().any(|host| !host.is_empty()) {
                push("Server", &hosts.join(","), false);
            }
        }
        if let Some(database) = &self.database {
            push("Database", database, false);
        }
        if let (true, Some(port)) = (uniform_port, first_port) {
            push("Port", &port.to_string(), false);
        }
        if let Some(mode) = self.ssl_mode {
            push("Ssl Mode", mode.npgsql_name(), false);
        }
        if let Some(user) = &self.user {
            push("User Id", user, false);
        }
        if let Some((password, masked)) = self.password_text(secrets) {
            push("Password", &password, masked);
        }
        for (key, value, masked) in self.rendered_options(Format::Npgsql, secrets) {
            push(&key, &value, masked);
        }
        let mut out = parts.join(";");
        if !out.is_empty() {
            out.push(';');
        }
        out
    }
}

/// Quotes an ADO.NET value when the bare value would be cut at `;`, trimmed, or read as quoted:
/// double quotes, with `"` doubled inside.
fn npgsql_quote(value: &str) -> Cow<'_, str> {
    // A leading `=` would be read as the `==` escape of a `=` in the key.
    let needs_quotes = value.is_empty()
        || value.contains(';')
        || value.starts_with(['"', '\'', '='])
        || value.starts_with(char::is_whitespace)
        || value.ends_with(char::is_whitespace);
    if !needs_quotes {
        return Cow::Borrowed(value);
    }
    Cow::Owned(format!("\"{}\"", value.replace('"', "\"\"")))
}

#[cfg(test)]
mod tests {
    use crate::connstr::{Format, Password, SslMode, host_and_port, parse_as, parse_with_fields};

    #[test]
    fn npgsql_keys_synonyms_quotes_and_inline_ports() {
        let text = "  SERVER = h1:5433, [::1]:5434 ,h3 ; port=6000; db=app;UserName=bob;PWD='a;''b\"c';sslmode=verifyfull;TrustServerCertificate=true;Include Error Detail=true";
        let parsed = parse_with_fields(text).unwrap();
        let params = &parsed.params;
        assert_eq!(
            params.hosts,
            vec![
                host_and_port("h1", Some(5433)),
                host_and_port("::1", Some(5434)),
                host_and_port("h3", Some(6000)),
            ]
        );
        assert_eq!(params.database.as_deref(), Some("app"));
        assert_eq!(params.user.as_deref(), Some("bob"));
        assert_eq!(
            params.password.as_ref().map(Password::expose),
            Some("a;'b\"c")
        );
        assert_eq!(params.ssl_mode, Some(SslMode::VerifyFull));
        assert_eq!(params.option("Trust Server Certificate"), Some("true"));
        assert_eq!(params.option("Include Error Detail"), Some("true"));
        let host = parsed.field("host").unwrap();
        assert_eq!(
            &text[host.key_range.unwrap().start..host.key_range.unwrap().end],
            "SERVER"
        );
        let rendered = params.render(Format::Npgsql);
        assert!(
            rendered
                .starts_with("Server=h1:5433,[::1]:5434,h3:6000;Database=app;Ssl Mode=VerifyFull;")
        );
        assert!(rendered.contains("Password=\"a;'b\"\"c\""));
        assert_eq!(parse_as(&rendered, Format::Npgsql).unwrap(), *params);
    }
}
