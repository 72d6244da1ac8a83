//! The core's answers as Markdown for the editor: the query returns data
//! ([`crate::query::VariableInfo`]), this is the one place it becomes hover text.

use crate::query::{About, VariableInfo};

/// The hover text for a variable: what Service Connector sets it to, how `customizedKeys`
/// renames it, and where the .env files in scope define it (values as the query masked them).
pub(crate) fn hover(info: &VariableInfo) -> String {
    let mut markdown = format!("**{}**\n\n", info.name);
    match &info.about {
        About::Set {
            target,
            connection,
            format,
            example,
            source,
        } => markdown.push_str(&format!(
            "Set by Azure Service Connector for {} ({connection}).\n\nFormat: {format}\n\nDocumented example: {} (source {source})",
            target.display_name(),
            code(example),
        )),
        About::NotSetFor { connection } => markdown.push_str(&format!(
            "Not set by Service Connector for this connection ({connection})."
        )),
        About::NotServiceConnector => markdown.push_str("Not a Service Connector variable."),
    }
    if let Some(note) = &info.rename {
        markdown.push_str(&format!("\n\n{note}."));
    }
    for (path, _, value) in &info.definitions {
        markdown.push_str(&format!("\n\nDefined in {}: {}", code(path), code(value)));
    }
    if info.definitions.is_empty() {
        markdown.push_str("\n\nNot defined in any .env file in scope.");
    }
    markdown
}

/// `text` as inline code: fenced by one more backtick than its longest run, so a value holding
/// backticks cannot end the span early.
fn code(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    if longest == 0 {
        format!("{fence}{text}{fence}")
    } else {
        format!("{fence} {text} {fence}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Options;
    use crate::query::tests::workspace;

    #[test]
    fn hover_renders_the_catalogue_entry_and_masked_definitions() {
        const PASSWORD: &str = "Hov3r-Md-S3cret";
        let env = format!(
            "NEON_POSTGRESQL_CONNECTIONSTRING=\"host=ep-a.eastus2.azure.neon.tech user=app password={PASSWORD}\"\nDB_PWD={PASSWORD}\n"
        );
        let workspace = workspace(&[
            ("requirements.txt", "psycopg2-binary\n"),
            (
                "app.py",
                "import os\nconn = os.environ[\"NEON_POSTGRESQL_CONNECTIONSTRING\"]\n",
            ),
            (".env", &env),
        ]);
        let options = Options::default();
        let info = crate::query::variable_at(&workspace, &options, "app.py", 30).unwrap();
        let markdown = hover(&info);
        assert!(
            markdown.starts_with(
                "**NEON_POSTGRESQL_CONNECTIONSTRING**\n\nSet by Azure Service Connector for Neon"
            ),
            "{markdown}"
        );
        assert!(
            markdown.contains("(client type python, from requirements.txt)"),
            "{markdown}"
        );
        assert!(markdown.contains("Defined in `.env`: `"), "{markdown}");
        assert!(markdown.contains("password=****"), "{markdown}");
        assert!(!markdown.contains(PASSWORD), "{markdown}");

        // A secret-shaped key in .env: no connection claims it, its value stays masked (as
        // `check` masks it).
        let at = env.find("DB_PWD").unwrap() + 2;
        let info = crate::query::variable_at(&workspace, &options, ".env", at).unwrap();
        assert_eq!(info.about, About::NotServiceConnector);
        let markdown = hover(&info);
        assert!(
            markdown.contains("Not a Service Connector variable."),
            "{markdown}"
        );
        assert!(markdown.contains("Defined in `.env`: `****`"), "{markdown}");
        assert!(!markdown.contains(PASSWORD), "{markdown}");
    }

    #[test]
    fn inline_code_outlasts_backticks_in_the_value() {
        assert_eq!(code("a"), "`a`");
        assert_eq!(code("a`b"), "`` a`b ``");
        assert_eq!(code("``"), "``` `` ```");
    }
}
