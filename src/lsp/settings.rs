//! The editor's settings: reading the `neon-lsp` section (initializationOptions,
//! workspace/configuration, didChangeConfiguration) into analysis options.

use super::log::Level;
use super::{Backend, lock};
use crate::analysis::Options;
use tower_lsp_server::ls_types as lsp;

/// Editor settings → analysis options. Keys mirror neon-lsp.toml (`target`, `client-type`,
/// `auth`); camelCase spellings (`clientType`) are accepted as editors write them.
/// Every settings key the server reads, in the editors' camelCase and neon-lsp.toml's spelling.
/// The Neovim plugin's checked keys are pinned to this list (`tests/editor_files.rs`).
pub const SETTING_KEYS: &[&str] = &[
    "target",
    "clientType",
    "client-type",
    "auth",
    "envFiles",
    "env-files",
    "rules",
    "docsUrl",
    "docs-url",
    "azure",
];

/// Keys of the VS Code extension's own settings, sent along in the `neon-lsp` section.
const CLIENT_SETTING_KEYS: &[&str] = &["server", "trace"];

/// A warning for each settings key the server does not read (with the nearest known key), so
/// a misspelt setting is logged instead of silently dropped.
pub(super) fn unknown_setting_warnings(settings: &serde_json::Value) -> Vec<String> {
    let Some(object) = settings.as_object() else {
        return Vec::new();
    };
    object
        .keys()
        .filter(|key| !SETTING_KEYS.contains(&key.as_str()))
        .filter(|key| !CLIENT_SETTING_KEYS.contains(&key.as_str()))
        .map(|key| {
            let near = crate::catalogue::closest(key, SETTING_KEYS.iter().copied())
                .map(|near| format!("; did you mean \"{near}\"?"))
                .unwrap_or_default();
            format!("neon-lsp settings: unknown key \"{key}\" is ignored{near}")
        })
        .collect()
}

pub(super) fn settings_to_options(settings: &serde_json::Value) -> Result<Options, String> {
    let get = |keys: &[&str]| {
        keys.iter()
            .find_map(|k| settings.get(*k).and_then(|v| v.as_str()))
            .filter(|v| !v.is_empty())
    };
    let mut options = Options {
        source: crate::analysis::OptionsSource::EditorSettings,
        ..Options::default()
    };
    if let Some(value) = get(&["target"]) {
        options.target = Some(crate::catalogue::Target::from_id(value).ok_or_else(|| {
            format!("unknown target \"{value}\": expected \"neon\" or \"azure-postgresql\"")
        })?);
    }
    if let Some(value) = get(&["client-type", "clientType"]) {
        options.client_type = Some(
            crate::catalogue::ClientType::from_id(value)
                .ok_or_else(|| format!("unknown client type \"{value}\""))?,
        );
    }
    if let Some(value) = get(&["auth"]) {
        options.auth = Some(
            crate::catalogue::AuthType::from_id(value)
                .ok_or_else(|| format!("unknown auth type \"{value}\""))?,
        );
    }
    if let Some(value) = ["env-files", "envFiles"]
        .iter()
        .find_map(|k| settings.get(*k))
        .filter(|v| !v.is_null())
    {
        let files = value
            .as_array()
            .and_then(|items| {
                items
                    .iter()
                    .map(|item| item.as_str().map(str::to_owned))
                    .collect::<Option<Vec<_>>>()
            })
            .ok_or_else(|| format!("envFiles must be a list of file names, not {value}"))?;
        options.env_files = (!files.is_empty()).then_some(files);
    }
    if let Some(rules) = settings.get("rules").and_then(|v| v.as_object()) {
        for (id, level) in rules {
            let rule = crate::rules::Rule::from_id(id).ok_or_else(|| {
                let ids = crate::rules::Rule::ALL.iter().map(|r| r.id());
                match crate::catalogue::closest(id, ids) {
                    Some(near) => {
                        format!("unknown rule \"{id}\" in rules; did you mean \"{near}\"?")
                    }
                    None => format!("unknown rule \"{id}\" in rules"),
                }
            })?;
            let level = level
                .as_str()
                .and_then(crate::config::RuleLevel::from_id)
                .ok_or_else(|| {
                    format!("rules.{id} must be \"off\", \"hint\", \"info\", \"warning\" or \"error\", not {level}")
                })?;
            options.rules.insert(rule, level);
        }
    }
    Ok(options)
}

