//! The catalogue: what Azure Service Connector injects, per target, client type and auth type.
//!
//! This is data, kept in one place so that a maintainer updates one table when Azure changes.
//! Every row cites its source tag from `shared/service-connector.md` (N1 = Neon integration
//! doc, P1 = Azure PostgreSQL integration doc, C1 = naming convention, A1 = azure-cli enums).
//! Nothing else in the code base spells a Service Connector variable name: rules, snippets,
//! hover texts and `pull` ask this module.
//!
//! Not here: how values are parsed or rendered (see `connstr`), or which connection applies to
//! a file (see `config` and `infer`).

use std::fmt;

/// The database service Service Connector connects to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    /// Neon Serverless Postgres (`az … connection create neon-postgres`), secret auth only (A1, N1b).
    Neon,
    /// Azure Database for PostgreSQL flexible server (`postgres-flexible`), four auth types (A1, P1).
    AzurePostgresql,
}

impl Target {
    pub const ALL: [Target; 2] = [Target::Neon, Target::AzurePostgresql];

    /// The id used in neon-lsp.toml and on the command line.
    pub fn id(self) -> &'static str {
        match self {
            Target::Neon => "neon",
            Target::AzurePostgresql => "azure-postgresql",
        }
    }

    pub fn from_id(id: &str) -> Option<Target> {
        Target::ALL.into_iter().find(|target| target.id() == id)
    }

    /// `<Cloud>_<Type>_` from the naming convention (C1).
    pub fn prefix(self) -> &'static str {
        match self {
            Target::Neon => "NEON_POSTGRESQL_",
            Target::AzurePostgresql => "AZURE_POSTGRESQL_",
        }
    }

    pub fn display_name(self) -> &'static str {
        match self {
            Target::Neon => "Neon Serverless Postgres",
            Target::AzurePostgresql => "Azure Database for PostgreSQL",
        }
    }

    /// Auth types Service Connector offers for this target (A1 `SUPPORTED_AUTH_TYPE`).
    pub fn auth_types(self) -> &'static [AuthType] {
        match self {
            Target::Neon => &[AuthType::Secret],
            Target::AzurePostgresql => &AuthType::ALL,
        }
    }

    /// The documented example host, for placeholders (N1, P1); it fits [`Target::host_shape`]
    /// (`catalogue/hosts.rs` pins both).
    pub fn example_host(self) -> &'static str {
        match self {
            Target::Neon => "ep-still-mud-a12aa123.eastus2.azure.neon.tech",
            Target::AzurePostgresql => "myserver.postgres.database.azure.com",
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// The client type chosen when the connection was made (A1 `CLIENT_TYPE`, the ten documented ones).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ClientType {
    DotNet,
    Java,
    SpringBoot,
    Python,
    Django,
    Go,
    NodeJs,
    Php,
    Ruby,
    /// "Other" in the docs, `none` in the CLI.
    None,
}

impl ClientType {
    pub const ALL: [ClientType; 10] = [
        ClientType::DotNet,
        ClientType::Java,
        ClientType::SpringBoot,
        ClientType::Python,
        ClientType::Django,
        ClientType::Go,
        ClientType::NodeJs,
        ClientType::Php,
        ClientType::Ruby,
        ClientType::None,
    ];

    /// The id used in neon-lsp.toml and on the command line.
    pub fn id(self) -> &'static str {
        match self {
            ClientType::DotNet => "dotnet",
            ClientType::Java => "java",
            ClientType::SpringBoot => "springboot",
            ClientType::Python => "python",
            ClientType::Django => "django",
            ClientType::Go => "go",
            ClientType::NodeJs => "nodejs",
            ClientType::Php => "php",
            ClientType::Ruby => "ruby",
            ClientType::None => "none",
        }
    }

    pub fn from_id(id: &str) -> Option<ClientType> {
        let id = id.to_ascii_lowercase();
        ClientType::ALL.into_iter().find(|client| client.id() == id)
    }

    /// The azure-cli spelling (`--client-type`), A1.
    pub fn cli_id(self) -> &'static str {
        match self {
            ClientType::SpringBoot => "springBoot",
            other => other.id(),
        }
    }
}

impl fmt::Display for ClientType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// How the app authenticates to the database (A1 `AUTH_TYPE`, the four offered for Postgres).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AuthType {
    /// "Secret / connection string": a password.
    Secret,
    /// System-assigned managed identity (`system-managed-identity`).
    SystemIdentity,
    /// User-assigned managed identity (`user-managed-identity`).
    UserIdentity,
    ServicePrincipal,
}

impl AuthType {
    pub const ALL: [AuthType; 4] = [
        AuthType::Secret,
        AuthType::SystemIdentity,
        AuthType::UserIdentity,
        AuthType::ServicePrincipal,
    ];

    pub fn id(self) -> &'static str {
        match self {
            AuthType::Secret => "secret",
            AuthType::SystemIdentity => "system-identity",
            AuthType::UserIdentity => "user-identity",
            AuthType::ServicePrincipal => "service-principal",
        }
    }

    pub fn from_id(id: &str) -> Option<AuthType> {
        AuthType::ALL.into_iter().find(|auth| auth.id() == id)
    }

    /// Passwordless: an Entra token replaces the password.
    pub fn is_passwordless(self) -> bool {
        self != AuthType::Secret
    }
}

