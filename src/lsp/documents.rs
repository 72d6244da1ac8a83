//! Text document sync and the workspace's files: didOpen/didChange/didClose, watched files,
//! workspace folders, rescans, and the snapshot the analysis reads.

use super::{Backend, Root, convert, lock};
use crate::analysis::{ScanCache, TextEdit};
use crate::text::PositionEncoding;
use crate::workspace::{GitState, Workspace, WorkspaceFile, classify};
use std::collections::BTreeMap;
use std::path::PathBuf;
use tower_lsp_server::ls_types as lsp;

/// Files whose changes on disk change the analysis besides .env files, the config and the
/// manifests (those come from `workspace`'s lists in [`watched_globs`]): declared connections
/// (crate::declared), infrastructure code and deployment scripts.
const WATCHED_INFRASTRUCTURE: &[&str] = &[
    "**/*.bicep",
    "**/*.tf",
    "**/azure.yaml",
    "**/infra/**/*.json",
    "**/azuredeploy.json",
    "**/.github/workflows/*.{yml,yaml}",
    "**/azure-pipelines*.{yml,yaml}",
    "**/*.sh",
    "**/*.ps1",
];

/// The globs the server asks the editor to watch: every .env name, neon-lsp.toml and every
/// manifest `workspace::classify` knows (so a change to setup.py outside the editor rescans),
/// then [`WATCHED_INFRASTRUCTURE`].
pub(super) fn watched_globs() -> Vec<String> {
    crate::workspace::DOTENV_PATTERNS
        .iter()
        .copied()
        .chain([crate::workspace::CONFIG_FILE_NAME])
        .chain(
            crate::workspace::MANIFESTS
                .iter()
                .map(|(pattern, _)| *pattern),
        )
        .map(|name| format!("**/{name}"))
        .chain(WATCHED_INFRASTRUCTURE.iter().map(|glob| (*glob).to_owned()))
        .collect()
}

/// A change to a root's texts, for its scan cache (`Root::pending`).
pub(super) enum CacheChange {
    /// An open document's text changed by this edit.
    Edit(String, TextEdit),
    /// A document's text was replaced wholesale (opened, closed, a full-text change).
    Forget(String),
    /// The files on disk were read again.
    Clear,
}

/// Applies the changes since the last analysis to `cache`.
pub(super) fn apply_to_cache(cache: &mut ScanCache, changes: Vec<CacheChange>) {
    for change in changes {
        match change {
            CacheChange::Edit(path, edit) => cache.edit(&path, &edit),
            CacheChange::Forget(path) => cache.forget(&path),
            CacheChange::Clear => cache.clear(),
        }
    }
}

/// The workspace as the analysis should see it: files on disk with open documents on top.
pub(super) fn snapshot(state: &Root) -> Workspace {
    let mut files: BTreeMap<String, WorkspaceFile> = state.disk.clone();
    for (path, (_, text)) in &state.open {
        if classify(path).is_none() {
            continue;
        }
        let git = files
            .get(path)
            .map(|f| f.git)
            .unwrap_or(GitState::NotInRepository);
        files.insert(
            path.clone(),
            WorkspaceFile {
                path: path.clone(),
                text: text.clone(),
                git,
                lossy: false,
            },
        );
    }
    Workspace {
        files: files.into_values().collect(),
    }
}

impl Backend {
    pub(super) async fn rescan_all(&self) {
        let count = lock(&self.state).roots.len();
        for index in 0..count {
            self.rescan(index).await;
        }
    }

    pub(super) async fn rescan(&self, index: usize) {
        self.read_workspace(index).await;
        let first = lock(&self.state)
            .roots
            .get_mut(index)
            .is_some_and(|root| !std::mem::replace(&mut root.scanned, true));
        self.scan_done.notify_waiters();
        if first {
            // The scan failed, so its publication was held back (`republish`): the open
            // documents are analysed on their own now.
            self.republish(index).await;
        }
    }

    /// Waits until folder `index` has been read from disk once (commands that need the whole
    /// workspace, such as describeConnection, would otherwise answer from an empty one).
    pub(super) async fn wait_until_scanned(&self, index: usize) {
        loop {
            let notified = self.scan_done.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let scanned = lock(&self.state)
                .roots
                .get(index)
                .is_none_or(|root| root.scanned);
            if scanned {
                return;
            }
            notified.await;
        }
    }

