//! `key-vault-mismatch`: the deployed app keeps a variable's value in Key Vault (or as a plain
//! value) while the code or a local .env file treats it as the other (`check --azure`).
//!
//! What the app receives decides when this fires, so a platform that resolves Key Vault
//! references is never reported for code that reads the value plainly:
//! - App Service and Functions resolve an app setting `@Microsoft.KeyVault(SecretUri=…)` (what
//!   Service Connector writes when the linker's `secretStore.keyVaultId` is set, and what
//!   `listConfigurations` marks `configType: KeyVaultSecret`) before the app starts: the code
//!   reads the secret itself ("your application code can use it like any other app setting",
//!   Learn: "Use Key Vault references as app settings in Azure App Service and Azure Functions").
//! - Container Apps resolve a secret backed by `keyVaultUrl` into the environment variable that
//!   references it with `secretRef`: again the value itself.
//! - AKS: Service Connector writes a Kubernetes Secret and `listConfigurations` leaves credential
//!   values empty ("Use Service Connector in AKS"); Spring Apps: not documented. neon-lsp does
//!   not know what the app receives there, so the rule stays silent for them.
//!
//! Where the code really gets something different:
//! 1. code that uses the variable as the *name or URI* of a Key Vault secret
//!    (`client.get_secret(os.environ["…"])`) or looks for the reference syntax in it: on App
//!    Service / Functions / Container Apps it receives the password itself (when the deployed
//!    connection keeps the secret in Key Vault, and of course when it stores a plain value);
//! 2. a .env file in the app's folder whose value is a `@Microsoft.KeyVault(…)` reference
//!    (copied down from the portal): nothing resolves it on a developer's machine, so the local
//!    run gets the reference text instead of the password.
//!
//! The code test is a one-line pattern, hence a warning.

use crate::analysis::{Context, is_within};
use crate::deployed::{DeployedApp, SecretHome, is_key_vault_reference};
use crate::diagnostic::{Applicability, Diagnostic, FileEdit, Fix};
use crate::rules::Rule;
use crate::text::TextRange;

pub(crate) const DOCUMENTATION: &str = r#"
### What it does
With `neon-lsp check --azure`, compares where the deployed app keeps a connection's secret — in
Key Vault (the linker's `secretStore.keyVaultId`, a configuration of type `KeyVaultSecret`, an
app setting `@Microsoft.KeyVault(…)`) or as a plain value — with what the code and the local
.env files expect, and flags the cases where the app really gets something different:

- code that passes a deployed variable to a Key Vault client as a secret name or URI
  (`get_secret(os.environ["AZURE_POSTGRESQL_PASSWORD"])`, `getSecret(process.env.…)`,
  `GetSecretAsync(Environment.GetEnvironmentVariable("…"))`), or looks for `@Microsoft.KeyVault`
  in its value;
- a .env file in the app's folder that holds a `@Microsoft.KeyVault(…)` reference for a variable
  the deployed connection keeps in Key Vault.

It does not flag code that reads the value plainly: App Service and Functions resolve Key Vault
references before the app starts, and Container Apps resolve Key Vault-backed secrets, so the
code receives the secret itself either way. For AKS and Spring Apps, where neon-lsp does not
know what the app receives, the rule stays silent.

### Why is this bad?
On App Service, Functions and Container Apps the variable holds the password, not a Key Vault
secret name: the Key Vault call fails (or, worse, logs the password as a "secret name"). On a
developer's machine nothing resolves a `@Microsoft.KeyVault(…)` value: the connection is
attempted with the reference text as the password.

### Example
```python
# The deployed connection pg of app-api keeps the password in Key Vault; App Service resolves it.
password = secrets.get_secret(os.environ["AZURE_POSTGRESQL_PASSWORD"]).value
```

### Use instead
Use the variable's value directly (`os.environ["AZURE_POSTGRESQL_PASSWORD"]`); for local runs,
put a development password in .env (git-ignored) or use `neon-lsp pull`.

