//! `neon-lsp auth login|status|logout`: the terminal face of [`crate::neon::login`].
//!
//! Login prints the authorization URL (and opens a browser unless `--no-browser` or none is
//! available) and, at the same time, reads pasted redirect addresses from standard input for
//! the remote case. Nothing here prints a token; status shows the account, scopes and expiry.
//! Exit codes: 0 done, 1 the sign-in or Neon failed, 2 configuration (no client id, bad URL).

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;
use std::time::Duration;

use crate::neon::api::{CredentialSource, NeonApi};
use crate::neon::login::{self, BrowserOutcome, LoginError, PendingLogin, SignOut};
use crate::neon::token_store::TokenStore;
use crate::neon::{self, Settings, now_unix};

#[derive(clap::Args)]
pub struct AuthArgs {
    #[command(subcommand)]
    command: AuthCommand,
}

#[derive(clap::Subcommand)]
enum AuthCommand {
    /// Sign in to Neon in the browser (OAuth 2.0 with PKCE) and store the tokens.
    Login(LoginArgs),
    /// Show whether you are signed in, as whom, and until when (no token is shown).
    Status(StatusArgs),
    /// Revoke the stored tokens at Neon and delete them.
    Logout(NeonArgs),
}

/// Where Neon is; each flag overrides its environment variable.
#[derive(clap::Args, Clone, Default)]
pub struct NeonArgs {
    /// Neon's OpenID configuration (or issuer) [env: NEON_OIDC_URL].
    #[arg(long, value_name = "URL")]
    pub(crate) oidc_url: Option<String>,
    /// The Neon API base URL [env: NEON_API_URL].
    #[arg(long, value_name = "URL")]
    pub(crate) api_url: Option<String>,
    /// The OAuth client id Neon issued for this installation [env: NEON_OAUTH_CLIENT_ID].
    #[arg(long, value_name = "ID")]
    pub(crate) client_id: Option<String>,
}

#[derive(clap::Args)]
struct LoginArgs {
    #[command(flatten)]
    neon: NeonArgs,
    /// Do not open a browser; print the URL (and paste the redirected address back here when
    /// the browser runs on another machine).
    #[arg(long)]
    no_browser: bool,
    /// Seconds to wait for the sign-in to finish.
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    timeout: u64,
    /// Loopback port for the redirect (0 = any free port).
    #[arg(long, value_name = "PORT", default_value_t = 0)]
    redirect_port: u16,
}

#[derive(clap::Args)]
struct StatusArgs {
    #[command(flatten)]
    neon: NeonArgs,
    /// Do not ask Neon whether the sign-in still works; only read the stored one.
    #[arg(long)]
    offline: bool,
}

/// Settings from the environment with the flags on top; `Err` is the exit code after printing.
pub(crate) fn settings(args: &NeonArgs) -> Result<Settings, ExitCode> {
    let fail = |message: String| {
        eprintln!("error: {message}");
        ExitCode::from(2)
    };
    let mut settings = Settings::from_env().map_err(|error| fail(error.to_string()))?;
    if let Some(url) = &args.oidc_url {
        settings.oidc_url =
            neon::parse_url("--oidc-url", url).map_err(|error| fail(error.to_string()))?;
    }
    if let Some(url) = &args.api_url {
        settings.api_url =
            neon::parse_url("--api-url", url).map_err(|error| fail(error.to_string()))?;
    }
    if let Some(id) = &args.client_id {
        settings.client_id = Some(id.trim().to_owned()).filter(|id| !id.is_empty());
    }
    Ok(settings)
}

/// The runtime of `auth` and `pull`. Failing to start it exits 2, as in every command
/// (`super::runtime`).
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, ExitCode> {
    super::runtime().map_err(|message| {
        eprintln!("error: {message}");
        ExitCode::from(2)
    })
}

pub(crate) fn http() -> Result<reqwest::Client, ExitCode> {
    neon::http_client().map_err(|error| {
        eprintln!("error: could not set up HTTPS: {error}");
        ExitCode::from(1)
    })
}

pub fn run(args: AuthArgs) -> ExitCode {
    match args.command {
        AuthCommand::Login(args) => login(args),
        AuthCommand::Status(args) => status(args),
        AuthCommand::Logout(args) => logout(args),
    }
}