impl fmt::Display for AuthType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// The Entra scope a passwordless connection must request its token for (P1, P4).
pub const TOKEN_SCOPE: &str = "https://ossrdbms-aad.database.windows.net/.default";
/// The same audience as a `resource` (managed-identity REST endpoint, P1).
pub const TOKEN_RESOURCE: &str = "https://ossrdbms-aad.database.windows.net";

/// The part of a variable name after the prefix (and the connection name, if any).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    ConnectionString,
    Host,
    /// `_USER` (Node.js, Django).
    User,
    /// `_USERNAME` ("none").
    Username,
    Password,
    /// `_DATABASE` (Node.js, none).
    Database,
    /// `_NAME` (Django's database name).
    Name,
    Port,
    Ssl,
    ClientId,
    ClientSecret,
    TenantId,
}

impl Field {
    pub const ALL: [Field; 12] = [
        Field::ConnectionString,
        Field::Host,
        Field::User,
        Field::Username,
        Field::Password,
        Field::Database,
        Field::Name,
        Field::Port,
        Field::Ssl,
        Field::ClientId,
        Field::ClientSecret,
        Field::TenantId,
    ];

    pub fn suffix(self) -> &'static str {
        match self {
            Field::ConnectionString => "CONNECTIONSTRING",
            Field::Host => "HOST",
            Field::User => "USER",
            Field::Username => "USERNAME",
            Field::Password => "PASSWORD",
            Field::Database => "DATABASE",
            Field::Name => "NAME",
            Field::Port => "PORT",
            Field::Ssl => "SSL",
            Field::ClientId => "CLIENTID",
            Field::ClientSecret => "CLIENTSECRET",
            Field::TenantId => "TENANTID",
        }
    }

    pub fn from_suffix(suffix: &str) -> Option<Field> {
        Field::ALL
            .into_iter()
            .find(|field| field.suffix() == suffix)
    }

    /// Whether the value is a secret that must never be shown.
    pub fn is_secret(self) -> bool {
        matches!(self, Field::Password | Field::ClientSecret)
    }

    pub fn description(self) -> &'static str {
        match self {
            Field::ConnectionString => "connection string",
            Field::Host => "server host name",
            Field::User | Field::Username => "user name",
            Field::Password => "password",
            Field::Database | Field::Name => "database name",
            Field::Port => "port",
            Field::Ssl => "TLS flag",
            Field::ClientId => "client id of the identity or service principal",
            Field::ClientSecret => "client secret of the service principal",
            Field::TenantId => "tenant id of the service principal",
        }
    }
}

/// The format of one injected value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueFormat {
    /// Npgsql / ADO.NET `Server=…;Database=…;Port=5432;Ssl Mode=Require;User Id=…;`.
    Npgsql,
    /// `jdbc:postgresql://<host>:5432/<db>?sslmode=require[&user=…[&password=…]]`.
    Jdbc,
    /// libpq key-value, keys in this documented order.
    KeyValue(&'static [&'static str]),
    Host,
    User,
    Password,
    Database,
    /// `5432`.
    Port,
    /// `true` (a string: Node's `ssl` option needs a boolean, see `string-ssl-flag`).
    SslFlag,
    /// A GUID.
    Guid,
    ClientSecret,
    /// A fixed literal such as `true`.
    Literal(&'static str),
}

impl ValueFormat {
    pub fn describe(self) -> &'static str {
        match self {
            ValueFormat::Npgsql => {
                "Npgsql connection string (Server=…;Database=…;Port=5432;Ssl Mode=Require;User Id=…)"
            }
            ValueFormat::Jdbc => "JDBC URL (jdbc:postgresql://host:5432/db?sslmode=require…)",
            ValueFormat::KeyValue(_) => {
                "libpq key-value string (host=… dbname=… sslmode=require user=…)"
            }
            ValueFormat::Host => "host name",
            ValueFormat::User => "user name",
            ValueFormat::Password => "password",
            ValueFormat::Database => "database name",
            ValueFormat::Port => "port number (5432)",
            ValueFormat::SslFlag => "the string \"true\"",
            ValueFormat::Guid => "GUID",
            ValueFormat::ClientSecret => "client secret",
            ValueFormat::Literal(_) => "fixed value",
        }
    }
}

/// Key orders of the libpq key-value strings, exactly as documented (N1, P1).
/// Python: `dbname host port sslmode user password`.
pub const KV_PYTHON: &[&str] = &["dbname", "host", "port", "sslmode", "user", "password"];
/// Go: `host dbname sslmode user password` — no `port=` in any version (§6.3).
pub const KV_GO: &[&str] = &["host", "dbname", "sslmode", "user", "password"];
/// PHP and Ruby: `host port dbname sslmode user password`.
pub const KV_PHP_RUBY: &[&str] = &["host", "port", "dbname", "sslmode", "user", "password"];

/// The Spring Boot application properties (C1: Spring's own names; P1 §4.2, N1).
pub mod spring {
    pub const URL: &str = "spring.datasource.url";
    pub const USERNAME: &str = "spring.datasource.username";
    pub const PASSWORD: &str = "spring.datasource.password";
    /// Added by Service Connector since early 2023 (I2).
    pub const PASSWORDLESS_ENABLED: &str = "spring.datasource.azure.passwordless-enabled";
    pub const CREDENTIAL_CLIENT_ID: &str = "spring.cloud.azure.credential.client-id";
    pub const CREDENTIAL_CLIENT_SECRET: &str = "spring.cloud.azure.credential.client-secret";
    pub const CREDENTIAL_TENANT_ID: &str = "spring.cloud.azure.credential.tenant-id";
    pub const CLIENT_MANAGED_IDENTITY_ENABLED: &str =
        "spring.cloud.azure.credential.client-managed-identity-enabled";
}

