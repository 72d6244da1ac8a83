//! The Neon commands: `neon-lsp.signIn`, `neon-lsp.signInWithRedirect`, `neon-lsp.signOut` and
//! `neon-lsp.pullConnection` — the editor's face of [`crate::neon`], as `cli/auth.rs` and
//! `cli/pull.rs` are the terminal's.
//!
//! The editor opens the sign-in page (`window/showDocument` with `external`), asks the user to
//! choose (`window/showMessageRequest`), and shows the waits (the browser, the Neon API) as
//! cancellable progress ([`Backend::run_in_background`]); cancelling drops the work, and with it
//! the sign-in's loopback listener or the API requests. Every command shows its outcome with
//! `window/showMessage` and returns a JSON object with `ok`, so editors need no logic of their
//! own. The settings come from the server's environment exactly as for the CLI
//! ([`Settings::from_env`]).
//!
//! Not here: OAuth, the token store, the Neon API and the .env merge (all `crate::neon`). No
//! secret — token, API key, client secret, authorization code, database password — goes into a
//! message, a log line or a result: the library's errors carry none, and the values shown are
//! the library's masked ones.

use super::commands::{invalid_params, uri_argument};
use super::log::Level;
use super::task::PhaseSender;
use super::{Backend, lock, snapshot};
use crate::audience::Audience;
use crate::catalogue::ClientType;
use crate::neon::api::{ApiError, NeonApi};
use crate::neon::login::{self, LoginError, PasteSender, SignOut};
use crate::neon::pull::{
    self, ChoiceError, Chooser, PullError, PullOptions, PullPlan, PullRequest, Question,
    QuestionKind, Unanswered,
};
use crate::neon::token_store::TokenStore;
use crate::neon::{self, Settings};
use crate::query::ConnectionSummary;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::oneshot;
use tower_lsp_server::Client;
use tower_lsp_server::jsonrpc::Result as RpcResult;
use tower_lsp_server::ls_types::{self as lsp, Uri};

pub(super) const SIGN_IN: &str = "neon-lsp.signIn";
pub(super) const SIGN_IN_WITH_REDIRECT: &str = "neon-lsp.signInWithRedirect";
pub(super) const SIGN_OUT: &str = "neon-lsp.signOut";
pub(super) const PULL_CONNECTION: &str = "neon-lsp.pullConnection";

/// Options described one per line in a question's message; more are still offered as actions,
/// and the message says how many there are.
const DESCRIBED_OPTIONS: usize = 10;

/// What the sign-in asks for when the user has neither credential.
const SIGN_IN_FIRST: &str = "sign in first (command \"Sign in to Neon\", neon-lsp.signIn), or set NEON_API_KEY in the language server's environment";

/// The Neon commands' part of the server state.
#[derive(Default)]
pub(super) struct NeonState {
    /// The client can open a URL in the browser (`window.showDocument.support`).
    shows_documents: AtomicBool,
    /// The sign-in waiting for its redirect, which `signInWithRedirect` hands addresses to.
    waiting: Mutex<Option<WaitingSignIn>>,
}

struct WaitingSignIn {
    id: u64,
    paste: PasteSender,
    /// Ends the sign-in when a newer one replaces it.
    supersede: oneshot::Sender<()>,
}

static NEXT_SIGN_IN: AtomicU64 = AtomicU64::new(1);

impl NeonState {
    pub(super) fn note_client_capabilities(&self, capabilities: &lsp::ClientCapabilities) {
        let shows = capabilities
            .window
            .as_ref()
            .and_then(|window| window.show_document.as_ref())
            .is_some_and(|show| show.support);
        self.shows_documents.store(shows, Ordering::Relaxed);
    }

