//! `hardcoded-connection-string`: a connection string with a password as a literal in code.

use crate::analysis::Context;
use crate::diagnostic::Diagnostic;
use crate::rules::Rule;
use crate::rules::values::{self, Origin};

pub(crate) const DOCUMENTATION: &str = r#"
### What it does
Flags a string literal in source code (including `.properties` and YAML values) that is a
Postgres connection string carrying a password. Placeholders (`<password>`, `your_password`,
`changeme`) are not passwords, and a local database (every host loopback or a docker compose
service: `postgres:postgres@localhost` in a test fixture or a local fallback) is not reported.

### Why is this bad?
The password ships with the code, lands in version control and in every build artefact, and
cannot be rotated without a release. The connection Service Connector made is ignored.

### Example
```python
conn = psycopg2.connect("postgresql://app:npg_Xyz123example@ep-still-mud-a12aa123.eastus2.azure.neon.tech/neondb")
```

### Use instead
```python
conn = psycopg2.connect(os.environ["NEON_POSTGRESQL_CONNECTIONSTRING"])
```
"#;

pub(crate) fn check(context: &Context, out: &mut Vec<Diagnostic>) {
    let local = values::LocalHosts::of(context);
    for value in values::connection_string_values(context) {
        if !matches!(value.origin, Origin::Literal) {
            continue;
        }
        let Some(Ok((format, params))) = values::parse(value.value) else {
            continue;
        };
        let Some(password) = &params.password else {
            continue;
        };
        // Tests, local profiles and local fallbacks point at a throwaway database on this
        // machine or the compose network (`postgres/postgres@localhost`): not a leaked secret.
        if local.is_local_connection(&params) {
            continue;
        }
        if !values::is_real_secret(password.expose()) {
            continue;
        }
        out.push(Diagnostic::new(
            Rule::HardcodedConnectionString,
            value.file.path,
            value.range,
            format!(
                "{} with a password is written into the code ({}): read the connection from the environment Service Connector sets instead",
                format.description(),
                params.masked(format)
            ),
        ));
    }
}
