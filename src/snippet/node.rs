//! Node.js (client type `nodejs`): node-postgres with the separate variables Service Connector
//! sets; @azure/identity for passwordless auth.

use super::{Context, Snippet, SnippetFile};
use crate::catalogue::{AuthType, Field, TOKEN_SCOPE};

pub(super) fn generate(context: &Context<'_>) -> Snippet {
    let auth = context.request.auth;
    let read = |field: Field| {
        let name = context.var(field).unwrap_or_default();
        format!("required(\"{name}\", process.env.{name})")
    };
    let mut dependencies = vec!["pg"];
    let mut imports = String::new();
    let mut token = String::new();
    match auth {
        AuthType::Secret => {}
        AuthType::SystemIdentity => {
            imports
                .push_str("const { ManagedIdentityCredential } = require(\"@azure/identity\");\n");
            token.push_str("  const credential = new ManagedIdentityCredential();\n");
        }
        AuthType::UserIdentity => {
            imports
                .push_str("const { ManagedIdentityCredential } = require(\"@azure/identity\");\n");
            token.push_str(&format!(
                r#"  const credential = new ManagedIdentityCredential({{
    clientId: {client_id},
  }});
"#,
                client_id = read(Field::ClientId),
            ));
        }
        AuthType::ServicePrincipal => {
            imports.push_str("const { ClientSecretCredential } = require(\"@azure/identity\");\n");
            token.push_str(&format!(
                r#"  const credential = new ClientSecretCredential(
    {tenant_id},
    {client_id},
    {client_secret},
  );
"#,
                tenant_id = read(Field::TenantId),
                client_id = read(Field::ClientId),
                client_secret = read(Field::ClientSecret),
            ));
        }
    }
    let password = if auth.is_passwordless() {
        dependencies.push("@azure/identity");
        token.push_str(
            r#"  // The Entra token is the password; it expires, so fetch one per new connection.
  const { token } = await credential.getToken(TOKEN_SCOPE);
"#,
        );
        "token".to_owned()
    } else {
        read(Field::Password)
    };
    let scope = if auth.is_passwordless() {
        format!(
            r#"// The Entra scope of Azure Database for PostgreSQL.
const TOKEN_SCOPE = "{TOKEN_SCOPE}";

"#
        )
    } else {
        String::new()
    };
    let ssl = context.var(Field::Ssl).unwrap_or_default();
    let user_field = if context.var(Field::User).is_some() {
        Field::User
    } else {
        Field::Username
    };
    let text = format!(
        r#"// {title}
// Dependencies: npm install {dependencies}
"use strict";

const {{ Client }} = require("pg");
{imports}
{scope}function required(name, value) {{
  if (!value) {{
    throw new Error(
      `${{name}} is not set: Azure Service Connector sets it for client type nodejs; for local runs put it in .env`,
    );
  }}
  return value;
}}

async function connect() {{
  // Service Connector writes "true" here as a string, and the string "false" is truthy: check
  // it, never pass it to `ssl`.
  const ssl = required("{ssl}", process.env.{ssl});
  if (ssl.toLowerCase() !== "true") {{
    throw new Error(`{ssl} is "${{ssl}}": this connection must use TLS`);
  }}
{token}  const client = new Client({{
    host: {host},
    port: Number({port}),
    user: {user},
    password: {password},
    database: {database},
    // TLS with the certificate chain and host name verified.
    ssl: {{ rejectUnauthorized: true }},
  }});
  await client.connect();
  return client;
}}

async function main() {{
  const client = await connect();
  try {{
    const {{ rows }} = await client.query(
      "select version(), current_user, ssl from pg_stat_ssl where pid = pg_backend_pid()",
    );
    const {{ version, current_user: user, ssl }} = rows[0];
    console.log(`connected as ${{user}} (TLS: ${{ssl}}): ${{version}}`);
  }} finally {{
    await client.end();
  }}
}}

main().catch((error) => {{
  console.error(`database connection failed: ${{error.message}}`);
  process.exitCode = 1;
}});
"#,
        title = context.title(),
        dependencies = dependencies.join(" "),
        host = read(Field::Host),
        port = read(Field::Port),
        user = read(user_field),
        database = read(Field::Database),
    );
    Snippet {
        language: "javascript",
        files: vec![SnippetFile {
            suggested_path: "db.js".to_owned(),
            text,
        }],
        dependencies,
    }
}
