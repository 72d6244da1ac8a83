//! End-to-end tests of `neon-lsp test-connection` against real peers: a throwaway PostgreSQL
//! cluster (TLS only, SCRAM, an iteration-count-1 verifier as Neon's), a local managed-identity
//! endpoint, and loopback listeners that misbehave.

mod support;

use serde_json::Value;
use std::io::Read;
use std::process::Command;
use support::identity::IdentityEndpoint;
use support::pg::PgCluster;

const PASSWORD: &str = "Sup3r-S3cret-Pw!x";

struct Outcome {
    code: i32,
    json: Value,
    text: String,
}

/// Runs the binary on `env` (the .env text) twice — JSON and text — and checks that neither
/// output contains any of `secrets`.
fn test_connection(
    env: &str,
    extra_env: &[(&str, &str)],
    args: &[&str],
    secrets: &[&str],
) -> Outcome {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".env"), env).unwrap();
    let run = |format: &str| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_neon-lsp"));
        command
            .arg("test-connection")
            .arg(dir.path())
            .args(["--format", format])
            .args(args);
        for (key, _) in std::env::vars() {
            if key.starts_with("NEON_")
                || key.starts_with("AZURE_")
                || key.starts_with("IDENTITY_")
                || key.starts_with("PG")
            {
                command.env_remove(key);
            }
        }
        command.envs(extra_env.iter().copied());
        let output = command.output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout).to_string();
        let stderr = String::from_utf8_lossy(&output.stderr).to_string();
        for secret in secrets {
            assert!(
                !stdout.contains(secret) && !stderr.contains(secret),
                "secret {secret:?} printed:\n{stdout}\n{stderr}"
            );
        }
        (output.status.code().unwrap_or(-1), stdout, stderr)
    };
    let (code, json, _) = run("json");
    let (text_code, text, stderr) = run("text");
    assert_eq!(
        code, text_code,
        "text and JSON runs disagree:\n{text}{stderr}"
    );
    Outcome {
        code,
        json: serde_json::from_str(&json).unwrap_or_else(|e| panic!("not JSON ({e}): {json}")),
        text: text + &stderr,
    }
}

fn assert_connected(outcome: &Outcome, user: &str) {
    assert_eq!(outcome.code, 0, "{}\n{}", outcome.text, outcome.json);
    let server = &outcome.json["server"];
    assert_eq!(server["current_user"], user, "{}", outcome.json);
    assert_eq!(server["current_database"], "appdb");
    assert!(
        server["tls_version"]
            .as_str()
            .unwrap()
            .starts_with("TLSv1."),
        "{}",
        outcome.json
    );
    assert!(
        server["server_version"]
            .as_str()
            .unwrap()
            .starts_with("15.")
    );
    assert!(outcome.text.contains("✓ connected"), "{}", outcome.text);
    for phase in ["dns", "connect", "tls", "auth", "first_query"] {
        assert!(
            outcome.json["timings_ms"][phase].is_number(),
            "{phase}: {}",
            outcome.json
        );
    }
}

fn assert_failed(outcome: &Outcome, kind: &str, sqlstate: Option<&str>) -> Value {
    assert_eq!(outcome.code, 1, "{}\n{}", outcome.text, outcome.json);
    let failure = outcome.json["failure"].clone();
    assert_eq!(failure["kind"], kind, "{}", outcome.json);
    match sqlstate {
        Some(code) => assert_eq!(failure["sqlstate"], code, "{}", outcome.json),
        None => assert!(failure["sqlstate"].is_null(), "{}", outcome.json),
    }
    assert!(!failure["next_step"].as_str().unwrap().is_empty());
    assert!(
        outcome.text.contains(&format!("[{kind}")),
        "{}",
        outcome.text
    );
    failure
}

fn cluster() -> Option<PgCluster> {
    let cluster = PgCluster::start()?;
    cluster.create_role("app", PASSWORD, true);
    cluster.create_database("appdb", "app");
    Some(cluster)
}

