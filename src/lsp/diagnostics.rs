//! Publishing: analyse a root's snapshot off the request path and publish what changed.

use super::documents::apply_to_cache;
use super::log::Level;
use super::{Backend, convert, lock, snapshot};
use crate::analysis::{ScanCache, analyse_cached};
use crate::config::ConfigError;
use crate::diagnostic::Diagnostic;
use crate::text::PositionEncoding;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use tower_lsp_server::ls_types as lsp;

impl Backend {
    /// Re-analyses a snapshot off the request path and publishes what changed.
    pub(super) async fn republish_all(&self) {
        let count = lock(&self.state).roots.len();
        for index in 0..count {
            self.republish(index).await;
        }
    }

    pub(super) async fn republish(&self, index: usize) {
        let generation = {
            let mut state = lock(&self.state);
            let settings_known = state.settings_known;
            let Some(root) = state.roots.get_mut(index) else {
                return;
            };
            root.generation += 1;
            // A root's first diagnostics wait for its settings and its first scan: published
            // earlier, they would follow the wrong client type or miss the .env files, and
            // flash in the editor before the right ones replace them. The scan's end
            // publishes (`read_workspace`); edits until then are kept, not analysed.
            if !(settings_known && root.scanned) {
                return;
            }
            root.generation
        };
        // Coalesce bursts: let queued changes land first, and leave the work to the newest.
        tokio::task::yield_now().await;
        // Waits for a running analysis; a change that came meanwhile leaves this one stale.
        let turn = self.analysing.lock().await;
        let (snapshot, root, options, cache, changes, open) = {
            let mut state = lock(&self.state);
            let options = state.options.clone();
            let Some(root) = state.roots.get_mut(index) else {
                return;
            };
            if root.generation != generation {
                return;
            }
            // The changes since the last snapshot go with this one: the cache then matches it.
            let changes = std::mem::take(&mut root.pending);
            let open: Vec<String> = root.open.keys().cloned().collect();
            (
                snapshot(root),
                root.path.clone(),
                options,
                root.cache.clone(),
                changes,
                open,
            )
        };
        let options = self.with_deployed(index, &root, &snapshot, options);
        let analysis = tokio::task::spawn_blocking(move || {
            let mut kept = match cache.lock() {
                Ok(kept) => kept,
                Err(poisoned) => {
                    // An analysis panicked half-way through its changes: start afresh.
                    let mut kept = poisoned.into_inner();
                    kept.clear();
                    cache.clear_poison();
                    kept
                }
            };
            apply_to_cache(&mut kept, changes);
            kept.keep_trees_of(open.iter().map(String::as_str));
            let result = analyse_cached(&snapshot, &options, &mut kept);
            // Freed after publishing: freeing a 10,000-line document's previous tree is ~1 ms.
            let replaced = kept.take_replaced();
            drop(kept);
            // The snapshot's texts themselves, not a copy held through the analysis.
            let texts: HashMap<String, String> = snapshot
                .files
                .into_iter()
                .map(|f| (f.path, f.text))
                .collect();
            (result, texts, replaced)
        })
        .await;
        drop(turn);
        let (result, texts, replaced) = match analysis {
            Ok(result) => result,
            Err(error) => {
                self.logger
                    .log(
                        &self.client,
                        Level::Error,
                        format!("neon-lsp: the analysis failed: {error}"),
                    )
                    .await;
                return;
            }
        };
        let (diagnostics, config_error) = match result {
            Ok(diagnostics) => (diagnostics, None),
            // A broken neon-lsp.toml is reported on the file itself, under its own code.
            Err(error) => (Vec::new(), Some(error)),
        };
        let mut by_path: HashMap<String, Vec<Diagnostic>> = HashMap::new();
        for diagnostic in diagnostics {
            by_path
                .entry(diagnostic.path.clone())
                .or_default()
                .push(diagnostic);
        }
        if let Some(error) = &config_error {
            // Listed (with no rule findings) so it is published now and cleared once fixed.
            by_path.entry(config_path(error)).or_default();
        }
        // Kept for code actions: the texts their ranges refer to (the files with findings, the
        // files their fixes edit or relate to, the open documents). The rest of the workspace's
        // texts are in `disk` already; a second copy of them would only hold memory.
        let mut texts = texts;
        {
            let open: Vec<String> = lock(&self.state)
                .roots
                .get(index)
                .map(|root| root.open.keys().cloned().collect())
                .unwrap_or_default();
            let mut needed: HashSet<&str> = open.iter().map(String::as_str).collect();
            for (path, diagnostics) in &by_path {
                needed.insert(path);
                for diagnostic in diagnostics {
                    needed.extend(diagnostic.related.iter().map(|r| r.path.as_str()));
                    needed.extend(
                        diagnostic
                            .fixes
                            .iter()
                            .flat_map(|fix| fix.edits.iter().map(|edit| edit.path.as_str())),
                    );
                }
            }
            texts.retain(|path, _| needed.contains(path.as_str()));
            texts.shrink_to_fit();
        }
        // Convert outside the lock, each file's line index built once.
        let encoding = lock(&self.state)
            .encoding
            .unwrap_or(PositionEncoding::Utf16);
        let mut converted: HashMap<String, Vec<lsp::Diagnostic>> = {
            let mut positions = convert::Positions::new(&texts, encoding);
            let docs = lock(&self.state).docs.clone();
            let mut converted: HashMap<String, Vec<lsp::Diagnostic>> = by_path
                .iter()
                .map(|(path, diagnostics)| {
                    let list = diagnostics
                        .iter()
                        .map(|d| convert::diagnostic(d, &mut positions, &root, &docs))
                        .collect();
                    (path.clone(), list)
                })
                .collect();
            if let Some(error) = &config_error {
                let path = config_path(error);
                let diagnostic = config_diagnostic(error, positions.range(&path, error.range));
                converted.entry(path).or_default().push(diagnostic);
            }
            converted
        };
        let to_publish = {
            let mut state = lock(&self.state);
            let Some(state) = state.roots.get_mut(index) else {
                return;
            };
            if state.generation != generation {
                return; // a newer change is being analysed
            }
            let mut paths: Vec<String> = by_path.keys().cloned().collect();
            // Stale findings are cleared, and open documents always get a (possibly empty)
            // list, so the editor knows they were checked.
            let extra: Vec<String> = state
                .published
                .keys()
                .chain(state.open.keys())
                .filter(|p| !by_path.contains_key(*p))
                .cloned()
                .collect();
            for path in extra {
                if !paths.contains(&path) {
                    paths.push(path);
                }
            }
            let publish: Vec<(String, Option<i32>, Vec<lsp::Diagnostic>)> = paths
                .into_iter()
                .map(|path| {
                    let version = state.open.get(&path).map(|(version, _)| *version);
                    let diagnostics = converted.remove(&path).unwrap_or_default();
                    (path, version, diagnostics)
                })
                .collect();
            state.published = by_path;
            state.texts = texts;
            publish
        };
        for (path, version, diagnostics) in to_publish {
            if let Some(uri) = self.uri_of(&root, &path) {
                self.client
                    .publish_diagnostics(uri, diagnostics, version)
                    .await;
            }
        }
        // The previous trees are freed off the edit's path.
        drop(tokio::task::spawn_blocking(move || drop(replaced)));
        // The edited documents' syntax trees are consolidated off it too.
        spawn_refresh(self, index, generation);
    }

