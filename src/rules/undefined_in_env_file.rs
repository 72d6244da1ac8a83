//! `undefined-in-env-file`: code reads a variable no .env file in scope defines.

use crate::analysis::{Context, File as SourceFile, FileData, NameStatus};
use crate::catalogue::Target;
use crate::diagnostic::{Applicability, Diagnostic, FileEdit, Fix, Related, Severity};
use crate::rules::Rule;

pub(crate) const DOCUMENTATION: &str = r#"
### What it does
Flags a Service Connector variable read by code when the connection has .env files in scope
(by default `.env`, `.env.local`, `.env.development`, `.env.*.local` in the code's folder or
above) and none of them defines it. Projects without any .env file are not checked.

### Why is this bad?
Local runs read the .env file in place of Service Connector: a missing key fails locally, or
worse, the code has a fallback that hides the difference until production.

### Example
```dotenv
# .env
NEON_POSTGRESQL_HOST=ep-still-mud-a12aa123.eastus2.azure.neon.tech
```
```js
const user = process.env.NEON_POSTGRESQL_USER; // not in .env
```

### Use instead
Add every variable the code reads to the .env file. The quick fix appends it with a placeholder
value in the format Service Connector uses.

Variables read only where the app runs on App Service, Container Apps or AKS are not asked for:
code under `if os.getenv("WEBSITE_HOSTNAME"):` (or `"WEBSITE_HOSTNAME" in os.environ`,
`process.env.WEBSITE_HOSTNAME`, `CONTAINER_APP_NAME`, `KUBERNETES_SERVICE_HOST`, a name assigned
one of these such as `const onAzure = Boolean(process.env.WEBSITE_HOSTNAME)`, or
`process.env.NODE_ENV === "production"`), and a settings module chosen there (Django's
`production.py` selected in `settings.py`, `manage.py` or `wsgi.py`). The platform provides
those, not .env — unless the .env file defines another variable of the same connection read on
that path, which says it is meant for that code: then the missing ones are reported as
information, with the reason.
"#;

pub(crate) fn check(context: &Context, out: &mut Vec<Diagnostic>) {
    let platform_modules = platform_modules(context);
    for (_, file, reference) in context.references() {
        if reference.status != NameStatus::Valid || reference.parsed.is_none() {
            continue;
        }
        let Some(connection) = reference.connection.map(|id| context.connection(id)) else {
            continue;
        };
        // A name Service Connector would not set for this connection (Spring properties,
        // unknown client type) has nothing to compare with.
        if connection.client_type.is_none() || connection.env_files.is_empty() {
            continue;
        }
        let defined = connection
            .env_files
            .iter()
            .any(|id| match &context.file(*id).data {
                FileData::Env(env) => env.get(&reference.name).is_some(),
                _ => false,
            });
        if defined {
            continue;
        }
        // Read only where the app runs on the platform (`if os.getenv("WEBSITE_HOSTNAME"):`,
        // `NODE_ENV === "production"`, Django's production.py): the platform provides it, not
        // .env. Unless the .env file is meant for that code: it defines another variable of the
        // same connection read on that path. Then say so, as information.
        let mut meant = None;
        if on_platform_path(file, reference.index, &platform_modules) {
            meant = platform_names(file, &platform_modules)
                .filter(|name| *name != reference.name && connection.variable(name).is_some())
                .find(|name| {
                    connection
                        .env_files
                        .iter()
                        .any(|id| match &context.file(*id).data {
                            FileData::Env(env) => env.get(name).is_some(),
                            _ => false,
                        })
                });
            if meant.is_none() {
                continue;
            }
        }
        let nearest = context.file(connection.env_files[0]);
        let names: Vec<&str> = connection
            .env_files
            .iter()
            .map(|id| context.file(*id).path)
            .collect();
        let placeholder = connection
            .variable(&reference.name)
            .map(|v| placeholder_value(v.entry.example, connection.target))
            .unwrap_or_default();
        let (range, text) =
            crate::dotenv::append_entry_edit(nearest.text, &reference.name, &placeholder);
        let mut message = format!(
            "{} is read here but defined in none of {}",
            reference.name,
            list_files(&names)
        );
        if let Some(other) = meant {
            message.push_str(&format!(
                " (read only where the app runs on Azure, which provides it; reported because the .env file defines {other} of the same connection)"
            ));
        }
        let mut diagnostic = Diagnostic::new(
            Rule::UndefinedInEnvFile,
            file.path,
            reference.range,
            message,
        );
        if meant.is_some() {
            diagnostic.severity = Severity::Info;
        }
        out.push(
            diagnostic
                .with_fix(Fix {
                    title: format!("Add {} to {}", reference.name, nearest.path),
                    edits: vec![FileEdit::new(nearest.path, range, text)],
                    applicability: Applicability::Unsafe,
                })
                .with_related(Related {
                    path: nearest.path.to_string(),
                    range: crate::text::TextRange::empty(0),
                    message: format!("{} is missing here", reference.name),
                }),
        );
    }
}

