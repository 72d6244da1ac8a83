//! The deployed configuration in the editor: what `check --azure` reads, for the language
//! server, behind the setting `neon-lsp.azure.deployed` (off by default).
//!
//! - Nothing blocks typing: a root's first analysis with the setting on starts the read in a
//!   background task and goes on without it; the task stores the apps, tells the editor
//!   (`neon-lsp/deployedStatus`) and re-publishes the root.
//! - Every successful read is cached on disk in the user's cache directory
//!   (`<cache>/neon-lsp/deployed/<resource id>.json`, one file per app, with the fetch time):
//!   names, client and auth types, Key Vault flags — the model has no field for a value.
//! - When Azure cannot be read (offline, no credentials), the cached apps are used and the
//!   status says how old they are; with no cache the status says why nothing was read.
//! - `neon-lsp.refreshDeployed` reads again now (the palette's "Refresh Deployed Configuration").

use super::log::Level;
use super::{Backend, lock};
use crate::audience::Audience;
use crate::azure::AppTarget;
use crate::azure::apps::{self as apps, AzureArgs};
use crate::deployed::{ConfigurationName, DeployedApp, DeployedLinker, ResourceId};
use crate::workspace::Workspace;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};
use tower_lsp_server::jsonrpc::Result as RpcResult;

/// The refresh command.
pub(super) const REFRESH_DEPLOYED: &str = "neon-lsp.refreshDeployed";

/// `neon-lsp/deployedStatus`: `{root, text, tooltip, fromCache, ageSeconds}` for a status bar.
enum DeployedStatus {}

impl tower_lsp_server::ls_types::notification::Notification for DeployedStatus {
    type Params = Value;
    const METHOD: &'static str = "neon-lsp/deployedStatus";
}

#[derive(Default)]
pub(super) struct DeployedState {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    enabled: bool,
    roots: HashMap<PathBuf, Entry>,
}

#[derive(Default)]
struct Entry {
    apps: Vec<DeployedApp>,
    fetching: bool,
    fetched: bool,
}

impl DeployedState {
    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Turns the read on or off: the setting `azure.deployed`, read with the other editor
    /// settings by `EditorSettings` (the one settings parser).
    pub(super) fn set_enabled(&self, enabled: bool) {
        self.inner().enabled = enabled;
    }
}

impl Backend {
    /// The analysis options for a root with its deployed apps, when the setting is on. The
    /// first call for a root starts the read in the background and returns at once.
    pub(super) fn with_deployed(
        &self,
        index: usize,
        root: &Path,
        workspace: &Workspace,
        mut options: crate::analysis::Options,
    ) -> crate::analysis::Options {
        let start = {
            let mut inner = self.deployed.inner();
            if !inner.enabled {
                return options;
            }
            let entry = inner.roots.entry(root.to_path_buf()).or_default();
            options.deployed = entry.apps.clone();
            let start = !entry.fetched && !entry.fetching;
            if start {
                entry.fetching = true;
            }
            start
        };
        if start {
            let this = self.clone();
            let root = root.to_path_buf();
            let workspace = workspace.clone();
            tokio::spawn(async move {
                this.read_deployed(index, &root, &workspace).await;
                this.republish(index).await;
            });
        }
        options
    }

    /// `neon-lsp.refreshDeployed` → the new status of every root (read again now).
    pub(super) async fn refresh_deployed(&self) -> RpcResult<Option<Value>> {
        if !self.deployed.inner().enabled {
            return Ok(Some(json!({
                "enabled": false,
                "message": "reading the deployed configuration is off: turn on the setting neon-lsp.azure.deployed"
            })));
        }
        let count = lock(&self.state).roots.len();
        let mut statuses = Vec::new();
        for index in 0..count {
            self.wait_until_scanned(index).await;
            let Some((root, workspace)) = ({
                let state = lock(&self.state);
                state
                    .roots
                    .get(index)
                    .map(|r| (r.path.clone(), super::snapshot(r)))
            }) else {
                continue;
            };
            statuses.push(self.read_deployed(index, &root, &workspace).await);
            self.republish(index).await;
        }
        Ok(Some(json!({"enabled": true, "roots": statuses})))
    }

