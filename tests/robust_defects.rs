//! Small defects found by trying neon-lsp as an attacker and a careless user would (issue 16,
//! item 5): each used to panic, pass silently or say something wrong.

use serde_json::Value;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Output};

fn neon_lsp(args: &[&str], cwd: &Path) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_neon-lsp"));
    command.args(args).current_dir(cwd);
    for (key, _) in std::env::vars() {
        if key.starts_with("NEON_") || key.starts_with("AZURE_") || key.starts_with("PG") {
            command.env_remove(key);
        }
    }
    command.output().expect("run neon-lsp")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn an_absurd_timeout_is_a_clear_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".env"),
        "NEON_POSTGRESQL_CONNECTIONSTRING=\"postgresql://app:pw@127.0.0.1:1/appdb\"\n",
    )
    .unwrap();
    for timeout in ["1e19", "1e400", "-1", "0", "NaN"] {
        let argument = format!("--timeout={timeout}");
        let output = neon_lsp(&["test-connection", ".", &argument], dir.path());
        assert_eq!(
            output.status.code(),
            Some(2),
            "{timeout}: {}",
            text(&output)
        );
        assert!(
            text(&output).contains("--timeout must be a positive number of seconds"),
            "{timeout}: {}",
            text(&output)
        );
    }
}

#[test]
fn a_config_with_a_nul_byte_is_a_configuration_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("neon-lsp.toml"), b"target = \"neon\"\n\0\n").unwrap();
    std::fs::write(dir.path().join(".env"), "PGHOST=localhost\n").unwrap();
    let output = neon_lsp(&["check"], dir.path());
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(text(&output).contains("neon-lsp.toml"), "{}", text(&output));
    assert!(text(&output).contains("NUL byte"), "{}", text(&output));
}

/// A folder nobody but root may list; the check runs as `nobody` when the tests run as root
/// (root reads any folder).
#[test]
fn an_unreadable_root_folder_exits_2_naming_it() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let locked = dir.path().join("locked");
    std::fs::create_dir(&locked).unwrap();
    std::fs::write(locked.join(".env"), "PGHOST=localhost\n").unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    let binary = env!("CARGO_BIN_EXE_neon-lsp");
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    let mut command = if is_root {
        let mut command = Command::new("setpriv");
        command.args(["--reuid=65534", "--regid=65534", "--clear-groups", binary]);
        command
    } else {
        Command::new(binary)
    };
    let output = command
        .args(["check", locked.to_str().unwrap()])
        .current_dir(dir.path())
        .output();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
    let output = match output {
        Ok(output) => output,
        Err(error) if std::env::var("CI").as_deref() != Ok("true") => {
            eprintln!("skipped: cannot run setpriv to drop root ({error})");
            return;
        }
        Err(error) => panic!("setpriv is needed to test as a non-root user: {error}"),
    };
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let message = text(&output);
    assert!(message.contains(locked.to_str().unwrap()), "{message}");
    assert!(message.contains("cannot list this folder"), "{message}");
}

/// Answers the SSLRequest with 'N' (no TLS), reads the startup message, and hangs up.
#[test]
fn prefer_with_a_server_that_declines_tls_and_closes_is_not_a_tls_failure() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut request = [0u8; 8];
            if stream.read_exact(&mut request).is_ok() {
                let _ = stream.write_all(b"N");
                let mut startup = [0u8; 256];
                let _ = stream.read(&mut startup);
            }
        }
    });
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".env"),
        format!(
            "NEON_POSTGRESQL_CONNECTIONSTRING=\"postgresql://app:Decl1ned-Pw@127.0.0.1:{port}/appdb?sslmode=prefer\"\n"
        ),
    )
    .unwrap();
    let output = neon_lsp(
        &["test-connection", ".", "--format", "json", "--timeout", "5"],
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let failure = &report["failure"];
    assert_ne!(failure["kind"], "tls", "{report}");
    assert_eq!(failure["phase"], "auth", "{report}");
    let message = failure["message"].as_str().unwrap();
    assert!(message.contains("declined TLS"), "{message}");
    assert!(!message.contains("TLS handshake"), "{message}");
    assert!(!text(&output).contains("Decl1ned-Pw"));
}

/// A libpq host that is a socket directory has no JDBC equivalent: the format conversion would
/// point the Java app at a host named "/var/run/postgresql". No fix is offered; the message
/// says why.
#[test]
fn a_socket_directory_is_not_converted_to_a_jdbc_url() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("pom.xml"),
        "<project><modelVersion>4.0.0</modelVersion><groupId>a</groupId><artifactId>b</artifactId>\
         <version>1</version><dependencies><dependency><groupId>org.postgresql</groupId>\
         <artifactId>postgresql</artifactId><version>42.7.3</version></dependency></dependencies>\
         </project>\n",
    )
    .unwrap();
    let env = "NEON_POSTGRESQL_CONNECTIONSTRING=\"host=/var/run/postgresql dbname=app user=app sslmode=require\"\n";
    std::fs::write(dir.path().join(".env"), env).unwrap();
    let output = neon_lsp(&["check", "--format", "json"], dir.path());
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let format = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["rule"] == "connection-string-format")
        .unwrap_or_else(|| panic!("{report}"));
    assert_eq!(format["fixes"], serde_json::json!([]), "{format}");
    assert!(
        format["message"]
            .as_str()
            .unwrap()
            .contains("/var/run/postgresql is a Unix-domain socket directory"),
        "{format}"
    );
    neon_lsp(&["check", "--fix"], dir.path());
    let after = std::fs::read_to_string(dir.path().join(".env")).unwrap();
    assert!(!after.contains("jdbc:"), "{after}");
}
