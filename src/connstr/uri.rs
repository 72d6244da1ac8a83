//! libpq URIs (`postgresql://user:password@host:5432/dbname?sslmode=require`): libpq's URI
//! parser and the renderer.

use crate::text::TextRange;

use super::{
    ConnectionParams, Format, ParseError, ParseErrorKind, ParsedConnectionString, Password,
    SslMode, is_ipv6_literal,
    keywords::is_secret_option,
    render::{Secrets, push_query, url_value},
    shared::{
        Collector, Pair, char_end, non_empty, parse_port, percent_decode, percent_encode,
        secret_quoting_hint, slice,
    },
};

// The authority is parsed by hand rather than with the `url` crate: a multi-host authority
// (`h1:5432,h2:5433`) is not a valid RFC 3986 authority, so `url` rejects it or reads the
// comma list as one host; and libpq's own rules differ from WHATWG URLs anyway (the first `@`
// ends the user info, `%` escapes are allowed in the host, `+` is not a space).

/// libpq's URI parser (`conninfo_uri_parse_options`).
pub(super) fn parse_uri(text: &str) -> Result<ParsedConnectionString, ParseError> {
    let prefix_len = if text.starts_with("postgresql://") {
        "postgresql://".len()
    } else if text.starts_with("postgres://") {
        "postgres://".len()
    } else {
        return Err(ParseError::new(
            ParseErrorKind::NotAConnectionString,
            TextRange::new(0, text.find(':').unwrap_or(text.len())),
            "a libpq URI starts with postgresql:// or postgres:// (lowercase)",
        ));
    };
    let bytes = text.as_bytes();
    let mut collector = Collector::new(Format::Uri);
    let mut i = prefix_len;

    // libpq looks for the user info's `@` before the first `/`, not before `?`.
    let mut scan = i;
    while bytes.get(scan).is_some_and(|b| *b != b'@' && *b != b'/') {
        scan += 1;
    }
    if bytes.get(scan) == Some(&b'@') {
        let userinfo = slice(text, i, scan);
        if userinfo.contains('?') {
            return Err(ParseError::new(
                ParseErrorKind::UnsupportedSyntax,
                TextRange::new(i, scan + 1),
                "\"@\" in the query string: libpq reads everything before it as the user name; \
                 percent-encode \"@\" as %40",
            ));
        }
        let (user_raw, password_raw) = match userinfo.split_once(':') {
            Some((user, password)) => (user, Some(password)),
            None => (userinfo, None),
        };
        let user_range = TextRange::new(i, i + user_raw.len());
        collector.params.user =
            non_empty(percent_decode(user_raw, user_range, false, "user name")?);
        if !user_raw.is_empty() {
            collector.field("user", None, user_range);
        }
        if let Some(password_raw) = password_raw {
            let start = i + user_raw.len() + 1;
            let password_range = TextRange::new(start, start + password_raw.len());
            let password = percent_decode(password_raw, password_range, false, "password")?;
            collector.params.password = non_empty(password).map(Password);
            collector.field("password", None, password_range);
        }
        i = scan + 1;
    }

    let mut hosts = Vec::new();
    let mut ports = Vec::new();
    let authority_start = i;
    loop {
        let host_start = i;
        let host = if bytes.get(i) == Some(&b'[') {
            let Some(close) = text
                .get(i..)
                .and_then(|rest| rest.find(']'))
                .map(|at| i + at)
            else {
                return Err(ParseError::new(
                    ParseErrorKind::BadHost,
                    TextRange::new(i, text.len()),
                    "an IPv6 address opened with \"[\" has no closing \"]\"",
                ));
            };
            let host = slice(text, i + 1, close).to_owned();
            if host.is_empty() {
                return Err(ParseError::new(
                    ParseErrorKind::BadHost,
                    TextRange::new(i, close + 1),
                    "empty IPv6 address \"[]\"",
                ));
            }
            i = close + 1;
            if !matches!(bytes.get(i), None | Some(b':' | b'/' | b'?' | b',')) {
                return Err(ParseError::new(
                    ParseErrorKind::BadHost,
                    TextRange::new(i, char_end(text, i)),
                    "unexpected character after \"]\": expected \":port\", \",\", \"/\" or \"?\"",
                ));
            }
            host
        } else {
            while bytes
                .get(i)
                .is_some_and(|b| !matches!(b, b':' | b'/' | b'?' | b','))
            {
                i += 1;
            }
            let raw = slice(text, host_start, i);
            let range = TextRange::new(host_start, i);
            if raw.contains('@') {
                return Err(ParseError::new(
                    ParseErrorKind::BadHost,
                    range,
                    "\"@\" in the host: an \"@\" in the user name or password must be \
                     percent-encoded as %40",
                ));
            }
            percent_decode(raw, range, false, "host")?
        };
        if !host.is_empty() || bytes.get(i) == Some(&b':') {
            collector.field("host", None, TextRange::new(host_start, i));
        }
        let port = if bytes.get(i) == Some(&b':') {
            i += 1;
            let port_start = i;
            while bytes
                .get(i)
                .is_some_and(|b| !matches!(b, b'/' | b'?' | b','))
            {
                i += 1;
            }
            let range = TextRange::new(port_start, i);
            let raw = slice(text, port_start, i);
            collector.field("port", None, range);
            if raw.is_empty() {
                None
            } else {
                let decoded = percent_decode(raw, range, false, "port")?;
                Some(parse_port(&decoded, range).map_err(|mut error| {
                    // A `/` in an unencoded password ends the authority early, and the rest of
                    // the password lands here, in the "port".
                    if text.get(i..).is_some_and(|rest| rest.contains('@')) {
                        error
                            .message
                            .push_str("; if the password contains \"/\", percent-encode it as %2F");
                    }
                    error
                })?)
            }
        } else {
            None
        };
        hosts.push(host);
        ports.push(port);
        if bytes.get(i) == Some(&b',') {
            i += 1;
            continue;
        }
        break;
    }
    let authority_range = TextRange::new(authority_start, i);
    if !(hosts.len() == 1 && hosts.first().is_some_and(String::is_empty))
        || ports.iter().any(Option::is_some)
    {
        collector.hosts = Some(hosts);
    }
    if ports.iter().any(Option::is_some) {
        collector.ports = Some((ports, authority_range));
    }

    if bytes.get(i) == Some(&b'/') {
        i += 1;
        let start = i;
        while bytes.get(i).is_some_and(|b| *b != b'?') {
            i += 1;
        }
        let range = TextRange::new(start, i);
        let database = percent_decode(slice(text, start, i), range, false, "database name")?;
        if !database.is_empty() {
            collector.field("dbname", None, range);
        }
        collector.params.database = non_empty(database);
    }

    if bytes.get(i) == Some(&b'?') {
        let mut start = i + 1;
        let query_end = text.len();
        while start <= query_end {
            let end = text
                .get(start..)
                .and_then(|rest| rest.find('&'))
                .map_or(query_end, |at| start + at);
            let token = slice(text, start, end);
            if !token.is_empty() {
                let after_bare_secret = collector.fields.last().is_some_and(|field| {
                    field.key_range.is_some()
                        && (field.key == "password" || is_secret_option(&field.key))
                });
                apply_uri_query_parameter(&mut collector, text, start, token, after_bare_secret)?;
            }
            start = end + 1;
        }
    }
    collector.finish()
}