    fn waiting(&self) -> MutexGuard<'_, Option<WaitingSignIn>> {
        // A panic elsewhere must not make sign-in unusable for the rest of the session.
        self.waiting
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Makes `sign_in` the waiting one; an older one still waiting ends (its browser tab is
    /// stale once a new authorization URL is out).
    fn start_waiting(&self, sign_in: WaitingSignIn) {
        if let Some(previous) = self.waiting().replace(sign_in) {
            let _ = previous.supersede.send(());
        }
    }

    /// Forgets sign-in `id` once it has ended (a newer one may be waiting by now).
    fn stop_waiting(&self, id: u64) {
        let mut waiting = self.waiting();
        if waiting.as_ref().is_some_and(|current| current.id == id) {
            *waiting = None;
        }
    }
}

/// A failed command's result: shown to the user, returned as `{ok: false, error}`.
async fn failure(client: &Client, kind: &str, message: String) -> RpcResult<Option<Value>> {
    client
        .show_message(lsp::MessageType::ERROR, format!("neon-lsp: {message}"))
        .await;
    Ok(Some(
        json!({"ok": false, "error": {"kind": kind, "message": message}}),
    ))
}

/// The HTTP client for the provider and the API, or why there is none.
fn https() -> Result<reqwest::Client, String> {
    neon::http_client().map_err(|error| format!("could not set up HTTPS: {error}"))
}

/// How to finish a sign-in whose browser cannot reach this machine's loopback address.
fn paste_back_hint(redirect_uri: &str) -> String {
    format!(
        "If the browser runs on another machine, its last page (an address starting with {redirect_uri}) will not load: copy that address and pass it on — VS Code: \"Neon LSP: Finish Sign-in with the Browser's Address\"; Neovim: :NeonSignIn <address>; other editors: the command {SIGN_IN_WITH_REDIRECT} with [{{\"url\": \"<that address>\"}}]."
    )
}

/// The command argument that answers a question (the CLI's flag, in the editor's spelling).
fn argument_name(kind: QuestionKind) -> &'static str {
    match kind {
        QuestionKind::Organization => "org",
        QuestionKind::Project => "project",
        QuestionKind::Branch => "branch",
        QuestionKind::Database => "database",
        QuestionKind::Role => "role",
        QuestionKind::ClientType => "clientType",
    }
}

#[cfg(test)]
const QUESTION_KINDS: [QuestionKind; 6] = [
    QuestionKind::Organization,
    QuestionKind::Project,
    QuestionKind::Branch,
    QuestionKind::Database,
    QuestionKind::Role,
    QuestionKind::ClientType,
];

/// A [`PullError`] as the editor user should read it: arguments instead of flags, and the way
/// to sign in from the editor.
fn describe_pull_error(error: &PullError) -> (&'static str, String) {
    match error {
        PullError::Missing { question, options } => {
            let argument = match question {
                Unanswered::Question(kind) => argument_name(*kind),
                Unanswered::Confirmation => question.noun(),
            };
            (
                "usage",
                format!(
                    "the editor could not ask for the {}: pass \"{argument}\" in the command's arguments{options}",
                    question.noun()
                ),
            )
        }
        PullError::Api(ApiError { kind, .. }) if kind.needs_sign_in() => (
            "notSignedIn",
            format!("{error} — in the editor: {SIGN_IN_FIRST}"),
        ),
        PullError::Api(_) => ("neon", error.to_string()),
        PullError::Refused { .. } => ("refused", error.to_string()),
        error if error.is_usage() => ("usage", error.to_string()),
        _ => ("pull", error.to_string()),
    }
}

/// A question as a `window/showMessageRequest`: the prompt, the options described one per
/// line, and one action per option with the default first. Titles are unique, so the answer
/// maps back to exactly one option.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Offer {
    message: String,
    titles: Vec<String>,
    /// The option index behind each title.
    options: Vec<usize>,
}

impl Offer {
    fn of(question: &Question) -> Offer {
        let mut order: Vec<usize> = (0..question.options.len()).collect();
        if let Some(default) = question.default.filter(|d| *d < order.len()) {
            order.retain(|index| *index != default);
            order.insert(0, default);
        }
        let mut titles: Vec<String> = Vec::with_capacity(order.len());
        for &index in &order {
            let option = &question.options[index];
            let shared_label = question
                .options
                .iter()
                .filter(|other| other.label == option.label)
                .count()
                > 1;
            let mut title = match (&option.detail, shared_label) {
                (Some(detail), true) => format!("{} ({detail})", option.label),
                _ => option.label.clone(),
            };
            if question.default == Some(index) {
                title.push_str(" (default)");
            }
            let base = title.clone();
            let mut copy = 2;
            while titles.contains(&title) {
                title = format!("{base} #{copy}");
                copy += 1;
            }
            titles.push(title);
        }
        let mut message = question.prompt.clone();
        for (title, &index) in titles.iter().zip(&order).take(DESCRIBED_OPTIONS) {
            message.push_str("\n• ");
            message.push_str(title);
            if let Some(detail) = &question.options[index].detail {
                message.push_str(" — ");
                message.push_str(detail);
            }
        }
        if order.len() > DESCRIBED_OPTIONS {
            message.push_str(&format!(
                "\nThere are {} options, more than fit here: the first {DESCRIBED_OPTIONS} are described above and all {} are offered as choices.",
                order.len(),
                order.len()
            ));
        }
        message.push_str(&format!(
            "\n(Pass \"{}\" in the command's arguments to skip this question.)",
            argument_name(question.kind)
        ));
        Offer {
            message,
            titles,
            options: order,
        }
    }

