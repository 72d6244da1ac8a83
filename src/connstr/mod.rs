//! Postgres connection strings in the four shapes Service Connector injects, parsed and rendered.
//!
//! The formats are: a libpq URI (`postgresql://…`), libpq key-value pairs (`host=… dbname=…`), an
//! Npgsql / ADO.NET string (`Server=…;Database=…;`) and a pgjdbc URL (`jdbc:postgresql://…`).
//! The component variables that Node.js and `none` get (`_HOST`, `_PORT`, `_SSL`, …) are also
//! turned into the same [`ConnectionParams`] by [`ConnectionParams::from_components`].
//!
//! Each parser follows the real driver (libpq's `conninfo_parse` and URI parser, .NET's
//! `DbConnectionStringBuilder` with Npgsql's keyword table, pgjdbc's `Driver.parseURL`). A string
//! that parses here is read the same way by the driver, and every error carries the byte range a
//! diagnostic should underline. The renderers write strings that those drivers parse back into
//! the same parameters, so converting between formats is `parse` then `render`.
//!
//! This module is not for: connecting, reading `service=` files, passfiles or `PG*` environment
//! defaults, checking values other than ports and SSL modes, or knowing which format a client type
//! expects (the catalogue knows that). Passwords never appear in `Debug`, `Display` or error
//! messages. Error messages name keys but never quote values, because a badly quoted password
//! shows up as a value or as a key-like piece of text.
//!
//! Layout: this file holds the public types, detection and the entry points; one module per
//! format holds its parser, its renderer and their tests (`uri`, `key_value`, `npgsql`, `jdbc`),
//! `components` the separate variables; `keywords` the drivers' keyword tables, `shared` the
//! parsing machinery the formats share, `render` what rendering shares (secrets shown or masked,
//! each option's key per format); `tests` what crosses formats.

mod components;
mod jdbc;
mod key_value;
mod keywords;
mod npgsql;
mod render;
mod shared;
#[cfg(test)]
mod tests;
mod uri;

use std::fmt;

use serde::Serialize;
use thiserror::Error;

use crate::text::TextRange;

use jdbc::parse_jdbc;
use key_value::{is_libpq_space, parse_key_value};
use keywords::{fold_key, is_libpq_keyword, is_secret_option, npgsql_keyword};
use npgsql::parse_npgsql;
use uri::parse_uri;

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

/// The four textual shapes of a Postgres connection string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// libpq URI: `postgresql://user:password@host:5432/dbname?sslmode=require`.
    Uri,
    /// libpq key-value pairs: `host=… port=5432 dbname=… sslmode=require`.
    KeyValue,
    /// Npgsql (ADO.NET): `Server=…;Database=…;Port=5432;Ssl Mode=Require;User Id=…;`.
    Npgsql,
    /// pgjdbc: `jdbc:postgresql://host:5432/dbname?sslmode=require&user=…`.
    Jdbc,
}

impl Format {
    pub const ALL: [Format; 4] = [Format::Uri, Format::KeyValue, Format::Npgsql, Format::Jdbc];

    /// Stable id: "uri" | "key-value" | "npgsql" | "jdbc".
    pub fn id(self) -> &'static str {
        match self {
            Format::Uri => "uri",
            Format::KeyValue => "key-value",
            Format::Npgsql => "npgsql",
            Format::Jdbc => "jdbc",
        }
    }

    /// How people call the format, for messages ("a libpq key-value string").
    pub fn description(self) -> &'static str {
        match self {
            Format::Uri => "a postgresql:// URI",
            Format::KeyValue => "a libpq key-value string",
            Format::Npgsql => "an Npgsql (ADO.NET) connection string",
            Format::Jdbc => "a pgjdbc URL (jdbc:postgresql://…)",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// libpq's `sslmode`, which pgjdbc and Npgsql share under other spellings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SslMode {
    /// No TLS. libpq/pgjdbc `disable`, Npgsql `Disable`, component `_SSL=false`.
    Disable,
    /// Plain first, TLS only if the server insists. libpq/pgjdbc `allow`, Npgsql `Allow`.
    Allow,
    /// TLS if the server offers it, else plain; the default of libpq, pgjdbc and Npgsql 6+.
    /// libpq/pgjdbc `prefer`, Npgsql `Prefer`.
    Prefer,
    /// TLS, certificate not checked. libpq/pgjdbc `require`, Npgsql `Require`, and libpq's
    /// URI-only `ssl=true` (kept for JDBC compatibility, but meaning `require` there).
    Require,
    /// TLS, certificate chain checked, host name not. libpq/pgjdbc `verify-ca`, Npgsql `VerifyCA`.
    VerifyCa,
    /// TLS, chain and host name checked. libpq/pgjdbc `verify-full`, Npgsql `VerifyFull`,
    /// pgjdbc `ssl=true` (or an empty `ssl=`) without `sslmode`, and component `_SSL=true`
    /// (node-postgres verifies chain and host name when `ssl` is truthy).
    VerifyFull,
}

