//! The server's log: to the editor through `window/logMessage` and, with `--log-file`, to a
//! file. Only what the server itself says goes here — never document text or values, so no
//! secret can reach a log.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};
use tower_lsp_server::Client;
use tower_lsp_server::ls_types::MessageType;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum Level {
    Error,
    Warning,
    Info,
    Debug,
}

impl Level {
    fn message_type(self) -> MessageType {
        match self {
            Level::Error => MessageType::ERROR,
            Level::Warning => MessageType::WARNING,
            Level::Info => MessageType::INFO,
            Level::Debug => MessageType::LOG,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Info => "info",
            Level::Debug => "debug",
        }
    }
}

/// Where and how much the server logs.
#[derive(Debug, Clone)]
pub struct LogOptions {
    pub file: Option<PathBuf>,
    pub level: Level,
}

impl Default for LogOptions {
    fn default() -> Self {
        Self {
            file: None,
            level: Level::Info,
        }
    }
}

pub(super) struct Logger {
    level: Level,
    file: Option<Mutex<std::fs::File>>,
}

impl Logger {
    pub(super) fn open(options: &LogOptions) -> Result<Logger, String> {
        let file = match &options.file {
            Some(path) => Some(Mutex::new(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(|error| {
                        format!("cannot open the log file {}: {error}", path.display())
                    })?,
            )),
            None => None,
        };
        Ok(Logger {
            level: options.level,
            file,
        })
    }

    /// Writes to the log file only (when there is no client to tell).
    pub(super) fn log_to_file(&self, level: Level, message: &str) {
        if level > self.level {
            return;
        }
        if let Some(file) = &self.file {
            let seconds = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs_f64())
                .unwrap_or_default();
            let mut file = file.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let _ = writeln!(file, "{seconds:.3} {} {message}", level.name());
        }
    }

    pub(super) async fn log(&self, client: &Client, level: Level, message: impl Into<String>) {
        if level > self.level {
            return;
        }
        let message = message.into();
        self.log_to_file(level, &message);
        client
            .log_message(level.message_type(), format!("neon-lsp: {message}"))
            .await;
    }
}
