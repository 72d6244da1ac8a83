//! `neon-lsp pull` end to end: the real binary against a local server speaking the Neon API
//! (tests/support/neon.rs) — cursor pagination across organizations, every client type's
//! variables merged into a .env file that `neon-lsp check` then accepts, missing choices without
//! a terminal and the prompts on a real pseudo-terminal (rexpect), git-tracked files, retries on
//! 5xx and 429 Retry-After, 401 and 403 naming the request — and the library API the language
//! server uses, with a scripted chooser and cancellation by dropping the future. No output may
//! contain the database password.

mod support;

use neon_lsp::catalogue::ClientType;
use neon_lsp::neon::pull::{
    self, ChoiceError, Chooser, PullOptions, PullPlan, PullRequest, Question, QuestionKind,
};
use neon_lsp::neon::{self, Settings};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use support::git::git;
use support::neon::{Fault, MockAuth, MockData, NeonApiMock, PASSWORD, endpoint_host};

const API_KEY: &str = "napi_test_key_7f3b2c9d";
/// An organization API key of org-bold-sky-12345 (the organization of project `app`).
const ORG_KEY: &str = "napi_org_key_4d81a0e6";
/// A project-scoped API key of project `app` (misty-sun-123456).
const PROJECT_KEY: &str = "napi_project_key_95c2e7b1";
const APP_ID: &str = "misty-sun-123456";
const APP_ORG: &str = "org-bold-sky-12345";

fn mock() -> NeonApiMock {
    NeonApiMock::start(
        MockData::standard(230),
        MockAuth {
            api_keys: vec![API_KEY.to_owned()],
            org_keys: vec![(ORG_KEY.to_owned(), APP_ORG.to_owned())],
            project_keys: vec![(PROJECT_KEY.to_owned(), APP_ID.to_owned())],
            ..MockAuth::default()
        },
    )
}

struct Run {
    output: Output,
}

impl Run {
    fn code(&self) -> Option<i32> {
        self.output.status.code()
    }
    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }
    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }
    fn all(&self) -> String {
        format!("{}{}", self.stdout(), self.stderr())
    }
}

/// Runs the binary in `dir` with a private config folder and `env`; stdin is not a terminal.
fn neon_lsp(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Run {
    let config = dir.join(".neon-lsp-test-config");
    let output = Command::new(env!("CARGO_BIN_EXE_neon-lsp"))
        .args(args)
        .current_dir(dir)
        .env_remove(neon::env::API_KEY)
        .env_remove(neon::env::CLIENT_ID)
        .env_remove(neon::env::OIDC_URL)
        .env_remove(neon::env::API_URL)
        .env_remove("BROWSER")
        .env(neon::env::CONFIG_DIR, &config)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("run neon-lsp");
    let run = Run { output };
    assert!(
        [PASSWORD, API_KEY, ORG_KEY, PROJECT_KEY]
            .iter()
            .all(|secret| !run.all().contains(secret)),
        "a secret reached the output:\n{}",
        run.all()
    );
    run
}

/// A git repository whose .gitignore covers .env, with an existing .env.
fn project(env_text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q"]);
    std::fs::write(
        dir.path().join(".gitignore"),
        ".env\n.neon-lsp-test-config/\n",
    )
    .unwrap();
    std::fs::write(dir.path().join(".env"), env_text).unwrap();
    dir
}

const EXISTING: &str = "# local settings\nAPP_MODE=dev\nFEATURE_FLAGS=\"a,b\"  # keep\n";

fn key_env(mock: &NeonApiMock) -> Vec<(&'static str, String)> {
    vec![
        (neon::env::API_KEY, API_KEY.to_owned()),
        (neon::env::API_URL, mock.url()),
    ]
}

/// `pull` with the app's project, main branch, appdb and app_owner chosen, then `rest`.
fn app_main<'a>(rest: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "pull",
        "--project",
        "app",
        "--branch",
        "main",
        "--database",
        "appdb",
        "--role",
        "app_owner",
    ];
    args.extend_from_slice(rest);
    args
}

fn with<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    env.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

