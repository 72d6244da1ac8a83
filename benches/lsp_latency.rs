//! Language-server latency and memory, against the release binary over real stdio.
//!
//! 1. Opens a 10,000-line JavaScript file with 500 references, applies 200 one-character edits
//!    and measures didChange → publishDiagnostics latency (p50, p99); the same with a 10,000-line
//!    Python file (the space typed at line ends); then the same for a
//!    character typed and deleted at line ends of a realistic Express app and Django settings.py
//!    (about 300 lines each).
//! 2. initialize → workspace diagnostics complete (the `$/progress` end) on the Python
//!    installation's lib folder, against `neon-lsp check` on the same folder in the same run.
//! 3. Peak and idle RSS of the server (VmHWM / VmRSS).
//!
//! `cargo bench --bench lsp_latency [-- TREE]` (`LSP_LATENCY_BIN=path` to measure another binary, `LSP_LATENCY_EDITS_ONLY=1` for part 1 only). Targets (issue 13): p99 < 10 ms, ready ≤ 1.5× check,
//! idle < 50 MiB.

#[path = "support/latency_document.rs"]
mod latency_document;

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

struct Server {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
}

impl Server {
    fn start(bin: &Path, root: &Path) -> Server {
        let mut child = Command::new(bin)
            .arg("serve")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start server");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (sender, messages) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut length = 0;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    if line.trim().is_empty() {
                        break;
                    }
                    if let Some(v) = line.trim().strip_prefix("Content-Length: ") {
                        length = v.parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0; length];
                if reader.read_exact(&mut body).is_err()
                    || sender
                        .send(serde_json::from_slice(&body).unwrap_or(Value::Null))
                        .is_err()
                {
                    return;
                }
            }
        });
        let mut server = Server {
            child,
            stdin,
            messages,
        };
        let uri = format!("file://{}", root.display());
        server.send(json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"processId":null,"rootUri":uri,"workspaceFolders":[{"uri":uri,"name":"bench"}],"capabilities":{"window":{"workDoneProgress":true}}}}));
        server.wait(|m| m["id"] == 1 && m.get("method").is_none());
        server.send(json!({"jsonrpc":"2.0","method":"initialized","params":{}}));
        server
    }

    fn send(&mut self, message: Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{}", body.len(), body).expect("write");
        self.stdin.flush().expect("flush");
    }

    fn wait(&mut self, matches: impl Fn(&Value) -> bool) -> Value {
        loop {
            let message = self
                .messages
                .recv_timeout(Duration::from_secs(120))
                .expect("server answered in time");
            if matches(&message) {
                return message;
            }
            if message.get("id").is_some() && message.get("method").is_some() {
                let id = message["id"].clone();
                self.send(json!({"jsonrpc":"2.0","id":id,"result":null}));
            }
        }
    }

    fn memory_kib(&self, field: &str) -> u64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default()
            .lines()
            .find(|l| l.starts_with(field))
            .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
            .unwrap_or(0)
    }

    fn stop(mut self) {
        self.send(json!({"jsonrpc":"2.0","id":999,"method":"shutdown","params":null}));
        self.wait(|m| m["id"] == 999);
        self.send(json!({"jsonrpc":"2.0","method":"exit","params":null}));
        let _ = self.child.wait();
    }
}

/// didChange → publishDiagnostics latency for 200 one-character edits spread through `text`.
fn big_file_latency(bin: &Path, name: &str, language: &str, text: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().canonicalize().expect("canonical");
    std::fs::write(root.join("package.json"), "{}").expect("write");
    std::fs::write(root.join("requirements.txt"), "psycopg2-binary==2.9\n").expect("write");
    std::fs::write(root.join(name), text).expect("write");
    let mut server = Server::start(bin, &root);
    workspace_ready(&mut server);
    let uri = format!("file://{}", root.join(name).display());
    server.send(json!({"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":uri,"languageId":language,"version":1,"text":text}}}));
    server
        .wait(|m| m["method"] == "textDocument/publishDiagnostics" && m["params"]["version"] == 1);
    let mut latencies = Vec::new();
    // JavaScript: a space typed at the start of a line. Python: at the end (at the start it
    // would be an indentation error, which a user does not type through a file).
    let lengths: Vec<usize> = text.lines().map(str::len).collect();
    for edit in 0..200 {
        let version = edit + 2;
        let line = (edit * 47) % 10_000;
        let character = if language == "python" {
            lengths.get(line).copied().unwrap_or(0)
        } else {
            0
        };
        let started = Instant::now();
        server.send(json!({"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":uri,"version":version},"contentChanges":[{"range":{"start":{"line":line,"character":character},"end":{"line":line,"character":character}},"text":" "}]}}));
        server.wait(|m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == uri
                && m["params"]["version"] == version
        });
        latencies.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    // The slowest edits, to tell a slow kind of edit from a slow moment.
    let mut slowest: Vec<(f64, usize)> = latencies.iter().copied().zip(0..).collect();
    slowest.sort_by(|a, b| b.0.total_cmp(&a.0));
    let slowest: Vec<String> = slowest
        .iter()
        .take(4)
        .map(|(ms, edit)| format!("edit {edit} (line {}) {ms:.1} ms", (edit * 47) % 10_000))
        .collect();
    latencies.sort_by(f64::total_cmp);
    println!("slowest: {}", slowest.join(", "));
    println!(
        "{name}: edit latency over 200 one-character edits (10,000 lines, 500 references): p50 {:.2} ms, p99 {:.2} ms (target < 10 ms), max {:.2} ms",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        latencies[latencies.len() - 1]
    );
    server.stop();
}

