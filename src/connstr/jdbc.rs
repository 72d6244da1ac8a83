//! pgjdbc URLs (`jdbc:postgresql://host:5432/dbname?sslmode=require&user=…`): pgjdbc's
//! `Driver.parseURL` and the renderer.

use crate::text::TextRange;

use super::{
    ConnectionParams, Format, ParseError, ParseErrorKind, ParsedConnectionString, Password,
    SslMode, is_ipv6_literal,
    keywords::{JDBC_PROPERTIES, OPTION_SPELLINGS},
    render::{Secrets, push_query, url_value},
    shared::{
        Collector, bad_libpq_ssl_mode, non_empty, parse_port, percent_decode, percent_encode,
        slice, unknown_key_error,
    },
};

const JDBC_PREFIX: &str = "jdbc:postgresql:";

/// pgjdbc's `Driver.parseURL`: the query starts at the first `?`; `//hosts/` must end with a
/// `/`; each host may carry `:port` (IPv6 in brackets); values are `URLDecoder`-decoded (`+` is
/// a space), property names are not decoded.
pub(super) fn parse_jdbc(text: &str) -> Result<ParsedConnectionString, ParseError> {
    if !text.starts_with(JDBC_PREFIX) {
        let lower = text.to_ascii_lowercase();
        let end = text.find(['/', '?']).unwrap_or(text.len());
        let message = if lower.starts_with("jdbc:postgresql:") {
            "pgjdbc URLs start with lowercase \"jdbc:postgresql:\""
        } else if lower.starts_with("jdbc:postgres") {
            "pgjdbc URLs start with \"jdbc:postgresql:\", not \"jdbc:postgres:\""
        } else {
            "not a PostgreSQL JDBC URL: expected \"jdbc:postgresql://host:5432/dbname\""
        };
        return Err(ParseError::new(
            ParseErrorKind::NotAConnectionString,
            TextRange::new(0, end),
            message,
        )
        .with_suggestion(Some(JDBC_PREFIX)));
    }
    let mut collector = Collector::new(Format::Jdbc);
    let query_at = text.find('?');
    let server_end = query_at.unwrap_or(text.len());
    let server_start = JDBC_PREFIX.len();
    let server = slice(text, server_start, server_end);

    if let Some(rest) = server.strip_prefix("//") {
        let rest_start = server_start + 2;
        let Some(slash) = rest.find('/') else {
            return Err(ParseError::new(
                ParseErrorKind::UnsupportedSyntax,
                TextRange::new(server_start, server_end),
                "pgjdbc needs a \"/\" after the host and port (…:5432/dbname); without it the \
                 driver rejects the URL",
            ));
        };
        let database_start = rest_start + slash + 1;
        let database_range = TextRange::new(database_start, server_end);
        let database = percent_decode(
            slice(text, database_start, server_end),
            database_range,
            true,
            "database name",
        )?;
        let mut hosts = Vec::new();
        let mut ports = Vec::new();
        let mut offset = rest_start;
        for address in slice(rest, 0, slash).split(',') {
            let range = TextRange::new(offset, offset + address.len());
            offset += address.len() + 1;
            let (host, port) = parse_jdbc_address(address, range)?;
            if !host.is_empty() || port.is_some() {
                collector.field("host", None, range);
            }
            hosts.push(host);
            ports.push(port);
        }
        let authority_range = TextRange::new(rest_start, rest_start + slash);
        if !(hosts.len() == 1 && hosts.first().is_some_and(String::is_empty))
            || ports.iter().any(Option::is_some)
        {
            collector.hosts = Some(hosts);
        }
        if ports.iter().any(Option::is_some) {
            collector.ports = Some((ports, authority_range));
        }
        if !database.is_empty() {
            collector.field("dbname", None, database_range);
        }
        collector.params.database = non_empty(database);
    } else if !server.is_empty() {
        let range = TextRange::new(server_start, server_end);
        let database = percent_decode(server, range, true, "database name")?;
        collector.field("dbname", None, range);
        collector.params.database = non_empty(database);
    }

    if let Some(query_at) = query_at {
        let mut start = query_at + 1;
        while start <= text.len() {
            let end = text
                .get(start..)
                .and_then(|rest| rest.find('&'))
                .map_or(text.len(), |at| start + at);
            let token = slice(text, start, end);
            if !token.is_empty() {
                let after_bare_secret = collector
                    .fields
                    .last()
                    .is_some_and(|field| matches!(field.key.as_str(), "password" | "sslpassword"));
                apply_jdbc_property(&mut collector, start, token, after_bare_secret)?;
            }
            start = end + 1;
        }
    }

    // pgjdbc: without `sslmode`, `ssl=true` or an empty `ssl` means verify-full.
    if !collector.ssl_mode_written
        && collector
            .params
            .ssl_flag
            .as_deref()
            .is_some_and(|flag| flag.is_empty() || flag.eq_ignore_ascii_case("true"))
    {
        collector.params.ssl_mode = Some(SslMode::VerifyFull);
    }
    collector.finish()
}

