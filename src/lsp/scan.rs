//! Reading a workspace folder from disk: the background scan, its progress and cancel button,
//! and single-file mode (`roots`) for folders that are not projects.
//!
//! The scan runs `disk::walk` on a blocking thread, started before the progress bar so it never
//! waits for the editor. While it runs, the progress bar counts the files read (every half
//! second) and offers a cancel button; cancelling stops the walk (its cancel flag is set when
//! the task is dropped) and leaves the folder in single-file mode. A folder with no project
//! marker at or above it is tried with a budget of [`UNMARKED_BUDGET`] directory entries: a
//! small scripts folder is checked whole, a shared temp folder or a home directory falls back
//! to single-file mode instead of reading gigabytes. Every such decision is logged.

use super::log::Level;
use super::{Backend, Root, lock, lock_map, memory, roots};
use crate::disk::walk::{self, Collected, WalkError, WalkOptions};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;
use tower_lsp_server::ls_types::{NumberOrString, Uri};

/// Directory entries a folder without a project marker may have before the server stops
/// walking it and falls back to single-file mode.
pub(super) const UNMARKED_BUDGET: usize = 20_000;

/// How often the progress bar's count of files read is refreshed.
const PROGRESS_EVERY: Duration = Duration::from_millis(500);

/// Sets the walk's cancel flag when the scan task is dropped (aborted by the cancel button).
struct StopOnDrop(Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

type WalkResult =
    Result<Result<Result<Collected, WalkError>, tokio::task::JoinError>, tokio::task::JoinError>;

/// What a scan ended with, for the progress bar and the log.
enum Outcome {
    Read(usize),
    SingleFile(String),
    Failed(String),
}

impl Backend {
    pub(super) async fn read_workspace(&self, index: usize) {
        let Some((root, single_file)) = lock(&self.state)
            .roots
            .get(index)
            .map(|r| (r.path.clone(), r.single_file))
        else {
            return;
        };
        if single_file {
            self.read_files_beside_open_documents(index);
            self.logger
                .log(&self.client, Level::Info, roots::single_file_reason(&root))
                .await;
            self.republish(index).await;
            return;
        }
        let unmarked = roots::project_of(&root).is_none();
        if unmarked {
            self.logger
                .log(
                    &self.client,
                    Level::Info,
                    format!(
                        "{} has no project marker (neon-lsp.toml, .git or a package manifest) \
                         in it or above it: reading it only if it has fewer than \
                         {UNMARKED_BUDGET} files and folders",
                        root.display()
                    ),
                )
                .await;
        }
        let cancel = Arc::new(AtomicBool::new(false));
        let read = Arc::new(AtomicUsize::new(0));
        let options = WalkOptions {
            max_entries: unmarked.then_some(UNMARKED_BUDGET),
            cancel: Some(cancel.clone()),
            progress: Some(read.clone()),
            ..WalkOptions::default()
        };
        let scan_root = root.clone();
        let stop = StopOnDrop(cancel);
        // Started before the progress bar: the scan must not wait for the editor's reply.
        let mut walk = tokio::spawn(async move {
            let _stop = stop;
            tokio::task::spawn_blocking(move || walk::collect(&[scan_root], &options)).await
        });
        let token_text = format!("neon-lsp/workspace-scan/{index}");
        lock_map(&self.cancellable).insert(token_text.clone(), walk.abort_handle());
        let token = NumberOrString::String(token_text.clone());
        let creation = self.create_progress(&token);
        tokio::pin!(creation);
        let mut finished = None;
        let created = tokio::select! {
            created = &mut creation => created,
            result = &mut walk => {
                // Commands waiting for the workspace can answer now, whatever the editor
                // does with our progress request.
                finished = Some(self.store(index, &root, result));
                creation.await
            }
        };
        let progress = match created {
            true => Some(
                self.client
                    .progress(token.clone(), "neon-lsp: checking the workspace")
                    .with_message(root.display().to_string())
                    .with_cancel_button()
                    .begin()
                    .await,
            ),
            false => None,
        };
        let outcome = match finished {
            Some(outcome) => outcome,
            None => {
                let mut ticks = tokio::time::interval(PROGRESS_EVERY);
                ticks.tick().await;
                loop {
                    tokio::select! {
                        result = &mut walk => break self.store(index, &root, result),
                        _ = ticks.tick() => {
                            if let Some(progress) = &progress {
                                let count = read.load(Ordering::Relaxed);
                                progress
                                    .report_with_message(format!("{count} files read"), None)
                                    .await;
                            }
                        }
                    }
                }
            }
        };
        lock_map(&self.cancellable).remove(&token_text);
        // The progress ends when the workspace's diagnostics are out, not when the files are
        // read: that is when the editor shows the full picture.
        self.republish(index).await;
        // The scan's transient data is freed now; hand it back instead of idling at the peak.
        memory::release_free_memory();
        let (level, message, summary) = match outcome {
            Outcome::Read(files) => (
                Level::Info,
                format!("workspace {} checked: {files} files read", root.display()),
                format!("{files} files checked"),
            ),
            Outcome::SingleFile(reason) => (Level::Info, reason, "single-file mode".to_owned()),
            Outcome::Failed(reason) => (Level::Error, reason, "failed".to_owned()),
        };
        if let Some(progress) = progress {
            progress.finish_with_message(summary).await;
        }
        self.logger.log(&self.client, level, message).await;
    }

    /// Keeps a finished scan's files (or switches the folder to single-file mode).
    fn store(&self, index: usize, root: &Path, result: WalkResult) -> Outcome {
        let outcome = match result {
            Ok(Ok(Ok(collected))) if !collected.truncated && !collected.cancelled => {
                let files = collected.files_scanned;
                let disk = collected
                    .workspace
                    .files
                    .into_iter()
                    .map(|f| (f.path.clone(), f))
                    .collect();
                if let Some(root) = lock(&self.state).roots.get_mut(index) {
                    root.disk = disk;
                    root.pending.push(super::documents::CacheChange::Clear);
                    root.scanned = true;
                }
                Outcome::Read(files)
            }
            Ok(Ok(Ok(collected))) if collected.truncated => {
                self.switch_to_single_file(index);
                Outcome::SingleFile(format!(
                    "{} is not inside a project and holds more than {UNMARKED_BUDGET} files and \
                     folders: single-file mode, only open files and the .env files beside them \
                     are checked (add a neon-lsp.toml to check it whole)",
                    root.display()
                ))
            }
            Ok(Ok(Ok(_))) => self.cancelled(index, root),
            Err(error) if error.is_cancelled() => self.cancelled(index, root),
            Ok(Ok(Err(error))) => Outcome::Failed(format!("cannot scan the workspace: {error}")),
            Ok(Err(error)) | Err(error) => {
                Outcome::Failed(format!("the workspace scan failed: {error}"))
            }
        };
        if let Some(root) = lock(&self.state).roots.get_mut(index) {
            root.scanned = true;
        }
        self.scan_done.notify_waiters();
        outcome
    }

    fn cancelled(&self, index: usize, root: &Path) -> Outcome {
        self.switch_to_single_file(index);
        Outcome::SingleFile(format!(
            "the scan of {} was cancelled: single-file mode, only open files and the .env files \
             beside them are checked",
            root.display()
        ))
    }

    fn switch_to_single_file(&self, index: usize) {
        if let Some(root) = lock(&self.state).roots.get_mut(index) {
            root.single_file = true;
        }
        self.read_files_beside_open_documents(index);
    }

    /// Single-file mode's reading: the .env files in the folders of the open documents.
    pub(super) fn read_files_beside_open_documents(&self, index: usize) {
        let Some((path, open)) = lock(&self.state).roots.get(index).map(|root| {
            let open: Vec<String> = root.open.keys().cloned().collect();
            (root.path.clone(), open)
        }) else {
            return;
        };
        let disk = roots::files_beside(&path, open.iter());
        if let Some(root) = lock(&self.state).roots.get_mut(index) {
            root.disk = disk;
            root.pending.push(super::documents::CacheChange::Clear);
            root.scanned = true;
        }
        self.scan_done.notify_waiters();
    }

    /// A document outside every workspace folder (the editor gave no root, or another one):
    /// adds the project it belongs to, or its folder in single-file mode. Returns the new
    /// root's index and whether it needs a scan.
    pub(super) async fn adopt(&self, uri: &Uri) -> Option<(usize, bool)> {
        let path = uri.to_file_path()?;
        let folder = path.parent()?.to_path_buf();
        let (root, single_file) = match roots::project_of(&folder) {
            Some(project) => (project, false),
            None => (folder, true),
        };
        let message = if single_file {
            roots::single_file_reason(&root)
        } else {
            format!(
                "{} is outside the workspace folders; checking its project {}",
                path.display(),
                root.display()
            )
        };
        let index = {
            let mut state = lock(&self.state);
            state.roots.push(Root {
                path: PathBuf::from(&root),
                single_file,
                ..Root::default()
            });
            state.roots.len() - 1
        };
        self.logger.log(&self.client, Level::Info, message).await;
        Some((index, !single_file))
    }
}