#[test]
fn connects_in_every_format_and_explains_every_server_side_failure() {
    let Some(pg) = cluster() else { return };
    let port = pg.port();
    let ca = pg.ca_cert_path();
    let ca = ca.to_str().unwrap();
    // The role's verifier really has iteration count 1, as Neon's do.
    assert!(
        pg.psql("select rolpassword from pg_authid where rolname = 'app'")
            .starts_with("SCRAM-SHA-256$1:")
    );

    let formats = [
        format!(
            "NEON_POSTGRESQL_CONNECTIONSTRING=\"postgresql://app:{PASSWORD}@127.0.0.1:{port}/appdb?sslmode=require&channel_binding=require\""
        ),
        format!(
            "NEON_POSTGRESQL_CONNECTIONSTRING=\"dbname=appdb host=localhost port={port} sslmode=verify-full sslrootcert={ca} user=app password={PASSWORD}\""
        ),
        format!(
            "NEON_POSTGRESQL_CONNECTIONSTRING=\"Server=127.0.0.1;Database=appdb;Port={port};User Id=app;Password={PASSWORD};Ssl Mode=Require;\""
        ),
        format!(
            "NEON_POSTGRESQL_CONNECTIONSTRING=\"jdbc:postgresql://127.0.0.1:{port}/appdb?sslmode=require&user=app&password={PASSWORD}\""
        ),
    ];
    for env in &formats {
        let outcome = test_connection(env, &[], &[], &[PASSWORD]);
        assert_connected(&outcome, "app");
    }
    // Components: _SSL=true means verify-full; the test CA comes from PGSSLROOTCERT as for libpq.
    let components = format!(
        "NEON_POSTGRESQL_HOST=localhost\nNEON_POSTGRESQL_PORT={port}\nNEON_POSTGRESQL_USER=app\nNEON_POSTGRESQL_PASSWORD={PASSWORD}\nNEON_POSTGRESQL_DATABASE=appdb\nNEON_POSTGRESQL_SSL=true\n"
    );
    let outcome = test_connection(&components, &[("PGSSLROOTCERT", ca)], &[], &[PASSWORD]);
    assert_connected(&outcome, "app");
    assert_eq!(outcome.json["certificate_check"], "full");

    let uri = |user: &str, password: &str, database: &str, extra: &str| {
        format!(
            "NEON_POSTGRESQL_CONNECTIONSTRING=\"postgresql://{user}:{password}@localhost:{port}/{database}?{extra}\"\n"
        )
    };
    let wrong = test_connection(
        &uri("app", "not-the-password", "appdb", "sslmode=require"),
        &[],
        &[],
        &["not-the-password"],
    );
    assert_failed(&wrong, "auth", Some("28P01"));
    // TLS completed before the password was rejected, and the report keeps its time.
    assert!(
        wrong.json["timings_ms"]["tls"].is_number(),
        "{}",
        wrong.json
    );
    assert!(wrong.json["timings_ms"]["auth"].is_null(), "{}", wrong.json);

    let no_database = test_connection(
        &uri("app", PASSWORD, "nodb", "sslmode=require"),
        &[],
        &[],
        &[PASSWORD],
    );
    let failure = assert_failed(&no_database, "database-not-found", Some("3D000"));
    assert!(
        failure["next_step"]
            .as_str()
            .unwrap()
            .contains("authentication succeeded"),
        "{failure}"
    );

    // PostgreSQL answers an unknown role under SCRAM exactly like a wrong password (28P01), on
    // purpose; the report says so instead of guessing.
    let no_role = test_connection(
        &uri("ghost", PASSWORD, "appdb", "sslmode=require"),
        &[],
        &[],
        &[PASSWORD],
    );
    let failure = assert_failed(&no_role, "auth", Some("28P01"));
    assert!(
        failure["next_step"]
            .as_str()
            .unwrap()
            .contains("missing role"),
        "{failure}"
    );

    let plain = test_connection(
        &uri("app", PASSWORD, "appdb", "sslmode=disable"),
        &[],
        &[],
        &[PASSWORD],
    );
    let failure = assert_failed(&plain, "tls", Some("28000"));
    assert!(
        failure["next_step"]
            .as_str()
            .unwrap()
            .contains("requires TLS"),
        "{failure}"
    );

    let right_ca = test_connection(
        &uri(
            "app",
            PASSWORD,
            "appdb",
            &format!("sslmode=verify-full&sslrootcert={ca}"),
        ),
        &[],
        &[],
        &[PASSWORD],
    );
    assert_connected(&right_ca, "app");
    let other = pg.other_ca_cert_path();
    let wrong_ca = test_connection(
        &uri(
            "app",
            PASSWORD,
            "appdb",
            &format!("sslmode=verify-full&sslrootcert={}", other.display()),
        ),
        &[],
        &[],
        &[PASSWORD],
    );
    let failure = assert_failed(&wrong_ca, "tls", None);
    assert!(
        failure["next_step"]
            .as_str()
            .unwrap()
            .contains("trusted CA"),
        "{failure}"
    );

    // The role's connection limit is checked after authentication: SQLSTATE 53300.
    pg.create_role("crowded", PASSWORD, true);
    pg.psql("alter role crowded connection limit 0");
    let crowded = test_connection(
        &uri("crowded", PASSWORD, "appdb", "sslmode=require"),
        &[],
        &[],
        &[PASSWORD],
    );
    let failure = assert_failed(&crowded, "too-many-connections", Some("53300"));
    assert!(
        failure["message"]
            .as_str()
            .unwrap()
            .contains("too many connections"),
        "{failure}"
    );
}

