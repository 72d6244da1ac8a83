//! `neon-lsp test-connection`: connect to the database the way the app would, and explain what
//! happened.
//!
//! [`settings`] turns the variables (the .env files in scope under the process environment) into
//! connection parameters; [`tls`] maps libpq's `sslmode` onto rustls; this module resolves the
//! host, connects TCP, runs TLS and authentication through tokio-postgres (iteration-count-1
//! SCRAM verifiers, as Neon's, are accepted; `channel_binding` is honoured), runs one query, and
//! times each phase. Failures are classified with a next step. For passwordless Azure auth the
//! Entra token is fetched first ([`token`]) and used as the password. Nothing here prints: the
//! CLI and the language server render the [`Report`], which never holds a password or token.
//!
//! Cancellation is dropping the future: the socket and any token request close with it.

pub mod settings;
pub mod tls;
pub mod token;

use crate::catalogue::{AuthType, Target};
use crate::connstr::{Password, SslMode};
use futures::future::BoxFuture;
use serde::Serialize;
pub use settings::{ConfigError, Credential, NeonEndpoint, Selection, Settings, Sources};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tls::Verification;
use tokio::net::TcpStream;
use tokio_postgres::tls::{MakeTlsConnect, TlsConnect};

/// How to run the test.
#[derive(Debug, Clone)]
pub struct TestOptions {
    /// For the whole test, token included (default 10 s).
    pub timeout: Duration,
    /// Entra authority for service principals (default `https://login.microsoftonline.com`).
    pub authority: Option<String>,
    /// `IDENTITY_ENDPOINT` / `IDENTITY_HEADER` of the managed identity (the process's own).
    pub identity_endpoint: Option<(String, Password)>,
    /// The root certificate when the connection string names none: libpq's `PGSSLROOTCERT`.
    pub default_root_cert: Option<String>,
    /// Whose words the advice in failures uses.
    pub audience: Audience,
}

pub use crate::audience::Audience;

impl TestOptions {
    /// The options the environment implies, as the app's identity library would read them:
    /// `IDENTITY_ENDPOINT`/`IDENTITY_HEADER`, `AZURE_AUTHORITY_HOST`, libpq's `PGSSLROOTCERT`.
    pub fn from_environment(process: &std::collections::HashMap<String, String>) -> TestOptions {
        let non_empty = |key: &str| process.get(key).filter(|v| !v.is_empty()).cloned();
        TestOptions {
            identity_endpoint: non_empty("IDENTITY_ENDPOINT")
                .zip(non_empty("IDENTITY_HEADER").map(Password::new)),
            authority: non_empty("AZURE_AUTHORITY_HOST"),
            default_root_cert: non_empty("PGSSLROOTCERT"),
            ..TestOptions::default()
        }
    }
}

impl Default for TestOptions {
    fn default() -> Self {
        TestOptions {
            timeout: Duration::from_secs(10),
            authority: None,
            identity_endpoint: None,
            default_root_cert: None,
            audience: Audience::Cli,
        }
    }
}

/// What a failure was, in the words a user acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailureKind {
    Dns,
    Refused,
    Timeout,
    Tls,
    Auth,
    DatabaseNotFound,
    RoleNotFound,
    TooManyConnections,
    Other,
}

impl FailureKind {
    pub fn id(self) -> &'static str {
        match self {
            FailureKind::Dns => "dns",
            FailureKind::Refused => "refused",
            FailureKind::Timeout => "timeout",
            FailureKind::Tls => "tls",
            FailureKind::Auth => "auth",
            FailureKind::DatabaseNotFound => "database-not-found",
            FailureKind::RoleNotFound => "role-not-found",
            FailureKind::TooManyConnections => "too-many-connections",
            FailureKind::Other => "other",
        }
    }
}

/// A step of the test, in order. Its id is the name users see ("dns failed (timeout): …") and
/// what the JSON report's `failure.phase` holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// Fetching the Entra token (passwordless auth only).
    Token,
    Dns,
    Connect,
    Tls,
    /// The startup message and authentication, after TLS if any.
    Auth,
    /// The first query.
    Query,
}

impl Phase {
    pub const ALL: [Phase; 6] = [
        Phase::Token,
        Phase::Dns,
        Phase::Connect,
        Phase::Tls,
        Phase::Auth,
        Phase::Query,
    ];