    /// Reads the root's apps (or falls back to the cache), stores them, sends the status.
    async fn read_deployed(&self, _index: usize, root: &Path, workspace: &Workspace) -> Value {
        let args = AzureArgs::default();
        let outcome = match apps::targets_in(&args, root, workspace, Audience::Editor) {
            Err(message) => Outcome::Unavailable(message),
            Ok(targets) => {
                let client = self.client.clone();
                let logger = self.logger.clone();
                let notice: crate::neon::api::Notice = std::sync::Arc::new(move |text: &str| {
                    let (client, logger, text) = (client.clone(), logger.clone(), text.to_string());
                    tokio::spawn(async move {
                        logger
                            .log(&client, Level::Info, format!("deployed: {text}"))
                            .await;
                    });
                });
                match apps::read_targets(&args, &targets, notice).await {
                    Ok(apps) => {
                        let now = unix_now();
                        for (target, app) in targets.iter().zip(&apps) {
                            if let Err(error) = store(target, app, now) {
                                self.logger
                                    .log(
                                        &self.client,
                                        Level::Warning,
                                        format!("deployed: the cache was not written: {error}"),
                                    )
                                    .await;
                            }
                        }
                        Outcome::Fresh(apps)
                    }
                    Err(error) => match load_all(&targets) {
                        Some((apps, fetched_at)) => Outcome::Cached {
                            apps,
                            age: unix_now().saturating_sub(fetched_at),
                            error,
                        },
                        None => Outcome::Unavailable(error),
                    },
                }
            }
        };
        let status = outcome.status(root);
        let message = match &outcome {
            Outcome::Fresh(apps) => format!(
                "deployed: read {} app(s) from Azure Resource Manager",
                apps.len()
            ),
            Outcome::Cached { age, error, .. } => format!(
                "deployed: Azure could not be read ({error}); using the cached deployed configuration from {}",
                age_text(*age)
            ),
            Outcome::Unavailable(error) => {
                format!("deployed: the deployed configuration is not available: {error}")
            }
        };
        self.logger.log(&self.client, Level::Info, message).await;
        {
            let mut inner = self.deployed.inner();
            let entry = inner.roots.entry(root.to_path_buf()).or_default();
            entry.apps = match outcome {
                Outcome::Fresh(apps) | Outcome::Cached { apps, .. } => apps,
                Outcome::Unavailable(_) => Vec::new(),
            };
            entry.fetched = true;
            entry.fetching = false;
        }
        self.client
            .send_notification::<DeployedStatus>(status.clone())
            .await;
        status
    }
}

enum Outcome {
    Fresh(Vec<DeployedApp>),
    Cached {
        apps: Vec<DeployedApp>,
        age: u64,
        error: String,
    },
    Unavailable(String),
}

impl Outcome {
    fn status(&self, root: &Path) -> Value {
        match self {
            Outcome::Fresh(apps) => json!({
                "root": root.display().to_string(),
                "text": status_text(apps),
                "tooltip": tooltip(apps),
                "fromCache": false,
                "ageSeconds": 0,
            }),
            Outcome::Cached { apps, age, error } => json!({
                "root": root.display().to_string(),
                "text": format!("{} (cached, {})", status_text(apps), age_text(*age)),
                "tooltip": format!("{}\nFrom the cache, read {}: Azure could not be read now ({error}).", tooltip(apps), age_text(*age)),
                "fromCache": true,
                "ageSeconds": age,
            }),
            Outcome::Unavailable(error) => json!({
                "root": root.display().to_string(),
                "text": "deployed: unavailable",
                "tooltip": error,
                "fromCache": false,
                "ageSeconds": Value::Null,
            }),
        }
    }
}

/// "deployed: nodejs · secret", from the first Postgres connection ("(+1)" when there are more).
pub(super) fn status_text(apps: &[DeployedApp]) -> String {
    let linkers: Vec<&DeployedLinker> = apps
        .iter()
        .flat_map(|app| &app.linkers)
        .filter(|linker| linker.target.is_some())
        .collect();
    let Some(first) = linkers.first() else {
        return "deployed: no Postgres connection".to_string();
    };
    let mut text = format!(
        "deployed: {} · {}",
        first
            .client_type_raw
            .as_deref()
            .unwrap_or("client type unknown"),
        first.auth_raw.as_deref().unwrap_or("auth unknown")
    );
    if linkers.len() > 1 {
        text.push_str(&format!(" (+{})", linkers.len() - 1));
    }
    text
}

/// One line per app and connection (names only).
fn tooltip(apps: &[DeployedApp]) -> String {
    apps.iter()
        .map(apps::summary)
        .collect::<Vec<_>>()
        .join("\n")
}