    fn actions(&self) -> Vec<lsp::MessageActionItem> {
        self.titles
            .iter()
            .map(|title| lsp::MessageActionItem {
                title: title.clone(),
                properties: Default::default(),
            })
            .collect()
    }

    fn option_for(&self, title: &str) -> Option<usize> {
        let position = self.titles.iter().position(|known| known == title)?;
        self.options.get(position).copied()
    }
}

/// The progress message once `kind` is answered: what the pull does next.
fn next_step(kind: QuestionKind) -> &'static str {
    match kind {
        QuestionKind::Organization => "listing the organization's projects",
        QuestionKind::Project => "listing the project's branches",
        QuestionKind::Branch => "listing the branch's databases",
        QuestionKind::Database => "listing the branch's roles",
        QuestionKind::Role | QuestionKind::ClientType => "fetching the connection details",
    }
}

/// Asks with `window/showMessageRequest`. A dismissed question is a cancelled pull; a client
/// that cannot ask makes the library name the argument that answers instead.
struct EditorChooser {
    client: Client,
    phases: PhaseSender,
    /// Why the client type is what it is, when the library was told (argument or analysis).
    client_type_reason: Option<String>,
}

impl Chooser for EditorChooser {
    async fn choose(&mut self, question: &Question) -> Result<usize, ChoiceError> {
        let offer = Offer::of(question);
        let _ = self.phases.send(format!(
            "waiting for your choice of the {}",
            question.kind.noun()
        ));
        let answer = self
            .client
            .show_message_request(
                lsp::MessageType::INFO,
                offer.message.clone(),
                Some(offer.actions()),
            )
            .await;
        let chosen = match answer {
            Ok(Some(item)) => offer.option_for(&item.title).ok_or(ChoiceError::Cancelled),
            Ok(None) => Err(ChoiceError::Cancelled),
            Err(_) => Err(ChoiceError::NotInteractive),
        };
        if chosen.is_ok() {
            let _ = self.phases.send(next_step(question.kind).to_owned());
        }
        chosen
    }

    async fn confirm(&mut self, plan: &PullPlan) -> Result<bool, ChoiceError> {
        let file_name = plan
            .env_file
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_else(|| plan.env_file.display().to_string());
        let write = format!("Write {file_name}");
        let selection = &plan.selection;
        let reason = self
            .client_type_reason
            .clone()
            .unwrap_or_else(|| selection.client_type_reason.clone());
        let mut message = format!(
            "Write to {}{}? {}; client type {} ({reason}).",
            plan.env_file.display(),
            if plan.creates_file {
                " (a new file)"
            } else {
                ""
            },
            selection.describe(),
            selection.client_type.id(),
        );
        for line in plan.merge.diff_lines() {
            message.push('\n');
            message.push_str(&line);
        }
        if let Some(reason) = &plan.forced_past {
            message.push_str(&format!(
                "\nWritten despite this, because \"force\" is set: {reason}"
            ));
        }
        let _ = self
            .phases
            .send(format!("waiting for you to confirm {file_name}"));
        // An editor that cannot ask writes nothing.
        self.ask_to_write(
            lsp::MessageType::INFO,
            message,
            &write,
            ChoiceError::Cancelled,
        )
        .await
    }

    async fn override_refusal(
        &mut self,
        plan: &PullPlan,
        reason: &str,
    ) -> Result<bool, ChoiceError> {
        let message = format!(
            "{}\nWrite to {} anyway? {}; client type {}.\n{}",
            capitalised(reason),
            plan.env_file.display(),
            plan.selection.describe(),
            plan.selection.client_type.id(),
            plan.merge.diff_lines().join("\n")
        );
        let _ = self
            .phases
            .send("waiting for you to decide about the password".to_owned());
        // An editor that cannot ask gets the refusal, which says why and how to override.
        self.ask_to_write(
            lsp::MessageType::WARNING,
            message,
            WRITE_ANYWAY,
            ChoiceError::NotInteractive,
        )
        .await
    }
}

/// The action that writes a password where git would commit it (the editor's `--force`).
const WRITE_ANYWAY: &str = "Write anyway";