    /// Stable id: "token" | "dns" | "connect" | "tls" | "auth" | "query".
    pub fn id(self) -> &'static str {
        match self {
            Phase::Token => "token",
            Phase::Dns => "dns",
            Phase::Connect => "connect",
            Phase::Tls => "tls",
            Phase::Auth => "auth",
            Phase::Query => "query",
        }
    }
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    pub kind: FailureKind,
    /// The phase that failed.
    pub phase: Phase,
    /// The server's SQLSTATE, when the server answered with an error.
    pub sqlstate: Option<String>,
    /// What went wrong, with the server's own message when there is one.
    pub message: String,
    pub next_step: String,
}

/// Milliseconds per phase; `None` for phases that did not run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Timings {
    pub dns: Option<f64>,
    pub connect: Option<f64>,
    pub token: Option<f64>,
    pub tls: Option<f64>,
    pub auth: Option<f64>,
    pub first_query: Option<f64>,
    pub total: f64,
}

/// What the server said about the session.
#[derive(Debug, Clone, Serialize)]
pub struct ServerInfo {
    pub server_version: String,
    pub current_user: String,
    pub current_database: String,
    /// From `pg_stat_ssl` for this backend; `None` when the session is not encrypted.
    pub tls_version: Option<String>,
    pub tls_cipher: Option<String>,
}

/// The whole result; serialisable as the CLI's JSON and the LSP command's result.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub ok: bool,
    pub target: Target,
    pub connection_name: Option<String>,
    pub auth: AuthType,
    /// Where the settings came from ("NEON_POSTGRESQL_CONNECTIONSTRING (libpq key-value) from .env").
    pub source: String,
    pub host: String,
    pub port: u16,
    /// The address connected to (after DNS).
    pub address: Option<String>,
    pub database: Option<String>,
    pub user: Option<String>,
    pub ssl_mode: SslMode,
    pub certificate_check: Verification,
    pub neon_endpoint: Option<String>,
    pub pooled: bool,
    pub server: Option<ServerInfo>,
    pub failure: Option<Failure>,
    pub timings_ms: Timings,
    /// One line for a status bar or a message box; no secret.
    pub summary: String,
}

fn millis(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 1000.0 * 100.0).round() / 100.0
}

/// Runs the test; `progress` hears each step as it starts ("resolving ep-….neon.tech").
/// Configuration errors (nothing to connect to, an unreadable root certificate) are `Err`.
pub async fn run(
    settings: &Settings,
    options: &TestOptions,
    mut progress: impl FnMut(&str) + Send,
) -> Result<Report, ConfigError> {
    let started = Instant::now();
    let deadline = started + options.timeout;
    let mode = settings.ssl_mode();
    let root_cert = settings
        .params
        .option("sslrootcert")
        .map(str::to_owned)
        .or_else(|| options.default_root_cert.clone());
    let verification = Verification::for_mode(mode, root_cert.is_some());
    let tls_config = if mode == SslMode::Disable {
        None
    } else {
        Some(tls::client_config(
            verification,
            tls::roots(root_cert.as_deref())?,
        )?)
    };
    let host = settings.host().unwrap_or_default().to_owned();
    let endpoint = settings.neon_endpoint();
    let mut report = Report {
        ok: false,
        target: settings.target,
        connection_name: settings.name.clone(),
        auth: settings.auth,
        source: settings.described.clone(),
        host: host.clone(),
        port: settings.port(),
        address: None,
        database: settings.params.database.clone(),
        user: settings.params.user.clone(),
        ssl_mode: mode,
        certificate_check: verification,
        neon_endpoint: endpoint.as_ref().map(|e| e.id.clone()),
        pooled: endpoint.as_ref().is_some_and(|e| e.pooled),
        server: None,
        failure: None,
        timings_ms: Timings::default(),
        summary: String::new(),
    };
    let outcome = attempt(
        settings,
        options,
        tls_config,
        deadline,
        &mut report,
        &mut progress,
    )
    .await;
    report.timings_ms.total = millis(started.elapsed());
    match outcome {
        Ok(info) => {
            report.ok = true;
            report.summary = format!(
                "connected to {host}:{} as {} to {} — PostgreSQL {}, {}",
                report.port,
                info.current_user,
                info.current_database,
                info.server_version,
                match (&info.tls_version, &info.tls_cipher) {
                    (Some(version), Some(cipher)) => format!("{version} {cipher}"),
                    _ => "NOT encrypted".to_owned(),
                }
            );
            report.server = Some(info);
        }
        Err(failure) => {
            report.summary = format!(
                "{} failed ({}): {}",
                failure.phase,
                failure.kind.id(),
                failure.message
            );
            report.failure = Some(failure);
        }
    }
    Ok(report)
}

