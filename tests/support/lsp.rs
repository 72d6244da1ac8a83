//! A language-server client for the end-to-end tests: starts the real `neon-lsp serve`, speaks
//! JSON-RPC over its stdio, answers the server's own requests (configuration, progress) and
//! stops it. Tests that need to answer a request themselves use [`Server::wait_for_answering`].

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

pub struct Server {
    /// What the test answers to `workspace/configuration` (a JSON array).
    pub configuration: Value,
    pub child: Child,
    stdin: Option<ChildStdin>,
    messages: Receiver<Value>,
    next_id: i64,
    /// The server's cache directory (rule docs), removed with the server.
    pub cache: tempfile::TempDir,
    /// Every message the server sent that the test has read so far (for secret checks).
    pub received: Vec<String>,
    /// What the server answered to `initialize` (`capabilities`, `serverInfo`).
    pub initialized: Value,
}

/// How a test starts its server: `Server::builder(root)` then what differs from the defaults,
/// then [`Builder::start`]. The defaults: one workspace folder, no initializationOptions, no
/// `workspace/configuration` support, UTF-16 positions, progress and dynamic file watchers.
pub struct Builder {
    folders: Vec<PathBuf>,
    initialization_options: Value,
    pulled_settings: Option<Value>,
    args: Vec<String>,
    environment: Vec<(String, String)>,
    capabilities: Value,
}

impl Builder {
    /// Another workspace folder (multi-root workspaces).
    pub fn folder(mut self, folder: &Path) -> Builder {
        self.folders.push(folder.to_path_buf());
        self
    }

    /// The editor settings sent as initializationOptions.
    pub fn settings(mut self, settings: Value) -> Builder {
        self.initialization_options = settings;
        self
    }

    /// The client answers `workspace/configuration` (and says so in its capabilities) with
    /// these settings; initializationOptions stay empty, as in VS Code.
    pub fn pulled_settings(mut self, settings: Value) -> Builder {
        self.pulled_settings = Some(settings);
        self
    }

    /// Arguments after `neon-lsp serve` (e.g. `--log-file`).
    pub fn args(mut self, args: &[&str]) -> Builder {
        self.args.extend(args.iter().map(|arg| (*arg).to_owned()));
        self
    }

    /// An environment variable of the server process.
    pub fn env(mut self, key: &str, value: &str) -> Builder {
        self.environment.push((key.to_owned(), value.to_owned()));
        self
    }

    /// Top-level members (e.g. `window`) that replace the defaults of the client capabilities.
    pub fn capabilities(mut self, capabilities: Value) -> Builder {
        self.capabilities = capabilities;
        self
    }

    /// Starts the server, sends `initialize` and `initialized`.
    pub fn start(self) -> Server {
        let args: Vec<&str> = self.args.iter().map(String::as_str).collect();
        let environment: Vec<(&str, &str)> = self
            .environment
            .iter()
            .map(|(key, value)| (key.as_str(), value.as_str()))
            .collect();
        let mut server = Server::launch(&args, &environment);
        let mut capabilities = json!({
            "general": {"positionEncodings": ["utf-16"]},
            "window": {"workDoneProgress": true},
            "workspace": {"didChangeWatchedFiles": {"dynamicRegistration": true}}
        });
        if let Some(settings) = self.pulled_settings {
            capabilities["workspace"]["configuration"] = json!(true);
            server.configuration = json!([settings]);
        }
        if let Some(extra) = self.capabilities.as_object() {
            for (key, value) in extra {
                capabilities[key] = value.clone();
            }
        }
        let root = &self.folders[0];
        let result = server.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": uri(root, ""),
                "workspaceFolders": self.folders.iter().map(|f| json!({"uri": uri(f, ""), "name": "fixture"})).collect::<Vec<_>>(),
                "capabilities": capabilities,
                "initializationOptions": self.initialization_options
            }),
        );
        assert_eq!(result["capabilities"]["positionEncoding"], "utf-16");
        server.initialized = result;
        server.notify("initialized", json!({}));
        server
    }
}

impl Server {
    /// A server on `root` with the defaults ([`Builder`]).
    pub fn start(root: &Path) -> Server {
        Server::builder(root).start()
    }

    /// A server on `root` with what the test sets ([`Builder`]).
    pub fn builder(root: &Path) -> Builder {
        Builder {
            folders: vec![root.to_path_buf()],
            initialization_options: Value::Null,
            pulled_settings: None,
            args: Vec::new(),
            environment: Vec::new(),
            capabilities: json!({}),
        }
    }

