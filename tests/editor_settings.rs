//! The editors' settings are the server's: the VS Code extension's `contributes.configuration`
//! (editors/vscode/package.json) must list exactly the rules of the registry, the targets,
//! client types and auth types of the catalogue, and the rule levels neon-lsp.toml accepts. When
//! this fails, the message prints the JSON to paste. Its Workspace Trust declaration names
//! settings the extension has.

use neon_lsp::catalogue::{AuthType, ClientType, Target};
use neon_lsp::config::RuleLevel;
use neon_lsp::rules::Rule;
use serde_json::{Value, json};

fn package_json() -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("editors/vscode/package.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn property(name: &str) -> Value {
    package_json()["contributes"]["configuration"]["properties"][name].clone()
}

#[test]
fn rule_settings_are_the_rule_registry() {
    let expected: serde_json::Map<String, Value> = Rule::ALL
        .iter()
        .map(|rule| {
            (
                rule.id().to_owned(),
                json!({
                    "type": "string",
                    "enum": ["off", "hint", "info", "warning", "error"],
                    "markdownDescription": format!(
                        "{} Default: `{}`. Run `neon-lsp explain {}` for the full documentation.",
                        rule.summary(),
                        rule.default_severity().as_str(),
                        rule.id()
                    ),
                }),
            )
        })
        .collect();
    let rules = property("neon-lsp.rules");
    assert_eq!(
        rules["properties"],
        Value::Object(expected.clone()),
        "editors/vscode/package.json: set contributes.configuration.properties[\"neon-lsp.rules\"].properties to\n{}",
        serde_json::to_string_pretty(&Value::Object(expected)).unwrap()
    );
    assert_eq!(rules["additionalProperties"], false);
}

#[test]
fn rule_levels_are_the_ones_neon_lsp_toml_accepts() {
    let levels = property("neon-lsp.rules")["properties"]["unknown-variable"]["enum"].clone();
    for level in levels.as_array().unwrap() {
        assert!(
            RuleLevel::from_id(level.as_str().unwrap()).is_some(),
            "{level} is not a level neon-lsp.toml accepts"
        );
    }
}

#[test]
fn target_client_type_and_auth_choices_are_the_catalogues() {
    let choices = |ids: Vec<&str>| {
        let mut values = vec![Value::Null];
        values.extend(ids.into_iter().map(Value::from));
        Value::Array(values)
    };
    assert_eq!(
        property("neon-lsp.target")["enum"],
        choices(Target::ALL.iter().map(|t| t.id()).collect())
    );
    assert_eq!(
        property("neon-lsp.clientType")["enum"],
        choices(ClientType::ALL.iter().map(|c| c.id()).collect())
    );
    assert_eq!(
        property("neon-lsp.auth")["enum"],
        choices(AuthType::ALL.iter().map(|a| a.id()).collect())
    );
}

#[test]
fn settings_restricted_in_untrusted_workspaces_are_settings_of_the_extension() {
    // Workspace Trust: the binary the editor runs must not come from an untrusted workspace.
    let trust = &package_json()["capabilities"]["untrustedWorkspaces"];
    assert_eq!(trust["supported"], "limited", "{trust}");
    let restricted = trust["restrictedConfigurations"].as_array().unwrap();
    assert!(restricted.contains(&Value::from("neon-lsp.server.path")));
    for name in restricted {
        let setting = property(name.as_str().unwrap());
        assert!(
            setting.is_object(),
            "{name} is not a setting of the extension"
        );
    }
}
