//! `neon-lsp pull`: the terminal face of [`crate::neon::pull`].
//!
//! Asks on the terminal for whatever the flags leave open ([`TerminalChooser`]); without a
//! terminal, a missing choice is an error naming its flag (exit 2). The client type defaults to,
//! and the connection name is, those of the connection `check` sees for the .env file, so the
//! pulled variables are the ones the rules expect. Exit codes: 0 written or
//! nothing to change, 1 Neon or the network failed (or the user cancelled), 2 usage or
//! configuration.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use super::auth::{self, NeonArgs};
use crate::analysis::Options;
use crate::catalogue::ClientType;
use crate::disk::walk;
use crate::neon::api::NeonApi;
use crate::neon::pull::{
    self, ChoiceError, Chooser, PullError, PullOptions, PullPlan, PullRequest, Question,
};
use crate::query::{self, ConnectionSummary};

#[derive(clap::Args)]
pub struct PullArgs {
    /// Project id or name (default: ask; the only one is taken).
    #[arg(long, value_name = "PROJECT")]
    project: Option<String>,
    /// Branch id or name.
    #[arg(long, value_name = "BRANCH")]
    branch: Option<String>,
    /// Database name.
    #[arg(long, value_name = "DATABASE")]
    database: Option<String>,
    /// Role (user) name.
    #[arg(long, value_name = "ROLE")]
    role: Option<String>,
    /// Connect through Neon's connection pooler (the -pooler host).
    #[arg(long)]
    pooled: bool,
    /// Organization id or name: look for the project only there.
    #[arg(long, value_name = "ORG")]
    org: Option<String>,
    /// Client type the app's Service Connector connection uses (default: inferred like `check`).
    #[arg(long, value_parser = super::parse_client_type)]
    client_type: Option<ClientType>,
    /// Connection name of a second Neon connection (NEON_POSTGRESQL_<NAME>_...).
    #[arg(long, value_name = "NAME")]
    connection_name: Option<String>,
    /// The .env file to merge into.
    #[arg(long, value_name = "FILE", default_value = ".env")]
    env_file: PathBuf,
    /// Write without asking.
    #[arg(long, short = 'y')]
    yes: bool,
    /// Write the password even into a file git tracks or does not ignore.
    #[arg(long)]
    force: bool,
    /// The Neon API base URL [env: NEON_API_URL].
    #[arg(long, value_name = "URL")]
    api_url: Option<String>,
}

