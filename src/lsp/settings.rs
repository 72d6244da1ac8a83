//! The editor's settings: reading the `neon-lsp` section (initializationOptions,
//! workspace/configuration, didChangeConfiguration) into analysis options.

use super::log::Level;
use super::{Backend, lock};
use crate::analysis::Options;
use crate::catalogue::{AuthType, ClientType, Target};
use crate::config::{RuleLevel, Word, check_target_auth, parse_word};
use crate::rules::Rule;
use serde::Deserialize;
use std::collections::BTreeMap;
use tower_lsp_server::ls_types as lsp;

/// Every settings key the server reads, in the editors' camelCase and neon-lsp.toml's spelling:
/// the fields of [`EditorSettings`] and their aliases (pinned by a test below). The Neovim
/// plugin's checked keys are pinned to this list (`tests/editor_files.rs`).
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

/// The `neon-lsp` settings section as the editors send it (initializationOptions,
/// workspace/configuration, didChangeConfiguration). Keys mirror neon-lsp.toml; the editors'
/// camelCase (`clientType`) and the file's kebab-case (`client-type`) are both read. Words go
/// through the settings vocabulary's one parser (`config::parse_word`), as clap and
/// neon-lsp.toml do. Unknown keys are ignored here and warned about
/// ([`unknown_setting_warnings`]); a wrong value is an error naming the setting.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EditorSettings {
    #[serde(default, deserialize_with = "optional_word")]
    pub target: Option<Target>,
    #[serde(default, alias = "client-type", deserialize_with = "optional_word")]
    pub client_type: Option<ClientType>,
    #[serde(default, deserialize_with = "optional_word")]
    pub auth: Option<AuthType>,
    /// .env files to read instead of the defaults; an empty list means "not set" (VS Code
    /// sends the default `[]`).
    #[serde(default, alias = "env-files")]
    pub env_files: Option<Vec<String>>,
    /// Rule levels by rule id, as neon-lsp.toml's `[rules]`.
    #[serde(default)]
    pub rules: Option<BTreeMap<Spelled<Rule>, Spelled<RuleLevel>>>,
    /// A template for the diagnostics' documentation links (`{rule}` is replaced).
    #[serde(default, alias = "docs-url")]
    pub docs_url: Option<String>,
    /// `azure.deployed`: read the deployed configuration from Azure (`deployed.rs`).
    #[serde(default)]
    pub azure: Option<AzureSettings>,
}

/// The `azure` settings object.
#[derive(Debug, Default, Deserialize)]
pub struct AzureSettings {
    #[serde(default)]
    pub deployed: Option<bool>,
}

/// A word of the settings vocabulary read from the editor settings (a rule id or level in
/// `rules`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Spelled<T>(pub T);

impl<'de, T: Word> Deserialize<'de> for Spelled<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let word = String::deserialize(deserializer)?;
        parse_word(&word)
            .map(Spelled)
            .map_err(serde::de::Error::custom)
    }
}

/// A word setting: `null` and `""` mean "not set" (the editors' defaults).
fn optional_word<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Word,
{
    match Option::<String>::deserialize(deserializer)? {
        None => Ok(None),
        Some(word) if word.is_empty() => Ok(None),
        Some(word) => parse_word(&word)
            .map(Some)
            .map_err(serde::de::Error::custom),
    }
}

impl EditorSettings {
    /// Reads the section; the error names the setting ("clientType: unknown client type …").
    pub fn parse(settings: &serde_json::Value) -> Result<EditorSettings, String> {
        if settings.is_null() {
            return Ok(EditorSettings::default());
        }
        if !settings.is_object() {
            // serde would read a list as the fields in order.
            let kind = match settings {
                serde_json::Value::Array(_) => "a list",
                serde_json::Value::String(_) => "a string",
                serde_json::Value::Number(_) => "a number",
                _ => "a boolean",
            };
            return Err(format!(
                "the neon-lsp section must be an object of settings, not {kind}"
            ));
        }
        let parsed: EditorSettings = serde_path_to_error::deserialize(settings)
            .map_err(|error| format!("\"{}\": {}", error.path(), error.inner()))?;
        if let (Some(target), Some(auth)) = (parsed.target, parsed.auth) {
            check_target_auth(target, auth).map_err(|message| format!("\"auth\": {message}"))?;
        }
        Ok(parsed)
    }

    /// The analysis options these settings give ("from the editor settings").
    pub fn options(&self) -> Options {
        Options {
            source: crate::analysis::OptionsSource::EditorSettings,
            target: self.target,
            client_type: self.client_type,
            auth: self.auth,
            env_files: self.env_files.clone().filter(|files| !files.is_empty()),
            rules: self
                .rules
                .iter()
                .flatten()
                .map(|(rule, level)| (rule.0, level.0))
                .collect(),
            ..Options::default()
        }
    }
}

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

