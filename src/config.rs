//! `neon-lsp.toml`: connections scoped by folder, rule severities, and suppression comments.
//!
//! Parsing is strict — unknown keys and bad values are errors with the exact range in the file
//! and a suggestion — because a silently ignored setting is worse than none. This module does not
//! decide which connection applies to a file (see `infer`).

use crate::catalogue::{AuthType, ClientType, Target};
use crate::diagnostic::Severity;
use crate::rules::Rule;
use crate::text::TextRange;
use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

/// One `[[connection]]` table.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConnectionConfig {
    pub target: Option<Target>,
    pub client_type: Option<ClientType>,
    pub auth: Option<AuthType>,
    /// Upper-cased connection name for `NEON_POSTGRESQL_<NAME>_…`; `None` for the first connection.
    pub name: Option<String>,
    /// Folders (relative to the workspace root, `/`-separated, no trailing `/`); empty = everywhere.
    pub paths: Vec<String>,
    /// .env file names or relative paths; `None` = the defaults.
    pub env_files: Option<Vec<String>>,
    /// `azure-resource-id`: the app this connection is deployed to (`check --azure`).
    pub azure_resource_id: Option<crate::deployed::ResourceId>,
    /// Where the table is in the config file (for related information).
    pub range: TextRange,
}

/// A rule's configured level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleLevel {
    Off,
    Severity(Severity),
}

impl RuleLevel {
    /// The spelling used in neon-lsp.toml and editor settings.
    pub fn from_id(id: &str) -> Option<RuleLevel> {
        Some(match id {
            "off" => RuleLevel::Off,
            "hint" => RuleLevel::Severity(Severity::Hint),
            "info" => RuleLevel::Severity(Severity::Info),
            "warning" => RuleLevel::Severity(Severity::Warning),
            "error" => RuleLevel::Severity(Severity::Error),
            _ => return None,
        })
    }
}

/// A word of the settings vocabulary: a target, client type, auth type, rule id or rule level.
///
/// The command line (clap's value parsers), neon-lsp.toml and the editor settings all read
/// these through [`parse_word`], so one spelling is accepted by all three or by none, and a
/// misspelling gets the same "did you mean" everywhere (`tests/settings_vocabulary.rs`).
pub trait Word: Sized + Copy + 'static {
    /// What a value is called in messages ("client type").
    const WHAT: &'static str;
    /// Every spelling, in the order messages list them.
    fn spellings() -> Vec<&'static str>;
    /// The value a spelling names (each type's own `from_id`).
    fn from_spelling(word: &str) -> Option<Self>;
}

/// `Word` for a type with `ALL`, `id()` and `from_id()`.
macro_rules! word {
    ($type:ty, $what:literal) => {
        impl Word for $type {
            const WHAT: &'static str = $what;
            fn spellings() -> Vec<&'static str> {
                <$type>::ALL.iter().map(|value| value.id()).collect()
            }
            fn from_spelling(word: &str) -> Option<Self> {
                <$type>::from_id(word)
            }
        }
    };
}

word!(Target, "target");
word!(ClientType, "client type");
word!(AuthType, "auth type");
word!(Rule, "rule");

impl Word for RuleLevel {
    const WHAT: &'static str = "rule level";
    fn spellings() -> Vec<&'static str> {
        vec!["off", "hint", "info", "warning", "error"]
    }
    fn from_spelling(word: &str) -> Option<Self> {
        RuleLevel::from_id(word)
    }
}

/// A value that is not a word of its vocabulary, with the nearest spelling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownWord {
    pub what: &'static str,
    pub value: String,
    pub suggestion: Option<&'static str>,
    pub expected: Vec<&'static str>,
}