fn parse_jdbc_address(
    address: &str,
    range: TextRange,
) -> Result<(String, Option<u16>), ParseError> {
    if address.contains('@') {
        return Err(ParseError::new(
            ParseErrorKind::UnsupportedSyntax,
            range,
            "pgjdbc does not read \"user:password@\" in the URL; pass them as \
             ?user=…&password=… (percent-encoded)",
        ));
    }
    let port_colon = address
        .rfind(':')
        .filter(|colon| address.rfind(']').is_none_or(|close| close < *colon));
    let (host, port) = match port_colon {
        Some(colon) => {
            let port_range = TextRange::new(range.start + colon + 1, range.end);
            (
                slice(address, 0, colon),
                Some(parse_port(
                    slice(address, colon + 1, address.len()),
                    port_range,
                )?),
            )
        }
        None => (address, None),
    };
    let host = if let Some(inner) = host.strip_prefix('[') {
        inner.strip_suffix(']').ok_or_else(|| {
            ParseError::new(
                ParseErrorKind::BadHost,
                range,
                "an IPv6 address opened with \"[\" has no closing \"]\"",
            )
        })?
    } else if host.contains(':') {
        return Err(ParseError::new(
            ParseErrorKind::BadHost,
            range,
            "an IPv6 address in a JDBC URL must be in brackets: [2001:db8::1]:5432",
        ));
    } else {
        host
    };
    Ok((host.to_owned(), port))
}

fn apply_jdbc_property(
    collector: &mut Collector,
    start: usize,
    token: &str,
    after_bare_secret: bool,
) -> Result<(), ParseError> {
    let (key, value_raw, value_start) = match token.split_once('=') {
        Some((key, value)) => (key, value, start + key.len() + 1),
        None => (token, "", start + token.len()),
    };
    let key_range = TextRange::new(start, start + key.len());
    let value_range = TextRange::new(value_start, value_start + value_raw.len());
    let value = percent_decode(value_raw, value_range, true, "property value")?;
    let field_key = match key {
        "user" => {
            collector.params.user = non_empty(value);
            "user"
        }
        "password" => {
            collector.params.password = non_empty(value).map(Password);
            "password"
        }
        "sslmode" => {
            let mode = SslMode::from_libpq_name(&value)
                .ok_or_else(|| bad_libpq_ssl_mode(&value, value_range))?;
            collector.set_ssl_mode(mode);
            "sslmode"
        }
        "ssl" => {
            if !(value.is_empty()
                || value.eq_ignore_ascii_case("true")
                || value.eq_ignore_ascii_case("false"))
            {
                return Err(ParseError::new(
                    ParseErrorKind::BadValue,
                    value_range,
                    "pgjdbc's ssl property takes true or false (prefer sslmode=…)",
                ));
            }
            collector.params.ssl_flag = Some(value);
            "ssl"
        }
        known => match OPTION_SPELLINGS
            .iter()
            .find(|spelling| spelling.jdbc == Some(known))
        {
            Some(spelling) => {
                collector.set_option(spelling.libpq, value);
                spelling.libpq
            }
            None if JDBC_PROPERTIES.contains(&known) => {
                collector.set_option(known, value);
                known
            }
            None => {
                return Err(unknown_key_error(
                    Format::Jdbc,
                    known,
                    key_range,
                    after_bare_secret,
                    JDBC_PROPERTIES.iter().copied(),
                ));
            }
        },
    };
    collector.field(field_key, Some(key_range), value_range);
    Ok(())
}

