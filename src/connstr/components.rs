//! The separate variables Service Connector sets for Node.js, Django and `none` (`_HOST`,
//! `_PORT`, `_DATABASE`, `_USER`, `_PASSWORD`, `_SSL`), read into the same parameters.

use crate::text::TextRange;

use super::{
    Component, ComponentError, ComponentValues, ConnectionParams, ParseError, ParseErrorKind,
    Password, SslMode, host_and_port,
    shared::{non_empty, parse_port},
};

impl ConnectionParams {
    /// Builds parameters from the separate variables Node.js, Django and `none` get.
    ///
    /// `ssl`: `"true"` → [`SslMode::VerifyFull`] (node-postgres verifies chain and host name for
    /// a truthy `ssl`), `"false"` → [`SslMode::Disable`] (what Service Connector means by it,
    /// though the *string* "false" is truthy in JavaScript), either case-insensitive; a libpq
    /// SSL mode name is taken as that mode. The raw value is kept in `ssl_flag`.
    pub fn from_components(
        values: &ComponentValues<'_>,
    ) -> Result<ConnectionParams, ComponentError> {
        let in_component =
            |component: Component| move |error: ParseError| ComponentError { component, error };
        let mut params = ConnectionParams::default();
        let port = match values.port.filter(|port| !port.is_empty()) {
            Some(port) => Some(
                parse_port(port.trim(), TextRange::new(0, port.len()))
                    .map_err(in_component(Component::Port))?,
            ),
            None => None,
        };
        match values.host.filter(|host| !host.is_empty()) {
            Some(host) => params.hosts.push(host_and_port(host, port)),
            None if port.is_some() => params.hosts.push(host_and_port("", port)),
            None => {}
        }
        params.database = values.database.map(str::to_owned).and_then(non_empty);
        params.user = values.user.map(str::to_owned).and_then(non_empty);
        params.password = values
            .password
            .map(str::to_owned)
            .and_then(non_empty)
            .map(Password);
        if let Some(ssl) = values.ssl {
            let trimmed = ssl.trim();
            let mode = if trimmed.eq_ignore_ascii_case("true") {
                SslMode::VerifyFull
            } else if trimmed.eq_ignore_ascii_case("false") {
                SslMode::Disable
            } else {
                SslMode::from_libpq_name(trimmed).ok_or_else(|| {
                    in_component(Component::Ssl)(ParseError::new(
                        ParseErrorKind::BadValue,
                        TextRange::new(0, ssl.len()),
                        "the SSL variable must be \"true\" or \"false\"",
                    ))
                })?
            };
            params.ssl_mode = Some(mode);
            params.ssl_flag = Some(ssl.to_owned());
        }
        Ok(params)
    }
}

#[cfg(test)]
mod tests {
    use crate::connstr::{Component, ComponentValues, ConnectionParams, ParseErrorKind};
    use crate::text::TextRange;

    #[test]
    fn component_errors_name_the_component() {
        let bad_port = ComponentValues {
            port: Some("54x2"),
            ..ComponentValues::default()
        };
        let error = ConnectionParams::from_components(&bad_port).unwrap_err();
        assert_eq!(error.component, Component::Port);
        assert_eq!(error.error.kind, ParseErrorKind::BadPort);
        assert_eq!(error.error.range, TextRange::new(0, 4));
        assert!(error.to_string().starts_with("port variable: "));

        let bad_ssl = ComponentValues {
            ssl: Some("yes"),
            ..ComponentValues::default()
        };
        let error = ConnectionParams::from_components(&bad_ssl).unwrap_err();
        assert_eq!(error.component, Component::Ssl);
        assert_eq!(error.error.kind, ParseErrorKind::BadValue);
    }
}