impl EditorChooser {
    /// Asks `message` with the actions `write` and Cancel: true only for `write`; a dismissed
    /// question is Cancelled, a request the editor fails is `unanswered`.
    async fn ask_to_write(
        &self,
        kind: lsp::MessageType,
        message: String,
        write: &str,
        unanswered: ChoiceError,
    ) -> Result<bool, ChoiceError> {
        let actions = [write, "Cancel"]
            .iter()
            .map(|title| lsp::MessageActionItem {
                title: (*title).to_owned(),
                properties: Default::default(),
            })
            .collect();
        match self
            .client
            .show_message_request(kind, message, Some(actions))
            .await
        {
            // Nothing is written unless the user said so.
            Ok(Some(item)) => Ok(item.title == write),
            Ok(None) => Err(ChoiceError::Cancelled),
            Err(_) => Err(unanswered),
        }
    }
}

/// `text` with its first letter upper-case (library reasons are sentence fragments).
fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `pullConnection`'s argument object.
struct PullArguments {
    target: PathBuf,
    request: PullRequest,
    env_file: Option<String>,
    force: bool,
}

impl PullArguments {
    fn parse(arguments: &[Value]) -> RpcResult<PullArguments> {
        let uri = uri_argument(arguments, PULL_CONNECTION)?;
        let target = uri
            .to_file_path()
            .map(|path| path.into_owned())
            .ok_or_else(|| {
                invalid_params(format!(
                    "{PULL_CONNECTION}: {} is not a file or folder",
                    uri.as_str()
                ))
            })?;
        let argument = arguments.first().cloned().unwrap_or(Value::Null);
        let text = |key: &str| -> RpcResult<Option<String>> {
            match argument.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(text)) if text.trim().is_empty() => Ok(None),
                Some(Value::String(text)) => Ok(Some(text.trim().to_owned())),
                Some(other) => Err(invalid_params(format!(
                    "{PULL_CONNECTION}: \"{key}\" must be a string, not {other}"
                ))),
            }
        };
        let flag = |key: &str| -> RpcResult<bool> {
            match argument.get(key) {
                None | Some(Value::Null) => Ok(false),
                Some(Value::Bool(value)) => Ok(*value),
                Some(other) => Err(invalid_params(format!(
                    "{PULL_CONNECTION}: \"{key}\" must be true or false, not {other}"
                ))),
            }
        };
        let client_type = match text("clientType")? {
            // The settings vocabulary's one parser: the same spellings and did-you-mean as
            // the CLI, neon-lsp.toml and the editor settings.
            Some(id) => Some(
                crate::config::parse_word::<ClientType>(&id)
                    .map_err(|error| invalid_params(format!("{PULL_CONNECTION}: {error}")))?,
            ),
            None => None,
        };
        Ok(PullArguments {
            target,
            request: PullRequest {
                org: text("org")?,
                project: text("project")?,
                branch: text("branch")?,
                database: text("database")?,
                role: text("role")?,
                pooled: flag("pooled")?,
                client_type,
                suggested_client_type: None,
                connection_name: text("connectionName")?,
            },
            env_file: text("envFile")?,
            force: flag("force")?,
        })
    }
}

