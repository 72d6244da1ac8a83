//! PHP (client type `php`): the pgsql extension with the libpq key-value string Service
//! Connector sets. PHP has no Azure identity library, so passwordless snippets call the
//! managed-identity endpoint (or the Entra token endpoint for a service principal) over HTTP.

use super::{Context, Snippet, SnippetFile};
use crate::catalogue::{AuthType, Field, TOKEN_RESOURCE, TOKEN_SCOPE};

pub(super) fn generate(context: &Context<'_>) -> Snippet {
    let auth = context.request.auth;
    let read = |field: Field| {
        let name = context.var(field).unwrap_or_default();
        format!("required('{name}', getenv('{name}'))")
    };
    let token = match auth {
        AuthType::Secret => String::new(),
        AuthType::SystemIdentity | AuthType::UserIdentity => {
            let client_id = if auth == AuthType::UserIdentity {
                format!(", 'client_id' => {}", read(Field::ClientId))
            } else {
                String::new()
            };
            format!(
                r#"
/** An Entra token from the app's managed identity (App Service / Container Apps endpoint). */
function entraToken(): string
{{
    $endpoint = required('IDENTITY_ENDPOINT', getenv('IDENTITY_ENDPOINT'));
    $query = http_build_query(['resource' => '{TOKEN_RESOURCE}', 'api-version' => '2019-08-01'{client_id}]);
    $context = stream_context_create(['http' => [
        'header' => 'X-IDENTITY-HEADER: ' . required('IDENTITY_HEADER', getenv('IDENTITY_HEADER')) . "\r\n",
        'timeout' => 10,
        'ignore_errors' => true,
    ]]);
    return accessToken(@file_get_contents($endpoint . '?' . $query, false, $context));
}}
"#
            )
        }
        AuthType::ServicePrincipal => format!(
            r#"
/** An Entra token for the service principal (client credentials). */
function entraToken(): string
{{
    $authority = getenv('AZURE_AUTHORITY_HOST') ?: 'https://login.microsoftonline.com';
    $tenant = {tenant};
    $context = stream_context_create(['http' => [
        'method' => 'POST',
        'header' => "Content-Type: application/x-www-form-urlencoded\r\n",
        'content' => http_build_query([
            'grant_type' => 'client_credentials',
            'client_id' => {client_id},
            'client_secret' => {secret},
            'scope' => '{TOKEN_SCOPE}',
        ]),
        'timeout' => 10,
        'ignore_errors' => true,
    ]]);
    return accessToken(@file_get_contents(rtrim($authority, '/') . "/$tenant/oauth2/v2.0/token", false, $context));
}}
"#,
            tenant = read(Field::TenantId),
            client_id = read(Field::ClientId),
            secret = read(Field::ClientSecret),
        ),
    };
    let token_helpers = if auth.is_passwordless() {
        format!(
            r#"{token}
function accessToken(string|false $body): string
{{
    $token = $body === false ? null : (json_decode($body, true)['access_token'] ?? null);
    if (!is_string($token)) {{
        throw new RuntimeException('no Entra token: the token endpoint did not answer with one');
    }}
    return $token;
}}
"#
        )
    } else {
        String::new()
    };
    let add_token = if auth.is_passwordless() {
        r#"    // The Entra token is the password; it expires, so fetch one per new connection.
    $conninfo .= " password='" . addcslashes(entraToken(), "'\\") . "'";
"#
    } else {
        ""
    };
    let text = format!(
        r#"<?php
// {title}
// Dependencies: PHP's pgsql extension (Debian/Ubuntu: apt install php-pgsql; Docker: docker-php-ext-install pgsql).
declare(strict_types=1);

function required(string $name, string|false $value): string
{{
    if ($value === false || $value === '') {{
        throw new RuntimeException("$name is not set: Azure Service Connector sets it for client type php; for local runs set it in the environment");
    }}
    return $value;
}}
{token_helpers}
function connect(): PgSql\Connection
{{
    $conninfo = {read_conninfo};
    // Never fall back to plain text: keep verify-ca/verify-full, add require otherwise.
    if (!preg_match("/\bsslmode\s*=\s*'?(require|verify-ca|verify-full)\b/", $conninfo)) {{
        $conninfo .= ' sslmode=require';
    }}
{add_token}    $connection = @pg_connect($conninfo, PGSQL_CONNECT_FORCE_NEW);
    if ($connection === false) {{
        throw new RuntimeException(error_get_last()['message'] ?? 'pg_connect failed');
    }}
    return $connection;
}}

try {{
    $connection = connect();
    try {{
        $result = pg_query($connection, 'select version(), current_user, ssl from pg_stat_ssl where pid = pg_backend_pid()');
        if ($result === false) {{
            throw new RuntimeException(pg_last_error($connection));
        }}
        [$version, $user, $ssl] = pg_fetch_row($result);
        printf("connected as %s (TLS: %s): %s\n", $user, $ssl === 't' ? 'true' : 'false', $version);
    }} finally {{
        pg_close($connection);
    }}
}} catch (RuntimeException $error) {{
    fwrite(STDERR, 'database connection failed: ' . $error->getMessage() . "\n");
    exit(1);
}}
"#,
        title = context.title(),
        read_conninfo = read(Field::ConnectionString),
    );
    Snippet {
        language: "php",
        files: vec![SnippetFile {
            suggested_path: "db.php".to_owned(),
            text,
        }],
        dependencies: vec!["php-pgsql"],
    }
}
