//! `env-syntax`: a .env line that loaders reject or misread.

use crate::analysis::{Context, File, is_within};
use crate::diagnostic::{Diagnostic, Severity};
use crate::dotenv::EnvFile;
use crate::dotenv::loader::{self, Loader};
use crate::rules::Rule;

pub(crate) const DOCUMENTATION: &str = r#"
### What it does
Flags .env lines that the app's dotenv loader rejects (an error) or reads differently from what
the line seems to say (a warning): unbalanced quotes (reported where the quote opens), a line
without `=`, a key with characters loaders refuse, text after a closing quote, a malformed
`${…}` that loaders read as empty, `$KEY1_2` read as `$KEY1` + `_2`.

The loader is taken from the project: a compose file naming the .env under `env_file`, else the
nearest manifest (python-dotenv / django-environ in requirements or pyproject, Node's dotenv for
package.json, godotenv in go.mod, DotNetEnv in a .csproj, vlucas/phpdotenv in composer.json, the
dotenv gem in a Gemfile); dotenvy when none says. The message names the loader assumed. So
`APP_NAME=Corner Books` is fine for python-dotenv, Node, godotenv, Ruby and compose, and an
error for phpdotenv and dotenvy; shell-style quoting (`'a '\''b'`) is an error for python-dotenv.

### Why is this bad?
Depending on the loader, a bad line stops the whole file from loading, or swallows the following
lines into one value — every variable after it is then silently missing.

### Example
```dotenv
NEON_POSTGRESQL_PASSWORD="npg_Xyz123example
NEON_POSTGRESQL_DATABASE=neondb
```

### Use instead
```dotenv
NEON_POSTGRESQL_PASSWORD="npg_Xyz123example"
NEON_POSTGRESQL_DATABASE=neondb
```
"#;

pub(crate) fn check(context: &Context, out: &mut Vec<Diagnostic>) {
    for (_, file, env) in context.env_files() {
        let (loader, source) = loader_for(context, file);
        for finding in loader::judge(loader, file.text, env) {
            let mut diagnostic = Diagnostic::new(
                Rule::EnvSyntax,
                file.path,
                finding.range,
                format!(
                    "{} (judged as {}{})",
                    finding.message,
                    loader.name(),
                    source.map_or_else(
                        || ", the loader being unknown".to_string(),
                        |source| format!(", from {source}")
                    )
                ),
            );
            if !finding.rejects {
                diagnostic.severity = Severity::Warning;
            }
            out.push(diagnostic);
        }
    }
}

/// The loader that reads `file`, and the file that says so: a compose file in an enclosing
/// folder naming it under `env_file`, else the nearest enclosing manifest that names a .env
/// loader, else dotenvy (`None`).
pub(crate) fn loader_for<'a>(context: &'a Context, file: &File) -> (Loader, Option<&'a str>) {
    let name = file.path.rsplit('/').next().unwrap_or(file.path);
    let compose = context.files.iter().find(|candidate| {
        crate::compose::is_compose_file(candidate.path)
            && is_within(file.dir, candidate.dir)
            && candidate.text.contains("env_file")
            && candidate.text.contains(name)
    });
    if let Some(compose) = compose {
        return (Loader::Compose, Some(compose.path));
    }
    context
        .files
        .iter()
        .filter(|candidate| is_within(file.dir, candidate.dir))
        .filter_map(|candidate| {
            let manifest_name = candidate.path.rsplit('/').next().unwrap_or(candidate.path);
            Loader::from_manifest(manifest_name, candidate.text)
                .map(|loader| (candidate.dir.len(), loader, candidate.path))
        })
        .max_by_key(|(depth, _, _)| *depth)
        .map_or((Loader::Dotenvy, None), |(_, loader, path)| {
            (loader, Some(path))
        })
}

/// The 0-based lines of `file` that its loader rejects (a definition there never loads).
pub(crate) fn rejected_lines(context: &Context, file: &File, env: &EnvFile) -> Vec<usize> {
    let (loader, _) = loader_for(context, file);
    loader::judge(loader, file.text, env)
        .into_iter()
        .filter(|finding| finding.rejects)
        .map(|finding| finding.line)
        .collect()
}