/// What a key is: a prefixed environment variable or a Spring Boot property.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Env(Field),
    Spring(&'static str),
}

/// One row of a combination: a key, its value format, an example and its source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub key: Key,
    pub format: ValueFormat,
    /// The documented example value (placeholders in angle brackets).
    pub example: &'static str,
    /// Source tag in service-connector.md.
    pub source: &'static str,
    /// The value contains a password (in the string or as the whole value).
    pub carries_password: bool,
}

/// A resolved variable for one connection: the concrete name and what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variable {
    pub name: String,
    pub entry: Entry,
}

impl Variable {
    pub fn field(&self) -> Option<Field> {
        match self.entry.key {
            Key::Env(field) => Some(field),
            Key::Spring(_) => None,
        }
    }
}

/// The combination is not offered by Service Connector (A1, N1b).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "Service Connector does not offer {auth} auth for {target}: {target} supports only secret (connection string) auth"
)]
pub struct UnsupportedCombination {
    pub target: Target,
    pub auth: AuthType,
}

const fn env(
    field: Field,
    format: ValueFormat,
    example: &'static str,
    source: &'static str,
) -> Entry {
    Entry {
        key: Key::Env(field),
        format,
        example,
        source,
        carries_password: false,
    }
}

const fn env_with_password(
    field: Field,
    format: ValueFormat,
    example: &'static str,
    source: &'static str,
) -> Entry {
    Entry {
        key: Key::Env(field),
        format,
        example,
        source,
        carries_password: true,
    }
}

const fn prop(
    key: &'static str,
    format: ValueFormat,
    example: &'static str,
    source: &'static str,
) -> Entry {
    Entry {
        key: Key::Spring(key),
        format,
        example,
        source,
        carries_password: false,
    }
}

// ---------------------------------------------------------------------------------------------
// Neon Serverless Postgres: secret auth only. service-connector.md §3 (N1, N1b; N3 agrees on the
// single-string clients; N3's prose about Django/Other is wrong, §3.1).
// ---------------------------------------------------------------------------------------------

const NEON_DOTNET: &[Entry] = &[
    // N1: the documented string has no `Password=` (§6.2: most likely a doc regression).
    env(
        Field::ConnectionString,
        ValueFormat::Npgsql,
        "Server=<host>;Database=<db>;Port=5432;Ssl Mode=Require;User Id=<username>;",
        "N1",
    ),
];
const NEON_JAVA: &[Entry] = &[env_with_password(
    Field::ConnectionString,
    ValueFormat::Jdbc,
    "jdbc:postgresql://<host>:5432/<db>?sslmode=require&user=<username>&password=<password>",
    "N1",
)];
const NEON_SPRING: &[Entry] = &[
    prop(
        spring::URL,
        ValueFormat::Jdbc,
        "jdbc:postgresql://<host>:5432/<db>?sslmode=require",
        "N1",
    ),
    prop(spring::USERNAME, ValueFormat::User, "<username>", "N1"),
    Entry {
        carries_password: true,
        ..prop(spring::PASSWORD, ValueFormat::Password, "<password>", "N1")
    },
];
const NEON_PYTHON: &[Entry] = &[env_with_password(
    Field::ConnectionString,
    ValueFormat::KeyValue(KV_PYTHON),
    "dbname=<db> host=<host> port=5432 sslmode=require user=<username> password=<password>",
    "N1",
)];
const NEON_DJANGO: &[Entry] = &[
    env(Field::Name, ValueFormat::Database, "<database-name>", "N1"),
    env(Field::Host, ValueFormat::Host, "<host>", "N1"),
    env(Field::User, ValueFormat::User, "<username>", "N1"),
    env_with_password(
        Field::Password,
        ValueFormat::Password,
        "<database-password>",
        "N1",
    ),
];
const NEON_GO: &[Entry] = &[env_with_password(
    Field::ConnectionString,
    ValueFormat::KeyValue(KV_GO),
    "host=<host> dbname=<db> sslmode=require user=<username> password=<password>",
    "N1",
)];
const NEON_NODE: &[Entry] = &[
    env(Field::Host, ValueFormat::Host, "<host>", "N1"),
    env(Field::User, ValueFormat::User, "<username>", "N1"),
    env_with_password(Field::Password, ValueFormat::Password, "<password>", "N1"),
    env(
        Field::Database,
        ValueFormat::Database,
        "<database-name>",
        "N1",
    ),
    env(Field::Port, ValueFormat::Port, "5432", "N1"),
    env(Field::Ssl, ValueFormat::SslFlag, "true", "N1"),
];
const NEON_PHP: &[Entry] = &[env_with_password(
    Field::ConnectionString,
    ValueFormat::KeyValue(KV_PHP_RUBY),
    "host=<host> port=5432 dbname=<db> sslmode=require user=<username> password=<password>",
    "N1",
)];
const NEON_RUBY: &[Entry] = &[env_with_password(
    Field::ConnectionString,
    ValueFormat::KeyValue(KV_PHP_RUBY),
    // N1 shows an Azure host here by mistake (§6.4); the format is the same.
    "host=<host> port=5432 dbname=<db> sslmode=require user=<username> password=<password>",
    "N1",
)];
const NEON_NONE: &[Entry] = &[
    env(Field::Host, ValueFormat::Host, "<host>", "N1"),
    env(Field::Username, ValueFormat::User, "<username>", "N1"),
    env(
        Field::Database,
        ValueFormat::Database,
        "<database-name>",
        "N1",
    ),
    env(Field::Port, ValueFormat::Port, "5432", "N1"),
    env(Field::Ssl, ValueFormat::SslFlag, "true", "N1"),
    env_with_password(Field::Password, ValueFormat::Password, "<password>", "N1"),
];