#[test]
fn every_client_types_variables_are_written_and_pass_check() {
    let mock = mock();
    let env = key_env(&mock);
    for client in ClientType::ALL {
        let dir = project(EXISTING);
        let snippet = neon_lsp::snippet::generate(&neon_lsp::snippet::SnippetRequest {
            target: neon_lsp::catalogue::Target::Neon,
            client_type: client,
            auth: neon_lsp::catalogue::AuthType::Secret,
            name: None,
            customized_keys: Vec::new(),
        })
        .unwrap();
        for file in &snippet.files {
            let path = dir.path().join(&file.suggested_path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, &file.text).unwrap();
        }
        let run = neon_lsp(
            dir.path(),
            &with(&env),
            &app_main(&["--client-type", client.id(), "--yes"]),
        );
        assert_eq!(run.code(), Some(0), "{client}: {}", run.all());
        assert!(run.stdout().contains("Wrote "), "{}", run.stdout());
        assert!(
            run.stdout().contains("****"),
            "the diff masks the password: {}",
            run.stdout()
        );
        let written = std::fs::read_to_string(dir.path().join(".env")).unwrap();
        assert!(
            written.starts_with(EXISTING),
            "{client}: other lines kept in order"
        );
        // Read back the way an app's loader reads it.
        let values: std::collections::HashMap<String, String> =
            dotenvy::from_read_iter(written.as_bytes())
                .map(|item| item.unwrap())
                .collect();
        assert_eq!(values["APP_MODE"], "dev");
        let all_values = values.values().cloned().collect::<Vec<_>>().join("\n");
        assert!(
            all_values.contains(&endpoint_host("br-aged-salad-637688", false)),
            "{client}"
        );
        // .NET's documented string carries no password (service-connector.md §6.2), ours does.
        assert!(
            all_values.contains(PASSWORD),
            "{client}: the password is in the file"
        );
        let check = Command::new(env!("CARGO_BIN_EXE_neon-lsp"))
            .args(["check", "--format", "json", "--client-type", client.id()])
            .arg(dir.path())
            .output()
            .unwrap();
        let report: serde_json::Value = serde_json::from_slice(&check.stdout).unwrap();
        assert_eq!(
            report["diagnostics"].as_array().unwrap().len(),
            0,
            "{client}: {}",
            serde_json::to_string_pretty(&report["diagnostics"]).unwrap()
        );
        // Pulling again changes nothing.
        let again = neon_lsp(
            dir.path(),
            &with(&env),
            &[
                "pull",
                "--project",
                "misty-sun-123456",
                "--branch",
                "br-aged-salad-637688",
                "--database",
                "appdb",
                "--role",
                "app_owner",
                "--client-type",
                client.id(),
            ],
        );
        assert_eq!(again.code(), Some(0), "{}", again.all());
        assert!(
            again.stdout().contains("nothing to change"),
            "{}",
            again.stdout()
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join(".env")).unwrap(),
            written
        );
    }
    // The organization's 231 projects came in pages of 100, each asking after the last id.
    let pages: Vec<String> = mock
        .requests_to("/projects?")
        .into_iter()
        .map(|request| request.target)
        .filter(|target| target.contains("org_id=org-bold-sky-12345"))
        .take(3)
        .collect();
    assert_eq!(pages.len(), 3, "{pages:?}");
    assert!(!pages[0].contains("cursor="), "{pages:?}");
    assert!(pages[1].contains("cursor=filler-proj-200099"), "{pages:?}");
    assert!(pages[2].contains("cursor=filler-proj-200199"), "{pages:?}");
    assert!(
        mock.requests_to("/projects?")
            .iter()
            .any(|request| !request.target.contains("org_id")),
        "personal projects are listed too"
    );
}

#[test]
fn pooled_connections_use_the_pooler_host() {
    let mock = mock();
    let env = key_env(&mock);
    let dir = project("");
    let run = neon_lsp(
        dir.path(),
        &with(&env),
        &[
            "pull",
            "--project",
            "app",
            "--branch",
            "dev",
            "--database",
            "appdb",
            "--role",
            "app_owner",
            "--client-type",
            "python",
            "--pooled",
            "--yes",
        ],
    );
    assert_eq!(run.code(), Some(0), "{}", run.all());
    let written = std::fs::read_to_string(dir.path().join(".env")).unwrap();
    assert!(
        written.contains(&endpoint_host("br-sweet-breeze-497520", true)),
        "{written}"
    );
    assert!(written.contains("sslmode=require"), "{written}");
}