    /// Re-parses in full the open documents whose last analyses re-parsed only the edited
    /// statements (`analysis::cache`), off the edit's path: later edits then start from a
    /// whole tree. The full parse also checks those local scans; should one have gone wrong
    /// (a bug), the root is analysed again from the full parse.
    async fn refresh_trees(&self, cache: Arc<Mutex<ScanCache>>) -> bool {
        use std::sync::atomic::Ordering;
        if self.refreshing.swap(true, Ordering::AcqRel) {
            return false;
        }
        // A thread of its own at the lowest priority: the next edit's analysis comes first.
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let spawned = std::thread::Builder::new()
            .name("neon-lsp-refresh".into())
            .spawn(move || {
                lower_priority();
                let jobs = match cache.lock() {
                    Ok(kept) => kept.refresh_jobs(),
                    Err(_) => {
                        sender.send(false).ok();
                        return;
                    }
                };
                let done: Vec<_> = jobs.into_iter().filter_map(|job| job.run()).collect();
                let Ok(mut kept) = cache.lock() else {
                    sender.send(false).ok();
                    return;
                };
                let installed: Vec<_> = done.into_iter().map(|done| kept.install(done)).collect();
                drop(kept);
                // The replaced trees are freed here, with the cache unlocked.
                let mismatch = installed.iter().any(|installed| installed.mismatch);
                drop(installed);
                sender.send(mismatch).ok();
            });
        let checked = match spawned {
            Ok(_) => receiver.await,
            Err(_) => Ok(false),
        };
        self.refreshing.store(false, Ordering::Release);
        if matches!(checked, Ok(true)) {
            self.logger
                .log(
                    &self.client,
                    Level::Warning,
                    "neon-lsp: a document's local re-parse differed from its full parse; analysing it again"
                        .to_string(),
                )
                .await;
            return true;
        }
        false
    }
}

