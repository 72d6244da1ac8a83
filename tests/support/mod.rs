//! Real peers for the end-to-end tests: a throwaway PostgreSQL cluster that behaves like Neon
//! (TLS only, SCRAM, an iteration-count-1 verifier) and a local Azure managed-identity endpoint.
//! Each test binary includes this with `mod support;` and uses what it needs.
#![allow(dead_code)]

pub mod git;
pub mod http;
pub mod identity;
pub mod lsp;
pub mod neon;
pub mod pathological;
pub mod pg;

/// `CI=true` turns a missing prerequisite into a failure instead of a skip.
pub fn prerequisite_missing(what: &str) {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI=true and a prerequisite is missing: {what}");
    }
    eprintln!("skipped: {what}");
}