impl std::fmt::Display for UnknownWord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A long value is cut: the message must stay one readable line.
        let value: String = self.value.chars().take(60).collect();
        let cut = if value.len() < self.value.len() {
            "…"
        } else {
            ""
        };
        write!(f, "unknown {} \"{value}{cut}\": ", self.what)?;
        if let Some(suggestion) = self.suggestion {
            write!(f, "did you mean \"{suggestion}\"? ")?;
        }
        let expected: Vec<String> = self.expected.iter().map(|s| format!("\"{s}\"")).collect();
        write!(f, "expected one of {}", expected.join(", "))
    }
}

impl std::error::Error for UnknownWord {}

/// Parses one word of the settings vocabulary: the one parser behind clap, neon-lsp.toml and
/// the editor settings.
pub fn parse_word<T: Word>(value: &str) -> Result<T, UnknownWord> {
    T::from_spelling(value).ok_or_else(|| {
        let expected = T::spellings();
        UnknownWord {
            what: T::WHAT,
            value: value.to_owned(),
            suggestion: crate::catalogue::closest(value, expected.iter().copied()),
            expected,
        }
    })
}

/// The target and auth type set together must be a combination Service Connector offers; the
/// message says what to change (neon-lsp.toml and the editor settings both ask).
pub fn check_target_auth(target: Target, auth: AuthType) -> Result<(), String> {
    if target.auth_types().contains(&auth) {
        return Ok(());
    }
    Err(format!(
        "{}; remove the auth type or set it to \"secret\"",
        crate::catalogue::UnsupportedCombination { target, auth }
    ))
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Config {
    pub connections: Vec<ConnectionConfig>,
    pub rules: BTreeMap<Rule, RuleLevel>,
    /// `[azure] resource-id`: the app the workspace deploys to (`check --azure`).
    pub azure_resource_id: Option<crate::deployed::ResourceId>,
}

/// A configuration error with its place in the file and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ConfigError {
    /// The config file's workspace-relative path.
    pub path: String,
    pub range: TextRange,
    pub message: String,
}

