//! The command line: `neon-lsp check`, `test-connection`, `snippet`, `auth`, `pull`, `explain`.
//!
//! An adapter over the analysis core: it finds and reads files (`disk::walk`, `disk::git`), calls
//! [`crate::analyse`], prints with one reporter per format (`report`) and applies fixes
//! (`fix`). Exit codes: 0 clean, 1 error-severity findings, 2 usage or configuration error.

pub mod auth;
pub mod azure;
pub mod fix;
pub mod pull;
pub mod report;
pub mod snippet;
pub mod test_connection;

use crate::disk::{git, walk};

use crate::analysis::Options;
use crate::catalogue::{AuthType, ClientType, Target};
use crate::diagnostic::Severity;
use crate::rules::Rule;
use crate::text::LineIndex;
use clap::{Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// The async runtime a command runs its network work on. Every command treats a failure to
/// start it alike: the message, then exit 2 (neon-lsp could not run; `serve` too).
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| format!("cannot start the async runtime: {error}"))
}

#[derive(Parser)]
#[command(
    name = "neon-lsp",
    version,
    about = "Catches broken Azure Service Connector Postgres wiring (Neon, Azure Database for PostgreSQL)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Lint a project: report every mismatch between code, .env files and what Service Connector injects.
    Check(CheckArgs),
    /// Run the language server over stdio (what editors start).
    Serve {
        /// Accepted for editors that pass it; stdio is the only transport.
        #[arg(long)]
        stdio: bool,
        /// Also write the server's log to this file (appended).
        #[arg(long)]
        log_file: Option<PathBuf>,
        /// How much to log: error, warning, info, debug.
        #[arg(long, value_enum, default_value_t = crate::lsp::LogLevel::Info)]
        log_level: crate::lsp::LogLevel,
    },
    /// Connect to the database with the configured variables and explain what happened.
    TestConnection(test_connection::TestConnectionArgs),
    /// Print the connection snippet for a target, client type and auth type.
    Snippet(snippet::SnippetArgs),
    /// Sign in to Neon (OAuth 2.0 + PKCE), show the sign-in, or sign out.
    Auth(auth::AuthArgs),
    /// Write a Neon database's connection into a .env file, in the client type's format.
    Pull(pull::PullArgs),
    /// Show a rule's documentation (or every rule's with --all).
    Explain {
        /// The rule id, e.g. wrong-client-type-variable.
        rule: Option<String>,
        /// Print the documentation of every rule (docs/rules.md).
        #[arg(long, conflicts_with = "rule")]
        all: bool,
    },
}

#[derive(clap::Args)]
struct CheckArgs {
    /// Folders or files to check (default: the current folder).
    paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    format: OutputFormat,
    /// Target for connections whose target cannot be told from their variables.
    #[arg(long, value_parser = parse_target)]
    target: Option<Target>,
    /// Client type of every connection (overrides neon-lsp.toml and inference).
    #[arg(long, value_parser = parse_client_type)]
    client_type: Option<ClientType>,
    /// Auth type of Azure PostgreSQL connections (overrides neon-lsp.toml and inference).
    #[arg(long, value_parser = parse_auth)]
    auth: Option<AuthType>,
    /// Apply the fixes that are safe to apply without review, then report what is left.
    #[arg(long)]
    fix: bool,
    /// With --fix or --diff: also apply the fixes that need review (ruff's convention).
    #[arg(long)]
    unsafe_fixes: bool,
    /// Print a unified diff of what --fix would change (secrets masked), writing nothing.
    #[arg(long)]
    diff: bool,
    /// Colour in text output: auto (on a terminal, unless NO_COLOR), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    /// Also read the deployed connections from Azure (Service Connector linkers, their variable
    /// names, app settings' names; never a value) and check the code against them.
    #[arg(long)]
    azure: bool,
    /// The app to read with --azure (default: neon-lsp.toml's [azure] resource-id, else the azd environment).
    #[arg(long, requires = "azure", value_name = "ID")]
    azure_resource_id: Option<String>,
    /// Azure Resource Manager URL for --azure [env: NEON_LSP_ARM_URL; default https://management.azure.com].
    #[arg(long, requires = "azure", value_name = "URL")]
    arm_url: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OutputFormat {
    Text,
    Json,
    Sarif,
    Github,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

// The settings vocabulary's one parser (`config::parse_word`): a flag accepts what
// neon-lsp.toml and the editor settings accept, with the same "did you mean".
fn parse_target(value: &str) -> Result<Target, crate::config::UnknownWord> {
    crate::config::parse_word(value)
}

pub(crate) fn parse_client_type(value: &str) -> Result<ClientType, crate::config::UnknownWord> {
    crate::config::parse_word(value)
}

fn parse_auth(value: &str) -> Result<AuthType, crate::config::UnknownWord> {
    crate::config::parse_word(value)
}

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    // An editor that starts the bare binary with `--stdio` gets the language server.
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.len() == 2 && args[1] == "--stdio" {
        return crate::lsp::serve(&crate::lsp::LogOptions::default());
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return ExitCode::from(if error.use_stderr() { 2 } else { 0 });
        }
    };
    match cli.command {
        Command::Check(args) => check(args),
        Command::TestConnection(args) => test_connection::run(args),
        Command::Snippet(args) => snippet::run(args),
        Command::Auth(args) => auth::run(args),
        Command::Pull(args) => pull::run(args),
        Command::Explain { rule, all } => explain(rule.as_deref(), all),
        Command::Serve {
            log_file,
            log_level,
            ..
        } => crate::lsp::serve(&crate::lsp::LogOptions {
            file: log_file,
            level: log_level,
        }),
    }
}