impl ConnectionParams {
    pub(super) fn render_jdbc(&self, secrets: Secrets) -> String {
        let mut out = String::from(JDBC_PREFIX);
        if self.hosts.is_empty() {
            if let Some(database) = &self.database {
                out.push_str(&percent_encode(database));
            }
        } else {
            out.push_str("//");
            let hosts: Vec<String> = self
                .hosts
                .iter()
                .map(|(host, port)| {
                    let host = if is_ipv6_literal(host) {
                        format!("[{host}]")
                    } else {
                        host.clone()
                    };
                    match port {
                        Some(port) => format!("{host}:{port}"),
                        None => host,
                    }
                })
                .collect();
            out.push_str(&hosts.join(","));
            out.push('/');
            if let Some(database) = &self.database {
                out.push_str(&percent_encode(database));
            }
        }
        let mut query: Vec<String> = Vec::new();
        if let Some(mode) = self.ssl_mode {
            query.push(format!("sslmode={}", mode.libpq_name()));
        }
        if let Some(flag) = &self.ssl_flag {
            query.push(format!("ssl={}", percent_encode(flag)));
        }
        if let Some(user) = &self.user {
            query.push(format!("user={}", percent_encode(user)));
        }
        if let Some((password, masked)) = self.password_text(secrets) {
            query.push(format!("password={}", url_value(password, masked)));
        }
        query.extend(self.url_query_options(Format::Jdbc, secrets));
        push_query(&mut out, &query);
        out
    }
}

#[cfg(test)]
mod tests {
    use crate::connstr::{Format, Password, SslMode, parse_as};

    #[test]
    fn jdbc_plus_is_a_space_and_ssl_true_means_verify_full() {
        let params = parse_as(
            "jdbc:postgresql://h/db?ssl=true&password=a+b%2Bc&options=-c%20x%3Dy",
            Format::Jdbc,
        )
        .unwrap();
        assert_eq!(
            params.password.as_ref().map(Password::expose),
            Some("a b+c")
        );
        assert_eq!(params.ssl_mode, Some(SslMode::VerifyFull));
        assert_eq!(params.option("options"), Some("-c x=y"));
        let params = parse_as("jdbc:postgresql://h/db?ssl", Format::Jdbc).unwrap();
        assert_eq!(params.ssl_mode, Some(SslMode::VerifyFull));
        let params = parse_as("jdbc:postgresql://h/db?ssl=false", Format::Jdbc).unwrap();
        assert_eq!(params.effective_ssl_mode(), SslMode::Prefer);
        let params = parse_as(
            "jdbc:postgresql://h/db?sslmode=disable&ssl=true",
            Format::Jdbc,
        )
        .unwrap();
        assert_eq!(params.ssl_mode, Some(SslMode::Disable));
        let params = parse_as("jdbc:postgresql:mydb?user=x", Format::Jdbc).unwrap();
        assert!(params.hosts.is_empty());
        assert_eq!(params.database.as_deref(), Some("mydb"));
        assert_eq!(params.render(Format::Jdbc), "jdbc:postgresql:mydb?user=x");
    }
}
