//! `check --azure`: names the apps to read, gets an ARM token, reads them, and prints one
//! summary line per app on standard error (the findings themselves come from the analysis).
//!
//! A read that fails is a tool failure (exit 2) with the reason and what to do: `--azure` asks
//! for the deployed truth, and checking without it while saying nothing would mislead.

use crate::audience::Audience;
use crate::azure::AppTarget;
use crate::deployed::DeployedApp;
use crate::disk::walk::Collected;

pub use crate::azure::apps::{AzureArgs, read_targets, summary};

/// The apps to read: `--azure-resource-id`, else neon-lsp.toml, else the azd environment.
pub fn targets(args: &AzureArgs, collected: &Collected) -> Result<Vec<AppTarget>, String> {
    crate::azure::apps::targets_in(args, &collected.root, &collected.workspace, Audience::Cli)
}

/// Reads the deployed apps. `Err` is the message for a tool failure.
pub fn read(args: &AzureArgs, collected: &Collected) -> Result<Vec<DeployedApp>, String> {
    let targets = targets(args, collected)?;
    let runtime = super::runtime()?;
    runtime.block_on(read_targets(
        args,
        &targets,
        std::sync::Arc::new(|text: &str| eprintln!("note: {text}")),
    ))
}
