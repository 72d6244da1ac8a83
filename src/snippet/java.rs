//! Java (client type `java`): the PostgreSQL JDBC driver with the JDBC URL Service Connector
//! sets. Passwordless snippets add Azure's JDBC authentication plugin
//! (azure-identity-extensions), which fetches the Entra token and passes it as the password.

use super::{Context, Snippet, SnippetFile};
use crate::catalogue::{AuthType, Field, TOKEN_SCOPE};

pub(super) fn generate(context: &Context<'_>) -> Snippet {
    let auth = context.request.auth;
    let read = |field: Field| {
        let name = context.var(field).unwrap_or_default();
        format!("required(\"{name}\", System.getenv(\"{name}\"))")
    };
    let mut dependencies = vec!["org.postgresql:postgresql"];
    let plugin = match auth {
        AuthType::Secret => String::new(),
        _ => {
            dependencies.push("com.azure:azure-identity-extensions");
            let mut properties = format!(
                r#"        // The plugin fetches an Entra token for this scope and sends it as the password.
        url += "&authenticationPluginClassName=com.azure.identity.extensions.jdbc.postgresql.AzurePostgresqlAuthenticationPlugin"
            + "&azure.scopes=" + URLEncoder.encode("{TOKEN_SCOPE}", StandardCharsets.UTF_8);
"#
            );
            match auth {
                AuthType::UserIdentity => properties.push_str(&format!(
                    "        url += \"&azure.clientId=\" + {};\n",
                    read(Field::ClientId)
                )),
                AuthType::ServicePrincipal => properties.push_str(&format!(
                    r#"        url += "&azure.tenantId=" + {tenant_id}
            + "&azure.clientId=" + {client_id}
            + "&azure.clientSecret=" + URLEncoder.encode({client_secret}, StandardCharsets.UTF_8);
"#,
                    tenant_id = read(Field::TenantId),
                    client_id = read(Field::ClientId),
                    client_secret = read(Field::ClientSecret),
                )),
                _ => {}
            }
            properties
        }
    };
    let imports = if auth.is_passwordless() {
        r#"import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
"#
    } else {
        ""
    };
    let text = format!(
        r#"// {title}
// Dependencies (Maven coordinates): {dependencies}
// Use a current PostgreSQL JDBC driver: older ones (e.g. 42.5.x) bundle a SCRAM client that
// rejects Neon's iteration count 1 ("iteration must be >= 4096", ongres/scram issue 20).
{imports}import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

public class Db {{
    private static String required(String name, String value) {{
        if (value == null || value.isEmpty()) {{
            throw new IllegalStateException(name + " is not set: Azure Service Connector sets it for client type java; for local runs set it in the environment");
        }}
        return value;
    }}

    /** The message with its causes: the driver's own message is often a generic wrapper. */
    private static String describe(Throwable error) {{
        StringBuilder message = new StringBuilder(String.valueOf(error.getMessage()));
        for (Throwable cause = error.getCause(); cause != null; cause = cause.getCause()) {{
            message.append(": ").append(cause.getMessage());
        }}
        return message.toString();
    }}

    public static void main(String[] args) {{
        try {{
            String url = {read_url};
            // Never fall back to plain text: keep verify-ca/verify-full, add require otherwise.
            if (!url.matches(".*[?&]sslmode=(require|verify-ca|verify-full)(&.*)?")) {{
                url += (url.contains("?") ? "&" : "?") + "sslmode=require";
            }}
{plugin}            try (Connection connection = DriverManager.getConnection(url);
                 Statement statement = connection.createStatement();
                 ResultSet row = statement.executeQuery(
                     "select version(), current_user, ssl from pg_stat_ssl where pid = pg_backend_pid()")) {{
                row.next();
                System.out.printf("connected as %s (TLS: %b): %s%n", row.getString(2), row.getBoolean(3), row.getString(1));
            }}
        }} catch (SQLException | IllegalStateException error) {{
            System.err.println("database connection failed: " + describe(error));
            System.exit(1);
        }}
    }}
}}
"#,
        title = context.title(),
        dependencies = dependencies.join(", "),
        read_url = read(Field::ConnectionString),
    );
    Snippet {
        language: "java",
        files: vec![SnippetFile {
            suggested_path: "Db.java".to_owned(),
            text,
        }],
        dependencies,
    }
}