impl SslMode {
    pub const ALL: [SslMode; 6] = [
        SslMode::Disable,
        SslMode::Allow,
        SslMode::Prefer,
        SslMode::Require,
        SslMode::VerifyCa,
        SslMode::VerifyFull,
    ];

    /// The libpq spelling, as [`SslMode::libpq_name`] and `Display` give it.
    pub fn as_str(self) -> &'static str {
        self.libpq_name()
    }

    /// The spelling libpq and pgjdbc accept: `verify-full`.
    pub fn libpq_name(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Allow => "allow",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }

    /// The spelling of Npgsql's `SslMode` enum: `VerifyFull`.
    pub fn npgsql_name(self) -> &'static str {
        match self {
            SslMode::Disable => "Disable",
            SslMode::Allow => "Allow",
            SslMode::Prefer => "Prefer",
            SslMode::Require => "Require",
            SslMode::VerifyCa => "VerifyCA",
            SslMode::VerifyFull => "VerifyFull",
        }
    }

    /// libpq and pgjdbc compare `sslmode` exactly (`strcmp`, `String.equals`), so only the
    /// lowercase hyphenated names are accepted: `Require` makes libpq refuse to connect.
    pub fn from_libpq_name(value: &str) -> Option<SslMode> {
        SslMode::ALL
            .into_iter()
            .find(|mode| mode.libpq_name() == value)
    }

    /// Npgsql parses its enum ignoring case (`Require`, `require`, `VerifyCA`, `verifyca`),
    /// but not libpq's hyphenated names.
    pub fn from_npgsql_name(value: &str) -> Option<SslMode> {
        SslMode::ALL
            .into_iter()
            .find(|mode| mode.npgsql_name().eq_ignore_ascii_case(value))
    }

    /// Whatever a person probably meant, ignoring case, `-`, `_` and spaces. Only for "did you
    /// mean" hints: no driver is this lenient.
    pub fn from_any_spelling(value: &str) -> Option<SslMode> {
        let folded = fold_key(value);
        SslMode::ALL
            .into_iter()
            .find(|mode| fold_key(mode.libpq_name()) == folded)
    }

    /// Whether the connection can only ever be encrypted.
    pub fn guarantees_encryption(self) -> bool {
        matches!(
            self,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull
        )
    }

    /// Whether the server's certificate is checked against a trusted root.
    pub fn verifies_certificate(self) -> bool {
        matches!(self, SslMode::VerifyCa | SslMode::VerifyFull)
    }
}

impl fmt::Display for SslMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.libpq_name())
    }
}

/// A password (or token used as one). `Debug` and `Display` print `****`; the value is only
/// reachable through [`Password::expose`], so it cannot end up in a log line by accident.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Password(String);

impl Password {
    pub fn new(value: impl Into<String>) -> Self {
        Password(value.into())
    }