// ---------------------------------------------------------------------------------------------
// Azure Database for PostgreSQL flexible server. service-connector.md §4.1 and §4.2 (P1).
// ---------------------------------------------------------------------------------------------

const NPGSQL_EXAMPLE: &str =
    "Server=<host>;Database=<db>;Port=5432;Ssl Mode=Require;User Id=<username>;";
const AZ_CS_DOTNET: Entry = env(
    Field::ConnectionString,
    ValueFormat::Npgsql,
    NPGSQL_EXAMPLE,
    "P1",
);
const AZ_CS_JAVA_PASSWORDLESS: Entry = env(
    Field::ConnectionString,
    ValueFormat::Jdbc,
    "jdbc:postgresql://<host>:5432/<db>?sslmode=require&user=<username>",
    "P1",
);
const AZ_CS_JAVA_SECRET: Entry = env_with_password(
    Field::ConnectionString,
    ValueFormat::Jdbc,
    "jdbc:postgresql://<host>:5432/<db>?sslmode=require&user=<username>&password=<password>",
    "P1",
);
const AZ_CS_PYTHON_PASSWORDLESS: Entry = env(
    Field::ConnectionString,
    ValueFormat::KeyValue(KV_PYTHON),
    "dbname=<db> host=<host> port=5432 sslmode=require user=<username>",
    "P1",
);
const AZ_CS_PYTHON_SECRET: Entry = env_with_password(
    Field::ConnectionString,
    ValueFormat::KeyValue(KV_PYTHON),
    "dbname=<db> host=<host> port=5432 sslmode=require user=<username> password=<password>",
    "P1",
);
const AZ_CS_GO_PASSWORDLESS: Entry = env(
    Field::ConnectionString,
    ValueFormat::KeyValue(KV_GO),
    "host=<host> dbname=<db> sslmode=require user=<username>",
    "P1",
);
const AZ_CS_GO_SECRET: Entry = env_with_password(
    Field::ConnectionString,
    ValueFormat::KeyValue(KV_GO),
    "host=<host> dbname=<db> sslmode=require user=<username> password=<password>",
    "P1",
);
const AZ_CS_PHP_PASSWORDLESS: Entry = env(
    Field::ConnectionString,
    ValueFormat::KeyValue(KV_PHP_RUBY),
    "host=<host> port=5432 dbname=<db> sslmode=require user=<username>",
    "P1",
);
const AZ_CS_PHP_SECRET: Entry = env_with_password(
    Field::ConnectionString,
    ValueFormat::KeyValue(KV_PHP_RUBY),
    "host=<host> port=5432 dbname=<db> sslmode=require user=<username> password=<password>",
    "P1",
);
const AZ_CS_RUBY_PASSWORDLESS: Entry = AZ_CS_PHP_PASSWORDLESS;
const AZ_CS_RUBY_SECRET: Entry = AZ_CS_PHP_SECRET;

const AZ_CID: Entry = env(
    Field::ClientId,
    ValueFormat::Guid,
    "<identity-client-ID>",
    "P1",
);
const AZ_SP_CID: Entry = env(Field::ClientId, ValueFormat::Guid, "<client-ID>", "P1");
const AZ_CSEC: Entry = Entry {
    carries_password: true,
    ..env(
        Field::ClientSecret,
        ValueFormat::ClientSecret,
        "<client-secret>",
        "P1",
    )
};
const AZ_TID: Entry = env(Field::TenantId, ValueFormat::Guid, "<tenant-ID>", "P1");
const AZ_PASSWORD: Entry =
    env_with_password(Field::Password, ValueFormat::Password, "<password>", "P1");
const AZ_HOST: Entry = env(Field::Host, ValueFormat::Host, "<host>", "P1");
const AZ_USER: Entry = env(Field::User, ValueFormat::User, "<username>", "P1");
const AZ_USERNAME: Entry = env(Field::Username, ValueFormat::User, "<username>", "P1");
const AZ_DATABASE: Entry = env(
    Field::Database,
    ValueFormat::Database,
    "<database-name>",
    "P1",
);
const AZ_NAME: Entry = env(Field::Name, ValueFormat::Database, "<database-name>", "P1");
const AZ_PORT: Entry = env(Field::Port, ValueFormat::Port, "5432", "P1");
const AZ_SSL: Entry = env(Field::Ssl, ValueFormat::SslFlag, "true", "P1");

