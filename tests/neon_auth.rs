//! `neon-lsp auth` end to end, against a real OpenID provider (the npm package oidc-provider,
//! tests/oidc/provider.mjs) and a Neon API mock that checks the provider's opaque access tokens
//! by introspection — the whole loop: sign in through the browser (driven over HTTP) → API calls
//! → refresh (rotation on) → sign out (revocation); and what must fail: a foreign state, a
//! redirect URI the provider does not know, denied consent, an expired refresh token, revoked
//! tokens; two processes refreshing at once (exactly one refresh reaches the provider); the
//! paste-back path. The token file is 0600 and no token or code appears in any output.
//!
//! Skipped (with the reason printed) when Node.js or tests/oidc/node_modules is missing; a
//! failure instead when CI=true.

mod support;

use neon_lsp::neon;
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::neon::{
    BrowserEnd, CLIENT_ID, Consent, MockAuth, MockData, NeonApiMock, OidcProvider, ProviderOptions,
    drive_browser, visit,
};

const API_KEY: &str = "napi_status_key_81c2";

/// A provider, an API mock that introspects its tokens, a config folder, and every output seen.
struct Peers {
    provider: OidcProvider,
    mock: NeonApiMock,
    dir: tempfile::TempDir,
    outputs: Arc<Mutex<Vec<String>>>,
    secrets: Mutex<Vec<String>>,
}

impl Peers {
    fn start(options: ProviderOptions) -> Option<Peers> {
        let provider = OidcProvider::start(options)?;
        let mock = NeonApiMock::start(
            MockData::standard(2),
            MockAuth {
                api_keys: vec![API_KEY.to_owned()],
                introspect_at: Some(provider.issuer.clone()),
                ..MockAuth::default()
            },
        );
        Some(Peers {
            provider,
            mock,
            dir: tempfile::tempdir().unwrap(),
            outputs: Arc::new(Mutex::new(Vec::new())),
            secrets: Mutex::new(vec![
                support::neon::INTROSPECTION_SECRET.to_owned(),
                support::neon::PASSWORD.to_owned(),
            ]),
        })
    }

    fn config_dir(&self) -> PathBuf {
        self.dir.path().join("config")
    }

    fn token_file(&self) -> PathBuf {
        self.config_dir().join(neon::token_store::TOKEN_FILE_NAME)
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_neon-lsp"));
        command
            .args(args)
            .current_dir(self.dir.path())
            .env_remove(neon::env::API_KEY)
            .env_remove("BROWSER")
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .env(neon::env::CONFIG_DIR, self.config_dir())
            .env(neon::env::CLIENT_ID, CLIENT_ID)
            .env(neon::env::OIDC_URL, &self.provider.issuer)
            .env(neon::env::API_URL, self.mock.url());
        command
    }