pub fn run(args: PullArgs) -> ExitCode {
    let neon_args = NeonArgs {
        api_url: args.api_url.clone(),
        ..NeonArgs::default()
    };
    let settings = match auth::settings(&neon_args) {
        Ok(settings) => settings,
        Err(code) => return code,
    };
    let (runtime, http) = match (auth::runtime(), auth::http()) {
        (Ok(runtime), Ok(http)) => (runtime, http),
        (Err(code), _) | (_, Err(code)) => return code,
    };
    // What the flags leave open comes from the connection `check` sees for the .env file, so
    // the pulled variables are the ones the code reads (named connections included).
    let inferred = if args.client_type.is_none() || args.connection_name.is_none() {
        inferred_connection(&args.env_file, args.connection_name.as_deref())
    } else {
        None
    };
    let request = PullRequest {
        org: args.org,
        project: args.project,
        branch: args.branch,
        database: args.database,
        role: args.role,
        pooled: args.pooled,
        client_type: args.client_type,
        suggested_client_type: inferred
            .as_ref()
            .and_then(|c| Some((c.client_type?, c.reason.clone()))),
        connection_name: args
            .connection_name
            .or_else(|| inferred.and_then(|connection| connection.name)),
    };
    let options = PullOptions {
        env_file: args.env_file.clone(),
        yes: args.yes,
        force: args.force,
        audience: crate::audience::Audience::Cli,
    };
    let api = NeonApi::from_settings(&settings, http)
        .with_notice(Arc::new(|notice: &str| eprintln!("note: {notice}")));
    let interactive = auth::interactive();
    if std::io::stderr().is_terminal() {
        eprintln!("Looking up your Neon projects...");
    }
    let mut chooser = TerminalChooser { interactive };
    let outcome = runtime.block_on(pull::pull(&api, &request, &options, &mut chooser));
    match outcome {
        Ok(outcome) => {
            let plan = &outcome.plan;
            let file = plan.env_file.display();
            if !plan.merge.has_changes() {
                println!(
                    "{file} already holds these values for {}; nothing to change.",
                    plan.selection.describe()
                );
                return ExitCode::SUCCESS;
            }
            if args.yes {
                print_plan(plan);
            }
            if let Some(reason) = &plan.forced_past {
                eprintln!("warning: written despite: {reason}");
            }
            if outcome.written {
                println!(
                    "Wrote {} variable{} to {file}.",
                    plan.merge.changes.len(),
                    if plan.merge.changes.len() == 1 {
                        ""
                    } else {
                        "s"
                    }
                );
            } else {
                println!("Nothing written.");
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            let usage = error.is_usage()
                || matches!(&error, PullError::Api(api) if api.kind.needs_sign_in());
            ExitCode::from(if usage { 2 } else { 1 })
        }
    }
}

fn print_plan(plan: &PullPlan) {
    let selection = &plan.selection;
    println!(
        "{}{}: {} (client type {}, {})",
        plan.env_file.display(),
        if plan.creates_file { " (new file)" } else { "" },
        selection.describe(),
        selection.client_type.id(),
        selection.client_type_reason
    );
    for line in plan.merge.diff_lines() {
        println!("  {line}");
    }
}

/// Prompts on stderr, answers from stdin; refuses when there is no terminal.
struct TerminalChooser {
    interactive: bool,
}

impl TerminalChooser {
    fn read_line() -> Option<String> {
        let mut line = String::new();
        match std::io::stdin().lock().read_line(&mut line) {
            Ok(0) | Err(_) => None,
            Ok(_) => Some(line.trim().to_owned()),
        }
    }

    fn ask(&self, question: &Question) -> Result<usize, ChoiceError> {
        if !self.interactive {
            return Err(ChoiceError::NotInteractive);
        }
        let mut stderr = std::io::stderr().lock();
        let _ = writeln!(stderr, "{}", question.prompt);
        for (index, option) in question.options.iter().enumerate() {
            let marker = if question.default == Some(index) {
                "*"
            } else {
                " "
            };
            let _ = match &option.detail {
                Some(detail) => writeln!(
                    stderr,
                    " {marker}{:>3}) {}  ({detail})",
                    index + 1,
                    option.label
                ),
                None => writeln!(stderr, " {marker}{:>3}) {}", index + 1, option.label),
            };
        }
        loop {
            let hint = match question.default {
                Some(default) => {
                    format!("[1-{}, Enter for {}] ", question.options.len(), default + 1)
                }
                None => format!("[1-{}] ", question.options.len()),
            };
            let _ = write!(stderr, "{hint}");
            let _ = stderr.flush();
            let Some(answer) = Self::read_line() else {
                return Err(ChoiceError::Cancelled);
            };
            if answer.is_empty()
                && let Some(default) = question.default
            {
                return Ok(default);
            }
            if let Ok(number) = answer.parse::<usize>()
                && (1..=question.options.len()).contains(&number)
            {
                return Ok(number - 1);
            }
            // A name or id typed in full works too.
            if let Some(index) = question.options.iter().position(|option| {
                option.label == answer
                    || option
                        .detail
                        .as_deref()
                        .is_some_and(|d| d.split(' ').next() == Some(answer.as_str()))
            }) {
                return Ok(index);
            }
            let _ = writeln!(stderr, "Type a number from the list.");
        }
    }

    fn confirm_plan(&self, plan: &PullPlan) -> Result<bool, ChoiceError> {
        if !self.interactive {
            return Err(ChoiceError::NotInteractive);
        }
        print_plan(plan);
        if let Some(reason) = &plan.forced_past {
            eprintln!("warning: --force: {reason}");
        }
        eprint!("Write these changes to {}? [y/N] ", plan.env_file.display());
        let _ = std::io::stderr().flush();
        match Self::read_line() {
            Some(answer) => Ok(matches!(answer.to_ascii_lowercase().as_str(), "y" | "yes")),
            None => Err(ChoiceError::Cancelled),
        }
    }
}

impl Chooser for TerminalChooser {
    // The terminal is read synchronously: the CLI has nothing else to do meanwhile.
    #[allow(clippy::manual_async_fn)]
    fn choose(
        &mut self,
        question: &Question,
    ) -> impl std::future::Future<Output = Result<usize, ChoiceError>> + Send {
        let answer = self.ask(question);
        async move { answer }
    }

    #[allow(clippy::manual_async_fn)]
    fn confirm(
        &mut self,
        plan: &PullPlan,
    ) -> impl std::future::Future<Output = Result<bool, ChoiceError>> + Send {
        let answer = self.confirm_plan(plan);
        async move { answer }
    }
}

/// The Neon connection `check` sees for the .env file, from the same analysis: the project (the
/// git work tree holding the file, else its folder) is walked as `check` walks it. `None` when
/// no Neon connection applies or the project cannot be read (then the user is asked).
fn inferred_connection(env_file: &Path, name: Option<&str>) -> Option<ConnectionSummary> {
    let env_file = walk::normalize(&std::env::current_dir().ok()?.join(env_file));
    let folder = env_file.parent()?;
    let root = folder
        .ancestors()
        .find(|dir| dir.join(".git").exists())
        .unwrap_or(folder);
    let collected = walk::collect(&[root.to_path_buf()], &walk::WalkOptions::default()).ok()?;
    let path = walk::slash_separated(env_file.strip_prefix(&collected.root).ok()?)?;
    query::neon_connection_for_pull(&collected.workspace, &Options::default(), &path, name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_connection_is_the_one_check_sees_for_the_env_file() {
        let root = tempfile::tempdir().unwrap();
        let root = root.path();
        std::fs::create_dir(root.join(".git")).unwrap();
        std::fs::write(root.join("requirements.txt"), "Django==5.0\n").unwrap();
        std::fs::create_dir(root.join("web")).unwrap();
        std::fs::write(root.join("web/package.json"), "{}").unwrap();
        let seen = |env_file: &str, name: Option<&str>| {
            inferred_connection(&root.join(env_file), name)
                .map(|c| (c.client_type, c.name, c.reason))
        };
        let (client, name, reason) = seen("web/.env", None).unwrap();
        assert_eq!((client, name), (Some(ClientType::NodeJs), None));
        assert!(reason.contains("package.json"), "{reason}");
        let (client, _, _) = seen(".env", None).unwrap();
        assert_eq!(client, Some(ClientType::Django));

        std::fs::write(
            root.join("neon-lsp.toml"),
            "[[connection]]\ntarget = \"neon\"\nclient-type = \"go\"\nname = \"reports\"\npaths = [\"web\"]\n",
        )
        .unwrap();
        // Nothing reads it yet: the unnamed connection unless the name is given.
        let (client, name, _) = seen("web/.env", None).unwrap();
        assert_eq!((client, name), (Some(ClientType::NodeJs), None));
        let (client, name, reason) = seen("web/.env", Some("reports")).unwrap();
        assert_eq!(
            (client, name.as_deref()),
            (Some(ClientType::Go), Some("REPORTS"))
        );
        assert!(reason.contains("neon-lsp.toml"), "{reason}");
        // Code that reads the named connection makes it the one.
        std::fs::write(
            root.join("web/db.js"),
            "const url = process.env.NEON_POSTGRESQL_REPORTS_CONNECTIONSTRING;\n",
        )
        .unwrap();
        let (client, name, _) = seen("web/.env", None).unwrap();
        assert_eq!(
            (client, name.as_deref()),
            (Some(ClientType::Go), Some("REPORTS"))
        );
    }
}