impl Backend {
    /// `neon-lsp.signIn []`: opens Neon's sign-in page in the browser and waits (with
    /// cancellable progress) for the redirect, or for the address `signInWithRedirect` brings.
    /// Returns `{ok, account: {id, email, name}, expiresAt (Unix seconds), scopes}` — never a
    /// token.
    pub(super) async fn sign_in(&self) -> RpcResult<Option<Value>> {
        let settings = match Settings::from_env() {
            Ok(settings) => settings,
            Err(error) => return failure(&self.client, "configuration", error.to_string()).await,
        };
        if settings.client_id.is_none() {
            return failure(
                &self.client,
                "configuration",
                login::no_client_id_message(crate::audience::Audience::Editor),
            )
            .await;
        }
        let http = match https() {
            Ok(http) => http,
            Err(message) => return failure(&self.client, "configuration", message).await,
        };
        let pending = match login::begin_sign_in(&settings, &http, 0).await {
            Ok(pending) => pending,
            Err(error) => return failure(&self.client, "configuration", error.to_string()).await,
        };
        let id = NEXT_SIGN_IN.fetch_add(1, Ordering::Relaxed);
        let (supersede, superseded) = oneshot::channel();
        let hint = paste_back_hint(pending.redirect_uri().as_str());
        self.neon.start_waiting(WaitingSignIn {
            id,
            paste: pending.paste_sender(),
            supersede,
        });
        self.logger
            .log(
                &self.client,
                Level::Info,
                format!(
                    "Neon sign-in started at {}; waiting for the browser",
                    settings.oidc_url
                ),
            )
            .await;
        self.open_sign_in_page(pending.authorization_url(), &hint)
            .await;
        let api_key_set = settings.api_key.is_some();
        let outcome = self
            .run_in_background(
                "Waiting for the Neon sign-in in your browser…",
                move |phases| async move {
                    let _ = phases.send(hint);
                    tokio::select! {
                        result = login::complete_sign_in(&settings, &http, pending) => Some(result),
                        Ok(()) = superseded => None,
                    }
                },
            )
            .await;
        self.neon.stop_waiting(id);
        let signed_in = match outcome {
            None => {
                self.client
                    .show_message(lsp::MessageType::INFO, "neon-lsp: Neon sign-in cancelled")
                    .await;
                return Ok(Some(json!({"ok": false, "cancelled": true})));
            }
            Some(None) => {
                return Ok(Some(json!({
                    "ok": false,
                    "cancelled": true,
                    "error": {"kind": "superseded", "message": "a newer sign-in replaced this one"}
                })));
            }
            Some(Some(Err(error @ LoginError::Timeout(_)))) => {
                let message = format!("Neon: {}", error.message(Audience::Editor));
                return failure(&self.client, "timeout", message).await;
            }
            Some(Some(Err(error))) => {
                return failure(
                    &self.client,
                    "signIn",
                    format!("Neon sign-in failed: {}", error.message(Audience::Editor)),
                )
                .await;
            }
            Some(Some(Ok(signed_in))) => signed_in,
        };
        let who = signed_in
            .account
            .as_ref()
            .map(|account| format!(" as {}", account.display()))
            .unwrap_or_default();
        let mut message = format!("neon-lsp: signed in to Neon{who}.");
        if let Some(problem) = &signed_in.account_problem {
            message.push_str(&format!(" (The account could not be looked up: {problem})"));
        }
        if api_key_set {
            message.push_str(&format!(
                " Note: {} is set in the server's environment, so it is used instead of this sign-in until it is unset.",
                neon::env::API_KEY
            ));
        }
        self.client
            .show_message(lsp::MessageType::INFO, &message)
            .await;
        self.logger
            .log(&self.client, Level::Info, format!("signed in to Neon{who}"))
            .await;
        Ok(Some(json!({
            "ok": true,
            "account": signed_in.account.as_ref().map(|account| json!({
                "id": account.id,
                "email": account.email,
                "name": account.name,
            })),
            "accountProblem": signed_in.account_problem,
            "expiresAt": signed_in.expires_at,
            "scopes": signed_in.scopes,
        })))
    }

    /// Asks the editor to open the authorization URL in the browser; when it cannot, shows the
    /// URL for the user to open.
    async fn open_sign_in_page(&self, url: &url::Url, hint: &str) {
        let mut opened = false;
        if self.neon.shows_documents.load(Ordering::Relaxed)
            && let Ok(uri) = url.as_str().parse::<Uri>()
        {
            let shown = self
                .client
                .show_document(lsp::ShowDocumentParams {
                    uri,
                    external: Some(true),
                    take_focus: Some(true),
                    selection: None,
                })
                .await;
            opened = matches!(shown, Ok(true));
        }
        if !opened {
            self.client
                .show_message(
                    lsp::MessageType::INFO,
                    format!("neon-lsp: to sign in to Neon, open this address in a browser: {url} — {hint}"),
                )
                .await;
        }
    }

    /// `neon-lsp.signInWithRedirect [{"url"}]`: hands the address the browser ended on (or its
    /// `code=…&state=…` query) to the waiting sign-in, which checks its state before using it.
    /// Returns `{ok}`; the waiting `signIn` returns the sign-in's result.
    pub(super) async fn sign_in_with_redirect(
        &self,
        arguments: &[Value],
    ) -> RpcResult<Option<Value>> {
        let pasted = arguments
            .first()
            .and_then(|argument| argument.get("url").or(Some(argument)))
            .and_then(Value::as_str)
            .filter(|text| !text.trim().is_empty())
            .ok_or_else(|| {
                invalid_params(format!(
                    "{SIGN_IN_WITH_REDIRECT} expects [{{\"url\": \"<the address the browser ended on>\"}}]"
                ))
            })?;
        let paste = self
            .neon
            .waiting()
            .as_ref()
            .map(|waiting| waiting.paste.clone());
        let Some(paste) = paste else {
            return failure(
                &self.client,
                "noSignIn",
                format!("no Neon sign-in is waiting for a redirect: run {SIGN_IN} first, then pass the address the browser ends on"),
            )
            .await;
        };
        match paste.submit(pasted) {
            Ok(()) => Ok(Some(json!({"ok": true}))),
            Err(error) => failure(&self.client, "redirect", error.to_string()).await,
        }
    }

