//! neon-lsp: catches broken Azure Service Connector Postgres wiring — in the editor, in CI and
//! at the database.
//!
//! The analysis core (`catalogue`, `dotenv`, `connstr`, `scan`, `config`, `declared`, `infer`, `analysis`,
//! `rules`) is pure and synchronous: it takes text and returns values. The `cli` module is an
//! adapter that reads files, runs [`analysis::analyse`] and prints. See ARCHITECTURE.md.
//!
//! Only the command line prints: everything else returns values (the language server's stdout
//! is its protocol channel), so printing is a lint error outside `cli` (issue 15).
#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod analysis;
pub mod audience;
pub mod azure;
pub mod catalogue;
#[allow(clippy::print_stdout, clippy::print_stderr)] // the terminal's edge
pub mod cli;
pub mod compose;
pub mod config;
pub mod connstr;
pub mod declared;
pub mod deployed;
pub mod diagnostic;
pub mod disk;
pub mod dotenv;
pub mod infer;
pub mod lsp;
pub mod needles;
pub mod neon;
pub mod query;
pub mod retry;
pub mod rewrite;
pub mod rules;
pub mod scan;
pub mod secrets;
pub mod snippet;
pub mod testconn;
pub mod text;
pub mod workspace;

pub use analysis::{Options, analyse};
