//! A throwaway PostgreSQL 15 cluster on 127.0.0.1 and a free port, as Neon-like as a local
//! server gets: TLS only over TCP (`hostnossl … reject`), a certificate signed by a generated CA
//! for `localhost` and `127.0.0.1`, SCRAM-SHA-256 passwords, and roles whose verifier can be
//! precomputed with iteration count 1 as Neon's are. Stopped and removed on drop.

use base64::Engine;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = "/usr/lib/postgresql/15/bin";
pub const OWNER: &str = "owner";
const OWNER_PASSWORD: &str = "owner-password";

pub struct PgCluster {
    dir: tempfile::TempDir,
    port: u16,
    as_postgres: bool,
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn check(output: std::io::Result<Output>, what: &str) -> Output {
    let output = output.unwrap_or_else(|e| panic!("{what}: cannot run: {e}"));
    assert!(
        output.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Makes a CA (`<name>.crt/.key`) in `dir` with openssl.
fn make_ca(dir: &Path, name: &str) {
    check(
        Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-days",
                "2",
            ])
            .arg("-keyout")
            .arg(dir.join(format!("{name}.key")))
            .arg("-out")
            .arg(dir.join(format!("{name}.crt")))
            .args(["-subj", &format!("/CN=neon-lsp test {name}")])
            .output(),
        "openssl req (CA)",
    );
}

impl PgCluster {
    /// Starts a cluster, or `None` (with the reason printed; a failure when CI=true) when the
    /// PostgreSQL 15 binaries or openssl are missing.
    pub fn start() -> Option<PgCluster> {
        if !Path::new(BIN).join("initdb").exists() {
            super::prerequisite_missing(&format!("PostgreSQL 15 server binaries in {BIN}"));
            return None;
        }
        if Command::new("openssl").arg("version").output().is_err() {
            super::prerequisite_missing("openssl");
            return None;
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        let as_postgres = is_root();
        make_ca(root, "ca");
        make_ca(root, "other-ca");
        check(
            Command::new("openssl")
                .args([
                    "req",
                    "-newkey",
                    "ec",
                    "-pkeyopt",
                    "ec_paramgen_curve:prime256v1",
                    "-nodes",
                    "-subj",
                    "/CN=localhost",
                ])
                .arg("-keyout")
                .arg(root.join("server.key"))
                .arg("-out")
                .arg(root.join("server.csr"))
                .output(),
            "openssl req (server)",
        );
        std::fs::write(
            root.join("server.ext"),
            "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
        )
        .unwrap();
        check(
            Command::new("openssl")
                .args(["x509", "-req", "-days", "2", "-CAcreateserial"])
                .arg("-in")
                .arg(root.join("server.csr"))
                .arg("-CA")
                .arg(root.join("ca.crt"))
                .arg("-CAkey")
                .arg(root.join("ca.key"))
                .arg("-out")
                .arg(root.join("server.crt"))
                .arg("-extfile")
                .arg(root.join("server.ext"))
                .output(),
            "openssl x509 (server)",
        );
        std::fs::write(root.join("pwfile"), OWNER_PASSWORD).unwrap();
        std::fs::create_dir(root.join("sock")).unwrap();
        let cluster = PgCluster {
            port: free_port(),
            dir,
            as_postgres,
        };
        if as_postgres {
            check(
                Command::new("chown")
                    .args(["-R", "postgres:postgres"])
                    .arg(cluster.dir.path())
                    .output(),
                "chown",
            );
        }
        let data = cluster.data();
        check(
            cluster
                .server_command("initdb")
                .arg("-D")
                .arg(&data)
                .args([
                    "-A",
                    "scram-sha-256",
                    "-U",
                    OWNER,
                    "-N",
                    "--no-instructions",
                ])
                .arg(format!(
                    "--pwfile={}",
                    cluster.dir.path().join("pwfile").display()
                ))
                .output(),
            "initdb",
        );
        std::fs::write(
            data.join("pg_hba.conf"),
            "local all all scram-sha-256\nhostnossl all all 127.0.0.1/32 reject\nhostssl all all 127.0.0.1/32 scram-sha-256\n",
        )
        .unwrap();
        for file in ["server.crt", "server.key"] {
            std::fs::copy(cluster.dir.path().join(file), data.join(file)).unwrap();
        }
        if as_postgres {
            check(
                Command::new("chown")
                    .args(["-R", "postgres:postgres"])
                    .arg(&data)
                    .output(),
                "chown data",
            );
        }
        check(
            Command::new("chmod")
                .arg("600")
                .arg(data.join("server.key"))
                .output(),
            "chmod server.key",
        );
        let options = format!(
            "-p {} -k {} -c ssl=on -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=30 -c ssl_cert_file=server.crt -c ssl_key_file=server.key",
            cluster.port,
            cluster.socket_dir().display()
        );
        check(
            cluster
                .server_command("pg_ctl")
                .arg("-D")
                .arg(&data)
                .arg("-o")
                .arg(options)
                .arg("-l")
                .arg(cluster.dir.path().join("server.log"))
                .args(["-w", "start"])
                .output(),
            "pg_ctl start",
        );
        Some(cluster)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn socket_dir(&self) -> PathBuf {
        self.dir.path().join("sock")
    }

    fn server_command(&self, program: &str) -> Command {
        let binary = Path::new(BIN).join(program);
        if self.as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(binary);
            command
        } else {
            Command::new(binary)
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn host(&self) -> &'static str {
        "127.0.0.1"
    }

    pub fn ca_cert_path(&self) -> PathBuf {
        self.dir.path().join("ca.crt")
    }

    pub fn ca_cert_pem(&self) -> String {
        std::fs::read_to_string(self.ca_cert_path()).unwrap()
    }

    /// A CA that did not sign the server's certificate.
    pub fn other_ca_cert_path(&self) -> PathBuf {
        self.dir.path().join("other-ca.crt")
    }

    /// Runs SQL as the owner over the Unix socket; returns psql's unaligned output.
    pub fn psql(&self, sql: &str) -> String {
        let output = check(
            Command::new(Path::new(BIN).join("psql"))
                .arg("-h")
                .arg(self.socket_dir())
                .args([
                    "-p",
                    &self.port.to_string(),
                    "-U",
                    OWNER,
                    "-d",
                    "postgres",
                    "-v",
                    "ON_ERROR_STOP=1",
                    "-Atc",
                    sql,
                ])
                .env("PGPASSWORD", OWNER_PASSWORD)
                .output(),
            &format!("psql -c {sql:?}"),
        );
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    }

    /// Creates a login role. With `iterations_one`, its SCRAM verifier is computed here with
    /// iteration count 1, as Neon's are, so a driver that rejects Neon's handshake fails.
    pub fn create_role(&self, name: &str, password: &str, iterations_one: bool) {
        let secret = if iterations_one {
            scram_verifier_iterations_one(password)
        } else {
            password.to_owned()
        };
        self.psql(&format!(
            "CREATE ROLE \"{name}\" LOGIN PASSWORD '{}'",
            secret.replace('\'', "''")
        ));
    }

    pub fn create_database(&self, name: &str, owner: &str) {
        self.psql(&format!("CREATE DATABASE \"{name}\" OWNER \"{owner}\""));
    }

    /// The server's log (for assertions and failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let _ = self
            .server_command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "-w", "stop"])
            .output();
    }
}

/// `SCRAM-SHA-256$1:<salt>$<StoredKey>:<ServerKey>` (RFC 5802 / RFC 7677).
pub fn scram_verifier_iterations_one(password: &str) -> String {
    use ring::{digest, hmac, pbkdf2, rand::SecureRandom};
    let mut salt = [0u8; 16];
    ring::rand::SystemRandom::new().fill(&mut salt).unwrap();
    let mut salted = [0u8; 32];
    pbkdf2::derive(
        pbkdf2::PBKDF2_HMAC_SHA256,
        std::num::NonZeroU32::new(1).unwrap(),
        &salt,
        password.as_bytes(),
        &mut salted,
    );
    let key = hmac::Key::new(hmac::HMAC_SHA256, &salted);
    let client_key = hmac::sign(&key, b"Client Key");
    let stored_key = digest::digest(&digest::SHA256, client_key.as_ref());
    let server_key = hmac::sign(&key, b"Server Key");
    let b64 = base64::engine::general_purpose::STANDARD;
    format!(
        "SCRAM-SHA-256$1:{}${}:{}",
        b64.encode(salt),
        b64.encode(stored_key.as_ref()),
        b64.encode(server_key.as_ref())
    )
}
