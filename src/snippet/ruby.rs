//! Ruby (client type `ruby`): the pg gem with the libpq key-value string Service Connector sets.
//! Passwordless snippets call the managed-identity endpoint (or the Entra token endpoint for a
//! service principal) with Net::HTTP, as Ruby has no maintained Azure identity library.

use super::{Context, Snippet, SnippetFile};
use crate::catalogue::{AuthType, Field, TOKEN_RESOURCE, TOKEN_SCOPE};

pub(super) fn generate(context: &Context<'_>) -> Snippet {
    let auth = context.request.auth;
    let read = |field: Field| {
        let name = context.var(field).unwrap_or_default();
        format!("required(\"{name}\", ENV[\"{name}\"])")
    };
    let token = match auth {
        AuthType::Secret => String::new(),
        AuthType::SystemIdentity | AuthType::UserIdentity => {
            let client_id = if auth == AuthType::UserIdentity {
                format!(", client_id: {}", read(Field::ClientId))
            } else {
                String::new()
            };
            format!(
                r##"
# An Entra token from the app's managed identity (App Service / Container Apps endpoint).
def entra_token
  uri = URI(required("IDENTITY_ENDPOINT", ENV["IDENTITY_ENDPOINT"]))
  uri.query = URI.encode_www_form(resource: "{TOKEN_RESOURCE}", "api-version": "2019-08-01"{client_id})
  request = Net::HTTP::Get.new(uri)
  request["X-IDENTITY-HEADER"] = required("IDENTITY_HEADER", ENV["IDENTITY_HEADER"])
  response = Net::HTTP.start(uri.host, uri.port, use_ssl: uri.scheme == "https", open_timeout: 10, read_timeout: 10) do |http|
    http.request(request)
  end
  access_token(response)
end
"##
            )
        }
        AuthType::ServicePrincipal => format!(
            r##"
# An Entra token for the service principal (client credentials).
def entra_token
  authority = ENV.fetch("AZURE_AUTHORITY_HOST", "https://login.microsoftonline.com").chomp("/")
  uri = URI("#{{authority}}/#{{{tenant}}}/oauth2/v2.0/token")
  response = Net::HTTP.post_form(
    uri,
    grant_type: "client_credentials",
    client_id: {client_id},
    client_secret: {secret},
    scope: "{TOKEN_SCOPE}",
  )
  access_token(response)
end
"##,
            tenant = read(Field::TenantId),
            client_id = read(Field::ClientId),
            secret = read(Field::ClientSecret),
        ),
    };
    let (requires, helpers, add_token) = if auth.is_passwordless() {
        (
            r#"require "json"
require "net/http"
require "uri"
"#,
            format!(
                r##"{token}
def access_token(response)
  raise "the token endpoint answered #{{response.code}}" unless response.is_a?(Net::HTTPSuccess)

  JSON.parse(response.body).fetch("access_token")
end
"##
            ),
            r#"  # The Entra token is the password; it expires, so fetch one per new connection.
  conninfo += " password='#{entra_token.gsub(/['\\]/) { |c| "\\#{c}" }}'"
"#,
        )
    } else {
        ("", String::new(), "")
    };
    let text = format!(
        r##"# {title}
# Dependencies: gem install pg
require "pg"
{requires}
def required(name, value)
  if value.nil? || value.empty?
    raise KeyError, "#{{name}} is not set: Azure Service Connector sets it for client type ruby; for local runs set it in the environment"
  end

  value
end
{helpers}
def connect
  conninfo = {read_conninfo}
  # Never fall back to plain text: keep verify-ca/verify-full, add require otherwise.
  conninfo += " sslmode=require" unless conninfo.match?(/\bsslmode\s*=\s*'?(require|verify-ca|verify-full)\b/)
{add_token}  PG.connect(conninfo)
end

begin
  connection = connect
  begin
    row = connection.exec("select version(), current_user, ssl from pg_stat_ssl where pid = pg_backend_pid()").first
    puts "connected as #{{row["current_user"]}} (TLS: #{{row["ssl"] == "t"}}): #{{row["version"]}}"
  ensure
    connection.close
  end
rescue KeyError, PG::Error, RuntimeError => e
  warn "database connection failed: #{{e.message}}"
  exit 1
end
"##,
        title = context.title(),
        read_conninfo = read(Field::ConnectionString),
    );
    Snippet {
        language: "ruby",
        files: vec![SnippetFile {
            suggested_path: "db.rb".to_owned(),
            text,
        }],
        dependencies: vec!["pg"],
    }
}
