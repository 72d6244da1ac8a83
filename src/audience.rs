//! Whose words advice uses: a message that tells the reader what to do names the CLI's flags
//! for the command line and the editor's settings and commands for the language server — never
//! a flag the reader cannot pass. The library modules take an [`Audience`]; they do not know
//! which front end called them.

/// Who reads the messages: advice names the CLI's flags, or the editor's settings and the
/// command's arguments — never a flag the reader cannot pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Audience {
    #[default]
    Cli,
    Editor,
}

impl Audience {
    /// Where to set a variable the server or CLI reads from its environment.
    pub fn environment(self) -> &'static str {
        match self {
            Audience::Cli => "in the environment",
            Audience::Editor => {
                "in the language server's environment (where the editor starts neon-lsp)"
            }
        }
    }

    /// What pulls connection details.
    pub fn pull_command(self) -> &'static str {
        match self {
            Audience::Cli => "`neon-lsp pull`",
            Audience::Editor => "the Pull Connection Details command",
        }
    }

    /// How to give the OAuth client id besides the environment.
    pub fn client_id_alternative(self) -> &'static str {
        match self {
            Audience::Cli => " (or pass --client-id)",
            Audience::Editor => "",
        }
    }

    /// How to write a password into a file git would commit, after being told why not to.
    pub fn force_hint(self) -> &'static str {
        match self {
            Audience::Cli => "pass --force to write it anyway",
            Audience::Editor => {
                "choose \"Write anyway\" when the editor asks (or pass \"force\": true in the command's arguments)"
            }
        }
    }

    /// How to point the test at other .env files.
    pub fn env_files_hint(self) -> &'static str {
        match self {
            Audience::Cli => "pass --env-file",
            Audience::Editor => {
                "list the app's .env files in the neon-lsp.envFiles setting (or env-files in neon-lsp.toml)"
            }
        }
    }

    /// How to point the test at other .env files or a named connection.
    pub fn connection_hint(self) -> &'static str {
        match self {
            Audience::Cli => "pass --env-file or --connection",
            Audience::Editor => {
                "list the app's .env files in the neon-lsp.envFiles setting (or env-files in neon-lsp.toml), or name the connection in the command's \"connection\" argument"
            }
        }
    }

    /// How to choose between the two targets.
    pub fn target_hint(self) -> &'static str {
        match self {
            Audience::Cli => "choose one with --target neon or --target azure-postgresql",
            Audience::Editor => {
                "choose one with the neon-lsp.target setting (neon or azure-postgresql) or target in neon-lsp.toml"
            }
        }
    }

    /// How to test with a password instead of a token.
    pub fn password_auth_hint(self) -> &'static str {
        match self {
            Audience::Cli => "test with --auth secret and a password",
            Audience::Editor => {
                "set the neon-lsp.auth setting to secret and put a password in the .env file"
            }
        }
    }

    /// How to give a connection test more time after it timed out.
    pub fn longer_timeout_hint(self) -> &'static str {
        match self {
            Audience::Cli => "retry once with a longer --timeout",
            Audience::Editor => "run the test again (a compute that was starting answers sooner)",
        }
    }

    /// What to do when no sign-in completed in time.
    pub fn sign_in_timeout_hint(self) -> &'static str {
        match self {
            Audience::Cli => {
                "run the command again (with --no-browser, paste the redirected address if the browser runs on another machine)"
            }
            Audience::Editor => {
                "run Sign in again (if the browser runs on another machine, pass the address it ends on to the neon-lsp.signInWithRedirect command)"
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Hint = fn(Audience) -> &'static str;

    const HINTS: &[Hint] = &[
        Audience::environment,
        Audience::pull_command,
        Audience::client_id_alternative,
        Audience::force_hint,
        Audience::env_files_hint,
        Audience::connection_hint,
        Audience::target_hint,
        Audience::password_auth_hint,
        Audience::longer_timeout_hint,
        Audience::sign_in_timeout_hint,
    ];

    /// No CLI flag in an editor message; no setting name in a terminal message.
    #[test]
    fn each_audience_reads_only_its_own_words() {
        for hint in HINTS {
            let editor = hint(Audience::Editor);
            assert!(!editor.contains("--"), "{editor}");
            let cli = hint(Audience::Cli);
            assert!(!cli.contains("neon-lsp."), "{cli}");
            assert!(!cli.contains("setting"), "{cli}");
            assert!(!cli.contains("command's argument"), "{cli}");
        }
    }
}
