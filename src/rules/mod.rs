//! The rule registry: every rule's id, default severity and documentation, listed once.
//!
//! Each rule lives in its own file named after its id, holding its documentation, its check,
//! its fix and its tests.

use crate::diagnostic::Severity;
use serde::Serialize;

macro_rules! rules {
    ($( $variant:ident => $id:literal, $severity:ident, $summary:literal; )*) => {
        /// A rule's stable identity. Its kebab-case id is what users see and configure.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(into = "&'static str")]
        pub enum Rule {
            $( $variant, )*
        }

        impl Rule {
            pub const ALL: &'static [Rule] = &[ $( Rule::$variant, )* ];

            pub fn id(self) -> &'static str {
                match self { $( Rule::$variant => $id, )* }
            }

            fn builtin_default_severity(self) -> Severity {
                match self { $( Rule::$variant => Severity::$severity, )* }
            }

            /// One sentence saying what the rule catches (SARIF shortDescription, `explain` heading).
            pub fn summary(self) -> &'static str {
                match self { $( Rule::$variant => $summary, )* }
            }
        }
    };
}

rules! {
    UnknownVariable => "unknown-variable", Error, "A variable with a Service Connector prefix that Service Connector never sets.";
    WrongClientTypeVariable => "wrong-client-type-variable", Error, "A Service Connector variable that is not set for the connection's client type.";
    IncompleteVariableSet => "incomplete-variable-set", Warning, "Code reads part of a client type's variables but misses one it needs.";
    UndefinedInEnvFile => "undefined-in-env-file", Warning, "Code reads a variable that no .env file in scope defines.";
    UnusedEnvVariable => "unused-env-variable", Hint, "A .env file defines a Service Connector variable that no code in scope reads.";
    ConnectionStringFormat => "connection-string-format", Error, "A connection string whose format is not the one the client type gets.";
    MalformedConnectionString => "malformed-connection-string", Error, "A connection string that does not parse.";
    TlsDisabled => "tls-disabled", Error, "A connection that allows an unencrypted session.";
    InvalidNeonHost => "invalid-neon-host", Warning, "A host that is not an endpoint of the connection's target.";
    PlaintextSecret => "plaintext-secret", Warning, "A password in a .env file that git tracks or does not ignore.";
    HardcodedConnectionString => "hardcoded-connection-string", Error, "A connection string with a password written into source code.";
    PasswordWithPasswordlessAuth => "password-with-passwordless-auth", Warning, "A static password where the auth type is an identity or service principal.";
    ManualConnectionStringParsing => "manual-connection-string-parsing", Warning, "A connection string split by hand.";
    SecretLogged => "secret-logged", Warning, "A connection string or password printed or logged.";
    WrongTokenScope => "wrong-token-scope", Error, "An Entra token requested with a scope other than the Azure Database for PostgreSQL one.";
    StringSslFlag => "string-ssl-flag", Warning, "Node passes the _SSL variable, a string, straight to `ssl`.";
    DuplicateKey => "duplicate-key", Warning, "A key defined twice in one .env file.";
    EnvSyntax => "env-syntax", Error, "A .env line that loaders reject or misread.";
    DeclaredClientTypeMismatch => "declared-client-type-mismatch", Warning, "The client type declared in infrastructure code contradicts the code that reads the connection.";
    DeclaredAuthMismatch => "declared-auth-mismatch", Warning, "The auth type declared in infrastructure code contradicts the code that reads the connection.";
    DeclaredTargetMismatch => "declared-target-mismatch", Warning, "A declared connection targets one database service while the app reads the other's variables.";
    IacPlaintextSecret => "iac-plaintext-secret", Warning, "A database password written in plain text in infrastructure code or a deployment script.";
    MissingInDeployment => "missing-in-deployment", Warning, "Code reads a variable the deployed app does not have (check --azure).";
    DeploymentDrift => "deployment-drift", Warning, "The declared client type or auth type differs from the deployed connection's (check --azure).";
    KeyVaultMismatch => "key-vault-mismatch", Warning, "Code or a local .env file treats a deployed variable as a Key Vault reference where the app gets the secret itself (check --azure).";
    TlsNotRequired => "tls-not-required", Hint, "A Django or SQLAlchemy connection to Azure/Neon that leaves sslmode to libpq's default \"prefer\".";
}

impl Rule {
    /// The severity a rule has when no configuration changes it. `tls-disabled` is an error
    /// for Neon (which refuses plain connections) and a warning otherwise; the rule itself
    /// lowers it for non-Neon targets.
    pub fn default_severity(self) -> Severity {
        self.builtin_default_severity()
    }

    pub fn from_id(id: &str) -> Option<Rule> {
        Rule::ALL.iter().copied().find(|rule| rule.id() == id)
    }
}

impl From<Rule> for &'static str {
    fn from(rule: Rule) -> Self {
        rule.id()
    }
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

pub(crate) mod collect;
mod connection_string_format;
mod declared_auth_mismatch;
mod declared_client_type_mismatch;
mod declared_target_mismatch;
mod deployment_drift;
mod duplicate_key;
mod env_syntax;
mod fixes;
mod hardcoded_connection_string;
mod iac_plaintext_secret;
mod incomplete_variable_set;
mod invalid_neon_host;
mod key_vault_mismatch;
mod malformed_connection_string;
mod manual_connection_string_parsing;
mod missing_in_deployment;
mod password_with_passwordless_auth;
mod plaintext_secret;
mod secret_logged;
mod string_ssl_flag;
#[cfg(test)]
pub(crate) mod testing;
mod tls_disabled;
mod tls_not_required;
mod undefined_in_env_file;
mod unknown_variable;
mod unused_env_variable;
mod values;
mod wrong_client_type_variable;
mod wrong_token_scope;

