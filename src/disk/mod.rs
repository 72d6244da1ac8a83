//! Disk access shared by the command line and the language server: `walk` (finding and reading
//! a project's files), `git` (tracked/ignored state from git itself) and `write_atomically`.
//!
//! Not the analysis core (which never touches the file system) and not a command: `cli`, `lsp`
//! and `neon` call it; it imports none of them.

pub mod git;
pub mod walk;

mod atomic;
pub use atomic::write_atomically;