fn apply_uri_query_parameter(
    collector: &mut Collector,
    text: &str,
    start: usize,
    token: &str,
    after_bare_secret: bool,
) -> Result<(), ParseError> {
    let token_range = TextRange::new(start, start + token.len());
    let Some((key_raw, value_raw)) = token.split_once('=') else {
        let message = if after_bare_secret {
            format!(
                "unexpected text after the password; {}",
                secret_quoting_hint(Format::Uri)
            )
        } else {
            "a URI query parameter needs \"key=value\"".to_owned()
        };
        return Err(ParseError::new(
            ParseErrorKind::MissingValue,
            token_range,
            message,
        ));
    };
    let key_range = TextRange::new(start, start + key_raw.len());
    let value_start = key_range.end + 1;
    let value_range = TextRange::new(value_start, value_start + value_raw.len());
    if let Some(extra) = value_raw.find('=') {
        let at = value_start + extra;
        return Err(ParseError::new(
            ParseErrorKind::BadPercentEncoding,
            TextRange::new(at, at + 1),
            "a second \"=\" in a URI query parameter: libpq rejects it; percent-encode \"=\" in \
             values as %3D",
        ));
    }
    let key = percent_decode(key_raw, key_range, false, "query parameter name")?;
    let value = percent_decode(value_raw, value_range, false, "query parameter value")?;
    let raw = slice(text, value_range.start, value_range.end);
    collector.apply_libpq(Pair {
        key: &key,
        key_range,
        value,
        value_range,
        raw,
        after_bare_secret,
    })
}

