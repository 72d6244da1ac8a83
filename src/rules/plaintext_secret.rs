//! `plaintext-secret`: a password in a .env file that git tracks or does not ignore.

use crate::analysis::Context;
use crate::catalogue::{self, Field};
use crate::diagnostic::Diagnostic;
use crate::rules::Rule;
use crate::rules::values;
use crate::workspace::GitState;

pub(crate) const DOCUMENTATION: &str = r#"
### What it does
Flags a password — a `…_PASSWORD` or `…_CLIENTSECRET` value, a connection string that carries a
password, `spring.datasource.password` — in a .env file that git tracks, or that git would add
because no .gitignore rule covers it. Placeholders (`<password>`, empty values, `${VAR}`) are
not secrets. Outside a git repository the rule does not run.

### Why is this bad?
A committed password lives on in the repository history, in every clone and fork; rotating it is
the only fix. Service Connector exists so that the password lives in App Service settings or
Key Vault instead.

### Example
```dotenv
# .env, committed
NEON_POSTGRESQL_PASSWORD=npg_Xyz123example
```

### Use instead
Add `.env` to `.gitignore` (`git rm --cached .env` if it is already tracked), commit a
`.env.example` with placeholders, and rotate the password if it was ever pushed.
"#;

pub(crate) fn check(context: &Context, out: &mut Vec<Diagnostic>) {
    for (_, file, env) in context.env_files() {
        let why = match file.git {
            GitState::Tracked => "git tracks this file",
            GitState::Untracked => {
                "git does not ignore this file, so the next `git add .` commits it"
            }
            GitState::Ignored | GitState::NotInRepository => continue,
        };
        for entry in &env.entries {
            if !entry.interpolated.is_empty() || !holds_password(&entry.key, &entry.value) {
                continue;
            }
            out.push(Diagnostic::new(
                Rule::PlaintextSecret,
                file.path,
                entry.inner_range,
                format!(
                    "{} holds a password in plain text and {why}: add {} to .gitignore{}, keep placeholders in a committed .env.example, and rotate the password if it was pushed",
                    entry.key,
                    file.path.rsplit('/').next().unwrap_or(file.path),
                    if file.git == GitState::Tracked { " and run `git rm --cached` on it" } else { "" }
                ),
            ));
        }
    }
}

/// Whether a .env entry carries a real password.
pub(crate) fn holds_password(key: &str, value: &str) -> bool {
    let upper = key.to_ascii_uppercase();
    let secret_key = match catalogue::parse_name(key) {
        Some(parsed) => matches!(parsed.field, Field::Password | Field::ClientSecret),
        None => {
            upper.ends_with("PASSWORD")
                || upper.ends_with("_SECRET")
                || key == catalogue::spring::PASSWORD
        }
    };
    if secret_key {
        return values::is_real_secret(value);
    }
    match values::parse(value) {
        Some(Ok((_, params))) => params
            .password
            .as_ref()
            .is_some_and(|p| values::is_real_secret(p.expose())),
        _ => false,
    }
}
