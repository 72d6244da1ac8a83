//! Where the "Test connection" code lenses go in a .env file.
//!
//! One lens per connection a .env file defines (target + connection name), on the line of its
//! first variable, so a file with a Neon connection and a named Azure one shows two. Which
//! variables make up the connection, and whether they work, is the connection test's business
//! (`crate::testconn`); this module only finds the lines.

use crate::catalogue::{self, Target};
use crate::dotenv;
use crate::text::TextRange;

/// A lens: the key range of the connection's first variable in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ConnectionLens {
    pub range: TextRange,
    pub target: Target,
    /// Upper-case connection name for a second connection.
    pub name: Option<String>,
}

impl ConnectionLens {
    pub(super) fn title(&self) -> String {
        match &self.name {
            Some(name) => format!("▶ Test connection {name} ({})", self.target.display_name()),
            None => format!("▶ Test connection ({})", self.target.display_name()),
        }
    }
}

pub(super) fn connection_lenses(env_text: &str) -> Vec<ConnectionLens> {
    let env = dotenv::parse(env_text);
    let mut lenses: Vec<ConnectionLens> = Vec::new();
    for entry in &env.entries {
        let Some(parsed) = catalogue::parse_name(&entry.key) else {
            continue;
        };
        let seen = lenses
            .iter()
            .any(|lens| lens.target == parsed.target && lens.name == parsed.connection);
        if !seen {
            lenses.push(ConnectionLens {
                range: entry.key_range,
                target: parsed.target,
                name: parsed.connection,
            });
        }
    }
    lenses
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_lens_per_connection_on_its_first_variable() {
        let text = "# app\nPORT=3000\nNEON_POSTGRESQL_HOST=ep-a.neon.tech\nNEON_POSTGRESQL_USER=app\n\
                    AZURE_POSTGRESQL_ORDERS_CONNECTIONSTRING=\"host=x\"\nNEON_POSTGRESQL_PASSWORD=s\n";
        let lenses = connection_lenses(text);
        assert_eq!(lenses.len(), 2, "{lenses:?}");
        assert_eq!(
            &text[lenses[0].range.start..lenses[0].range.end],
            "NEON_POSTGRESQL_HOST"
        );
        assert_eq!(lenses[0].name, None);
        assert_eq!(lenses[1].target, Target::AzurePostgresql);
        assert_eq!(lenses[1].name.as_deref(), Some("ORDERS"));
        assert!(lenses[1].title().contains("ORDERS"));
    }

    #[test]
    fn files_without_connection_variables_get_none() {
        assert!(connection_lenses("PORT=1\nNEON_POSTGRES_HOST=typo\n").is_empty());
        assert!(connection_lenses("").is_empty());
    }
}
