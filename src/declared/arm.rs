//! ARM JSON templates: the same resource types as Bicep (`Microsoft.ServiceLinker/linkers`,
//! `Microsoft.Web/sites` and `sites/config` app settings, `Microsoft.App/containerApps` env),
//! top-level and nested in `resources`.
//!
//! Read with the tolerant reader of [`super::tree`] (it keeps byte ranges, which serde_json
//! does not). Template expressions resolve only in their simplest forms: `[parameters('x')]`
//! (the `defaultValue`; a `securestring` parameter is protected) and `[variables('x')]`.
//! Anything else is unknown.

use super::tree::{Node, Object, Parser, tokenize};
use super::{
    Declaration, Kind, Located, Locator, SettingValue, Source, auth_from_schema,
    client_from_schema, settings_in, target_from_text,
};

struct Template<'n, 'a> {
    root: &'n Object,
    locator: Locator<'a>,
}

pub(super) fn read(path: &str, text: &str) -> Vec<Declaration> {
    let tokens = tokenize(text);
    let node = Parser::new(text, &tokens).value();
    let Some(root) = node.as_object() else {
        return Vec::new();
    };
    let template = Template {
        root,
        locator: Locator::new(path, text),
    };
    let mut out = Vec::new();
    if let Some(Node::Array { items, .. }) = root.get("resources") {
        for item in items {
            template.resource(item, None, &mut out);
        }
    }
    out
}

/// `[parameters('x')]` → ("parameters", "x").
fn reference(value: &str) -> Option<(&str, &str)> {
    let inner = value.strip_prefix('[')?.strip_suffix(']')?;
    let (function, rest) = inner.split_once("('")?;
    let name = rest.strip_suffix("')")?;
    matches!(function, "parameters" | "variables").then_some((function, name))
}

impl<'n, 'a> Template<'n, 'a> {
    /// A node followed through `[parameters('x')]` / `[variables('x')]`; `secure` when it
    /// passed through a `securestring`/`secureObject` parameter.
    fn deref(&self, node: &'n Node) -> (&'n Node, bool, bool) {
        let mut current = node;
        let mut secure = false;
        let mut indirect = false;
        for _ in 0..8 {
            let Some((function, name)) = current
                .as_str()
                .and_then(|s| s.literal())
                .and_then(|v| reference(&v).map(|(f, n)| (f.to_string(), n.to_string())))
            else {
                break;
            };
            let next = if function == "parameters" {
                let param = self
                    .root
                    .path(&["parameters", &name])
                    .and_then(Node::as_object);
                if let Some(kind) = param
                    .and_then(|p| p.get("type"))
                    .and_then(Node::as_str)
                    .and_then(|s| s.literal())
                    && kind.to_ascii_lowercase().starts_with("secure")
                {
                    secure = true;
                }
                param.and_then(|p| p.get("defaultValue"))
            } else {
                self.root.path(&["variables", &name])
            };
            match next {
                Some(next) => {
                    current = next;
                    indirect = true;
                }
                None => break,
            }
        }
        (current, secure, indirect)
    }

    fn string(&self, node: &'n Node) -> Option<Located<String>> {
        let (node, _, indirect) = self.deref(node);
        let s = node.as_str()?;
        let value = s.literal()?;
        if value.starts_with('[') && !value.starts_with("[[") {
            return None;
        }
        Some(Located {
            value,
            at: self.locator.at(s.content),
            literal: !indirect,
        })
    }

    fn setting_value(&self, node: &'n Node) -> SettingValue {
        let (node, secure, _) = self.deref(node);
        if secure {
            return SettingValue::Protected;
        }
        let Some(s) = node.as_str() else {
            return match node {
                // `{ "reference": { "keyVault": … } }` parameter values and the like.
                Node::Object(_) => SettingValue::Protected,
                _ => SettingValue::Unknown,
            };
        };
        let Some(value) = s.literal() else {
            return SettingValue::Unknown;
        };
        if value.contains("@Microsoft.KeyVault(") || value.contains("listSecrets") {
            return SettingValue::Protected;
        }
        if value.starts_with('[') && !value.starts_with("[[") {
            return SettingValue::Unknown;
        }
        SettingValue::Literal {
            value,
            at: self.locator.at(s.content),
        }
    }

    fn resource(&self, node: &'n Node, app: Option<String>, out: &mut Vec<Declaration>) {
        let Some(resource) = node.as_object() else {
            return;
        };
        let type_name = resource
            .get("type")
            .and_then(|n| self.string(n))
            .map(|s| s.value.to_ascii_lowercase())
            .unwrap_or_default();
        let own_app = self.service_tag(resource).or(app).or_else(|| {
            (type_name.starts_with("microsoft.web/sites")
                || type_name.starts_with("microsoft.app/"))
            .then(|| {
                resource
                    .get("name")
                    .and_then(|n| self.string(n))
                    .map(|s| s.value)
            })
            .flatten()
        });
        if type_name.ends_with("microsoft.servicelinker/linkers")
            || type_name == "linkers"
            || type_name.starts_with("microsoft.servicelinker/linkers")
        {
            out.push(self.linker(resource, own_app.clone()));
        } else {
            self.settings(resource, own_app.clone(), out);
        }
        if let Some(Node::Array { items, .. }) = resource.get("resources") {
            for item in items {
                self.resource(item, own_app.clone(), out);
            }
        }
    }

