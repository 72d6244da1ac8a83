//! `plaintext-secret`: a password in a .env file that git tracks or does not ignore.

use crate::analysis::Context;
use crate::catalogue;
use crate::diagnostic::Diagnostic;
use crate::rules::Rule;
use crate::rules::values;
use crate::workspace::GitState;

pub(crate) const DOCUMENTATION: &str = r#"
### What it does
Flags a password — a value whose key is a secret's by shape (`…PASSWORD`, `…_PASS`, `DBPASS`,
`DB_PWD`, `PGPASSWORD`, `…_CLIENTSECRET`, `…_SECRET`, tokens), a connection string that carries
a password, `spring.datasource.password` — in a .env file that git tracks, or that git would add
because no .gitignore rule covers it. Placeholders (`<password>`, `your_password`, `changeme`,
`xxx`, empty values, `${VAR}`) are not secrets, and neither are the credentials of a local
database: a file whose every host is loopback or a docker compose service. Outside a git
repository the rule does not run.

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
    let start = out.len();
    find(context, out);
    fixes(context, &mut out[start..]);
}

fn find(context: &Context, out: &mut Vec<Diagnostic>) {
    let local = values::LocalHosts::of(context);
    for (_, file, env) in context.env_files() {
        // A file whose every host is loopback or a compose service holds local development
        // credentials (`postgres/postgres`, the compose stack's own password), not a leak.
        if local.is_local_env(env) {
            continue;
        }
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
/// A password (or other secret, by the shared key shapes of [`crate::secrets::is_secret_key`]:
/// `*PASSWORD`, `*_PASS`, `*PWD`, `PGPASSWORD`, `DBPASS`, `*_SECRET`, tokens) with a
/// real-looking value, or a connection string that carries a real password.
pub(crate) fn holds_password(key: &str, value: &str) -> bool {
    if crate::secrets::is_secret_key(key) || key == catalogue::spring::PASSWORD {
        return values::is_real_secret(value) && looks_like_secret(value);
    }
    match values::parse(value) {
        Some(Ok((_, params))) => params
            .password
            .as_ref()
            .is_some_and(|p| values::is_real_secret(p.expose())),
        _ => false,
    }
}

/// Values a secret-named key holds that are settings, not secrets: numbers (`TOKEN_TTL=3600`),
/// booleans, and URLs without credentials (`TOKEN_URL=https://…`).
fn looks_like_secret(value: &str) -> bool {
    let value = value.trim();
    let lower = value.to_ascii_lowercase();
    if value.chars().all(|c| c.is_ascii_digit()) || matches!(lower.as_str(), "true" | "false") {
        return false;
    }
    if let Some(rest) = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
    {
        return rest
            .split('/')
            .next()
            .is_some_and(|authority| authority.contains('@'));
    }
    true
}

/// No edit can settle these findings (issue 14: the nearest honest edit plus an explanation):
/// a note at the finding's line says what to change by hand.
fn fixes(context: &Context, diagnostics: &mut [Diagnostic]) {
    crate::rules::fixes::add_notes(
        context,
        diagnostics,
        "Note how to take the password out of git",
        |_| {
            "this file holds a password and git tracks it or will commit it: add it to .gitignore (`git rm --cached` it if tracked), keep placeholders in a committed .env.example, and rotate the password if it was pushed; no edit here can do that for you.".to_owned()
        },
    );
}

#[cfg(test)]
mod tests {
    use super::check;
    use crate::rules::testing::{Case, PSYCOPG2_APP, PSYCOPG2_REQUIREMENTS};
    use crate::workspace::GitState;

    const ENV: &str = "NEON_POSTGRESQL_CONNECTIONSTRING=\"dbname=neondb host=ep-still-mud-a12aa123.eastus2.azure.neon.tech sslmode=require user=neondb_owner password=npg_Xyz123example\"\nDBPASS=Qm7vT2xRk9pL4wZ\n";

    #[test]
    fn passwords_in_a_tracked_env_file_are_reported_without_quoting_them() {
        let case = Case::new(&[PSYCOPG2_REQUIREMENTS, PSYCOPG2_APP, (".env", ENV)])
            .git(".env", GitState::Tracked);
        let found = case.check(check);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found.iter().all(|d| d.path == ".env"));
        for finding in &found {
            assert!(
                finding.message.contains("git tracks this file"),
                "{}",
                finding.message
            );
            assert!(!finding.message.contains("npg_Xyz123example"));
            assert!(!finding.message.contains("Qm7vT2xRk9pL4wZ"));
        }
    }

    #[test]
    fn an_ignored_env_file_and_placeholders_are_fine() {
        let case = Case::new(&[PSYCOPG2_REQUIREMENTS, PSYCOPG2_APP, (".env", ENV)])
            .git(".env", GitState::Ignored);
        assert_eq!(case.found(check), Vec::<String>::new());
        let example =
            "DB_PASSWORD=your_password\nNEON_POSTGRESQL_PASSWORD=<password>\nJWT_SECRET=xxx\n";
        let case = Case::new(&[
            PSYCOPG2_REQUIREMENTS,
            PSYCOPG2_APP,
            (".env.example", example),
        ])
        .git(".env.example", GitState::Tracked);
        assert_eq!(case.found(check), Vec::<String>::new());
    }

    /// Git's view decides: untracked but not ignored is one `git add .` away from a commit;
    /// outside a repository there is nothing to commit to.
    #[test]
    fn untracked_and_not_ignored_is_reported_outside_git_is_not() {
        let case = Case::new(&[PSYCOPG2_REQUIREMENTS, PSYCOPG2_APP, (".env", ENV)])
            .git(".env", GitState::Untracked);
        let found = case.check(check);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found[0].message.contains("git does not ignore"),
            "{}",
            found[0].message
        );
        let case = Case::new(&[PSYCOPG2_REQUIREMENTS, PSYCOPG2_APP, (".env", ENV)]);
        assert_eq!(case.found(check), Vec::<String>::new());
    }
}