/// "3 min ago", "2 h ago", "4 days ago".
pub(super) fn age_text(seconds: u64) -> String {
    match seconds {
        0..60 => "just now".to_string(),
        60..3600 => format!("{} min ago", seconds / 60),
        3600..172_800 => format!("{} h ago", seconds / 3600),
        _ => format!("{} days ago", seconds / 86_400),
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

// The disk cache. Plain names and flags: nothing here can hold a secret value.

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CachedApp {
    /// The app as it was named (the cache key).
    target: String,
    /// The app as found (a container app behind an azd name, for instance).
    resource_id: String,
    fetched_at: u64,
    scope: String,
    named_by: String,
    linkers: Vec<CachedLinker>,
    setting_names: Option<Vec<String>>,
    key_vault_settings: Vec<String>,
    notes: Vec<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CachedLinker {
    name: String,
    client_type: Option<String>,
    auth_type: Option<String>,
    target_id: Option<String>,
    customized_keys: Vec<(String, String)>,
    key_vault_id: Option<String>,
    /// (name, is a Key Vault reference).
    configurations: Option<Vec<(String, bool)>>,
}

fn cache_dir() -> Option<PathBuf> {
    Some(dirs::cache_dir()?.join("neon-lsp").join("deployed"))
}

/// The cache file of an app: its resource id, lower case, with every other character than
/// letters, digits, `-` and `.` as `_`.
fn cache_file(resource: &ResourceId) -> Option<PathBuf> {
    let name: String = resource
        .id
        .to_ascii_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    Some(cache_dir()?.join(format!("{}.json", name.trim_start_matches('_'))))
}

fn store(target: &AppTarget, app: &DeployedApp, fetched_at: u64) -> Result<(), String> {
    let path = cache_file(&target.resource).ok_or("no cache directory on this system")?;
    let cached = CachedApp {
        target: target.resource.id.clone(),
        resource_id: app.resource.id.clone(),
        fetched_at,
        scope: app.scope.clone(),
        named_by: app.named_by.clone(),
        linkers: app
            .linkers
            .iter()
            .map(|l| CachedLinker {
                name: l.name.clone(),
                client_type: l.client_type_raw.clone(),
                auth_type: l.auth_raw.clone(),
                target_id: l.target_id.clone(),
                customized_keys: l.customized_keys.clone(),
                key_vault_id: l.key_vault_id.clone(),
                configurations: l.configurations.as_ref().map(|names| {
                    names
                        .iter()
                        .map(|c| (c.name.clone(), c.key_vault_reference))
                        .collect()
                }),
            })
            .collect(),
        setting_names: app.setting_names.clone(),
        key_vault_settings: app.key_vault_settings.clone(),
        notes: app.notes.clone(),
    };
    let text = serde_json::to_string_pretty(&cached).map_err(|e| e.to_string())?;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    let temporary = path.with_extension("json.tmp");
    std::fs::write(&temporary, text)
        .map_err(|e| format!("cannot write {}: {e}", temporary.display()))?;
    std::fs::rename(&temporary, &path)
        .map_err(|e| format!("cannot replace {}: {e}", path.display()))
}

fn load(target: &AppTarget) -> Option<(DeployedApp, u64)> {
    let text = std::fs::read_to_string(cache_file(&target.resource)?).ok()?;
    let cached: CachedApp = serde_json::from_str(&text).ok()?;
    if !cached.target.eq_ignore_ascii_case(&target.resource.id) {
        return None;
    }
    let resource = ResourceId::parse(&cached.resource_id).ok()?;
    let linkers = cached
        .linkers
        .into_iter()
        .map(|l| DeployedLinker {
            configurations: l.configurations.map(|names| {
                names
                    .into_iter()
                    .map(|(name, key_vault_reference)| ConfigurationName {
                        name,
                        key_vault_reference,
                    })
                    .collect()
            }),
            ..DeployedLinker::from_raw(
                l.name,
                l.client_type,
                l.auth_type,
                l.target_id,
                l.customized_keys,
                l.key_vault_id,
            )
        })
        .collect();
    Some((
        DeployedApp {
            resource,
            // The scope and the naming come from the workspace as it is now.
            scope: target.scope.clone(),
            named_by: cached.named_by,
            linkers,
            setting_names: cached.setting_names,
            key_vault_settings: cached.key_vault_settings,
            notes: cached.notes,
        },
        cached.fetched_at,
    ))
}

/// Every target's cached app and the oldest fetch time; `None` unless all are cached.
fn load_all(targets: &[AppTarget]) -> Option<(Vec<DeployedApp>, u64)> {
    let mut apps = Vec::new();
    let mut oldest = u64::MAX;
    for target in targets {
        let (app, fetched_at) = load(target)?;
        oldest = oldest.min(fetched_at);
        apps.push(app);
    }
    (!apps.is_empty()).then_some((apps, oldest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deployed::AppKind;

    #[test]
    fn status_text_names_the_first_postgres_connection() {
        let linker = DeployedLinker::from_raw(
            "neon_pg".into(),
            Some("nodejs".into()),
            Some("secret".into()),
            Some(
                "/subscriptions/s/resourceGroups/g/providers/Neon.Postgres/organizations/o".into(),
            ),
            Vec::new(),
            None,
        );
        let mut app = DeployedApp {
            resource: ResourceId::of("s", "g", AppKind::WebSite, "app-web"),
            scope: String::new(),
            named_by: "test".into(),
            linkers: vec![linker.clone()],
            setting_names: None,
            key_vault_settings: Vec::new(),
            notes: Vec::new(),
        };
        assert_eq!(
            status_text(std::slice::from_ref(&app)),
            "deployed: nodejs · secret"
        );
        app.linkers.push(DeployedLinker {
            name: "second".into(),
            ..linker
        });
        assert_eq!(status_text(&[app]), "deployed: nodejs · secret (+1)");
        assert_eq!(status_text(&[]), "deployed: no Postgres connection");
        assert_eq!(age_text(30), "just now");
        assert_eq!(age_text(7200), "2 h ago");
        assert_eq!(age_text(3 * 86_400), "3 days ago");
    }
}
