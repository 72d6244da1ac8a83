//! `neon-lsp pull`: the terminal face of [`crate::neon::pull`].
//!
//! Asks on the terminal for whatever the flags leave open ([`TerminalChooser`]); without a
//! terminal, a missing choice is an error naming its flag (exit 2). The client type defaults to
//! what `check` would infer for the .env file's folder (neon-lsp.toml, else the nearest
//! manifest), so the pulled variables are the ones the rules expect. Exit codes: 0 written or
//! nothing to change, 1 Neon or the network failed (or the user cancelled), 2 usage or
//! configuration.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use crate::catalogue::{ClientType, Target};
use crate::neon::api::NeonApi;
use crate::neon::pull::{
    self, ChoiceError, Chooser, PullError, PullOptions, PullPlan, PullRequest, Question,
};
use crate::workspace::{self, FileKind};

use super::auth::{self, NeonArgs};

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
    let request = PullRequest {
        org: args.org,
        project: args.project,
        branch: args.branch,
        database: args.database,
        role: args.role,
        pooled: args.pooled,
        client_type: args.client_type,
        suggested_client_type: if args.client_type.is_none() {
            infer_client_type(&args.env_file)
        } else {
            None
        },
        connection_name: args.connection_name,
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

/// The client type `check` would assume for the .env file's folder: a Neon connection's
/// `client-type` in the nearest neon-lsp.toml, else the nearest manifest's (one ecosystem per
/// folder; several are ambiguous and give no suggestion). Stops at the repository's top.
fn infer_client_type(env_file: &Path) -> Option<(ClientType, String)> {
    let start = std::path::absolute(env_file).ok()?;
    let mut dir = start.parent()?.to_path_buf();
    loop {
        let config_path = dir.join(workspace::CONFIG_FILE_NAME);
        if let Ok(text) = std::fs::read_to_string(&config_path)
            && let Ok(config) = crate::config::parse(workspace::CONFIG_FILE_NAME, &text)
            && let Some(client) = config
                .connections
                .iter()
                .filter(|connection| connection.target != Some(Target::AzurePostgresql))
                .find_map(|connection| connection.client_type)
        {
            return Some((client, format!("from {}", config_path.display())));
        }
        let mut found: Vec<(ClientType, String)> = Vec::new();
        if let Ok(entries) = std::fs::read_dir(&dir) {
            let mut names: Vec<String> = entries
                .filter_map(|entry| entry.ok())
                .map(|entry| entry.file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            for name in names {
                if let Some(FileKind::Manifest(manifest)) = workspace::classify(&name)
                    && let Ok(text) = std::fs::read_to_string(dir.join(&name))
                {
                    let client = crate::infer::client_type_from_manifest(manifest, &text);
                    if !found.iter().any(|(known, _)| *known == client) {
                        found.push((client, format!("from {}", dir.join(&name).display())));
                    }
                }
            }
        }
        match found.len() {
            0 => {}
            1 => return found.pop(),
            _ => return None,
        }
        if dir.join(".git").exists() {
            return None;
        }
        dir = dir.parent()?.to_path_buf();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_type_comes_from_the_nearest_manifest_or_config() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join(".git")).unwrap();
        std::fs::write(root.path().join("requirements.txt"), "Django==5.0\n").unwrap();
        std::fs::create_dir(root.path().join("web")).unwrap();
        std::fs::write(root.path().join("web/package.json"), "{}").unwrap();
        let (client, reason) = infer_client_type(&root.path().join("web/.env")).unwrap();
        assert_eq!(client, ClientType::NodeJs);
        assert!(reason.ends_with("package.json"), "{reason}");
        let (client, _) = infer_client_type(&root.path().join(".env")).unwrap();
        assert_eq!(client, ClientType::Django);
        std::fs::write(
            root.path().join("neon-lsp.toml"),
            "[[connection]]\ntarget = \"neon\"\nclient-type = \"go\"\n",
        )
        .unwrap();
        let (client, reason) = infer_client_type(&root.path().join(".env")).unwrap();
        assert_eq!(client, ClientType::Go);
        assert!(reason.contains("neon-lsp.toml"), "{reason}");
        std::fs::write(root.path().join("web/go.mod"), "module x\n").unwrap();
        assert_eq!(infer_client_type(&root.path().join("web/.env")), None);
    }
}
