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

use std::borrow::Cow;
use std::fmt;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use serde::Serialize;
use thiserror::Error;

use crate::text::TextRange;

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

// ---------------------------------------------------------------------------------------------
// Keyword tables
// ---------------------------------------------------------------------------------------------

/// libpq's connection keywords (PostgreSQL 18 `PQconninfoOptions`). Anything else makes libpq
/// refuse the string.
const LIBPQ_KEYWORDS: &[&str] = &[
    "host",
    "hostaddr",
    "port",
    "dbname",
    "user",
    "password",
    "passfile",
    "require_auth",
    "channel_binding",
    "connect_timeout",
    "client_encoding",
    "options",
    "application_name",
    "fallback_application_name",
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_count",
    "tcp_user_timeout",
    "replication",
    "gssencmode",
    "sslmode",
    "sslnegotiation",
    "requiressl",
    "sslcompression",
    "sslcert",
    "sslkey",
    "sslkeylogfile",
    "sslpassword",
    "sslcertmode",
    "sslrootcert",
    "sslcrl",
    "sslcrldir",
    "sslsni",
    "requirepeer",
    "ssl_min_protocol_version",
    "ssl_max_protocol_version",
    "min_protocol_version",
    "max_protocol_version",
    "krbsrvname",
    "gsslib",
    "gssdelegation",
    "service",
    "target_session_attrs",
    "load_balance_hosts",
    "oauth_issuer",
    "oauth_client_id",
    "oauth_client_secret",
    "oauth_scope",
];

/// Options whose values are secrets and are masked like the password.
const SECRET_OPTIONS: &[&str] = &["sslpassword", "oauth_client_secret"];

/// One Npgsql keyword with its synonyms. Npgsql upper-cases the key and matches both the spaced
/// keyword and the property name without spaces ("SSL MODE", "SSLMODE"); comparing with all
/// whitespace removed accepts the same keys.
struct NpgsqlKeyword {
    canonical: &'static str,
    synonyms: &'static [&'static str],
}

