//! Terraform (azurerm): `azurerm_app_service_connection`, `azurerm_function_app_connection`,
//! `azurerm_spring_cloud_connection` (and their slot variants) with `client_type`,
//! `authentication { type, secret }` and `target_resource_id`; and `app_settings = { … }` maps
//! and `env { name, value | secret_name }` blocks that set Service-Connector-looking variables.
//!
//! Parsed with `hcl-edit`, which keeps byte spans. `var.x` resolves to the variable's
//! `default` in any file of the same folder (a Terraform module), `sensitive = true` counting
//! as protected; `local.x` to the `locals` value. A file that does not parse yields nothing.

use super::{
    Declaration, Input, Kind, Located, Locator, Setting, SettingValue, Source, auth_from_schema,
    client_from_schema, is_connection_variable, target_from_text,
};
use crate::catalogue::Target;
use crate::text::TextRange;
use hcl_edit::Span;
use hcl_edit::expr::{Expression, ObjectKey};
use hcl_edit::structure::{Block, Body, Structure};

const CONNECTION_RESOURCES: &[&str] = &[
    "azurerm_app_service_connection",
    "azurerm_app_service_slot_connection",
    "azurerm_function_app_connection",
    "azurerm_function_app_flex_consumption_connection",
    "azurerm_spring_cloud_connection",
];

struct Module<'a> {
    files: Vec<(&'a Input<'a>, Body, Locator<'a>)>,
}

/// Reads each folder (a Terraform module) of `inputs`, in path order. With `filtered`, a folder
/// none of whose files could declare a connection ([`super::prefilter::terraform`]) is not
/// parsed; the folders that are parsed are parsed on threads.
pub(super) fn read(inputs: &[&Input<'_>], filtered: bool) -> Vec<Declaration> {
    let mut by_dir: std::collections::BTreeMap<&str, Vec<&Input>> = Default::default();
    for input in inputs {
        by_dir.entry(dir_of(input.path)).or_default().push(input);
    }
    let modules: Vec<Vec<&Input>> = by_dir
        .into_values()
        .filter(|files| !filtered || files.iter().any(|i| super::prefilter::terraform(i.text)))
        .collect();
    super::parallel_map(&modules, |files| read_module(files))
        .into_iter()
        .flatten()
        .collect()
}

/// The declarations of one folder's files.
fn read_module(files: &[&Input<'_>]) -> Vec<Declaration> {
    let mut out = Vec::new();
    let module = Module {
        files: files
            .iter()
            .filter_map(|i| {
                let body = hcl_edit::parser::parse_body(i.text).ok()?;
                Some((*i, body, Locator::new(i.path, i.text)))
            })
            .collect(),
    };
    for (input, body, locator) in &module.files {
        for block in body.iter().filter_map(Structure::as_block) {
            if block.ident.as_str() != "resource" {
                continue;
            }
            let Some(kind) = block.labels.first().map(|l| l.as_str()) else {
                continue;
            };
            if CONNECTION_RESOURCES.contains(&kind) {
                out.push(module.connection(block, input, locator));
            } else if let Some(declaration) = module.settings(block, input, locator) {
                out.push(declaration);
            }
        }
    }
    out
}

fn dir_of(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

fn range_of(span: Option<std::ops::Range<usize>>) -> TextRange {
    span.map_or(TextRange::default(), |r| TextRange::new(r.start, r.end))
}

fn attribute<'b>(body: &'b Body, key: &str) -> Option<&'b Expression> {
    body.iter()
        .filter_map(Structure::as_attribute)
        .find(|a| a.key.as_str() == key)
        .map(|a| &a.value)
}

fn block<'b>(body: &'b Body, ident: &str) -> Option<&'b Block> {
    body.iter()
        .filter_map(Structure::as_block)
        .find(|b| b.ident.as_str() == ident)
}

/// A string's content range (inside the quotes).
fn content_range(span: Option<std::ops::Range<usize>>) -> TextRange {
    let range = range_of(span);
    if range.len() >= 2 {
        TextRange::new(range.start + 1, range.end - 1)
    } else {
        range
    }
}

impl<'a> Module<'a> {
    fn text_of(&self, input: &Input, expr: &Expression) -> String {
        let range = range_of(expr.span());
        input
            .text
            .get(range.start..range.end)
            .unwrap_or("")
            .to_string()
    }