#[test]
fn without_a_terminal_a_missing_choice_names_its_flag() {
    let mock = mock();
    let env = key_env(&mock);
    let dir = project(EXISTING);
    let cases: [(&[&str], &str); 4] = [
        (&["pull", "--client-type", "go", "--yes"], "pass --project"),
        (
            &[
                "pull",
                "--project",
                "app",
                "--branch",
                "main",
                "--client-type",
                "go",
                "--yes",
            ],
            "pass --database",
        ),
        (&app_main(&["--yes"]), "pass --client-type"),
        (&app_main(&["--client-type", "go"]), "pass --yes"),
    ];
    for (args, expected) in cases {
        let run = neon_lsp(dir.path(), &with(&env), args);
        assert_eq!(run.code(), Some(2), "{args:?}: {}", run.all());
        assert!(
            run.stderr().contains(expected),
            "{args:?}: {}",
            run.stderr()
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join(".env")).unwrap(),
            EXISTING
        );
    }
    let unknown = neon_lsp(
        dir.path(),
        &with(&env),
        &["pull", "--project", "nope", "--client-type", "go", "--yes"],
    );
    assert_eq!(unknown.code(), Some(2));
    assert!(
        unknown.stderr().contains("no project nope") && unknown.stderr().contains("available: "),
        "{}",
        unknown.stderr()
    );
    // With a manifest the client type is inferred the way `check` infers it.
    std::fs::write(dir.path().join("package.json"), "{\"name\": \"app\"}\n").unwrap();
    let inferred = neon_lsp(dir.path(), &with(&env), &app_main(&["--yes"]));
    assert_eq!(inferred.code(), Some(0), "{}", inferred.all());
    assert!(
        inferred.stdout().contains("client type nodejs, from ")
            && inferred.stdout().contains("package.json"),
        "{}",
        inferred.stdout()
    );
    assert!(
        std::fs::read_to_string(dir.path().join(".env"))
            .unwrap()
            .contains("NEON_POSTGRESQL_SSL=true")
    );
}

#[test]
fn a_password_is_not_written_where_git_would_commit_it_unless_forced() {
    let mock = mock();
    let env = key_env(&mock);
    let args = app_main(&["--client-type", "python", "--yes"]);
    // Tracked.
    let tracked = tempfile::tempdir().unwrap();
    git(tracked.path(), &["init", "-q"]);
    std::fs::write(
        tracked.path().join(".gitignore"),
        ".neon-lsp-test-config/\n",
    )
    .unwrap();
    std::fs::write(tracked.path().join(".env"), EXISTING).unwrap();
    git(tracked.path(), &["add", ".env", ".gitignore"]);
    git(tracked.path(), &["commit", "-q", "-m", "env"]);
    let refused = neon_lsp(tracked.path(), &with(&env), &args);
    assert_eq!(refused.code(), Some(2), "{}", refused.all());
    assert!(
        refused.stderr().contains("git tracks .env") && refused.stderr().contains("--force"),
        "{}",
        refused.stderr()
    );
    assert_eq!(
        std::fs::read_to_string(tracked.path().join(".env")).unwrap(),
        EXISTING
    );
    // Untracked and not ignored: the next `git add .` would commit it.
    let untracked = tempfile::tempdir().unwrap();
    git(untracked.path(), &["init", "-q"]);
    std::fs::write(
        untracked.path().join(".gitignore"),
        ".neon-lsp-test-config/\n",
    )
    .unwrap();
    let refused = neon_lsp(untracked.path(), &with(&env), &args);
    assert_eq!(refused.code(), Some(2), "{}", refused.all());
    assert!(
        refused.stderr().contains("git does not ignore .env"),
        "{}",
        refused.stderr()
    );
    assert!(!untracked.path().join(".env").exists());
    // --force writes, and says what it overrode.
    let mut forced_args = args.to_vec();
    forced_args.push("--force");
    let forced = neon_lsp(tracked.path(), &with(&env), &forced_args);
    assert_eq!(forced.code(), Some(0), "{}", forced.all());
    assert!(
        forced.stderr().contains("written despite: git tracks .env"),
        "{}",
        forced.stderr()
    );
    assert!(
        std::fs::read_to_string(tracked.path().join(".env"))
            .unwrap()
            .contains("NEON_POSTGRESQL_CONNECTIONSTRING=")
    );
}