impl Backend {
    /// The editor's settings: unknown keys logged as warnings, a bad value shown to the user
    /// (`None`, the caller keeps what it had).
    pub(super) async fn read_settings(
        &self,
        settings: &serde_json::Value,
    ) -> Option<EditorSettings> {
        for warning in unknown_setting_warnings(settings) {
            self.logger.log(&self.client, Level::Warning, warning).await;
        }
        match EditorSettings::parse(settings) {
            Ok(settings) => {
                let deployed = settings.azure.as_ref().and_then(|azure| azure.deployed);
                self.deployed.set_enabled(deployed.unwrap_or(false));
                Some(settings)
            }
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

    /// Asks the client for the `neon-lsp` settings section (`workspace/configuration`).
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
                    && let Some(settings) = self.read_settings(settings).await
                {
                    lock(&self.state).options = settings.options();
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
        let Some(settings) = self.read_settings(settings).await else {
            return;
        };
        lock(&self.state).options = settings.options();
        self.republish_all().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Severity;
    use serde_json::json;

    fn settings_to_options(settings: &serde_json::Value) -> Result<Options, String> {
        EditorSettings::parse(settings).map(|settings| settings.options())
    }

    #[test]
    fn unknown_settings_are_warned_about_with_the_nearest_key() {
        let settings = json!({
            "clientTyp": "go",
            "docsUrl": "https://example.test/{rule}",
            "trace": {"server": "off"},
            "server": {"path": "/bin/neon-lsp"},
            "envFiles": [".env"]
        });
        assert_eq!(
            unknown_setting_warnings(&settings),
            [
                "neon-lsp settings: unknown key \"clientTyp\" is ignored; did you mean \"clientType\"?"
            ]
        );
        // Warned about, not an error: the other settings still apply.
        let parsed = EditorSettings::parse(&settings).unwrap();
        assert_eq!(
            parsed.docs_url.as_deref(),
            Some("https://example.test/{rule}")
        );
        assert_eq!(parsed.client_type, None);
    }

    #[test]
    fn every_setting_key_is_a_field_of_the_typed_settings() {
        // A value of the wrong type for each key fails naming that key: the struct reads it.
        for key in SETTING_KEYS {
            let error = EditorSettings::parse(&json!({ *key: 12345 })).unwrap_err();
            assert!(error.starts_with(&format!("\"{key}\": ")), "{key}: {error}");
        }
        // Keys of the extension's own settings and unknown keys are not read.
        for key in CLIENT_SETTING_KEYS.iter().chain(&["clientTyp"]) {
            assert!(
                EditorSettings::parse(&json!({ *key: 12345 })).is_ok(),
                "{key}"
            );
        }
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
        assert_eq!(
            options.source,
            crate::analysis::OptionsSource::EditorSettings
        );
        assert_eq!(options.target, Some(Target::AzurePostgresql));
        assert_eq!(options.auth, Some(AuthType::UserIdentity));
        assert_eq!(options.env_files, Some(vec![".env.production".to_string()]));
        assert_eq!(options.rules[&Rule::UnusedEnvVariable], RuleLevel::Off);
        assert_eq!(
            options.rules[&Rule::TlsDisabled],
            RuleLevel::Severity(Severity::Error)
        );
        let kebab =
            settings_to_options(&json!({"env-files": [".env"], "client-type": "go"})).unwrap();
        assert_eq!(kebab.env_files, Some(vec![".env".to_string()]));
        assert_eq!(kebab.client_type, Some(ClientType::Go));
        // An empty list, an empty word and null mean "not set" (VS Code's defaults).
        let defaults = settings_to_options(
            &json!({"envFiles": [], "target": "", "clientType": null, "auth": null, "rules": null}),
        )
        .unwrap();
        assert_eq!(defaults.env_files, None);
        assert_eq!(defaults.target, None);
        assert_eq!(defaults.client_type, None);
        assert!(defaults.rules.is_empty());
        assert!(EditorSettings::parse(&serde_json::Value::Null).is_ok());
    }

    #[test]
    fn bad_settings_name_the_setting_and_say_what_is_wrong() {
        let error =
            settings_to_options(&json!({"rules": {"unused-env-variabel": "off"}})).unwrap_err();
        assert!(
            error.starts_with("\"rules.unused-env-variabel\": unknown rule")
                && error.contains("did you mean \"unused-env-variable\""),
            "{error}"
        );
        let error = settings_to_options(&json!({"rules": {"tls-disabled": "loud"}})).unwrap_err();
        assert_eq!(
            error,
            "\"rules.tls-disabled\": unknown rule level \"loud\": expected one of \"off\", \"hint\", \"info\", \"warning\", \"error\""
        );
        let error = settings_to_options(&json!({"envFiles": ".env"})).unwrap_err();
        assert!(error.starts_with("\"envFiles\": invalid type"), "{error}");
        let error = settings_to_options(&json!({"clientType": "nodej"})).unwrap_err();
        assert!(
            error.starts_with(
                "\"clientType\": unknown client type \"nodej\": did you mean \"nodejs\"?"
            ),
            "{error}"
        );
        let error = settings_to_options(&json!({"client-type": "nodej"})).unwrap_err();
        assert!(error.starts_with("\"client-type\": "), "{error}");
        let error = settings_to_options(&json!({"azure": {"deployed": "yes"}})).unwrap_err();
        assert!(
            error.starts_with("\"azure.deployed\": invalid type"),
            "{error}"
        );
        let error =
            settings_to_options(&json!({"target": "neon", "auth": "system-identity"})).unwrap_err();
        assert!(
            error.starts_with("\"auth\": ") && error.contains("\"secret\""),
            "{error}"
        );
        let error = settings_to_options(&json!(["neon"])).unwrap_err();
        assert!(error.contains("must be an object"), "{error}");
    }
}