    /// The secret itself, for the one place that needs it (a driver connecting).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

impl fmt::Display for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

/// What replaces a secret in every rendering meant for people.
pub const MASK: &str = "****";

/// One server: a host name, IP address (IPv6 without brackets) or Unix-socket directory, and the
/// port given for it, if any. `None` means the driver default, 5432 for all four drivers.
pub type HostAndPort = (String, Option<u16>);

fn host_and_port(host: impl Into<String>, port: Option<u16>) -> HostAndPort {
    (host.into(), port)
}

fn is_ipv6_literal(host: &str) -> bool {
    host.contains(':')
}

/// Every libpq, Npgsql and pgjdbc default port.
pub const DEFAULT_PORT: u16 = 5432;

/// A connection string's content, independent of its format.
///
/// Empty user names, passwords and database names are stored as `None`, as every driver treats
/// them as unset.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct ConnectionParams {
    /// Servers in the order the driver tries them (multi-host strings give several).
    pub hosts: Vec<HostAndPort>,
    pub database: Option<String>,
    pub user: Option<String>,
    pub password: Option<Password>,
    /// The SSL mode the string sets or implies (pgjdbc `ssl=true` → `VerifyFull`); `None` when
    /// it says nothing, see [`ConnectionParams::effective_ssl_mode`].
    pub ssl_mode: Option<SslMode>,
    /// The raw value of a boolean-style `ssl` setting (pgjdbc `ssl=`, libpq URI `ssl=true`,
    /// component `_SSL`), kept so that diagnostics can quote what was written.
    pub ssl_flag: Option<String>,
    /// Every other parameter in the order given. Keys are libpq keywords where the format's key
    /// has a libpq equivalent (`Application Name` → `application_name`, `connectTimeout` →
    /// `connect_timeout`), otherwise the format's own canonical name (`Pooling`,
    /// `prepareThreshold`).
    pub options: Vec<(String, String)>,
}

impl fmt::Debug for ConnectionParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct MaskedOptions<'a>(&'a [(String, String)]);
        impl fmt::Debug for MaskedOptions<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_list()
                    .entries(self.0.iter().map(|(key, value)| {
                        (
                            key,
                            if is_secret_option(key) {
                                MASK
                            } else {
                                value.as_str()
                            },
                        )
                    }))
                    .finish()
            }
        }
        f.debug_struct("ConnectionParams")
            .field("hosts", &self.hosts)
            .field("database", &self.database)
            .field("user", &self.user)
            .field("password", &self.password)
            .field("ssl_mode", &self.ssl_mode)
            .field("ssl_flag", &self.ssl_flag)
            .field("options", &MaskedOptions(&self.options))
            .finish()
    }
}

/// A parse result that remembers where each parameter was written, for diagnostics and fixes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedConnectionString {
    pub format: Format,
    pub params: ConnectionParams,
    /// Every parameter as written, in order (a key repeated later appears twice).
    pub fields: Vec<Field>,
}

impl ParsedConnectionString {
    /// The last place `key` (a libpq keyword such as `sslmode` or `password`, or a format's own
    /// name) was written: the one the driver uses.
    pub fn field(&self, key: &str) -> Option<&Field> {
        self.fields.iter().rev().find(|field| field.key == key)
    }
}

/// Where one parameter sits in the parsed text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Field {
    /// Normalised like [`ConnectionParams::options`]; the main fields are `host`, `port`,
    /// `dbname`, `user`, `password`, `sslmode` and `ssl` in every format.
    pub key: String,
    /// The key as written; `None` where the position implies it (URI user, host, database).
    pub key_range: Option<TextRange>,
    /// The value as written, quotes and percent-escapes included.
    pub value_range: TextRange,
}

/// What went wrong while parsing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ParseErrorKind {
    /// Nothing but whitespace.
    Empty,
    /// Not recognisably any of the four formats.
    NotAConnectionString,
    /// A quoted value with no closing quote, or text after the closing quote.
    UnbalancedQuote,
    /// A key with no `=value` (often the second half of an unquoted password).
    MissingValue,
    /// A port that is not a number from 1 to 65535, or a port list that does not match the hosts.
    BadPort,
    /// A host the driver cannot use: unclosed `[`, empty IPv6 literal, `@` inside a host.
    BadHost,
    /// A `%` not followed by two hex digits, an escape that decodes to non-UTF-8 or NUL, or a
    /// character that must be percent-encoded (`=` in a libpq URI query value).
    BadPercentEncoding,
    /// A key the driver does not know.
    UnknownKey,
    /// A value the driver rejects (an SSL mode spelled for another driver, `ssl=yes`).
    BadValue,
    /// Syntax that looks plausible but the driver does not support (pgjdbc without `/` after
    /// the host, or with `user:password@`).
    UnsupportedSyntax,
}