const fn npgsql(canonical: &'static str, synonyms: &'static [&'static str]) -> NpgsqlKeyword {
    NpgsqlKeyword {
        canonical,
        synonyms,
    }
}

/// Npgsql's connection-string keywords (`NpgsqlConnectionStringBuilder`, versions 6 to 9,
/// obsolete ones included because Npgsql still accepts them). Note that plain `User` is *not*
/// one: Npgsql throws "Keyword not supported: 'user'".
const NPGSQL_KEYWORDS: &[NpgsqlKeyword] = &[
    npgsql("Host", &["Server"]),
    npgsql("Port", &[]),
    npgsql("Database", &["DB"]),
    npgsql("Username", &["User Name", "UserId", "User Id", "UID"]),
    npgsql("Password", &["PSW", "PWD"]),
    npgsql("Passfile", &[]),
    npgsql("Application Name", &[]),
    npgsql("Enlist", &[]),
    npgsql("Search Path", &[]),
    npgsql("Client Encoding", &[]),
    npgsql("Encoding", &[]),
    npgsql("Timezone", &[]),
    npgsql("SSL Mode", &[]),
    npgsql("Trust Server Certificate", &[]),
    npgsql("SSL Certificate", &[]),
    npgsql("SSL Key", &[]),
    npgsql("SSL Password", &[]),
    npgsql("Root Certificate", &[]),
    npgsql("Check Certificate Revocation", &[]),
    npgsql("SSL Negotiation", &[]),
    npgsql("Channel Binding", &[]),
    npgsql("GSS Encryption Mode", &[]),
    npgsql("Require Auth", &[]),
    npgsql("Integrated Security", &[]),
    npgsql("Kerberos Service Name", &["Krbsrvname"]),
    npgsql("Include Realm", &[]),
    npgsql("Persist Security Info", &[]),
    npgsql("Log Parameters", &[]),
    npgsql("Include Error Detail", &[]),
    npgsql("Include Failed Batched Command", &[]),
    npgsql("Pooling", &[]),
    npgsql("Minimum Pool Size", &["MinPoolSize"]),
    npgsql("Maximum Pool Size", &["MaxPoolSize"]),
    npgsql("Connection Idle Lifetime", &[]),
    npgsql("Connection Pruning Interval", &[]),
    npgsql("Connection Lifetime", &["Load Balance Timeout"]),
    npgsql("Timeout", &[]),
    npgsql("Command Timeout", &[]),
    npgsql("Cancellation Timeout", &[]),
    npgsql("Internal Command Timeout", &[]),
    npgsql("Target Session Attributes", &[]),
    npgsql("Load Balance Hosts", &[]),
    npgsql("Host Recheck Seconds", &[]),
    npgsql("Keepalive", &[]),
    npgsql("Tcp Keepalive", &[]),
    npgsql("Tcp Keepalive Time", &[]),
    npgsql("Tcp Keepalive Interval", &[]),
    npgsql("Read Buffer Size", &[]),
    npgsql("Write Buffer Size", &[]),
    npgsql("Socket Receive Buffer Size", &[]),
    npgsql("Socket Send Buffer Size", &[]),
    npgsql("Max Auto Prepare", &[]),
    npgsql("Auto Prepare Min Usages", &[]),
    npgsql("No Reset On Close", &[]),
    npgsql("Replication Mode", &[]),
    npgsql("Options", &[]),
    npgsql("Array Nullability Mode", &[]),
    npgsql("Multiplexing", &[]),
    npgsql("Write Coalescing Buffer Threshold Bytes", &[]),
    npgsql("Load Table Composites", &[]),
    npgsql("Server Compatibility Mode", &[]),
    npgsql("EF Template Database", &["EntityTemplateDatabase"]),
    npgsql("EF Admin Database", &["EntityAdminDatabase"]),
    npgsql("Convert Infinity DateTime", &[]),
    npgsql("Continuous Processing", &[]),
    npgsql("Backend Timeouts", &[]),
    npgsql("Preload Reader", &[]),
    npgsql("Use Extended Types", &[]),
    npgsql("Use SSL Stream", &[]),
    npgsql("Use Perf Counters", &[]),
    npgsql("Client Certificate", &[]),
    npgsql("Client Certificate Key", &[]),
    npgsql("Include Error Details", &[]),
];

/// pgjdbc's documented properties (`PGProperty`, 42.7.x). pgjdbc compares names exactly, so
/// `SSLMode` is silently ignored by the driver; we report it with a suggestion instead.
const JDBC_PROPERTIES: &[&str] = &[
    "adaptiveFetch",
    "adaptiveFetchMaximum",
    "adaptiveFetchMinimum",
    "allowEncodingChanges",
    "ApplicationName",
    "assumeMinServerVersion",
    "authenticationPluginClassName",
    "autosave",
    "binaryTransfer",
    "binaryTransferDisable",
    "binaryTransferEnable",
    "cancelSignalTimeout",
    "channelBinding",
    "cleanupSavepoints",
    "connectTimeout",
    "currentSchema",
    "databaseMetadataCacheFields",
    "databaseMetadataCacheFieldsMiB",
    "defaultRowFetchSize",
    "disableColumnSanitiser",
    "escapeSyntaxCallMode",
    "groupStartupParameters",
    "gssEncMode",
    "gsslib",
    "gssResponseTimeout",
    "gssUseDefaultCreds",
    "hideUnprivilegedObjects",
    "hostRecheckSeconds",
    "jaasApplicationName",
    "jaasLogin",
    "kerberosServerName",
    "loadBalanceHosts",
    "localSocketAddress",
    "loggerFile",
    "loggerLevel",
    "loginTimeout",
    "logServerErrorDetail",
    "logUnclosedConnections",
    "maxResultBuffer",
    "maxSendBufferSize",
    "options",
    "password",
    "PGDBNAME",
    "PGHOST",
    "PGPORT",
    "preferQueryMode",
    "preparedStatementCacheQueries",
    "preparedStatementCacheSizeMiB",
    "prepareThreshold",
    "protocolVersion",
    "quoteReturningIdentifiers",
    "readOnly",
    "readOnlyMode",
    "receiveBufferSize",
    "replication",
    "reWriteBatchedInserts",
    "sendBufferSize",
    "service",
    "socketFactory",
    "socketFactoryArg",
    "socketTimeout",
    "ssl",
    "sslAlias",
    "sslcert",
    "sslfactory",
    "sslfactoryarg",
    "sslhostnameverifier",
    "sslkey",
    "sslmode",
    "sslNegotiation",
    "sslpassword",
    "sslpasswordcallback",
    "sslResponseTimeout",
    "sslrootcert",
    "sspiServiceClass",
    "stringtype",
    "targetServerType",
    "tcpKeepAlive",
    "tcpNoDelay",
    "unknownLength",
    "user",
    "useSpnego",
    "xmlFactoryFactory",
];

/// A libpq option and its name in the other formats, where one means the same thing with the
/// same unit. Options missing here stay under their own format's name and are dropped (and
/// reported by [`ConnectionParams::options_lost_in`]) when rendered into a format without them.
struct OptionSpelling {
    libpq: &'static str,
    npgsql: Option<&'static str>,
    jdbc: Option<&'static str>,
    /// Npgsql spells this option's values as enum names (`Require`) where libpq uses
    /// lowercase hyphenated words (`require`).
    npgsql_enum_values: bool,
}

const fn spelling(
    libpq: &'static str,
    npgsql: Option<&'static str>,
    jdbc: Option<&'static str>,
    npgsql_enum_values: bool,
) -> OptionSpelling {
    OptionSpelling {
        libpq,
        npgsql,
        jdbc,
        npgsql_enum_values,
    }
}

const OPTION_SPELLINGS: &[OptionSpelling] = &[
    spelling(
        "application_name",
        Some("Application Name"),
        Some("ApplicationName"),
        false,
    ),
    spelling(
        "connect_timeout",
        Some("Timeout"),
        Some("connectTimeout"),
        false,
    ),
    spelling("options", Some("Options"), Some("options"), false),
    spelling("client_encoding", Some("Client Encoding"), None, false),
    spelling("passfile", Some("Passfile"), None, false),
    spelling(
        "sslrootcert",
        Some("Root Certificate"),
        Some("sslrootcert"),
        false,
    ),
    spelling("sslcert", Some("SSL Certificate"), Some("sslcert"), false),
    spelling("sslkey", Some("SSL Key"), Some("sslkey"), false),
    spelling(
        "sslpassword",
        Some("SSL Password"),
        Some("sslpassword"),
        false,
    ),
    spelling(
        "krbsrvname",
        Some("Kerberos Service Name"),
        Some("kerberosServerName"),
        false,
    ),
    spelling(
        "target_session_attrs",
        Some("Target Session Attributes"),
        None,
        false,
    ),
    spelling(
        "channel_binding",
        Some("Channel Binding"),
        Some("channelBinding"),
        true,
    ),
    spelling(
        "gssencmode",
        Some("GSS Encryption Mode"),
        Some("gssEncMode"),
        true,
    ),
    spelling(
        "sslnegotiation",
        Some("SSL Negotiation"),
        Some("sslNegotiation"),
        true,
    ),
    spelling("gsslib", None, Some("gsslib"), false),
    spelling("service", None, Some("service"), false),
    spelling("replication", None, Some("replication"), false),
];

/// Keys people carry over from another format, with what the format at hand calls them.
/// Checked before the fuzzy match because edit distance finds none of these.
const CROSS_FORMAT_MISTAKES: &[(Format, &str, &str)] = &[
    (Format::KeyValue, "database", "dbname"),
    (Format::KeyValue, "db", "dbname"),
    (Format::KeyValue, "username", "user"),
    (Format::KeyValue, "userid", "user"),
    (Format::KeyValue, "server", "host"),
    (Format::KeyValue, "ssl", "sslmode"),
    (Format::Uri, "database", "dbname"),
    (Format::Uri, "username", "user"),
    (Format::Uri, "server", "host"),
    (Format::Npgsql, "user", "Username"),
    (Format::Npgsql, "dbname", "Database"),
    (Format::Npgsql, "datasource", "Host"),
    (Format::Npgsql, "ssl", "SSL Mode"),
    (Format::Jdbc, "username", "user"),
    (Format::Jdbc, "applicationname", "ApplicationName"),
    (Format::Jdbc, "connecttimeout", "connectTimeout"),
];

fn is_libpq_keyword(key: &str) -> bool {
    LIBPQ_KEYWORDS.contains(&key)
}

fn is_secret_option(key: &str) -> bool {
    SECRET_OPTIONS.contains(&key)
}

/// Npgsql's own key comparison: upper-cased, with whitespace removed.
fn npgsql_fold(key: &str) -> String {
    key.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_uppercase)
        .collect()
}

fn npgsql_keyword(key: &str) -> Option<&'static NpgsqlKeyword> {
    let folded = npgsql_fold(key);
    NPGSQL_KEYWORDS.iter().find(|keyword| {
        npgsql_fold(keyword.canonical) == folded
            || keyword
                .synonyms
                .iter()
                .any(|synonym| npgsql_fold(synonym) == folded)
    })
}

/// Case, spaces, `_` and `-` removed: the comparison used for suggestions.
fn fold_key(key: &str) -> String {
    key.chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The closest known key, for "did you mean" hints.
fn suggest_key<'a>(
    format: Format,
    key: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let folded = fold_key(key);
    if let Some((_, _, right)) = CROSS_FORMAT_MISTAKES
        .iter()
        .find(|(mistake_format, wrong, _)| *mistake_format == format && *wrong == folded)
    {
        return Some(right);
    }
    let mut best: Option<(&str, f64)> = None;
    for candidate in candidates {
        let candidate_folded = fold_key(candidate);
        if candidate_folded == folded {
            return Some(candidate);
        }
        let score = strsim::jaro_winkler(&folded, &candidate_folded);
        if best.is_none_or(|(_, best_score)| score > best_score) {
            best = Some((candidate, score));
        }
    }
    best.filter(|(_, score)| *score >= 0.88)
        .map(|(candidate, _)| candidate)
}