impl ConnectionParams {
    pub(super) fn render_uri(&self, secrets: Secrets) -> String {
        let mut out = String::from("postgresql://");
        let password = self.password_text(secrets);
        if self.user.is_some() || password.is_some() {
            out.push_str(&percent_encode(self.user.as_deref().unwrap_or("")));
            if let Some((password, masked)) = password {
                out.push(':');
                out.push_str(&url_value(password, masked));
            }
            out.push('@');
        }
        let hosts: Vec<String> = self
            .hosts
            .iter()
            .map(|(host, port)| {
                let host = if is_ipv6_literal(host) {
                    format!("[{host}]")
                } else {
                    percent_encode(host)
                };
                match port {
                    Some(port) => format!("{host}:{port}"),
                    None => host,
                }
            })
            .collect();
        out.push_str(&hosts.join(","));
        if let Some(database) = &self.database {
            out.push('/');
            out.push_str(&percent_encode(database));
        }
        let mut query: Vec<String> = Vec::new();
        match (self.ssl_mode, self.ssl_flag.as_deref()) {
            // Keep libpq's JDBC-compatible spelling when that is what was written.
            (Some(SslMode::Require), Some("true")) => query.push("ssl=true".to_owned()),
            (Some(mode), _) => query.push(format!("sslmode={}", mode.libpq_name())),
            (None, _) => {}
        }
        query.extend(self.url_query_options(Format::Uri, secrets));
        push_query(&mut out, &query);
        out
    }
}

#[cfg(test)]
mod tests {
    use crate::connstr::{Format, Password, SslMode, host_and_port, parse_as, parse_with_fields};

    #[test]
    fn uri_multi_host_ipv6_and_query() {
        let text = "postgresql://app%40corp:p%2Fw@[2001:db8::1]:5433,replica.local,:6000/my%20db?application_name=a%26b&connect_timeout=10&ssl=true";
        let parsed = parse_with_fields(text).unwrap();
        let params = &parsed.params;
        assert_eq!(params.user.as_deref(), Some("app@corp"));
        assert_eq!(params.password.as_ref().map(Password::expose), Some("p/w"));
        assert_eq!(
            params.hosts,
            vec![
                host_and_port("2001:db8::1", Some(5433)),
                host_and_port("replica.local", None),
                host_and_port("", Some(6000)),
            ]
        );
        assert_eq!(params.database.as_deref(), Some("my db"));
        assert_eq!(params.option("application_name"), Some("a&b"));
        assert_eq!(params.ssl_mode, Some(SslMode::Require));
        assert_eq!(params.ssl_flag.as_deref(), Some("true"));
        let password = parsed.field("password").unwrap();
        assert_eq!(
            &text[password.value_range.start..password.value_range.end],
            "p%2Fw"
        );
        assert_eq!(
            parse_as(&params.render(Format::Uri), Format::Uri).unwrap(),
            *params
        );
        assert!(params.render(Format::Uri).contains("?ssl=true&"));
    }

    #[test]
    fn uri_query_host_and_port_override_the_authority() {
        let params = parse_as(
            "postgres:///db?host=/var/run/postgresql&port=5433",
            Format::Uri,
        )
        .unwrap();
        assert_eq!(
            params.hosts,
            vec![host_and_port("/var/run/postgresql", Some(5433))]
        );
        let rendered = params.render(Format::Uri);
        assert_eq!(rendered, "postgresql://%2Fvar%2Frun%2Fpostgresql:5433/db");
        assert_eq!(parse_as(&rendered, Format::Uri).unwrap(), params);
    }
}
