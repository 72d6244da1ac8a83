//! Spring Boot (client type `springboot`): Service Connector sets Spring's own properties
//! (`spring.datasource.*`, and the Spring Cloud Azure ones for passwordless auth) as app
//! settings, which outrank application.properties. So the snippet is the configuration that
//! documents and completes that contract — application.properties and application.yml — and a
//! JdbcTemplate repository that uses the pooled DataSource and refuses an unencrypted session.

use super::{Context, Snippet, SnippetFile};
use crate::catalogue::{Key, TOKEN_SCOPE};

pub(super) fn generate(context: &Context<'_>) -> Snippet {
    let auth = context.request.auth;
    let mut dependencies = vec![
        "org.springframework.boot:spring-boot-starter-jdbc",
        "org.postgresql:postgresql",
    ];
    if auth.is_passwordless() {
        dependencies.push("com.azure.spring:spring-cloud-azure-starter-jdbc-postgresql");
    }
    // Every property Service Connector sets for this combination, as the catalogue has it.
    let mut set_by_service_connector = String::new();
    let mut fixed = Vec::new();
    for variable in context.variables {
        if let Key::Spring(property) = variable.entry.key {
            set_by_service_connector.push_str(&format!(
                "#   {property}  ({})\n",
                variable.entry.format.describe()
            ));
            if let crate::catalogue::ValueFormat::Literal(value) = variable.entry.format {
                fixed.push((property, value));
            }
        }
    }
    let passwordless_note = if auth.is_passwordless() {
        format!(
            r#"# Passwordless: spring-cloud-azure-starter-jdbc-postgresql fetches an Entra token for
# {TOKEN_SCOPE} and uses it as the password, refreshed as it expires.
"#
        )
    } else {
        String::new()
    };
    let header = format!(
        r#"# {title}
# Dependencies: {dependencies}
#
# Set by Service Connector as app settings (they win over this file; keep values out of it):
{set_by_service_connector}{passwordless_note}"#,
        title = context.title(),
        dependencies = dependencies.join(", "),
    );
    let mut properties = header.clone();
    // Why the pool keeps connections alive, in the target's own terms.
    let idle = match context.request.target {
        crate::catalogue::Target::Neon => "a Neon compute scales to zero",
        crate::catalogue::Target::AzurePostgresql => "the server closes an idle connection",
    };
    properties.push_str(&format!(
        r#"
# The pool: small, and connections re-validated after {idle}.
spring.datasource.hikari.maximum-pool-size=5
spring.datasource.hikari.keepalive-time=60000
"#
    ));
    let mut yaml = header;
    yaml.push_str(
        r#"
spring:
  datasource:
    hikari:
      maximum-pool-size: 5
      keepalive-time: 60000
"#,
    );
    if !fixed.is_empty() {
        properties.push_str(
            "# Also set by Service Connector; repeated so that local runs behave the same.\n",
        );
        for (property, value) in &fixed {
            properties.push_str(&format!("{property}={value}\n"));
        }
        yaml.push_str(
            "# Also set by Service Connector; repeated so that local runs behave the same.\n",
        );
        for (property, value) in &fixed {
            yaml.push_str(&format!("{}: {value}\n", yaml_path(property)));
        }
    }
    let repository = format!(
        r#"package com.example.db;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Repository;

/**
 * {title}
 *
 * <p>Dependencies: {dependencies}. Spring Boot builds the DataSource from the properties Service
 * Connector sets; a missing spring.datasource.url stops the application at start-up with a
 * message naming it.
 */
@Repository
public class DatabaseCheck {{
    private final JdbcTemplate jdbc;

    public DatabaseCheck(JdbcTemplate jdbc) {{
        this.jdbc = jdbc;
    }}

    /** Runs one query through the pool and describes the session; refuses an unencrypted one. */
    public String describe() {{
        return jdbc.queryForObject(
            "select version(), current_user, ssl from pg_stat_ssl where pid = pg_backend_pid()",
            (row, rowNumber) -> {{
                if (!row.getBoolean(3)) {{
                    throw new IllegalStateException(
                        "the database session is not encrypted: spring.datasource.url must carry sslmode=require");
                }}
                return String.format("connected as %s (TLS: true): %s", row.getString(2), row.getString(1));
            }});
    }}
}}
"#,
        title = context.title(),
        dependencies = dependencies.join(", "),
    );
    Snippet {
        language: "java",
        files: vec![
            SnippetFile {
                suggested_path: "src/main/resources/application.properties".to_owned(),
                text: properties,
            },
            SnippetFile {
                suggested_path: "src/main/resources/application.yml".to_owned(),
                text: yaml,
            },
            SnippetFile {
                suggested_path: "src/main/java/com/example/db/DatabaseCheck.java".to_owned(),
                text: repository,
            },
        ],
        dependencies,
    }
}

/// `spring.datasource.azure.passwordless-enabled` as a flow path: YAML accepts the dotted key
/// at the top level, which Spring binds the same as nesting.
fn yaml_path(property: &str) -> String {
    property.to_owned()
}
