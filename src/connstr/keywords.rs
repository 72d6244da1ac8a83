//! The drivers' keyword tables: libpq's keywords, Npgsql's keywords and synonyms, pgjdbc's
//! properties, how one option is spelled in each format, the mistakes made by carrying a key from
//! one format to another, and key suggestions.

use super::Format;

/// refuse the string.
pub(super) const LIBPQ_KEYWORDS: &[&str] = &[
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
pub(super) struct NpgsqlKeyword {
    pub(super) canonical: &'static str,
    pub(super) synonyms: &'static [&'static str],
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
pub(super) const NPGSQL_KEYWORDS: &[NpgsqlKeyword] = &[
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
pub(super) const JDBC_PROPERTIES: &[&str] = &[
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
/// reported by [`options_lost_in`](super::ConnectionParams::options_lost_in)) when rendered
/// into a format without them.
pub(super) struct OptionSpelling {
    pub(super) libpq: &'static str,
    pub(super) npgsql: Option<&'static str>,
    pub(super) jdbc: Option<&'static str>,
    /// Npgsql spells this option's values as enum names (`Require`) where libpq uses
    /// lowercase hyphenated words (`require`).
    pub(super) npgsql_enum_values: bool,
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

pub(super) const OPTION_SPELLINGS: &[OptionSpelling] = &[
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

pub(super) fn is_libpq_keyword(key: &str) -> bool {
    LIBPQ_KEYWORDS.contains(&key)
}

pub(super) fn is_secret_option(key: &str) -> bool {
    SECRET_OPTIONS.contains(&key)
}

/// Npgsql's own key comparison: upper-cased, with whitespace removed.
fn npgsql_fold(key: &str) -> String {
    key.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_uppercase)
        .collect()
}

pub(super) fn npgsql_keyword(key: &str) -> Option<&'static NpgsqlKeyword> {
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
pub(super) fn fold_key(key: &str) -> String {
    key.chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The closest known key, for "did you mean" hints.
pub(super) fn suggest_key<'a>(
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
pub(super) fn npgsql_enum_to_libpq(value: &str) -> String {
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
pub(super) fn libpq_enum_to_npgsql(value: &str) -> String {
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
