//! The language server's Neon commands end to end: the real `neon-lsp serve` over stdio
//! (tests/support/lsp.rs), with the test as the editor — it opens the "browser" when asked by
//! `window/showDocument` (driving the real OpenID provider's pages over HTTP) and answers the
//! `window/showMessageRequest` questions — against the real provider (tests/oidc/provider.mjs)
//! and the Neon API mock (tests/support/neon.rs).
//!
//! Covered: sign-in through showDocument (token file 0600, the account in the result, no token),
//! the paste-back path for a client that cannot open documents, an editor that fails to open
//! the page, a second sign-in replacing a waiting one and cancelling from the progress (both
//! close the loopback listener), sign-out revoking at the provider, pull answering choices and the confirmation (the .env written in a git repository
//! that ignores it, and the code's diagnostics cleared), a dismissed choice, a git-tracked .env
//! refused unless forced, and the explanations without a client id or credentials. No token,
//! code, API key or password may appear in any message the client received or in the log file.
//!
//! The sign-in tests are skipped (with the reason printed) when Node.js or tests/oidc/node_modules
//! is missing; a failure instead when CI=true.

mod support;

use neon_lsp::neon;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use support::git::git;
use support::lsp::{Server, uri};
use support::neon::{
    BrowserEnd, CLIENT_ID, Consent, MockAuth, MockData, NeonApiMock, OidcProvider, PASSWORD,
    ProviderOptions, drive_browser, endpoint_host, visit,
};

const API_KEY: &str = "napi_lsp_key_5d1e9a";
const SIGN_IN: &str = "neon-lsp.signIn";
const SIGN_IN_WITH_REDIRECT: &str = "neon-lsp.signInWithRedirect";
const SIGN_OUT: &str = "neon-lsp.signOut";
const PULL: &str = "neon-lsp.pullConnection";

/// The editor can open URLs (`window.showDocument`) and shows progress.
fn opens_documents() -> Value {
    json!({"window": {"showDocument": {"support": true}, "workDoneProgress": true}})
}

/// A workspace folder, a private Neon config folder and a log file, with the server's
/// environment pointing at the peers; checks at the end that no secret reached the client or
/// the log.
struct Editor {
    server: Option<Server>,
    root: PathBuf,
    config_dir: PathBuf,
    log: PathBuf,
    secrets: Vec<String>,
    _dir: tempfile::TempDir,
}

impl Editor {
    /// `prepare` fills the workspace folder before the server reads it.
    fn start(
        environment: &[(&str, String)],
        capabilities: Value,
        prepare: impl FnOnce(&Path),
    ) -> Editor {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().canonicalize().unwrap();
        let root = base.join("app");
        std::fs::create_dir(&root).unwrap();
        prepare(&root);
        let config_dir = base.join("config");
        let log = base.join("server.log");
        let mut env: Vec<(&str, String)> = vec![
            (
                neon::env::CONFIG_DIR,
                config_dir.to_string_lossy().into_owned(),
            ),
            // Empty is unset (Settings::from_env): the developer's own key must not leak in.
            (neon::env::API_KEY, String::new()),
            (neon::env::CLIENT_ID, String::new()),
        ];
        env.extend(environment.iter().cloned());
        let server = env
            .iter()
            .fold(Server::builder(&root), |server, (key, value)| {
                server.env(key, value)
            })
            .args(&["--log-file", log.to_str().unwrap(), "--log-level", "debug"])
            .capabilities(capabilities)
            .start();
        let advertised =
            server.initialized["capabilities"]["executeCommandProvider"]["commands"].to_string();
        for command in [SIGN_IN, SIGN_IN_WITH_REDIRECT, SIGN_OUT, PULL] {
            assert!(advertised.contains(command), "{command}: {advertised}");
        }
        Editor {
            server: Some(server),
            root,
            config_dir,
            log,
            secrets: vec![
                PASSWORD.to_owned(),
                API_KEY.to_owned(),
                support::neon::INTROSPECTION_SECRET.to_owned(),
            ],
            _dir: dir,
        }
    }

    fn server(&mut self) -> &mut Server {
        self.server.as_mut().unwrap()
    }

    fn token_file(&self) -> PathBuf {
        self.config_dir.join(neon::token_store::TOKEN_FILE_NAME)
    }