use crate::analysis::Context;

impl Rule {
    /// The rule's user documentation (What it does / Why is this bad? / Example / Use instead),
    /// shown by `neon-lsp explain` and generated into docs/rules.md.
    pub fn documentation(self) -> &'static str {
        match self {
            Rule::UnknownVariable => unknown_variable::DOCUMENTATION,
            Rule::WrongClientTypeVariable => wrong_client_type_variable::DOCUMENTATION,
            Rule::IncompleteVariableSet => incomplete_variable_set::DOCUMENTATION,
            Rule::UndefinedInEnvFile => undefined_in_env_file::DOCUMENTATION,
            Rule::UnusedEnvVariable => unused_env_variable::DOCUMENTATION,
            Rule::ConnectionStringFormat => connection_string_format::DOCUMENTATION,
            Rule::MalformedConnectionString => malformed_connection_string::DOCUMENTATION,
            Rule::TlsDisabled => tls_disabled::DOCUMENTATION,
            Rule::InvalidNeonHost => invalid_neon_host::DOCUMENTATION,
            Rule::PlaintextSecret => plaintext_secret::DOCUMENTATION,
            Rule::HardcodedConnectionString => hardcoded_connection_string::DOCUMENTATION,
            Rule::PasswordWithPasswordlessAuth => password_with_passwordless_auth::DOCUMENTATION,
            Rule::ManualConnectionStringParsing => manual_connection_string_parsing::DOCUMENTATION,
            Rule::SecretLogged => secret_logged::DOCUMENTATION,
            Rule::WrongTokenScope => wrong_token_scope::DOCUMENTATION,
            Rule::StringSslFlag => string_ssl_flag::DOCUMENTATION,
            Rule::DuplicateKey => duplicate_key::DOCUMENTATION,
            Rule::EnvSyntax => env_syntax::DOCUMENTATION,
            Rule::DeclaredClientTypeMismatch => declared_client_type_mismatch::DOCUMENTATION,
            Rule::DeclaredAuthMismatch => declared_auth_mismatch::DOCUMENTATION,
            Rule::DeclaredTargetMismatch => declared_target_mismatch::DOCUMENTATION,
            Rule::IacPlaintextSecret => iac_plaintext_secret::DOCUMENTATION,
            Rule::MissingInDeployment => missing_in_deployment::DOCUMENTATION,
            Rule::DeploymentDrift => deployment_drift::DOCUMENTATION,
            Rule::KeyVaultMismatch => key_vault_mismatch::DOCUMENTATION,
            Rule::TlsNotRequired => tls_not_required::DOCUMENTATION,
        }
    }

    /// Markdown for one rule: heading, default severity, documentation.
    pub fn explain(self) -> String {
        format!(
            "## {id}\n\nDefault severity: {severity}. {summary}\n\n{doc}\n",
            id = self.id(),
            severity = self.default_severity(),
            summary = self.summary(),
            doc = self.documentation().trim()
        )
    }
}

/// docs/rules.md, generated from the registry (a test keeps the file in step).
pub fn rules_markdown() -> String {
    let mut out = String::from(
        "# neon-lsp rules\n\n<!-- Generated from src/rules by `cargo run -- explain --all > docs/rules.md`; do not edit by hand. -->\n\n\
         Suppress a finding with a comment `neon-lsp: ignore[rule-id]` on its line or alone on the line above; \
         change a rule's severity in neon-lsp.toml: `[rules] rule-id = \"off\" | \"hint\" | \"info\" | \"warning\" | \"error\"`.\n\n\
         | id | default | catches |\n|---|---|---|\n",
    );
    for rule in Rule::ALL {
        out.push_str(&format!(
            "| [`{id}`](#{id}) | {} | {} |\n",
            rule.default_severity(),
            rule.summary(),
            id = rule.id()
        ));
    }
    for rule in Rule::ALL {
        out.push('\n');
        out.push_str(&rule.explain());
    }
    out
}

/// Runs every rule into `out`, which settles (filters and caps) each rule's findings before
/// the next rule runs (`collect`).
pub(crate) fn run_all(context: &Context, out: &mut collect::Collector<'_>) {
    unknown_variable::check(context, out);
    wrong_client_type_variable::check(context, out);
    incomplete_variable_set::check(context, out);
    undefined_in_env_file::check(context, out);
    unused_env_variable::check(context, out);
    connection_string_format::check(context, out);
    malformed_connection_string::check(context, out);
    tls_disabled::check(context, out);
    invalid_neon_host::check(context, out);
    plaintext_secret::check(context, out);
    hardcoded_connection_string::check(context, out);
    password_with_passwordless_auth::check(context, out);
    manual_connection_string_parsing::check(context, out);
    secret_logged::check(context, out);
    wrong_token_scope::check(context, out);
    string_ssl_flag::check(context, out);
    duplicate_key::check(context, out);
    env_syntax::check(context, out);
    declared_client_type_mismatch::check(context, out);
    declared_auth_mismatch::check(context, out);
    declared_target_mismatch::check(context, out);
    iac_plaintext_secret::check(context, out);
    missing_in_deployment::check(context, out);
    deployment_drift::check(context, out);
    key_vault_mismatch::check(context, out);
    tls_not_required::check(context, out);
}