fn remaining(deadline: Instant) -> Duration {
    deadline.saturating_duration_since(Instant::now())
}

/// Waits for `future` until the deadline; past it, `phase` fails with a timeout that says what
/// did not answer (`waited_for`: "from DNS").
async fn within<T>(
    deadline: Instant,
    options: &TestOptions,
    phase: Phase,
    waited_for: &str,
    future: impl std::future::Future<Output = T>,
) -> Result<T, Failure> {
    tokio::time::timeout(remaining(deadline), future)
        .await
        .map_err(|_| timeout_failure(phase, waited_for, options))
}

fn timeout_failure(phase: Phase, waited_for: &str, options: &TestOptions) -> Failure {
    Failure {
        kind: FailureKind::Timeout,
        phase,
        sqlstate: None,
        message: format!(
            "no answer within {} s {waited_for}",
            options.timeout.as_secs_f64()
        ),
        next_step: match phase {
            Phase::Connect => "a firewall may drop the packets: check the server's firewall rules (Azure: allow your client IP; Neon: IP Allow list) and the port".to_owned(),
            Phase::Tls | Phase::Auth => format!("the port answers but not as PostgreSQL: check the host and port; a Neon compute that is starting can take a few seconds, so {}", options.audience.longer_timeout_hint()),
            Phase::Token | Phase::Dns | Phase::Query => format!("{}; check the network path to the server", options.audience.longer_timeout_hint()),
        },
    }
}

/// The phases in order, each `?`-chained: the first failure ends the test.
async fn attempt(
    settings: &Settings,
    options: &TestOptions,
    tls_config: Option<rustls::ClientConfig>,
    deadline: Instant,
    report: &mut Report,
    progress: &mut (impl FnMut(&str) + Send),
) -> Result<ServerInfo, Failure> {
    let mut attempt = Attempt {
        settings,
        options,
        deadline,
        report,
        progress,
    };
    let password = attempt.token().await?;
    let addresses = attempt.resolve().await?;
    let stream = attempt.connect(&addresses).await?;
    let client = attempt.handshake(stream, password, tls_config).await?;
    attempt.first_query(&client).await
}

/// One run of the test: each phase is a method that tells `progress` what it is doing, times
/// itself into the report, and fails with a [`Failure`] naming its [`Phase`].
struct Attempt<'a, P> {
    settings: &'a Settings,
    options: &'a TestOptions,
    deadline: Instant,
    report: &'a mut Report,
    progress: &'a mut P,
}