    /// Runs a command to its end; the server's questions go to `answer`.
    fn execute(
        &mut self,
        command: &str,
        arguments: Value,
        answer: impl FnMut(&Value) -> Option<Value>,
    ) -> Value {
        let id = self.start_command(command, arguments);
        self.finish_command(id, answer)
    }

    fn start_command(&mut self, command: &str, arguments: Value) -> i64 {
        self.server().send_request(
            "workspace/executeCommand",
            json!({"command": command, "arguments": arguments}),
        )
    }

    fn finish_command(&mut self, id: i64, answer: impl FnMut(&Value) -> Option<Value>) -> Value {
        let response = self.server().response_to(id, answer);
        assert!(response.get("error").is_none(), "{response}");
        response["result"].clone()
    }

    /// Asserts that the editor was shown a message `matches` accepts: among those read so far,
    /// else the next ones (a command's message and its result travel on separate channels in
    /// tower-lsp-server, so the message may follow the result).
    fn assert_shown(&mut self, matches: impl Fn(&str) -> bool) {
        if self.shown().iter().any(|text| matches(text)) {
            return;
        }
        self.server().wait_for(|message| {
            message["method"] == "window/showMessage"
                && message["params"]["message"].as_str().is_some_and(&matches)
        });
    }

    /// Every message the server sent that the test has read so far.
    fn received(&self) -> Vec<Value> {
        self.server
            .as_ref()
            .unwrap()
            .received
            .iter()
            .filter_map(|text| serde_json::from_str::<Value>(text).ok())
            .collect()
    }

    /// The `window/showMessage` texts received so far.
    fn shown(&self) -> Vec<String> {
        self.received()
            .iter()
            .filter(|message| message["method"] == "window/showMessage")
            .filter_map(|message| message["params"]["message"].as_str().map(str::to_owned))
            .collect()
    }

    fn received_any(&self, predicate: impl Fn(&Value) -> bool) -> bool {
        self.received().iter().any(predicate)
    }

    /// The diagnostics last published for `uri` among the messages read so far.
    fn last_diagnostics(&self, uri: &str) -> Option<Value> {
        self.received()
            .iter()
            .rev()
            .find(|m| m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri)
            .map(|m| m["params"]["diagnostics"].clone())
    }

    /// Remembers the stored tokens as secrets.
    fn note_tokens(&mut self) {
        let tokens = support::neon::tokens_in(&self.token_file());
        self.secrets.extend(tokens);
    }

    fn note_code(&mut self, redirect: &str) {
        self.secrets.extend(support::neon::code_of(redirect));
    }

    /// Stops the server and checks everything it said, to the client and to its log.
    fn stop(mut self) {
        let server = self.server.take().unwrap();
        let received = server.received.clone();
        server.stop();
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        assert!(!log.is_empty(), "the server logged nothing");
        for secret in &self.secrets {
            assert!(
                !log.contains(secret.as_str()),
                "the log holds a secret:\n{log}"
            );
            for message in &received {
                assert!(
                    !message.contains(secret.as_str()),
                    "a secret reached the client:\n{message}"
                );
            }
        }
    }
}

fn is_request(message: &Value, method: &str) -> bool {
    message["method"] == method && message.get("id").is_some()
}

fn progress_titled(message: &Value, title: &str) -> bool {
    message["method"] == "$/progress"
        && message["params"]["value"]["kind"] == "begin"
        && message["params"]["value"]["title"] == title
}

/// The API mock that accepts the provider's tokens (by introspection) and `API_KEY`.
fn api_mock(introspect_at: Option<&OidcProvider>, filler: usize) -> NeonApiMock {
    NeonApiMock::start(
        MockData::standard(filler),
        MockAuth {
            api_keys: vec![API_KEY.to_owned()],
            introspect_at: introspect_at.map(|provider| provider.issuer.clone()),
            ..MockAuth::default()
        },
    )
}

fn sign_in_environment(provider: &OidcProvider, mock: &NeonApiMock) -> Vec<(&'static str, String)> {
    vec![
        (neon::env::CLIENT_ID, CLIENT_ID.to_owned()),
        (neon::env::OIDC_URL, provider.issuer.clone()),
        (neon::env::API_URL, mock.url()),
    ]
}

fn key_environment(mock: &NeonApiMock) -> Vec<(&'static str, String)> {
    vec![
        (neon::env::API_KEY, API_KEY.to_owned()),
        (neon::env::API_URL, mock.url()),
    ]
}

