//! `connection-string-format`: a connection string in a format the client type does not get.

use crate::analysis::Context;
use crate::diagnostic::{Applicability, Diagnostic, FileEdit, Fix};
use crate::rules::Rule;
use crate::rules::values::{self, Origin, assumed};

pub(crate) const DOCUMENTATION: &str = r#"
### What it does
Flags a `…_CONNECTIONSTRING` value (in a .env file) whose format is not the one Service Connector
uses for the connection's client type: .NET gets an Npgsql string, Java a JDBC URL, Python, Go,
PHP and Ruby a libpq key-value string.

### Why is this bad?
The local .env file is meant to mirror what Service Connector injects. A URI that works locally
with one driver is not what production provides, so code tested locally breaks on Azure — or the
code parses a format it will never receive.

### Example
```dotenv
# client type python
NEON_POSTGRESQL_CONNECTIONSTRING=postgresql://app:secret@ep-still-mud-a12aa123.eastus2.azure.neon.tech/neondb?sslmode=require
```

### Use instead
```dotenv
NEON_POSTGRESQL_CONNECTIONSTRING="dbname=neondb host=ep-still-mud-a12aa123.eastus2.azure.neon.tech port=5432 sslmode=require user=app password=secret"
```
The quick fix converts the value, keeping every setting.
"#;

pub(crate) fn check(context: &Context, out: &mut Vec<Diagnostic>) {
    for value in values::connection_string_values(context) {
        let (Origin::Env(entry), Some(expected), Some(connection)) =
            (&value.origin, value.expected_format(), value.connection)
        else {
            continue;
        };
        let Some(Ok((actual, params))) = values::parse(value.value) else {
            continue;
        };
        if actual == expected {
            continue;
        }
        let converted = match value.key_order() {
            Some(keys) => params.render_key_value_ordered(keys),
            None => params.render(expected),
        };
        let mut edit = FileEdit::new(
            value.file.path,
            entry.value_range,
            crate::dotenv::render_value(&converted),
        );
        edit.display_text = Some(crate::dotenv::render_value(&params.masked(expected)));
        let mut diagnostic = Diagnostic::new(
            Rule::ConnectionStringFormat,
            value.file.path,
            value.range,
            format!(
                "{} holds {} but Service Connector sets {} for this connection ({})",
                entry.key,
                actual.description(),
                expected.description(),
                assumed(connection)
            ),
        );
        // A conversion that changes where the driver connects is no fix: say why instead.
        if let Some(hazard) = params.conversion_hazard(expected) {
            diagnostic.message = format!(
                "{}; not converted automatically: {hazard}",
                diagnostic.message
            );
        } else if !value.file.lossy {
            diagnostic = diagnostic.with_fix(Fix {
                title: format!("Convert to {}", expected.description()),
                edits: vec![edit],
                applicability: Applicability::Safe,
            });
        }
        out.push(diagnostic);
    }
}

#[cfg(test)]
mod tests {
    use super::check;
    use crate::diagnostic::Applicability;
    use crate::rules::testing::{Case, PSYCOPG2_APP, PSYCOPG2_REQUIREMENTS};

    const CSPROJ: (&str, &str) = (
        "Ping.csproj",
        "<Project Sdk=\"Microsoft.NET.Sdk\">\n  <ItemGroup>\n    <PackageReference Include=\"Npgsql\" Version=\"8.0.3\" />\n  </ItemGroup>\n</Project>\n",
    );
    const PROGRAM: (&str, &str) = (
        "Program.cs",
        "using Npgsql;\n\nawait using var dataSource = NpgsqlDataSource.Create(\n    Environment.GetEnvironmentVariable(\"NEON_POSTGRESQL_CONNECTIONSTRING\")!);\n",
    );
    const KEY_VALUE: &str = "NEON_POSTGRESQL_CONNECTIONSTRING=\"host=ep-still-mud-a12aa123.eastus2.azure.neon.tech port=5432 dbname=orders sslmode=require user=orders_owner password=npg_Xyz123example\"\n";

    #[test]
    fn a_libpq_string_for_npgsql_is_converted_with_the_password_masked() {
        let case = Case::new(&[CSPROJ, PROGRAM, (".env", KEY_VALUE)]);
        let found = case.check(check);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].path, ".env");
        assert!(
            found[0].message.contains("client type dotnet"),
            "{}",
            found[0].message
        );
        let fix = &found[0].fixes[0];
        assert_eq!(fix.applicability, Applicability::Safe);
        assert!(fix.edits[0].new_text.contains("Password=npg_Xyz123example"));
        let shown = fix.edits[0].shown_text();
        assert!(!shown.contains("npg_Xyz123example"), "{shown}");
        // Every reporter masks the shown text once more: the quotes around the value stay
        // (the masked password used to swallow the closing one).
        let reported = crate::secrets::mask_value(shown);
        assert_eq!(reported, shown, "{reported}");
        assert!(
            reported.starts_with('\'') && reported.ends_with("Password=****;'"),
            "{reported}"
        );
    }

    #[test]
    fn an_npgsql_string_for_npgsql_is_right() {
        let npgsql = "NEON_POSTGRESQL_CONNECTIONSTRING=\"Server=ep-still-mud-a12aa123.eastus2.azure.neon.tech;Database=orders;Port=5432;Ssl Mode=Require;User Id=orders_owner;Password=npg_Xyz123example;\"\n";
        let case = Case::new(&[CSPROJ, PROGRAM, (".env", npgsql)]);
        assert_eq!(case.found(check), Vec::<String>::new());
    }

    /// The client type decides the format: the same key-value string is what Python gets.
    #[test]
    fn the_same_string_is_right_for_python() {
        let case = Case::new(&[PSYCOPG2_REQUIREMENTS, PSYCOPG2_APP, (".env", KEY_VALUE)]);
        assert_eq!(case.found(check), Vec::<String>::new());
    }
}
