//! The `neon-lsp` binary: parses the command line and hands over to `neon_lsp::cli`.

use std::process::ExitCode;

fn main() -> ExitCode {
    neon_lsp::cli::main()
}