    /// `var.x` / `local.x`: the expression it stands for, its file, and whether it is sensitive.
    fn lookup(&self, reference: &str) -> Option<(&Expression, &Input<'a>, &Locator<'a>, bool)> {
        let (kind, name) = reference.trim().split_once('.')?;
        for (input, body, locator) in &self.files {
            for b in body.iter().filter_map(Structure::as_block) {
                match (kind, b.ident.as_str()) {
                    ("var", "variable") if b.labels.first().map(|l| l.as_str()) == Some(name) => {
                        let sensitive = attribute(&b.body, "sensitive")
                            .is_some_and(|e| matches!(e, Expression::Bool(v) if **v));
                        return attribute(&b.body, "default")
                            .map(|d| (d, *input, locator, sensitive));
                    }
                    ("local", "locals") => {
                        if let Some(value) = attribute(&b.body, name) {
                            return Some((value, *input, locator, false));
                        }
                    }
                    _ => {}
                }
            }
        }
        None
    }

    fn is_sensitive_var(&self, reference: &str) -> bool {
        let Some(name) = reference.trim().strip_prefix("var.") else {
            return false;
        };
        self.files.iter().any(|(_, body, _)| {
            body.iter().filter_map(Structure::as_block).any(|b| {
                b.ident.as_str() == "variable"
                    && b.labels.first().map(|l| l.as_str()) == Some(name)
                    && attribute(&b.body, "sensitive")
                        .is_some_and(|e| matches!(e, Expression::Bool(v) if **v))
            })
        })
    }

    fn string(
        &self,
        expr: &Expression,
        input: &Input,
        locator: &Locator,
    ) -> Option<Located<String>> {
        match expr {
            Expression::String(s) => Some(Located {
                value: s.value().to_string(),
                at: locator.at(content_range(expr.span())),
                literal: true,
            }),
            Expression::Traversal(_) | Expression::Variable(_) => {
                let text = self.text_of(input, expr);
                let (value, input, locator, _) = self.lookup(&text)?;
                let mut found = self.string(value, input, locator)?;
                found.literal = false;
                Some(found)
            }
            _ => None,
        }
    }

    fn setting_value(&self, expr: &Expression, input: &Input, locator: &Locator) -> SettingValue {
        let text = self.text_of(input, expr);
        if self.is_sensitive_var(&text)
            || text.contains("key_vault_secret")
            || text.contains("random_password")
            || text.contains("@Microsoft.KeyVault(")
        {
            return SettingValue::Protected;
        }
        if let Expression::StringTemplate(_) = expr {
            // `"…${var.password}…"`: protected if any interpolated variable is sensitive.
            return if text
                .split("${")
                .skip(1)
                .any(|piece| self.is_sensitive_var(piece.split('}').next().unwrap_or("")))
            {
                SettingValue::Protected
            } else {
                SettingValue::Unknown
            };
        }
        match self.string(expr, input, locator) {
            Some(found) => SettingValue::Literal {
                value: found.value,
                at: found.at,
            },
            None => SettingValue::Unknown,
        }
    }

    /// The azd service (`tags = { "azd-service-name" = … }`) of the resource `type.name`, else that.
    fn app_of(&self, reference: &str) -> String {
        let mut parts = reference.trim().split('.');
        let (Some(kind), Some(name)) = (parts.next(), parts.next()) else {
            return reference.trim().to_string();
        };
        for (_, body, _) in &self.files {
            for b in body.iter().filter_map(Structure::as_block) {
                let labels: Vec<&str> = b.labels.iter().map(|l| l.as_str()).collect();
                if b.ident.as_str() == "resource"
                    && labels == [kind, name]
                    && let Some(service) = service_tag(&b.body)
                {
                    return service;
                }
            }
        }
        format!("{kind}.{name}")
    }

    fn connection(&self, resource: &Block, input: &Input, locator: &Locator) -> Declaration {
        let body = &resource.body;
        let mut declaration = Declaration::new(
            Source::Terraform,
            locator.at(range_of(resource.span())),
            Kind::Linker,
        );
        declaration.client_type = attribute(body, "client_type")
            .and_then(|e| self.string(e, input, locator))
            .and_then(|s| {
                Some(Located {
                    value: client_from_schema(&s.value)?,
                    at: s.at,
                    literal: s.literal,
                })
            });
        if let Some(auth) = block(body, "authentication") {
            declaration.auth = attribute(&auth.body, "type")
                .and_then(|e| self.string(e, input, locator))
                .and_then(|s| {
                    Some(Located {
                        value: auth_from_schema(&s.value)?,
                        at: s.at,
                        literal: s.literal,
                    })
                });
            declaration.secret =
                attribute(&auth.body, "secret").map(|e| self.setting_value(e, input, locator));
        }
        declaration.target = attribute(body, "target_resource_id").and_then(|e| {
            let text = self.text_of(input, e);
            let value = target_of_reference(&text).or_else(|| {
                self.string(e, input, locator)
                    .and_then(|s| target_from_text(&s.value))
            })?;
            Some(Located {
                value,
                at: locator.at(range_of(e.span())),
                literal: false,
            })
        });
        declaration.name = attribute(body, "name").and_then(|e| self.string(e, input, locator));
        declaration.app = ["app_service_id", "function_app_id", "spring_cloud_id"]
            .iter()
            .find_map(|key| attribute(body, key))
            .map(|e| {
                let text = self.text_of(input, e);
                self.app_of(text.trim_end_matches(".id"))
            });
        declaration
    }