impl<P: FnMut(&str) + Send> Attempt<'_, P> {
    /// [`Phase::Token`]: a passwordless app fetches its token before it connects, and uses it as
    /// the password. With password auth, the password from the settings.
    async fn token(&mut self) -> Result<Option<Password>, Failure> {
        let settings = self.settings;
        let credential = match &settings.credential {
            Credential::Password => return Ok(settings.params.password.clone()),
            credential => credential,
        };
        (self.progress)("fetching an Entra token");
        let started = Instant::now();
        let token = within(
            self.deadline,
            self.options,
            Phase::Token,
            "from the token endpoint",
            token::fetch(credential, self.options),
        )
        .await?;
        self.report.timings_ms.token = Some(millis(started.elapsed()));
        Ok(Some(token?))
    }

    /// [`Phase::Dns`]: the host's addresses.
    async fn resolve(&mut self) -> Result<Vec<std::net::SocketAddr>, Failure> {
        let host = self.report.host.clone();
        (self.progress)(&format!("resolving {host}"));
        let started = Instant::now();
        let addresses = within(
            self.deadline,
            self.options,
            Phase::Dns,
            "from DNS",
            tokio::net::lookup_host((host.as_str(), self.report.port)),
        )
        .await?
        .map_err(|error| Failure {
            kind: FailureKind::Dns,
            phase: Phase::Dns,
            sqlstate: None,
            message: format!("cannot resolve {host}: {error}"),
            next_step: dns_next_step(&host),
        })?
        .collect();
        self.report.timings_ms.dns = Some(millis(started.elapsed()));
        Ok(addresses)
    }

    /// [`Phase::Connect`]: TCP to each address in turn until one accepts; a silent address
    /// (dropped packets) ends the test with a timeout.
    async fn connect(&mut self, addresses: &[std::net::SocketAddr]) -> Result<TcpStream, Failure> {
        let started = Instant::now();
        let mut last_error = None;
        for address in addresses {
            (self.progress)(&format!("connecting to {address}"));
            let connected = within(
                self.deadline,
                self.options,
                Phase::Connect,
                &format!("from {address}"),
                TcpStream::connect(address),
            )
            .await?;
            match connected {
                Ok(stream) => {
                    self.report.address = Some(address.to_string());
                    let _ = stream.set_nodelay(true);
                    self.report.timings_ms.connect = Some(millis(started.elapsed()));
                    return Ok(stream);
                }
                Err(error) => last_error = Some((address, error)),
            }
        }
        let (host, port) = (&self.report.host, self.report.port);
        let (kind, message) = match &last_error {
            Some((address, error)) if error.kind() == std::io::ErrorKind::ConnectionRefused => (
                FailureKind::Refused,
                format!("{address} refused the connection"),
            ),
            Some((address, error)) => (
                FailureKind::Other,
                format!("cannot connect to {address}: {error}"),
            ),
            None => (FailureKind::Dns, format!("{host} resolves to no address")),
        };
        Err(Failure {
            kind,
            phase: Phase::Connect,
            sqlstate: None,
            message,
            next_step: format!(
                "check that PostgreSQL listens on {host}:{port} (the port in the connection string) and that no firewall rejects you"
            ),
        })
    }

    /// [`Phase::Tls`] then [`Phase::Auth`]: the startup message over `stream`, TLS first unless
    /// `sslmode=disable`. Which of the two failed is told by how far the TLS handshake got.
    async fn handshake(
        &mut self,
        stream: TcpStream,
        password: Option<Password>,
        tls_config: Option<rustls::ClientConfig>,
    ) -> Result<tokio_postgres::Client, Failure> {
        let host = self.report.host.clone();
        let ssl_mode = self.report.ssl_mode;
        let config = postgres_config(
            self.settings,
            &host,
            self.report.port,
            password.as_ref(),
            ssl_mode,
        );
        let tls_done: Arc<Mutex<Option<Instant>>> = Arc::default();
        // Whether the server answered the SSLRequest at all (with `prefer`, an 'N' means the
        // session goes on unencrypted, and a later close is not a TLS failure).
        let server_spoke: Arc<AtomicBool> = Arc::default();
        let tls_started: Arc<AtomicBool> = Arc::default();
        let handshake_started = Instant::now();
        (self.progress)(if tls_config.is_some() {
            "TLS handshake and authentication"
        } else {
            "authentication (no TLS)"
        });
        let connected = match tls_config {
            Some(tls_config) => {
                let mut maker = tokio_postgres_rustls::MakeRustlsConnect::new(tls_config);
                let inner = <tokio_postgres_rustls::MakeRustlsConnect as MakeTlsConnect<
                    TcpStream,
                >>::make_tls_connect(&mut maker, &host)
                .map_err(|error| Failure {
                    kind: FailureKind::Tls,
                    phase: Phase::Tls,
                    sqlstate: None,
                    message: format!("{host} is not a valid TLS server name: {error}"),
                    next_step: "check the host name".to_owned(),
                })?;
                let timed = TimedTls {
                    inner,
                    done: tls_done.clone(),
                    started: tls_started.clone(),
                };
                let stream = CountReads {
                    inner: stream,
                    read: server_spoke.clone(),
                };
                tokio::time::timeout(remaining(self.deadline), config.connect_raw(stream, timed))
                    .await
                    .map(|result| {
                        result.map(|(client, connection)| {
                            tokio::spawn(connection);
                            client
                        })
                    })
            }
            None => tokio::time::timeout(
                remaining(self.deadline),
                config.connect_raw(stream, tokio_postgres::NoTls),
            )
            .await
            .map(|result| {
                result.map(|(client, connection)| {
                    tokio::spawn(connection);
                    client
                })
            }),
        };
        let tls_finished = *tls_done.lock().unwrap_or_else(|p| p.into_inner());
        // Recorded before the outcome is known: when authentication fails, how long TLS took
        // (and that it completed) is still part of the explanation.
        if let Some(at) = tls_finished {
            self.report.timings_ms.tls = Some(millis(at.duration_since(handshake_started)));
        }
        let tls_declined = tls_finished.is_none()
            && matches!(ssl_mode, SslMode::Allow | SslMode::Prefer)
            && server_spoke.load(Ordering::SeqCst)
            && !tls_started.load(Ordering::SeqCst);
        let phase = if tls_finished.is_none() && ssl_mode != SslMode::Disable && !tls_declined {
            Phase::Tls
        } else {
            Phase::Auth
        };
        let client = match connected {
            Err(_) => {
                let waited_for = match phase {
                    Phase::Tls => "to the TLS handshake",
                    _ => "to the startup message",
                };
                return Err(timeout_failure(phase, waited_for, self.options));
            }
            Ok(Err(error)) => {
                let mut failure = classify(&error, phase, self.settings);
                if tls_declined {
                    failure.message = format!(
                        "the server declined TLS (sslmode={} went on unencrypted), then: {}",
                        ssl_mode.as_str(),
                        failure.message
                    );
                }
                return Err(failure);
            }
            Ok(Ok(client)) => client,
        };
        let authenticated = Instant::now();
        let auth_started = tls_finished.unwrap_or(handshake_started);
        self.report.timings_ms.auth = Some(millis(authenticated.duration_since(auth_started)));
        Ok(client)
    }

    /// [`Phase::Query`]: one simple query, which also reads from `pg_stat_ssl` whether and how
    /// the session is encrypted.
    async fn first_query(
        &mut self,
        client: &tokio_postgres::Client,
    ) -> Result<ServerInfo, Failure> {
        (self.progress)("running the first query");
        let started = Instant::now();
        let rows = within(
            self.deadline,
            self.options,
            Phase::Query,
            "to the first query",
            client.simple_query(
                "select current_setting('server_version'), current_user, current_database(), \
                 (select version from pg_stat_ssl where pid = pg_backend_pid()), \
                 (select cipher from pg_stat_ssl where pid = pg_backend_pid())",
            ),
        )
        .await?
        .map_err(|error| classify(&error, Phase::Query, self.settings))?;
        self.report.timings_ms.first_query = Some(millis(started.elapsed()));
        let row = rows
            .iter()
            .find_map(|message| match message {
                tokio_postgres::SimpleQueryMessage::Row(row) => Some(row),
                _ => None,
            })
            .ok_or_else(|| Failure {
                kind: FailureKind::Other,
                phase: Phase::Query,
                sqlstate: None,
                message: "the first query returned no row".to_owned(),
                next_step: "a connection pooler or proxy answered unexpectedly; try the direct (non-pooler) host".to_owned(),
            })?;
        let column = |index: usize| row.get(index).map(str::to_owned);
        Ok(ServerInfo {
            server_version: column(0).unwrap_or_default(),
            current_user: column(1).unwrap_or_default(),
            current_database: column(2).unwrap_or_default(),
            tls_version: column(3),
            tls_cipher: column(4),
        })
    }
}