fn explain(rule: Option<&str>, all: bool) -> ExitCode {
    if all {
        print!("{}", crate::rules::rules_markdown());
        return ExitCode::SUCCESS;
    }
    let Some(id) = rule else {
        println!("Rules (run `neon-lsp explain RULE` for one, `--all` for every rule):\n");
        for rule in Rule::ALL {
            println!(
                "  {:<34} {:<8} {}",
                rule.id(),
                rule.default_severity().as_str(),
                rule.summary()
            );
        }
        return ExitCode::SUCCESS;
    };
    match crate::config::parse_word::<Rule>(id) {
        Ok(rule) => {
            print!("{}", rule.explain());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(2)
        }
    }
}

fn check(args: CheckArgs) -> ExitCode {
    let mut options = Options {
        target: args.target,
        client_type: args.client_type,
        auth: args.auth,
        ..Options::default()
    };
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    let walk_options = walk::WalkOptions::default();
    let mut outcome_note = None;
    let mut collected = match walk::collect(&args.paths, &walk_options) {
        Ok(collected) => collected,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    if args.azure {
        let azure_args = azure::AzureArgs {
            resource_id: args.azure_resource_id.clone(),
            arm_url: args.arm_url.clone(),
        };
        match azure::read(&azure_args, &collected) {
            Ok(apps) => {
                for app in &apps {
                    eprintln!("{}", azure::summary(app));
                }
                options.deployed = apps;
            }
            Err(message) => {
                eprintln!("error: --azure: {message}");
                return ExitCode::from(2);
            }
        }
    }
    let mut analysed = match run_analysis(&collected, &options) {
        Ok(analysed) => analysed,
        Err(code) => return code,
    };
    if args.unsafe_fixes && !args.fix && !args.diff {
        eprintln!("error: --unsafe-fixes needs --fix or --diff");
        return ExitCode::from(2);
    }
    let mode = fix::FixMode {
        unsafe_fixes: args.unsafe_fixes,
        diff_only: args.diff,
    };
    if args.diff {
        let report = make_report(&collected, analysed.clone());
        let outcome = fix::run(&collected.root, &report, mode);
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(outcome.diff.as_deref().unwrap_or_default().as_bytes());
        eprintln!("{}", fix_summary(&outcome, mode));
        return if outcome.files_written.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        };
    }
    if args.fix {
        let report = make_report(&collected, analysed.clone());
        let outcome = fix::run(&collected.root, &report, mode);
        outcome_note = Some(outcome);
        collected = match walk::collect(&args.paths, &walk_options) {
            Ok(collected) => collected,
            Err(error) => {
                eprintln!("error: {error}");
                return ExitCode::from(2);
            }
        };
        analysed = match run_analysis(&collected, &options) {
            Ok(analysed) => analysed,
            Err(code) => return code,
        };
    }
    let has_errors = analysed
        .diagnostics
        .iter()
        .any(|d| d.severity == Severity::Error);
    let mut report = make_report(&collected, analysed);
    if matches!(args.format, OutputFormat::Sarif | OutputFormat::Github) {
        // Code scanning and annotations resolve paths from the repository's top folder.
        if let Ok(Some(prefix)) = git::work_tree_prefix(&collected.root) {
            prefix_paths(&mut report, &prefix);
        }
    }
    if args.format == OutputFormat::Json {
        // The JSON schema has no place for notes: they go to standard error.
        for note in &report.notes {
            eprintln!("note: {}: {}", note.path, note.message);
        }
    }
    let rendered = match args.format {
        OutputFormat::Text => report::render_text(&report, color),
        OutputFormat::Json => report::render_json(&report),
        OutputFormat::Sarif => report::render_sarif(&report),
        OutputFormat::Github => report::render_github(&report),
    };
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(rendered.as_bytes());
    if let Some(outcome) = outcome_note {
        let left = report.diagnostics.len();
        eprintln!(
            "{}\n{left} problem{} left",
            fix_summary(&outcome, mode),
            if left == 1 { "" } else { "s" }
        );
    }
    if has_errors {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// What `--fix` / `--diff` did and did not do, for standard error.
fn fix_summary(outcome: &fix::FixOutcome, mode: fix::FixMode) -> String {
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let mut line = if mode.diff_only {
        format!(
            "would fix {} in {}",
            plural(outcome.applied, "problem", "problems"),
            plural(outcome.files_written.len(), "file", "files")
        )
    } else {
        format!("fixed {}", plural(outcome.applied, "problem", "problems"))
    };
    if !outcome.skipped.is_empty() {
        line.push_str(&format!(
            ", {} skipped:",
            plural(outcome.skipped.len(), "fix", "fixes")
        ));
        for (path, reason) in &outcome.skipped {
            line.push_str(&format!("\n  {path}: {reason}"));
        }
    }
    if !outcome.unsafe_skipped.is_empty() {
        line.push_str(&format!(
            "\n{} not applied because {} review (apply with --unsafe-fixes):",
            plural(outcome.unsafe_skipped.len(), "unsafe fix", "unsafe fixes"),
            if outcome.unsafe_skipped.len() == 1 {
                "it needs"
            } else {
                "they need"
            }
        ));
        for (path, title) in &outcome.unsafe_skipped {
            line.push_str(&format!("\n  {path}: {title}"));
        }
    }
    line
}

fn run_analysis(
    collected: &walk::Collected,
    options: &Options,
) -> Result<crate::analysis::Analysed, ExitCode> {
    crate::analysis::analyse_for_report(&collected.workspace, options).map_err(|error| {
        if error.path.is_empty() {
            eprintln!("error: {}", error.message);
        } else {
            let text = collected
                .workspace
                .files
                .iter()
                .find(|f| f.path == error.path)
                .map(|f| f.text.as_str())
                .unwrap_or("");
            let position = LineIndex::new(text).human(text, error.range.start);
            // As the text reporter writes a finding, under the code the editor shows too.
            eprintln!(
                "{}:{}:{}: error[{}]: {}",
                error.path,
                position.line,
                position.column,
                crate::config::ConfigError::CODE,
                error.message
            );
        }
        ExitCode::from(2)
    })
}

fn make_report(collected: &walk::Collected, analysed: crate::analysis::Analysed) -> report::Report {
    let crate::analysis::Analysed {
        diagnostics,
        secrets,
    } = analysed;
    let sources = collected
        .workspace
        .files
        .iter()
        .filter(|f| {
            diagnostics.iter().any(|d| {
                d.path == f.path
                    || d.fixes
                        .iter()
                        .any(|x| x.edits.iter().any(|e| e.path == f.path))
            })
        })
        .map(|f| (f.path.clone(), f.text.clone()))
        .collect();
    report::Report {
        diagnostics,
        sources,
        files_scanned: collected.files_scanned,
        notes: collected.notes.clone(),
        secrets,
    }
}

fn prefix_paths(report: &mut report::Report, prefix: &str) {
    let prefix = prefix.trim_end_matches('/');
    if prefix.is_empty() {
        return;
    }
    let join = |path: &str| format!("{prefix}/{path}");
    for diagnostic in &mut report.diagnostics {
        diagnostic.path = join(&diagnostic.path);
        for related in &mut diagnostic.related {
            related.path = join(&related.path);
        }
        for fix in &mut diagnostic.fixes {
            for edit in &mut fix.edits {
                edit.path = join(&edit.path);
            }
        }
    }
    report.sources = std::mem::take(&mut report.sources)
        .into_iter()
        .map(|(path, text)| (join(&path), text))
        .collect();
    report.secrets = std::mem::take(&mut report.secrets)
        .into_iter()
        .map(|(path, ranges)| (join(&path), ranges))
        .collect();
    for note in &mut report.notes {
        note.path = join(&note.path);
    }
}