    fn service_tag(&self, resource: &'n Object) -> Option<String> {
        let tags = resource.get("tags")?;
        let (tags, _, _) = self.deref(tags);
        tags.as_object()?
            .get("azd-service-name")
            .and_then(|n| self.string(n))
            .map(|s| s.value)
    }

    fn linker(&self, resource: &'n Object, app: Option<String>) -> Declaration {
        let at = self.locator.at(resource.range);
        let mut declaration = Declaration::new(Source::Arm, at, Kind::Linker);
        let props = resource
            .get("properties")
            .map(|p| self.deref(p).0)
            .and_then(Node::as_object);
        if let Some(props) = props {
            declaration.client_type = props.get("clientType").and_then(|n| {
                let s = self.string(n)?;
                Some(Located {
                    value: client_from_schema(&s.value)?,
                    at: s.at,
                    literal: s.literal,
                })
            });
            declaration.auth = props.path(&["authInfo", "authType"]).and_then(|n| {
                let s = self.string(n)?;
                Some(Located {
                    value: auth_from_schema(&s.value)?,
                    at: s.at,
                    literal: s.literal,
                })
            });
            declaration.secret = props
                .path(&["authInfo", "secretInfo", "value"])
                .map(|n| self.setting_value(n));
            declaration.target = props.path(&["targetService", "id"]).and_then(|n| {
                let (node, _, _) = self.deref(n);
                let s = node.as_str()?;
                let text: String = s
                    .parts
                    .iter()
                    .map(|p| match p {
                        super::tree::Part::Text(t) | super::tree::Part::Interpolation(t) => {
                            t.as_str()
                        }
                    })
                    .collect();
                Some(Located {
                    value: target_from_text(&text)?,
                    at: self.locator.at(s.content),
                    literal: false,
                })
            });
            if let Some(Node::Object(keys)) = props
                .path(&["configurationInfo", "customizedKeys"])
                .map(|n| self.deref(n).0)
            {
                for entry in &keys.entries {
                    if let Some(to) = self.string(&entry.value) {
                        declaration
                            .customized_keys
                            .push((entry.key.clone(), to.value));
                    }
                }
            }
        }
        declaration.name = resource.get("name").and_then(|n| self.string(n));
        declaration.app = app;
        declaration
    }

    fn settings(&self, resource: &'n Object, app: Option<String>, out: &mut Vec<Declaration>) {
        let mut settings = Vec::new();
        let mut visit = |n: &'n Node| {
            if let Node::Object(object) = n {
                settings_in(
                    object,
                    &self.locator,
                    &|value| self.setting_value(value),
                    &mut settings,
                );
            }
        };
        for entry in &resource.entries {
            if entry.key != "resources" {
                entry.value.walk(&mut visit);
            }
        }
        out.extend(Declaration::app_settings(Source::Arm, settings, app));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::{AuthType, ClientType, Target};

    #[test]
    fn reads_linkers_and_settings_with_parameters() {
        let text = r#"{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "parameters": {
    "clientType": { "type": "string", "defaultValue": "nodejs" },
    "dbPassword": { "type": "securestring" }
  },
  "resources": [
    {
      "type": "Microsoft.Web/sites",
      "name": "shop-api",
      "tags": { "azd-service-name": "api" },
      "properties": {
        "siteConfig": {
          "appSettings": [
            { "name": "AZURE_POSTGRESQL_PASSWORD", "value": "[parameters('dbPassword')]" },
            { "name": "AZURE_POSTGRESQL_HOST", "value": "db.postgres.database.azure.com" }
          ]
        }
      },
      "resources": [
        {
          "type": "Microsoft.ServiceLinker/linkers",
          "name": "pg",
          "properties": {
            "clientType": "[parameters('clientType')]",
            "authInfo": { "authType": "userAssignedIdentity" },
            "targetService": { "type": "AzureResource", "id": "[resourceId('Microsoft.DBforPostgreSQL/flexibleServers/databases', 'srv', 'app')]" }
          }
        }
      ]
    }
  ]
}"#;
        let found = read("infra/azuredeploy.json", text);
        assert_eq!(found.len(), 2, "{found:?}");
        let Kind::AppSettings(settings) = &found[0].kind else {
            panic!()
        };
        assert_eq!(settings[0].value, SettingValue::Protected);
        assert!(matches!(settings[1].value, SettingValue::Literal { .. }));
        assert_eq!(found[0].app.as_deref(), Some("api"));
        let linker = &found[1];
        let client = linker.client_type.as_ref().unwrap();
        assert_eq!(client.value, ClientType::NodeJs);
        assert_eq!(client.at.line, 4);
        assert_eq!(linker.auth.as_ref().unwrap().value, AuthType::UserIdentity);
        assert_eq!(
            linker.target.as_ref().unwrap().value,
            Target::AzurePostgresql
        );
        assert_eq!(linker.app.as_deref(), Some("api"));
    }
}