    fn settings(&self, resource: &Block, input: &Input, locator: &Locator) -> Option<Declaration> {
        let mut settings = Vec::new();
        self.collect_settings(&resource.body, input, locator, &mut settings);
        let labels: Vec<&str> = resource.labels.iter().map(|l| l.as_str()).collect();
        let app = service_tag(&resource.body).unwrap_or_else(|| labels.join("."));
        Declaration::app_settings(Source::Terraform, settings, Some(app))
    }

    fn collect_settings(
        &self,
        body: &Body,
        input: &Input,
        locator: &Locator,
        out: &mut Vec<Setting>,
    ) {
        for structure in body.iter() {
            match structure {
                Structure::Attribute(attribute) => {
                    if let Expression::Object(object) = &attribute.value {
                        for (key, value) in object.iter() {
                            let (name, range) = match key {
                                ObjectKey::Ident(ident) => {
                                    (ident.as_str().to_string(), range_of(ident.span()))
                                }
                                ObjectKey::Expression(Expression::String(s)) => {
                                    (s.value().to_string(), content_range(s.span()))
                                }
                                _ => continue,
                            };
                            if is_connection_variable(&name) {
                                out.push(Setting {
                                    name,
                                    name_at: locator.at(range),
                                    value: self.setting_value(value.expr(), input, locator),
                                });
                            }
                        }
                    }
                }
                Structure::Block(inner) => {
                    let name = attribute(&inner.body, "name");
                    if let Some(Expression::String(name)) = name
                        && is_connection_variable(name.value())
                    {
                        let value = match (
                            attribute(&inner.body, "value"),
                            attribute(&inner.body, "secret_name"),
                        ) {
                            (Some(value), _) => self.setting_value(value, input, locator),
                            (None, Some(_)) => SettingValue::Protected,
                            (None, None) => SettingValue::Unknown,
                        };
                        out.push(Setting {
                            name: name.value().to_string(),
                            name_at: locator.at(content_range(name.span())),
                            value,
                        });
                    }
                    self.collect_settings(&inner.body, input, locator, out);
                }
            }
        }
    }
}

/// `azurerm_postgresql_flexible_server.db.id`, `…_database.app.id` → Azure Database for PostgreSQL.
fn target_of_reference(text: &str) -> Option<Target> {
    let text = text.trim();
    if text.starts_with("azurerm_postgresql_flexible_server")
        || text.starts_with("azurerm_postgresql_server")
        || text.starts_with("azurerm_postgresql_database")
        || text.starts_with("data.azurerm_postgresql")
    {
        return Some(Target::AzurePostgresql);
    }
    target_from_text(text)
}