    /// `neon-lsp.signOut []`: revokes the stored tokens at Neon and deletes them. Returns
    /// `{ok, outcome: "revoked" | "notSignedIn" | "deletedWithoutRevocation" |
    /// "revocationFailed"}`.
    pub(super) async fn sign_out(&self) -> RpcResult<Option<Value>> {
        let settings = match Settings::from_env() {
            Ok(settings) => settings,
            Err(error) => return failure(&self.client, "configuration", error.to_string()).await,
        };
        let http = match https() {
            Ok(http) => http,
            Err(message) => return failure(&self.client, "configuration", message).await,
        };
        let outcome = match login::sign_out(&settings, &http).await {
            Ok(outcome) => outcome,
            Err(error) => {
                return failure(
                    &self.client,
                    "signOut",
                    format!("signing out failed: {error}"),
                )
                .await;
            }
        };
        let (ok, name, mut message) = match &outcome {
            SignOut::NotSignedIn => (
                true,
                "notSignedIn",
                "Not signed in to Neon; nothing to do.".to_owned(),
            ),
            SignOut::Revoked => (
                true,
                "revoked",
                "Signed out of Neon: the tokens were revoked at Neon and deleted here.".to_owned(),
            ),
            SignOut::DeletedWithoutRevocation => (
                true,
                "deletedWithoutRevocation",
                "Signed out of Neon here. The provider offers no revocation, so the tokens stay valid until they expire.".to_owned(),
            ),
            SignOut::RevocationFailed(reason) => (
                false,
                "revocationFailed",
                format!("The Neon tokens were deleted here, but revoking them failed ({reason}); they stay valid until they expire."),
            ),
        };
        if settings.api_key.is_some() {
            message.push_str(&format!(
                " {} is still set in the server's environment and stays in use until it is unset.",
                neon::env::API_KEY
            ));
        }
        let kind = if ok {
            lsp::MessageType::INFO
        } else {
            lsp::MessageType::WARNING
        };
        self.client
            .show_message(kind, format!("neon-lsp: {message}"))
            .await;
        self.logger
            .log(&self.client, Level::Info, format!("Neon sign-out: {name}"))
            .await;
        let mut result = json!({"ok": ok, "outcome": name, "message": message});
        if let SignOut::RevocationFailed(reason) = &outcome {
            result["reason"] = json!(reason);
        }
        Ok(Some(result))
    }

