//! A resolved connection and the folder / .env-name matching its scope uses.

use super::{FileId, Reason, Resolved};
use crate::catalogue::{self, AuthType, ClientType, Field, Target, Variable};
use crate::declared::Declaration;

/// A resolved connection: what Service Connector injects for it and which files it covers.
#[derive(Debug, Clone)]
pub struct Connection {
    pub target: Target,
    /// Upper-case connection name, for a second connection of the same target.
    pub name: Option<String>,
    pub client_type: Option<Resolved<ClientType>>,
    pub auth: Resolved<AuthType>,
    /// Folders the connection covers (workspace-relative, `""` = everything).
    pub scopes: Vec<String>,
    /// Which .env files belong to it (file names/globs or root-relative paths).
    pub env_file_patterns: Vec<String>,
    /// The .env files in scope, nearest first.
    pub env_files: Vec<FileId>,
    /// The variables Service Connector sets for it (empty when the client type is unknown).
    pub variables: Vec<Variable>,
    pub config_index: Option<usize>,
    /// The Service Connector connection the infrastructure declares for it, if one applies.
    pub declaration: Option<Declaration>,
    /// What the code alone implies (nearest manifest, else language), when a declaration set
    /// the client type: what `declared-client-type-mismatch` compares it with.
    pub code_client: Option<Resolved<ClientType>>,
    /// No linker applies, and infrastructure code sets these variables itself (app settings):
    /// their names are the app's own choice, so no client type is assumed.
    pub app_settings: Option<Declaration>,
    /// The deployed linker that applies (`check --azure`) and its app's name; it outranks the
    /// declaration.
    pub deployed: Option<(crate::deployed::DeployedLinker, String)>,
}

impl Connection {
    /// "client type nodejs, from services/api/package.json"
    pub fn client_description(&self) -> String {
        match (&self.client_type, &self.app_settings) {
            (Some(client), _) => format!("client type {}, {}", client.value, client.reason),
            (None, Some(settings)) => format!(
                "variables set directly as app settings in {}, no Service Connector connection",
                settings.at
            ),
            (None, None) => "client type unknown".to_string(),
        }
    }

    /// The client description, with the auth description for Azure PostgreSQL (Neon has one
    /// auth type): what the status bar, `describeConnection` and hover say about a connection.
    pub fn description(&self) -> String {
        if self.target == Target::AzurePostgresql {
            format!("{}; {}", self.client_description(), self.auth_description())
        } else {
            self.client_description()
        }
    }

    /// "auth user-identity, because the code reads AZURE_POSTGRESQL_CLIENTID"
    pub fn auth_description(&self) -> String {
        format!("auth {}, {}", self.auth.value, self.auth.reason)
    }

    /// Whether reading `name` is wrong only because the declared client type or auth type
    /// contradicts the code (`declared-client-type-mismatch` / `declared-auth-mismatch` report
    /// that mistake once, on the declaration): the name is set for the client type the code
    /// implies, or it is the password a passwordless declaration withholds.
    pub fn wrong_only_by_declaration(&self, name: &str) -> bool {
        let Some(declaration) = &self.declaration else {
            return false;
        };
        let declared_client = matches!(
            self.client_type.as_ref().map(|c| &c.reason),
            Some(Reason::Declared(_))
        );
        if declared_client
            && let (Some(client), Some(implied)) = (&self.client_type, &self.code_client)
            && client.value != implied.value
            && catalogue::variables(
                self.target,
                implied.value,
                self.auth.value,
                self.name.as_deref(),
            )
            .is_ok_and(|vars| vars.iter().any(|v| v.name == name))
        {
            return true;
        }
        matches!(self.auth.reason, Reason::Declared(_))
            && declaration.auth.is_some()
            && self.auth.value.is_passwordless()
            && catalogue::parse_name(name).is_some_and(|p| p.field == Field::Password)
    }

    pub fn variable(&self, name: &str) -> Option<&Variable> {
        self.variables.iter().find(|v| v.name == name)
    }

    /// The `customizedKeys` in effect, as (Service Connector's name, the name the app gets):
    /// the deployed linker's when one applies, else the declared linker's. `variables` already
    /// carries the renamed names; snippets and messages use this to say so.
    pub fn renames(&self) -> &[(String, String)] {
        if let Some((linker, _)) = &self.deployed {
            return &linker.customized_keys;
        }
        self.declaration
            .as_ref()
            .map_or(&[], |d| d.customized_keys.as_slice())
    }

