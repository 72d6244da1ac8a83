//! `neon-lsp test-connection`: the CLI face of [`crate::testconn`].
//!
//! Exit codes: 0 connected, 1 the connection failed, 2 configuration error (nothing to connect
//! to, bad flags, an unreadable file). Text or JSON; neither ever contains a password or token.

use crate::catalogue::{AuthType, Target};
use crate::testconn::{self, Report, Selection, TestOptions};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(clap::Args)]
pub struct TestConnectionArgs {
    /// A project folder (its .env files are read) or one .env file. Default: the current folder.
    pub path: Option<PathBuf>,
    /// Test a named (second) connection: NEON_POSTGRESQL_<NAME>_….
    #[arg(long)]
    pub connection: Option<String>,
    /// Read these .env files instead of the folder's (highest precedence first; repeatable).
    #[arg(long = "env-file")]
    pub env_files: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Give up after this many seconds (the whole test).
    #[arg(long, default_value_t = 10.0)]
    pub timeout: f64,
    /// Target, when both NEON_POSTGRESQL_… and AZURE_POSTGRESQL_… variables are set.
    #[arg(long, value_parser = super::parse_target)]
    pub target: Option<Target>,
    /// Auth type (default: inferred from the variables).
    #[arg(long, value_parser = super::parse_auth)]
    pub auth: Option<AuthType>,
    /// Entra authority for service principals [env: AZURE_AUTHORITY_HOST; default https://login.microsoftonline.com].
    #[arg(long)]
    pub authority: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// The longest `--timeout` accepted.
const MAX_TIMEOUT_SECONDS: f64 = 86_400.0;

pub fn run(args: TestConnectionArgs) -> ExitCode {
    match execute(&args) {
        Ok(report) => {
            match args.format {
                Format::Json => match serde_json::to_string_pretty(&report) {
                    Ok(json) => println!("{json}"),
                    Err(error) => {
                        eprintln!("error: cannot write JSON: {error}");
                        return ExitCode::from(2);
                    }
                },
                Format::Text => print!("{}", render_text(&report)),
            }
            ExitCode::from(if report.ok { 0 } else { 1 })
        }
        Err(message) => {
            if args.format == Format::Json {
                println!(
                    "{}",
                    serde_json::json!({"ok": false, "error": {"kind": "configuration", "message": message}})
                );
            }
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

fn execute(args: &TestConnectionArgs) -> Result<Report, String> {
    // Bounded, so adding it to the clock cannot overflow (1e19 seconds used to panic).
    if !(args.timeout.is_finite() && args.timeout > 0.0 && args.timeout <= MAX_TIMEOUT_SECONDS) {
        return Err(format!(
            "--timeout must be a positive number of seconds up to {MAX_TIMEOUT_SECONDS} (a day), \
             not {}",
            args.timeout
        ));
    }
    let path = args.path.clone().unwrap_or_else(|| PathBuf::from("."));
    if !path.exists() {
        return Err(format!("{} does not exist", path.display()));
    }
    let env_files = if args.env_files.is_empty() {
        testconn::default_env_files(&path)
    } else {
        args.env_files.clone()
    };
    let base = if path.is_dir() {
        path.clone()
    } else {
        PathBuf::from(".")
    };
    let process: std::collections::HashMap<String, String> = std::env::vars().collect();
    let mut options = TestOptions::from_environment(&process);
    options.timeout = Duration::from_secs_f64(args.timeout);
    if let Some(authority) = &args.authority {
        options.authority = Some(authority.clone());
    }
    let sources = testconn::load_sources(&env_files, &base, process).map_err(|e| e.message)?;
    let selection = Selection {
        target: args.target,
        name: args.connection.clone(),
        auth: args.auth,
        audience: testconn::Audience::Cli,
        client_type: None,
    };
    let settings = testconn::settings::resolve(&sources, &selection).map_err(|e| e.message)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| format!("cannot start the async runtime: {error}"))?;
    let show_progress = std::io::stderr().is_terminal() && args.format == Format::Text;
    runtime
        .block_on(testconn::run(&settings, &options, |phase| {
            if show_progress {
                eprintln!("… {phase}");
            }
        }))
        .map_err(|e| e.message)
}

fn ms(value: Option<f64>) -> String {
    value.map_or_else(|| "–".to_owned(), |v| format!("{v:.1} ms"))
}

/// The text report: what was tried, then the outcome and its timing or its next step.
pub fn render_text(report: &Report) -> String {
    let mut out = String::new();
    out.push_str(&format!("Testing {}\n", report.source));
    let mut server = format!("  server    {}:{}", report.host, report.port);
    if let Some(address) = &report.address {
        server.push_str(&format!(" ({address})"));
    }
    if let Some(endpoint) = &report.neon_endpoint {
        server.push_str(&format!(
            ", Neon endpoint {endpoint}{}",
            if report.pooled { " via the pooler" } else { "" }
        ));
    }
    out.push_str(&server);
    out.push('\n');
    out.push_str(&format!(
        "  as        user {}, database {}, auth {}\n",
        report.user.as_deref().unwrap_or("–"),
        report.database.as_deref().unwrap_or("(the user's)"),
        report.auth
    ));
    out.push_str(&format!(
        "  TLS       sslmode {} ({})\n",
        report.ssl_mode.libpq_name(),
        match report.certificate_check {
            testconn::tls::Verification::None
                if report.ssl_mode == crate::connstr::SslMode::Disable =>
                "no encryption",
            testconn::tls::Verification::None => "encrypted, certificate not checked",
            testconn::tls::Verification::Chain => "certificate chain checked, host name not",
            testconn::tls::Verification::Full => "certificate and host name checked",
        }
    ));
    match (&report.server, &report.failure) {
        (Some(info), _) => {
            out.push_str(&format!(
                "✓ connected: PostgreSQL {} as {} to {}, {}\n",
                info.server_version,
                info.current_user,
                info.current_database,
                match (&info.tls_version, &info.tls_cipher) {
                    (Some(version), Some(cipher)) => format!("{version} {cipher}"),
                    _ => "NOT encrypted".to_owned(),
                }
            ));
        }
        (None, Some(failure)) => {
            out.push_str(&format!(
                "✗ {} failed [{}{}]: {}\n  next step: {}\n",
                failure.phase,
                failure.kind.id(),
                failure
                    .sqlstate
                    .as_ref()
                    .map(|s| format!(", SQLSTATE {s}"))
                    .unwrap_or_default(),
                failure.message,
                failure.next_step
            ));
        }
        (None, None) => {}
    }
    let t = &report.timings_ms;
    let mut timing = format!("  time      dns {} · connect {}", ms(t.dns), ms(t.connect));
    if t.token.is_some() {
        timing.push_str(&format!(" · token {}", ms(t.token)));
    }
    timing.push_str(&format!(
        " · tls {} · auth {} · first query {} · total {:.1} ms\n",
        ms(t.tls),
        ms(t.auth),
        ms(t.first_query),
        t.total
    ));
    out.push_str(&timing);
    out
}
