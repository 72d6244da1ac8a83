//! Real peers for the end-to-end tests: a throwaway PostgreSQL cluster that behaves like Neon
//! (TLS only, SCRAM, an iteration-count-1 verifier) and a local Azure managed-identity endpoint.
//! Each test binary includes this with `mod support;` and uses what it needs.
#![allow(dead_code)]

pub mod arm;
pub mod git;
pub mod http;
pub mod identity;
pub mod lsp;
pub mod neon;
pub mod parse_check;
pub mod pathological;
pub mod pg;
pub mod service_connector;
pub mod silent;
pub mod skip;

pub use skip::prerequisite_missing;
