//! `neon-lsp test-connection`: the CLI face of [`crate::testconn`].
//!
//! Exit codes: 0 connected, 1 the connection failed, 2 configuration error (nothing to connect
//! to, bad flags, an unreadable file). Text or JSON; neither ever contains a password or token.

use crate::analysis::Options;
use crate::catalogue::{AuthType, Target};
use crate::disk::walk;
use crate::query::{self, TestAt, TestPlan};
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
    let base = if path.is_dir() {
        path.clone()
    } else {
        PathBuf::from(".")
    };
    let (plan, planned_files) = match plan(&path, args) {
        Some((plan, files)) => (Some(plan), Some(files)),
        None => (None, None),
    };
    let env_files = if !args.env_files.is_empty() {
        args.env_files.clone()
    } else if path.is_dir() {
        planned_files.unwrap_or_else(|| testconn::default_env_files(&path))
    } else {
        // One .env file given: that file alone.
        vec![path.clone()]
    };
    let plan = plan.unwrap_or_else(|| TestPlan {
        target: args.target,
        name: args.connection.clone(),
        auth: args.auth,
        ..TestPlan::default()
    });
    let process: std::collections::HashMap<String, String> = std::env::vars().collect();
    let mut options = TestOptions::from_environment(&process);
    options.timeout = Duration::from_secs_f64(args.timeout);
    if let Some(authority) = &args.authority {
        options.authority = Some(authority.clone());
    }
    let sources = testconn::load_sources(&env_files, &base, process).map_err(|e| e.message)?;
    let selection = Selection {
        target: plan.target,
        name: plan.name,
        auth: plan.auth,
        audience: testconn::Audience::Cli,
        client_type: plan.client_type,
    };
    let settings = testconn::settings::resolve(&sources, &selection).map_err(|e| e.message)?;
    let runtime = super::runtime()?;
    let show_progress = std::io::stderr().is_terminal() && args.format == Format::Text;
    runtime
        .block_on(testconn::run(&settings, &options, |phase| {
            if show_progress {
                eprintln!("… {phase}");
            }
        }))
        .map_err(|e| e.message)
}

/// The core's test plan for a folder (or a file in it) — the same answer the language server
/// gets, so neon-lsp.toml's `env-files` and connection `paths` hold — with its .env files as
/// paths. The project (the nearest folder at or above holding neon-lsp.toml or .git, else the
/// folder itself) is walked as `neon-lsp check` walks it. `None` when it cannot be walked: then
/// the folder's conventional .env files are read.
fn plan(path: &std::path::Path, args: &TestConnectionArgs) -> Option<(TestPlan, Vec<PathBuf>)> {
    let absolute = walk::normalize(&std::env::current_dir().ok()?.join(path));
    let (folder, file) = if absolute.is_dir() {
        (absolute.as_path(), None)
    } else {
        (absolute.parent()?, Some(&absolute))
    };
    let project = folder
        .ancestors()
        .find(|dir| {
            dir.join(crate::workspace::CONFIG_FILE_NAME).is_file() || dir.join(".git").exists()
        })
        .unwrap_or(folder);
    let collected = walk::collect(&[project.to_path_buf()], &walk::WalkOptions::default()).ok()?;
    let relative =
        |path: &std::path::Path| walk::slash_separated(path.strip_prefix(&collected.root).ok()?);
    let folder = relative(folder)?;
    let file = match file {
        Some(file) => Some(relative(file)?),
        None => None,
    };
    let at = match &file {
        Some(file) => TestAt::File(file),
        None => TestAt::Folder(&folder),
    };
    let options = Options {
        auth: args.auth,
        ..Options::default()
    };
    let plan = query::test_connection_plan(
        &collected.workspace,
        &options,
        at,
        args.target,
        args.connection.as_deref(),
    );
    let files = plan
        .env_files
        .iter()
        .map(|f| collected.root.join(f))
        .collect();
    Some((plan, files))
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