impl ParseErrorKind {
    pub fn id(self) -> &'static str {
        match self {
            ParseErrorKind::Empty => "empty",
            ParseErrorKind::NotAConnectionString => "not-a-connection-string",
            ParseErrorKind::UnbalancedQuote => "unbalanced-quote",
            ParseErrorKind::MissingValue => "missing-value",
            ParseErrorKind::BadPort => "bad-port",
            ParseErrorKind::BadHost => "bad-host",
            ParseErrorKind::BadPercentEncoding => "bad-percent-encoding",
            ParseErrorKind::UnknownKey => "unknown-key",
            ParseErrorKind::BadValue => "bad-value",
            ParseErrorKind::UnsupportedSyntax => "unsupported-syntax",
        }
    }
}

/// A parse failure, located by byte range in the parsed text. The message never contains a
/// value from the text, so it is safe to show and log.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize)]
#[error("{message}")]
pub struct ParseError {
    pub kind: ParseErrorKind,
    /// Byte range within the string given to the parser.
    pub range: TextRange,
    pub message: String,
    /// The replacement a quick fix can offer (a key for `UnknownKey`, a spelling for `BadValue`).
    pub suggestion: Option<String>,
}

impl ParseError {
    fn new(kind: ParseErrorKind, range: TextRange, message: impl Into<String>) -> Self {
        ParseError {
            kind,
            range,
            message: message.into(),
            suggestion: None,
        }
    }

    fn with_suggestion(mut self, suggestion: Option<impl Into<String>>) -> Self {
        self.suggestion = suggestion.map(Into::into);
        self
    }

    fn shifted(mut self, by: usize) -> Self {
        self.range = self.range.offset(by);
        self
    }
}

/// The separate variables Service Connector sets for Node.js and `none` (`_HOST`, `_PORT`,
/// `_DATABASE`, `_USER`/`_USERNAME`, `_PASSWORD`, `_SSL`), and Django (`_NAME` …, no port/SSL).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ComponentValues<'a> {
    pub host: Option<&'a str>,
    pub port: Option<&'a str>,
    pub database: Option<&'a str>,
    pub user: Option<&'a str>,
    pub password: Option<&'a str>,
    /// `"true"` or `"false"` as Service Connector writes it; a libpq SSL mode is accepted too.
    pub ssl: Option<&'a str>,
}

/// Which component variable a [`ComponentError`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Component {
    Host,
    Port,
    Database,
    User,
    Password,
    Ssl,
}

impl fmt::Display for Component {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Component::Host => "host",
            Component::Port => "port",
            Component::Database => "database",
            Component::User => "user",
            Component::Password => "password",
            Component::Ssl => "ssl",
        })
    }
}

/// A component variable whose value is unusable; the range is within that variable's value.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{component} variable: {error}")]
pub struct ComponentError {
    pub component: Component,
    pub error: ParseError,
}

impl ConnectionParams {
    /// The first host, if any.
    pub fn host(&self) -> Option<&str> {
        self.hosts
            .first()
            .map(|(host, _)| host.as_str())
            .filter(|host| !host.is_empty())
    }

    /// The first host's port, or [`DEFAULT_PORT`].
    pub fn port(&self) -> u16 {
        self.hosts
            .first()
            .and_then(|(_, port)| *port)
            .unwrap_or(DEFAULT_PORT)
    }

    /// The value of an option, by its normalised key.
    pub fn option(&self, key: &str) -> Option<&str> {
        self.options
            .iter()
            .find(|(existing, _)| existing == key)
            .map(|(_, value)| value.as_str())
    }

