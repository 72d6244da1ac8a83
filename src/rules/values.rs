//! Shared views for the value rules: every connection-string value in .env files and in code,
//! with the connection it belongs to, and the helpers that judge placeholders and mask secrets.

use crate::analysis::{Connection, Context, File};
use crate::catalogue::{self, Field, ValueFormat};
use crate::connstr::{self, ConnectionParams, Format};
use crate::dotenv::EnvEntry;
use crate::text::TextRange;

/// Where a value was written.
pub(crate) enum Origin<'c> {
    /// A .env entry.
    Env(&'c EnvEntry),
    /// A string literal (or property value) in code.
    Literal,
}

/// A value that should hold a connection string.
pub(crate) struct ConnectionValue<'c, 'a> {
    pub file: &'c File<'a>,
    /// The range to report on: the value's content.
    pub range: TextRange,
    /// The effective value (unquoted, unescaped).
    pub value: &'c str,
    pub origin: Origin<'c>,
    pub connection: Option<&'c Connection>,
    /// The .env key, when the value comes from one.
    pub key: Option<&'c str>,
}

impl ConnectionValue<'_, '_> {
    /// The format Service Connector uses for this value, when the client type is known.
    pub fn expected_format(&self) -> Option<Format> {
        let connection = self.connection?;
        let key = self.key?;
        let variable = connection.variable(key)?;
        format_of(variable.entry.format)
    }

    /// The key order the catalogue documents for a key-value string.
    pub fn key_order(&self) -> Option<&'static [&'static str]> {
        let variable = self.connection?.variable(self.key?)?;
        match variable.entry.format {
            ValueFormat::KeyValue(keys) => Some(keys),
            _ => None,
        }
    }
}

pub(crate) fn format_of(format: ValueFormat) -> Option<Format> {
    match format {
        ValueFormat::Npgsql => Some(Format::Npgsql),
        ValueFormat::Jdbc => Some(Format::Jdbc),
        ValueFormat::KeyValue(_) => Some(Format::KeyValue),
        _ => None,
    }
}

/// Connection-string values: .env entries of `…_CONNECTIONSTRING` (and `spring.datasource.url`),
/// and string literals in code that look like connection strings.
pub(crate) fn connection_string_values<'c, 'a>(
    context: &'c Context<'a>,
) -> Vec<ConnectionValue<'c, 'a>> {
    let mut values = Vec::new();
    for (file_id, file, env) in context.env_files() {
        for entry in &env.entries {
            let is_connection_string = catalogue::parse_name(&entry.key)
                .is_some_and(|parsed| parsed.field == Field::ConnectionString)
                || entry.key == catalogue::spring::URL;
            if !is_connection_string
                || is_placeholder(&entry.value)
                || !entry.interpolated.is_empty()
            {
                continue;
            }
            values.push(ConnectionValue {
                file,
                range: entry.inner_range,
                value: &entry.value,
                origin: Origin::Env(entry),
                connection: context.connection_for_env_key(file_id, &entry.key),
                key: Some(&entry.key),
            });
        }
    }
    for (_, file, _, scan, _) in context.sources() {
        for literal in &scan.string_literals {
            // A template (`f"…{x}…"`, `"host=$HOST …"`) is not the value the program uses.
            if literal.interpolated
                || is_placeholder(&literal.value)
                || connstr::detect_format(&literal.value).is_none()
            {
                continue;
            }
            values.push(ConnectionValue {
                file,
                range: literal.value_range,
                value: &literal.value,
                origin: Origin::Literal,
                connection: None,
                key: None,
            });
        }
    }
    values
}

/// Values that stand for "fill this in", not real settings: empty, `<password>` (or a
/// `<…>` slot anywhere: `<server>.postgres.database.azure.com`), `${VAR}` / `${VAR:-default}`,
/// `$(…)`, `{{ … }}`, and the stock sample words (`your_password`, `changeme`, `xxx`, `****`).
/// The one judgement every rule that weighs secrets, hosts or TLS flags uses.
pub(crate) fn is_placeholder(value: &str) -> bool {
    let trimmed = value.trim();
    trimmed.is_empty()
        || has_angle_slot(trimmed)
        || trimmed.contains("${")
        || trimmed.contains("$(")
        || trimmed.contains("{{")
        || is_sample_word(trimmed)
}

/// `<database name>`, `<server>.postgres…`: a `<` closed by a later `>` with a name between.
fn has_angle_slot(value: &str) -> bool {
    value.find('<').is_some_and(|open| {
        value[open + 1..]
            .find('>')
            .is_some_and(|len| len > 0 && !value[open + 1..open + 1 + len].contains('<'))
    })
}