/// Every argument, so nothing is asked but the confirmation.
fn all_choices(root: &Path) -> Value {
    json!([{
        "uri": uri(root, ""),
        "project": "app",
        "branch": "main",
        "database": "appdb",
        "role": "app_owner",
        "clientType": "python",
    }])
}

/// Answers the confirmation with "Write .env"; any other question fails the test.
fn confirm_write(message: &Value) -> Option<Value> {
    if !is_request(message, "window/showMessageRequest") {
        return None;
    }
    let text = message["params"]["message"].as_str().unwrap();
    assert!(text.starts_with("Write to "), "unexpected question: {text}");
    Some(json!({"title": "Write .env"}))
}

#[test]
fn sign_in_opens_the_browser_and_sign_out_revokes() {
    let Some(provider) = OidcProvider::start(ProviderOptions::default()) else {
        return;
    };
    let mock = api_mock(Some(&provider), 2);
    let mut editor = Editor::start(
        &sign_in_environment(&provider, &mock),
        opens_documents(),
        |_| {},
    );
    let sign_in = editor.start_command(SIGN_IN, json!([]));
    let show = editor
        .server()
        .wait_for(|m| is_request(m, "window/showDocument"));
    assert_eq!(show["params"]["external"], true, "{show}");
    let url = show["params"]["uri"].as_str().unwrap().to_owned();
    assert!(
        url.starts_with(&format!("{}/auth?", provider.issuer)),
        "{url}"
    );
    assert!(url.contains("code_challenge_method=S256"), "{url}");
    editor.server().reply(&show, json!({"success": true}));
    // While waiting: progress that says how to finish from another machine.
    editor.server().wait_for(|m| {
        m["method"] == "$/progress"
            && m["params"]["value"]["message"]
                .as_str()
                .is_some_and(|text| text.contains(SIGN_IN_WITH_REDIRECT))
    });
    assert!(
        editor
            .received_any(|m| progress_titled(m, "Waiting for the Neon sign-in in your browser…"))
    );

    let BrowserEnd::Redirect(redirect) = drive_browser(&url, "ada", Consent::Approve) else {
        panic!("the provider did not redirect back");
    };
    editor.note_code(&redirect);
    let (status, page) = visit(&redirect);
    assert_eq!(status, 200, "{page}");
    let signed_in = editor.finish_command(sign_in, |_| None);
    assert_eq!(signed_in["ok"], true, "{signed_in}");
    assert_eq!(signed_in["account"]["email"], "ada@example.test");
    assert_eq!(signed_in["account"]["name"], "Ada Lovelace");
    assert!(
        signed_in["scopes"]
            .to_string()
            .contains("urn:neoncloud:projects:read"),
        "{signed_in}"
    );
    assert!(signed_in["expiresAt"].as_u64().is_some(), "{signed_in}");
    let mut keys: Vec<&str> = signed_in
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["account", "accountProblem", "expiresAt", "ok", "scopes"]
    );
    editor
        .assert_shown(|text| text.contains("signed in to Neon as Ada Lovelace <ada@example.test>"));
    support::neon::assert_private_file(&editor.token_file());
    editor.note_tokens();
    let tokens = support::neon::tokens_in(&editor.token_file());
    assert!(tokens.iter().all(|token| provider.is_active(token)));

    // The stored sign-in is what pullConnection uses.
    let root = editor.root.clone();
    let pulled = editor.execute(PULL, all_choices(&root), confirm_write);
    assert_eq!(pulled["ok"], true, "{pulled}");
    assert_eq!(pulled["written"], true, "{pulled}");

    // Sign out: revoked at the provider, deleted here.
    let signed_out = editor.execute(SIGN_OUT, json!([]), |_| None);
    assert_eq!(
        signed_out,
        json!({"ok": true, "outcome": "revoked", "message": "Signed out of Neon: the tokens were revoked at Neon and deleted here."})
    );
    assert!(!editor.token_file().exists());
    for token in &tokens {
        assert!(!provider.is_active(token), "still active after sign-out");
    }
    let again = editor.execute(SIGN_OUT, json!([]), |_| None);
    assert_eq!(again["outcome"], "notSignedIn", "{again}");
    let refused = editor.execute(PULL, all_choices(&root), |_| None);
    assert_eq!(refused["ok"], false, "{refused}");
    assert_eq!(refused["error"]["kind"], "notSignedIn", "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("sign in first"),
        "{refused}"
    );
    editor.stop();
}