    /// The SSL mode the driver will use: the one set or implied, else libpq's legacy
    /// `requiressl=1`, else `prefer`, the default of libpq, pgjdbc and Npgsql 6+.
    pub fn effective_ssl_mode(&self) -> SslMode {
        self.ssl_mode.unwrap_or_else(|| {
            if self.option("requiressl") == Some("1") {
                SslMode::Require
            } else {
                SslMode::Prefer
            }
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Detection and entry points
// ---------------------------------------------------------------------------------------------

/// Guesses the format from the text's shape. `None` for anything that is not a connection
/// string in one of the four formats (a plain host name, `true`, an `https://` URL).
///
/// Key-value and Npgsql strings are told apart by their separators: libpq separates pairs with
/// spaces and knows only lowercase keys, Npgsql separates with `;`. `host=x;port=1` is Npgsql;
/// `host=x password=a;b` is key-value with a `;` in the password.
pub fn detect_format(text: &str) -> Option<Format> {
    let trimmed = text.trim_matches(|c: char| c.is_ascii() && is_libpq_space(c as u8));
    if trimmed.is_empty() {
        return None;
    }
    if trimmed
        .get(..5)
        .is_some_and(|prefix| prefix.eq_ignore_ascii_case("jdbc:"))
    {
        return Some(Format::Jdbc);
    }
    if trimmed.starts_with("postgresql://") || trimmed.starts_with("postgres://") {
        return Some(Format::Uri);
    }
    let (first_key, _) = trimmed.split_once('=')?;
    let first_key = first_key.trim();
    if first_key.is_empty()
        || !first_key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '_')
    {
        return None;
    }
    let first_segment = trimmed.split(';').next().unwrap_or(trimmed);
    if is_libpq_keyword(first_key) {
        let several_pairs_before_semicolon = first_segment.matches('=').count() >= 2;
        if several_pairs_before_semicolon || !trimmed.contains(';') {
            return Some(Format::KeyValue);
        }
        return Some(Format::Npgsql);
    }
    if npgsql_keyword(first_key).is_some() {
        return Some(Format::Npgsql);
    }
    // An unknown first key: decide by any other key we recognise, so that the parser can
    // report the unknown one.
    let known_npgsql_later = trimmed.split(';').skip(1).any(|segment| {
        segment
            .split_once('=')
            .is_some_and(|(key, _)| npgsql_keyword(key.trim()).is_some())
    });
    if trimmed.contains(';') && known_npgsql_later {
        return Some(Format::Npgsql);
    }
    let known_libpq_later = trimmed.split_ascii_whitespace().skip(1).any(|token| {
        token
            .split_once('=')
            .is_some_and(|(key, _)| is_libpq_keyword(key))
    });
    known_libpq_later.then_some(Format::KeyValue)
}

/// Detects the format, then parses.
pub fn parse(text: &str) -> Result<(Format, ConnectionParams), ParseError> {
    parse_with_fields(text).map(|parsed| (parsed.format, parsed.params))
}

/// Parses `text` as `format`, whatever it looks like.
pub fn parse_as(text: &str, format: Format) -> Result<ConnectionParams, ParseError> {
    parse_as_with_fields(text, format).map(|parsed| parsed.params)
}

/// Like [`parse`], keeping where each parameter was written.
pub fn parse_with_fields(text: &str) -> Result<ParsedConnectionString, ParseError> {
    if text.bytes().all(is_libpq_space) {
        return Err(empty_error(text));
    }
    match detect_format(text) {
        Some(format) => parse_as_with_fields(text, format),
        None => Err(ParseError::new(
            ParseErrorKind::NotAConnectionString,
            TextRange::new(0, text.len()),
            "not a Postgres connection string: expected a postgresql:// URI, libpq key-value \
             pairs (host=… dbname=…), an Npgsql string (Server=…;Database=…;) or a \
             jdbc:postgresql:// URL",
        )),
    }
}

/// Like [`parse_as`], keeping where each parameter was written. Surrounding whitespace is
/// skipped (ranges still refer to `text`).
pub fn parse_as_with_fields(
    text: &str,
    format: Format,
) -> Result<ParsedConnectionString, ParseError> {
    // Only ASCII whitespace: libpq would keep a trailing U+0085 as part of the last value.
    let is_space = |c: char| c.is_ascii() && is_libpq_space(c as u8);
    let trimmed = text.trim_matches(is_space);
    if trimmed.is_empty() {
        return Err(empty_error(text));
    }
    let start = text.len() - text.trim_start_matches(is_space).len();
    let result = match format {
        Format::Uri => parse_uri(trimmed),
        Format::KeyValue => parse_key_value(trimmed),
        Format::Npgsql => parse_npgsql(trimmed),
        Format::Jdbc => parse_jdbc(trimmed),
    };
    match result {
        Ok(mut parsed) => {
            for field in &mut parsed.fields {
                field.key_range = field.key_range.map(|range| range.offset(start));
                field.value_range = field.value_range.offset(start);
            }
            Ok(parsed)
        }
        Err(error) => Err(error.shifted(start)),
    }
}

fn empty_error(text: &str) -> ParseError {
    ParseError::new(
        ParseErrorKind::Empty,
        TextRange::new(0, text.len()),
        "the connection string is empty",
    )
}