/// `Require` / `PreferStandby` (Npgsql enum names) → `require` / `prefer-standby` (libpq).
fn npgsql_enum_to_libpq(value: &str) -> String {
    let has_lower = value.chars().any(|c| c.is_ascii_lowercase());
    let has_upper = value.chars().any(|c| c.is_ascii_uppercase());
    if !(has_lower && has_upper) {
        return value.to_ascii_lowercase();
    }
    let mut out = String::with_capacity(value.len() + 2);
    let mut previous_lower = false;
    for c in value.chars() {
        if c.is_ascii_uppercase() && previous_lower {
            out.push('-');
        }
        previous_lower = c.is_ascii_lowercase();
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// `prefer-standby` → `PreferStandby`.
fn libpq_enum_to_npgsql(value: &str) -> String {
    value
        .split('-')
        .map(|word| {
            let mut chars = word.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect::<String>(),
                None => String::new(),
            }
        })
        .collect()
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

// ---------------------------------------------------------------------------------------------
// Shared parsing machinery
// ---------------------------------------------------------------------------------------------

/// `text[start..end]`, or "" if the bounds are off. Parsers only cut at ASCII delimiters, which
/// are always character boundaries; this keeps a logic slip from becoming a panic.
fn slice(text: &str, start: usize, end: usize) -> &str {
    text.get(start..end).unwrap_or("")
}

/// The end of the character starting at byte `at`, so that a one-character range never splits
/// a multi-byte character.
fn char_end(text: &str, at: usize) -> usize {
    at + text
        .get(at..)
        .and_then(|rest| rest.chars().next())
        .map_or(0, char::len_utf8)
}

fn non_empty(value: String) -> Option<String> {
    (!value.is_empty()).then_some(value)
}

/// At most 40 characters of a key, for messages.
/// How a message names a key: in quotes when it is a keyword some driver knows, else by its
/// place ("a key"), because an unknown "key" may be a piece of a password that contains `;`,
/// a space or a quote — messages never quote text that may hold a secret.
fn shown_key(key: &str) -> Cow<'static, str> {
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

fn parse_port(text: &str, range: TextRange) -> Result<u16, ParseError> {
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
fn percent_decode(
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

fn percent_encode(value: &str) -> String {
    utf8_percent_encode(value, COMPONENT_ESCAPES).to_string()
}

/// Accumulates what a parser finds, in order, applying each driver's "the last one wins".
struct Collector {
    format: Format,
    params: ConnectionParams,
    /// libpq keeps host and port as two parallel comma lists; so do we until the end.
    hosts: Option<Vec<String>>,
    ports: Option<(Vec<Option<u16>>, TextRange)>,
    ssl_mode_written: bool,
    fields: Vec<Field>,
}

impl Collector {
    fn new(format: Format) -> Self {
        Collector {
            format,
            params: ConnectionParams::default(),
            hosts: None,
            ports: None,
            ssl_mode_written: false,
            fields: Vec::new(),
        }
    }

    fn field(&mut self, key: &str, key_range: Option<TextRange>, value_range: TextRange) {
        self.fields.push(Field {
            key: key.to_owned(),
            key_range,
            value_range,
        });
    }

    fn set_option(&mut self, key: &str, value: String) {
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

    fn set_ssl_mode(&mut self, mode: SslMode) {
        self.params.ssl_mode = Some(mode);
        self.ssl_mode_written = true;
    }

    /// Applies one libpq keyword (key-value pair or URI query parameter). `raw` is the value as
    /// written, used to locate errors inside it when it was written verbatim.
    fn apply_libpq(&mut self, pair: Pair<'_>) -> Result<(), ParseError> {
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

    fn finish(mut self) -> Result<ParsedConnectionString, ParseError> {
        self.params.hosts = combine_hosts_and_ports(self.hosts.take(), self.ports.take())?;
        Ok(ParsedConnectionString {
            format: self.format,
            params: self.params,
            fields: self.fields,
        })
    }
}

/// One `key=value` as a parser found it.
struct Pair<'a> {
    key: &'a str,
    key_range: TextRange,
    value: String,
    value_range: TextRange,
    raw: &'a str,
    /// The previous value was an unquoted / unencoded password, so this "key" is probably the
    /// rest of it: the error message must not quote it.
    after_bare_secret: bool,
}

fn bad_libpq_ssl_mode(value: &str, range: TextRange) -> ParseError {
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

fn unknown_key_error<'a>(
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

fn secret_quoting_hint(format: Format) -> &'static str {
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

// ---------------------------------------------------------------------------------------------
// libpq key-value
// ---------------------------------------------------------------------------------------------

/// C `isspace` in the C locale, which is what libpq's `conninfo_parse` uses.
fn is_libpq_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// libpq's `conninfo_parse`: `key = value` pairs separated by whitespace; a value is either a
/// run of non-space characters or `'single quoted'`, and in both a backslash escapes the next
/// character. Whitespace after `=` is skipped, so `host= port=5` sets host to `port=5`.
fn parse_key_value(text: &str) -> Result<ParsedConnectionString, ParseError> {
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

// ---------------------------------------------------------------------------------------------
// libpq URI
// ---------------------------------------------------------------------------------------------

// The authority is parsed by hand rather than with the `url` crate: a multi-host authority
// (`h1:5432,h2:5433`) is not a valid RFC 3986 authority, so `url` rejects it or reads the
// comma list as one host; and libpq's own rules differ from WHATWG URLs anyway (the first `@`
// ends the user info, `%` escapes are allowed in the host, `+` is not a space).

/// libpq's URI parser (`conninfo_uri_parse_options`).
fn parse_uri(text: &str) -> Result<ParsedConnectionString, ParseError> {
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

// ---------------------------------------------------------------------------------------------
// Npgsql / ADO.NET
// ---------------------------------------------------------------------------------------------

/// .NET's `DbConnectionStringBuilder` syntax: `key=value` separated by `;`, keys trimmed and
/// case-insensitive (`==` in a key is a literal `=`), values trimmed unless quoted with `"` or
/// `'`, a doubled quote inside quotes standing for one. Then Npgsql's keyword table.
fn parse_npgsql(text: &str) -> Result<ParsedConnectionString, ParseError> {
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

// ---------------------------------------------------------------------------------------------
// pgjdbc
// ---------------------------------------------------------------------------------------------

const JDBC_PREFIX: &str = "jdbc:postgresql:";

/// pgjdbc's `Driver.parseURL`: the query starts at the first `?`; `//hosts/` must end with a
/// `/`; each host may carry `:port` (IPv6 in brackets); values are `URLDecoder`-decoded (`+` is
/// a space), property names are not decoded.
fn parse_jdbc(text: &str) -> Result<ParsedConnectionString, ParseError> {
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

// ---------------------------------------------------------------------------------------------
// Components
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Queries and rendering
// ---------------------------------------------------------------------------------------------

/// Whether a rendering shows secrets or masks them.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Secrets {
    Show,
    Mask,
}

/// One rendered `key=value` of a key-value string, before quoting.
struct KeyValuePair {
    key: Cow<'static, str>,
    value: String,
    masked: bool,
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

    /// Renders in `format`, in a form that format's driver parses back into these parameters.
    /// Options the format cannot express are left out; see [`ConnectionParams::options_lost_in`].
    pub fn render(&self, format: Format) -> String {
        self.render_with(format, Secrets::Show)
    }

    /// Like [`ConnectionParams::render`], with the password (and other secrets) shown as `****`.
    pub fn masked(&self, format: Format) -> String {
        self.render_with(format, Secrets::Mask)
    }

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

    /// Keys of options that `format` has no name for, which [`ConnectionParams::render`]
    /// therefore leaves out (e.g. `Pooling` in a URI, `sslsni` in Npgsql).
    pub fn options_lost_in(&self, format: Format) -> Vec<&str> {
        self.options
            .iter()
            .filter(|(key, _)| option_key_in(key, format).is_none())
            .map(|(key, _)| key.as_str())
            .collect()
    }

    fn render_with(&self, format: Format, secrets: Secrets) -> String {
        match format {
            Format::Uri => self.render_uri(secrets),
            Format::KeyValue => join_key_value(self.key_value_pairs(secrets)),
            Format::Npgsql => self.render_npgsql(secrets),
            Format::Jdbc => self.render_jdbc(secrets),
        }
    }

    fn password_text(&self, secrets: Secrets) -> Option<(String, bool)> {
        self.password.as_ref().map(|password| match secrets {
            Secrets::Show => (password.expose().to_owned(), false),
            Secrets::Mask => (MASK.to_owned(), true),
        })
    }

    /// The options a format can express, with their keys in that format and their values
    /// (masked if secret and asked to).
    fn rendered_options(
        &self,
        format: Format,
        secrets: Secrets,
    ) -> Vec<(Cow<'static, str>, String, bool)> {
        self.options
            .iter()
            .filter_map(|(key, value)| {
                let (rendered_key, enum_values) = option_key_in(key, format)?;
                if secrets == Secrets::Mask && is_secret_option(key) {
                    return Some((rendered_key, MASK.to_owned(), true));
                }
                let value = if enum_values {
                    libpq_enum_to_npgsql(value)
                } else {
                    value.clone()
                };
                Some((rendered_key, value, false))
            })
            .collect()
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

    fn key_value_pairs(&self, secrets: Secrets) -> Vec<KeyValuePair> {
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

    fn render_uri(&self, secrets: Secrets) -> String {
        let mut out = String::from("postgresql://");
        let password = self.password_text(secrets);
        if self.user.is_some() || password.is_some() {
            out.push_str(&percent_encode(self.user.as_deref().unwrap_or("")));
            if let Some((password, masked)) = password {
                out.push(':');
                out.push_str(&if masked {
                    password
                } else {
                    percent_encode(&password)
                });
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
        for (key, value, masked) in self.rendered_options(Format::Uri, secrets) {
            let value = if masked {
                value
            } else {
                percent_encode(&value)
            };
            query.push(format!("{key}={value}"));
        }
        if !query.is_empty() {
            out.push('?');
            out.push_str(&query.join("&"));
        }
        out
    }

    fn render_npgsql(&self, secrets: Secrets) -> String {
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

    fn render_jdbc(&self, secrets: Secrets) -> String {
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
            let password = if masked {
                password
            } else {
                percent_encode(&password)
            };
            query.push(format!("password={password}"));
        }
        for (key, value, masked) in self.rendered_options(Format::Jdbc, secrets) {
            let value = if masked {
                value
            } else {
                percent_encode(&value)
            };
            query.push(format!("{key}={value}"));
        }
        if !query.is_empty() {
            out.push('?');
            out.push_str(&query.join("&"));
        }
        out
    }
}

/// The key an option has in `format`, and whether its values switch to Npgsql enum spelling.
fn option_key_in(key: &str, format: Format) -> Option<(Cow<'static, str>, bool)> {
    let spelling = OPTION_SPELLINGS
        .iter()
        .find(|spelling| spelling.libpq == key);
    match format {
        Format::Uri | Format::KeyValue => LIBPQ_KEYWORDS
            .iter()
            .find(|keyword| **keyword == key)
            .map(|keyword| (Cow::Borrowed(*keyword), false)),
        Format::Npgsql => match spelling {
            Some(spelling) => spelling
                .npgsql
                .map(|name| (Cow::Borrowed(name), spelling.npgsql_enum_values)),
            None if is_libpq_keyword(key) => None,
            None => NPGSQL_KEYWORDS
                .iter()
                .find(|keyword| keyword.canonical == key)
                .map(|keyword| (Cow::Borrowed(keyword.canonical), false)),
        },
        Format::Jdbc => match spelling {
            Some(spelling) => spelling.jdbc.map(|name| (Cow::Borrowed(name), false)),
            None if is_libpq_keyword(key) => None,
            None => JDBC_PROPERTIES
                .iter()
                .find(|name| **name == key)
                .map(|name| (Cow::Borrowed(*name), false)),
        },
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

fn join_key_value(pairs: Vec<KeyValuePair>) -> String {
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
    use super::*;
    use proptest::prelude::*;

    const NEON_HOST: &str = "ep-still-mud-a12aa123.eastus2.azure.neon.tech";
    const AZURE_HOST: &str = "contoso-db.postgres.database.azure.com";
    /// Distinctive enough that finding it anywhere means a leak.
    const SECRET: &str = "Zq9;x=@/%41 'é\"\\Leak";

    fn neon_params(password: Option<&str>) -> ConnectionParams {
        ConnectionParams {
            hosts: vec![host_and_port(NEON_HOST, Some(5432))],
            database: Some("neondb".into()),
            user: Some("neondb_owner".into()),
            password: password.map(Password::new),
            ssl_mode: Some(SslMode::Require),
            ..ConnectionParams::default()
        }
    }

    fn range_text<'a>(text: &'a str, error: &ParseError) -> &'a str {
        &text[error.range.start..error.range.end]
    }

    // ----- Service Connector's documented strings (service-connector.md §3 and §4) -----

    #[test]
    fn neon_dotnet_string_without_password() {
        let text = format!(
            "Server={NEON_HOST};Database=neondb;Port=5432;Ssl Mode=Require;User Id=neondb_owner;"
        );
        assert_eq!(detect_format(&text), Some(Format::Npgsql));
        let (format, params) = parse(&text).unwrap();
        assert_eq!(format, Format::Npgsql);
        assert_eq!(params, neon_params(None));
        assert_eq!(params.render(Format::Npgsql), text);
    }

    #[test]
    fn legacy_dotnet_string_with_password() {
        let text = format!(
            "Server={AZURE_HOST};Database=appdb;Port=5432;Ssl Mode=Require;User Id=admin@contoso-db;Password=s3cr;t;"
        );
        // An unquoted `;` in the password splits it, as in .NET: the rest has no `=`.
        let error = parse(&text).unwrap_err();
        assert_eq!(error.kind, ParseErrorKind::MissingValue);
        assert_eq!(range_text(&text, &error), "t");
        assert!(!error.message.contains("t;"), "{}", error.message);
        let quoted = text.replace("Password=s3cr;t;", "Password=\"s3cr;t\";");
        let params = parse_as(&quoted, Format::Npgsql).unwrap();
        assert_eq!(
            params.password.as_ref().map(Password::expose),
            Some("s3cr;t")
        );
        assert_eq!(params.user.as_deref(), Some("admin@contoso-db"));
    }

    #[test]
    fn neon_java_url() {
        let text = format!(
            "jdbc:postgresql://{NEON_HOST}:5432/neondb?sslmode=require&user=neondb_owner&password=npg_Abc123"
        );
        let (format, params) = parse(&text).unwrap();
        assert_eq!(format, Format::Jdbc);
        assert_eq!(params, neon_params(Some("npg_Abc123")));
        assert_eq!(params.render(Format::Jdbc), text);
    }

    #[test]
    fn spring_boot_url_has_no_credentials() {
        let text = format!("jdbc:postgresql://{NEON_HOST}:5432/neondb?sslmode=require");
        let params = parse_as(&text, Format::Jdbc).unwrap();
        assert_eq!(params.user, None);
        assert_eq!(params.password, None);
        assert_eq!(params.ssl_mode, Some(SslMode::Require));
    }

    #[test]
    fn azure_java_passwordless_url_with_plugin() {
        let text = format!(
            "jdbc:postgresql://{AZURE_HOST}:5432/appdb?sslmode=require&user=aad_myconn&authenticationPluginClassName=com.azure.identity.extensions.jdbc.postgresql.AzurePostgresqlAuthenticationPlugin"
        );
        let params = parse_as(&text, Format::Jdbc).unwrap();
        assert_eq!(params.user.as_deref(), Some("aad_myconn"));
        assert_eq!(
            params.option("authenticationPluginClassName"),
            Some(
                "com.azure.identity.extensions.jdbc.postgresql.AzurePostgresqlAuthenticationPlugin"
            )
        );
        assert_eq!(params.render(Format::Jdbc), text);
    }

    #[test]
    fn python_php_ruby_go_key_value_strings() {
        let python = format!(
            "dbname=neondb host={NEON_HOST} port=5432 sslmode=require user=neondb_owner password=npg_Abc123"
        );
        let php = format!(
            "host={NEON_HOST} port=5432 dbname=neondb sslmode=require user=neondb_owner password=npg_Abc123"
        );
        let go = format!(
            "host={NEON_HOST} dbname=neondb sslmode=require user=neondb_owner password=npg_Abc123"
        );
        let expected = neon_params(Some("npg_Abc123"));
        for text in [&python, &php] {
            assert_eq!(parse(text).unwrap(), (Format::KeyValue, expected.clone()));
        }
        let go_params = parse_as(&go, Format::KeyValue).unwrap();
        assert_eq!(go_params.hosts, vec![host_and_port(NEON_HOST, None)]);
        assert_eq!(go_params.port(), 5432);

        assert_eq!(expected.render(Format::KeyValue), php);
        let python_order = ["dbname", "host", "port", "sslmode", "user", "password"];
        assert_eq!(expected.render_key_value_ordered(&python_order), python);
        let go_order = ["host", "dbname", "sslmode", "user", "password"];
        assert_eq!(expected.render_key_value_ordered(&go_order), go);
        // A port other than the default is never dropped.
        let mut other_port = expected.clone();
        other_port.hosts[0].1 = Some(6543);
        assert!(
            other_port
                .render_key_value_ordered(&go_order)
                .ends_with(" port=6543")
        );
    }

    #[test]
    fn azure_passwordless_python_string_plus_token() {
        let text =
            format!("dbname=appdb host={AZURE_HOST} port=5432 sslmode=require user=aad_myconn");
        let with_token = format!("{text} password=eyJ0eXAiOiJKV1Qi.eyJhdWQiOi.sig-_");
        let params = parse_as(&with_token, Format::KeyValue).unwrap();
        assert_eq!(
            params.password.as_ref().map(Password::expose),
            Some("eyJ0eXAiOiJKV1Qi.eyJhdWQiOi.sig-_")
        );
    }

    #[test]
    fn node_and_none_components() {
        let values = ComponentValues {
            host: Some(NEON_HOST),
            port: Some("5432"),
            database: Some("neondb"),
            user: Some("neondb_owner"),
            password: Some("npg_Abc123"),
            ssl: Some("true"),
        };
        let params = ConnectionParams::from_components(&values).unwrap();
        assert_eq!(params.ssl_mode, Some(SslMode::VerifyFull));
        assert_eq!(params.ssl_flag.as_deref(), Some("true"));
        let mut expected = neon_params(Some("npg_Abc123"));
        expected.ssl_mode = Some(SslMode::VerifyFull);
        expected.ssl_flag = Some("true".into());
        assert_eq!(params, expected);

        let insecure = ComponentValues {
            ssl: Some("False"),
            ..values
        };
        let params = ConnectionParams::from_components(&insecure).unwrap();
        assert_eq!(params.effective_ssl_mode(), SslMode::Disable);

        // Django gets no port and no SSL variable.
        let django = ComponentValues {
            port: None,
            ssl: None,
            ..values
        };
        let params = ConnectionParams::from_components(&django).unwrap();
        assert_eq!(params.hosts, vec![host_and_port(NEON_HOST, None)]);
        assert_eq!(params.effective_ssl_mode(), SslMode::Prefer);
    }

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

    // ----- Conversions -----

    #[test]
    fn converts_every_documented_string_into_every_format() {
        let params = neon_params(Some("npg_Abc123"));
        assert_eq!(
            params.render(Format::Uri),
            format!("postgresql://neondb_owner:npg_Abc123@{NEON_HOST}:5432/neondb?sslmode=require")
        );
        assert_eq!(
            params.render(Format::Npgsql),
            format!(
                "Server={NEON_HOST};Database=neondb;Port=5432;Ssl Mode=Require;User Id=neondb_owner;Password=npg_Abc123;"
            )
        );
        for from in Format::ALL {
            for to in Format::ALL {
                let converted = parse_as(&params.render(from), from).unwrap().render(to);
                assert_eq!(parse_as(&converted, to).unwrap(), params, "{from} -> {to}");
            }
        }
    }

    #[test]
    fn options_are_normalised_to_libpq_names_and_renamed_per_format() {
        let npgsql =
            "Host=db;Application Name=billing;Timeout=7;Channel Binding=Require;Pooling=false";
        let params = parse_as(npgsql, Format::Npgsql).unwrap();
        assert_eq!(
            params.options,
            vec![
                ("application_name".to_owned(), "billing".to_owned()),
                ("connect_timeout".to_owned(), "7".to_owned()),
                ("channel_binding".to_owned(), "require".to_owned()),
                ("Pooling".to_owned(), "false".to_owned()),
            ]
        );
        assert_eq!(
            params.render(Format::Jdbc),
            "jdbc:postgresql://db/?ApplicationName=billing&connectTimeout=7&channelBinding=require"
        );
        assert_eq!(params.options_lost_in(Format::Jdbc), vec!["Pooling"]);
        assert_eq!(params.options_lost_in(Format::Npgsql), Vec::<&str>::new());
        assert_eq!(
            params.render(Format::KeyValue),
            "host=db application_name=billing connect_timeout=7 channel_binding=require"
        );
        let back = parse_as(&params.render(Format::Npgsql), Format::Npgsql).unwrap();
        assert_eq!(back, params);
        assert!(
            params
                .render(Format::Npgsql)
                .contains("Channel Binding=Require")
        );
    }

    // ----- Formats in detail -----

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

    #[test]
    fn ssl_mode_spellings() {
        for mode in SslMode::ALL {
            assert_eq!(SslMode::from_libpq_name(mode.libpq_name()), Some(mode));
            assert_eq!(SslMode::from_npgsql_name(mode.npgsql_name()), Some(mode));
            assert_eq!(
                SslMode::from_npgsql_name(&mode.npgsql_name().to_lowercase()),
                Some(mode)
            );
            assert_eq!(SslMode::from_any_spelling(mode.npgsql_name()), Some(mode));
        }
        assert_eq!(SslMode::from_libpq_name("Require"), None);
        assert_eq!(SslMode::from_npgsql_name("verify-full"), None);
        assert_eq!(
            SslMode::from_any_spelling("VERIFY_CA"),
            Some(SslMode::VerifyCa)
        );
        assert!(
            SslMode::Require.guarantees_encryption() && !SslMode::Require.verifies_certificate()
        );
        assert!(!SslMode::Prefer.guarantees_encryption());
        assert_eq!(
            ConnectionParams::default().effective_ssl_mode(),
            SslMode::Prefer
        );
        let legacy = parse_as("host=h requiressl=1", Format::KeyValue).unwrap();
        assert_eq!(legacy.effective_ssl_mode(), SslMode::Require);
    }

    #[test]
    fn detection() {
        let cases = [
            ("postgresql://h/db", Some(Format::Uri)),
            ("postgres://h", Some(Format::Uri)),
            ("  jdbc:postgresql://h/db", Some(Format::Jdbc)),
            ("JDBC:postgres://h/db", Some(Format::Jdbc)),
            ("host=h dbname=d", Some(Format::KeyValue)),
            ("host=h password=a;b", Some(Format::KeyValue)),
            ("host=h;port=5432", Some(Format::Npgsql)),
            ("Host=h", Some(Format::Npgsql)),
            ("User Id=x;Server=h", Some(Format::Npgsql)),
            ("Foo=1;Database=x", Some(Format::Npgsql)),
            ("foo=1 dbname=x", Some(Format::KeyValue)),
            ("ep-still-mud-a12aa123.eastus2.azure.neon.tech", None),
            ("true", None),
            ("https://example.com/?a=b", None),
            ("mysql://root@h/db", None),
            ("FOO=bar", None),
            ("   ", None),
        ];
        for (text, expected) in cases {
            assert_eq!(detect_format(text), expected, "{text}");
        }
    }

    #[test]
    fn regressions_found_by_the_property_tests() {
        // A leading `=` in an Npgsql value would read as the `==` key escape: it must be quoted.
        let params = ConnectionParams {
            user: Some("=".into()),
            ..neon_params(None)
        };
        let rendered = params.render(Format::Npgsql);
        assert!(rendered.contains("User Id=\"=\";"), "{rendered}");
        assert_eq!(parse_as(&rendered, Format::Npgsql).unwrap(), params);
        // A trailing U+0085 is not whitespace to libpq, so it stays in the value.
        let params = parse_as("host=a options=\u{85}", Format::KeyValue).unwrap();
        assert_eq!(params.option("options"), Some("\u{85}"));
        // One-character error ranges never split a multi-byte character.
        let text = "postgresql://[.]é";
        let error = parse(text).unwrap_err();
        assert_eq!(range_text(text, &error), "é");
    }

    #[test]
    fn fields_locate_what_rules_point_at() {
        let text = "host=h  sslmode = disable password='x y'";
        let parsed = parse_with_fields(text).unwrap();
        let sslmode = parsed.field("sslmode").unwrap();
        assert_eq!(
            &text[sslmode.key_range.unwrap().start..sslmode.key_range.unwrap().end],
            "sslmode"
        );
        assert_eq!(
            &text[sslmode.value_range.start..sslmode.value_range.end],
            "disable"
        );
        let password = parsed.field("password").unwrap();
        assert_eq!(
            &text[password.value_range.start..password.value_range.end],
            "'x y'"
        );

        let text = "jdbc:postgresql://h:5432/db?ssl=false&ApplicationName=x";
        let parsed = parse_with_fields(text).unwrap();
        let ssl = parsed.field("ssl").unwrap();
        assert_eq!(&text[ssl.value_range.start..ssl.value_range.end], "false");
        assert!(parsed.field("application_name").is_some());
        let db = parsed.field("dbname").unwrap();
        assert_eq!(&text[db.value_range.start..db.value_range.end], "db");

        let text = " Server=h;Ssl Mode=Disable;";
        let parsed = parse_with_fields(text).unwrap();
        let sslmode = parsed.field("sslmode").unwrap();
        assert_eq!(
            &text[sslmode.key_range.unwrap().start..sslmode.key_range.unwrap().end],
            "Ssl Mode"
        );
        assert_eq!(parsed.params.effective_ssl_mode(), SslMode::Disable);
    }

    // ----- Every error kind, with its range -----

    fn error_of(text: &str, format: Option<Format>) -> ParseError {
        match format {
            Some(format) => parse_as(text, format).unwrap_err(),
            None => parse(text).unwrap_err(),
        }
    }

    #[test]
    fn error_kinds_and_ranges() {
        #[rustfmt::skip]
        let cases: &[(&str, Option<Format>, ParseErrorKind, &str)] = &[
            ("  ", None, ParseErrorKind::Empty, "  "),
            ("just words", None, ParseErrorKind::NotAConnectionString, "just words"),
            ("mysql://h/db", Some(Format::Uri), ParseErrorKind::NotAConnectionString, "mysql"),
            ("jdbc:postgres://h/db", None, ParseErrorKind::NotAConnectionString, "jdbc:postgres:"),
            ("host=h password='abc", None, ParseErrorKind::UnbalancedQuote, "'abc"),
            ("Host=h;Password=\"abc", None, ParseErrorKind::UnbalancedQuote, "\"abc"),
            ("Host=h;Password=\"ab\"c\";", None, ParseErrorKind::UnbalancedQuote, "\"ab\"c"),
            ("host=h dbname", None, ParseErrorKind::MissingValue, "dbname"),
            ("Host=h;Database", None, ParseErrorKind::MissingValue, "Database"),
            ("postgresql://h/db?sslmode", None, ParseErrorKind::MissingValue, "sslmode"),
            ("host=h port=54a2", None, ParseErrorKind::BadPort, "54a2"),
            ("host=a,b port=1,2,3", None, ParseErrorKind::BadPort, "1,2,3"),
            ("host=h port=5432,x", None, ParseErrorKind::BadPort, "x"),
            ("postgresql://h:99999/db", None, ParseErrorKind::BadPort, "99999"),
            ("Server=h;Port=0", None, ParseErrorKind::BadPort, "0"),
            ("Server=h:abc", None, ParseErrorKind::BadPort, "h:abc"),
            ("jdbc:postgresql://h:port/db", None, ParseErrorKind::BadPort, "port"),
            ("postgresql://[::1/db", None, ParseErrorKind::BadHost, "[::1/db"),
            ("postgresql://[]/db", None, ParseErrorKind::BadHost, "[]"),
            ("postgresql://[::1]x/db", None, ParseErrorKind::BadHost, "x"),
            ("postgresql://u:p@ss@h/db", None, ParseErrorKind::BadHost, "ss@h"),
            ("jdbc:postgresql://::1:5432/db", None, ParseErrorKind::BadHost, "::1:5432"),
            ("postgresql://u:p%zzw@h/db", None, ParseErrorKind::BadPercentEncoding, "%zz"),
            ("postgresql://h/db%", None, ParseErrorKind::BadPercentEncoding, "%"),
            ("postgresql://h/db?options=-c%20a=b", None, ParseErrorKind::BadPercentEncoding, "="),
            ("postgresql://h/a%00b", None, ParseErrorKind::BadPercentEncoding, "a%00b"),
            ("postgresql://h/%ff", None, ParseErrorKind::BadPercentEncoding, "%ff"),
            ("jdbc:postgresql://h/db?password=100%", None, ParseErrorKind::BadPercentEncoding, "%"),
            ("host=h dbnme=x", None, ParseErrorKind::UnknownKey, "dbnme"),
            ("Server=h;User=bob", None, ParseErrorKind::UnknownKey, "User"),
            ("postgresql://h/db?sslmod=require", None, ParseErrorKind::UnknownKey, "sslmod"),
            ("jdbc:postgresql://h/db?SSLMode=require", None, ParseErrorKind::UnknownKey, "SSLMode"),
            ("host=h sslmode=Require", None, ParseErrorKind::BadValue, "Require"),
            ("Server=h;Ssl Mode=verify-full", None, ParseErrorKind::BadValue, "verify-full"),
            ("jdbc:postgresql://h/db?ssl=yes", None, ParseErrorKind::BadValue, "yes"),
            ("postgresql://h/db?ssl=false", None, ParseErrorKind::BadValue, "false"),
            ("jdbc:postgresql://h:5432?sslmode=require", None, ParseErrorKind::UnsupportedSyntax, "//h:5432"),
            ("jdbc:postgresql://u:p@h/db", None, ParseErrorKind::UnsupportedSyntax, "u:p@h"),
            ("postgresql://h?user=a@b/x", None, ParseErrorKind::UnsupportedSyntax, "h?user=a@"),
        ];
        for (text, format, kind, underlined) in cases {
            let error = error_of(text, *format);
            assert_eq!(error.kind, *kind, "{text}: {}", error.message);
            assert_eq!(
                range_text(text, &error),
                *underlined,
                "{text}: {}",
                error.message
            );
            assert!(!error.message.is_empty());
        }
    }

    #[test]
    fn error_ranges_account_for_leading_whitespace() {
        let text = "\n  host=h port=x";
        let error = parse(text).unwrap_err();
        assert_eq!(range_text(text, &error), "x");
    }

    #[test]
    fn suggestions() {
        let cases = [
            ("host=h dbnme=x", "dbname"),
            ("host=h database=x", "dbname"),
            ("host=h username=x", "user"),
            ("host=h ssl=true", "sslmode"),
            ("Server=h;User=bob", "Username"),
            (
                "Server=h;Trust Server Certificat=true",
                "Trust Server Certificate",
            ),
            ("jdbc:postgresql://h/db?SSLMode=require", "sslmode"),
            (
                "jdbc:postgresql://h/db?applicationName=x",
                "ApplicationName",
            ),
            ("host=h sslmode=verify_full", "verify-full"),
            ("Server=h;Ssl Mode=verify-full", "VerifyFull"),
        ];
        for (text, suggestion) in cases {
            let error = parse(text).unwrap_err();
            assert_eq!(
                error.suggestion.as_deref(),
                Some(suggestion),
                "{text}: {}",
                error.message
            );
            assert!(error.message.contains(suggestion), "{}", error.message);
        }
        assert_eq!(parse("host=h zzz=1").unwrap_err().suggestion, None);
    }

    // ----- Secrets never leak -----

    #[test]
    fn password_is_masked_in_debug_display_and_masked_renderings() {
        let mut params = neon_params(Some(SECRET));
        params.options.push(("sslpassword".into(), SECRET.into()));
        assert!(!format!("{params:?}").contains("Leak"));
        assert_eq!(format!("{}", params.password.as_ref().unwrap()), MASK);
        assert_eq!(format!("{:?}", params.password.as_ref().unwrap()), MASK);
        for format in Format::ALL {
            let masked = params.masked(format);
            assert!(!masked.contains("Leak"), "{masked}");
            assert!(masked.contains(MASK), "{masked}");
            assert!(
                params.render(format).contains("Leak"),
                "render shows the secret"
            );
        }
        let order = ["dbname", "host", "port", "sslmode", "user", "password"];
        assert!(!params.masked_key_value_ordered(&order).contains("Leak"));
        assert_eq!(
            neon_params(Some(SECRET)).masked(Format::Uri),
            format!("postgresql://neondb_owner:****@{NEON_HOST}:5432/neondb?sslmode=require")
        );
    }

    #[test]
    fn error_messages_never_contain_the_password() {
        let leaky = [
            // Unquoted password with a space: the second half looks like a key.
            "host=h password=Zq9Leak more=1".to_owned(),
            "host=h password=Zq9 LeakMore".to_owned(),
            "Server=h;Password=Zq9;LeakMore;".to_owned(),
            "Server=h;Password=Zq9;LeakMore=1;".to_owned(),
            "jdbc:postgresql://h/db?password=Zq9&LeakMore".to_owned(),
            "jdbc:postgresql://h/db?password=Zq9&LeakMore=1".to_owned(),
            "postgresql://h/db?password=Zq9&LeakMore".to_owned(),
            "postgresql://h/db?password=Zq9&LeakMore=1".to_owned(),
            "postgresql://u:Zq9@Leak@h/db".to_owned(),
            "postgresql://u:Zq9/Leak@h/db".to_owned(),
            "postgresql://u:Zq9%Leak@h/db".to_owned(),
            "host=h password='ZqLeak".to_owned(),
            "Server=h;Password=\"Zq\"Leak\"".to_owned(),
            "jdbc:postgresql://u:ZqLeak@h/db".to_owned(),
            format!("host=h password={SECRET}"),
            format!("Server=h;Password={SECRET}"),
            format!("jdbc:postgresql://h/db?password={SECRET}"),
        ];
        for text in &leaky {
            match parse(text) {
                Ok(params) => assert!(!format!("{params:?}").contains("Leak"), "{text}"),
                Err(error) => {
                    assert!(!error.message.contains("Leak"), "{text}: {}", error.message);
                    assert!(!format!("{error:?}").contains("Leak"), "{text}");
                    assert!(!error.to_string().contains("Leak"), "{text}");
                }
            }
        }
        let component = ComponentValues {
            password: Some(SECRET),
            port: Some("x"),
            ..ComponentValues::default()
        };
        let error = ConnectionParams::from_components(&component).unwrap_err();
        assert!(!format!("{error:?} {error}").contains("Leak"));
    }

    #[test]
    fn special_password_characters_survive_every_format() {
        let passwords = [
            "semi;colon",
            "equals=sign",
            "sp ace",
            "'single'",
            "\"double\"",
            "at@sign",
            "sl/ash",
            "per%cent",
            "plus+sign",
            "amp&ersand",
            "hash#q?",
            "back\\slash",
            "ünïcødé密码",
            " lead",
            "trail ",
            "==",
            ";",
            "a'b\"c;d=e f@g/h%i",
        ];
        for password in passwords {
            let params = neon_params(Some(password));
            for format in Format::ALL {
                let rendered = params.render(format);
                assert_eq!(detect_format(&rendered), Some(format), "{rendered}");
                let back = parse_as(&rendered, format)
                    .unwrap_or_else(|error| panic!("{rendered}: {error}"));
                assert_eq!(back, params, "{rendered}");
            }
        }
    }

    // ----- Properties -----

    fn text_value() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-zA-Z0-9_.-]{1,12}",
            "[ -~]{1,12}",
            "[^\u{0}]{1,8}",
            "[;='\"\\\\@/%+&?#,: ]{1,6}",
        ]
    }

    fn host_name() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-z][a-z0-9-]{0,10}(\\.[a-z0-9-]{1,8}){0,3}",
            Just("::1".to_owned()),
            Just("2001:db8::5".to_owned()),
            Just("10.0.0.1".to_owned()),
        ]
    }

    fn portable_option() -> impl Strategy<Value = (String, String)> {
        prop_oneof![
            text_value().prop_map(|value| ("application_name".to_owned(), value)),
            "[0-9]{1,3}".prop_map(|value| ("connect_timeout".to_owned(), value)),
            text_value().prop_map(|value| ("options".to_owned(), value)),
            text_value().prop_map(|value| ("sslrootcert".to_owned(), value)),
            text_value().prop_map(|value| ("sslpassword".to_owned(), value)),
            prop_oneof![Just("disable"), Just("prefer"), Just("require")]
                .prop_map(|value| ("channel_binding".to_owned(), value.to_owned())),
            prop_oneof![Just("disable"), Just("prefer"), Just("require")]
                .prop_map(|value| ("gssencmode".to_owned(), value.to_owned())),
        ]
    }

    fn connection_params() -> impl Strategy<Value = ConnectionParams> {
        (
            prop::collection::vec((host_name(), prop::option::of(1u16..=65535)), 1..4),
            prop::option::of(text_value()),
            prop::option::of(text_value()),
            prop::option::of(text_value()),
            prop::option::of(prop::sample::select(SslMode::ALL.to_vec())),
            prop::collection::vec(portable_option(), 0..4),
        )
            .prop_map(|(hosts, database, user, password, ssl_mode, options)| {
                let mut unique: Vec<(String, String)> = Vec::new();
                for (key, value) in options {
                    if !unique.iter().any(|(existing, _)| *existing == key) {
                        unique.push((key, value));
                    }
                }
                ConnectionParams {
                    hosts: hosts
                        .into_iter()
                        .map(|(host, port)| host_and_port(host, port))
                        .collect(),
                    database,
                    user,
                    password: password.map(Password::new),
                    ssl_mode,
                    ssl_flag: None,
                    options: unique,
                }
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn render_then_parse_is_identity_in_every_format(params in connection_params()) {
            for format in Format::ALL {
                let rendered = params.render(format);
                prop_assert_eq!(detect_format(&rendered), Some(format), "{}", rendered);
                let back = parse_as(&rendered, format);
                prop_assert!(back.is_ok(), "{}: {:?}", rendered, back);
                prop_assert_eq!(back.unwrap(), params.clone(), "{}", rendered);
            }
        }

        #[test]
        fn every_conversion_pair_preserves_params(params in connection_params()) {
            for from in Format::ALL {
                let parsed = parse(&params.render(from)).unwrap().1;
                for to in Format::ALL {
                    let converted = parsed.render(to);
                    let (detected, back) = parse(&converted).unwrap();
                    prop_assert_eq!(detected, to);
                    prop_assert_eq!(&back, &params, "{} -> {}: {}", from, to, converted);
                }
            }
        }

        #[test]
        fn masked_renderings_hide_the_password(params in connection_params()) {
            let mut params = params;
            params.password = Some(Password::new(format!("{}Leak", SECRET)));
            for format in Format::ALL {
                prop_assert!(!params.masked(format).contains("Leak"));
            }
            let debug = format!("{:?}", params);
            prop_assert!(!debug.contains("Leak"));
        }

        #[test]
        fn parsing_never_panics(text in "\\PC{0,60}") {
            let _ = parse(&text);
            for format in Format::ALL {
                let _ = parse_as(&text, format);
            }
        }

        #[test]
        fn parsing_near_miss_strings_never_panics(
            prefix in prop_oneof![
                Just("postgresql://"), Just("jdbc:postgresql://"), Just("host="), Just("Server="), Just("jdbc:postgresql:"),
            ],
            rest in "[a-z0-9:/@\\[\\]%,?&=;'\" \\\\.é]{0,40}",
        ) {
            let text = format!("{prefix}{rest}");
            if let Err(error) = parse(&text) {
                prop_assert!(error.range.end <= text.len() && error.range.start <= error.range.end);
                prop_assert!(text.get(error.range.start..error.range.end).is_some(), "{:?} in {}", error.range, text);
            }
        }
    }
}