### Fix
The secret fetch around the read becomes the read (`vault.get_secret(os.environ["X"]).value` →
`os.environ["X"]`; `(await client.getSecret(process.env.X)).value` → `process.env.X`); unsafe,
since code after it may use the fetched secret's other fields. Where no edit can decide — a .env
value only the developer can replace, code that looks for the reference syntax, a fetch over
several lines — the fix is a note saying what to change.
"#;

/// Callees that take a Key Vault secret's name (or URI) as their first arguments.
const SECRET_FETCHES: [&str; 5] = [
    "get_secret(",
    "getSecret(",
    "GetSecret(",
    "GetSecretAsync(",
    "getSecretValue(",
];

pub(crate) fn check(context: &Context, out: &mut Vec<Diagnostic>) {
    let start = out.len();
    find(context, out);
    notes(context, &mut out[start..]);
}

fn find(context: &Context, out: &mut Vec<Diagnostic>) {
    let apps = &context.options.deployed;
    if apps.is_empty() {
        return;
    }
    for (_, file, reference) in context.references() {
        let Some(usage) = key_vault_usage(file.text, reference.range.start) else {
            continue;
        };
        for app in deepest_apps(apps, file.dir) {
            let Some((home, linker)) = app.secret_home(&reference.name) else {
                continue;
            };
            let held = match home {
                SecretHome::KeyVault => {
                    "keeps it in Key Vault, and the platform resolves the reference before the app starts"
                }
                SecretHome::Plain => "sets it as a plain value",
            };
            let diagnostic = Diagnostic::new(
                Rule::KeyVaultMismatch,
                file.path,
                reference.range,
                format!(
                    "the code {usage} {}, but {} receives the secret itself, not a Key Vault reference ({} {held}); use the variable's value directly",
                    reference.name,
                    app.resource.name,
                    source(app, linker.map(|l| l.name.as_str()), &reference.name),
                ),
            );
            out.push(match drop_fetch(file.path, file.text, reference.range) {
                Some(fix) => diagnostic.with_fix(fix),
                None => diagnostic,
            });
        }
    }
    for (_, file, env) in context.env_files() {
        for app in deepest_apps(apps, file.dir) {
            for entry in &env.entries {
                if !is_key_vault_reference(&entry.value) {
                    continue;
                }
                let Some((SecretHome::KeyVault, linker)) = app.secret_home(&entry.key) else {
                    continue;
                };
                out.push(Diagnostic::new(
                    Rule::KeyVaultMismatch,
                    file.path,
                    entry.value_range,
                    format!(
                        "{} is a Key Vault reference, which only {} resolves: a local run gets the reference text instead of the secret ({} keeps it in Key Vault); put a development value here, or fetch one with `neon-lsp pull`",
                        entry.key,
                        app.resource.name,
                        source(app, linker.map(|l| l.name.as_str()), &entry.key),
                    ),
                ));
            }
        }
    }
}