/// The words sample files put where a secret goes. Compared on the lower-cased letters and
/// digits, so `your_password`, `YOUR-PASSWORD`, `change_me` and `Change Me` all match.
fn is_sample_word(value: &str) -> bool {
    let folded: String = value
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if folded.is_empty() {
        // `****`, `...`, `---`: punctuation only.
        return true;
    }
    if folded.chars().all(|c| c == 'x') && folded.len() >= 3 {
        return true;
    }
    const WORDS: &[&str] = &[
        "password",
        "secret",
        "changeme",
        "changeit",
        "replaceme",
        "placeholder",
        "redacted",
        "todo",
        "tbd",
        "fixme",
        "example",
        "dummy",
        "none",
        "null",
    ];
    WORDS.contains(&folded.as_str()) || (folded.starts_with("your") && folded.len() > "your".len())
}

/// A password that is really there: not empty, not a placeholder, not a template slot.
pub(crate) fn is_real_secret(value: &str) -> bool {
    let trimmed = value.trim();
    let template_slot = trimmed.contains("%s")
        || (trimmed.starts_with('{') && trimmed.ends_with('}'))
        || (trimmed.starts_with('$') && trimmed.len() > 1)
        || trimmed.contains('<');
    !is_placeholder(trimmed) && !template_slot
}