#[test]
fn server_errors_and_rate_limits_are_retried_as_neon_asks() {
    let mock = mock();
    mock.fail(Fault {
        path: "/users/me/organizations".into(),
        status: 503,
        retry_after: None,
        times: 2,
    });
    mock.fail(Fault {
        path: "/projects/misty-sun-123456/branches".into(),
        status: 500,
        retry_after: None,
        times: 1,
    });
    mock.fail(Fault {
        path: "/projects/misty-sun-123456/connection_uri".into(),
        status: 429,
        retry_after: Some("1".into()),
        times: 1,
    });
    let env = key_env(&mock);
    let dir = project(EXISTING);
    let run = neon_lsp(
        dir.path(),
        &with(&env),
        &app_main(&["--client-type", "ruby", "--yes"]),
    );
    assert_eq!(run.code(), Some(0), "{}", run.all());
    let stderr = run.stderr();
    assert!(
        stderr.contains("GET /users/me/organizations: Neon answered 503; retrying"),
        "{stderr}"
    );
    assert!(stderr.contains("Neon answered 500; retrying"), "{stderr}");
    assert!(
        stderr.contains("rate limit was hit; waiting 1.0 s as it asks"),
        "Retry-After is honoured: {stderr}"
    );
    let statuses = |path: &str| -> Vec<u16> {
        mock.requests()
            .into_iter()
            .filter(|request| request.target.split('?').next() == Some(path))
            .map(|request| request.status)
            .collect()
    };
    assert_eq!(statuses("/users/me/organizations"), [503, 503, 200]);
    assert_eq!(statuses("/projects/misty-sun-123456/branches"), [500, 200]);
    assert_eq!(
        statuses("/projects/misty-sun-123456/connection_uri"),
        [429, 200]
    );
}

#[test]
fn failures_name_the_request_and_what_to_do() {
    let mock = mock();
    let env = key_env(&mock);
    let dir = project(EXISTING);
    let args = app_main(&["--client-type", "go", "--yes"]);
    // 5xx that does not stop: bounded retries, then the request and the attempts.
    mock.fail(Fault {
        path: "/users/me/organizations".into(),
        status: 502,
        retry_after: None,
        times: 100,
    });
    let run = neon_lsp(dir.path(), &with(&env), &args);
    assert_eq!(run.code(), Some(1), "{}", run.all());
    assert!(
        run.stderr()
            .contains("error: GET /users/me/organizations: Neon answered 502 after 4 attempts"),
        "{}",
        run.stderr()
    );
    let mock = self::mock();
    let env = key_env(&mock);
    // A Retry-After too long to wait for is reported, not slept on.
    mock.fail(Fault {
        path: "/projects/misty-sun-123456/branches".into(),
        status: 429,
        retry_after: Some("3600".into()),
        times: 1,
    });
    let run = neon_lsp(dir.path(), &with(&env), &args);
    assert_eq!(run.code(), Some(1), "{}", run.all());
    assert!(
        run.stderr().contains("GET /projects/misty-sun-123456/branches: Neon's rate limit was hit (429 Too Many Requests); it asks to wait 3600 s"),
        "{}",
        run.stderr()
    );
    // A wrong API key: 401, named, with the way out.
    let wrong = [
        (neon::env::API_KEY, "napi_wrong"),
        (neon::env::API_URL, env[1].1.as_str()),
    ];
    let run = neon_lsp(dir.path(), &wrong, &args);
    assert_eq!(run.code(), Some(2), "{}", run.all());
    assert!(
        run.stderr()
            .contains("GET /projects?limit=100: Neon rejected the credentials (401 Unauthorized)")
            && run.stderr().contains("check NEON_API_KEY"),
        "{}",
        run.stderr()
    );
    // A sign-in without the organizations scope: 403 names the scope.
    let token = "signed-in-token-without-orgs-scope";
    let mock = NeonApiMock::start(
        MockData::standard(0),
        MockAuth {
            tokens: vec![(
                token.to_owned(),
                vec![support::neon::SCOPE_PROJECTS_READ.to_owned()],
            )],
            ..MockAuth::default()
        },
    );
    let store = neon::token_store::TokenStore::new(dir.path().join(".neon-lsp-test-config"));
    store
        .save(&neon::token_store::StoredSession {
            issuer: "http://127.0.0.1:1".into(),
            client_id: "neon-lsp-test".into(),
            token_endpoint: url::Url::parse("http://127.0.0.1:1/token").unwrap(),
            revocation_endpoint: None,
            access_token: neon::Secret::new(token),
            refresh_token: None,
            expires_at: None,
            scopes: vec!["openid".into(), support::neon::SCOPE_PROJECTS_READ.into()],
            account: None,
            obtained_at: 0,
        })
        .unwrap();
    let url = mock.url();
    let run = neon_lsp(dir.path(), &[(neon::env::API_URL, url.as_str())], &args);
    assert_eq!(run.code(), Some(1), "{}", run.all());
    assert!(
        run.stderr()
            .contains("GET /users/me/organizations: Neon refused the request (403 Forbidden)")
            && run
                .stderr()
                .contains("the sign-in lacks the scope urn:neoncloud:orgs:read"),
        "{}",
        run.stderr()
    );
    assert!(!run.all().contains(token));
    assert_eq!(
        std::fs::read_to_string(dir.path().join(".env")).unwrap(),
        EXISTING
    );
}

