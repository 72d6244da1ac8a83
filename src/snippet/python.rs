//! Python (client type `python`): psycopg2 with the libpq key-value string Service Connector
//! sets; azure-identity for passwordless auth.

use super::{Context, Snippet, SnippetFile};
use crate::catalogue::{AuthType, Field, TOKEN_SCOPE};

pub(super) fn generate(context: &Context<'_>) -> Snippet {
    let auth = context.request.auth;
    let connection_string = context.var(Field::ConnectionString).unwrap_or_default();
    let read = |name: &str| format!("required(\"{name}\", os.environ.get(\"{name}\"))");
    let mut dependencies = vec!["psycopg2-binary"];
    let mut imports = String::new();
    let mut token = String::new();
    match auth {
        AuthType::Secret => {}
        AuthType::SystemIdentity => {
            imports.push_str("from azure.identity import ManagedIdentityCredential\n");
            token.push_str("    credential = ManagedIdentityCredential()\n");
        }
        AuthType::UserIdentity => {
            imports.push_str("from azure.identity import ManagedIdentityCredential\n");
            token.push_str(&format!(
                "    credential = ManagedIdentityCredential(client_id={})\n",
                read(context.var(Field::ClientId).unwrap_or_default())
            ));
        }
        AuthType::ServicePrincipal => {
            imports.push_str("from azure.identity import ClientSecretCredential\n");
            token.push_str(&format!(
                r#"    credential = ClientSecretCredential(
        tenant_id={tenant_id},
        client_id={client_id},
        client_secret={client_secret},
    )
"#,
                tenant_id = read(context.var(Field::TenantId).unwrap_or_default()),
                client_id = read(context.var(Field::ClientId).unwrap_or_default()),
                client_secret = read(context.var(Field::ClientSecret).unwrap_or_default()),
            ));
        }
    }
    if auth.is_passwordless() {
        dependencies.push("azure-identity");
        token.push_str(
            r#"    # The Entra token is the password; it expires, so fetch one per new connection.
    dsn = make_dsn(dsn, password=credential.get_token(TOKEN_SCOPE).token)
"#,
        );
    }
    let scope = if auth.is_passwordless() {
        format!(
            r#"# The Entra scope of Azure Database for PostgreSQL.
TOKEN_SCOPE = "{TOKEN_SCOPE}"
"#
        )
    } else {
        String::new()
    };
    let text = format!(
        r#""""{title}

Dependencies: pip install {dependencies}
"""
import os
import sys

import psycopg2
from psycopg2.extensions import make_dsn, parse_dsn
{imports}
{scope}# Modes that encrypt; anything weaker would let libpq fall back to plain text.
TLS_MODES = ("require", "verify-ca", "verify-full")


def required(name, value):
    if not value:
        raise RuntimeError(
            f"{{name}} is not set: Azure Service Connector sets it for client type python; "
            "for local runs put it in .env"
        )
    return value


def connect():
    dsn = {read_dsn}
    if parse_dsn(dsn).get("sslmode") not in TLS_MODES:
        dsn = make_dsn(dsn, sslmode="require")
{token}    return psycopg2.connect(dsn)


def main():
    conn = connect()
    try:
        with conn.cursor() as cur:
            cur.execute(
                "select version(), current_user, ssl from pg_stat_ssl where pid = pg_backend_pid()"
            )
            version, user, ssl = cur.fetchone()
            print(f"connected as {{user}} (TLS: {{ssl}}): {{version}}")
    finally:
        conn.close()


if __name__ == "__main__":
    try:
        main()
    except (RuntimeError, psycopg2.Error) as error:
        sys.exit(f"database connection failed: {{error}}")
"#,
        title = context.title(),
        dependencies = dependencies.join(" "),
        read_dsn = read(connection_string),
    );
    Snippet {
        language: "python",
        files: vec![SnippetFile {
            suggested_path: "db.py".to_owned(),
            text,
        }],
        dependencies,
    }
}
