//! `tls-not-required`: a Django `DATABASES` entry or a SQLAlchemy URL for an Azure or Neon
//! server that leaves `sslmode` to the driver's default.

use crate::analysis::{Context, NameStatus};
use crate::catalogue::{ClientType, Field};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::Rule;
use crate::scan::Language;
use crate::text::TextRange;

pub(crate) const DOCUMENTATION: &str = r#"
### What it does
Hints at a Django `DATABASES` entry (at its `HOST`) or a SQLAlchemy URL (`postgresql+psycopg2://…`)
for an Azure Database for PostgreSQL or Neon server — a host read from an `AZURE_POSTGRESQL_…` /
`NEON_POSTGRESQL_…` variable, or written as `….postgres.database.azure.com` / `….neon.tech` —
when the file never sets `sslmode`.

### Why is this bad?
psycopg2 and psycopg use libpq, whose default `sslmode` is `prefer`: it tries TLS and silently
falls back to plain text when the handshake fails. Neon always refuses plain text, and Azure does
while `require_secure_transport` is on (the default), so today the risk is a downgrade on a
misconfigured server — hence a hint, not `tls-disabled`. Service Connector's own strings say
`sslmode=require`.

### Example
```python
DATABASES = {"default": {
    "ENGINE": "django.db.backends.postgresql",
    "HOST": os.environ["AZURE_POSTGRESQL_HOST"],
    ...
}}
```

### Use instead
```python
DATABASES = {"default": {
    "ENGINE": "django.db.backends.postgresql",
    "HOST": os.environ["AZURE_POSTGRESQL_HOST"],
    ...
    "OPTIONS": {"sslmode": "require"},
}}
```
For SQLAlchemy, add `?sslmode=require` to the URL or `connect_args={"sslmode": "require"}`.
"#;

const MESSAGE_TAIL: &str = "psycopg2/psycopg use libpq's default sslmode \"prefer\", which silently falls back to an unencrypted connection if TLS fails; set sslmode=require";

pub(crate) fn check(context: &Context, out: &mut Vec<Diagnostic>) {
    for (_, file, language, _, refs) in context.sources() {
        if language != Language::Python || mentions_sslmode(file.text) {
            continue;
        }
        // Django: the HOST of a DATABASES entry read from a Service Connector variable.
        for reference in refs {
            let Some(connection) = reference.connection.map(|id| context.connection(id)) else {
                continue;
            };
            let django = connection
                .client_type
                .as_ref()
                .is_some_and(|resolved| resolved.value == ClientType::Django);
            let host = reference
                .parsed
                .as_ref()
                .is_some_and(|parsed| parsed.field == Field::Host);
            if !django || !host || reference.status != NameStatus::Valid {
                continue;
            }
            let mut diagnostic = Diagnostic::new(
                Rule::TlsNotRequired,
                file.path,
                reference.range,
                format!(
                    "this Django database entry sets no sslmode: {MESSAGE_TAIL} in \"OPTIONS\""
                ),
            );
            diagnostic.severity = Severity::Hint;
            out.push(diagnostic);
        }
        // SQLAlchemy: a URL template for an Azure or Neon host.
        let cloud_host = refs.iter().any(|reference| reference.parsed.is_some())
            || file.text.contains(".postgres.database.azure.com")
            || file.text.contains(".neon.tech");
        if !cloud_host {
            continue;
        }
        // The scanner keeps `postgres://` literals; SQLAlchemy's `postgresql+driver://` URLs
        // are found in the text (a hint at worst, so a URL in a comment costs little).
        for range in sqlalchemy_urls(file.text) {
            let mut diagnostic = Diagnostic::new(
                Rule::TlsNotRequired,
                file.path,
                range,
                format!(
                    "this SQLAlchemy URL sets no sslmode: {MESSAGE_TAIL} (`?sslmode=require` or connect_args)"
                ),
            );
            diagnostic.severity = Severity::Hint;
            out.push(diagnostic);
        }
    }
}

/// `postgresql+psycopg2://…` / `postgres+asyncpg://…` up to the end of the literal or line.
fn sqlalchemy_urls(text: &str) -> Vec<TextRange> {
    let lower = text.to_ascii_lowercase();
    let mut out = Vec::new();
    for (start, _) in lower.match_indices("postgres") {
        let rest = &lower[start + "postgres".len()..];
        let rest = rest.strip_prefix("ql").unwrap_or(rest);
        let Some(driver) = rest.strip_prefix('+') else {
            continue;
        };
        let name_len = driver
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(driver.len());
        if name_len == 0 || !driver[name_len..].starts_with("://") {
            continue;
        }
        let end = lower[start..]
            .find(['"', '\'', '\n'])
            .map_or(lower.len(), |len| start + len);
        out.push(TextRange::new(start, end));
    }
    out
}

fn mentions_sslmode(text: &str) -> bool {
    text.to_ascii_lowercase().contains("sslmode")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_sqlalchemy_urls_only() {
        let text = "A = \"postgresql+psycopg2://{u}:{p}@{h}/{d}\".format()\nB = 'postgres+asyncpg://x/y'\nC = \"postgresql://x/y\"\nD = \"postgresql+://x\"\n";
        let found: Vec<&str> = sqlalchemy_urls(text)
            .into_iter()
            .map(|range| &text[range.start..range.end])
            .collect();
        assert_eq!(
            found,
            vec![
                "postgresql+psycopg2://{u}:{p}@{h}/{d}",
                "postgres+asyncpg://x/y"
            ]
        );
    }
}

#[cfg(test)]
mod check_tests {
    use super::check;
    use crate::rules::testing::Case;

    const REQUIREMENTS: (&str, &str) = (
        "requirements.txt",
        "Django==5.0.6\npsycopg2-binary==2.9.9\n",
    );

    fn settings(prefix: &str, options: &str) -> String {
        format!(
            "import os\n\nDATABASES = {{\n    \"default\": {{\n        \"ENGINE\": \"django.db.backends.postgresql\",\n        \"NAME\": os.environ[\"{prefix}_NAME\"],\n        \"HOST\": os.environ[\"{prefix}_HOST\"],\n        \"USER\": os.environ[\"{prefix}_USER\"],\n        \"PASSWORD\": os.environ[\"{prefix}_PASSWORD\"],\n{options}    }}\n}}\n"
        )
    }

    #[test]
    fn django_without_sslmode_to_azure_is_a_hint() {
        let settings = settings("AZURE_POSTGRESQL", "");
        let case = Case::new(&[REQUIREMENTS, ("shop/settings.py", &settings)]);
        let found = case.found(check);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].starts_with("shop/settings.py:"), "{found:?}");
    }

    #[test]
    fn django_with_sslmode_require_is_fine() {
        let settings = settings(
            "AZURE_POSTGRESQL",
            "        \"OPTIONS\": {\"sslmode\": \"require\"},\n",
        );
        let case = Case::new(&[REQUIREMENTS, ("shop/settings.py", &settings)]);
        assert_eq!(case.found(check), Vec::<String>::new());
    }

    /// A settings module that reads no Service Connector connection (a local database) is not
    /// a connection to Azure or Neon.
    #[test]
    fn django_settings_for_another_database_are_not_judged() {
        let settings = settings("LOCAL_DB", "");
        let case = Case::new(&[REQUIREMENTS, ("shop/settings.py", &settings)]);
        assert_eq!(case.found(check), Vec::<String>::new());
    }
}