    pub(super) async fn handle_did_change_workspace_folders(
        &self,
        params: lsp::DidChangeWorkspaceFoldersParams,
    ) {
        let added: Vec<PathBuf> = params
            .event
            .added
            .iter()
            .filter_map(|f| f.uri.to_file_path().map(|p| p.into_owned()))
            .collect();
        let removed: Vec<PathBuf> = params
            .event
            .removed
            .iter()
            .filter_map(|f| f.uri.to_file_path().map(|p| p.into_owned()))
            .collect();
        let cleared: Vec<(PathBuf, Vec<String>)> = {
            let mut state = lock(&self.state);
            let gone: Vec<(PathBuf, Vec<String>)> = state
                .roots
                .iter()
                .filter(|r| removed.contains(&r.path))
                .map(|r| (r.path.clone(), r.published.keys().cloned().collect()))
                .collect();
            state.roots.retain(|r| !removed.contains(&r.path));
            for path in added {
                if !state.roots.iter().any(|r| r.path == path) {
                    state.roots.push(Root {
                        path,
                        ..Root::default()
                    });
                }
            }
            gone
        };
        // A removed folder's diagnostics go with it.
        for (root, paths) in cleared {
            for path in paths {
                if let Some(uri) = self.uri_of(&root, &path) {
                    self.client.publish_diagnostics(uri, Vec::new(), None).await;
                }
            }
        }
        self.rescan_all().await;
    }

    pub(super) async fn handle_did_open(&self, params: lsp::DidOpenTextDocumentParams) {
        let uri = &params.text_document.uri;
        let adopted = match self.relative(uri) {
            Some(_) => None,
            None => self.adopt(uri).await,
        };
        let Some((index, path)) = self.relative(uri) else {
            return;
        };
        let single_file = {
            let mut state = lock(&self.state);
            let Some(root) = state.roots.get_mut(index) else {
                return;
            };
            root.pending.push(CacheChange::Forget(path.clone()));
            root.open.insert(
                path,
                (params.text_document.version, params.text_document.text),
            );
            root.single_file
        };
        if single_file {
            self.read_files_beside_open_documents(index);
        }
        match adopted {
            Some((index, true)) => self.rescan(index).await,
            _ => self.republish(index).await,
        }
    }

    pub(super) async fn handle_did_change(&self, params: lsp::DidChangeTextDocumentParams) {
        self.fault.inject("textDocument/didChange");
        let Some((index, path)) = self.relative(&params.text_document.uri) else {
            return;
        };
        {
            // Stored before any await, so concurrent handlers cannot reorder edits.
            let mut state = lock(&self.state);
            let encoding = state.encoding.unwrap_or(PositionEncoding::Utf16);
            let Some(root) = state.roots.get_mut(index) else {
                return;
            };
            let Some((version, text)) = root.open.get_mut(&path) else {
                return;
            };
            for change in params.content_changes {
                // The scan cache re-parses from the edited tree (or from scratch).
                root.pending
                    .push(match convert::apply_change(text, &change, encoding) {
                        Some(edit) => CacheChange::Edit(path.clone(), edit),
                        None => CacheChange::Forget(path.clone()),
                    });
            }
            *version = params.text_document.version;
        }
        self.republish(index).await;
    }

    pub(super) async fn handle_did_close(&self, params: lsp::DidCloseTextDocumentParams) {
        let Some((index, path)) = self.relative(&params.text_document.uri) else {
            return;
        };
        if let Some(root) = lock(&self.state).roots.get_mut(index) {
            root.open.remove(&path);
            root.pending.push(CacheChange::Forget(path));
        }
        self.republish(index).await;
    }

    pub(super) async fn handle_did_change_watched_files(
        &self,
        _: lsp::DidChangeWatchedFilesParams,
    ) {
        self.rescan_all().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_kind_the_analysis_reads_is_watched() {
        let globs = watched_globs();
        // setup.py was missing from the hand-written list (issue 15).
        assert!(globs.contains(&"**/setup.py".to_owned()), "{globs:?}");
        for name in crate::workspace::DOTENV_PATTERNS
            .iter()
            .chain([&crate::workspace::CONFIG_FILE_NAME])
            .chain(crate::workspace::MANIFESTS.iter().map(|(name, _)| name))
        {
            assert!(globs.contains(&format!("**/{name}")), "{name}: {globs:?}");
        }
    }
}
