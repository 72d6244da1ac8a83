//! Which files could declare a connection, told from their text without parsing them. In a
//! real repository most infrastructure files never mention PostgreSQL; they are not parsed.
//!
//! Each needle is something the reader cannot produce a declaration without:
//! - a Service Connector linker's resource type names `linkers` (Bicep types are string
//!   literals; an ARM type is a literal or a parameter's or variable's value in the template);
//! - an app setting's variable name is written out whole with its `AZURE_POSTGRESQL_` /
//!   `NEON_POSTGRESQL_` prefix ([`super::is_connection_variable`] takes literals only), so the
//!   text holds `_POSTGRESQL_`;
//! - a Terraform connection's resource type (`azurerm_…_connection`) holds `_connection`;
//! - an `az … connection create` command holds `connection` and `create` as written: joining
//!   continued lines and folding YAML only turns line breaks and their `\` / `` ` `` into spaces.
//!
//! A backslash could spell any of them through an escape (`"\u005F"`, Bicep `'\_'`), so a file
//! with one is always read. The needles are matched ASCII case-insensitively (more files pass,
//! never fewer). `declared::tests::prefilter_*` prove both sides on every fixture project: the
//! filtered and unfiltered readings agree, and with the needles taken out nothing is declared.

use crate::needles::Needles;
use std::sync::LazyLock;

static TEMPLATE: LazyLock<Option<Needles>> =
    LazyLock::new(|| Needles::new(&["linkers", "_postgresql_", "\\"]));
static TERRAFORM: LazyLock<Option<Needles>> =
    LazyLock::new(|| Needles::new(&["_connection", "_postgresql_", "\\"]));

fn any(needles: &Option<Needles>, text: &str) -> bool {
    // Without an automaton (it cannot fail to build for these needles), read everything.
    needles.as_ref().is_none_or(|n| n.any_in(text.as_bytes()))
}

/// A Bicep file or an ARM template: could it hold a linker or a connection app setting?
/// (A Bicep file without a needle can still be a module of one that has one: see
/// `bicep::read`.)
pub(super) fn template(text: &str) -> bool {
    any(&TEMPLATE, text)
}

/// A Terraform file: could it hold a connection resource or a connection app setting?
/// (Variables are read from every file of the folder of one that does.)
pub(super) fn terraform(text: &str) -> bool {
    any(&TERRAFORM, text)
}

/// A script, workflow, pipeline or Dockerfile: could it hold `az … connection create`?
pub(super) fn az_command(text: &str) -> bool {
    let bytes = text.as_bytes();
    memchr::memmem::find(bytes, b"connection").is_some()
        && memchr::memmem::find(bytes, b"create").is_some()
}

/// Whether a Bicep file could hold a `module` statement (the keyword, as written).
pub(super) fn bicep_module(text: &str) -> bool {
    memchr::memmem::find(text.as_bytes(), b"module").is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn needles_match_what_each_reader_needs() {
        assert!(template(
            "resource l 'Microsoft.ServiceLinker/Linkers@2024-04-01' = {"
        ));
        assert!(template("{ AZURE_POSTGRESQL_HOST: 'h' }"));
        assert!(template("{ neon_postgresql_host: 'h' }"));
        assert!(template(r#"{"name": "AZURE\u005FPOSTGRESQL_HOST"}"#));
        assert!(!template(
            "resource s 'Microsoft.Storage/storageAccounts@2023-01-01' = {}"
        ));
        assert!(terraform(
            r#"resource "azurerm_function_app_connection" "c" {}"#
        ));
        assert!(terraform(
            r#"app_settings = { "NEON_POSTGRESQL_HOST" = "h" }"#
        ));
        assert!(!terraform(
            r#"resource "azurerm_linux_web_app" "w" { app_settings = {} }"#
        ));
        assert!(az_command("az webapp connection \\\n  create postgres"));
        assert!(!az_command("az webapp connection list"));
        assert!(!az_command("az group create -n rg"));
        assert!(bicep_module("module m './m.bicep' = {}"));
        assert!(!bicep_module("param name string"));
    }
}