/// Answers like a person in an editor would: by label, or the suggested default.
struct ScriptedChooser {
    answers: Vec<Option<&'static str>>,
    asked: Vec<Question>,
    confirmed: Vec<Vec<String>>,
}

impl Chooser for ScriptedChooser {
    async fn choose(&mut self, question: &Question) -> Result<usize, ChoiceError> {
        self.asked.push(question.clone());
        match self.answers.remove(0) {
            Some(label) => question
                .options
                .iter()
                .position(|option| option.label == label)
                .ok_or(ChoiceError::Cancelled),
            None => question.default.ok_or(ChoiceError::Cancelled),
        }
    }

    async fn confirm(&mut self, plan: &PullPlan) -> Result<bool, ChoiceError> {
        self.confirmed.push(plan.merge.diff_lines());
        Ok(true)
    }
}

/// Never answers: the editor's dialog is still open when the user cancels the command.
struct SilentChooser;

impl Chooser for SilentChooser {
    async fn choose(&mut self, _: &Question) -> Result<usize, ChoiceError> {
        std::future::pending().await
    }

    async fn confirm(&mut self, _: &PullPlan) -> Result<bool, ChoiceError> {
        std::future::pending().await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_library_asks_through_a_chooser_and_stops_when_dropped() {
    let mock = NeonApiMock::start(
        MockData::standard(3),
        MockAuth {
            api_keys: vec![API_KEY.to_owned()],
            ..MockAuth::default()
        },
    );
    let dir = tempfile::tempdir().unwrap();
    let settings = Settings::from_lookup(|name| match name {
        neon::env::API_KEY => Some(API_KEY.to_owned()),
        neon::env::API_URL => Some(mock.url()),
        neon::env::CONFIG_DIR => Some(dir.path().display().to_string()),
        _ => None,
    })
    .unwrap();
    let api = neon::api::NeonApi::from_settings(&settings, neon::http_client().unwrap());
    let request = PullRequest {
        suggested_client_type: Some((ClientType::Python, "from requirements.txt".into())),
        ..PullRequest::default()
    };
    let options = PullOptions {
        env_file: dir.path().join(".env"),
        yes: false,
        force: false,
        audience: neon_lsp::audience::Audience::Cli,
    };
    let mut chooser = ScriptedChooser {
        // project, branch (default), database, role (default), client type (default)
        answers: vec![Some("app"), None, Some("appdb"), None, None],
        asked: Vec::new(),
        confirmed: Vec::new(),
    };
    let outcome = pull::pull(&api, &request, &options, &mut chooser)
        .await
        .unwrap();
    assert!(outcome.written);
    let kinds: Vec<QuestionKind> = chooser.asked.iter().map(|q| q.kind).collect();
    assert_eq!(
        kinds,
        [
            QuestionKind::Project,
            QuestionKind::Branch,
            QuestionKind::Database,
            QuestionKind::Role,
            QuestionKind::ClientType
        ]
    );
    let project = &chooser.asked[0];
    let app = project.options.iter().find(|o| o.label == "app").unwrap();
    assert_eq!(app.detail.as_deref(), Some("misty-sun-123456 — Acme"));
    assert!(project.options.iter().any(|o| o.label == "personal-sandbox"
        && o.detail.as_deref() == Some("quiet-lake-100001 — personal")));
    let branch = &chooser.asked[1];
    assert_eq!(branch.options[branch.default.unwrap()].label, "main");
    let role = &chooser.asked[3];
    assert_eq!(
        role.options[role.default.unwrap()].label,
        "app_owner",
        "the database owner"
    );
    let client = &chooser.asked[4];
    assert_eq!(client.options[client.default.unwrap()].label, "python");
    assert_eq!(outcome.plan.selection.client_type, ClientType::Python);
    let diff = chooser.confirmed.concat().join("\n");
    assert!(
        diff.contains("+ NEON_POSTGRESQL_CONNECTIONSTRING=") && !diff.contains(PASSWORD),
        "{diff}"
    );
    assert!(
        std::fs::read_to_string(dir.path().join(".env"))
            .unwrap()
            .contains("sslmode=require user=app_owner password=")
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join(".env"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o777,
            0o600,
            "a new .env holding a password is private"
        );
    }

    // Dropping the future (the user cancelled while a question was open) writes nothing.
    let other = PullOptions {
        env_file: dir.path().join(".env.local"),
        ..options
    };
    let dropped = tokio::time::timeout(
        std::time::Duration::from_millis(500),
        pull::pull(&api, &PullRequest::default(), &other, &mut SilentChooser),
    )
    .await;
    assert!(dropped.is_err());
    assert!(!dir.path().join(".env.local").exists());
}

/// `neon-lsp pull` on a real pseudo-terminal: it asks for every choice not given, accepts a
/// number, a name or Enter for the default, says so when an answer is not on the list, shows the
/// change with the password masked and writes only after "y"; "n" leaves the file as it was.
#[test]
fn on_a_terminal_pull_asks_for_each_choice_and_confirms_before_writing() {
    let mock = NeonApiMock::start(
        MockData::standard(0),
        MockAuth {
            api_keys: vec![API_KEY.to_owned()],
            ..MockAuth::default()
        },
    );
    let dir = project(EXISTING);
    // Each step: what to wait for on the terminal, then the line to type.
    let converse = |steps: &[(&str, &str)], last: &str| -> String {
        let mut command = Command::new(env!("CARGO_BIN_EXE_neon-lsp"));
        command
            .arg("pull")
            .current_dir(dir.path())
            .env_remove(neon::env::CLIENT_ID)
            .env_remove(neon::env::OIDC_URL)
            .env_remove("BROWSER")
            .env(
                neon::env::CONFIG_DIR,
                dir.path().join(".neon-lsp-test-config"),
            )
            .env(neon::env::API_KEY, API_KEY)
            .env(neon::env::API_URL, mock.url());
        let mut terminal =
            rexpect::session::spawn_command(command, Some(30_000)).expect("start on a pty");
        let mut transcript = String::new();
        for (wait_for, answer) in steps.iter().chain([&(last, "")]) {
            match terminal.exp_string(wait_for) {
                Ok(before) => transcript.push_str(&(before + wait_for)),
                Err(error) => panic!("waiting for {wait_for:?}: {error}\nso far:\n{transcript}"),
            }
            if *wait_for != last {
                terminal.send_line(answer).expect("type on the pty");
            }
        }
        transcript.push_str(&terminal.exp_eof().expect("the end of the output"));
        let status = terminal.process().wait().expect("the exit status");
        // rexpect does not re-export nix's WaitStatus; its Debug form is `Exited(Pid(n), code)`.
        let status = format!("{status:?}");
        assert!(
            status.starts_with("Exited(") && status.ends_with(", 0)"),
            "exit status {status}\n{transcript}"
        );
        assert!(
            !transcript.contains(PASSWORD) && !transcript.contains(API_KEY),
            "a secret reached the terminal:\n{transcript}"
        );
        transcript
    };

    // By name, a wrong number, Enter for the default; then "n".
    let declined = converse(
        &[
            ("Which project?", "99"),
            ("Type a number from the list.", "app"),
            ("Which branch in project app?", ""),
            ("Which database on branch main?", "appdb"),
            ("Which role on branch main?", ""),
            ("Which client type", "python"),
            ("[y/N] ", "n"),
        ],
        "Nothing written.",
    );
    assert!(
        declined.contains("personal-sandbox") && declined.contains("[1-2, Enter for 1]"),
        "{declined}"
    );
    assert!(
        declined.contains(
            "+ NEON_POSTGRESQL_CONNECTIONSTRING=dbname=appdb host=ep-aged-salad-637688.eastus2.azure.neon.tech port=5432 sslmode=require user=app_owner password=****"
        ),
        "the change is shown, masked:\n{declined}"
    );
    let env_path = dir.path().join(".env");
    assert_eq!(std::fs::read_to_string(&env_path).unwrap(), EXISTING);

    // By number; then "y".
    let written = converse(
        &[
            ("Which project?", "2"),
            // dev has one database and one role: nothing to ask.
            ("Which branch in project app?", "2"),
            ("Which client type", "4"),
            ("[y/N] ", "y"),
        ],
        "Wrote 1 variable to .env.",
    );
    assert!(
        written.contains("branch dev") && !written.contains("Which database"),
        "{written}"
    );
    let env = std::fs::read_to_string(&env_path).unwrap();
    assert!(
        env.starts_with(EXISTING),
        "other keys kept in order:\n{env}"
    );
    let pulled = dotenvy::from_path_iter(&env_path)
        .unwrap()
        .map(|item| item.unwrap())
        .find(|(key, _)| key == "NEON_POSTGRESQL_CONNECTIONSTRING")
        .expect("the pulled variable");
    assert!(
        pulled.1.contains("host=ep-sweet-breeze-497520.")
            && pulled.1.contains("password=dev-branch-Pa55"),
        "{}",
        pulled.1
    );
}

/// `pull` with `key` against `mock`, in a fresh project; returns the run and the .env text.
fn pull_with_key(mock: &NeonApiMock, key: &str, args: &[&str]) -> (Run, String) {
    let dir = project(EXISTING);
    let url = mock.url();
    let run = neon_lsp(
        dir.path(),
        &[
            (neon::env::API_KEY, key),
            (neon::env::API_URL, url.as_str()),
        ],
        args,
    );
    let env_file = std::fs::read_to_string(dir.path().join(".env")).unwrap();
    (run, env_file)
}

/// A pull with `key` on a fresh mock that writes the app's connection without asking a user
/// endpoint; returns the request targets.
fn pulled_without_user_endpoints(key: &str, args: &[&str]) -> Vec<String> {
    let mock = mock();
    let (run, env_file) = pull_with_key(&mock, key, args);
    let targets = assert_pulled(&mock, &run, &env_file);
    assert!(
        targets.iter().all(|target| !target.starts_with("/users/")),
        "{targets:?}"
    );
    targets
}

/// Asserts a pull wrote the app's main branch connection, and returns the request targets.
fn assert_pulled(mock: &NeonApiMock, run: &Run, env_file: &str) -> Vec<String> {
    assert_eq!(run.code(), Some(0), "{}", run.all());
    assert!(
        env_file.contains(&endpoint_host("br-aged-salad-637688", false)),
        "{env_file}"
    );
    mock.requests()
        .into_iter()
        .map(|request| request.target)
        .collect()
}

#[test]
fn every_kind_of_api_key_pulls_and_user_endpoints_are_needed_only_to_search() {
    let by_id = [
        "pull",
        "--project",
        APP_ID,
        "--branch",
        "main",
        "--database",
        "appdb",
        "--role",
        "app_owner",
        "--client-type",
        "nodejs",
        "--yes",
    ];
    let by_name = app_main(&["--client-type", "nodejs", "--yes"]);
    for key in [API_KEY, ORG_KEY, PROJECT_KEY] {
        // A project id goes straight to the project: no list, no user endpoint.
        let targets = pulled_without_user_endpoints(key, &by_id);
        assert_eq!(targets[0], format!("/projects/{APP_ID}"), "{targets:?}");
        assert!(
            !targets
                .iter()
                .any(|target| target.starts_with("/projects?")),
            "{targets:?}"
        );
    }

    // An organization key lists its organization's projects (GET /projects infers org_id from
    // the key) and finds the project by name there, on the third page.
    let targets = pulled_without_user_endpoints(ORG_KEY, &by_name);
    assert_eq!(
        targets
            .iter()
            .filter(|target| target.starts_with("/projects?"))
            .count(),
        3,
        "{targets:?}"
    );
    // With --org given as an id, the list is asked for by org_id.
    let mut with_org = by_name.clone();
    with_org.extend(["--org", APP_ORG]);
    let targets = pulled_without_user_endpoints(ORG_KEY, &with_org);
    assert!(
        targets[0].starts_with(&format!("/projects?limit=100&org_id={APP_ORG}")),
        "{targets:?}"
    );
    // A project-scoped key lists its one project.
    let targets = pulled_without_user_endpoints(PROJECT_KEY, &by_name);
    assert_eq!(targets[0], "/projects?limit=100", "{targets:?}");
    // A personal key: the personal list lacks `app`, so the organizations are searched.
    let mock = self::mock();
    let (run, env_file) = pull_with_key(&mock, API_KEY, &by_name);
    let targets = assert_pulled(&mock, &run, &env_file);
    assert_eq!(targets[0], "/projects?limit=100", "{targets:?}");
    assert_eq!(targets[1], "/users/me/organizations", "{targets:?}");

    // Searching with a key that stands for no user: the user endpoint answers 404 (organization
    // key) or 403 (project-scoped key), and pull says why it carries on with the key's own list.
    for (key, status) in [(ORG_KEY, 404), (PROJECT_KEY, 403)] {
        let mock = self::mock();
        let (run, env_file) = pull_with_key(&mock, key, &["pull", "--client-type", "nodejs"]);
        assert!(
            run.stderr().contains(&format!(
                "note: GET /users/me/organizations: answered {status}: the API key is an organization or project-scoped key, not a personal one"
            )),
            "{}",
            run.stderr()
        );
        assert_eq!(env_file, EXISTING);
        if key == PROJECT_KEY {
            // Its one project needs no choice; the branch does, and nobody can be asked.
            assert!(run.stderr().contains("pass --branch"), "{}", run.stderr());
        } else {
            assert!(run.stderr().contains("pass --project"), "{}", run.stderr());
        }
        assert_eq!(run.code(), Some(2), "{}", run.all());
    }
    // `auth status` checks a key that stands for no user on the projects instead.
    for (key, status, projects) in [(ORG_KEY, 404, 231), (PROJECT_KEY, 403, 1)] {
        let (run, _) = pull_with_key(&self::mock(), key, &["auth", "status"]);
        assert_eq!(run.code(), Some(0), "{}", run.all());
        assert!(
            run.stdout().contains(&format!(
                "the API key works; it is an organization or project-scoped key, not a personal one (GET /users/me answered {status}), and sees {projects} project"
            )),
            "{}",
            run.all()
        );
    }
    // An organization named, not identified, with a key that cannot look names up.
    let mock = self::mock();
    let mut named_org = by_name.clone();
    named_org.extend(["--org", "Acme"]);
    let (run, _) = pull_with_key(&mock, ORG_KEY, &named_org);
    assert_eq!(run.code(), Some(2), "{}", run.all());
    assert!(
        run.stderr().contains(
            "organization Acme: this API key cannot list organizations by name; pass the organization's id (org-…) with --org"
        ),
        "{}",
        run.stderr()
    );
    // A project-scoped key asked for another project: 403 with the way out.
    let mock = self::mock();
    let other = [
        "pull",
        "--project",
        "quiet-lake-100001",
        "--client-type",
        "nodejs",
        "--yes",
    ];
    let (run, env_file) = pull_with_key(&mock, PROJECT_KEY, &other);
    assert_eq!(run.code(), Some(1), "{}", run.all());
    assert!(
        run.stderr()
            .contains("GET /projects/quiet-lake-100001: Neon refused the request (403 Forbidden)")
            && run.stderr().contains("the API key has no access"),
        "{}",
        run.stderr()
    );
    assert_eq!(env_file, EXISTING);
}

/// The mock speaks Neon's API, and `pull` asks it what Neon's API offers: every exchange of
/// pulls with each kind of key — successes, pagination, 401, 403, 404 — checked against the
/// OpenAPI document that `@neondatabase/api-client` ships (tests/neon_api/check.mjs).
#[test]
fn the_mock_and_our_requests_match_neons_published_api() {
    let checker = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/neon_api");
    let installed = checker
        .join("node_modules/@neondatabase/api-client/public-v2-for-users.gen.yaml")
        .is_file();
    let node = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|output| output.status.success());
    if !installed || !node {
        support::prerequisite_missing(
            "node and tests/neon_api/node_modules (@neondatabase/api-client; scripts/install-prereqs)",
        );
        return;
    }
    let mock = self::mock();
    let by_name = app_main(&["--client-type", "nodejs", "--yes"]);
    for key in [API_KEY, ORG_KEY, PROJECT_KEY] {
        let (run, _) = pull_with_key(&mock, key, &by_name);
        assert_eq!(run.code(), Some(0), "{}", run.all());
        let (run, _) = pull_with_key(&mock, key, &["pull", "--project", APP_ID, "--yes"]);
        assert!(run.code().is_some(), "{}", run.all());
    }
    // Failures in Neon's error shape: no user behind the key, no access, unknown project and
    // organization, a wrong key.
    let (run, _) = pull_with_key(&mock, ORG_KEY, &["pull", "--client-type", "go"]);
    assert_eq!(run.code(), Some(2), "{}", run.all());
    let (run, _) = pull_with_key(
        &mock,
        PROJECT_KEY,
        &["pull", "--project", "quiet-lake-100001"],
    );
    assert_eq!(run.code(), Some(1), "{}", run.all());
    let (run, _) = pull_with_key(&mock, API_KEY, &["pull", "--project", "gone-river-999999"]);
    assert_eq!(run.code(), Some(2), "{}", run.all());
    let (run, _) = pull_with_key(&mock, "napi_wrong", &by_name);
    assert_eq!(run.code(), Some(2), "{}", run.all());
    let exchanges = mock.exchanges();
    let statuses: std::collections::BTreeSet<u64> = exchanges
        .iter()
        .filter_map(|exchange| exchange["status"].as_u64())
        .collect();
    assert!(
        [200, 401, 403, 404]
            .iter()
            .all(|status| statuses.contains(status)),
        "{statuses:?}"
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("exchanges.json");
    std::fs::write(&file, serde_json::to_vec(&exchanges).unwrap()).unwrap();
    let output = Command::new("node")
        .arg("check.mjs")
        .arg(&file)
        .current_dir(&checker)
        .output()
        .expect("run node check.mjs");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{report}");
    assert!(
        report.contains(&format!("checked {} exchanges", exchanges.len())),
        "{report}"
    );
}