/// A host that is this machine: `localhost` (and `*.localhost`), `127.0.0.0/8`, `::1`,
/// `0.0.0.0`, or a Unix socket directory (`/var/run/postgresql`).
pub(crate) fn is_loopback_host(host: &str) -> bool {
    let host = host
        .trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase();
    host == "localhost"
        || host.ends_with(".localhost")
        || host == "::1"
        || host == "0.0.0.0"
        || host.starts_with('/')
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Hosts that mean "a local database": loopback, or a service of the project's docker compose
/// file (the compose network resolves service names). Such connections belong to tests, local
/// settings, CI service containers and local samples, not to Azure or Neon.
pub(crate) struct LocalHosts {
    services: Vec<String>,
}

impl LocalHosts {
    pub fn of(context: &Context) -> Self {
        let mut services: Vec<String> = context
            .files
            .iter()
            .filter(|file| crate::compose::is_compose_file(file.path))
            .flat_map(|file| crate::compose::service_names(file.text))
            .collect();
        services.sort();
        services.dedup();
        LocalHosts { services }
    }

    pub fn is_local(&self, host: &str) -> bool {
        let host = host.trim();
        is_loopback_host(host)
            || self
                .services
                .iter()
                .any(|service| service.eq_ignore_ascii_case(host))
    }

    /// A connection string whose every host is local (and that names at least one host).
    pub fn is_local_connection(&self, params: &ConnectionParams) -> bool {
        !params.hosts.is_empty() && params.hosts.iter().all(|(host, _)| self.is_local(host))
    }

    /// A .env file that describes a local database: it names at least one host (a `…HOST`
    /// key or a connection string) and every such host is local. Its passwords, TLS flags
    /// and hosts are development settings, not a leaked or insecure Azure/Neon connection.
    pub fn is_local_env(&self, env: &crate::dotenv::EnvFile) -> bool {
        let mut hosts = 0;
        for entry in &env.entries {
            if !entry.interpolated.is_empty() || is_placeholder(&entry.value) {
                continue;
            }
            let upper = entry.key.to_ascii_uppercase();
            if upper.ends_with("HOST") || upper.ends_with("HOSTNAME") {
                hosts += 1;
                if !self.is_local(&entry.value) {
                    return false;
                }
            } else if let Some(Ok((_, params))) = parse(&entry.value) {
                if params.hosts.is_empty() {
                    continue;
                }
                hosts += 1;
                if !self.is_local_connection(&params) {
                    return false;
                }
            }
        }
        hosts > 0
    }
}

/// Parses a value, `None` when it is not a connection string at all.
pub(crate) fn parse(
    value: &str,
) -> Option<Result<(Format, ConnectionParams), connstr::ParseError>> {
    connstr::detect_format(value)?;
    Some(connstr::parse(value))
}

/// "NEON_POSTGRESQL_HOST (client type nodejs, from package.json)"
pub(crate) fn assumed(connection: &Connection) -> String {
    let mut out = connection.client_description();
    if connection.target == crate::catalogue::Target::AzurePostgresql {
        out.push_str("; ");
        out.push_str(&connection.auth_description());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{Options, analyse};
    use crate::diagnostic::Severity;
    use crate::rules::Rule;
    use crate::workspace::{GitState, Workspace, WorkspaceFile};

    #[test]
    fn placeholders_and_look_alikes() {
        for value in [
            "",
            "  ",
            "<database name>",
            "<server>.postgres.database.azure.com",
            "your_password",
            "YOUR-PASSWORD",
            "yourserver",
            "changeme",
            "Change_Me",
            "xxx",
            "XXXXXXXX",
            "****",
            "${VAR}",
            "${VAR:-default}",
            "{{ .Values.password }}",
            "$(cat /run/secrets/db)",
            "password",
        ] {
            assert!(is_placeholder(value), "{value:?} is a placeholder");
        }
        for value in [
            "npg_Xyz123example",
            "Qm7vT2x!Rk9pL4wZ",
            "menu",
            "postgres",
            "a<b",
            "Putney2024!",
            "x",
            "xx1",
            "ep-still-mud-a12aa123.eastus2.azure.neon.tech",
        ] {
            assert!(!is_placeholder(value), "{value:?} is a value");
        }
    }

    #[test]
    fn loopback_hosts() {
        for host in [
            "localhost",
            "LOCALHOST",
            "db.localhost",
            "127.0.0.1",
            "127.1.2.3",
            "::1",
            "[::1]",
            "0.0.0.0",
            "/var/run/postgresql",
        ] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in [
            "localhost.example.com",
            "128.0.0.1",
            "10.0.0.5",
            "db",
            "ep-still-mud-a12aa123.eastus2.azure.neon.tech",
            "myserver.postgres.database.azure.com",
        ] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }

    fn file(path: &str, text: &str, git: GitState) -> WorkspaceFile {
        WorkspaceFile {
            path: path.to_string(),
            text: text.to_string(),
            git,
            lossy: false,
        }
    }

    fn findings(files: Vec<WorkspaceFile>) -> Vec<(String, Rule, Severity)> {
        let workspace = Workspace { files };
        let mut out: Vec<_> = analyse(&workspace, &Options::default())
            .expect("analysis")
            .into_iter()
            .map(|d| (d.path.clone(), d.rule, d.severity))
            .collect();
        out.sort();
        out
    }

    const COMPOSE: &str = "services:\n  api:\n    build: .\n    env_file: .env.docker\n  db:\n    image: postgres:16\n";
    const PACKAGE: &str = r#"{"dependencies": {"pg": "^8.12.0"}}"#;
    const DB_JS: &str = "const { Pool } = require(\"pg\");\nconst pool = new Pool({\n  host: process.env.AZURE_POSTGRESQL_HOST,\n  user: process.env.AZURE_POSTGRESQL_USER,\n  password: process.env.AZURE_POSTGRESQL_PASSWORD,\n  database: process.env.AZURE_POSTGRESQL_DATABASE,\n  port: Number(process.env.AZURE_POSTGRESQL_PORT),\n  ssl: process.env.AZURE_POSTGRESQL_SSL === \"true\",\n});\n";

    fn stack_env(host: &str) -> String {
        format!(
            "AZURE_POSTGRESQL_HOST={host}\nAZURE_POSTGRESQL_PORT=5432\nAZURE_POSTGRESQL_USER=menu\nAZURE_POSTGRESQL_PASSWORD=menu\nAZURE_POSTGRESQL_DATABASE=menu\nAZURE_POSTGRESQL_SSL=false\n"
        )
    }

    #[test]
    fn a_compose_service_host_is_local_but_a_remote_host_is_not() {
        let local = findings(vec![
            file("docker-compose.yml", COMPOSE, GitState::Tracked),
            file("package.json", PACKAGE, GitState::Tracked),
            file("src/db.js", DB_JS, GitState::Tracked),
            file(".env.docker", &stack_env("db"), GitState::Tracked),
        ]);
        assert!(
            local
                .iter()
                .all(|(_, _, severity)| *severity < Severity::Warning),
            "local stack: at most hints, got {local:?}"
        );
        assert!(local.contains(&(
            ".env.docker".to_string(),
            Rule::InvalidNeonHost,
            Severity::Hint
        )));

        // The same file pointing at a server that is not a compose service.
        let remote = findings(vec![
            file("docker-compose.yml", COMPOSE, GitState::Tracked),
            file("package.json", PACKAGE, GitState::Tracked),
            file("src/db.js", DB_JS, GitState::Tracked),
            file(
                ".env.docker",
                &stack_env("menu.postgres.database.azure.com"),
                GitState::Tracked,
            ),
        ]);
        let rules: Vec<Rule> = remote.iter().map(|(_, rule, _)| *rule).collect();
        assert!(rules.contains(&Rule::PlaintextSecret), "{remote:?}");
        assert!(rules.contains(&Rule::TlsDisabled), "{remote:?}");
    }

    #[test]
    fn loopback_literals_in_code_are_not_hardcoded_or_insecure() {
        let code = "TEST_DSN = \"postgresql://postgres:postgres@localhost:5432/notes_test\"\nPROD = \"postgresql://app:npg_Xyz123example@ep-still-mud-a12aa123.eastus2.azure.neon.tech/neondb\"\n";
        let found = findings(vec![
            file("requirements.txt", "psycopg2-binary\n", GitState::Tracked),
            file("tests/conftest.py", code, GitState::Tracked),
        ]);
        let hardcoded: Vec<_> = found
            .iter()
            .filter(|(_, rule, _)| *rule == Rule::HardcodedConnectionString)
            .collect();
        assert_eq!(hardcoded.len(), 1, "only the Neon literal: {found:?}");
        assert_eq!(
            found
                .iter()
                .filter(|(_, rule, _)| *rule == Rule::TlsDisabled)
                .count(),
            1,
            "only the Neon literal lacks sslmode: {found:?}"
        );
    }
}