const SPRING_URL: Entry = prop(
    spring::URL,
    ValueFormat::Jdbc,
    "jdbc:postgresql://<host>:5432/<db>?sslmode=require",
    "P1",
);
const SPRING_USERNAME: Entry = prop(spring::USERNAME, ValueFormat::User, "<username>", "P1");
const SPRING_PASSWORD: Entry = Entry {
    carries_password: true,
    ..prop(spring::PASSWORD, ValueFormat::Password, "<password>", "P1")
};
// P1; I2 confirms Service Connector adds it since 2023.
const SPRING_PASSWORDLESS: Entry = prop(
    spring::PASSWORDLESS_ENABLED,
    ValueFormat::Literal("true"),
    "true",
    "P1",
);
const SPRING_CRED_CID: Entry = prop(
    spring::CREDENTIAL_CLIENT_ID,
    ValueFormat::Guid,
    "<identity-client-ID>",
    "P1",
);
const SPRING_CRED_SP_CID: Entry = prop(
    spring::CREDENTIAL_CLIENT_ID,
    ValueFormat::Guid,
    "<client-ID>",
    "P1",
);
const SPRING_CRED_SECRET: Entry = Entry {
    carries_password: true,
    ..prop(
        spring::CREDENTIAL_CLIENT_SECRET,
        ValueFormat::ClientSecret,
        "<client-secret>",
        "P1",
    )
};
const SPRING_CRED_TID: Entry = prop(
    spring::CREDENTIAL_TENANT_ID,
    ValueFormat::Guid,
    "<tenant-ID>",
    "P1",
);
const SPRING_MI_ENABLED: Entry = prop(
    spring::CLIENT_MANAGED_IDENTITY_ENABLED,
    ValueFormat::Literal("true"),
    "true",
    "P1",
);

/// The entries of one (target, client type, auth type) combination, in documented order.
pub fn entries(
    target: Target,
    client: ClientType,
    auth: AuthType,
) -> Result<Vec<Entry>, UnsupportedCombination> {
    use AuthType::*;
    use ClientType as C;
    if !target.auth_types().contains(&auth) {
        return Err(UnsupportedCombination { target, auth });
    }
    let rows: Vec<Entry> = match target {
        Target::Neon => match client {
            C::DotNet => NEON_DOTNET.to_vec(),
            C::Java => NEON_JAVA.to_vec(),
            C::SpringBoot => NEON_SPRING.to_vec(),
            C::Python => NEON_PYTHON.to_vec(),
            C::Django => NEON_DJANGO.to_vec(),
            C::Go => NEON_GO.to_vec(),
            C::NodeJs => NEON_NODE.to_vec(),
            C::Php => NEON_PHP.to_vec(),
            C::Ruby => NEON_RUBY.to_vec(),
            C::None => NEON_NONE.to_vec(),
        },
        // §4.2 matrix, column by column; passwordless strings carry no password (§4.1).
        Target::AzurePostgresql => match (client, auth) {
            (C::DotNet, Secret | SystemIdentity) => vec![AZ_CS_DOTNET],
            (C::DotNet, UserIdentity) => vec![AZ_CID, AZ_CS_DOTNET],
            (C::DotNet, ServicePrincipal) => vec![AZ_SP_CID, AZ_CSEC, AZ_TID, AZ_CS_DOTNET],
            (C::Java, Secret) => vec![AZ_CS_JAVA_SECRET],
            (C::Java, SystemIdentity) => vec![AZ_CS_JAVA_PASSWORDLESS],
            (C::Java, UserIdentity) => vec![AZ_CID, AZ_CS_JAVA_PASSWORDLESS],
            (C::Java, ServicePrincipal) => {
                vec![AZ_SP_CID, AZ_CSEC, AZ_TID, AZ_CS_JAVA_PASSWORDLESS]
            }
            (C::SpringBoot, Secret) => vec![SPRING_URL, SPRING_USERNAME, SPRING_PASSWORD],
            (C::SpringBoot, SystemIdentity) => {
                vec![SPRING_PASSWORDLESS, SPRING_URL, SPRING_USERNAME]
            }
            (C::SpringBoot, UserIdentity) => {
                vec![
                    SPRING_PASSWORDLESS,
                    SPRING_CRED_CID,
                    SPRING_MI_ENABLED,
                    SPRING_URL,
                    SPRING_USERNAME,
                ]
            }
            (C::SpringBoot, ServicePrincipal) => vec![
                SPRING_PASSWORDLESS,
                SPRING_CRED_SP_CID,
                SPRING_CRED_SECRET,
                SPRING_CRED_TID,
                SPRING_URL,
                SPRING_USERNAME,
            ],
            (C::Python, Secret) => vec![AZ_CS_PYTHON_SECRET],
            (C::Python, SystemIdentity) => vec![AZ_CS_PYTHON_PASSWORDLESS],
            (C::Python, UserIdentity) => vec![AZ_CID, AZ_CS_PYTHON_PASSWORDLESS],
            (C::Python, ServicePrincipal) => {
                vec![AZ_SP_CID, AZ_CSEC, AZ_TID, AZ_CS_PYTHON_PASSWORDLESS]
            }
            (C::Django, Secret) => vec![AZ_NAME, AZ_HOST, AZ_USER, AZ_PASSWORD],
            (C::Django, SystemIdentity) => vec![AZ_NAME, AZ_HOST, AZ_USER],
            (C::Django, UserIdentity) => vec![AZ_NAME, AZ_HOST, AZ_USER, AZ_CID],
            (C::Django, ServicePrincipal) => {
                vec![AZ_NAME, AZ_HOST, AZ_USER, AZ_SP_CID, AZ_CSEC, AZ_TID]
            }
            (C::Go, Secret) => vec![AZ_CS_GO_SECRET],
            (C::Go, SystemIdentity) => vec![AZ_CS_GO_PASSWORDLESS],
            (C::Go, UserIdentity) => vec![AZ_CID, AZ_CS_GO_PASSWORDLESS],
            (C::Go, ServicePrincipal) => vec![AZ_SP_CID, AZ_CSEC, AZ_TID, AZ_CS_GO_PASSWORDLESS],
            (C::NodeJs, Secret) => {
                vec![AZ_HOST, AZ_USER, AZ_PASSWORD, AZ_DATABASE, AZ_PORT, AZ_SSL]
            }
            (C::NodeJs, SystemIdentity) => vec![AZ_HOST, AZ_USER, AZ_DATABASE, AZ_PORT, AZ_SSL],
            (C::NodeJs, UserIdentity) => {
                vec![AZ_HOST, AZ_USER, AZ_DATABASE, AZ_PORT, AZ_SSL, AZ_CID]
            }
            (C::NodeJs, ServicePrincipal) => {
                vec![
                    AZ_HOST,
                    AZ_USER,
                    AZ_DATABASE,
                    AZ_PORT,
                    AZ_SSL,
                    AZ_SP_CID,
                    AZ_CSEC,
                    AZ_TID,
                ]
            }
            (C::Php, Secret) => vec![AZ_CS_PHP_SECRET],
            (C::Php, SystemIdentity) => vec![AZ_CS_PHP_PASSWORDLESS],
            (C::Php, UserIdentity) => vec![AZ_CID, AZ_CS_PHP_PASSWORDLESS],
            (C::Php, ServicePrincipal) => vec![AZ_SP_CID, AZ_CSEC, AZ_TID, AZ_CS_PHP_PASSWORDLESS],
            (C::Ruby, Secret) => vec![AZ_CS_RUBY_SECRET],
            (C::Ruby, SystemIdentity) => vec![AZ_CS_RUBY_PASSWORDLESS],
            (C::Ruby, UserIdentity) => vec![AZ_CID, AZ_CS_RUBY_PASSWORDLESS],
            (C::Ruby, ServicePrincipal) => {
                vec![AZ_SP_CID, AZ_CSEC, AZ_TID, AZ_CS_RUBY_PASSWORDLESS]
            }
            (C::None, Secret) => vec![
                AZ_HOST,
                AZ_USERNAME,
                AZ_DATABASE,
                AZ_PORT,
                AZ_SSL,
                AZ_PASSWORD,
            ],
            (C::None, SystemIdentity) => vec![AZ_HOST, AZ_USERNAME, AZ_DATABASE, AZ_PORT, AZ_SSL],
            (C::None, UserIdentity) => {
                vec![AZ_HOST, AZ_USERNAME, AZ_DATABASE, AZ_PORT, AZ_SSL, AZ_CID]
            }
            (C::None, ServicePrincipal) => {
                vec![
                    AZ_HOST,
                    AZ_USERNAME,
                    AZ_DATABASE,
                    AZ_PORT,
                    AZ_SSL,
                    AZ_SP_CID,
                    AZ_CSEC,
                    AZ_TID,
                ]
            }
        },
    };
    Ok(rows)
}

