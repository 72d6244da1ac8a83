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
            ((type_name.starts_with("microsoft.web/sites")
                || type_name.starts_with("microsoft.app/"))
                && !type_name.contains("/providers/"))
            .then(|| {
                resource
                    .get("name")
                    .and_then(|n| self.string(n))
                    .map(|s| s.value)
            })
            .flatten()
        });
        let extension_syntax = type_name.ends_with("/providers/linkers");
        if type_name.ends_with("microsoft.servicelinker/linkers")
            || type_name == "linkers"
            || type_name.starts_with("microsoft.servicelinker/linkers")
            || extension_syntax
        {
            // A top-level linker names its app in `scope` (or, in the older extension syntax
            // `Microsoft.Web/sites/providers/linkers`, in the first segment of its name).
            let scoped = match &own_app {
                Some(app) => Some(app.clone()),
                None => self.scope_app(resource, extension_syntax),
            };
            out.push(self.linker(resource, scoped));
        } else {
            self.settings(resource, own_app.clone(), out);
        }
        if let Some(Node::Array { items, .. }) = resource.get("resources") {
            for item in items {
                self.resource(item, own_app.clone(), out);
            }
        }
    }

    /// The app a top-level linker's `scope` points at: `[resourceId('Microsoft.Web/sites', X)]`,
    /// `[format('Microsoft.Web/sites/{0}', X)]`, `[concat('Microsoft.Web/sites/', X)]`, a
    /// literal id, with X a literal, `parameters('x')` (its default) or `variables('x')`; then
    /// the template's site or container app of that name gives its `azd-service-name` tag.
    /// `None` (unknown) when the expression is anything else.
    fn scope_app(&self, resource: &'n Object, extension_syntax: bool) -> Option<String> {
        let site = if extension_syntax {
            // `site/Microsoft.ServiceLinker/pg`, or `[concat(parameters('site'), '/Microsoft.ServiceLinker/pg')]`.
            let raw = resource.get("name")?.as_str()?.literal()?;
            match raw.strip_prefix('[') {
                Some(expression) => self.argument(expression.trim_start_matches("concat("))?,
                None => raw.split('/').next()?.to_string(),
            }
        } else {
            let raw = resource.get("scope")?.as_str()?.literal()?;
            self.site_in_scope(&raw)?
        };
        if site.is_empty() {
            return None;
        }
        Some(self.app_named(&site).unwrap_or(site))
    }

    fn site_in_scope(&self, raw: &str) -> Option<String> {
        let lower = raw.to_ascii_lowercase();
        let (at, type_len) = ["microsoft.web/sites", "microsoft.app/containerapps"]
            .iter()
            .find_map(|t| lower.find(t).map(|i| (i, t.len())))?;
        let after = &raw[at + type_len..];
        if !raw.starts_with('[') {
            // A literal id: `…/Microsoft.Web/sites/<name>[/…]`.
            return after
                .strip_prefix('/')
                .and_then(|rest| rest.split('/').next())
                .map(str::to_string);
        }
        // Inside an expression: the name is in the type literal or the next argument.
        let quote = after.find('\'')?;
        let in_literal = after[..quote].trim_start_matches('/');
        if !in_literal.is_empty() && !in_literal.contains('{') {
            return Some(in_literal.split('/').next()?.to_string());
        }
        let rest = after[quote + 1..].trim_start().strip_prefix(',')?;
        self.argument(rest)
    }

    /// The value of the expression argument at the start of `text`: `'literal'`,
    /// `parameters('x')` (its literal default) or `variables('x')` (a literal).
    fn argument(&self, text: &str) -> Option<String> {
        let text = text.trim_start();
        if let Some(rest) = text.strip_prefix('\'') {
            return Some(rest[..rest.find('\'')?].to_string());
        }
        let (function, rest) = text.split_once("('")?;
        let name = &rest[..rest.find('\'')?];
        let node = match function.trim() {
            "parameters" => self.root.path(&["parameters", name, "defaultValue"])?,
            "variables" => self.root.path(&["variables", name])?,
            _ => return None,
        };
        let value = node.as_str()?.literal()?;
        (!value.starts_with('[')).then_some(value)
    }

    /// The app a site or container app of this template named `site` stands for: its
    /// `azd-service-name` tag, else its name.
    fn app_named(&self, site: &str) -> Option<String> {
        let Some(Node::Array { items, .. }) = self.root.get("resources") else {
            return None;
        };
        items.iter().filter_map(Node::as_object).find_map(|r| {
            let type_name = r.get("type").and_then(|n| self.string(n))?.value;
            let type_name = type_name.to_ascii_lowercase();
            if type_name != "microsoft.web/sites" && type_name != "microsoft.app/containerapps" {
                return None;
            }
            let name = r.get("name").and_then(|n| self.string(n))?.value;
            name.eq_ignore_ascii_case(site)
                .then(|| self.service_tag(r).unwrap_or(name))
        })
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

    const TWO_APPS: &str = r#"{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "parameters": {
    "webName": { "type": "string", "defaultValue": "bookshop-web" },
    "apiName": { "type": "string", "defaultValue": "bookshop-orders" },
    "otherName": { "type": "string" }
  },
  "variables": { "linkerName": "orders_db" },
  "resources": [
    {
      "type": "Microsoft.Web/sites",
      "apiVersion": "2022-09-01",
      "name": "[parameters('webName')]",
      "tags": { "azd-service-name": "web" }
    },
    {
      "type": "Microsoft.App/containerApps",
      "apiVersion": "2023-05-01",
      "name": "[parameters('apiName')]"
    },
    {
      "type": "Microsoft.ServiceLinker/linkers",
      "apiVersion": "2024-04-01",
      "scope": "[format('Microsoft.Web/sites/{0}', parameters('webName'))]",
      "name": "web_db",
      "properties": {
        "clientType": "django",
        "authInfo": { "authType": "systemAssignedIdentity" },
        "configurationInfo": {
          "customizedKeys": { "AZURE_POSTGRESQL_HOST": "DB_HOST", "AZURE_POSTGRESQL_NAME": "DB_NAME" }
        }
      }
    },
    {
      "type": "Microsoft.ServiceLinker/linkers",
      "apiVersion": "2024-04-01",
      "scope": "[resourceId('Microsoft.App/containerApps', parameters('apiName'))]",
      "name": "[variables('linkerName')]",
      "properties": { "clientType": "nodejs", "authInfo": { "authType": "secret" } }
    },
    {
      "type": "Microsoft.ServiceLinker/linkers",
      "apiVersion": "2024-04-01",
      "scope": "[resourceId('Microsoft.Web/sites', parameters('otherName'))]",
      "name": "other_db",
      "properties": { "clientType": "[parameters('otherName')]" }
    },
    {
      "type": "Microsoft.Web/sites/providers/linkers",
      "apiVersion": "2022-05-01",
      "name": "legacy-app/Microsoft.ServiceLinker/legacy_db",
      "properties": { "clientType": "java" }
    }
  ]
}"#;

    #[test]
    fn top_level_linkers_follow_their_scope_to_the_app() {
        let found = read("infra/azuredeploy.json", TWO_APPS);
        let linkers: Vec<&Declaration> = found.iter().filter(|d| d.kind == Kind::Linker).collect();
        assert_eq!(linkers.len(), 4, "{found:?}");
        // `format('Microsoft.Web/sites/{0}', parameters('webName'))` → the site → its tag.
        assert_eq!(linkers[0].app.as_deref(), Some("web"));
        assert_eq!(linkers[0].name.as_ref().unwrap().value, "web_db");
        assert!(linkers[0].name.as_ref().unwrap().literal);
        assert_eq!(
            linkers[0].customized_keys,
            vec![
                ("AZURE_POSTGRESQL_HOST".to_string(), "DB_HOST".to_string()),
                ("AZURE_POSTGRESQL_NAME".to_string(), "DB_NAME".to_string())
            ]
        );
        // `resourceId('Microsoft.App/containerApps', …)` → the container app, untagged: its name.
        assert_eq!(linkers[1].app.as_deref(), Some("bookshop-orders"));
        let name = linkers[1].name.as_ref().unwrap();
        assert_eq!(name.value, "orders_db");
        assert!(!name.literal, "resolved through a variable");
        // A parameter without a default: the app and the client type are unknown, not wrong.
        assert_eq!(linkers[2].app, None);
        assert_eq!(linkers[2].client_type, None);
        // The older extension syntax names the app in the linker's name.
        assert_eq!(linkers[3].app.as_deref(), Some("legacy-app"));
        assert_eq!(
            linkers[3].client_type.as_ref().unwrap().value,
            ClientType::Java
        );
    }

    #[test]
    fn scope_expressions() {
        let found = read(
            "azuredeploy.json",
            r#"{"parameters": {}, "resources": [
              {"type": "Microsoft.ServiceLinker/linkers", "scope": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Web/sites/shop-web", "name": "a"},
              {"type": "Microsoft.ServiceLinker/linkers", "scope": "[concat('Microsoft.Web/sites/', 'shop-api')]", "name": "b"},
              {"type": "Microsoft.ServiceLinker/linkers", "scope": "[resourceId('Microsoft.Web/sites', uniqueString(resourceGroup().id))]", "name": "c"},
              {"type": "Microsoft.ServiceLinker/linkers", "scope": "[resourceGroup().id]", "name": "d"}
            ]}"#,
        );
        let apps: Vec<Option<&str>> = found.iter().map(|d| d.app.as_deref()).collect();
        assert_eq!(apps, [Some("shop-web"), Some("shop-api"), None, None]);
    }
    #[test]
    fn reads_container_app_env_settings() {
        let text = r#"{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "resources": [
    {
      "type": "Microsoft.App/containerApps",
      "apiVersion": "2023-05-01",
      "name": "orders",
      "tags": { "azd-service-name": "orders" },
      "properties": {
        "template": {
          "containers": [
            {
              "name": "orders",
              "env": [
                { "name": "NEON_POSTGRESQL_CONNECTIONSTRING", "secretRef": "neon-url" },
                { "name": "NEON_POSTGRESQL_HOST", "value": "ep-x.neon.tech" },
                { "name": "PORT", "value": "80" }
              ]
            }
          ]
        }
      }
    }
  ]
}"#;
        let found = read("infra/azuredeploy.json", text);
        assert_eq!(found.len(), 1, "{found:?}");
        let Kind::AppSettings(env) = &found[0].kind else {
            panic!("{found:?}")
        };
        let names: Vec<&str> = env.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            ["NEON_POSTGRESQL_CONNECTIONSTRING", "NEON_POSTGRESQL_HOST"]
        );
        assert_eq!(env[0].value, SettingValue::Protected);
        assert!(matches!(env[1].value, SettingValue::Literal { .. }));
        assert_eq!(found[0].target.as_ref().unwrap().value, Target::Neon);
        assert_eq!(found[0].app.as_deref(), Some("orders"));
    }
}