/// The tokio-postgres configuration the settings mean, as libpq would read the same parameters
/// (the TLS connector itself is the caller's).
fn postgres_config(
    settings: &Settings,
    host: &str,
    port: u16,
    password: Option<&Password>,
    ssl_mode: SslMode,
) -> tokio_postgres::Config {
    let mut config = tokio_postgres::Config::new();
    config.host(host).port(port);
    if let Some(user) = &settings.params.user {
        config.user(user);
    }
    if let Some(password) = password {
        config.password(password.expose());
    }
    if let Some(database) = &settings.params.database {
        config.dbname(database);
    }
    if let Some(options_value) = settings.params.option("options") {
        config.options(options_value);
    }
    config.application_name(
        settings
            .params
            .option("application_name")
            .unwrap_or("neon-lsp test-connection"),
    );
    config.channel_binding(match settings.params.option("channel_binding") {
        Some("require") => tokio_postgres::config::ChannelBinding::Require,
        Some("disable") => tokio_postgres::config::ChannelBinding::Disable,
        _ => tokio_postgres::config::ChannelBinding::Prefer,
    });
    config.ssl_mode(match ssl_mode {
        SslMode::Disable => tokio_postgres::config::SslMode::Disable,
        SslMode::Allow | SslMode::Prefer => tokio_postgres::config::SslMode::Prefer,
        SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => {
            tokio_postgres::config::SslMode::Require
        }
    });
    config
}

