//! `declared-client-type-mismatch`: the client type the infrastructure declares contradicts the
//! code that reads the connection.

use crate::analysis::{Context, NameStatus};
use crate::catalogue::ClientType;
use crate::diagnostic::{Applicability, Diagnostic, FileEdit, Fix};
use crate::infer::{self, Reason};
use crate::rules::Rule;

pub(crate) const DOCUMENTATION: &str = r#"
### What it does
Compares the client type a Service Connector connection is declared with — `clientType` of a
`Microsoft.ServiceLinker/linkers` resource in Bicep or an ARM template, `client_type` of an
`azurerm_*_connection` in Terraform, `--client-type` of `az … connection create` in a script —
with the code that reads the connection. It fires when only code of another language reads it
(`nodejs` declared, only Python reads it), or when the code reads variables that the declared
client type does not get but the one the code implies does (`python` declared on a Django
project whose settings read `AZURE_POSTGRESQL_NAME`). The finding sits on the declared value.

### Why is this bad?
Service Connector sets variables by client type: a Django app behind a `python` connection gets
one `_CONNECTIONSTRING` and none of the `_NAME`, `_HOST`, `_USER` it reads, and fails at start-up
in production only.

### Example
```bicep
resource pg 'Microsoft.ServiceLinker/linkers@2022-11-01-preview' = {
  name: 'pg'
  scope: web
  properties: {
    clientType: 'python'   // the app is Django and reads AZURE_POSTGRESQL_NAME
    ...
  }
}
```

### Use instead
```bicep
    clientType: 'django'
```
The fix replaces a literal value with the client type the code implies; it is offered, not
applied by `check --fix`, because redeploying the connection changes the app's settings.
"#;

pub(crate) fn check(context: &Context, out: &mut Vec<Diagnostic>) {
    let start = out.len();
    find(context, out);
    fixes(context, &mut out[start..]);
}

fn find(context: &Context, out: &mut Vec<Diagnostic>) {
    for (id, connection) in context.connections.iter().enumerate() {
        let (Some(declaration), Some(client)) = (&connection.declaration, &connection.client_type)
        else {
            continue;
        };
        let Reason::Declared(_) = client.reason else {
            continue;
        };
        let Some(declared) = &declaration.client_type else {
            continue;
        };
        let readers: Vec<(&str, crate::scan::Language)> = context
            .sources()
            .filter(|(_, _, language, _, refs)| {
                !infer::is_pass_through(*language) && refs.iter().any(|r| r.connection == Some(id))
            })
            .map(|(_, file, language, _, _)| (file.path, language))
            .collect();
        let Some((first_reader, first_language)) = readers.first().copied() else {
            continue;
        };
        let foreign = declared.value != ClientType::None
            && readers.iter().all(|(_, language)| {
                infer::language_family(*language).is_some_and(|f| !f.contains(&declared.value))
            });
        let implied = connection.code_client.as_ref();
        let message = if foreign {
            Some(format!(
                "client type {} is declared here, but only {} code reads this connection ({first_reader})",
                declared.value,
                first_language.name()
            ))
        } else if let Some(implied) = implied.filter(|c| c.value != declared.value) {
            // A read the declared client type does not get, that the implied one does.
            let telling = context.references().find(|(_, _, r)| {
                r.connection == Some(id)
                    && r.status == NameStatus::WrongClientType
                    && connection.wrong_only_by_declaration(&r.name)
            });
            telling.map(|(_, file, reference)| {
                format!(
                    "client type {} is declared here, but {} reads {}, which Service Connector sets for client type {} ({})",
                    declared.value, file.path, reference.name, implied.value, implied.reason
                )
            })
        } else {
            None
        };
        let Some(message) = message else { continue };
        let mut diagnostic = Diagnostic::new(
            Rule::DeclaredClientTypeMismatch,
            declared.at.path.clone(),
            declared.at.range,
            message,
        );
        let implied = implied.filter(|c| c.value != declared.value);
        let disagreeing = implied.map_or_else(Vec::new, |implied| {
            reads_not_set_for(context, id, implied.value)
        });
        if let Some(implied) = implied
            && !disagreeing.is_empty()
        {
            // Declaring the type the code implies would leave these reads wrong: the code
            // disagrees with itself, and only its author can say which reads are meant.
            if let Some(note) = disagreement_note(context, &diagnostic, implied.value, &disagreeing)
            {
                diagnostic = diagnostic.with_fix(note);
            }
        } else if let Some(implied) = implied
            && declared.literal
        {
            diagnostic = diagnostic.with_fix(Fix {
                title: format!("Declare client type {}", implied.value.cli_id()),
                edits: vec![FileEdit::new(
                    declared.at.path.clone(),
                    declared.at.range,
                    implied.value.cli_id(),
                )],
                applicability: Applicability::Unsafe,
            });
        }
        out.push(diagnostic);
    }
}