/// The edit that makes the code read the value it receives: the secret fetch around the read
/// (`vault.get_secret(os.environ["X"]).value`, `(await client.getSecret(process.env.X)).value`,
/// `client.GetSecret(Environment.GetEnvironmentVariable("X")).Value.Value`) becomes the read
/// alone. Only when the read is the call's one argument on one line; else `None` (a note
/// explains). Unsafe: the code after it may use the fetched secret's other fields.
fn drop_fetch(path: &str, text: &str, read: TextRange) -> Option<Fix> {
    let (line, _) = crate::rules::fixes::line_at(text, read.start);
    let before = text.get(line.start..read.start)?;
    let (at, callee) = SECRET_FETCHES
        .iter()
        .filter_map(|callee| before.rfind(callee).map(|at| (at, *callee)))
        .max_by_key(|(at, _)| *at)?;
    let open = line.start + at + callee.len() - 1;
    // The call's closing parenthesis on this line, and no top-level comma: one argument.
    let mut depth = 0usize;
    let mut close = None;
    for (offset, c) in text[open..line.end].char_indices() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    close = Some(open + offset);
                    break;
                }
            }
            ',' if depth == 1 => return None,
            _ => {}
        }
    }
    let close = close?;
    if close < read.end {
        return None;
    }
    let argument = text[open + 1..close].trim();
    if argument.is_empty()
        || argument.contains(['"', '\'']) && !argument.contains(&text[read.start..read.end])
    {
        return None;
    }
    // The receiver chain before the callee (`vault.`, `self.client.`), an `await`, and the
    // parentheses a JavaScript/C# `(await …)` needs.
    let mut start = line.start + at;
    let is_chain = |c: char| c.is_alphanumeric() || matches!(c, '_' | '.' | '?' | '$');
    while let Some(c) = text[line.start..start].chars().next_back() {
        if !is_chain(c) {
            break;
        }
        start -= c.len_utf8();
    }
    let head = text[line.start..start].trim_end();
    let mut end = close + 1;
    if head.ends_with("await") {
        start = line.start + head.len() - "await".len();
        let head = text[line.start..start].trim_end();
        if head.ends_with('(') && text[end..line.end].starts_with(')') {
            start = line.start + head.len() - 1;
            end += 1;
        }
    }
    // The secret's value: `.value` (Python, JavaScript), `.Value` / `.Value.Value` (C#).
    for field in [".Value.Value", ".value", ".Value"] {
        if text[end..line.end].starts_with(field) {
            end += field.len();
            break;
        }
    }
    Some(Fix {
        title: "Use the variable's value directly (the platform resolves the Key Vault reference; unsafe: code that used the fetched secret's other fields must change too)".to_owned(),
        edits: vec![FileEdit::new(path, TextRange::new(start, end), argument)],
        applicability: Applicability::Unsafe,
    })
}

/// Where no edit settles a finding — a .env value only the developer can replace, code that
/// looks for the reference syntax, a fetch spread over lines —, a note says what to change.
fn notes(context: &Context, diagnostics: &mut [Diagnostic]) {
    crate::rules::fixes::add_notes(context, diagnostics, "Note what to change", |d| {
        if d.message.contains(" is a Key Vault reference, which only ") {
            "only Azure resolves this Key Vault reference: replace it by a development value (kept out of git) or run `neon-lsp pull`; no edit can choose the value.".to_owned()
        } else {
            format!(
                "{}; the value is never a Key Vault reference on this platform.",
                d.message
            )
        }
    });
}

/// The apps whose folder most closely covers `dir` and whose platform resolves Key Vault
/// references.
fn deepest_apps<'a>(apps: &'a [DeployedApp], dir: &str) -> Vec<&'a DeployedApp> {
    let covering: Vec<&DeployedApp> = apps
        .iter()
        .filter(|app| is_within(dir, &app.scope))
        .collect();
    let Some(deepest) = covering.iter().map(|app| app.scope.len()).max() else {
        return Vec::new();
    };
    covering
        .into_iter()
        .filter(|app| app.scope.len() == deepest && app.resolves_key_vault_references())
        .collect()
}

/// "from the deployed connection pg of app-api" / "from the deployed app setting X of app-api".
fn source(app: &DeployedApp, linker: Option<&str>, name: &str) -> String {
    match linker {
        Some(linker) => format!(
            "from the deployed connection {linker} of {}, which",
            app.resource.name
        ),
        None => format!(
            "from the deployed app setting {name} of {}, which",
            app.resource.name
        ),
    }
}