    /// Starts `neon-lsp serve` without initializing it (tests of the lifecycle itself).
    pub fn launch(args: &[&str], environment: &[(&str, &str)]) -> Server {
        let cache = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_neon-lsp"))
            .arg("serve")
            .args(args)
            .env("XDG_CACHE_HOME", cache.path())
            .envs(environment.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start neon-lsp serve");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (sender, messages) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut length = None;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(value) = line.strip_prefix("Content-Length: ") {
                        length = value.parse::<usize>().ok();
                    }
                }
                let mut body = vec![0; length.expect("Content-Length header")];
                if reader.read_exact(&mut body).is_err() {
                    return;
                }
                if sender
                    .send(serde_json::from_slice(&body).expect("JSON body"))
                    .is_err()
                {
                    return;
                }
            }
        });
        Server {
            configuration: json!([null]),
            child,
            stdin: Some(stdin),
            messages,
            next_id: 1,
            cache,
            received: Vec::new(),
            initialized: Value::Null,
        }
    }

    /// The next message from the server, if one arrives within `wait`.
    pub fn next_message(&mut self, wait: Duration) -> Option<Value> {
        self.messages.recv_timeout(wait).ok()
    }

    /// Closes the server's stdin (the editor went away).
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// How the server exited, if it does within `wait`.
    pub fn exit_status_within(&mut self, wait: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + wait;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    pub fn send(&mut self, message: Value) {
        let body = message.to_string();
        let stdin = self.stdin.as_mut().expect("stdin is open");
        write!(stdin, "Content-Length: {}\r\n\r\n{}", body.len(), body).unwrap();
        stdin.flush().unwrap();
    }

    /// Writes bytes to the server's stdin as they are (malformed input on purpose).
    pub fn send_raw(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin is open");
        stdin.write_all(bytes).unwrap();
        stdin.flush().unwrap();
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let response = self.request_response(method, params);
        assert!(
            response.get("error").is_none(),
            "{method} failed: {response}"
        );
        response["result"].clone()
    }

    /// Sends a request and returns the whole response (result or error).
    pub fn request_response(&mut self, method: &str, params: Value) -> Value {
        let id = self.send_request(method, params);
        self.wait_for(|m| m["id"] == id && m.get("method").is_none())
    }

    /// Sends a request without waiting for its response (see [`Server::response_to`]), so the
    /// test can act while the server works on it.
    pub fn send_request(&mut self, method: &str, params: Value) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        id
    }

    /// Waits for the response to request `id`, offering server requests to `answer` meanwhile.
    pub fn response_to(&mut self, id: i64, answer: impl FnMut(&Value) -> Option<Value>) -> Value {
        self.wait_for_answering(|m| m["id"] == id && m.get("method").is_none(), answer)
    }

    /// Answers a server-to-client request the test received (and matched) itself.
    pub fn reply(&mut self, request: &Value, result: Value) {
        let id = request["id"].clone();
        self.send(json!({"jsonrpc": "2.0", "id": id, "result": result}));
    }

    /// Answers a server-to-client request with an error, as an editor that cannot do it would.
    pub fn reply_error(&mut self, request: &Value, code: i64, message: &str) {
        let id = request["id"].clone();
        self.send(json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}}));
    }

    /// The first message read so far that matches, else the next one that does. For messages
    /// whose order the transport does not fix: tower-lsp-server sends responses and the
    /// server's own notifications on separate channels, so a command's showMessage and its
    /// result can arrive either way round.
    pub fn received_or_wait_for(&mut self, matches: impl Fn(&Value) -> bool) -> Value {
        let earlier = self
            .received
            .iter()
            .filter_map(|text| serde_json::from_str::<Value>(text).ok())
            .find(|message| matches(message));
        match earlier {
            Some(message) => message,
            None => self.wait_for(matches),
        }
    }

    /// Waits for a message that matches, answering server-to-client requests with defaults.
    pub fn wait_for(&mut self, matches: impl Fn(&Value) -> bool) -> Value {
        self.wait_for_answering(matches, |_| None)
    }

    /// Waits (up to 60 s: generous, because CI machines are shared) for a message that matches.
    /// Server-to-client requests are offered to `answer` first (`Some(result)` answers them);
    /// the rest get the defaults: the test's configuration for `workspace/configuration`,
    /// `null` otherwise (e.g. window/workDoneProgress/create).
    pub fn wait_for_answering(
        &mut self,
        matches: impl Fn(&Value) -> bool,
        mut answer: impl FnMut(&Value) -> Option<Value>,
    ) -> Value {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let Ok(message) = self.messages.recv_timeout(left) else {
                panic!(
                    "timed out waiting for the server; it sent:\n{}\nbefore that:\n{}",
                    seen.join("\n"),
                    self.received[..self.received.len() - seen.len()].join("\n")
                );
            };
            seen.push(message.to_string());
            self.received.push(message.to_string());
            if matches(&message) {
                return message;
            }
            if message.get("id").is_some() && message.get("method").is_some() {
                let id = message["id"].clone();
                let result = match answer(&message) {
                    Some(result) => result,
                    None if message["method"] == "workspace/configuration" => {
                        self.configuration.clone()
                    }
                    None => Value::Null,
                };
                self.send(json!({"jsonrpc": "2.0", "id": id, "result": result}));
            }
        }
    }

    /// Waits for a `$/progress` begin whose title contains `title`; returns it with the tokens
    /// the server asked to create (`window/workDoneProgress/create`) meanwhile.
    pub fn wait_for_progress_begin(&mut self, title: &str) -> (Value, Vec<Value>) {
        let mut created = Vec::new();
        let begin = self.wait_for_answering(
            |m| {
                m["method"] == "$/progress"
                    && m["params"]["value"]["kind"] == "begin"
                    && m["params"]["value"]["title"]
                        .as_str()
                        .is_some_and(|text| text.contains(title))
            },
            |request| {
                if request["method"] == "window/workDoneProgress/create" {
                    created.push(request["params"]["token"].clone());
                }
                None
            },
        );
        (begin, created)
    }

    pub fn diagnostics_for(&mut self, uri: &str, accept: impl Fn(&Value) -> bool) -> Vec<Value> {
        let message = self.wait_for(|m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == uri
                && accept(&m["params"]["diagnostics"])
        });
        message["params"]["diagnostics"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    pub fn stop(mut self) {
        self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        match self.exit_status_within(Duration::from_secs(10)) {
            Some(status) => assert!(status.success(), "server exited with {status}"),
            None => panic!("server did not exit after shutdown/exit"),
        }
    }
}

impl Drop for Server {
    /// A failing test must not leave its server running (stop() waits for a clean exit first).
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn uri(root: &Path, relative: &str) -> String {
    let path = if relative.is_empty() {
        root.to_path_buf()
    } else {
        root.join(relative)
    };
    format!("file://{}", path.display())
}