/// Classifies a tokio-postgres error from the handshake or the first query.
fn classify(error: &tokio_postgres::Error, phase: Phase, settings: &Settings) -> Failure {
    let user = settings.params.user.as_deref().unwrap_or("the user");
    let database = settings.params.database.as_deref().unwrap_or(user);
    if let Some(db) = error.as_db_error() {
        let code = db.code().code();
        let server = db.message();
        let (kind, next_step) = match code {
            "28P01" => (
                FailureKind::Auth,
                format!("the password for {user} was rejected (SQLSTATE 28P01: wrong password — PostgreSQL reports a missing role the same way, to hide which roles exist). Reset it (Neon console → Roles, Azure portal → Reset password; passwordless: the identity must be a database principal) and update the variable"),
            ),
            "28000" if server.contains("no encryption") => (
                FailureKind::Tls,
                "the server requires TLS (its pg_hba.conf rejects unencrypted connections, as Neon and Azure do): use sslmode=require or stricter".to_owned(),
            ),
            "28000" if server.contains("role") && server.contains("does not exist") => (
                FailureKind::RoleNotFound,
                format!("create the role {user} or fix the user name in the variable"),
            ),
            "28000" => (FailureKind::Auth, format!("the server rejected {user} before checking a password: check pg_hba.conf / the firewall and the user name")),
            "3D000" => (
                FailureKind::DatabaseNotFound,
                format!("authentication succeeded, but the database \"{database}\" does not exist: create it or fix the database name in the variable"),
            ),
            "53300" => (
                FailureKind::TooManyConnections,
                if settings.neon_endpoint().is_some_and(|e| !e.pooled) {
                    "the compute's connection limit is reached: use the pooled host (ep-…-pooler.…) or close idle connections".to_owned()
                } else {
                    "the server's connection limit is reached: close idle connections or use a connection pooler".to_owned()
                },
            ),
            _ => (FailureKind::Other, "see the server's message".to_owned()),
        };
        return Failure {
            kind,
            phase: if matches!(kind, FailureKind::Tls) {
                Phase::Tls
            } else {
                phase
            },
            sqlstate: Some(code.to_owned()),
            message: format!("{} (SQLSTATE {code}): {server}", db.severity()),
            next_step,
        };
    }
    let chain = error_chain(error);
    if let Some(tls) = find_rustls_error(error) {
        let next_step = match tls {
            rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer) => "the server's certificate is not signed by a trusted CA: set sslrootcert=<CA file> (or sslrootcert=system) for a private CA, or check that you reach the real server".to_owned(),
            rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidForName
                | rustls::CertificateError::NotValidForNameContext { .. },
            ) => format!("the certificate is not issued for {}: use the host name the certificate names (verify-full compares them)", settings.host().unwrap_or_default()),
            rustls::Error::InvalidCertificate(_) => "the server's certificate is invalid (expired or malformed)".to_owned(),
            _ => "the TLS handshake failed: check that the port is PostgreSQL's and the sslmode".to_owned(),
        };
        return Failure {
            kind: FailureKind::Tls,
            phase: Phase::Tls,
            sqlstate: None,
            message: format!("TLS handshake failed: {tls}"),
            next_step,
        };
    }
    if chain.contains("server does not support TLS") {
        return Failure {
            kind: FailureKind::Tls,
            phase: Phase::Tls,
            sqlstate: None,
            message: "the server does not support TLS".to_owned(),
            next_step: "this server cannot encrypt: Neon and Azure always can, so check that you reach the right server; for a local server without TLS use sslmode=disable".to_owned(),
        };
    }
    let closed = chain.contains("connection closed")
        || chain.contains("unexpected end of file")
        || chain.contains("UnexpectedEof")
        || chain.contains("reset by peer");
    if closed {
        return Failure {
            kind: if phase == Phase::Tls { FailureKind::Tls } else { FailureKind::Other },
            phase,
            sqlstate: None,
            message: format!("the server closed the connection during the {} ({chain})", if phase == Phase::Tls { "TLS handshake" } else { "handshake" }),
            next_step: "the port is open but did not speak PostgreSQL to the end: check the host and port, and for Neon that the host carries the endpoint id (SNI); older clients need options=endpoint%3D<id>".to_owned(),
        };
    }
    let kind = if phase == Phase::Tls {
        FailureKind::Tls
    } else {
        FailureKind::Other
    };
    Failure {
        kind,
        phase,
        sqlstate: None,
        message: chain,
        next_step: "see the message; `neon-lsp check` finds configuration mistakes before they reach the server".to_owned(),
    }
}

fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(cause) = source {
        parts.push(cause.to_string());
        source = cause.source();
    }
    parts.join(": ")
}