#[test]
fn a_client_that_cannot_open_documents_signs_in_with_the_pasted_redirect() {
    let Some(provider) = OidcProvider::start(ProviderOptions::default()) else {
        return;
    };
    let mock = api_mock(Some(&provider), 0);
    let mut editor = Editor::start(&sign_in_environment(&provider, &mock), json!({}), |_| {});
    let early = editor.execute(
        SIGN_IN_WITH_REDIRECT,
        json!([{"url": "http://127.0.0.1:1/callback?code=x&state=y"}]),
        |_| None,
    );
    assert_eq!(early["ok"], false, "{early}");
    assert!(
        early["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no Neon sign-in is waiting"),
        "{early}"
    );

    let sign_in = editor.start_command(SIGN_IN, json!([]));
    let shown = editor.server().wait_for(|m| {
        m["method"] == "window/showMessage"
            && m["params"]["message"]
                .as_str()
                .is_some_and(|text| text.contains("open this address in a browser"))
    });
    let text = shown["params"]["message"].as_str().unwrap();
    assert!(text.contains(SIGN_IN_WITH_REDIRECT), "{text}");
    let url = text
        .split_whitespace()
        .find(|word| word.starts_with(&format!("{}/auth?", provider.issuer)))
        .unwrap_or_else(|| panic!("no authorization URL in {text}"))
        .to_owned();
    assert!(!editor.received_any(|m| m["method"] == "window/showDocument"));
    // The browser is elsewhere: its redirect never reaches this machine's loopback.
    let BrowserEnd::Redirect(redirect) = drive_browser(&url, "ada", Consent::Approve) else {
        panic!("the provider did not redirect back");
    };
    editor.note_code(&redirect);
    let paste = |editor: &mut Editor, text: &str| {
        editor.execute(SIGN_IN_WITH_REDIRECT, json!([{"url": text}]), |_| None)
    };
    let wrong = paste(&mut editor, "the code was 1234");
    assert!(
        wrong["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not the redirected address"),
        "{wrong}"
    );
    let mut foreign = url::Url::parse(&redirect).unwrap();
    let pairs: Vec<(String, String)> = foreign
        .query_pairs()
        .map(|(key, value)| match key.as_ref() {
            "state" => (key.into_owned(), "from-another-attempt".to_owned()),
            _ => (key.into_owned(), value.into_owned()),
        })
        .collect();
    foreign.query_pairs_mut().clear().extend_pairs(pairs);
    let other = paste(&mut editor, foreign.as_str());
    assert!(
        other["error"]["message"]
            .as_str()
            .unwrap()
            .contains("belongs to another sign-in attempt"),
        "{other}"
    );
    assert_eq!(paste(&mut editor, &redirect), json!({"ok": true}));
    let signed_in = editor.finish_command(sign_in, |_| None);
    assert_eq!(signed_in["ok"], true, "{signed_in}");
    assert_eq!(signed_in["account"]["email"], "ada@example.test");
    support::neon::assert_private_file(&editor.token_file());
    editor.note_tokens();
    // The sign-in is over: nothing waits for a redirect any more.
    let late = paste(&mut editor, &redirect);
    assert_eq!(late["error"]["kind"], "noSignIn", "{late}");
    editor.stop();
}

/// Whether anything still answers on the sign-in's loopback port. (Asked at another path: a
/// request to the callback path itself would end the sign-in as a forged redirect.)
fn listening(redirect_uri: &str) -> bool {
    let probe = url::Url::parse(redirect_uri)
        .unwrap()
        .join("/probe")
        .unwrap();
    support::neon::block_on(async { reqwest::get(probe).await.is_ok() })
}

/// The `redirect_uri` an authorization URL names.
fn redirect_uri_of(authorization_url: &str) -> String {
    url::Url::parse(authorization_url)
        .unwrap()
        .query_pairs()
        .find(|(key, _)| key == "redirect_uri")
        .map(|(_, value)| value.into_owned())
        .unwrap()
}

