//! Client type `none` (the separate variables, `_USERNAME` for the user): a shell script with
//! psql, the one client every Postgres host has. Passwordless scripts fetch the token with
//! curl and jq from the managed-identity endpoint, or from Entra for a service principal.

use super::{Context, Snippet, SnippetFile};
use crate::catalogue::{AuthType, Field, TOKEN_RESOURCE, TOKEN_SCOPE};

pub(super) fn generate(context: &Context<'_>) -> Snippet {
    let auth = context.request.auth;
    let name = |field: Field| context.var(field).unwrap_or_default().to_owned();
    let check = |field: Field| {
        let variable = name(field);
        format!("required {variable} \"${{{variable}:-}}\"\n")
    };
    let mut checks = String::new();
    for field in [
        Field::Host,
        Field::Port,
        Field::Database,
        Field::Username,
        Field::Ssl,
    ] {
        checks.push_str(&check(field));
    }
    let mut dependencies = vec!["postgresql-client"];
    let password = match auth {
        AuthType::Secret => {
            checks.push_str(&check(Field::Password));
            format!("PGPASSWORD=\"${}\"", name(Field::Password))
        }
        AuthType::SystemIdentity | AuthType::UserIdentity => {
            let client_id = if auth == AuthType::UserIdentity {
                checks.push_str(&check(Field::ClientId));
                format!(
                    r#" \
  --data-urlencode "client_id=${}""#,
                    name(Field::ClientId)
                )
            } else {
                String::new()
            };
            checks.push_str(
                r#"required IDENTITY_ENDPOINT "${IDENTITY_ENDPOINT:-}"
required IDENTITY_HEADER "${IDENTITY_HEADER:-}"
"#,
            );
            format!(
                r#"# The Entra token is the password; it expires, so fetch one per connection.
token=$(curl --fail --silent --show-error --max-time 10 --get "$IDENTITY_ENDPOINT" \
  -H "X-IDENTITY-HEADER: $IDENTITY_HEADER" \
  --data-urlencode "resource={TOKEN_RESOURCE}" \
  --data-urlencode "api-version=2019-08-01"{client_id} | jq -er .access_token)
PGPASSWORD="$token""#
            )
        }
        AuthType::ServicePrincipal => {
            for field in [Field::TenantId, Field::ClientId, Field::ClientSecret] {
                checks.push_str(&check(field));
            }
            format!(
                r#"# The Entra token is the password; it expires, so fetch one per connection.
authority="${{AZURE_AUTHORITY_HOST:-https://login.microsoftonline.com}}"
token=$(curl --fail --silent --show-error --max-time 10 "${{authority%/}}/${tenant}/oauth2/v2.0/token" \
  --data-urlencode "grant_type=client_credentials" \
  --data-urlencode "client_id=${client}" \
  --data-urlencode "client_secret=${secret}" \
  --data-urlencode "scope={TOKEN_SCOPE}" | jq -er .access_token)
PGPASSWORD="$token""#,
                tenant = name(Field::TenantId),
                client = name(Field::ClientId),
                secret = name(Field::ClientSecret),
            )
        }
    };
    if auth.is_passwordless() {
        dependencies.extend(["curl", "jq"]);
    }
    let ssl = name(Field::Ssl);
    let text = format!(
        r#"#!/usr/bin/env bash
# {title}
# Dependencies: {dependencies}
set -euo pipefail

required() {{
  if [ -z "$2" ]; then
    echo "database connection failed: $1 is not set: Azure Service Connector sets it for client type none; for local runs export it" >&2
    exit 1
  fi
}}

{checks}if [ "${ssl}" != "true" ]; then
  echo "database connection failed: {ssl} is \"${ssl}\": this connection must use TLS" >&2
  exit 1
fi
{password}
export PGPASSWORD

# libpq's environment variables: no quoting problems, and sslmode=require never falls back to
# plain text.
PGHOST="${host}" PGPORT="${port}" PGDATABASE="${database}" PGUSER="${user}" PGSSLMODE=require \
  psql --no-psqlrc --tuples-only --no-align --command \
  "select format('connected as %s (TLS: %s): %s', current_user, case when ssl then 'true' else 'false' end, version()) from pg_stat_ssl where pid = pg_backend_pid()"
"#,
        title = context.title(),
        dependencies = dependencies.join(", "),
        host = name(Field::Host),
        port = name(Field::Port),
        database = name(Field::Database),
        user = name(Field::Username),
    );
    Snippet {
        language: "shellscript",
        files: vec![SnippetFile {
            suggested_path: "connect.sh".to_owned(),
            text,
        }],
        dependencies,
    }
}