#[test]
fn passwordless_auth_fetches_the_token_as_the_app_would() {
    let Some(pg) = cluster() else { return };
    const TOKEN: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.token-as-password.sig";
    pg.create_role("aad_app", TOKEN, false);
    pg.psql("GRANT CONNECT ON DATABASE appdb TO aad_app");
    let port = pg.port();
    let env = format!(
        "AZURE_POSTGRESQL_CONNECTIONSTRING=\"host=127.0.0.1 port={port} dbname=appdb user=aad_app sslmode=require\"\n"
    );

    // System-assigned identity.
    let endpoint = IdentityEndpoint::start(TOKEN, "header-secret", None);
    let url = endpoint.url();
    let outcome = test_connection(
        &env,
        &[
            ("IDENTITY_ENDPOINT", &url),
            ("IDENTITY_HEADER", "header-secret"),
        ],
        &[],
        &[TOKEN, "header-secret"],
    );
    assert_connected(&outcome, "aad_app");
    assert_eq!(outcome.json["auth"], "system-identity");
    assert!(outcome.json["timings_ms"]["token"].is_number());
    let requests = endpoint.requests();
    assert!(!requests.is_empty());
    assert_eq!(
        requests[0].params["resource"],
        "https://ossrdbms-aad.database.windows.net"
    );
    assert_eq!(requests[0].params["api-version"], "2019-08-01");
    drop(endpoint);

    // User-assigned identity: the client id goes with the request.
    let endpoint =
        IdentityEndpoint::start(TOKEN, "h", Some("11111111-2222-3333-4444-555555555555"));
    let url = endpoint.url();
    let user_env = format!("{env}AZURE_POSTGRESQL_CLIENTID=11111111-2222-3333-4444-555555555555\n");
    let outcome = test_connection(
        &user_env,
        &[("IDENTITY_ENDPOINT", &url), ("IDENTITY_HEADER", "h")],
        &[],
        &[TOKEN],
    );
    assert_connected(&outcome, "aad_app");
    assert_eq!(outcome.json["auth"], "user-identity");
    drop(endpoint);

    // Service principal against an overridden authority.
    let endpoint = IdentityEndpoint::start_full(
        TOKEN,
        "unused",
        None,
        Some(("tenant-1", "sp-client", "sp-secret-value")),
    );
    let authority = endpoint.authority();
    let sp_env = format!(
        "{env}AZURE_POSTGRESQL_CLIENTID=sp-client\nAZURE_POSTGRESQL_TENANTID=tenant-1\nAZURE_POSTGRESQL_CLIENTSECRET=sp-secret-value\n"
    );
    let outcome = test_connection(
        &sp_env,
        &[("AZURE_AUTHORITY_HOST", &authority)],
        &[],
        &[TOKEN, "sp-secret-value"],
    );
    assert_connected(&outcome, "aad_app");
    assert_eq!(outcome.json["auth"], "service-principal");
    assert_eq!(
        endpoint.requests()[0].params["scope"],
        "https://ossrdbms-aad.database.windows.net/.default"
    );

    // A wrong secret is an auth failure at the token step, secret not echoed.
    let bad_env = sp_env.replace("sp-secret-value", "wrong-secret-value");
    let outcome = test_connection(
        &bad_env,
        &[("AZURE_AUTHORITY_HOST", &authority)],
        &[],
        &[TOKEN, "wrong-secret-value"],
    );
    let failure = assert_failed(&outcome, "auth", None);
    assert_eq!(failure["phase"], "token");

    // No identity endpoint here: a configuration-grade explanation, still exit 1 with a next step.
    let outcome = test_connection(&env, &[], &[], &[TOKEN]);
    let failure = assert_failed(&outcome, "auth", None);
    assert!(
        failure["message"]
            .as_str()
            .unwrap()
            .contains("IDENTITY_ENDPOINT"),
        "{failure}"
    );
}