/// How the code at `start` (an environment read) treats its value as a Key Vault reference:
/// the read is an argument of a secret fetch on the same line, or the line looks for the
/// reference syntax.
fn key_vault_usage(text: &str, start: usize) -> Option<&'static str> {
    let start = start.min(text.len());
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let before = text.get(line_start..start)?;
    let line = text.get(line_start..line_end)?;
    if line.to_ascii_lowercase().contains("@microsoft.keyvault") {
        return Some("looks for a Key Vault reference in");
    }
    let (at, callee) = SECRET_FETCHES
        .iter()
        .filter_map(|callee| before.rfind(callee).map(|at| (at, *callee)))
        .max_by_key(|(at, _)| *at)?;
    // The read must be inside the call's parentheses: nothing closes them in between.
    let inside = &before[at + callee.len()..];
    let mut depth = 0i32;
    for c in inside.chars() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth < 0 {
                    return None;
                }
            }
            _ => {}
        }
    }
    Some("fetches a Key Vault secret named by")
}

#[cfg(test)]
mod tests {
    use super::{drop_fetch, key_vault_usage};
    use crate::text::TextRange;

    /// The fetch around the read becomes the read, in each language's shape; a fetch with a
    /// second argument or spread over lines is left to a note.
    #[test]
    fn drop_fetch_keeps_the_read_alone() {
        let fixed = |line: &str, name: &str| {
            let at = line.find(name).unwrap();
            drop_fetch("f", line, TextRange::new(at, at + name.len())).map(|fix| {
                let mut text = line.to_owned();
                let edit = &fix.edits[0];
                text.replace_range(edit.range.start..edit.range.end, &edit.new_text);
                text
            })
        };
        let x = "AZURE_POSTGRESQL_PASSWORD";
        assert_eq!(
            fixed(
                "pw = self.kv.get_secret(os.environ['AZURE_POSTGRESQL_PASSWORD']).value",
                x
            )
            .as_deref(),
            Some("pw = os.environ['AZURE_POSTGRESQL_PASSWORD']")
        );
        assert_eq!(
            fixed(
                "const pw = (await client.getSecret(process.env.AZURE_POSTGRESQL_PASSWORD)).value;",
                x
            )
            .as_deref(),
            Some("const pw = process.env.AZURE_POSTGRESQL_PASSWORD;")
        );
        assert_eq!(
            fixed("var pw = client.GetSecret(Environment.GetEnvironmentVariable(\"AZURE_POSTGRESQL_PASSWORD\")).Value.Value;", x).as_deref(),
            Some("var pw = Environment.GetEnvironmentVariable(\"AZURE_POSTGRESQL_PASSWORD\");")
        );
        assert_eq!(
            fixed(
                "pw = kv.get_secret(os.environ['AZURE_POSTGRESQL_PASSWORD'], version).value",
                x
            ),
            None
        );
        assert_eq!(
            fixed(
                "pw = kv.get_secret(\n    os.environ['AZURE_POSTGRESQL_PASSWORD']).value",
                x
            ),
            None
        );
    }

    fn usage(line: &str) -> Option<&'static str> {
        let start = line
            .find("os.environ")
            .or_else(|| line.find("process.env"))?;
        key_vault_usage(line, start)
    }

    #[test]
    fn finds_reads_used_as_secret_names() {
        assert!(
            usage("pw = client.get_secret(os.environ['AZURE_POSTGRESQL_PASSWORD']).value")
                .is_some()
        );
        assert!(
            usage("const pw = await client.getSecret(process.env.NEON_POSTGRESQL_PASSWORD);")
                .is_some()
        );
        assert!(
            usage("if os.environ['AZURE_POSTGRESQL_PASSWORD'].startswith('@Microsoft.KeyVault('):")
                .is_some()
        );
        // Look-alikes: the read is not the secret's name.
        assert!(usage("kv = SecretClient(vault_url=os.environ['AZURE_KEYVAULT_RESOURCEENDPOINT'], credential=c)").is_none());
        assert!(
            usage(
                "s = client.get_secret('pg').value; pw = os.environ['AZURE_POSTGRESQL_PASSWORD']"
            )
            .is_none()
        );
        assert!(usage("pw = os.environ['AZURE_POSTGRESQL_PASSWORD']").is_none());
    }
}

