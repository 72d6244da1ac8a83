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

/// Values that stand for "fill this in", not real settings: empty, `<password>`, `${VAR}`,
/// `%s`, `{password}`, `$(…)`.
pub(crate) fn is_placeholder(value: &str) -> bool {
    let trimmed = value.trim();
    trimmed.is_empty()
        || (trimmed.starts_with('<') && trimmed.ends_with('>'))
        || trimmed.contains("${")
        || trimmed.contains("$(")
        || trimmed.contains("{{")
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