    /// `neon-lsp.pullConnection [{"uri", "project"?, "branch"?, "database"?, "role"?, "pooled"?,
    /// "clientType"?, "envFile"?, "force"?, "org"?, "connectionName"?}]`: writes a Neon
    /// connection's variables, in the client type's format, into the .env file of the folder
    /// (`uri`, or the folder of the file `uri`). Asks for whatever the arguments leave open and
    /// for confirmation; a file git would commit gets a warning with "Write anyway" instead of
    /// the confirmation (skipped by `force`; refused when the editor cannot ask). Returns
    /// `{ok, written, envFile, project, branch, database, role, clientType, variables: [names]}`
    /// — never a password.
    pub(super) async fn pull_connection(&self, arguments: &[Value]) -> RpcResult<Option<Value>> {
        let PullArguments {
            target,
            mut request,
            env_file,
            force,
        } = PullArguments::parse(arguments)?;
        let folder = if target.is_dir() {
            target.clone()
        } else {
            target
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| target.clone())
        };
        if !folder.is_dir() {
            return failure(
                &self.client,
                "usage",
                format!(
                    "{} is not a folder on this machine; pass the URI of the app's folder or of a file in it",
                    folder.display()
                ),
            )
            .await;
        }
        let env_path = folder.join(env_file.as_deref().unwrap_or(".env"));
        let settings = match Settings::from_env() {
            Ok(settings) => settings,
            Err(error) => return failure(&self.client, "configuration", error.to_string()).await,
        };
        if settings.api_key.is_none() {
            match TokenStore::new(&settings.config_dir).load() {
                Ok(Some(_)) => {}
                Ok(None) => {
                    return failure(
                        &self.client,
                        "notSignedIn",
                        format!("not signed in to Neon: {SIGN_IN_FIRST}"),
                    )
                    .await;
                }
                Err(error) => {
                    return failure(&self.client, "credentials", error.to_string()).await;
                }
            }
        }
        let http = match https() {
            Ok(http) => http,
            Err(message) => return failure(&self.client, "configuration", message).await,
        };
        // What the arguments leave open comes from the connection the analysis sees here, so
        // the pulled file is the one the code reads (named connections included).
        let inferred = if request.client_type.is_none() || request.connection_name.is_none() {
            self.inferred_connection(&target, &env_path, request.connection_name.as_deref())
                .await
        } else {
            None
        };
        if request.connection_name.is_none() {
            request.connection_name = inferred.as_ref().and_then(|c| c.name.clone());
        }
        let client_type_reason = if request.client_type.is_some() {
            Some("from the command's arguments".to_owned())
        } else {
            inferred.and_then(|connection| {
                request.client_type = connection.client_type;
                connection.client_type.map(|_| connection.reason)
            })
        };
        let options = PullOptions {
            env_file: env_path.clone(),
            yes: false,
            force,
            audience: crate::audience::Audience::Editor,
        };
        let client = self.client.clone();
        let outcome = self
            .run_in_background(
                "neon-lsp: pulling connection details from Neon",
                move |phases| async move {
                    let _ = phases.send("looking up your Neon projects".to_owned());
                    let notices = phases.clone();
                    let api = NeonApi::from_settings(&settings, http).with_notice(Arc::new(
                        move |notice: &str| {
                            let _ = notices.send(notice.to_owned());
                        },
                    ));
                    let mut chooser = EditorChooser {
                        client,
                        phases,
                        client_type_reason,
                    };
                    pull::pull(&api, &request, &options, &mut chooser).await
                },
            )
            .await;
        let outcome = match outcome {
            None | Some(Err(PullError::Cancelled)) => {
                self.client
                    .show_message(
                        lsp::MessageType::INFO,
                        "neon-lsp: pulling connection details cancelled; nothing written",
                    )
                    .await;
                return Ok(Some(
                    json!({"ok": false, "cancelled": true, "written": false}),
                ));
            }
            Some(Err(error)) => {
                let (kind, message) = describe_pull_error(&error);
                return failure(&self.client, kind, message).await;
            }
            Some(Ok(outcome)) => outcome,
        };
        let plan = &outcome.plan;
        let selection = &plan.selection;
        let file = plan.env_file.display();
        let changed = plan.merge.has_changes();
        let message = if !changed {
            format!(
                "{file} already holds these values for {}; nothing to change.",
                selection.describe()
            )
        } else if outcome.written {
            let count = plan.merge.changes.len();
            format!(
                "Wrote {count} variable{} for {} to {file}.",
                if count == 1 { "" } else { "s" },
                selection.describe()
            )
        } else {
            format!("Nothing written to {file}.")
        };
        self.client
            .show_message(lsp::MessageType::INFO, format!("neon-lsp: {message}"))
            .await;
        if outcome.written {
            self.logger
                .log(
                    &self.client,
                    Level::Info,
                    format!("pulled {} variables into {file}", plan.merge.changes.len()),
                )
                .await;
            self.reread_after_write(&plan.env_file).await;
        }
        let declined = changed && !outcome.written;
        let mut result = json!({
            "ok": !declined,
            "written": outcome.written,
            "envFile": plan.env_file.to_string_lossy(),
            "createdFile": plan.creates_file && outcome.written,
            "project": {"id": selection.project.id, "name": selection.project.name},
            "branch": {"id": selection.branch.id, "name": selection.branch.name},
            "database": selection.database,
            "role": selection.role,
            "pooled": selection.pooled,
            "clientType": selection.client_type.id(),
            "variables": plan.merge.changes.iter().map(|change| change.key.as_str()).collect::<Vec<_>>(),
            "message": message,
        });
        if declined {
            result["cancelled"] = json!(true);
        }
        if let Some(reason) = &plan.forced_past {
            result["forcedPast"] = json!(reason);
        }
        Ok(Some(result))
    }

    /// The Neon connection the analysis assigns to `target` (a file, or the .env file of a
    /// folder): the one named `name` when given; else the only one; else the unnamed one.
    async fn inferred_connection(
        &self,
        target: &Path,
        env_path: &Path,
        name: Option<&str>,
    ) -> Option<ConnectionSummary> {
        let lookup = if target.is_dir() { env_path } else { target };
        let (index, path) = self.relative(&Uri::from_file_path(lookup)?)?;
        self.wait_until_scanned(index).await;
        let (workspace, options) = {
            let state = lock(&self.state);
            let root = state.roots.get(index)?;
            (snapshot(root), state.options.clone())
        };
        let name = name.map(str::to_owned);
        tokio::task::spawn_blocking(move || {
            crate::query::neon_connection_for_pull(&workspace, &options, &path, name.as_deref())
        })
        .await
        .ok()?
    }

    /// Re-reads the folder holding `written` the way a watched-file change does, so its
    /// diagnostics reflect the new file even when the editor does not report our own write.
    async fn reread_after_write(&self, written: &Path) {
        let Some(uri) = Uri::from_file_path(written) else {
            return;
        };
        if let Some((index, _)) = self.relative(&uri) {
            self.rescan(index).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::neon::pull::ChoiceOption;
    use crate::workspace::GitState;

    fn question(labels: &[(&str, Option<&str>)], default: Option<usize>) -> Question {
        Question {
            kind: QuestionKind::Project,
            prompt: "Which project?".to_owned(),
            options: labels
                .iter()
                .map(|(label, detail)| ChoiceOption {
                    label: (*label).to_owned(),
                    detail: detail.map(str::to_owned),
                })
                .collect(),
            default,
        }
    }

    #[test]
    fn the_default_comes_first_and_every_title_maps_back_to_its_option() {
        let offer = Offer::of(&question(
            &[
                ("app", Some("misty-sun-1 — Acme")),
                ("app", Some("quiet-lake-2 — personal")),
                ("web", None),
            ],
            Some(2),
        ));
        assert_eq!(
            offer.titles,
            [
                "web (default)",
                "app (misty-sun-1 — Acme)",
                "app (quiet-lake-2 — personal)"
            ]
        );
        assert_eq!(offer.option_for("web (default)"), Some(2));
        assert_eq!(offer.option_for("app (quiet-lake-2 — personal)"), Some(1));
        assert_eq!(offer.option_for("something else"), None);
        assert!(
            offer.message.contains("Pass \"project\""),
            "{}",
            offer.message
        );
        assert!(
            !offer.message.contains("more than fit"),
            "{}",
            offer.message
        );
    }

    #[test]
    fn many_options_are_all_offered_and_the_message_says_so() {
        let labels: Vec<String> = (0..25).map(|i| format!("project-{i}")).collect();
        let pairs: Vec<(&str, Option<&str>)> = labels.iter().map(|l| (l.as_str(), None)).collect();
        let offer = Offer::of(&question(&pairs, None));
        assert_eq!(offer.titles.len(), 25);
        assert_eq!(offer.actions().len(), 25);
        assert!(
            offer
                .message
                .contains("There are 25 options, more than fit here"),
            "{}",
            offer.message
        );
        assert!(offer.message.contains("project-9") && !offer.message.contains("project-10"));
    }

    #[test]
    fn identical_titles_stay_distinct() {
        let offer = Offer::of(&question(&[("x", None), ("x", None)], None));
        assert_eq!(offer.titles, ["x", "x #2"]);
        assert_eq!(offer.option_for("x #2"), Some(1));
    }

    #[test]
    fn refusals_name_the_editor_choice_and_argument_instead_of_the_flag() {
        for state in [GitState::Tracked, GitState::Untracked] {
            let reason =
                pull::secret_refusal(state, ".env", crate::audience::Audience::Editor).unwrap();
            assert!(reason.contains(WRITE_ANYWAY), "{reason}");
            assert!(reason.contains("pass \"force\": true"), "{reason}");
            assert!(!reason.contains("--force"), "{reason}");
        }
    }

    #[test]
    fn a_choice_nobody_could_make_names_its_argument() {
        let (kind, message) = describe_pull_error(&PullError::Missing {
            question: Unanswered::Question(QuestionKind::ClientType),
            options: " (available: python, nodejs)".to_owned(),
        });
        assert_eq!(kind, "usage");
        assert_eq!(
            message,
            "the editor could not ask for the client type: pass \"clientType\" in the command's arguments (available: python, nodejs)"
        );
    }

    #[test]
    fn pull_and_sign_in_errors_name_no_flag_in_the_editor() {
        let mut errors = vec![PullError::Missing {
            question: Unanswered::Confirmation,
            options: String::new(),
        }];
        errors.extend(QUESTION_KINDS.map(|kind| PullError::Missing {
            question: Unanswered::Question(kind),
            options: String::new(),
        }));
        for error in errors {
            let (_, message) = describe_pull_error(&error);
            assert!(!message.contains("--"), "{message}");
            // The terminal's wording names the flag.
            assert!(error.to_string().contains("--"), "{error}");
        }
        for error in [
            LoginError::NoClientId,
            LoginError::Timeout(std::time::Duration::from_secs(300)),
        ] {
            let editor = error.message(Audience::Editor);
            assert!(!editor.contains("--"), "{editor}");
            let cli = error.message(Audience::Cli);
            assert!(!cli.contains("neon-lsp."), "{cli}");
            assert_eq!(cli, error.to_string());
        }
    }

    #[test]
    fn every_question_kind_has_an_argument() {
        for kind in QUESTION_KINDS {
            assert!(!argument_name(kind).is_empty());
        }
    }
}
