//! Proof that the fixes are right (issue 14): every fix of every diagnostic of every fixture
//! (tests/fixtures/rules/**, tests/fixtures/projects/**, tests/fixtures/corpus/**, examples/**)
//! is applied alone to a fresh copy of its project, and then
//! - re-analysing shows one fewer finding of that rule, path and message, and no error or
//!   warning that was not there before;
//! - every file the fix touched still parses with its language's tools (`support::parse_check`:
//!   Python, Node.js, TypeScript's parser, Go, javac stopped after parsing, PHP, Ruby, shell;
//!   C# is reported as not checked).
//!
//! Each fix is applied by `cli::fix::run`, the applier of `check --fix --unsafe-fixes`. A fixture
//! with an `azure.json` (what Azure has deployed, tests/support/azure_fixture.rs) is analysed,
//! before and after, with those deployed apps, as `check --azure` does: the fixes of
//! `missing-in-deployment`, `key-vault-mismatch` and `deployment-drift` are proven too.
//!
//! Generic over rules: a fix any rule adds later is exercised the same way. It prints the fix
//! coverage (error/warning findings with a fix / all error/warning findings) and the
//! application success rate (fixes that pass / fixes applied), the figures of issue 14.
//!
//! And for the connection rewrites in Python, Node.js, PHP, Ruby and shell: a program written the
//! wrong way for its client type, fixed by its findings' fixes, connects over TLS to the
//! throwaway PostgreSQL of `support::pg` with the variables Service Connector would set.

mod support;

use neon_lsp::analysis::{Options, analyse};
use neon_lsp::catalogue::ClientType;
use neon_lsp::cli::fix::FixMode;
use neon_lsp::cli::report::Report;
use neon_lsp::deployed::{
    ConfigurationName, DeployedApp, DeployedLinker, ResourceId, is_key_vault_reference,
};
use neon_lsp::diagnostic::{Diagnostic, Fix, Severity};
use neon_lsp::disk::walk::{WalkOptions, collect};
use neon_lsp::rules::Rule;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use support::pg::PgCluster;

fn repository_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every fixture project: the directories holding an `expected.txt` (or the examples).
fn fixture_roots() -> Vec<PathBuf> {
    let root = repository_root();
    let mut roots = Vec::new();
    let mut pending: Vec<PathBuf> = [
        "tests/fixtures/rules",
        "tests/fixtures/projects",
        "tests/fixtures/corpus",
        "examples",
    ]
    .iter()
    .map(|dir| root.join(dir))
    .collect();
    while let Some(dir) = pending.pop() {
        if dir.join("expected.txt").is_file() || dir.parent() == Some(&root.join("examples")) {
            roots.push(dir);
            continue;
        }
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            if entry.path().is_dir() {
                pending.push(entry.path());
            }
        }
    }
    roots.sort();
    roots
}

const KNOWN_GAPS: &str = "tests/fixtures/fix_proof_known_gaps.txt";