    /// Runs a command to the end with stdin closed; its output joins the checked outputs.
    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let output = self
            .command(args)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .output()
            .unwrap();
        self.remember(&output);
        output
    }

    fn remember(&self, output: &Output) {
        let mut outputs = self.outputs.lock().unwrap();
        outputs.push(String::from_utf8_lossy(&output.stdout).into_owned());
        outputs.push(String::from_utf8_lossy(&output.stderr).into_owned());
    }

    /// Starts `auth login`; stderr is read line by line as it comes.
    fn start_login(&self, args: &[&str], browser: Option<&Path>) -> Login {
        let mut all = vec!["auth", "login"];
        all.extend_from_slice(args);
        if !args.contains(&"--timeout") {
            all.extend(["--timeout", "60"]);
        }
        let mut command = self.command(&all);
        if let Some(browser) = browser {
            command.env("BROWSER", browser);
        }
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take();
        let (lines_sender, lines) = mpsc::channel();
        let stderr_text = Arc::new(Mutex::new(String::new()));
        let stderr = child.stderr.take().unwrap();
        let collected = stderr_text.clone();
        let stderr_thread = std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                collected.lock().unwrap().push_str(&format!("{line}\n"));
                let _ = lines_sender.send(line);
            }
        });
        let stdout = child.stdout.take().unwrap();
        let stdout_thread = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = std::io::Read::read_to_string(&mut BufReader::new(stdout), &mut text);
            text
        });
        Login {
            child,
            stdin,
            lines,
            stderr_text,
            stderr_thread: Some(stderr_thread),
            stdout_thread: Some(stdout_thread),
        }
    }

    /// A full sign-in as `account`, delivered through the loopback redirect.
    fn sign_in(&self, account: &str) {
        let mut login = self.start_login(&["--no-browser"], None);
        let url = login.authorization_url();
        let BrowserEnd::Redirect(redirect) = drive_browser(&url, account, Consent::Approve) else {
            panic!("the provider did not redirect back");
        };
        self.note_code(&redirect);
        let (status, page) = visit(&redirect);
        assert_eq!(status, 200, "{page}");
        let (code, stdout, stderr) = login.finish(self);
        assert_eq!(code, Some(0), "{stdout}{stderr}");
        self.note_tokens();
    }

    /// The authorization code in a redirect is a secret too.
    fn note_code(&self, redirect: &str) {
        if let Some(code) = support::neon::code_of(redirect) {
            self.secrets.lock().unwrap().push(code);
        }
    }

    fn stored(&self) -> Value {
        serde_json::from_slice(&std::fs::read(self.token_file()).unwrap()).unwrap()
    }

    fn access_token(&self) -> String {
        self.stored()["access_token"].as_str().unwrap().to_owned()
    }

    fn refresh_token(&self) -> String {
        self.stored()["refresh_token"].as_str().unwrap().to_owned()
    }

    /// Remembers the stored tokens so that no output may contain them.
    fn note_tokens(&self) {
        let tokens = support::neon::tokens_in(&self.token_file());
        self.secrets.lock().unwrap().extend(tokens);
    }

    /// As if time passed: the stored access token is past its expiry (the provider would still
    /// take it; the client must not use it any more).
    fn age_access_token(&self) {
        let mut stored = self.stored();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        stored["expires_at"] = Value::from(now - 10);
        // Writing in place keeps the file's 0600 mode.
        std::fs::write(self.token_file(), serde_json::to_vec(&stored).unwrap()).unwrap();
    }

    fn assert_private_token_file(&self) {
        support::neon::assert_private_file(&self.token_file());
    }
}

impl Drop for Peers {
    /// Every output of every command of the test, checked for every token and code seen.
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        let secrets = self.secrets.lock().unwrap();
        for output in self.outputs.lock().unwrap().iter() {
            for secret in secrets.iter() {
                assert!(
                    !output.contains(secret.as_str()),
                    "a secret reached the output:\n{output}"
                );
            }
        }
    }
}

struct Login {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
    stderr_text: Arc<Mutex<String>>,
    stderr_thread: Option<std::thread::JoinHandle<()>>,
    stdout_thread: Option<std::thread::JoinHandle<String>>,
}

impl Login {
    /// The URL the CLI prints (indented, on its own line).
    fn authorization_url(&mut self) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        while let Ok(line) = self.lines.recv_timeout(deadline - Instant::now()) {
            let line = line.trim();
            if line.starts_with("http") && line.contains("/auth?") {
                return line.to_owned();
            }
        }
        panic!(
            "no authorization URL printed: {}",
            self.stderr_text.lock().unwrap()
        );
    }

    fn paste(&mut self, text: &str) {
        let stdin = self.stdin.as_mut().unwrap();
        stdin.write_all(format!("{text}\n").as_bytes()).unwrap();
        stdin.flush().unwrap();
    }

    /// Waits until stderr shows `needle`.
    fn wait_for(&self, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if self.stderr_text.lock().unwrap().contains(needle) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!(
            "stderr never showed {needle:?}: {}",
            self.stderr_text.lock().unwrap()
        );
    }

    fn finish(mut self, peers: &Peers) -> (Option<i32>, String, String) {
        drop(self.stdin.take());
        let status = self.child.wait().unwrap();
        if let Some(thread) = self.stderr_thread.take() {
            thread.join().unwrap();
        }
        let stdout = self.stdout_thread.take().unwrap().join().unwrap();
        let stderr = self.stderr_text.lock().unwrap().clone();
        peers.outputs.lock().unwrap().push(stdout.clone());
        peers.outputs.lock().unwrap().push(stderr.clone());
        (status.code(), stdout, stderr)
    }
}

