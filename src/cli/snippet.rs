//! `neon-lsp snippet`: prints the connection snippet for a combination, or `--list`s them.

use crate::catalogue::{AuthType, ClientType, Target};
use crate::snippet::{self, SnippetRequest};
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct SnippetArgs {
    /// neon or azure-postgresql.
    #[arg(long, value_parser = super::parse_target, required_unless_present = "list")]
    pub target: Option<Target>,
    /// The Service Connector client type.
    #[arg(long, value_parser = super::parse_client_type, required_unless_present = "list")]
    pub client_type: Option<ClientType>,
    /// Auth type (default secret; Azure PostgreSQL also offers system-identity, user-identity, service-principal).
    #[arg(long, value_parser = super::parse_auth)]
    pub auth: Option<AuthType>,
    /// Connection name of a second connection (NEON_POSTGRESQL_<NAME>_…).
    #[arg(long)]
    pub name: Option<String>,
    /// List every combination and the files of its snippet.
    #[arg(long)]
    pub list: bool,
}

pub fn run(args: SnippetArgs) -> ExitCode {
    if args.list {
        println!(
            "{:<18} {:<12} {:<18} snippet",
            "target", "client-type", "auth"
        );
        for request in snippet::combinations() {
            let files: Vec<String> = snippet::generate(&request)
                .map(|s| s.files.into_iter().map(|f| f.suggested_path).collect())
                .unwrap_or_default();
            println!(
                "{:<18} {:<12} {:<18} {}",
                request.target.id(),
                request.client_type.id(),
                request.auth.id(),
                files.join(", ")
            );
        }
        return ExitCode::SUCCESS;
    }
    let (Some(target), Some(client_type)) = (args.target, args.client_type) else {
        eprintln!("error: --target and --client-type are required (or --list)");
        return ExitCode::from(2);
    };
    let request = SnippetRequest {
        target,
        client_type,
        auth: args.auth.unwrap_or(AuthType::Secret),
        name: args.name,
    };
    match snippet::generate(&request) {
        Ok(snippet) => {
            let several = snippet.files.len() > 1;
            for file in &snippet.files {
                if several {
                    println!("==> {} <==", file.suggested_path);
                }
                print!("{}", file.text);
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            let valid: Vec<&str> = target.auth_types().iter().map(|a| a.id()).collect();
            eprintln!("  {} offers: {}", target.id(), valid.join(", "));
            ExitCode::from(2)
        }
    }
}