#[cfg(test)]
mod check_tests {
    use super::check;
    use crate::rules::testing::{
        AZURE_POSTGRESQL_DATABASE_ID, Case, deployed_app, deployed_linker,
    };

    const REQUIREMENTS: (&str, &str) = (
        "requirements.txt",
        "psycopg[binary]==3.2.1\nazure-identity==1.17.1\nazure-keyvault-secrets==4.8.0\n",
    );
    const FETCHES_BY_NAME: (&str, &str) = (
        "db.py",
        "import os\nimport psycopg\n\ndef connect(vault):\n    conninfo = vault.get_secret(os.environ[\"AZURE_POSTGRESQL_CONNECTIONSTRING\"]).value\n    return psycopg.connect(conninfo)\n",
    );

    fn deployed(key_vault: bool) -> Vec<crate::deployed::DeployedApp> {
        let mut linker = deployed_linker(
            "pg_orders",
            "python",
            "secret",
            AZURE_POSTGRESQL_DATABASE_ID,
            &["AZURE_POSTGRESQL_CONNECTIONSTRING"],
        );
        // A secret store on the linker: listConfigurations marks the value `KeyVaultSecret`.
        if key_vault {
            linker.key_vault_id = Some("/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-orders/providers/Microsoft.KeyVault/vaults/kv-orders".to_string());
            for configuration in linker.configurations.iter_mut().flatten() {
                configuration.key_vault_reference = true;
            }
        }
        vec![deployed_app("app-orders-api", vec![linker], &[])]
    }

    #[test]
    fn fetching_a_secret_named_by_a_resolved_variable_is_reported() {
        let case = Case::new(&[REQUIREMENTS, FETCHES_BY_NAME]).deployed(deployed(true));
        let found = case.found(check);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].starts_with("db.py:5 "), "{found:?}");
        let message = &case.check(check)[0].message;
        assert!(message.contains("keeps it in Key Vault"), "{message}");
    }

    /// The fix drops the fetch: applied, the read is used as it is and the finding is gone.
    #[test]
    fn the_fix_uses_the_value_directly() {
        let case = Case::new(&[REQUIREMENTS, FETCHES_BY_NAME]).deployed(deployed(true));
        let found = case.check(check);
        let fix = &found[0].fixes[0];
        assert_eq!(fix.applicability, crate::diagnostic::Applicability::Unsafe);
        let mut text = FETCHES_BY_NAME.1.to_owned();
        let edit = &fix.edits[0];
        text.replace_range(edit.range.start..edit.range.end, &edit.new_text);
        assert!(
            text.contains("    conninfo = os.environ[\"AZURE_POSTGRESQL_CONNECTIONSTRING\"]\n"),
            "{text}"
        );
        let fixed = Case::new(&[REQUIREMENTS, ("db.py", &text)]).deployed(deployed(true));
        assert_eq!(fixed.found(check), Vec::<String>::new());
    }

    #[test]
    fn reading_the_value_directly_is_fine() {
        let direct = (
            "db.py",
            "import os\nimport psycopg\n\ndef connect():\n    return psycopg.connect(os.environ[\"AZURE_POSTGRESQL_CONNECTIONSTRING\"])\n",
        );
        let case = Case::new(&[REQUIREMENTS, direct]).deployed(deployed(true));
        assert_eq!(case.found(check), Vec::<String>::new());
    }

    /// Where the deployed connection keeps the secret decides the wording (a plain value is
    /// just as wrong to fetch by name); with no deployment known the rule is silent.
    #[test]
    fn a_plain_deployed_value_is_reported_too_and_no_deployment_says_nothing() {
        let case = Case::new(&[REQUIREMENTS, FETCHES_BY_NAME]).deployed(deployed(false));
        let found = case.check(check);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].message.contains("which sets it as a plain value"),
            "{}",
            found[0].message
        );
        let case = Case::new(&[REQUIREMENTS, FETCHES_BY_NAME]);
        assert_eq!(case.found(check), Vec::<String>::new());
    }
}