fn find_rustls_error<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a rustls::Error> {
    let mut current: Option<&'a (dyn std::error::Error + 'static)> = Some(error);
    while let Some(cause) = current {
        if let Some(tls) = cause.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        if let Some(io) = cause.downcast_ref::<std::io::Error>()
            && let Some(inner) = io.get_ref()
            && let Some(tls) = inner.downcast_ref::<rustls::Error>()
        {
            return Some(tls);
        }
        current = cause.source();
    }
    None
}

/// The server's stream, noting whether the server has sent anything yet.
struct CountReads<S> {
    inner: S,
    read: Arc<AtomicBool>,
}

impl<S: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for CountReads<S> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = std::pin::Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.read.store(true, Ordering::SeqCst);
        }
        polled
    }
}

impl<S: tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for CountReads<S> {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Records when the TLS handshake finished, so TLS and authentication are timed apart.
struct TimedTls<T> {
    inner: T,
    done: Arc<Mutex<Option<Instant>>>,
    /// Set when the server agreed to TLS and the handshake began.
    started: Arc<AtomicBool>,
}

impl<S, T> TlsConnect<S> for TimedTls<T>
where
    T: TlsConnect<S> + Send + 'static,
    T::Future: Send + 'static,
    S: 'static,
{
    type Stream = T::Stream;
    type Error = T::Error;
    type Future = BoxFuture<'static, Result<T::Stream, T::Error>>;

    fn connect(self, stream: S) -> Self::Future {
        self.started.store(true, Ordering::SeqCst);
        let done = self.done;
        let handshake = self.inner.connect(stream);
        Box::pin(async move {
            let stream = handshake.await?;
            *done.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now());
            Ok(stream)
        })
    }
}

/// A connection's .env files (nearest folder first, as the analysis lists them) in the order a
/// test reads them: folder by folder, nearest first, and within a folder by
/// [`default_env_files`]'s precedence; names without a conventional rank keep their order after
/// `.env`.
pub fn in_precedence_order(files: &[std::path::PathBuf]) -> Vec<std::path::PathBuf> {
    crate::query::in_precedence_order(files)
}

/// The .env files a test reads for `path` (a folder, or one .env file), highest precedence
/// first: `.env.*.local`, `.env.local`, `.env.development`, `.env` — the conventional load order
/// of dotenv-flow, Vite and Next.js, where more specific files override `.env`.
pub fn default_env_files(path: &std::path::Path) -> Vec<std::path::PathBuf> {
    if path.is_file() {
        return vec![path.to_owned()];
    }
    let mut local: Vec<std::path::PathBuf> = std::fs::read_dir(path)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| entry.path())
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .and_then(crate::query::env_precedence)
                        == Some(0)
                })
                .collect()
        })
        .unwrap_or_default();
    local.sort();
    local
        .into_iter()
        .chain(
            [".env.local", ".env.development", ".env"]
                .into_iter()
                .map(|name| path.join(name)),
        )
        .filter(|p| p.is_file())
        .collect()
}

/// Reads the .env files (shown relative to `base` in messages) under the process environment.
pub fn load_sources(
    env_files: &[std::path::PathBuf],
    base: &std::path::Path,
    process: std::collections::HashMap<String, String>,
) -> Result<Sources, ConfigError> {
    load_sources_with(env_files, base, process, |path| {
        std::fs::read_to_string(path)
    })
}

/// [`load_sources`] with the files' text from `read` (the language server passes open
/// documents as typed).
pub fn load_sources_with(
    env_files: &[std::path::PathBuf],
    base: &std::path::Path,
    process: std::collections::HashMap<String, String>,
    read: impl Fn(&std::path::Path) -> std::io::Result<String>,
) -> Result<Sources, ConfigError> {
    let mut sources = Sources {
        env_files: Vec::new(),
        process,
    };
    for path in env_files {
        let text = read(path).map_err(|error| ConfigError {
            message: format!("cannot read {}: {error}", path.display()),
        })?;
        let shown = path
            .strip_prefix(base)
            .unwrap_or(path)
            .display()
            .to_string();
        sources.env_files.push((shown, crate::dotenv::parse(&text)));
    }
    Ok(sources)
}