/// The concrete variables of a connection. `name` is the connection name of a second or later
/// connection of the same target: `NEON_POSTGRESQL_<NAME>_CONNECTIONSTRING` (C1). Spring Boot
/// properties have no per-connection form (C1: Spring's own property names).
pub fn variables(
    target: Target,
    client: ClientType,
    auth: AuthType,
    name: Option<&str>,
) -> Result<Vec<Variable>, UnsupportedCombination> {
    Ok(entries(target, client, auth)?
        .into_iter()
        .map(|entry| Variable {
            name: key_name(target, name, entry.key),
            entry,
        })
        .collect())
}

/// The environment variable name for `field` of a connection.
pub fn env_name(target: Target, connection_name: Option<&str>, field: Field) -> String {
    match connection_name.filter(|name| !name.is_empty()) {
        Some(name) => format!(
            "{}{}_{}",
            target.prefix(),
            normalise_connection_name(name),
            field.suffix()
        ),
        None => format!("{}{}", target.prefix(), field.suffix()),
    }
}

fn key_name(target: Target, connection_name: Option<&str>, key: Key) -> String {
    match key {
        Key::Env(field) => env_name(target, connection_name, field),
        Key::Spring(property) => property.to_string(),
    }
}

/// Connection names become upper case with `-`/space as `_` in variable names (C1 by analogy).
pub fn normalise_connection_name(name: &str) -> String {
    name.trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// A name read from an environment variable, decomposed against the naming convention.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedName {
    pub target: Target,
    /// The connection name part, upper case, for `<PREFIX><NAME>_<FIELD>`.
    pub connection: Option<String>,
    pub field: Field,
}

/// Decomposes `NEON_POSTGRESQL_HOST` or `AZURE_POSTGRESQL_ORDERS_CONNECTIONSTRING`. Returns
/// `None` for names that do not follow the convention (they may still be near misses).
pub fn parse_name(name: &str) -> Option<ParsedName> {
    let (target, rest) = Target::ALL.into_iter().find_map(|target| {
        name.strip_prefix(target.prefix())
            .map(|rest| (target, rest))
    })?;
    if let Some(field) = Field::from_suffix(rest) {
        return Some(ParsedName {
            target,
            connection: None,
            field,
        });
    }
    // `<CONNECTION>_<FIELD>`: the longest field suffix that leaves a non-empty connection name.
    let (connection, field) = Field::ALL
        .into_iter()
        .filter_map(|field| {
            let connection = rest.strip_suffix(field.suffix())?.strip_suffix('_')?;
            Some((connection, field))
        })
        .max_by_key(|(_, field)| field.suffix().len())?;
    let valid_connection = !connection.is_empty()
        && connection.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        // `NEON_POSTGRESQL_DATABASE_NAME`, `…_CONNECTION_STRING`: a field word where the
        // connection name would be is a near miss, not a second connection.
        && Field::from_suffix(connection).is_none()
        && !matches!(connection, "CONNECTION" | "DB" | "PG" | "POSTGRES" | "SERVER");
    valid_connection.then(|| ParsedName {
        target,
        connection: Some(connection.to_string()),
        field,
    })
}