fn service_tag(body: &Body) -> Option<String> {
    let Some(Expression::Object(tags)) = attribute(body, "tags") else {
        return None;
    };
    tags.iter().find_map(|(key, value)| {
        let key = match key {
            ObjectKey::Ident(ident) => ident.as_str().to_string(),
            ObjectKey::Expression(Expression::String(s)) => s.value().to_string(),
            _ => return None,
        };
        if key != "azd-service-name" {
            return None;
        }
        value.expr().as_str().map(str::to_string)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::{AuthType, ClientType};

    #[test]
    fn reads_a_connection_with_variables_from_another_file() {
        let main = "resource \"azurerm_linux_web_app\" \"api\" {\n  name = \"api\"\n  tags = { \"azd-service-name\" = \"api\" }\n  app_settings = {\n    NEON_POSTGRESQL_PASSWORD = var.db_password\n    PORT = \"8080\"\n  }\n}\n\nresource \"azurerm_app_service_connection\" \"db\" {\n  name               = \"pgconn\"\n  app_service_id     = azurerm_linux_web_app.api.id\n  target_resource_id = azurerm_postgresql_flexible_server_database.app.id\n  client_type        = var.client_type\n  authentication {\n    type = \"systemAssignedIdentity\"\n  }\n}\n";
        let variables = "variable \"client_type\" {\n  type    = string\n  default = \"nodejs\"\n}\n\nvariable \"db_password\" {\n  type      = string\n  sensitive = true\n}\n";
        let inputs = [
            Input {
                path: "infra/main.tf",
                text: main,
            },
            Input {
                path: "infra/variables.tf",
                text: variables,
            },
        ];
        let refs: Vec<&Input> = inputs.iter().collect();
        let found = read(&refs, true);
        assert_eq!(found.len(), 2, "{found:?}");
        let settings = &found[0];
        let Kind::AppSettings(values) = &settings.kind else {
            panic!()
        };
        assert_eq!(values.len(), 1);
        assert_eq!(values[0].value, SettingValue::Protected);
        assert_eq!(settings.app.as_deref(), Some("api"));
        let link = &found[1];
        let client = link.client_type.as_ref().unwrap();
        assert_eq!(client.value, ClientType::NodeJs);
        assert_eq!(client.at.to_string(), "infra/variables.tf:3");
        assert_eq!(link.auth.as_ref().unwrap().value, AuthType::SystemIdentity);
        assert_eq!(link.target.as_ref().unwrap().value, Target::AzurePostgresql);
        assert_eq!(link.app.as_deref(), Some("api"));
        assert_eq!(link.at.line, 10);
        // The connection's `name` (azurerm has no customized keys on *_connection resources).
        let name = link.name.as_ref().unwrap();
        assert_eq!(name.value, "pgconn");
        assert_eq!(name.at.to_string(), "infra/main.tf:11");
        assert!(name.literal);
        let broken = [Input {
            path: "x.tf",
            text: "resource \"azurerm_app_service_connection\" {",
        }];
        let refs: Vec<&Input> = broken.iter().collect();
        assert!(read(&refs, true).is_empty());
    }
    #[test]
    fn function_app_and_spring_connections_of_two_apps_in_one_folder_keep_their_apps() {
        let main = r#"resource "azurerm_linux_function_app" "jobs" {
  name = "jobs"
  tags = { "azd-service-name" = "jobs" }
}

resource "azurerm_spring_cloud_app" "orders" {
  name = "orders"
}

resource "azurerm_function_app_connection" "jobs_db" {
  name               = "jobsdb"
  function_app_id    = azurerm_linux_function_app.jobs.id
  target_resource_id = "/subscriptions/s/resourceGroups/g/providers/Neon.Postgres/organizations/o/projects/p/branches/b/databases/d"
  client_type        = "python"
  authentication {
    type   = "secret"
    secret = var.db_password
  }
}

resource "azurerm_spring_cloud_connection" "orders_db" {
  name               = "ordersdb"
  spring_cloud_id    = azurerm_spring_cloud_java_deployment.orders.id
  target_resource_id = azurerm_postgresql_flexible_server_database.orders.id
  client_type        = "springBoot"
  authentication {
    type = "userAssignedIdentity"
  }
}

resource "azurerm_container_app" "api" {
  name = "api"
  template {
    container {
      env {
        name        = "AZURE_POSTGRESQL_PASSWORD"
        secret_name = "db-password"
      }
      env {
        name  = "AZURE_POSTGRESQL_HOST"
        value = "db.postgres.database.azure.com"
      }
    }
  }
}
"#;
        let inputs = [Input {
            path: "terraform/main.tf",
            text: main,
        }];
        let refs: Vec<&Input> = inputs.iter().collect();
        let found = read(&refs, true);
        assert_eq!(found, read(&refs, false));
        assert_eq!(found.len(), 3, "{found:?}");
        let jobs = &found[0];
        assert_eq!(jobs.kind, Kind::Linker);
        assert_eq!(jobs.name.as_ref().unwrap().value, "jobsdb");
        assert_eq!(jobs.app.as_deref(), Some("jobs"));
        assert_eq!(jobs.client_type.as_ref().unwrap().value, ClientType::Python);
        assert_eq!(jobs.auth.as_ref().unwrap().value, AuthType::Secret);
        assert_eq!(jobs.target.as_ref().unwrap().value, Target::Neon);
        assert_eq!(jobs.secret, Some(SettingValue::Unknown));
        let orders = &found[1];
        assert_eq!(orders.name.as_ref().unwrap().value, "ordersdb");
        assert_eq!(
            orders.app.as_deref(),
            Some("azurerm_spring_cloud_java_deployment.orders")
        );
        assert_eq!(
            orders.client_type.as_ref().unwrap().value,
            ClientType::SpringBoot
        );
        assert_eq!(orders.auth.as_ref().unwrap().value, AuthType::UserIdentity);
        assert_eq!(
            orders.target.as_ref().unwrap().value,
            Target::AzurePostgresql
        );
        let Kind::AppSettings(env) = &found[2].kind else {
            panic!("{found:?}")
        };
        assert_eq!(env[0].name, "AZURE_POSTGRESQL_PASSWORD");
        assert_eq!(env[0].value, SettingValue::Protected);
        assert!(matches!(env[1].value, SettingValue::Literal { .. }));
        assert_eq!(found[2].app.as_deref(), Some("azurerm_container_app.api"));
        assert_eq!(
            found[2].target.as_ref().unwrap().value,
            Target::AzurePostgresql
        );
    }
}
