//! Go (client type `go`): pgx v5 with the libpq key-value string Service Connector sets (no
//! `port=`: 5432 is the default). pgx, not lib/pq: Neon's SCRAM verifiers use iteration count 1,
//! which lib/pq rejects (service-connector.md §6). azidentity for passwordless auth.

use super::{Context, Snippet, SnippetFile};
use crate::catalogue::{AuthType, Field, TOKEN_SCOPE};

pub(super) fn generate(context: &Context<'_>) -> Snippet {
    let auth = context.request.auth;
    let read = |field: Field| {
        let name = context.var(field).unwrap_or_default();
        format!("required(\"{name}\", os.Getenv(\"{name}\"))")
    };
    let mut dependencies = vec!["github.com/jackc/pgx/v5"];
    let (imports, credential) = match auth {
        AuthType::Secret => (String::new(), String::new()),
        AuthType::SystemIdentity => (
            String::new(),
            "\tcredential, err := azidentity.NewManagedIdentityCredential(nil)\n".to_owned(),
        ),
        AuthType::UserIdentity => (
            String::new(),
            format!(
                r#"	clientID, err := {client_id}
	if err != nil {{
		return nil, err
	}}
	credential, err := azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{{
		ID: azidentity.ClientID(clientID),
	}})
"#,
                client_id = read(Field::ClientId),
            ),
        ),
        AuthType::ServicePrincipal => (
            String::new(),
            format!(
                r#"	tenantID, err := {tenant_id}
	if err != nil {{
		return nil, err
	}}
	clientID, err := {client_id}
	if err != nil {{
		return nil, err
	}}
	secret, err := {client_secret}
	if err != nil {{
		return nil, err
	}}
	credential, err := azidentity.NewClientSecretCredential(tenantID, clientID, secret, nil)
"#,
                tenant_id = read(Field::TenantId),
                client_id = read(Field::ClientId),
                client_secret = read(Field::ClientSecret),
            ),
        ),
    };
    let (imports, token) = if auth.is_passwordless() {
        dependencies.push("github.com/Azure/azure-sdk-for-go/sdk/azidentity");
        (
            format!(
                r#"{imports}
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity""#
            ),
            format!(
                r#"{credential}	if err != nil {{
		return nil, err
	}}
	// The Entra token is the password; it expires, so fetch one per new connection.
	token, err := credential.GetToken(ctx, policy.TokenRequestOptions{{Scopes: []string{{tokenScope}}}})
	if err != nil {{
		return nil, fmt.Errorf("no Entra token: %w", err)
	}}
	conninfo += " password='" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(token.Token) + "'"
"#
            ),
        )
    } else {
        (imports, String::new())
    };
    let scope = if auth.is_passwordless() {
        format!(
            r#"
// The Entra scope of Azure Database for PostgreSQL.
const tokenScope = "{TOKEN_SCOPE}"
"#
        )
    } else {
        String::new()
    };
    let strings_import = if auth.is_passwordless() {
        "\t\"strings\"\n"
    } else {
        ""
    };
    let text = format!(
        r#"// {title}
// Dependencies: go get {dependencies}
//
// pgx, not lib/pq: Neon's SCRAM verifiers use iteration count 1, which lib/pq rejects.
package main

import (
	"context"
	"fmt"
	"os"
	"regexp"
{strings_import}	"time"

	"github.com/jackc/pgx/v5"{imports}
)
{scope}
// Modes that encrypt; anything weaker would let the driver fall back to plain text.
var tlsMode = regexp.MustCompile(`\bsslmode\s*=\s*'?(require|verify-ca|verify-full)\b`)

func required(name, value string) (string, error) {{
	if value == "" {{
		return "", fmt.Errorf("%s is not set: Azure Service Connector sets it for client type go; for local runs set it in the environment", name)
	}}
	return value, nil
}}

func connect(ctx context.Context) (*pgx.Conn, error) {{
	conninfo, err := {read_conninfo}
	if err != nil {{
		return nil, err
	}}
	if !tlsMode.MatchString(conninfo) {{
		conninfo += " sslmode=require"
	}}
{token}	return pgx.Connect(ctx, conninfo)
}}

func run() error {{
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := connect(ctx)
	if err != nil {{
		return err
	}}
	defer conn.Close(ctx)
	var version, user string
	var ssl bool
	err = conn.QueryRow(ctx, "select version(), current_user, ssl from pg_stat_ssl where pid = pg_backend_pid()").Scan(&version, &user, &ssl)
	if err != nil {{
		return err
	}}
	fmt.Printf("connected as %s (TLS: %t): %s\n", user, ssl, version)
	return nil
}}

func main() {{
	if err := run(); err != nil {{
		fmt.Fprintf(os.Stderr, "database connection failed: %v\n", err)
		os.Exit(1)
	}}
}}
"#,
        title = context.title(),
        dependencies = dependencies.join(" "),
        read_conninfo = read(Field::ConnectionString),
    );
    Snippet {
        language: "go",
        files: vec![SnippetFile {
            suggested_path: "main.go".to_owned(),
            text,
        }],
        dependencies,
    }
}