/// A listener that accepts and then does `behaviour` with each connection, on a thread.
fn misbehaving_listener(behaviour: fn(std::net::TcpStream)) -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            behaviour(stream);
        }
    });
    port
}

#[test]
fn network_failures_are_classified() {
    let env_for = |host: &str, port: u16| {
        format!(
            "NEON_POSTGRESQL_CONNECTIONSTRING=\"postgresql://app:{PASSWORD}@{host}:{port}/appdb?sslmode=require\"\n"
        )
    };
    let closed = support::pg::free_port();
    let outcome = test_connection(&env_for("127.0.0.1", closed), &[], &[], &[PASSWORD]);
    assert_failed(&outcome, "refused", None);

    // Accepts, reads the SSLRequest, never answers. (The thread ends with the test process.)
    let silent = misbehaving_listener(|mut stream| {
        let mut buffer = [0u8; 64];
        let _ = stream.read(&mut buffer);
        std::thread::sleep(std::time::Duration::from_secs(30));
    });
    let outcome = test_connection(
        &env_for("127.0.0.1", silent),
        &[],
        &["--timeout", "1"],
        &[PASSWORD],
    );
    let failure = assert_failed(&outcome, "timeout", None);
    assert_eq!(failure["phase"], "tls");

    // Accepts the SSLRequest with 'S', then hangs up in the middle of the TLS handshake.
    let rude = misbehaving_listener(|mut stream| {
        use std::io::Write;
        let mut buffer = [0u8; 8];
        let _ = stream.read_exact(&mut buffer);
        let _ = stream.write_all(b"S");
        let mut hello = [0u8; 16];
        let _ = stream.read(&mut hello);
    });
    let outcome = test_connection(&env_for("127.0.0.1", rude), &[], &[], &[PASSWORD]);
    let failure = assert_failed(&outcome, "tls", None);
    assert!(
        failure["message"]
            .as_str()
            .unwrap()
            .contains("closed the connection"),
        "{failure}"
    );

    // Answers the SSLRequest with 'N' (a server built or configured without TLS), then waits.
    let plaintext_only = misbehaving_listener(|mut stream| {
        use std::io::Write;
        let mut buffer = [0u8; 8];
        let _ = stream.read_exact(&mut buffer);
        let _ = stream.write_all(b"N");
        let mut rest = [0u8; 64];
        let _ = stream.read(&mut rest);
    });
    let outcome = test_connection(&env_for("127.0.0.1", plaintext_only), &[], &[], &[PASSWORD]);
    let failure = assert_failed(&outcome, "tls", None);
    assert_eq!(
        failure["message"], "the server does not support TLS",
        "{failure}"
    );

    let outcome = test_connection(
        &env_for("db.neon-lsp-test.invalid", 5432),
        &[],
        &[],
        &[PASSWORD],
    );
    assert_failed(&outcome, "dns", None);
}

#[test]
fn configuration_errors_exit_2_and_name_the_problem() {
    let outcome = test_connection("PORT=3000\n", &[], &[], &[]);
    assert_eq!(outcome.code, 2);
    assert!(
        outcome.text.contains("no NEON_POSTGRESQL_"),
        "{}",
        outcome.text
    );
    let outcome = test_connection(
        "NEON_POSTGRESQL_CONNECTIONSTRING=\"host='oops\"\n",
        &[],
        &[],
        &[],
    );
    assert_eq!(outcome.code, 2);
    assert!(
        outcome
            .text
            .contains("NEON_POSTGRESQL_CONNECTIONSTRING (from .env)"),
        "{}",
        outcome.text
    );
    assert_eq!(outcome.json["error"]["kind"], "configuration");
    let missing = Command::new(env!("CARGO_BIN_EXE_neon-lsp"))
        .args(["test-connection", "/nonexistent/project"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
}