/// A read of the connection with a Service Connector name `client_type` does not set (after
/// the connection's `customizedKeys`): "src/reports.js:7 reads NEON_POSTGRESQL_REPORTS_USERNAME".
struct Read<'a> {
    path: &'a str,
    line: usize,
    name: &'a str,
}

/// The reads of connection `id` that declaring `client_type` would leave wrong, in file order:
/// declaring it settles the finding only when this is empty (issue 14).
fn reads_not_set_for<'a>(
    context: &'a Context<'a>,
    id: usize,
    client_type: ClientType,
) -> Vec<Read<'a>> {
    let connection = context.connection(id);
    let Ok(variables) = crate::catalogue::variables(
        connection.target,
        client_type,
        connection.auth.value,
        connection.name.as_deref(),
    ) else {
        return Vec::new();
    };
    let mut out: Vec<Read<'a>> = Vec::new();
    for (_, file, reference) in context.references() {
        // A name Service Connector never sets is another rule's finding, whatever is declared.
        if reference.connection != Some(id) || reference.status == NameStatus::Unknown {
            continue;
        }
        let name = connection
            .original_name(&reference.name)
            .unwrap_or(&reference.name);
        if variables.iter().any(|v| v.name == name) {
            continue;
        }
        let read = Read {
            path: file.path,
            line: file.line_index.line_of(reference.range.start) + 1,
            name: &reference.name,
        };
        if !out
            .iter()
            .any(|r| r.path == read.path && r.name == read.name)
        {
            out.push(read);
        }
    }
    out
}