impl Backend {
    /// Asks the client for the `neon-lsp` settings section (`workspace/configuration`).
    /// The editor's settings as options: unknown keys logged as warnings, a bad value shown
    /// to the user (`None`, the caller keeps what it had).
    pub(super) async fn read_settings(&self, settings: &serde_json::Value) -> Option<Options> {
        self.deployed.read_setting(settings);
        for warning in unknown_setting_warnings(settings) {
            self.logger.log(&self.client, Level::Warning, warning).await;
        }
        match settings_to_options(settings) {
            Ok(options) => Some(options),
            Err(message) => {
                self.client
                    .show_message(
                        lsp::MessageType::ERROR,
                        format!("neon-lsp settings: {message}"),
                    )
                    .await;
                None
            }
        }
    }

    pub(super) async fn pull_settings(&self) {
        if !lock(&self.state).pulls_configuration {
            return;
        }
        let item = lsp::ConfigurationItem {
            scope_uri: None,
            section: Some("neon-lsp".to_string()),
        };
        match self.client.configuration(vec![item]).await {
            Ok(values) => {
                if let Some(settings) = values.first().filter(|v| v.is_object())
                    && let Some(options) = self.read_settings(settings).await
                {
                    lock(&self.state).options = options;
                }
            }
            Err(error) => {
                self.logger
                    .log(
                        &self.client,
                        Level::Warning,
                        format!("workspace/configuration failed: {error}"),
                    )
                    .await;
            }
        }
    }

    pub(super) async fn handle_did_change_configuration(
        &self,
        params: lsp::DidChangeConfigurationParams,
    ) {
        if params.settings.get("neon-lsp").is_none() && lock(&self.state).pulls_configuration {
            // Pull-model clients send an empty notification: ask for the section.
            self.pull_settings().await;
            self.republish_all().await;
            return;
        }
        let settings = params.settings.get("neon-lsp").unwrap_or(&params.settings);
        let Some(options) = self.read_settings(settings).await else {
            return;
        };
        lock(&self.state).options = options;
        self.republish_all().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RuleLevel;
    use crate::diagnostic::Severity;
    use crate::rules::Rule;
    use serde_json::json;

    #[test]
    fn unknown_settings_are_warned_about_with_the_nearest_key() {
        let warnings = unknown_setting_warnings(&json!({
            "clientTyp": "go",
            "docsUrl": "https://example.test/{rule}",
            "trace": {"server": "off"},
            "server": {"path": "/bin/neon-lsp"},
            "envFiles": [".env"]
        }));
        assert_eq!(
            warnings,
            [
                "neon-lsp settings: unknown key \"clientTyp\" is ignored; did you mean \"clientType\"?"
            ]
        );
    }

    #[test]
    fn settings_carry_every_neon_lsp_toml_key_in_either_spelling() {
        let options = settings_to_options(&json!({
            "target": "azure-postgresql",
            "clientType": "nodejs",
            "auth": "user-identity",
            "envFiles": [".env.production"],
            "rules": {"unused-env-variable": "off", "tls-disabled": "error"},
            "trace": {"server": "verbose"}
        }))
        .unwrap();
        assert_eq!(options.env_files, Some(vec![".env.production".to_string()]));
        assert_eq!(options.rules[&Rule::UnusedEnvVariable], RuleLevel::Off);
        assert_eq!(
            options.rules[&Rule::TlsDisabled],
            RuleLevel::Severity(Severity::Error)
        );
        let kebab =
            settings_to_options(&json!({"env-files": [".env"], "client-type": "go"})).unwrap();
        assert_eq!(kebab.env_files, Some(vec![".env".to_string()]));
        assert_eq!(kebab.client_type, Some(crate::catalogue::ClientType::Go));
        // An empty list means "not set" (VS Code sends the default []).
        assert_eq!(
            settings_to_options(&json!({"envFiles": []}))
                .unwrap()
                .env_files,
            None
        );
    }

    #[test]
    fn bad_settings_say_what_is_wrong() {
        let error =
            settings_to_options(&json!({"rules": {"unused-env-variabel": "off"}})).unwrap_err();
        assert!(
            error.contains("did you mean \"unused-env-variable\""),
            "{error}"
        );
        let error = settings_to_options(&json!({"rules": {"tls-disabled": "loud"}})).unwrap_err();
        assert!(error.contains("rules.tls-disabled must be"), "{error}");
        let error = settings_to_options(&json!({"envFiles": ".env"})).unwrap_err();
        assert!(error.contains("envFiles must be a list"), "{error}");
    }
}