#[test]
fn a_new_sign_in_replaces_a_waiting_one_and_cancelling_closes_the_listener() {
    let Some(provider) = OidcProvider::start(ProviderOptions::default()) else {
        return;
    };
    let mock = api_mock(Some(&provider), 0);
    let mut editor = Editor::start(
        &sign_in_environment(&provider, &mock),
        opens_documents(),
        |_| {},
    );
    let start = |editor: &mut Editor, opened: bool| {
        let id = editor.start_command(SIGN_IN, json!([]));
        let show = editor
            .server()
            .wait_for(|m| is_request(m, "window/showDocument"));
        editor.server().reply(&show, json!({"success": opened}));
        let url = show["params"]["uri"].as_str().unwrap().to_owned();
        (id, url)
    };
    // The editor could not open the first one, so the server shows its address instead.
    let (first, first_url) = start(&mut editor, false);
    let shown = editor.server().wait_for(|m| {
        m["method"] == "window/showMessage"
            && m["params"]["message"]
                .as_str()
                .is_some_and(|text| text.contains("open this address in a browser"))
    });
    assert!(
        shown["params"]["message"]
            .as_str()
            .unwrap()
            .contains(&first_url),
        "{shown}"
    );
    let (second, second_url) = start(&mut editor, true);
    let (first_redirect, second_redirect) =
        (redirect_uri_of(&first_url), redirect_uri_of(&second_url));
    let replaced = editor.finish_command(first, |_| None);
    assert_eq!(replaced["ok"], false, "{replaced}");
    assert_eq!(replaced["error"]["kind"], "superseded", "{replaced}");
    assert!(
        !listening(&first_redirect),
        "the replaced sign-in still listens"
    );
    assert!(listening(&second_redirect), "the new sign-in listens");

    // The user presses cancel on the second one's progress.
    let waiting = |m: &Value| progress_titled(m, "Waiting for the Neon sign-in in your browser…");
    if editor.received().iter().filter(|m| waiting(m)).count() < 2 {
        editor.server().wait_for(waiting);
    }
    let tokens: Vec<Value> = editor
        .received()
        .iter()
        .filter(|m| waiting(m))
        .map(|m| m["params"]["token"].clone())
        .collect();
    editor.server().notify(
        "window/workDoneProgress/cancel",
        json!({"token": tokens.last().unwrap()}),
    );
    let cancelled = editor.finish_command(second, |_| None);
    assert_eq!(cancelled, json!({"ok": false, "cancelled": true}));
    assert!(
        !listening(&second_redirect),
        "the cancelled sign-in still listens"
    );
    editor.assert_shown(|text| text.contains("Neon sign-in cancelled"));
    let late = editor.execute(
        SIGN_IN_WITH_REDIRECT,
        json!([{"url": format!("{second_redirect}?code=x&state=y")}]),
        |_| None,
    );
    assert_eq!(late["error"]["kind"], "noSignIn", "{late}");
    assert!(!editor.token_file().exists());
    editor.stop();
}

#[test]
fn without_a_client_id_or_credentials_the_commands_say_what_to_do() {
    let mock = api_mock(None, 0);
    let mut editor = Editor::start(
        &[(neon::env::API_URL, mock.url())],
        opens_documents(),
        |_| {},
    );
    let sign_in = editor.execute(SIGN_IN, json!([{}]), |_| None);
    assert_eq!(sign_in["ok"], false, "{sign_in}");
    assert_eq!(sign_in["error"]["kind"], "configuration", "{sign_in}");
    let message = sign_in["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("Partners page")
            && message.contains("NEON_OAUTH_CLIENT_ID")
            && message.contains("NEON_API_KEY"),
        "{message}"
    );
    editor.assert_shown(|text| text.contains(message));
    let root = editor.root.clone();
    let pull = editor.execute(PULL, json!([{"uri": uri(&root, "")}]), |_| None);
    assert_eq!(pull["error"]["kind"], "notSignedIn", "{pull}");
    assert!(
        pull["error"]["message"]
            .as_str()
            .unwrap()
            .contains("sign in first (command \"Sign in to Neon\", neon-lsp.signIn)"),
        "{pull}"
    );
    assert!(mock.requests().is_empty(), "nothing was asked of Neon");
    editor.stop();
}

