//! Code actions: quick fixes from the published diagnostics (edits that carry a secret sent
//! only on codeAction/resolve), "Add missing variables", and the snippet source action.

use super::{Backend, commands, convert, lock};
use crate::diagnostic::Diagnostic;
use crate::text::PositionEncoding;
use std::path::Path;
use tower_lsp_server::jsonrpc::Result as RpcResult;
use tower_lsp_server::ls_types::{self as lsp, Uri};

/// "Add missing variables to .env": every `undefined-in-env-file` fix of the file in one edit.
fn add_missing_variables(
    diagnostics: &[Diagnostic],
    positions: &mut convert::Positions,
    root: &Path,
) -> Option<lsp::CodeActionOrCommand> {
    let mut combined: Option<crate::diagnostic::FileEdit> = None;
    let mut seen: Vec<&str> = Vec::new();
    for diagnostic in diagnostics
        .iter()
        .filter(|d| d.rule == crate::rules::Rule::UndefinedInEnvFile)
    {
        let Some(edit) = diagnostic.fixes.first().and_then(|fix| fix.edits.first()) else {
            continue;
        };
        if seen.contains(&edit.new_text.as_str()) {
            continue;
        }
        seen.push(&edit.new_text);
        match &mut combined {
            None => combined = Some(edit.clone()),
            // Later lines go to the same place: drop their own leading line break.
            Some(all) if all.path == edit.path && all.range == edit.range => {
                all.new_text
                    .push_str(edit.new_text.trim_start_matches(['\r', '\n']));
            }
            Some(_) => {}
        }
    }
    let edit = combined?;
    if seen.len() < 2 {
        return None;
    }
    let fix = crate::diagnostic::Fix {
        title: format!("Add missing variables to {}", edit.path),
        edits: vec![edit],
        applicability: crate::diagnostic::Applicability::Unsafe,
    };
    let workspace_edit = convert::workspace_edit(&fix, positions, root)?;
    Some(lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
        title: fix.title,
        kind: Some(lsp::CodeActionKind::QUICKFIX),
        edit: Some(workspace_edit),
        ..Default::default()
    }))
}

impl Backend {
    pub(super) async fn handle_code_action_resolve(
        &self,
        mut action: lsp::CodeAction,
    ) -> RpcResult<lsp::CodeAction> {
        let Some(data) = action.data.clone() else {
            return Ok(action);
        };
        let field = |name: &str| data.get(name).and_then(serde_json::Value::as_u64);
        let (Some(uri), Some(rule), Some(start), Some(end), Some(fix)) = (
            data.get("uri")
                .and_then(serde_json::Value::as_str)
                .and_then(|uri| uri.parse::<Uri>().ok()),
            data.get("rule").and_then(serde_json::Value::as_str),
            field("start"),
            field("end"),
            field("fix"),
        ) else {
            return Ok(action);
        };
        let Some((index, path)) = self.relative(&uri) else {
            return Ok(action);
        };
        let guard = lock(&self.state);
        let encoding = guard.encoding.unwrap_or(PositionEncoding::Utf16);
        let Some(state) = guard.roots.get(index) else {
            return Ok(action);
        };
        let fix = state
            .published
            .get(&path)
            .into_iter()
            .flatten()
            .find(|d| {
                d.rule.id() == rule && d.range.start as u64 == start && d.range.end as u64 == end
            })
            .and_then(|d| d.fixes.get(usize::try_from(fix).ok()?));
        if let Some(fix) = fix {
            let mut positions = convert::Positions::new(&state.texts, encoding);
            action.edit = convert::workspace_edit(fix, &mut positions, &state.path);
        }
        Ok(action)
    }

    pub(super) async fn handle_code_action(
        &self,
        params: lsp::CodeActionParams,
    ) -> RpcResult<Option<lsp::CodeActionResponse>> {
        let Some((index, path)) = self.relative(&params.text_document.uri) else {
            return Ok(None);
        };
        let guard = lock(&self.state);
        let encoding = guard.encoding.unwrap_or(PositionEncoding::Utf16);
        let state_docs = guard.docs.clone();
        let Some(state) = guard.roots.get(index) else {
            return Ok(None);
        };
        let root = &state.path;
        let diagnostics: &[Diagnostic] = state.published.get(&path).map_or(&[], Vec::as_slice);
        let text = state.texts.get(&path).map(String::as_str).unwrap_or("");
        let requested = convert::range_to_offsets(text, params.range, encoding);
        let mut positions = convert::Positions::new(&state.texts, encoding);
        let mut actions = Vec::new();
        for diagnostic in diagnostics {
            let overlaps =
                diagnostic.range.start <= requested.end && requested.start <= diagnostic.range.end;
            if !overlaps {
                continue;
            }
            let lsp_diagnostic = convert::diagnostic(diagnostic, &mut positions, root, &state_docs);
            for (index, fix) in diagnostic.fixes.iter().enumerate() {
                if fix.edits.iter().any(|edit| edit.display_text.is_some()) {
                    // The edit carries a secret (a connection string moved into .env): sent
                    // only when the user picks the action (codeAction/resolve).
                    actions.push(lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
                        title: crate::secrets::mask_value(&fix.title),
                        kind: Some(lsp::CodeActionKind::QUICKFIX),
                        diagnostics: Some(vec![lsp_diagnostic.clone()]),
                        is_preferred: Some(
                            index == 0
                                && fix.applicability == crate::diagnostic::Applicability::Safe,
                        ),
                        data: Some(serde_json::json!({
                            "uri": params.text_document.uri.as_str(),
                            "rule": diagnostic.rule.id(),
                            "start": diagnostic.range.start,
                            "end": diagnostic.range.end,
                            "fix": index,
                        })),
                        ..Default::default()
                    }));
                    continue;
                }
                let Some(edit) = convert::workspace_edit(fix, &mut positions, root) else {
                    continue;
                };
                actions.push(lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
                    title: fix.title.clone(),
                    kind: Some(lsp::CodeActionKind::QUICKFIX),
                    diagnostics: Some(vec![lsp_diagnostic.clone()]),
                    edit: Some(edit),
                    is_preferred: Some(
                        index == 0 && fix.applicability == crate::diagnostic::Applicability::Safe,
                    ),
                    ..Default::default()
                }));
            }
        }
        if let Some(action) = add_missing_variables(diagnostics, &mut positions, root) {
            actions.push(action);
        }
        let wants_source = params.context.only.as_ref().is_none_or(|only| {
            only.iter()
                .any(|kind| commands::SNIPPET_ACTION_KIND.starts_with(kind.as_str()))
        });
        if wants_source && crate::snippet::place::supports(&path) {
            // A selection over several lines is an existing connection setup to replace.
            let title = if params.range.end.line > params.range.start.line {
                "Replace the selection with the Service Connector connection snippet"
            } else {
                "Insert Service Connector connection snippet"
            };
            actions.push(lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
                title: title.to_string(),
                kind: Some(lsp::CodeActionKind::new(commands::SNIPPET_ACTION_KIND)),
                // Computed when chosen, not on every cursor move.
                command: Some(lsp::Command {
                    title: title.to_string(),
                    command: commands::INSERT_SNIPPET.to_string(),
                    arguments: Some(vec![serde_json::json!({
                        "uri": params.text_document.uri.as_str(),
                        "position": params.range.start,
                        "range": params.range,
                    })]),
                }),
                ..Default::default()
            }));
        }
        Ok(Some(actions))
    }
}
