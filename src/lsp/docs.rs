//! Where a diagnostic's `codeDescription` link points: each rule's documentation.
//!
//! neon-lsp has no documentation website of its own, and a link that 404s is worse than none. So
//! by default the server writes every rule's documentation (the same text as `neon-lsp explain`
//! and docs/rules.md) as Markdown files into the user's cache directory, once per version, and
//! links to those `file:` URIs — editors open them in a tab, offline. A team that publishes the
//! docs can point the links there instead with the setting `docsUrl` (`{rule}` is replaced by
//! the rule id). Not for anything else about rules: their text lives in `crate::rules`.

use crate::rules::Rule;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use tower_lsp_server::ls_types::Uri;

#[derive(Debug, Default)]
pub(super) struct RuleDocs {
    links: HashMap<Rule, Uri>,
}

impl RuleDocs {
    pub(super) fn link(&self, rule: Rule) -> Option<Uri> {
        self.links.get(&rule).cloned()
    }

    /// Links built from a URL template such as `https://example.com/rules/{rule}`; without the
    /// placeholder the rule id is appended as a fragment (`…/rules.md#tls-disabled`).
    pub(super) fn from_template(template: &str) -> Result<RuleDocs, String> {
        let mut links = HashMap::new();
        for rule in Rule::ALL {
            let url = if template.contains("{rule}") {
                template.replace("{rule}", rule.id())
            } else {
                format!("{template}#{}", rule.id())
            };
            let uri = Uri::from_str(&url)
                .map_err(|error| format!("docsUrl \"{template}\" is not a URL: {error}"))?;
            links.insert(*rule, uri);
        }
        Ok(RuleDocs { links })
    }

    /// Writes `<dir>/<rule-id>.md` for every rule (only files whose text changed) and links to
    /// them.
    pub(super) fn write_local(dir: &Path) -> Result<RuleDocs, String> {
        std::fs::create_dir_all(dir)
            .map_err(|error| format!("cannot create {}: {error}", dir.display()))?;
        let mut links = HashMap::new();
        for rule in Rule::ALL {
            let path = dir.join(format!("{}.md", rule.id()));
            let text = format!("# {}", rule.explain().trim_start_matches("## "));
            if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
                // Written beside and renamed, so an editor never opens a half-written file.
                let partial = path.with_extension("md.partial");
                std::fs::write(&partial, &text)
                    .and_then(|()| std::fs::rename(&partial, &path))
                    .map_err(|error| format!("cannot write {}: {error}", path.display()))?;
            }
            let uri = Uri::from_file_path(&path)
                .ok_or_else(|| format!("{} has no file URI", path.display()))?;
            links.insert(*rule, uri);
        }
        Ok(RuleDocs { links })
    }

    /// The default folder: `<cache dir>/neon-lsp/<version>/rules`.
    pub(super) fn default_dir() -> PathBuf {
        dirs::cache_dir()
            .unwrap_or_else(std::env::temp_dir)
            .join("neon-lsp")
            .join(env!("CARGO_PKG_VERSION"))
            .join("rules")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_docs_are_written_once_per_rule_and_linked() {
        let dir = tempfile::tempdir().unwrap();
        let docs = RuleDocs::write_local(dir.path()).unwrap();
        for rule in Rule::ALL {
            let uri = docs.link(*rule).unwrap();
            let path = uri.to_file_path().unwrap().into_owned();
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(text.starts_with(&format!("# {}", rule.id())), "{text}");
            assert!(text.contains(rule.documentation().trim()));
        }
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            Rule::ALL.len()
        );
        // A second server start finds the files current and leaves them alone.
        let before = std::fs::metadata(dir.path().join("tls-disabled.md"))
            .unwrap()
            .modified()
            .unwrap();
        RuleDocs::write_local(dir.path()).unwrap();
        let after = std::fs::metadata(dir.path().join("tls-disabled.md"))
            .unwrap()
            .modified()
            .unwrap();
        assert_eq!(before, after);
    }

    #[test]
    fn templates_put_the_rule_id_in_the_url() {
        let docs = RuleDocs::from_template("https://docs.example.com/rules/{rule}").unwrap();
        assert_eq!(
            docs.link(Rule::TlsDisabled).unwrap().as_str(),
            "https://docs.example.com/rules/tls-disabled"
        );
        let docs = RuleDocs::from_template("https://example.com/rules.md").unwrap();
        assert_eq!(
            docs.link(Rule::EnvSyntax).unwrap().as_str(),
            "https://example.com/rules.md#env-syntax"
        );
        assert!(RuleDocs::from_template("not a url").is_err());
    }
}