/// Whether `name` looks like an attempt at a Service Connector variable: it has a prefix, the
/// legacy mixed-case prefix (`Azure_POSTGRESQL_`, P3), or a near miss such as `NEON_POSTGRES_`.
pub fn looks_like_service_connector_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    [
        "NEON_POSTGRES",
        "AZURE_POSTGRES",
        "NEON_PG_",
        "NEON_PSQL_",
        "AZURE_PG_",
    ]
    .iter()
    .any(|prefix| upper.starts_with(prefix))
}

/// Every name Service Connector sets for `target` and a connection name, across all client
/// types and auth types (for "is this a real name at all" and suggestions).
pub fn all_env_names(target: Target, connection_name: Option<&str>) -> Vec<String> {
    let mut names: Vec<String> = Field::ALL
        .iter()
        .map(|field| env_name(target, connection_name, *field))
        .collect();
    // Neon never sets the identity variables (secret auth only).
    if target == Target::Neon {
        names.retain(|name| {
            !name.ends_with(Field::ClientId.suffix())
                && !name.ends_with(Field::ClientSecret.suffix())
                && !name.ends_with(Field::TenantId.suffix())
        });
    }
    names
}

/// The closest name in `candidates` to `name` (ignoring case), if it is close enough to be a
/// likely typo.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let upper = name.to_ascii_uppercase();
    candidates
        .into_iter()
        .map(|candidate| {
            (
                strsim::damerau_levenshtein(&upper, &candidate.to_ascii_uppercase()),
                candidate,
            )
        })
        .filter(|(distance, candidate)| *distance <= (candidate.len() / 3).max(2))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// A name suggested for a near miss, and whether renaming to it is certain to keep the meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Suggestion<'a> {
    pub name: &'a str,
    /// Exactly one candidate carries the meaning the name's field word(s) say (or, for a plain
    /// typo, exactly one candidate is that close), and the rest of the name — target prefix and
    /// connection name — is the suggestion's own. Only such a rename is a safe fix (issue 14
    /// item 3); callers that could not narrow `candidates` to one client type's variables must
    /// treat every suggestion as uncertain.
    pub certain: bool,
}

/// The name in `candidates` that a near-miss `name` means: its last word(s) read as a field
/// (`…_DB` / `…_DBNAME` → the database field, `…_URL` / `…_URI` / `…_DSN` → the connection
/// string, `…_PASS` / `…_PWD` → the password, `…_USERNAME` / `…_USER` → the user field the
/// client type has), and only then the closest by edit distance ([`closest`]) for plain typos
/// (`…_PASSWROD`). `None` when the meaning has no member among the candidates (a URL for a
/// client type that gets components) and no candidate is close.
pub fn suggest<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    suggest_rename(name, candidates).map(|suggestion| suggestion.name)
}

/// [`suggest`] with its certainty ([`Suggestion::certain`]).
pub fn suggest_rename<'a>(name: &str, candidates: &[&'a str]) -> Option<Suggestion<'a>> {
    let words: Vec<String> = name
        .split(['_', '-', '.'])
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_uppercase)
        .collect();
    if let Some((fields, used)) = meaning_of(&words) {
        // The name says what it wants; a different field that happens to be spelt alike
        // (`_DB` vs `_SSL`) would be a wrong fix, so no edit-distance fallback here.
        let meant: Vec<&'a str> = fields
            .iter()
            .flat_map(|field| {
                candidates.iter().copied().filter(move |candidate| {
                    parse_name(candidate).is_some_and(|parsed| parsed.field == *field)
                        && !candidate.eq_ignore_ascii_case(name)
                })
            })
            .collect();
        let first = *meant.first()?;
        let certain = meant.len() == 1 && same_rest(&words, used, first);
        return Some(Suggestion {
            name: first,
            certain,
        });
    }
    // A typo of the field word itself (`PASSWROD`, `HOTS`), not another word (`REGION`).
    let last = |text: &str| {
        text.rsplit(['_', '-', '.'])
            .next()
            .unwrap_or(text)
            .to_ascii_uppercase()
    };
    let word = words.last().cloned().unwrap_or_default();
    let near: Vec<(usize, &'a str)> = candidates
        .iter()
        .copied()
        .filter_map(|candidate| {
            let field = last(candidate);
            let distance = strsim::damerau_levenshtein(&word, &field);
            (distance <= (field.len() / 3).max(1)).then_some((distance, candidate))
        })
        .collect();
    let best = closest(name, near.iter().map(|(_, candidate)| *candidate))?;
    let best_distance = near
        .iter()
        .find(|(_, candidate)| *candidate == best)
        .map_or(usize::MAX, |(distance, _)| *distance);
    let ties = near.iter().filter(|(d, _)| *d == best_distance).count();
    Some(Suggestion {
        name: best,
        certain: ties == 1 && best_distance <= 2 && same_rest(&words, 1, best),
    })
}

