//! The whole analysis on a small workspace: the input is split at 0xFF bytes into the texts of
//! a fixed set of files (a .env file, sources in several languages, manifests, the config).
#![no_main]

use libfuzzer_sys::fuzz_target;
use neon_lsp::workspace::{GitState, Workspace, WorkspaceFile};

const PATHS: &[&str] = &[
    ".env",
    "app.py",
    "src/index.js",
    "package.json",
    "neon-lsp.toml",
    "api/.env.local",
    "api/Program.cs",
    "api/Api.csproj",
    "main.go",
    "requirements.txt",
];

fuzz_target!(|data: &[u8]| {
    let files = data
        .split(|&byte| byte == 0xFF)
        .zip(PATHS)
        .map(|(bytes, path)| WorkspaceFile {
            path: (*path).to_owned(),
            text: String::from_utf8_lossy(bytes).into_owned(),
            git: GitState::Untracked,
            lossy: false,
        })
        .collect();
    let workspace = Workspace { files };
    let _ = neon_lsp::analyse(&workspace, &neon_lsp::Options::default());
});