/// Makes the calling thread yield to every other (Linux: nice 19 for this thread alone).
fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: `gettid` has no preconditions; `setpriority` on this thread's id changes only
    // its own niceness, and a failure leaves it as it was.
    unsafe {
        let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
        libc::setpriority(libc::PRIO_PROCESS, tid, 19);
    }
}

/// Patches (statements re-parsed on their own) an open document may gather before its tree
/// is consolidated at once; with fewer, that waits until the edits pause ([`REFRESH_PAUSE`]).
/// Each consolidation is a full parse (25–60 ms of CPU on a 10,000-line file): not one per
/// keystroke.
const REFRESH_PATCHES: usize = 16;
const REFRESH_PAUSE: std::time::Duration = std::time::Duration::from_millis(250);

/// Runs [`Backend::refresh_trees`] as a task of its own, when due, then analyses the root again
/// if it asks. (A plain function: `republish` calls it, and an async one would make the two
/// futures' types depend on each other.)
fn spawn_refresh(backend: &Backend, index: usize, generation: u64) {
    let cache = lock(&backend.state)
        .roots
        .get(index)
        .map(|root| root.cache.clone());
    let Some(cache) = cache else {
        return;
    };
    // Not waited for: a locked cache is an analysis running, whose end schedules its own.
    let patches = match cache.try_lock() {
        Ok(kept) => kept.most_patches(),
        Err(_) => return,
    };
    if patches == 0 {
        return;
    }
    let this = backend.clone();
    drop(tokio::spawn(async move {
        if patches < REFRESH_PATCHES {
            tokio::time::sleep(REFRESH_PAUSE).await;
            let current = lock(&this.state).roots.get(index).map(|r| r.generation);
            if current != Some(generation) {
                return; // edited since: the newer analysis schedules its own
            }
        }
        if this.refresh_trees(cache).await {
            this.republish(index).await;
        }
    }));
}

/// Where a neon-lsp.toml error is shown: the file, or neon-lsp.toml at the root for one that
/// names no file (options that do not fit together).
fn config_path(error: &ConfigError) -> String {
    if error.path.is_empty() {
        crate::workspace::CONFIG_FILE_NAME.to_string()
    } else {
        error.path.clone()
    }
}

/// A neon-lsp.toml error in the editor: code `config` (not a rule, so no rule level or
/// suppression turns it off), the message the command line prints too.
fn config_diagnostic(error: &ConfigError, range: lsp::Range) -> lsp::Diagnostic {
    lsp::Diagnostic {
        range,
        severity: Some(lsp::DiagnosticSeverity::ERROR),
        code: Some(lsp::NumberOrString::String(ConfigError::CODE.to_string())),
        source: Some("neon-lsp".to_string()),
        message: error.message.clone(),
        ..Default::default()
    }
}
