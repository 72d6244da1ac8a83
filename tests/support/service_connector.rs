//! The variables Service Connector would set for a combination, pointed at the throwaway
//! PostgreSQL cluster of `support::pg` (role `app`, database `appdb`, password [`PASSWORD`]):
//! what the fix proof runs rewritten programs with.

use neon_lsp::catalogue::{AuthType, ClientType, Target};
use neon_lsp::connstr::{ConnectionParams, Password, SslMode};
use neon_lsp::snippet::{self, EnvValues, SnippetRequest};
use std::path::{Path, PathBuf};
use std::process::Command;

pub const PASSWORD: &str = "Fix-Proof-Pw-Secret";

/// Neon, secret auth, the first connection: `(name, value)` for every variable it sets.
pub fn neon_secret_env(client_type: ClientType, host: &str, port: u16) -> Vec<(String, String)> {
    let request = SnippetRequest {
        target: Target::Neon,
        client_type,
        auth: AuthType::Secret,
        name: None,
        customized_keys: Vec::new(),
    };
    let values = EnvValues {
        params: ConnectionParams {
            hosts: vec![(host.to_owned(), Some(port))],
            database: Some("appdb".to_owned()),
            user: Some("app".to_owned()),
            password: Some(Password::new(PASSWORD)),
            ssl_mode: Some(SslMode::Require),
            ..ConnectionParams::default()
        },
        client_id: None,
        tenant_id: None,
        client_secret: None,
    };
    snippet::render_env(&request, &values).expect("a secret combination renders")
}

/// A command with no Service Connector, identity or libpq variable inherited from the caller.
pub fn clean_command(program: &str) -> Command {
    let mut command = Command::new(program);
    for (key, _) in std::env::vars() {
        if key.starts_with("NEON_")
            || key.starts_with("AZURE_")
            || key.starts_with("IDENTITY_")
            || key.starts_with("PG")
        {
            command.env_remove(key);
        }
    }
    command
}

/// Whether `program args…` runs and succeeds here.
pub fn works(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// tests/toolchains/node/node_modules (`npm ci` there installs pg and @azure/identity).
pub fn node_modules() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/toolchains/node/node_modules")
}