/// The fix when the reads disagree: a note naming the reads the implied client type does not
/// set, since declaring it would leave them wrong and declaring the other type leaves the rest.
fn disagreement_note(
    context: &Context,
    diagnostic: &Diagnostic,
    implied: ClientType,
    disagreeing: &[Read<'_>],
) -> Option<Fix> {
    const SHOWN: usize = 4;
    let mut reads: Vec<String> = disagreeing
        .iter()
        .take(SHOWN)
        .map(|r| format!("{}:{} reads {}", r.path, r.line, r.name))
        .collect();
    if disagreeing.len() > SHOWN {
        reads.push(format!("{} more", disagreeing.len() - SHOWN));
    }
    let note = format!(
        "the reads of this connection disagree on its client type: the code implies {implied}, but {}, which client type {implied} does not set; make the reads agree on one client type, then declare it here.",
        reads.join(", ")
    );
    let file = context
        .files
        .iter()
        .find(|f| f.path == diagnostic.path && !f.lossy)?;
    crate::rules::fixes::note_fix(
        &diagnostic.path,
        file.text,
        diagnostic.range.start,
        "Note the reads that disagree on the client type",
        &note,
    )
}

/// No edit can settle a contradiction: a note says which two sides disagree (issue 14).
fn fixes(context: &Context, diagnostics: &mut [Diagnostic]) {
    crate::rules::fixes::add_contradiction_notes(context, diagnostics);
}

#[cfg(test)]
mod tests {
    use super::check;
    use crate::rules::testing::Case;

    const REPORT_PY: (&str, &str) = (
        "report.py",
        "import os\nimport psycopg2\n\nconn = psycopg2.connect(os.environ[\"AZURE_POSTGRESQL_CONNECTIONSTRING\"])\n",
    );

    fn bicep(client_type: &str) -> String {
        format!(
            "resource web 'Microsoft.Web/sites@2022-09-01' existing = {{\n  name: 'app-reports'\n}}\n\nresource pg 'Microsoft.ServiceLinker/linkers@2022-11-01-preview' = {{\n  name: 'reports'\n  scope: web\n  properties: {{\n    clientType: '{client_type}'\n    authInfo: {{ authType: 'secret' }}\n    targetService: {{ type: 'AzureResource', id: '/subscriptions/x/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/psql-reports/databases/reports' }}\n  }}\n}}\n"
        )
    }

    #[test]
    fn nodejs_declared_for_python_code_is_reported_at_the_declaration() {
        let bicep = bicep("nodejs");
        let case = Case::new(&[REPORT_PY, ("infra/main.bicep", &bicep)]);
        assert_eq!(case.found(check), ["infra/main.bicep:9 nodejs"]);
        let fix = &case.check(check)[0].fixes[0];
        assert_eq!(fix.edits[0].new_text, "python");
    }

    #[test]
    fn python_declared_for_python_code_is_fine() {
        let bicep = bicep("python");
        let case = Case::new(&[REPORT_PY, ("infra/main.bicep", &bicep)]);
        assert_eq!(case.found(check), Vec::<String>::new());
    }

    /// Declaring the client type the code implies is offered only when every read agrees with
    /// it: here two Node files read the connection, one as nodejs (`_USER`), one as client
    /// type none (`_USERNAME`), so declaring nodejs would leave reports.js wrong. No edit can
    /// choose between them; the fix is a note naming the read nodejs does not get.
    #[test]
    fn reads_that_disagree_get_a_note_naming_them_not_a_declaration() {
        let package = (
            "package.json",
            r#"{"name": "api", "dependencies": {"pg": "^8.12.0"}}"#,
        );
        let export = (
            "src/export.js",
            "const { Pool } = require(\"pg\");\nmodule.exports = new Pool({\n  host: process.env.AZURE_POSTGRESQL_HOST,\n  user: process.env.AZURE_POSTGRESQL_USER,\n  password: process.env.AZURE_POSTGRESQL_PASSWORD,\n});\n",
        );
        let reports = (
            "src/reports.js",
            "const { Client } = require(\"pg\");\nmodule.exports = new Client({\n  host: process.env.AZURE_POSTGRESQL_HOST,\n  user: process.env.AZURE_POSTGRESQL_USERNAME,\n  password: process.env.AZURE_POSTGRESQL_PASSWORD,\n});\n",
        );
        let bicep = bicep("none");
        let case = Case::new(&[package, export, ("infra/main.bicep", &bicep)]);
        let found = case.check(check);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].fixes[0].title, "Declare client type nodejs");
        let case = Case::new(&[package, export, reports, ("infra/main.bicep", &bicep)]);
        let found = case.check(check);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].fixes.len(), 1, "{:?}", found[0].fixes);
        let fix = &found[0].fixes[0];
        assert_eq!(fix.title, "Note the reads that disagree on the client type");
        let note = &fix.edits[0].new_text;
        assert!(
            note.contains("src/reports.js:4 reads AZURE_POSTGRESQL_USERNAME"),
            "{note}"
        );
        assert!(!note.contains("src/export.js"), "{note}");
        assert!(note.starts_with("    // TODO(neon-lsp):"), "{note}");
    }

    /// A declaration is judged by the code it serves: without any read of the connection
    /// there is nothing to contradict.
    #[test]
    fn a_declaration_with_no_code_reading_it_is_not_judged() {
        let bicep = bicep("nodejs");
        let case = Case::new(&[
            ("report.py", "print('no database here')\n"),
            ("infra/main.bicep", &bicep),
        ]);
        assert_eq!(case.found(check), Vec::<String>::new());
    }
}