/// What to do when `host` does not resolve. Typos are suggested only for a host that is not
/// well formed: a well-formed Neon or Azure host name that does not resolve points at DNS, the
/// network or a deleted server, not at the spelling.
fn dns_next_step(host: &str) -> String {
    let shapes = format!(
        "Neon hosts look like {}, Azure ones {}",
        Target::Neon.host_shape(),
        Target::AzurePostgresql.host_shape()
    );
    let lower = host.to_ascii_lowercase();
    let labels: Vec<&str> = lower.split('.').collect();
    let well_formed_label = |label: &&str| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    if !labels.iter().all(well_formed_label) {
        return format!("{host} is not a valid host name: check it for typos; {shapes}");
    }
    let target = Target::of_host(&lower);
    if target == Some(Target::Neon) && crate::catalogue::is_complete_host(Target::Neon, &lower) {
        return "the host name is well formed but does not resolve from here: check this machine's DNS and network (VPN, proxy, firewall), and that the endpoint still exists in the Neon Console (a deleted endpoint's name stops resolving)".to_owned();
    }
    if target == Some(Target::AzurePostgresql)
        && crate::catalogue::is_complete_host(Target::AzurePostgresql, &lower)
    {
        return "the host name is well formed but does not resolve from here: check this machine's DNS and network, that the server still exists, and, for a server with private access, that this machine is inside its virtual network".to_owned();
    }
    if target.is_some() || lower.contains("neon") || lower.contains("azure") {
        return format!("check the host name for typos; {shapes}");
    }
    "check the host name, and that this machine's DNS can resolve it".to_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_dns_hint_suggests_typos_only_for_malformed_hosts() {
        for well_formed in [
            "ep-cool-darkness-123456.us-east-2.aws.neon.tech",
            "ep-a-b-pooler.eastus2.azure.neon.tech",
            "myserver.postgres.database.azure.com",
        ] {
            let hint = super::dns_next_step(well_formed);
            assert!(
                !hint.contains("typo") && hint.contains("well formed"),
                "{well_formed}: {hint}"
            );
        }
        for malformed in [
            "ep-cool_darkness.us-east-2.aws.neon.tech",
            "ep-x.neon.tec",
            "cool-darkness.us-east-2.aws.neon.tech",
            "myserver.postgres.azure.com",
            "db host",
        ] {
            let hint = super::dns_next_step(malformed);
            assert!(hint.contains("typo"), "{malformed}: {hint}");
        }
        let other = super::dns_next_step("db.internal.example");
        assert!(!other.contains("typo"), "{other}");
    }

    use super::*;
    use std::path::PathBuf;

    #[test]
    fn phases_keep_the_names_users_see_in_text_and_json() {
        let ids: Vec<&str> = Phase::ALL.iter().map(|phase| phase.id()).collect();
        assert_eq!(ids, ["token", "dns", "connect", "tls", "auth", "query"]);
        for phase in Phase::ALL {
            assert_eq!(phase.to_string(), phase.id());
            assert_eq!(
                serde_json::to_value(phase).ok(),
                Some(serde_json::Value::from(phase.id()))
            );
        }
    }

    #[test]
    fn a_timeout_names_the_phase_and_words_the_retry_for_its_audience() {
        for audience in [Audience::Cli, Audience::Editor] {
            let options = TestOptions {
                audience,
                ..TestOptions::default()
            };
            for phase in Phase::ALL {
                let failure = timeout_failure(phase, "from DNS", &options);
                assert_eq!((failure.kind, failure.phase), (FailureKind::Timeout, phase));
                assert!(
                    failure.message.ends_with("s from DNS"),
                    "{}",
                    failure.message
                );
                let retry = failure.next_step.contains(audience.longer_timeout_hint());
                assert_eq!(
                    retry,
                    phase != Phase::Connect,
                    "{phase}: {}",
                    failure.next_step
                );
                let flag = failure.next_step.contains("--timeout");
                assert_eq!(
                    flag,
                    retry && audience == Audience::Cli,
                    "{}",
                    failure.next_step
                );
            }
        }
    }

    #[test]
    fn a_connections_env_files_are_read_nearest_folder_first_then_by_precedence() {
        let files: Vec<PathBuf> = [
            "api/.env",
            "api/.env.local",
            "api/app.env",
            "api/.env.production.local",
            ".env",
            ".env.development",
            "api/.env",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        let ordered: Vec<String> = in_precedence_order(&files)
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        assert_eq!(
            ordered,
            [
                "api/.env.production.local",
                "api/.env.local",
                "api/.env",
                "api/app.env",
                ".env.development",
                ".env",
            ]
        );
    }
}