/// A Python app in a git repository whose .gitignore covers .env; the code reads the variable
/// Service Connector sets for Python, which .env does not define yet.
fn python_app(root: &Path) {
    git(root, &["init", "-q"]);
    std::fs::write(root.join(".gitignore"), ".env\n").unwrap();
    std::fs::write(root.join("requirements.txt"), "psycopg2-binary\n").unwrap();
    std::fs::write(
        root.join("app.py"),
        "import os\ndsn = os.environ[\"NEON_POSTGRESQL_CONNECTIONSTRING\"]\n",
    )
    .unwrap();
    std::fs::write(root.join(".env"), "APP_MODE=dev\n").unwrap();
}

fn has_rule(diagnostics: &Value, rule: &str) -> bool {
    diagnostics
        .as_array()
        .is_some_and(|list| list.iter().any(|d| d["code"] == rule))
}

#[test]
fn pull_asks_in_the_editor_writes_env_and_the_diagnostics_follow() {
    // 14 projects: more than one message describes comfortably.
    let mock = api_mock(None, 12);
    let mut editor = Editor::start(&key_environment(&mock), opens_documents(), python_app);
    let root = editor.root.clone();
    let app = uri(&root, "app.py");
    editor
        .server()
        .diagnostics_for(&app, |d| has_rule(d, "undefined-in-env-file"));

    let mut questions: Vec<Value> = Vec::new();
    let result = editor.execute(PULL, json!([{"uri": uri(&root, "app.py")}]), |message| {
        if !is_request(message, "window/showMessageRequest") {
            return None;
        }
        let params = message["params"].clone();
        questions.push(params.clone());
        let text = params["message"].as_str().unwrap();
        let titles: Vec<&str> = params["actions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|action| action["title"].as_str().unwrap())
            .collect();
        let title = if text.starts_with("Which project") {
            "app"
        } else if text.starts_with("Which database") {
            "appdb"
        } else if text.starts_with("Write to ") {
            "Write .env"
        } else {
            // Branch and role: the default, which comes first.
            titles[0]
        };
        assert!(titles.contains(&title), "{title} not offered: {titles:?}");
        Some(json!({"title": title}))
    });
    assert_eq!(result["ok"], true, "{result}");
    assert_eq!(result["written"], true, "{result}");
    assert_eq!(result["project"]["name"], "app");
    assert_eq!(result["branch"]["name"], "main");
    assert_eq!(result["database"], "appdb");
    assert_eq!(result["role"], "app_owner");
    assert_eq!(
        result["clientType"], "python",
        "inferred from requirements.txt"
    );
    assert_eq!(
        result["variables"],
        json!(["NEON_POSTGRESQL_CONNECTIONSTRING"])
    );
    assert_eq!(
        result["envFile"],
        root.join(".env").to_string_lossy().as_ref()
    );

    let prompts: Vec<&str> = questions
        .iter()
        .map(|q| q["message"].as_str().unwrap().lines().next().unwrap())
        .collect();
    assert_eq!(prompts.len(), 5, "{prompts:?}");
    assert!(prompts[0].starts_with("Which project"), "{prompts:?}");
    assert!(prompts[1].starts_with("Which branch"), "{prompts:?}");
    assert!(prompts[2].starts_with("Which database"), "{prompts:?}");
    assert!(prompts[3].starts_with("Which role"), "{prompts:?}");
    assert!(prompts[4].starts_with("Write to "), "{prompts:?}");
    // Every project is offered, and the message says that not all are described.
    let projects = &questions[0];
    assert_eq!(projects["actions"].as_array().unwrap().len(), 14);
    assert!(
        projects["message"]
            .as_str()
            .unwrap()
            .contains("There are 14 options"),
        "{projects}"
    );
    assert_eq!(questions[1]["actions"][0]["title"], "main (default)");
    assert_eq!(questions[3]["actions"][0]["title"], "app_owner (default)");
    let confirm = questions[4]["message"].as_str().unwrap();
    assert!(
        confirm.contains("+ NEON_POSTGRESQL_CONNECTIONSTRING=") && confirm.contains("****"),
        "the diff is shown, masked: {confirm}"
    );
    assert!(
        confirm.contains("client type python (client type python, from requirements.txt)"),
        "{confirm}"
    );
    assert!(
        editor
            .received_any(|m| progress_titled(m, "neon-lsp: pulling connection details from Neon"))
    );

    let written = std::fs::read_to_string(root.join(".env")).unwrap();
    assert!(written.starts_with("APP_MODE=dev\n"), "{written}");
    assert!(
        written.contains("NEON_POSTGRESQL_CONNECTIONSTRING=")
            && written.contains(&endpoint_host("br-aged-salad-637688", false))
            && written.contains(PASSWORD),
        "the rendered variable is in the file"
    );
    // The server noticed its own write: the code's finding is gone, and the pulled file raises
    // none of neon-lsp's diagnostics.
    // (The server re-reads the folder before it answers, so the new list may be in already.)
    if editor.last_diagnostics(&app) != Some(json!([])) {
        editor.server().diagnostics_for(&app, |d| d == &json!([]));
    }
    let env_uri = uri(&root, ".env");
    editor.server().notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": env_uri, "languageId": "dotenv", "version": 1, "text": written}}),
    );
    let env_diagnostics = editor.server().diagnostics_for(&env_uri, |_| true);
    assert!(env_diagnostics.is_empty(), "{env_diagnostics:?}");
    editor.stop();
}