impl ConfigError {
    /// The code a neon-lsp.toml error carries in the editor and on the command line. Not a
    /// rule: no `[rules]` level or suppression comment can turn it off.
    pub const CODE: &'static str = "config";
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    connection: Vec<Spanned<RawConnection>>,
    #[serde(default)]
    rules: BTreeMap<Spanned<String>, Spanned<String>>,
    azure: Option<RawAzure>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawAzure {
    resource_id: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConnection {
    target: Option<Spanned<String>>,
    client_type: Option<Spanned<String>>,
    auth: Option<Spanned<String>>,
    name: Option<Spanned<String>>,
    paths: Option<Vec<Spanned<String>>>,
    env_files: Option<Vec<Spanned<String>>>,
    azure_resource_id: Option<Spanned<String>>,
}

/// A word of the settings vocabulary read from the file: the error points at its value.
fn choice<T: Word>(path: &str, value: &Spanned<String>) -> Result<T, ConfigError> {
    parse_word(value.get_ref()).map_err(|error| ConfigError {
        path: path.to_string(),
        range: span(value),
        message: error.to_string(),
    })
}

/// An app's resource id (`[azure] resource-id`, `azure-resource-id`).
fn resource_id(
    path: &str,
    value: &Spanned<String>,
) -> Result<crate::deployed::ResourceId, ConfigError> {
    crate::deployed::ResourceId::parse(value.get_ref()).map_err(|message| ConfigError {
        path: path.to_string(),
        range: span(value),
        message,
    })
}

fn span<T>(value: &Spanned<T>) -> TextRange {
    let range = value.span();
    TextRange::new(range.start, range.end)
}

/// Parses the text of a `neon-lsp.toml` found at `path` (used in error messages).
pub fn parse(path: &str, text: &str) -> Result<Config, ConfigError> {
    // TOML allows no NUL anywhere; say so plainly rather than with the parser's wording.
    if let Some(at) = text.find('\0') {
        return Err(ConfigError {
            path: path.to_string(),
            range: TextRange::new(at, at + 1),
            message: "contains a NUL byte, which TOML does not allow; is this a binary file or \
                      a file saved in UTF-16? Save it as UTF-8 text"
                .to_string(),
        });
    }
    let raw: RawConfig = toml::from_str(text).map_err(|error| {
        let range = error
            .span()
            .map(|s| TextRange::new(s.start, s.end))
            .unwrap_or_default();
        ConfigError {
            path: path.to_string(),
            range,
            message: error.message().trim().to_string(),
        }
    })?;
    let mut config = Config::default();
    for table in &raw.connection {
        let raw_connection = table.get_ref();
        let mut connection = ConnectionConfig {
            range: span(table),
            ..ConnectionConfig::default()
        };
        if let Some(value) = &raw_connection.target {
            connection.target = Some(choice(path, value)?);
        }
        if let Some(value) = &raw_connection.client_type {
            connection.client_type = Some(choice(path, value)?);
        }
        if let Some(value) = &raw_connection.auth {
            let auth = choice(path, value)?;
            if let Some(target) = connection.target
                && let Err(message) = check_target_auth(target, auth)
            {
                return Err(ConfigError {
                    path: path.to_string(),
                    range: span(value),
                    message,
                });
            }
            connection.auth = Some(auth);
        }
        if let Some(value) = &raw_connection.name {
            let name = value.get_ref().trim();
            if !name.is_empty() {
                if !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                {
                    return Err(ConfigError {
                        path: path.to_string(),
                        range: span(value),
                        message: format!(
                            "connection name \"{name}\" can only hold letters, digits, `_` and `-` (it becomes part of variable names such as NEON_POSTGRESQL_<NAME>_HOST)"
                        ),
                    });
                }
                connection.name = Some(crate::catalogue::normalise_connection_name(name));
            }
        }
        for folder in raw_connection.paths.iter().flatten() {
            let normalised = normalise_folder(folder.get_ref());
            if normalised.starts_with("..") || folder.get_ref().starts_with('/') {
                return Err(ConfigError {
                    path: path.to_string(),
                    range: span(folder),
                    message: format!(
                        "path \"{}\" must be a folder inside the workspace, relative to neon-lsp.toml (for example \"services/api\")",
                        folder.get_ref()
                    ),
                });
            }
            connection.paths.push(normalised);
        }
        if let Some(files) = &raw_connection.env_files {
            connection.env_files = Some(
                files
                    .iter()
                    .map(|f| normalise_folder(f.get_ref()))
                    .collect(),
            );
        }
        if let Some(value) = &raw_connection.azure_resource_id {
            connection.azure_resource_id = Some(resource_id(path, value)?);
        }
        config.connections.push(connection);
    }
    if let Some(value) = raw.azure.as_ref().and_then(|a| a.resource_id.as_ref()) {
        config.azure_resource_id = Some(resource_id(path, value)?);
    }
    check_duplicate_connections(path, &raw, &config)?;
    for (id, level) in &raw.rules {
        let rule = choice(path, id)?;
        let level = choice(path, level)?;
        config.rules.insert(rule, level);
    }
    Ok(config)
}

/// Two tables for the same target, name and folders would silently shadow each other.
fn check_duplicate_connections(
    path: &str,
    raw: &RawConfig,
    config: &Config,
) -> Result<(), ConfigError> {
    for (i, a) in config.connections.iter().enumerate() {
        for b in &config.connections[..i] {
            if a.target.is_some() && a.target == b.target && a.name == b.name && a.paths == b.paths
            {
                return Err(ConfigError {
                    path: path.to_string(),
                    range: span(&raw.connection[i]),
                    message: format!(
                        "two [[connection]] tables for target \"{}\" with the same name and paths: give the second one a `name` (its variables become {}<NAME>_…) or different `paths`",
                        a.target.map(|t| t.id()).unwrap_or_default(),
                        a.target.map(|t| t.prefix()).unwrap_or_default()
                    ),
                });
            }
        }
    }
    Ok(())
}

/// `./services/api/` → `services/api`; `.` → ``.
pub fn normalise_folder(folder: &str) -> String {
    let folder = folder.replace('\\', "/");
    folder
        .split('/')
        .filter(|part| !part.is_empty() && *part != ".")
        .collect::<Vec<_>>()
        .join("/")
}

/// A suppression comment: `neon-lsp: ignore[rule-a, rule-b]` or `neon-lsp: ignore`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    /// 0-based line the comment is on.
    pub line: usize,
    /// Whether code precedes the comment on its line (then it covers only that line;
    /// a comment alone on its line covers the next line).
    pub trailing: bool,
    /// `None` (a bare `neon-lsp: ignore`) means every rule.
    pub rules: Option<Vec<Rule>>,
    /// Ids inside the brackets that are not rules (reported, never silently dropped).
    pub unknown: Vec<(String, TextRange)>,
}

impl Suppression {
    pub fn covers(&self, rule: Rule, line: usize) -> bool {
        let target_line = if self.trailing {
            self.line
        } else {
            self.line + 1
        };
        line == target_line
            && self
                .rules
                .as_ref()
                .is_none_or(|rules| rules.contains(&rule))
    }
}

/// Finds suppression directives inside one comment (`comment` is the comment's byte range).
pub fn parse_suppression(
    text: &str,
    comment: TextRange,
    line: usize,
    line_start: usize,
) -> Option<Suppression> {
    const MARKER: &str = "neon-lsp: ignore";
    let body = text.get(comment.start..comment.end)?;
    let at = body.find(MARKER)?;
    let after = &body[at + MARKER.len()..];
    let trailing = text
        .get(line_start..comment.start)
        .is_some_and(|before| !before.trim().is_empty());
    let mut suppression = Suppression {
        line,
        trailing,
        rules: None,
        unknown: Vec::new(),
    };
    if let Some(list) = after.strip_prefix('[') {
        let close = list.find(']').unwrap_or(list.len());
        let list_start = comment.start + at + MARKER.len() + 1;
        let mut rules = Vec::new();
        let mut offset = 0;
        for part in list[..close].split(',') {
            let id = part.trim();
            let lead = part.len() - part.trim_start().len();
            if !id.is_empty() {
                match Rule::from_id(id) {
                    Some(rule) => rules.push(rule),
                    None => {
                        let start = list_start + offset + lead;
                        suppression
                            .unknown
                            .push((id.to_string(), TextRange::new(start, start + id.len())));
                    }
                }
            }
            offset += part.len() + 1;
        }
        // A list of only unknown ids suppresses nothing rather than everything.
        suppression.rules = Some(rules);
    }
    Some(suppression)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_monorepo_config() {
        let text = r#"
[[connection]]
target = "neon"
client-type = "nodejs"
paths = ["./services/api/"]

[[connection]]
target = "azure-postgresql"
client-type = "python"
auth = "user-identity"
name = "reports"
paths = ["services/worker"]
env-files = [".env.worker"]

[rules]
unused-env-variable = "off"
tls-disabled = "warning"
"#;
        let config = parse("neon-lsp.toml", text).unwrap();
        assert_eq!(config.connections.len(), 2);
        assert_eq!(config.connections[0].paths, vec!["services/api"]);
        assert_eq!(config.connections[1].name.as_deref(), Some("REPORTS"));
        assert_eq!(config.connections[1].auth, Some(AuthType::UserIdentity));
        assert_eq!(config.rules[&Rule::UnusedEnvVariable], RuleLevel::Off);
        assert_eq!(
            config.rules[&Rule::TlsDisabled],
            RuleLevel::Severity(Severity::Warning)
        );
        let table = &text[config.connections[1].range.start..config.connections[1].range.end];
        assert!(table.contains("reports"), "{table}");
    }

    #[test]
    fn azure_resource_ids() {
        let text = "[azure]\nresource-id = \"/subscriptions/s/resourceGroups/g/providers/Microsoft.Web/sites/app\"\n\n[[connection]]\ntarget = \"neon\"\npaths = [\"api\"]\nazure-resource-id = \"/subscriptions/s/resourceGroups/g/providers/Microsoft.App/containerApps/api\"\n";
        let config = parse("neon-lsp.toml", text).unwrap();
        assert_eq!(config.azure_resource_id.unwrap().name, "app");
        assert_eq!(
            config.connections[0]
                .azure_resource_id
                .as_ref()
                .unwrap()
                .kind,
            crate::deployed::AppKind::ContainerApp
        );
        let bad = "[azure]\nresource-id = \"app-web\"\n";
        let error = parse("neon-lsp.toml", bad).unwrap_err();
        assert_eq!(&bad[error.range.start..error.range.end], "\"app-web\"");
        assert!(
            error.message.contains("expected /subscriptions/"),
            "{}",
            error.message
        );
        let typo = "[azure]\nresource-ids = \"x\"\n";
        let error = parse("neon-lsp.toml", typo).unwrap_err();
        assert!(error.message.contains("resource-id"), "{}", error.message);
    }

    #[test]
    fn errors_name_the_place_and_the_fix() {
        let text = "[[connection]]\nclient-type = \"nodej\"\n";
        let error = parse("neon-lsp.toml", text).unwrap_err();
        assert_eq!(&text[error.range.start..error.range.end], "\"nodej\"");
        assert!(
            error.message.contains("did you mean \"nodejs\""),
            "{}",
            error.message
        );

        let error = parse(
            "neon-lsp.toml",
            "[[connection]]\ntarget = \"neon\"\nauth = \"system-identity\"\n",
        )
        .unwrap_err();
        assert!(error.message.contains("secret"), "{}", error.message);

        let error = parse("neon-lsp.toml", "[[connection]]\nclient = \"go\"\n").unwrap_err();
        assert!(error.message.contains("unknown field"), "{}", error.message);

        let error = parse("neon-lsp.toml", "[rules]\ntls-disabled = \"loud\"\n").unwrap_err();
        assert!(error.message.contains("\"warning\""), "{}", error.message);

        let error = parse("neon-lsp.toml", "[rules]\ntls-disable = \"off\"\n").unwrap_err();
        assert!(
            error.message.contains("did you mean \"tls-disabled\""),
            "{}",
            error.message
        );

        let error = parse("neon-lsp.toml", "[[connection]\n").unwrap_err();
        assert!(!error.message.is_empty());

        let error = parse("neon-lsp.toml", "[[connection]]\npaths = [\"../other\"]\n").unwrap_err();
        assert!(
            error.message.contains("inside the workspace"),
            "{}",
            error.message
        );
    }

    #[test]
    fn suppression_comments() {
        let text = "x = 1  # neon-lsp: ignore[secret-logged, nope]\n";
        let comment = TextRange::new(7, text.len() - 1);
        let s = parse_suppression(text, comment, 0, 0).unwrap();
        assert!(s.trailing);
        assert_eq!(s.rules, Some(vec![Rule::SecretLogged]));
        assert_eq!(s.unknown[0].0, "nope");
        assert_eq!(&text[s.unknown[0].1.start..s.unknown[0].1.end], "nope");
        assert!(s.covers(Rule::SecretLogged, 0));
        assert!(!s.covers(Rule::TlsDisabled, 0));

        let text = "// neon-lsp: ignore\nconst x = 1;\n";
        let s = parse_suppression(text, TextRange::new(0, 19), 0, 0).unwrap();
        assert!(!s.trailing);
        assert!(s.covers(Rule::TlsDisabled, 1));
        assert!(!s.covers(Rule::TlsDisabled, 2));
        assert!(parse_suppression(text, TextRange::new(20, 31), 1, 20).is_none());
    }
}