/// Modules selected only on the platform path, as (folder of the selecting file for relative
/// imports, dotted module path without leading dots).
fn platform_modules(context: &Context) -> Vec<(Option<String>, String)> {
    let mut modules = Vec::new();
    for (_, file, _, scan, _) in context.sources() {
        let Some(platform) = &scan.platform else {
            continue;
        };
        for module in &platform.modules {
            let relative = module.starts_with('.');
            let dir = relative.then(|| crate::analysis::parent_dir(file.path).to_string());
            modules.push((dir, module.trim_start_matches('.').to_string()));
        }
    }
    modules
}

/// Whether a Python file is a module selected only on the platform path (`production.py` when
/// `settings.py` or `manage.py` picks it on `WEBSITE_HOSTNAME`).
fn is_platform_module(path: &str, modules: &[(Option<String>, String)]) -> bool {
    let Some(stem) = path.strip_suffix(".py") else {
        return false;
    };
    let dotted = stem.replace('/', ".");
    let dir = crate::analysis::parent_dir(path);
    let name = stem.rsplit('/').next().unwrap_or(stem);
    modules
        .iter()
        .any(|(relative_to, module)| match relative_to {
            Some(from) => from == dir && module == name,
            None => dotted == *module || dotted.ends_with(&format!(".{module}")),
        })
}

fn on_platform_path(
    file: &SourceFile<'_>,
    index: usize,
    modules: &[(Option<String>, String)],
) -> bool {
    let FileData::Source { scan, .. } = &file.data else {
        return false;
    };
    scan.env_refs.get(index).is_some_and(|r| r.platform_path)
        || is_platform_module(file.path, modules)
}

/// Names the file reads on the platform path.
fn platform_names<'f>(
    file: &'f SourceFile<'_>,
    modules: &[(Option<String>, String)],
) -> impl Iterator<Item = &'f str> {
    let whole = is_platform_module(file.path, modules);
    let refs = match &file.data {
        FileData::Source { scan, .. } => scan.env_refs.as_slice(),
        _ => &[],
    };
    refs.iter()
        .filter(move |r| whole || r.platform_path)
        .map(|r| r.name.as_str())
}

/// The documented example with the target's example host filled in; other placeholders stay in
/// angle brackets so that nobody mistakes them for real values.
pub(crate) fn placeholder_value(example: &str, target: Target) -> String {
    example.replace("<host>", target.example_host())
}

/// "a/.env, .env" — at most three names, then how many more.
fn list_files(names: &[&str]) -> String {
    const SHOWN: usize = 3;
    if names.len() <= SHOWN {
        return names.join(", ");
    }
    format!(
        "{} and {} more .env files",
        names[..SHOWN].join(", "),
        names.len() - SHOWN
    )
}

#[cfg(test)]
mod tests {
    use super::check;
    use crate::rules::testing::Case;

    const REQUIREMENTS: (&str, &str) = (
        "requirements.txt",
        "psycopg2-binary==2.9.9\npython-dotenv==1.0.1\n",
    );
    const APP: (&str, &str) = (
        "app.py",
        "import os\nimport psycopg2\nfrom dotenv import load_dotenv\n\nload_dotenv()\nconn = psycopg2.connect(os.environ[\"NEON_POSTGRESQL_CONNECTIONSTRING\"])\n",
    );

    #[test]
    fn a_read_no_env_file_defines_is_reported_with_an_entry_to_add() {
        let case = Case::new(&[REQUIREMENTS, APP, (".env", "DEBUG=1\nLOG_LEVEL=info\n")]);
        assert_eq!(
            case.found(check),
            ["app.py:6 NEON_POSTGRESQL_CONNECTIONSTRING"]
        );
        let finding = &case.check(check)[0];
        assert!(finding.message.contains(".env"), "{}", finding.message);
        assert!(
            finding.fixes[0].edits[0]
                .new_text
                .starts_with("NEON_POSTGRESQL_CONNECTIONSTRING="),
            "{:?}",
            finding.fixes
        );
    }

    #[test]
    fn a_read_another_env_file_in_scope_defines_is_fine() {
        let case = Case::new(&[
            REQUIREMENTS,
            APP,
            (".env", "DEBUG=1\n"),
            (
                ".env.local",
                "NEON_POSTGRESQL_CONNECTIONSTRING=\"dbname=neondb host=ep-still-mud-a12aa123.eastus2.azure.neon.tech sslmode=require user=neondb_owner password=npg_Xyz123example\"\n",
            ),
        ]);
        assert_eq!(case.found(check), Vec::<String>::new());
    }

    /// No .env in scope: nothing to compare with. A read only on the platform's path (App
    /// Service sets WEBSITE_HOSTNAME) is the platform's to provide, not .env's.
    #[test]
    fn no_env_file_or_a_read_on_the_platform_path_is_not_reported() {
        let case = Case::new(&[REQUIREMENTS, APP]);
        assert_eq!(case.found(check), Vec::<String>::new());
        let on_azure = (
            "app.py",
            "import os\nimport psycopg2\n\nif os.getenv(\"WEBSITE_HOSTNAME\"):\n    conn = psycopg2.connect(os.environ[\"NEON_POSTGRESQL_CONNECTIONSTRING\"])\nelse:\n    conn = psycopg2.connect(\"dbname=dev host=localhost\")\n",
        );
        let case = Case::new(&[REQUIREMENTS, on_azure, (".env", "DEBUG=1\n")]);
        assert_eq!(case.found(check), Vec::<String>::new());
    }
}