/// The command's arguments name neither the client type nor the connection: both come from the
/// connection the code reads (here a named one from neon-lsp.toml), so the pulled variables are
/// the ones the code expects and its finding goes.
#[test]
fn pull_writes_the_named_connection_the_code_reads() {
    let mock = api_mock(None, 0);
    let mut editor = Editor::start(&key_environment(&mock), opens_documents(), |root| {
        git(root, &["init", "-q"]);
        std::fs::write(root.join(".gitignore"), ".env\n").unwrap();
        std::fs::write(
            root.join("neon-lsp.toml"),
            "[[connection]]\ntarget = \"neon\"\nclient-type = \"django\"\nname = \"reports\"\n",
        )
        .unwrap();
        std::fs::write(
            root.join("reports.py"),
            "import os\nDATABASES = {\"default\": {\"NAME\": os.environ[\"NEON_POSTGRESQL_REPORTS_NAME\"], \"HOST\": os.environ[\"NEON_POSTGRESQL_REPORTS_HOST\"], \"USER\": os.environ[\"NEON_POSTGRESQL_REPORTS_USER\"], \"PASSWORD\": os.environ[\"NEON_POSTGRESQL_REPORTS_PASSWORD\"], \"OPTIONS\": {\"sslmode\": \"require\"}}}\n",
        )
        .unwrap();
        std::fs::write(root.join(".env"), "APP_MODE=dev\n").unwrap();
    });
    let root = editor.root.clone();
    let code = uri(&root, "reports.py");
    editor
        .server()
        .diagnostics_for(&code, |d| has_rule(d, "undefined-in-env-file"));
    let mut arguments = all_choices(&root);
    arguments[0]["uri"] = json!(code);
    arguments[0].as_object_mut().unwrap().remove("clientType");
    let mut confirmation = String::new();
    let result = editor.execute(PULL, arguments, |message| {
        if is_request(message, "window/showMessageRequest") {
            confirmation = message["params"]["message"].as_str().unwrap().to_owned();
        }
        confirm_write(message)
    });
    assert_eq!(result["written"], true, "{result}");
    assert_eq!(result["clientType"], "django", "{result}");
    let variables: Vec<&str> = result["variables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|name| name.as_str().unwrap())
        .collect();
    assert!(
        variables.contains(&"NEON_POSTGRESQL_REPORTS_NAME")
            && variables
                .iter()
                .all(|name| name.starts_with("NEON_POSTGRESQL_REPORTS_")),
        "{variables:?}"
    );
    assert!(
        confirmation.contains("neon-lsp.toml"),
        "the reason: {confirmation}"
    );
    if editor.last_diagnostics(&code) != Some(json!([])) {
        editor.server().diagnostics_for(&code, |d| d == &json!([]));
    }
    editor.stop();
}

#[test]
fn a_dismissed_choice_cancels_the_pull() {
    let mock = api_mock(None, 0);
    let mut editor = Editor::start(&key_environment(&mock), opens_documents(), python_app);
    let root = editor.root.clone();
    let result = editor.execute(PULL, json!([{"uri": uri(&root, "")}]), |message| {
        // The user closes the first question without choosing.
        is_request(message, "window/showMessageRequest").then_some(Value::Null)
    });
    assert_eq!(
        result,
        json!({"ok": false, "cancelled": true, "written": false})
    );
    assert_eq!(
        std::fs::read_to_string(root.join(".env")).unwrap(),
        "APP_MODE=dev\n"
    );
    assert!(
        mock.requests_to("/projects/misty-sun-123456/connection_uri")
            .is_empty()
    );
    editor.stop();
}

#[test]
fn a_git_tracked_env_file_is_written_only_when_the_user_overrides_the_warning() {
    let mock = api_mock(None, 0);
    let mut editor = Editor::start(&key_environment(&mock), opens_documents(), |root| {
        git(root, &["init", "-q"]);
        std::fs::write(root.join(".env"), "APP_MODE=dev\n").unwrap();
        git(root, &["add", ".env"]);
        git(root, &["commit", "-q", "-m", "env"]);
    });
    let root = editor.root.clone();
    let original = "APP_MODE=dev\n";
    let env_text = || std::fs::read_to_string(root.join(".env")).unwrap();
    // One question, a warning that says why, shows the masked change and offers the override.
    let warned = |message: &Value| {
        assert!(
            is_request(message, "window/showMessageRequest"),
            "{message}"
        );
        let params = &message["params"];
        let text = params["message"].as_str().unwrap();
        assert_eq!(params["type"], 2, "a warning: {message}");
        assert!(
            text.starts_with("Git tracks .env, so the database password would be committed")
                && text.contains("add .env to .gitignore")
                && text.contains("+ NEON_POSTGRESQL_CONNECTIONSTRING=")
                && text.contains("password=****")
                && !text.contains("--force"),
            "{text}"
        );
        assert_eq!(
            params["actions"],
            json!([{"title": "Write anyway"}, {"title": "Cancel"}])
        );
    };

    // Cancel: nothing written.
    let mut questions = 0;
    let cancelled = editor.execute(PULL, all_choices(&root), |message| {
        if !is_request(message, "window/showMessageRequest") {
            return None;
        }
        questions += 1;
        warned(message);
        Some(json!({"title": "Cancel"}))
    });
    assert_eq!(questions, 1);
    assert_eq!(cancelled["written"], false, "{cancelled}");
    assert_eq!(cancelled["cancelled"], true, "{cancelled}");
    assert_eq!(env_text(), original);

    // An editor that cannot ask: refused, saying why and how to override.
    let id = editor.start_command(PULL, all_choices(&root));
    let question = editor
        .server()
        .wait_for(|message| is_request(message, "window/showMessageRequest"));
    editor
        .server()
        .reply_error(&question, -32601, "showMessageRequest is not supported");
    let refused = editor.finish_command(id, |_| None);
    assert_eq!(refused["ok"], false, "{refused}");
    assert_eq!(refused["error"]["kind"], "refused", "{refused}");
    let message = refused["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("git tracks .env")
            && message.contains("choose \"Write anyway\" when the editor asks")
            && message.contains("pass \"force\": true")
            && !message.contains("--force"),
        "{message}"
    );
    editor.assert_shown(|text| text.contains(message));
    assert_eq!(env_text(), original);

    // Write anyway: written at once (the override is the confirmation).
    let mut questions = 0;
    let overridden = editor.execute(PULL, all_choices(&root), |message| {
        if !is_request(message, "window/showMessageRequest") {
            return None;
        }
        questions += 1;
        warned(message);
        Some(json!({"title": "Write anyway"}))
    });
    assert_eq!(questions, 1);
    assert_eq!(overridden["written"], true, "{overridden}");
    assert!(
        overridden["forcedPast"]
            .as_str()
            .unwrap()
            .contains("git tracks .env"),
        "{overridden}"
    );
    assert!(env_text().contains("NEON_POSTGRESQL_CONNECTIONSTRING="));

    // "force": true skips the warning; the confirmation says what it overrides.
    std::fs::write(root.join(".env"), original).unwrap();
    let mut arguments = all_choices(&root);
    arguments[0]["force"] = json!(true);
    let mut confirmation = String::new();
    let forced = editor.execute(PULL, arguments, |message| {
        if is_request(message, "window/showMessageRequest") {
            confirmation = message["params"]["message"].as_str().unwrap().to_owned();
        }
        confirm_write(message)
    });
    assert_eq!(forced["written"], true, "{forced}");
    assert!(
        confirmation.contains("Written despite this, because \"force\" is set"),
        "{confirmation}"
    );
    editor.stop();
}
