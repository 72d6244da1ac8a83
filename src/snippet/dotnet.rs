//! .NET (client type `dotnet`): Npgsql with the connection string Service Connector sets, through
//! an NpgsqlDataSource; Azure.Identity with a periodic password provider for passwordless auth
//! (the token is refreshed before it expires, for every pooled connection).

use super::{Context, Snippet, SnippetFile};
use crate::catalogue::{AuthType, Field, TOKEN_SCOPE};

pub(super) fn generate(context: &Context<'_>) -> Snippet {
    let auth = context.request.auth;
    let name = |field: Field| context.var(field).unwrap_or_default().to_owned();
    let read = |field: Field| {
        let variable = name(field);
        format!("Required(\"{variable}\", Environment.GetEnvironmentVariable(\"{variable}\"))")
    };
    let connection_string = name(Field::ConnectionString);
    let mut dependencies = vec!["Npgsql"];
    let (usings, credentials) = match auth {
        AuthType::Secret => (
            String::new(),
            format!(
                r#"    if (string.IsNullOrEmpty(connectionString.Password))
    {{
        // Service Connector's documented .NET string carries no Password= (service-connector.md §6.2).
        throw new InvalidOperationException("{connection_string} has no Password=: add the password to that app setting");
    }}
"#
            ),
        ),
        _ => {
            dependencies.push("Azure.Identity");
            let credential = match auth {
                AuthType::SystemIdentity => {
                    "new ManagedIdentityCredential(ManagedIdentityId.SystemAssigned)".to_owned()
                }
                AuthType::UserIdentity => format!(
                    r#"new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(
        {client_id}))"#,
                    client_id = read(Field::ClientId),
                ),
                _ => format!(
                    r#"new ClientSecretCredential(
        {tenant_id},
        {client_id},
        {client_secret})"#,
                    tenant_id = read(Field::TenantId),
                    client_id = read(Field::ClientId),
                    client_secret = read(Field::ClientSecret),
                ),
            };
            (
                r#"using Azure.Core;
using Azure.Identity;
"#
                .to_owned(),
                format!(
                    r#"    TokenCredential credential = {credential};
"#
                ),
            )
        }
    };
    let provider = if auth.is_passwordless() {
        format!(
            r#"    // The Entra token is the password; refreshed well before it expires (about an hour).
    dataSourceBuilder.UsePeriodicPasswordProvider(
        async (_, cancellationToken) => (await credential.GetTokenAsync(
            new TokenRequestContext(new[] {{ "{TOKEN_SCOPE}" }}), cancellationToken)).Token,
        TimeSpan.FromMinutes(55),
        TimeSpan.FromSeconds(5));
"#
        )
    } else {
        String::new()
    };
    let text = format!(
        r#"// Program.cs — {title}
// Dependencies: dotnet add package {dependencies}
{usings}using Npgsql;

static string Required(string name, string? value) =>
    string.IsNullOrEmpty(value)
        ? throw new InvalidOperationException($"{{name}} is not set: Azure Service Connector sets it for client type dotnet; for local runs set it in the environment")
        : value;

try
{{
    var connectionString = new NpgsqlConnectionStringBuilder({read_connection_string});
    // Never fall back to plain text: keep VerifyCA/VerifyFull, require TLS otherwise.
    if (connectionString.SslMode is not (SslMode.Require or SslMode.VerifyCA or SslMode.VerifyFull))
    {{
        connectionString.SslMode = SslMode.Require;
    }}
{credentials}    var dataSourceBuilder = new NpgsqlDataSourceBuilder(connectionString.ConnectionString);
{provider}    await using var dataSource = dataSourceBuilder.Build();
    await using var connection = await dataSource.OpenConnectionAsync();
    await using var command = new NpgsqlCommand(
        "select version(), current_user, ssl from pg_stat_ssl where pid = pg_backend_pid()", connection);
    await using var reader = await command.ExecuteReaderAsync();
    await reader.ReadAsync();
    Console.WriteLine($"connected as {{reader.GetString(1)}} (TLS: {{reader.GetBoolean(2)}}): {{reader.GetString(0)}}");
    return 0;
}}
catch (Exception error) when (error is InvalidOperationException or NpgsqlException{auth_exception})
{{
    Console.Error.WriteLine($"database connection failed: {{error.Message}}");
    return 1;
}}
"#,
        title = context.title(),
        dependencies = dependencies.join(" "),
        read_connection_string = read(Field::ConnectionString),
        auth_exception = if auth.is_passwordless() {
            " or AuthenticationFailedException"
        } else {
            ""
        },
    );
    Snippet {
        language: "csharp",
        files: vec![SnippetFile {
            suggested_path: "Program.cs".to_owned(),
            text,
        }],
        dependencies,
    }
}
