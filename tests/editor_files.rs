//! The editors' file lists are the server's (issue 15, "one source per fact"): the VS Code
//! extension's document patterns (editors/vscode/src/documents.ts) are the .env names and
//! neon-lsp.toml of `workspace`, and the Neovim plugin's root markers
//! (editors/nvim/lua/neon_lsp/config.lua) are `workspace::MANIFESTS`, and the plugin checks
//! exactly the settings keys the server reads (`lsp::SETTING_KEYS`). When this fails, the
//! message prints the list to paste.

use neon_lsp::workspace::{CONFIG_FILE_NAME, DOTENV_PATTERNS, MANIFESTS};

fn read(relative: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The text between `start` and the first `end` after it.
fn section<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text.find(start).unwrap_or_else(|| panic!("no {start:?}")) + start.len();
    let to = text[from..]
        .find(end)
        .unwrap_or_else(|| panic!("no {end:?}"))
        + from;
    &text[from..to]
}

/// The double-quoted strings of `text`.
fn quoted(text: &str) -> Vec<String> {
    text.split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

#[test]
fn vscode_watches_the_servers_env_and_config_names() {
    let documents = read("editors/vscode/src/documents.ts");
    let listed = quoted(section(
        &documents,
        "export const WATCHED_FILE_PATTERNS: readonly string[] = [",
        "];",
    ));
    let expected: Vec<String> = DOTENV_PATTERNS
        .iter()
        .chain([&CONFIG_FILE_NAME])
        .map(|name| format!("**/{name}"))
        .collect();
    assert_eq!(
        listed, expected,
        "editors/vscode/src/documents.ts: set WATCHED_FILE_PATTERNS to {expected:?}"
    );
}

/// A `workspace` glob as the anchored Lua pattern the plugin writes.
fn lua_pattern(glob: &str) -> String {
    format!("^{}$", glob.replace('.', "%.").replace('*', ".*"))
}

#[test]
fn neovim_root_markers_are_the_servers_manifests() {
    let config = read("editors/nvim/lua/neon_lsp/config.lua");
    let names = quoted(section(&config, "local manifests = {", "\n}"));
    let patterns = quoted(section(&config, "local manifest_patterns = {", "\n}"));
    let (globs, exact): (Vec<&str>, Vec<&str>) = MANIFESTS
        .iter()
        .map(|(name, _)| *name)
        .partition(|name| name.contains('*'));
    let globs: Vec<String> = globs.into_iter().map(lua_pattern).collect();
    assert_eq!(
        names, exact,
        "editors/nvim/lua/neon_lsp/config.lua: the manifests table must list {exact:?}"
    );
    assert_eq!(
        patterns, globs,
        "editors/nvim/lua/neon_lsp/config.lua: manifest_patterns must be {globs:?}"
    );
}

/// The keys of a Lua table written one `key = "type",` or `["key"] = "type",` per line.
fn lua_keys(table: &str) -> Vec<String> {
    table
        .lines()
        .filter(|line| !line.trim_start().starts_with("--"))
        .filter_map(|line| line.split_once('='))
        .map(|(key, _)| {
            key.trim()
                .trim_start_matches("[\"")
                .trim_end_matches("\"]")
                .to_owned()
        })
        .collect()
}

#[test]
fn neovim_accepts_every_setting_the_server_reads() {
    let config = read("editors/nvim/lua/neon_lsp/config.lua");
    let mut keys = lua_keys(section(&config, "local setting_types = {", "\n}"));
    keys.sort();
    let mut expected: Vec<String> = neon_lsp::lsp::SETTING_KEYS
        .iter()
        .map(|key| (*key).to_owned())
        .collect();
    expected.sort();
    assert_eq!(
        keys, expected,
        "editors/nvim/lua/neon_lsp/config.lua: setting_types must have the keys {expected:?}"
    );
}