impl Drop for Login {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn sign_in_call_the_api_refresh_and_sign_out() {
    let Some(peers) = Peers::start(ProviderOptions::default()) else {
        return;
    };
    // The "browser": a script that records the URL it is asked to open.
    let browser = peers.dir.path().join("browser.sh");
    std::fs::write(&browser, "#!/bin/sh\nprintf '%s\\n' \"$1\" > \"$0.url\"\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&browser, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let login = peers.start_login(&[], Some(&browser));
    login.wait_for("Opened the Neon sign-in page with");
    let opened = peers.dir.path().join("browser.sh.url");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !opened.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let url = std::fs::read_to_string(&opened).unwrap().trim().to_owned();
    let query: std::collections::HashMap<String, String> = url::Url::parse(&url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect();
    assert_eq!(query["code_challenge_method"], "S256");
    assert!(
        query["scope"].contains("offline_access")
            && query["scope"].contains("urn:neoncloud:projects:read")
    );
    let BrowserEnd::Redirect(redirect) = drive_browser(&url, "ada", Consent::Approve) else {
        panic!("the provider did not redirect back");
    };
    peers.note_code(&redirect);
    let (status, page) = visit(&redirect);
    assert_eq!(status, 200);
    assert!(page.contains("Signed in to Neon"), "{page}");
    let (code, out, err) = login.finish(&peers);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(
        out.contains("Signed in to Neon as Ada Lovelace <ada@example.test>."),
        "{out}"
    );
    peers.note_tokens();
    peers.assert_private_token_file();
    let first_access = peers.access_token();
    let first_refresh = peers.refresh_token();
    assert!(peers.provider.is_active(&first_access));

    // The sign-in works against the API (the mock introspects the provider's token).
    let status = peers.run(&["auth", "status"], &[]);
    assert_eq!(status.status.code(), Some(0), "{}", text(&status));
    assert!(
        stdout(&status)
            .contains("Checked with Neon: the sign-in works for Ada Lovelace <ada@example.test>."),
        "{}",
        text(&status)
    );
    assert!(stdout(&status).contains("urn:neoncloud:projects:read"));
    assert_eq!(peers.provider.token_requests("refresh_token"), 0);

    // Later: the access token is about to expire, so it is refreshed before use (rotation).
    peers.age_access_token();
    let status = peers.run(&["auth", "status"], &[]);
    assert_eq!(status.status.code(), Some(0), "{}", text(&status));
    peers.note_tokens();
    assert_eq!(peers.provider.token_requests("refresh_token"), 1);
    assert_ne!(peers.access_token(), first_access);
    assert_ne!(
        peers.refresh_token(),
        first_refresh,
        "refresh tokens rotate"
    );
    peers.assert_private_token_file();

    // pull with the sign-in.
    let project = peers.dir.path().join("app");
    std::fs::create_dir(&project).unwrap();
    let env_file = project.join(".env");
    let pull = peers.run(
        &[
            "pull",
            "--project",
            "app",
            "--branch",
            "main",
            "--database",
            "appdb",
            "--role",
            "app_owner",
            "--client-type",
            "python",
            "--yes",
            "--env-file",
        ]
        .into_iter()
        .chain([env_file.to_str().unwrap()])
        .collect::<Vec<_>>(),
        &[],
    );
    assert_eq!(pull.status.code(), Some(0), "{}", text(&pull));
    assert!(
        std::fs::read_to_string(&env_file)
            .unwrap()
            .contains("NEON_POSTGRESQL_CONNECTIONSTRING=")
    );

    // Sign out: revoked at the provider, deleted here.
    let current_access = peers.access_token();
    let current_refresh = peers.refresh_token();
    let logout = peers.run(&["auth", "logout"], &[]);
    assert_eq!(logout.status.code(), Some(0), "{}", text(&logout));
    assert!(
        stdout(&logout).contains("revoked at Neon and deleted"),
        "{}",
        text(&logout)
    );
    assert!(!peers.token_file().exists());
    assert!(!peers.provider.is_active(&current_access));
    assert!(!peers.provider.is_active(&current_refresh));
    let status = peers.run(&["auth", "status"], &[]);
    assert_eq!(status.status.code(), Some(1));
    assert!(
        stdout(&status).contains("Not signed in to Neon"),
        "{}",
        text(&status)
    );
    let pull = peers.run(&["pull", "--project", "app", "--yes"], &[]);
    assert_eq!(pull.status.code(), Some(2), "{}", text(&pull));
    // No request went out, so the message names none.
    assert!(
        stderr(&pull).contains("error: not signed in to Neon") && !stderr(&pull).contains("GET /"),
        "{}",
        text(&pull)
    );

    // An API key in the environment works instead of the sign-in.
    let status = peers.run(&["auth", "status"], &[(neon::env::API_KEY, API_KEY)]);
    assert_eq!(status.status.code(), Some(0), "{}", text(&status));
    assert!(stdout(&status).contains("Using the API key in NEON_API_KEY"));
    assert!(stdout(&status).contains("Checked with Neon: the API key works"));
    peers.secrets.lock().unwrap().push(API_KEY.to_owned());
}

#[test]
fn the_paste_back_path_checks_what_is_pasted() {
    let Some(peers) = Peers::start(ProviderOptions::default()) else {
        return;
    };
    let mut login = peers.start_login(&["--no-browser"], None);
    let url = login.authorization_url();
    login.wait_for("paste it here");
    // The browser is elsewhere: its redirect never reaches this machine's loopback.
    let BrowserEnd::Redirect(redirect) = drive_browser(&url, "ada", Consent::Approve) else {
        panic!("the provider did not redirect back");
    };
    peers.note_code(&redirect);
    login.paste("the code was 1234");
    login.wait_for("that is not the redirected address");
    let state = url::Url::parse(&redirect)
        .unwrap()
        .query_pairs()
        .find(|(key, _)| key == "state")
        .unwrap()
        .1
        .into_owned();
    login.paste(&redirect.replace(&format!("state={state}"), "state=from-another-attempt"));
    login.wait_for("belongs to another sign-in attempt");
    login.paste(&redirect);
    let (code, out, err) = login.finish(&peers);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("Signed in to Neon as Ada Lovelace"), "{out}");
    peers.note_tokens();
    peers.assert_private_token_file();
}

#[test]
fn a_redirect_with_another_state_is_refused() {
    let Some(peers) = Peers::start(ProviderOptions::default()) else {
        return;
    };
    let mut login = peers.start_login(&["--no-browser"], None);
    let url = login.authorization_url();
    let BrowserEnd::Redirect(redirect) = drive_browser(&url, "ada", Consent::Approve) else {
        panic!("the provider did not redirect back");
    };
    peers.note_code(&redirect);
    let mut forged = url::Url::parse(&redirect).unwrap();
    let pairs: Vec<(String, String)> = forged
        .query_pairs()
        .map(|(key, value)| {
            let value = if key == "state" {
                "forged".into()
            } else {
                value.into_owned()
            };
            (key.into_owned(), value)
        })
        .collect();
    forged.query_pairs_mut().clear().extend_pairs(pairs);
    let (status, page) = visit(forged.as_str());
    assert_eq!(status, 400);
    assert!(page.contains("state does not match"), "{page}");
    let (code, out, err) = login.finish(&peers);
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(err.contains("state does not match this sign-in"), "{err}");
    assert!(!peers.token_file().exists());
    assert_eq!(
        peers.provider.token_requests("authorization_code"),
        0,
        "the code was never used"
    );
}

#[test]
fn a_redirect_uri_the_provider_does_not_know_signs_nobody_in() {
    let Some(peers) = Peers::start(ProviderOptions {
        redirect_uris: Some("http://127.0.0.1/registered-elsewhere".into()),
        ..ProviderOptions::default()
    }) else {
        return;
    };
    let mut login = peers.start_login(&["--no-browser", "--timeout", "3"], None);
    let url = login.authorization_url();
    match drive_browser(&url, "ada", Consent::Approve) {
        BrowserEnd::Page(status, page) => {
            assert_eq!(status, 400);
            assert!(page.contains("redirect_uri"), "{page}");
        }
        BrowserEnd::Redirect(redirect) => panic!("the provider redirected to {redirect}"),
    }
    let (code, out, err) = login.finish(&peers);
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(err.contains("no sign-in completed within 3 s"), "{err}");
    assert!(!peers.token_file().exists());
}

#[test]
fn denied_consent_signs_nobody_in() {
    let Some(peers) = Peers::start(ProviderOptions::default()) else {
        return;
    };
    let mut login = peers.start_login(&["--no-browser"], None);
    let url = login.authorization_url();
    let BrowserEnd::Redirect(redirect) = drive_browser(&url, "ada", Consent::Deny) else {
        panic!("the provider did not redirect back");
    };
    assert!(redirect.contains("error=access_denied"), "{redirect}");
    let (status, page) = visit(&redirect);
    assert_eq!(status, 400);
    assert!(page.contains("denied or cancelled"), "{page}");
    let (code, out, err) = login.finish(&peers);
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(
        err.contains("the sign-in was denied or cancelled in the browser (access_denied"),
        "{err}"
    );
    assert!(!peers.token_file().exists());
}

#[test]
fn an_expired_refresh_token_asks_to_sign_in_again() {
    let Some(peers) = Peers::start(ProviderOptions::default()) else {
        return;
    };
    peers.sign_in("ada");
    assert!(peers.provider.expire_refresh_tokens() >= 1);
    peers.age_access_token();
    let status = peers.run(&["auth", "status"], &[]);
    assert_eq!(status.status.code(), Some(1), "{}", text(&status));
    assert!(
        stderr(&status).contains("the Neon sign-in is no longer valid")
            && stderr(&status).contains("run `neon-lsp auth login` again"),
        "{}",
        text(&status)
    );
    assert_eq!(peers.provider.token_requests("refresh_token"), 1);
}

#[test]
fn revoked_tokens_are_refreshed_or_need_a_new_sign_in() {
    let Some(peers) = Peers::start(ProviderOptions::default()) else {
        return;
    };
    peers.sign_in("ada");
    // Only the access token is gone (revoked on its own): the API answers 401 and one refresh
    // with the refresh token fixes it.
    assert!(peers.provider.drop_access_tokens() >= 1);
    let status = peers.run(&["auth", "status"], &[]);
    assert_eq!(status.status.code(), Some(0), "{}", text(&status));
    assert_eq!(peers.provider.token_requests("refresh_token"), 1);
    peers.note_tokens();
    // Revoked through the revocation endpoint (RFC 7009), which at this provider ends every
    // token of the grant: the API answers 401, the refresh is refused, so: sign in again.
    peers.provider.revoke(&peers.access_token(), "access_token");
    let status = peers.run(&["auth", "status"], &[]);
    assert_eq!(status.status.code(), Some(1), "{}", text(&status));
    assert!(
        stderr(&status).contains("GET /users/me: the Neon sign-in is no longer valid")
            && stderr(&status).contains("run `neon-lsp auth login` again"),
        "{}",
        text(&status)
    );
    assert_eq!(peers.provider.token_requests("refresh_token"), 2);
    assert_eq!(peers.provider.stats()["token_errors"]["refresh_token"], 1);
}

#[test]
fn two_processes_refreshing_at_once_spend_the_refresh_token_once() {
    // Token requests are held 1.5 s, so the second process arrives while the first refreshes.
    let Some(peers) = Peers::start(ProviderOptions {
        token_delay_ms: Some(1500),
        ..ProviderOptions::default()
    }) else {
        return;
    };
    peers.sign_in("ada");
    peers.age_access_token();
    let spawn = || {
        peers
            .command(&["auth", "status"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let first = spawn();
    let second = spawn();
    for child in [first, second] {
        let output = child.wait_with_output().unwrap();
        peers.remember(&output);
        assert_eq!(output.status.code(), Some(0), "{}", text(&output));
        assert!(
            stdout(&output).contains("Checked with Neon: the sign-in works"),
            "{}",
            text(&output)
        );
    }
    peers.note_tokens();
    let stats = peers.provider.stats();
    assert_eq!(stats["token_requests"]["refresh_token"], 1, "{stats}");
    assert!(stats["token_errors"]["refresh_token"].is_null(), "{stats}");
    // Both ended with the one new token, which keeps working without another refresh.
    let status = peers.run(&["auth", "status"], &[]);
    assert_eq!(status.status.code(), Some(0), "{}", text(&status));
    assert_eq!(peers.provider.token_requests("refresh_token"), 1);
    peers.assert_private_token_file();
}

#[test]
fn without_a_client_id_login_explains_registration_and_api_keys() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_neon-lsp"))
        .args(["auth", "login", "--no-browser"])
        .env_remove(neon::env::CLIENT_ID)
        .env_remove(neon::env::API_KEY)
        .env(neon::env::CONFIG_DIR, dir.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(
        err.contains("Neon issues OAuth clients only to registered partners"),
        "{err}"
    );
    assert!(
        err.contains("NEON_OAUTH_CLIENT_ID") && err.contains("NEON_API_KEY"),
        "{err}"
    );
}
