//! Django (client type `django`): the DATABASES block for settings.py, from `_NAME`, `_HOST`,
//! `_USER` and `_PASSWORD` (no port: 5432). Passwordless auth adds a small database backend that
//! fetches a fresh Entra token for every new connection (tokens expire; a password in
//! settings would be read once).

use super::{Context, Snippet, SnippetFile};
use crate::catalogue::{AuthType, Field, TOKEN_SCOPE};

pub(super) fn generate(context: &Context<'_>) -> Snippet {
    let auth = context.request.auth;
    let read = |field: Field| {
        let name = context.var(field).unwrap_or_default();
        format!("_required(\"{name}\", os.environ.get(\"{name}\"))")
    };
    let mut dependencies = vec!["Django", "psycopg2-binary"];
    let (engine, password) = if auth.is_passwordless() {
        dependencies.push("azure-identity");
        ("entra_postgresql", String::new())
    } else {
        (
            "django.db.backends.postgresql",
            format!("        \"PASSWORD\": {},\n", read(Field::Password)),
        )
    };
    let settings = format!(
        r#"# settings.py — {title}
# Dependencies: pip install {dependencies}
import os


def _required(name, value):
    if not value:
        raise RuntimeError(
            f"{{name}} is not set: Azure Service Connector sets it for client type django; "
            "for local runs put it in .env"
        )
    return value


DATABASES = {{
    "default": {{
        "ENGINE": "{engine}",
        "NAME": {name},
        "HOST": {host},
        "USER": {user},
{password}        # TLS always; Service Connector sets no port (5432).
        "OPTIONS": {{"sslmode": "require"}},
    }}
}}
"#,
        title = context.title(),
        dependencies = dependencies.join(" "),
        name = read(Field::Name),
        host = read(Field::Host),
        user = read(Field::User),
    );
    let mut files = vec![SnippetFile {
        suggested_path: "settings.py".to_owned(),
        text: settings,
    }];
    if auth.is_passwordless() {
        let (class, arguments) = match auth {
            AuthType::UserIdentity => (
                "ManagedIdentityCredential",
                format!("client_id={}", read(Field::ClientId)),
            ),
            AuthType::ServicePrincipal => (
                "ClientSecretCredential",
                format!(
                    r#"
    tenant_id={tenant_id},
    client_id={client_id},
    client_secret={client_secret},
"#,
                    tenant_id = read(Field::TenantId),
                    client_id = read(Field::ClientId),
                    client_secret = read(Field::ClientSecret),
                ),
            ),
            _ => ("ManagedIdentityCredential", String::new()),
        };
        let reads_variables = auth != AuthType::SystemIdentity;
        let (import_os, helper) = if reads_variables {
            (
                r#"import os

"#,
                r#"

def _required(name, value):
    if not value:
        raise RuntimeError(
            f"{name} is not set: Azure Service Connector sets it for client type django"
        )
    return value
"#,
            )
        } else {
            ("", "")
        };
        files.push(SnippetFile {
            suggested_path: "entra_postgresql/base.py".to_owned(),
            text: format!(
                r#"# entra_postgresql/base.py — the ENGINE "entra_postgresql": Django's PostgreSQL backend with an
# Entra token as the password, fetched for every new connection (tokens expire after about an hour).
# Dependencies: pip install {dependencies}
{import_os}from azure.identity import {class}
from django.db.backends.postgresql import base

# The Entra scope of Azure Database for PostgreSQL.
TOKEN_SCOPE = "{TOKEN_SCOPE}"
{helper}

_credential = {class}({arguments})


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self):
        params = super().get_connection_params()
        params["password"] = _credential.get_token(TOKEN_SCOPE).token
        return params
"#,
                dependencies = dependencies.join(" "),
            ),
        });
        files.push(SnippetFile {
            suggested_path: "entra_postgresql/__init__.py".to_owned(),
            text: String::new(),
        });
    }
    Snippet {
        language: "python",
        files,
        dependencies,
    }
}