fn login(args: LoginArgs) -> ExitCode {
    let mut settings = match settings(&args.neon) {
        Ok(settings) => settings,
        Err(code) => return code,
    };
    if settings.client_id.is_none() {
        eprintln!(
            "error: {}",
            login::no_client_id_message(crate::audience::Audience::Cli)
        );
        return ExitCode::from(2);
    }
    settings.login_timeout = Duration::from_secs(args.timeout.max(1));
    if settings.api_key.is_some() {
        eprintln!(
            "note: {} is set, so neon-lsp keeps using it instead of this sign-in until it is unset",
            neon::env::API_KEY
        );
    }
    let (runtime, http) = match (runtime(), http()) {
        (Ok(runtime), Ok(http)) => (runtime, http),
        (Err(code), _) | (_, Err(code)) => return code,
    };
    let no_browser = args.no_browser;
    let timeout = settings.login_timeout;
    let result = runtime.block_on(login::sign_in(
        &settings,
        &http,
        args.redirect_port,
        |pending| announce(pending, no_browser, timeout),
    ));
    match result {
        Ok(signed_in) => {
            let who = signed_in
                .account
                .as_ref()
                .map(|account| format!(" as {}", account.display()))
                .unwrap_or_default();
            println!("Signed in to Neon{who}.");
            println!(
                "Tokens stored in {} (readable only by you){}.",
                settings.token_path().display(),
                expiry_note(signed_in.expires_at)
            );
            if let Some(problem) = signed_in.account_problem {
                eprintln!("warning: the account could not be looked up: {problem}");
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            let configuration = matches!(
                error,
                LoginError::NoClientId | LoginError::Discovery(_) | LoginError::Listen { .. }
            );
            ExitCode::from(if configuration { 2 } else { 1 })
        }
    }
}

/// Shows the URL, opens the browser, and starts reading pasted addresses from stdin.
fn announce(pending: &PendingLogin, no_browser: bool, timeout: Duration) {
    let url = pending.authorization_url();
    let opened = if no_browser {
        None
    } else {
        Some(login::open_browser(url))
    };
    match &opened {
        Some(BrowserOutcome::Opened(program)) => eprintln!(
            "Opened the Neon sign-in page with {program}. If no browser appeared, visit:\n\n  {url}\n"
        ),
        Some(BrowserOutcome::Unavailable(reason)) => {
            eprintln!("Could not open a browser ({reason}). Visit:\n\n  {url}\n")
        }
        None => eprintln!("Visit this address to sign in to Neon:\n\n  {url}\n"),
    }
    eprintln!(
        "If the browser runs on another machine, its last page (an address starting with {}) will not load: copy that address, paste it here and press Enter.",
        pending.redirect_uri()
    );
    eprintln!(
        "Waiting up to {} s for the sign-in (Ctrl-C cancels)...",
        timeout.as_secs()
    );
    let paste = pending.paste_sender();
    // A plain thread: reading stdin blocks, and it ends with the process.
    std::thread::spawn(move || {
        let stdin = std::io::stdin();
        for line in stdin.lock().lines() {
            let Ok(line) = line else { break };
            if line.trim().is_empty() {
                continue;
            }
            match paste.submit(&line) {
                Ok(()) => break,
                Err(login::PasteError::Closed) => break,
                Err(problem) => eprintln!("{problem}"),
            }
        }
    });
}

fn expiry_note(expires_at: Option<u64>) -> String {
    match expires_at {
        Some(at) => format!(
            "; the access token {}, and is refreshed automatically",
            relative(at)
        ),
        None => String::new(),
    }
}

/// "expires in 59 min" / "expired 3 min ago".
fn relative(at: u64) -> String {
    let now = now_unix();
    let minutes = |seconds: u64| {
        if seconds < 120 {
            format!("{seconds} s")
        } else {
            format!("{} min", seconds / 60)
        }
    };
    if at > now {
        format!("expires in {}", minutes(at - now))
    } else {
        format!("expired {} ago", minutes(now - at))
    }
}

fn status(args: StatusArgs) -> ExitCode {
    let settings = match settings(&args.neon) {
        Ok(settings) => settings,
        Err(code) => return code,
    };
    if settings.api_key.is_some() {
        println!(
            "Using the API key in {} (the stored sign-in, if any, is not used while it is set).",
            neon::env::API_KEY
        );
    } else {
        let store = TokenStore::new(&settings.config_dir);
        let session = match store.load() {
            Ok(Some(session)) => session,
            Ok(None) => {
                println!(
                    "Not signed in to Neon. Run `neon-lsp auth login`, or set {} to a Neon API key.",
                    neon::env::API_KEY
                );
                return ExitCode::from(1);
            }
            Err(error) => {
                eprintln!("error: {error}");
                return ExitCode::from(1);
            }
        };
        match &session.account {
            Some(account) => println!("Signed in to Neon as {}.", account.display()),
            None => println!("Signed in to Neon."),
        }
        println!("  provider:      {}", session.issuer);
        println!("  scopes:        {}", session.scopes.join(" "));
        match session.expires_at {
            Some(at) => println!("  access token:  {}", relative(at)),
            None => println!("  access token:  no expiry given"),
        }
        println!(
            "  refresh token: {}",
            if session.refresh_token.is_some() {
                "stored (used before the access token expires)"
            } else {
                "none (sign in again when the access token expires)"
            }
        );
        println!("  stored in:     {}", store.path().display());
    }
    if args.offline {
        return ExitCode::SUCCESS;
    }
    let (runtime, http) = match (runtime(), http()) {
        (Ok(runtime), Ok(http)) => (runtime, http),
        (Err(code), _) | (_, Err(code)) => return code,
    };
    let api = NeonApi::from_settings(&settings, http);
    match runtime.block_on(api.current_user()) {
        Ok(user) => {
            let via = match api.credential_source() {
                CredentialSource::ApiKey => "the API key",
                _ => "the sign-in",
            };
            println!(
                "Checked with Neon: {via} works for {}.",
                user.account().display()
            );
            ExitCode::SUCCESS
        }
        // An organization or project-scoped key stands for no user: check it on the projects.
        Err(error) if error.is_not_a_user_key(api.credential_source()) => {
            match runtime.block_on(api.projects(None)) {
                Ok(projects) => {
                    println!(
                        "Checked with Neon: the API key works; it is an organization or project-scoped key, not a personal one ({} answered {}), and sees {} project{} (`neon-lsp pull --project <id>` goes straight to one).",
                        error.request,
                        error.status().unwrap_or_default(),
                        projects.len(),
                        if projects.len() == 1 { "" } else { "s" }
                    );
                    ExitCode::SUCCESS
                }
                Err(projects_error) => {
                    eprintln!("error: {error}");
                    eprintln!("error: {projects_error}");
                    ExitCode::from(1)
                }
            }
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(1)
        }
    }
}

fn logout(args: NeonArgs) -> ExitCode {
    let settings = match settings(&args) {
        Ok(settings) => settings,
        Err(code) => return code,
    };
    let (runtime, http) = match (runtime(), http()) {
        (Ok(runtime), Ok(http)) => (runtime, http),
        (Err(code), _) | (_, Err(code)) => return code,
    };
    let api_key_note = || {
        if settings.api_key.is_some() {
            eprintln!(
                "note: {} is still set; unset it to stop using that key",
                neon::env::API_KEY
            );
        }
    };
    match runtime.block_on(login::sign_out(&settings, &http)) {
        Ok(SignOut::NotSignedIn) => {
            println!("Not signed in to Neon; nothing to do.");
            api_key_note();
            ExitCode::SUCCESS
        }
        Ok(SignOut::Revoked) => {
            println!("Signed out: the tokens were revoked at Neon and deleted here.");
            api_key_note();
            ExitCode::SUCCESS
        }
        Ok(SignOut::DeletedWithoutRevocation) => {
            println!(
                "Signed out here. The provider offers no revocation, so the tokens stay valid until they expire."
            );
            api_key_note();
            ExitCode::SUCCESS
        }
        Ok(SignOut::RevocationFailed(reason)) => {
            eprintln!(
                "warning: the tokens were deleted here, but revoking them failed ({reason}); they stay valid until they expire"
            );
            ExitCode::from(1)
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(1)
        }
    }
}

/// Whether prompts can be shown and answered.
pub(crate) fn interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}