/// Whether `words` (a near-miss name, upper case) minus its last `used` words is the
/// suggestion's own prefix and connection name: `NEON_POSTGRES_DB` → `NEON_POSTGRESQL_DATABASE`
/// yes, `NEON_POSTGRESQL_ORDERS_DB` → `NEON_POSTGRESQL_DATABASE` no (another connection), and
/// `NEON_…` → `AZURE_…` no (another database service).
fn same_rest(words: &[String], used: usize, suggestion: &str) -> bool {
    let Some(parsed) = parse_name(suggestion) else {
        return false;
    };
    let head = &words[..words.len().saturating_sub(used)];
    let Some((first, rest)) = head.split_first() else {
        return false;
    };
    let target_word = match parsed.target {
        Target::Neon => "NEON",
        Target::AzurePostgresql => "AZURE",
    };
    if first != target_word {
        return false;
    }
    let Some((family, connection)) = rest.split_first() else {
        return false;
    };
    if !matches!(family.as_str(), "POSTGRESQL" | "POSTGRES" | "PG" | "PSQL") {
        return false;
    }
    let connection = connection.join("_");
    connection == parsed.connection.unwrap_or_default()
}

/// The fields a near-miss suffix means, most likely first, and how many of the name's last
/// words said so. A misspelt field word (`DATABSE`, `PASWORD`) means what it misspells.
fn meaning_of(words: &[String]) -> Option<(&'static [Field], usize)> {
    let last_two = (words.len() >= 2).then(|| {
        (
            format!("{}{}", words[words.len() - 2], words[words.len() - 1]),
            2,
        )
    });
    let last_one = words.last().map(|w| (w.clone(), 1));
    // A two-word suffix (`DB_NAME`, `CONNECTION_STRING`, `CLIENT_ID`) is more specific.
    let exact = [last_two.clone(), last_one.clone()]
        .into_iter()
        .flatten()
        .find_map(|(suffix, used)| meaning_of_word(&suffix).map(|fields| (fields, used)));
    exact.or_else(|| {
        // One letter off a field word of four letters or more: a typo of that word.
        [last_two, last_one]
            .into_iter()
            .flatten()
            .find_map(|(suffix, used)| {
                MEANING_WORDS
                    .iter()
                    .filter(|word| word.len() >= 4)
                    .find(|word| strsim::damerau_levenshtein(&suffix, word) == 1)
                    .and_then(|word| meaning_of_word(word))
                    .map(|fields| (fields, used))
            })
    })
}

/// Every word [`meaning_of_word`] knows.
const MEANING_WORDS: &[&str] = &[
    "DB",
    "DBNAME",
    "DATABASE",
    "DATABASENAME",
    "URL",
    "URI",
    "DSN",
    "CONNSTR",
    "CONNECTIONSTRING",
    "CONNSTRING",
    "CONNECTIONURL",
    "DATABASEURL",
    "DBURL",
    "PASS",
    "PWD",
    "PASSWD",
    "PASSWORD",
    "DBPASS",
    "DBPASSWORD",
    "USER",
    "USERNAME",
    "LOGIN",
    "UID",
    "DBUSER",
    "USERID",
    "HOST",
    "HOSTNAME",
    "SERVER",
    "DBHOST",
    "PORT",
    "DBPORT",
    "SSL",
    "SSLMODE",
    "TLS",
    "CLIENTID",
    "APPID",
    "TENANTID",
    "TENANT",
    "CLIENTSECRET",
    "APPSECRET",
];

fn meaning_of_word(suffix: &str) -> Option<&'static [Field]> {
    let fields: &'static [Field] = match suffix {
        "DB" | "DBNAME" | "DATABASE" | "DATABASENAME" => &[Field::Database, Field::Name],
        "URL" | "URI" | "DSN" | "CONNSTR" | "CONNECTIONSTRING" | "CONNSTRING" | "CONNECTIONURL"
        | "DATABASEURL" | "DBURL" => &[Field::ConnectionString],
        "PASS" | "PWD" | "PASSWD" | "PASSWORD" | "DBPASS" | "DBPASSWORD" => &[Field::Password],
        "USER" | "USERNAME" | "LOGIN" | "UID" | "DBUSER" | "USERID" => {
            &[Field::User, Field::Username]
        }
        "HOST" | "HOSTNAME" | "SERVER" | "DBHOST" => &[Field::Host],
        "PORT" | "DBPORT" => &[Field::Port],
        "SSL" | "SSLMODE" | "TLS" => &[Field::Ssl],
        "CLIENTID" | "APPID" => &[Field::ClientId],
        "TENANTID" | "TENANT" => &[Field::TenantId],
        "CLIENTSECRET" | "APPSECRET" => &[Field::ClientSecret],
        _ => return None,
    };
    Some(fields)
}

/// JSON (LSP command results, `--format json`) spells targets, client types and auth types by
/// their neon-lsp.toml ids.
macro_rules! serialize_as_id {
    ($($kind:ty),*) => {$(
        impl serde::Serialize for $kind {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.id())
            }
        }
    )*};
}
serialize_as_id!(Target, ClientType, AuthType);

mod hosts;
pub use hosts::{HostFit, host_fit, is_complete_host, neon_endpoint_id};

#[cfg(test)]
mod tests;