    /// The environment variable the app reads for a catalogue field, after `customizedKeys`
    /// (`Field::Host` → `DB_HOST` when the linker renames `AZURE_POSTGRESQL_HOST`); `None` when
    /// Service Connector sets no variable for that field on this connection.
    pub fn env_name(&self, field: Field) -> Option<&str> {
        self.env_variables()
            .find(|v| v.field() == Some(field))
            .map(|v| v.name.as_str())
    }

    /// Service Connector's own name for a variable `customizedKeys` renamed (`DB_HOST` →
    /// `AZURE_POSTGRESQL_HOST`).
    pub fn original_name(&self, name: &str) -> Option<&str> {
        self.renames()
            .iter()
            .find(|(_, to)| to == name)
            .map(|(from, _)| from.as_str())
    }

    /// The name `customizedKeys` gives Service Connector's `default_name`, if it renames it.
    pub fn renamed_to(&self, default_name: &str) -> Option<&str> {
        self.renames()
            .iter()
            .find(|(from, _)| from == default_name)
            .map(|(_, to)| to.as_str())
    }

    /// Where the renames are written: "customizedKeys of infra/main.bicep:55" or "customizedKeys
    /// of the deployed connection pg of app-web".
    pub fn renames_source(&self) -> Option<String> {
        if self.renames().is_empty() {
            return None;
        }
        Some(match (&self.deployed, &self.declaration) {
            (Some((linker, app)), _) => format!(
                "customizedKeys of the deployed connection {} of {app}",
                linker.name
            ),
            (None, Some(declaration)) => format!("customizedKeys of {}", declaration.at),
            (None, None) => "customizedKeys".to_string(),
        })
    }

    /// "DB_HOST is AZURE_POSTGRESQL_HOST renamed by customizedKeys of infra/main.bicep:55", or
    /// "AZURE_POSTGRESQL_HOST is renamed to DB_HOST by …": `None` when no rename touches `name`.
    pub fn rename_note(&self, name: &str) -> Option<String> {
        let source = self.renames_source()?;
        if let Some(original) = self.original_name(name) {
            return Some(format!("{name} is {original} renamed by {source}"));
        }
        self.renamed_to(name)
            .map(|to| format!("{name} is renamed to {to} by {source}"))
    }

    pub fn env_variables(&self) -> impl Iterator<Item = &Variable> {
        self.variables.iter().filter(|v| v.field().is_some())
    }

    pub fn covers_dir(&self, dir: &str) -> bool {
        self.scopes.iter().any(|scope| is_within(dir, scope))
    }

    /// Whether an env file at `path` (in folder `dir`) belongs to this connection: its name
    /// matches the patterns and it sits in a scope folder, above one, or inside one.
    pub fn env_file_in_scope(&self, path: &str, dir: &str) -> bool {
        let name = path.rsplit('/').next().unwrap_or(path);
        let name_matches = self.env_file_patterns.iter().any(|pattern| {
            if pattern.contains('/') {
                pattern == path
            } else {
                glob_matches(pattern, name)
            }
        });
        name_matches
            && self
                .scopes
                .iter()
                .any(|scope| is_within(dir, scope) || is_within(scope, dir))
    }
}

/// Default .env files of a connection (PRODUCT.md "Configuration").
pub const DEFAULT_ENV_FILES: &[&str] = &[".env", ".env.local", ".env.development", ".env.*.local"];

/// `dir` is `scope` or below it.
pub fn is_within(dir: &str, scope: &str) -> bool {
    scope.is_empty()
        || dir == scope
        || (dir.starts_with(scope) && dir.as_bytes().get(scope.len()) == Some(&b'/'))
}

/// `*` matches any run of characters; nothing else is special.
fn glob_matches(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == name,
        Some((head, tail)) => {
            name.len() >= head.len() + tail.len()
                && name.starts_with(head)
                && glob_matches_tail(tail, &name[head.len()..])
        }
    }
}

fn glob_matches_tail(pattern: &str, name: &str) -> bool {
    if !pattern.contains('*') {
        return name.ends_with(pattern);
    }
    (0..=name.len())
        .filter(|i| name.is_char_boundary(*i))
        .any(|i| glob_matches(pattern, &name[i..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_and_scopes() {
        assert!(glob_matches(".env.*.local", ".env.production.local"));
        assert!(!glob_matches(".env.*.local", ".env.local"));
        assert!(glob_matches(".env", ".env"));
        assert!(is_within("services/api/src", "services/api"));
        assert!(!is_within("services/apiary", "services/api"));
        assert!(is_within("anything", ""));
    }
}