/// `fixture: path rule` lines of fixes known not to pass yet.
fn known_gaps() -> Vec<String> {
    std::fs::read_to_string(repository_root().join(KNOWN_GAPS))
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let path = entry.path();
        let target = to.join(entry.file_name());
        if path.is_dir() {
            copy_tree(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

fn analyse_dir(dir: &Path) -> Vec<Diagnostic> {
    analyse_deployed(dir, &[])
}

/// The analysis `check --azure` makes when Azure has deployed `deployed`.
fn analyse_deployed(dir: &Path, deployed: &[DeployedApp]) -> Vec<Diagnostic> {
    let options = WalkOptions {
        git: false,
        ..WalkOptions::default()
    };
    let collected = collect(&[dir.to_path_buf()], &options).unwrap();
    let options = Options {
        deployed: deployed.to_vec(),
        ..Options::default()
    };
    analyse(&collected.workspace, &options).unwrap_or_default()
}

/// What a fixture's `azure.json` says Azure has deployed, as `check --azure` reads it from ARM
/// (tests/support/azure_fixture.rs serves the same file to the binary): linkers with their raw
/// client type, auth type, target, customized keys and Key Vault, the names their
/// configurations set, the app settings' names and which of them are Key Vault references.
/// The app is named by neon-lsp.toml's `[azure] resource-id`, so it covers the whole project.
fn deployed_apps(fixture: &Path) -> Vec<DeployedApp> {
    let Ok(text) = std::fs::read_to_string(fixture.join("azure.json")) else {
        return Vec::new();
    };
    let json: serde_json::Value = serde_json::from_str(&text).expect("azure.json is JSON");
    let text = |value: &serde_json::Value| value.as_str().map(str::to_owned);
    let mut apps = Vec::new();
    for app in json["apps"].as_array().expect("azure.json has apps") {
        let resource = ResourceId::parse(app["id"].as_str().expect("an app id")).unwrap();
        let mut linkers = Vec::new();
        for (name, linker) in app["linkers"].as_object().into_iter().flatten() {
            let properties = &linker["properties"];
            let customized = properties["configurationInfo"]["customizedKeys"]
                .as_object()
                .into_iter()
                .flatten()
                .filter_map(|(from, to)| Some((from.clone(), to.as_str()?.to_owned())))
                .collect();
            let mut built = DeployedLinker::from_raw(
                name.clone(),
                text(&properties["clientType"]),
                text(&properties["authInfo"]["authType"]),
                text(&properties["targetService"]["id"]),
                customized,
                text(&properties["secretStore"]["keyVaultId"]),
            );
            built.configurations = Some(
                linker["configurations"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|c| ConfigurationName {
                        name: c["name"].as_str().unwrap_or_default().to_owned(),
                        key_vault_reference: c["configType"] == "KeyVaultSecret",
                    })
                    .collect(),
            );
            linkers.push(built);
        }
        let settings: Vec<(String, String)> = app["appSettings"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(name, value)| (name.clone(), value.as_str().unwrap_or_default().to_owned()))
            .collect();
        apps.push(DeployedApp {
            resource,
            scope: String::new(),
            named_by: "neon-lsp.toml".to_owned(),
            linkers,
            key_vault_settings: settings
                .iter()
                .filter(|(_, value)| is_key_vault_reference(value))
                .map(|(name, _)| name.clone())
                .collect(),
            setting_names: Some(settings.into_iter().map(|(name, _)| name).collect()),
            notes: Vec::new(),
        });
    }
    apps
}

fn serious(diagnostic: &Diagnostic) -> bool {
    diagnostic.severity >= Severity::Warning
}

/// (rule, path, message) → count, for errors and warnings.
/// A message without the line numbers it cites ("from infra/main.tf:33", "the constant
/// DB_PASSWORD on line 6"): a fix that inserts a
/// line above a declaration moves them, and that is not a new finding.
fn without_line_numbers(message: &str) -> String {
    static LINE: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(r"(\.[A-Za-z]+:|on line )\d+").unwrap());
    LINE.replace_all(message, "${1}N").into_owned()
}

fn tally(diagnostics: &[Diagnostic]) -> BTreeMap<(String, String, String), usize> {
    let mut out = BTreeMap::new();
    for diagnostic in diagnostics.iter().filter(|d| serious(d)) {
        *out.entry((
            diagnostic.rule.id().to_owned(),
            diagnostic.path.clone(),
            without_line_numbers(&diagnostic.message),
        ))
        .or_insert(0) += 1;
    }
    out
}

/// Applies `fix` to the files under `root` exactly as `check --fix --unsafe-fixes` does: through
/// `cli::fix::run` (files read back and compared with the text checked, absent files created by
/// insertions at their start, all-or-nothing atomic writes), so the proof exercises the applier
/// users run. The files it wrote, or why it applied nothing.
fn apply(root: &Path, fix: &Fix) -> Result<Vec<PathBuf>, String> {
    let mut sources = HashMap::new();
    for edit in &fix.edits {
        if let Ok(text) = std::fs::read_to_string(root.join(&edit.path)) {
            sources.insert(edit.path.clone(), text);
        }
    }
    let first = fix.edits.first().ok_or("a fix without edits")?;
    let mut diagnostic = Diagnostic::new(
        Rule::UnknownVariable,
        first.path.clone(),
        first.range,
        "the fix under test",
    )
    .with_fix(fix.clone());
    diagnostic.severity = Severity::Error;
    let report = Report {
        diagnostics: vec![diagnostic],
        sources,
        ..Report::default()
    };
    let mode = FixMode {
        unsafe_fixes: true,
        diff_only: false,
    };
    let outcome = neon_lsp::cli::fix::run(root, &report, mode);
    if !outcome.skipped.is_empty() || outcome.applied != 1 {
        return Err(format!("not applied: {:?}", outcome.skipped));
    }
    Ok(outcome
        .files_written
        .iter()
        .map(|path| root.join(path))
        .collect())
}

#[test]
fn every_fix_removes_its_finding_adds_none_and_parses() {
    let scratch = tempfile::tempdir().unwrap();
    let mut findings = 0usize;
    let mut with_fix = 0usize;
    let mut applied = 0usize;
    let mut passed = 0usize;
    let mut notes = 0usize;
    let mut parsed_files = 0usize;
    let mut azure_fixtures = 0usize;
    let mut failures: Vec<(String, String)> = Vec::new();
    let mut without_fix: BTreeMap<String, usize> = BTreeMap::new();
    for (index, fixture) in fixture_roots().iter().enumerate() {
        let name = fixture
            .strip_prefix(repository_root())
            .unwrap_or(fixture)
            .display()
            .to_string();
        let base = scratch.path().join(format!("{index}-base"));
        copy_tree(fixture, &base);
        let deployed = deployed_apps(fixture);
        azure_fixtures += usize::from(!deployed.is_empty());
        let before = analyse_deployed(&base, &deployed);
        let before_tally = tally(&before);
        for diagnostic in before.iter().filter(|d| serious(d)) {
            findings += 1;
            if diagnostic.fixes.is_empty() {
                *without_fix
                    .entry(diagnostic.rule.id().to_owned())
                    .or_default() += 1;
                continue;
            }
            with_fix += 1;
            for (fix_index, fix) in diagnostic.fixes.iter().enumerate() {
                applied += 1;
                let copy = scratch.path().join(format!("{index}-fix"));
                let _ = std::fs::remove_dir_all(&copy);
                copy_tree(fixture, &copy);
                let what = format!(
                    "{name}: {} {} fix {fix_index} \"{}\"",
                    diagnostic.path,
                    diagnostic.rule.id(),
                    fix.title
                );
                let touched = match apply(&copy, fix) {
                    Ok(touched) => touched,
                    Err(error) => {
                        failures.push((
                            format!("{name}: {} {}", diagnostic.path, diagnostic.rule.id()),
                            format!("{what}: cannot apply: {error}"),
                        ));
                        continue;
                    }
                };
                let mut problems = Vec::new();
                for file in &touched {
                    match support::parse_check::parses(file) {
                        Ok(true) => parsed_files += 1,
                        Ok(false) => {}
                        Err(error) => problems.push(format!("no longer parses: {error}")),
                    }
                }
                let after_tally = tally(&analyse_deployed(&copy, &deployed));
                let key = (
                    diagnostic.rule.id().to_owned(),
                    diagnostic.path.clone(),
                    without_line_numbers(&diagnostic.message),
                );
                // A note (a `TODO(neon-lsp)` comment where no edit can settle the finding) leaves
                // the finding by design; it must still parse and add nothing.
                let is_note = fix
                    .edits
                    .iter()
                    .all(|e| e.new_text.contains("TODO(neon-lsp):"));
                if is_note {
                    notes += 1;
                } else if after_tally.get(&key).copied().unwrap_or(0) >= before_tally[&key] {
                    problems.push("the finding is still there".to_owned());
                }
                for (key, count) in &after_tally {
                    if *count > before_tally.get(key).copied().unwrap_or(0) {
                        problems.push(format!("new {} in {}: {}", key.0, key.1, key.2));
                    }
                }
                if problems.is_empty() {
                    passed += 1;
                } else {
                    failures.push((
                        format!("{name}: {} {}", diagnostic.path, diagnostic.rule.id()),
                        format!("{what}: {}", problems.join("; ")),
                    ));
                }
            }
        }
    }
    let percent = |part: usize, whole: usize| {
        if whole == 0 {
            100.0
        } else {
            100.0 * part as f64 / whole as f64
        }
    };
    eprintln!(
        "fix coverage: {with_fix}/{findings} error+warning findings carry a fix ({:.1}%)",
        percent(with_fix, findings)
    );
    eprintln!("findings without a fix, by rule: {without_fix:?}");
    eprintln!(
        "{azure_fixtures} fixtures analysed with their azure.json's deployed apps, as `check --azure` does"
    );
    eprintln!(
        "fix application success: {passed}/{applied} ({:.1}%), of which {notes} are notes (a TODO comment where no edit settles the finding); {parsed_files} fixed files checked by their language's parser",
        percent(passed, applied)
    );
    let known = known_gaps();
    for (key, failure) in &failures {
        let tag = if known.contains(key) {
            "known gap"
        } else {
            "FAILED"
        };
        eprintln!("{tag}: {failure}");
    }
    for gap in &known {
        if !failures.iter().any(|(key, _)| key == gap) {
            eprintln!("fixed, delete from {KNOWN_GAPS}: {gap}");
        }
    }
    assert!(applied > 0, "no fix was exercised");
    let new: Vec<&String> = failures
        .iter()
        .filter(|(key, _)| !known.contains(key))
        .map(|(_, failure)| failure)
        .collect();
    assert!(
        new.is_empty(),
        "{} of {applied} fixes are not right and not in {KNOWN_GAPS} (listed above)",
        new.len()
    );
}

/// A program written the wrong way for its client type, as users write it.
struct WrongProgram {
    client_type: ClientType,
    /// (file name, text) of the project: the manifest and the program.
    files: &'static [(&'static str, &'static str)],
    program: &'static str,
    runner: &'static str,
    /// What must run for this case, and how to get it.
    needs: fn() -> bool,
    install: &'static str,
}

fn wrong_programs() -> Vec<WrongProgram> {
    vec![
        WrongProgram {
            client_type: ClientType::Python,
            files: &[
                ("requirements.txt", "psycopg2-binary\n"),
                (
                    "app.py",
                    "import os\n\nimport psycopg2\n\nconn = psycopg2.connect(\n    host=os.environ[\"NEON_POSTGRESQL_HOST\"],\n    user=os.environ[\"NEON_POSTGRESQL_USER\"],\n    password=os.environ[\"NEON_POSTGRESQL_PASSWORD\"],\n    dbname=os.environ[\"NEON_POSTGRESQL_DATABASE\"],\n    connect_timeout=10,\n)\ncursor = conn.cursor()\ncursor.execute(\"select ssl from pg_stat_ssl where pid = pg_backend_pid()\")\nprint(f\"connected (TLS: {str(cursor.fetchone()[0]).lower()})\")\n",
                ),
            ],
            program: "app.py",
            runner: "python3",
            needs: || support::service_connector::works("python3", &["-c", "import psycopg2"]),
            install: "python3 with psycopg2 (pip install psycopg2-binary)",
        },
        // SQLAlchemy's URL built from the parts Node.js gets (fixture:
        // tests/fixtures/rules/wrong-client-type-variable/python-sqlalchemy-url-components).
        WrongProgram {
            client_type: ClientType::Python,
            files: &[
                ("requirements.txt", "SQLAlchemy\npsycopg2-binary\n"),
                (
                    "db.py",
                    "import os\n\nfrom sqlalchemy import create_engine, text\n\nengine = create_engine(\n    f\"postgresql+psycopg2://{os.environ['NEON_POSTGRESQL_USER']}:{os.environ['NEON_POSTGRESQL_PASSWORD']}\"\n    f\"@{os.environ['NEON_POSTGRESQL_HOST']}/{os.environ['NEON_POSTGRESQL_DATABASE']}\",\n    pool_pre_ping=True,\n)\nwith engine.connect() as connection:\n    ssl = connection.execute(text(\"select ssl from pg_stat_ssl where pid = pg_backend_pid()\")).scalar()\nprint(f\"connected (TLS: {str(ssl).lower()})\")\n",
                ),
            ],
            program: "db.py",
            runner: "python3",
            needs: || {
                support::service_connector::works("python3", &["-c", "import sqlalchemy, psycopg2"])
            },
            install: "python3 with SQLAlchemy and psycopg2 (pip install SQLAlchemy psycopg2-binary)",
        },
        // Django settings handing the connection string to dj-database-url (fixture:
        // tests/fixtures/rules/wrong-client-type-variable/django-dj-database-url); run as a
        // script, the settings connect.
        WrongProgram {
            client_type: ClientType::Django,
            files: &[
                (
                    "requirements.txt",
                    "Django\ndj-database-url\npsycopg2-binary\n",
                ),
                (
                    "settings.py",
                    "import os\n\nimport dj_database_url\n\nDATABASES = {\n    \"default\": dj_database_url.parse(\n        os.environ[\"NEON_POSTGRESQL_CONNECTIONSTRING\"],\n        conn_max_age=0,\n        ssl_require=True,\n    )\n}\n\nif __name__ == \"__main__\":\n    import django\n    from django.conf import settings\n\n    settings.configure(DATABASES=DATABASES, INSTALLED_APPS=[], USE_TZ=True)\n    django.setup()\n    from django.db import connection\n\n    with connection.cursor() as cursor:\n        cursor.execute(\"select ssl from pg_stat_ssl where pid = pg_backend_pid()\")\n        print(f\"connected (TLS: {str(cursor.fetchone()[0]).lower()})\")\n",
                ),
            ],
            program: "settings.py",
            runner: "python3",
            needs: || {
                support::service_connector::works(
                    "python3",
                    &["-c", "import django, dj_database_url, psycopg2"],
                )
            },
            install: "python3 with Django, dj-database-url and psycopg2 (pip install Django dj-database-url psycopg2-binary)",
        },
        // Django settings splitting the connection string into DATABASES (fixture:
        // tests/fixtures/rules/wrong-client-type-variable/django-databases-from-split).
        WrongProgram {
            client_type: ClientType::Django,
            files: &[
                ("requirements.txt", "Django\npsycopg2-binary\n"),
                (
                    "settings.py",
                    "import os\n\nconn_str = os.environ[\"NEON_POSTGRESQL_CONNECTIONSTRING\"]\nconn_str_params = {pair.split(\"=\")[0]: pair.split(\"=\")[1] for pair in conn_str.split(\" \")}\n\nDATABASES = {\n    \"default\": {\n        \"ENGINE\": \"django.db.backends.postgresql\",\n        \"NAME\": conn_str_params[\"dbname\"],\n        \"HOST\": conn_str_params[\"host\"],\n        \"USER\": conn_str_params[\"user\"],\n        \"PASSWORD\": conn_str_params[\"password\"],\n    }\n}\n\nif __name__ == \"__main__\":\n    import django\n    from django.conf import settings\n\n    settings.configure(DATABASES=DATABASES, INSTALLED_APPS=[], USE_TZ=True)\n    django.setup()\n    from django.db import connection\n\n    with connection.cursor() as cursor:\n        cursor.execute(\"select ssl from pg_stat_ssl where pid = pg_backend_pid()\")\n        print(f\"connected (TLS: {str(cursor.fetchone()[0]).lower()})\")\n",
                ),
            ],
            program: "settings.py",
            runner: "python3",
            needs: || {
                support::service_connector::works("python3", &["-c", "import django, psycopg2"])
            },
            install: "python3 with Django and psycopg2 (pip install Django psycopg2-binary)",
        },
        WrongProgram {
            client_type: ClientType::NodeJs,
            files: &[
                ("package.json", "{\"dependencies\": {\"pg\": \"^8\"}}\n"),
                (
                    "db.js",
                    "const { Client } = require(\"pg\");\n\nasync function main() {\n  const client = new Client({\n    connectionString: process.env.NEON_POSTGRESQL_CONNECTIONSTRING,\n  });\n  await client.connect();\n  const result = await client.query(\"select ssl from pg_stat_ssl where pid = pg_backend_pid()\");\n  console.log(`connected (TLS: ${result.rows[0].ssl})`);\n  await client.end();\n}\n\nmain().catch((error) => {\n  console.error(error.message);\n  process.exit(1);\n});\n",
                ),
            ],
            program: "db.js",
            runner: "node",
            needs: || {
                support::service_connector::node_modules()
                    .join("pg")
                    .is_dir()
                    && support::service_connector::works("node", &["--version"])
            },
            install: "node with tests/toolchains/node installed (cd tests/toolchains/node && npm ci)",
        },
        WrongProgram {
            client_type: ClientType::Php,
            files: &[
                ("composer.json", "{\"require\": {\"ext-pgsql\": \"*\"}}\n"),
                (
                    "db.php",
                    "<?php\n$conn = pg_connect(\"host=\" . getenv('NEON_POSTGRESQL_HOST') . \" dbname=\" . getenv('NEON_POSTGRESQL_DATABASE') . \" user=\" . getenv('NEON_POSTGRESQL_USER') . \" password=\" . getenv('NEON_POSTGRESQL_PASSWORD') . \" sslmode=require\");\nif ($conn === false) {\n    fwrite(STDERR, \"connection failed\\n\");\n    exit(1);\n}\n$row = pg_fetch_row(pg_query($conn, 'select ssl from pg_stat_ssl where pid = pg_backend_pid()'));\necho 'connected (TLS: ' . ($row[0] === 't' ? 'true' : 'false') . \")\\n\";\n",
                ),
            ],
            program: "db.php",
            runner: "php",
            needs: || {
                support::service_connector::works(
                    "php",
                    &["-r", "exit(function_exists('pg_connect') ? 0 : 1);"],
                )
            },
            install: "php with pgsql (apt install php-cli php-pgsql)",
        },
        WrongProgram {
            client_type: ClientType::Ruby,
            files: &[
                ("Gemfile", "source \"https://rubygems.org\"\ngem \"pg\"\n"),
                (
                    "app.rb",
                    "require \"pg\"\n\nconn = PG.connect(\n  host: ENV[\"NEON_POSTGRESQL_HOST\"],\n  dbname: ENV[\"NEON_POSTGRESQL_DATABASE\"],\n  user: ENV[\"NEON_POSTGRESQL_USER\"],\n  password: ENV[\"NEON_POSTGRESQL_PASSWORD\"],\n  sslmode: \"require\"\n)\nssl = conn.exec(\"select ssl from pg_stat_ssl where pid = pg_backend_pid()\").getvalue(0, 0)\nputs \"connected (TLS: #{ssl == \"t\"})\"\n",
                ),
            ],
            program: "app.rb",
            runner: "ruby",
            needs: || support::service_connector::works("ruby", &["-e", "require 'pg'"]),
            install: "ruby with pg (apt install ruby ruby-pg)",
        },
        WrongProgram {
            client_type: ClientType::None,
            files: &[
                ("neon-lsp.toml", "[[connection]]\nclient-type = \"none\"\n"),
                (
                    "check.sh",
                    "#!/bin/sh\nset -e\nssl=$(psql \"$NEON_POSTGRESQL_CONNECTIONSTRING\" -tAc 'select ssl from pg_stat_ssl where pid = pg_backend_pid()')\n[ \"$ssl\" = t ] && echo 'connected (TLS: true)'\n",
                ),
            ],
            program: "check.sh",
            runner: "sh",
            needs: || support::service_connector::works("psql", &["--version"]),
            install: "psql (apt install postgresql-client)",
        },
    ]
}

/// Applies the first fix of every wrong-client-type-variable finding in `program`, skipping
/// edits identical to or overlapping one already taken (several reads in one construct share
/// one rewrite).
fn fix_wrong_reads(dir: &Path, program: &str) -> Result<usize, String> {
    let diagnostics = analyse_dir(dir);
    let mut taken: Vec<neon_lsp::diagnostic::FileEdit> = Vec::new();
    for diagnostic in diagnostics
        .iter()
        .filter(|d| d.rule.id() == "wrong-client-type-variable" && d.path == program)
    {
        let Some(fix) = diagnostic.fixes.first() else {
            return Err(format!("no fix for: {}", diagnostic.message));
        };
        let clashes = fix.edits.iter().any(|edit| {
            taken.iter().any(|t| {
                t.path == edit.path
                    && (t == edit
                        || (t.range.start < edit.range.end && edit.range.start < t.range.end))
            })
        });
        if !clashes {
            taken.extend(fix.edits.iter().cloned());
        }
    }
    if taken.is_empty() {
        return Err("no wrong-client-type-variable finding".to_owned());
    }
    let count = taken.len();
    let fix = Fix {
        title: "all".to_owned(),
        edits: taken,
        applicability: neon_lsp::diagnostic::Applicability::Unsafe,
    };
    apply(dir, &fix)?;
    Ok(count)
}

/// The connection rewrites in Python, Node.js, PHP, Ruby and shell: the program, written the
/// wrong way for its client type, fails with the variables Service Connector sets; fixed, it
/// connects over TLS to the throwaway PostgreSQL with exactly those variables.
#[test]
fn rewritten_connection_code_connects_with_the_service_connector_variables() {
    let cases: Vec<WrongProgram> = wrong_programs()
        .into_iter()
        .filter(|case| {
            let ok = (case.needs)();
            if !ok {
                support::prerequisite_missing(case.install);
            }
            ok
        })
        .collect();
    if cases.is_empty() {
        return;
    }
    let Some(pg) = PgCluster::start() else { return };
    pg.create_role("app", support::service_connector::PASSWORD, true);
    pg.create_database("appdb", "app");
    let mut proven = Vec::new();
    for case in cases {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in case.files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        let run = || {
            let mut command = support::service_connector::clean_command(case.runner);
            command
                .arg(case.program)
                .current_dir(dir.path())
                .envs(support::service_connector::neon_secret_env(
                    case.client_type,
                    "localhost",
                    pg.port(),
                ))
                // Django gets no port (Service Connector's servers listen on 5432): libpq's
                // PGPORT points it at the test cluster, as in tests/snippet_proof.rs.
                .env("PGPORT", pg.port().to_string())
                .env("PGSSLROOTCERT", pg.ca_cert_path())
                .env("NODE_EXTRA_CA_CERTS", pg.ca_cert_path())
                .env("NODE_PATH", support::service_connector::node_modules());
            let output = command.output().unwrap();
            (
                output.status.success(),
                format!(
                    "{}{}",
                    String::from_utf8_lossy(&output.stdout),
                    String::from_utf8_lossy(&output.stderr)
                ),
            )
        };
        let (ok, output) = run();
        assert!(
            !ok,
            "{}: the wrong program connected before the fix: {output}",
            case.client_type
        );
        let edits = fix_wrong_reads(dir.path(), case.program)
            .unwrap_or_else(|error| panic!("{}: {error}", case.client_type));
        let fixed = std::fs::read_to_string(dir.path().join(case.program)).unwrap();
        let (ok, output) = run();
        assert!(
            ok && output.contains("connected (TLS: true)"),
            "{}: the fixed program did not connect over TLS: {output}\n--- fixed program ---\n{fixed}",
            case.client_type
        );
        assert!(
            !output.contains(support::service_connector::PASSWORD),
            "{}: printed the password",
            case.client_type
        );
        let after = analyse_dir(dir.path());
        assert!(
            !after.iter().any(|d| serious(d) && d.path == case.program),
            "{}: findings left after the fix: {:?}",
            case.client_type,
            after.iter().map(|d| &d.message).collect::<Vec<_>>()
        );
        proven.push(format!("{} ({edits} edits)", case.client_type));
    }
    eprintln!(
        "rewrites proven against PostgreSQL over TLS: {}",
        proven.join(", ")
    );
}