fn workspace_ready(server: &mut Server) {
    server.wait(|m| m["method"] == "$/progress" && m["params"]["value"]["kind"] == "end");
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    // `LSP_LATENCY_BIN=path` measures another build (a copy of the binary before a change),
    // so that before and after run back to back under the same load.
    let bin = match std::env::var_os("LSP_LATENCY_BIN") {
        Some(bin) => PathBuf::from(bin),
        None => {
            let status = Command::new("cargo")
                .args(["build", "--release", "--quiet"])
                .status()
                .expect("cargo build");
            assert!(status.success());
            PathBuf::from(env!("CARGO_BIN_EXE_neon-lsp"))
        }
    };

    // 1. Edit latency on a big file: JavaScript (the target's file), then Python.
    for (name, language, text) in [
        ("big.js", "javascript", latency_document::big_js()),
        ("big.py", "python", latency_document::big_py()),
    ] {
        big_file_latency(&bin, name, language, &text);
    }

    // 1b. Typing at line ends in realistic files (a character typed, then deleted).
    for (name, language, manifest, text) in [
        (
            "app.js",
            "javascript",
            (
                "package.json",
                r#"{"dependencies":{"express":"4","pg":"8"}}"#,
            ),
            latency_document::express_app(),
        ),
        (
            "settings.py",
            "python",
            ("requirements.txt", "Django==5.0\npsycopg2-binary==2.9\n"),
            latency_document::django_settings(),
        ),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().canonicalize().expect("canonical");
        std::fs::write(root.join(manifest.0), manifest.1).expect("write");
        std::fs::write(root.join(name), &text).expect("write");
        let mut server = Server::start(&bin, &root);
        workspace_ready(&mut server);
        let uri = format!("file://{}", root.join(name).display());
        server.send(json!({"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":uri,"languageId":language,"version":1,"text":text}}}));
        server.wait(|m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["version"] == 1
        });
        let lines: Vec<&str> = text.lines().collect();
        let mut latencies = Vec::new();
        for edit in 0..200 {
            let version = edit + 2;
            let line = (edit / 2 * 37) % lines.len();
            let column = lines[line].len();
            let change = if edit % 2 == 0 {
                json!({"range":{"start":{"line":line,"character":column},"end":{"line":line,"character":column}},"text":"x"})
            } else {
                json!({"range":{"start":{"line":line,"character":column},"end":{"line":line,"character":column + 1}},"text":""})
            };
            let started = Instant::now();
            server.send(json!({"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":uri,"version":version},"contentChanges":[change]}}));
            server.wait(|m| {
                m["method"] == "textDocument/publishDiagnostics"
                    && m["params"]["uri"] == uri
                    && m["params"]["version"] == version
            });
            latencies.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        latencies.sort_by(f64::total_cmp);
        println!(
            "{name} ({} lines), 200 edits typing and deleting a character at line ends: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            lines.len(),
            percentile(&latencies, 0.5),
            percentile(&latencies, 0.99),
            latencies[latencies.len() - 1]
        );
        server.stop();
    }
    if std::env::var_os("LSP_LATENCY_EDITS_ONLY").is_some() {
        return;
    }

    // 2. Workspace ready vs check, 3. memory.
    let tree = args.first().cloned().unwrap_or_else(|| {
        let out = Command::new("python3")
            .args([
                "-c",
                "import sysconfig,os; print(os.path.dirname(sysconfig.get_paths()['stdlib']))",
            ])
            .output()
            .expect("python3");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    });
    let tree = PathBuf::from(tree);
    let _ = Command::new(&bin)
        .args(["check", "--format", "json"])
        .arg(&tree)
        .output(); // warm the cache
    let mut check_times = Vec::new();
    let mut ready_times = Vec::new();
    let (mut peak, mut idle) = (0, 0);
    for _ in 0..5 {
        let started = Instant::now();
        let _ = Command::new(&bin)
            .args(["check", "--format", "json"])
            .arg(&tree)
            .output();
        check_times.push(started.elapsed().as_secs_f64());
        let started = Instant::now();
        let mut server = Server::start(&bin, &tree);
        workspace_ready(&mut server);
        ready_times.push(started.elapsed().as_secs_f64());
        std::thread::sleep(Duration::from_millis(500));
        peak = peak.max(server.memory_kib("VmHWM:"));
        idle = idle.max(server.memory_kib("VmRSS:"));
        server.stop();
    }
    check_times.sort_by(f64::total_cmp);
    ready_times.sort_by(f64::total_cmp);
    let (check, ready) = (percentile(&check_times, 0.5), percentile(&ready_times, 0.5));
    println!(
        "{}: check {:.3} s, initialize → workspace diagnostics {:.3} s (ratio {:.2}x, target ≤ 1.5x); server peak RSS {:.1} MiB, idle RSS {:.1} MiB (target < 50 MiB)",
        tree.display(),
        check,
        ready,
        ready / check,
        peak as f64 / 1024.0,
        idle as f64 / 1024.0
    );
}
