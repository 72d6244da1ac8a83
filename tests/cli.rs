//! End-to-end tests of the `neon-lsp` binary: exit codes, explain, --fix, configuration errors,
//! and that no password reaches any output format.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

fn neon_lsp(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_neon-lsp"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run neon-lsp")
}

fn write(root: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let path = root.join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn explain_lists_and_documents_every_rule() {
    let dir = tempfile::tempdir().unwrap();
    let output = neon_lsp(&["explain"], dir.path());
    assert!(output.status.success());
    let list = stdout(&output);
    for rule in neon_lsp::rules::Rule::ALL {
        assert!(
            list.contains(rule.id()),
            "{} missing from `explain`",
            rule.id()
        );
    }
    let output = neon_lsp(&["explain", "string-ssl-flag"], dir.path());
    assert!(output.status.success());
    let text = stdout(&output);
    assert!(
        text.contains("### Example") && text.contains("### Use instead"),
        "{text}"
    );

    let output = neon_lsp(&["explain", "tls-disable"], dir.path());
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("Did you mean tls-disabled?"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn docs_rules_md_is_generated_from_the_registry() {
    let generated = neon_lsp::rules::rules_markdown();
    let on_disk = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules.md"))
        .unwrap_or_default();
    if on_disk != generated {
        // Regenerate so that the diff is reviewable, and fail.
        fs::create_dir_all(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs")).unwrap();
        fs::write(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules.md"),
            &generated,
        )
        .unwrap();
        panic!("docs/rules.md was out of date and has been regenerated; review and commit it");
    }
    for rule in neon_lsp::rules::Rule::ALL {
        let doc = rule.documentation();
        for section in [
            "### What it does",
            "### Why is this bad?",
            "### Example",
            "### Use instead",
        ] {
            assert!(doc.contains(section), "{}: missing {section}", rule.id());
        }
    }
}

#[test]
fn missing_path_and_bad_config_exit_2_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let output = neon_lsp(&["check", "does-not-exist"], dir.path());
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("does-not-exist"),
        "{}",
        stderr(&output)
    );

    write(
        dir.path(),
        &[(
            "neon-lsp.toml",
            "[[connection]]\ntarget = \"neon\"\nclient-type = \"nodej\"\n",
        )],
    );
    let output = neon_lsp(&["check", "."], dir.path());
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.contains("neon-lsp.toml:3:15"), "{err}");
    assert!(err.contains("did you mean \"nodejs\""), "{err}");

    let output = neon_lsp(&["check", ".", "--client-type", "cobol"], dir.path());
    assert_eq!(output.status.code(), Some(2));
    let output = neon_lsp(&["check", ".", "--format", "xml"], dir.path());
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn exit_codes_follow_error_severity() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            (
                "package.json",
                "{\"name\":\"app\",\"dependencies\":{\"pg\":\"^8\"}}",
            ),
            ("db.js", "const host = process.env.NEON_POSTGRESQL_HOSTT;\n"),
        ],
    );
    let output = neon_lsp(&["check", "."], dir.path());
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    assert!(
        stdout(&output).contains("unknown-variable"),
        "{}",
        stdout(&output)
    );

    write(
        dir.path(),
        &[(
            "db.js",
            "// nothing to see\nconst port = process.env.PORT;\n",
        )],
    );
    let output = neon_lsp(&["check", "."], dir.path());
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
}

#[test]
fn fix_applies_safe_fixes_and_reports_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            ("requirements.txt", "psycopg2-binary\n"),
            (
                "app.py",
                "import os\nimport psycopg2\nconn = psycopg2.connect(os.environ[\"NEON_POSTGRESQL_CONNECTION_STRING\"])\n",
            ),
            (
                ".env",
                "NEON_POSTGRESQL_CONNECTIONSTRING=postgresql://app:pw@ep-still-mud-a12aa123.eastus2.azure.neon.tech:5432/neondb?sslmode=require\n",
            ),
        ],
    );
    let before = neon_lsp(&["check", ".", "--format", "json"], dir.path());
    let before = stdout(&before);
    assert!(
        before.contains("unknown-variable") && before.contains("connection-string-format"),
        "{before}"
    );
    let output = neon_lsp(&["check", ".", "--fix"], dir.path());
    let app = fs::read_to_string(dir.path().join("app.py")).unwrap();
    assert!(
        app.contains("os.environ[\"NEON_POSTGRESQL_CONNECTIONSTRING\"]"),
        "{app}"
    );
    let env = fs::read_to_string(dir.path().join(".env")).unwrap();
    assert!(
        env.contains("sslmode=require")
            && env.contains("host=ep-still-mud-a12aa123.eastus2.azure.neon.tech"),
        "{env}"
    );
    assert!(!env.contains("postgresql://"), "{env}");
    assert!(
        stderr(&output).contains("fixed 2 problems"),
        "{}",
        stderr(&output)
    );
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
}

#[test]
fn no_password_reaches_any_output_format() {
    const PASSWORD: &str = "S3cr3t-Pa55-Zq9";
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            ("requirements.txt", "flask\npsycopg2-binary\n"),
            (
                "app.py",
                &format!(
                    "import os\nimport psycopg2\ndsn = os.environ[\"NEON_POSTGRESQL_CONNECTIONSTRING\"]\nprint(dsn)\n\
                     conn = psycopg2.connect(\"postgresql://app:{PASSWORD}@db.example.com/neondb\")\nparts = dsn.split(\" \")\n"
                ),
            ),
            (
                ".env",
                &format!(
                    "NEON_POSTGRESQL_CONNECTIONSTRING=postgresql://app:{PASSWORD}@db.example.com/neondb?sslmode=disable\n\
                     NEON_POSTGRESQL_CONNECTIONSTRING=\"host=x port=54x2 password={PASSWORD}\"\nNEON_POSTGRESQL_PASSWORD={PASSWORD}\n\
                     BROKEN=\"{PASSWORD}\n"
                ),
            ),
        ],
    );
    Command::new("git")
        .args(["init", "-q"])
        .current_dir(dir.path())
        .status()
        .unwrap();
    Command::new("git")
        .args(["add", ".env"])
        .current_dir(dir.path())
        .status()
        .unwrap();
    for format in ["text", "json", "sarif", "github"] {
        let output = neon_lsp(&["check", ".", "--format", format], dir.path());
        let all = format!("{}{}", stdout(&output), stderr(&output));
        assert!(
            !all.contains(PASSWORD),
            "{format} output leaks the password:\n{all}"
        );
        assert!(all.contains("plaintext-secret"), "{format}: {all}");
        assert!(
            all.contains("hardcoded-connection-string"),
            "{format}: {all}"
        );
        assert!(all.contains("secret-logged"), "{format}: {all}");
    }
}
