//! The `--format sarif` reporter: SARIF 2.1.0 that GitHub code scanning accepts.
//!
//! One run; every rule in `tool.driver.rules` (so `ruleIndex` is stable across runs); result
//! locations relative to `%SRCROOT%` (the scanned root), percent-encoded; columns counted in
//! Unicode code points as the run declares; fixes as artifact changes.

use super::{Positions, Report, Span, located};
use crate::diagnostic::Severity;
use crate::rules::Rule;
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use serde_json::{Map, Value, json};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const SOURCE_ROOT: &str = "%SRCROOT%";

/// Characters that may not appear raw in a URI path segment (RFC 3986), plus `:` so that a
/// first segment like `c:x` is never read as a scheme. Non-ASCII is always encoded.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'[')
    .add(b']')
    .add(b'\\')
    .add(b'^')
    .add(b'|')
    .add(b':');

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info | Severity::Hint => "note",
    }
}

/// A workspace path as a relative URI reference.
fn uri(path: &str) -> String {
    path.split('/')
        .map(|segment| utf8_percent_encode(segment, SEGMENT).to_string())
        .collect::<Vec<_>>()
        .join("/")
}

/// `unknown-variable` → `UnknownVariable`.
fn pascal_case(id: &str) -> String {
    id.split('-')
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn artifact_location(path: &str) -> Value {
    json!({ "uri": uri(path), "uriBaseId": SOURCE_ROOT })
}

fn region(span: Span) -> Value {
    json!({
        "startLine": span.start.line,
        "startColumn": span.start.column,
        "endLine": span.end.line,
        "endColumn": span.end.column,
    })
}

fn rule_descriptor(rule: Rule) -> Value {
    let help = format!(
        "{}\n\n{}\n\nSuppress one finding with a `neon-lsp: ignore[{id}]` comment; set `{id}` under `[rules]` in neon-lsp.toml to change its severity.",
        rule.summary(),
        rule.documentation().trim(),
        id = rule.id()
    );
    json!({
        "id": rule.id(),
        "name": pascal_case(rule.id()),
        "shortDescription": { "text": rule.summary() },
        "fullDescription": { "text": rule.summary() },
        "help": { "text": help, "markdown": help },
        "defaultConfiguration": { "level": level(rule.default_severity()) },
    })
}

/// Renders the report as a SARIF 2.1.0 log followed by a newline.
pub fn render_sarif(report: &Report) -> String {
    let mut positions = Positions::of(report);
    let mut results = Vec::with_capacity(report.diagnostics.len());
    for (diagnostic, span) in located(report, &mut positions) {
        let mut result = Map::new();
        result.insert("ruleId".into(), json!(diagnostic.rule.id()));
        if let Some(index) = Rule::ALL.iter().position(|rule| *rule == diagnostic.rule) {
            result.insert("ruleIndex".into(), json!(index));
        }
        result.insert("level".into(), json!(level(diagnostic.severity)));
        result.insert("message".into(), json!({ "text": diagnostic.message }));
        if diagnostic.omitted > 0 {
            // A summary past the per-file cap: the count of findings it stands for.
            result.insert(
                "properties".into(),
                json!({ "omitted": diagnostic.omitted }),
            );
        }
        result.insert(
            "locations".into(),
            json!([{ "physicalLocation": {
                "artifactLocation": artifact_location(&diagnostic.path),
                "region": region(span),
            }}]),
        );
        if !diagnostic.related.is_empty() {
            let related: Vec<Value> = diagnostic
                .related
                .iter()
                .enumerate()
                .map(|(id, related)| {
                    json!({
                        "id": id,
                        "message": { "text": related.message },
                        "physicalLocation": {
                            "artifactLocation": artifact_location(&related.path),
                            "region": region(positions.span(&related.path, related.range)),
                        },
                    })
                })
                .collect();
            result.insert("relatedLocations".into(), Value::Array(related));
        }
        if !diagnostic.fixes.is_empty() {
            let fixes: Vec<Value> = diagnostic
                .fixes
                .iter()
                .map(|fix| {
                    // SARIF groups replacements by file, in the order the fix lists them.
                    let mut changes: Vec<(&str, Vec<Value>)> = Vec::new();
                    for edit in &fix.edits {
                        let replacement = json!({
                            "deletedRegion": region(positions.span(&edit.path, edit.range)),
                            "insertedContent": { "text": crate::secrets::mask_value(edit.shown_text()) },
                        });
                        match changes.iter_mut().find(|(path, _)| *path == edit.path) {
                            Some((_, replacements)) => replacements.push(replacement),
                            None => changes.push((&edit.path, vec![replacement])),
                        }
                    }
                    let changes: Vec<Value> = changes
                        .into_iter()
                        .map(|(path, replacements)| {
                            json!({ "artifactLocation": artifact_location(path), "replacements": replacements })
                        })
                        .collect();
                    json!({
                        "description": { "text": crate::secrets::mask_value(&fix.title) },
                        "artifactChanges": changes,
                        // SARIF has no applicability of its own; ruff's names, as a property.
                        "properties": { "applicability": fix.applicability },
                    })
                })
                .collect();
            result.insert("fixes".into(), Value::Array(fixes));
        }
        results.push(Value::Object(result));
    }

    let mut run = json!({
        "tool": { "driver": {
            "name": "neon-lsp",
            "version": env!("CARGO_PKG_VERSION"),
            "semanticVersion": env!("CARGO_PKG_VERSION"),
            "rules": Rule::ALL.iter().copied().map(rule_descriptor).collect::<Vec<_>>(),
        }},
        "originalUriBaseIds": {
            SOURCE_ROOT: { "description": { "text": "The directory neon-lsp check was run on." } }
        },
        "columnKind": "unicodeCodePoints",
        "results": results,
    });
    if !report.notes.is_empty()
        && let Some(run) = run.as_object_mut()
    {
        let notifications: Vec<Value> = report
            .notes
            .iter()
            .map(|note| {
                let mut notification = json!({ "level": "note", "message": { "text": note.message } });
                if note.path != "."
                    && let Some(object) = notification.as_object_mut()
                {
                    object.insert(
                        "locations".into(),
                        json!([{ "physicalLocation": { "artifactLocation": artifact_location(&note.path) } }]),
                    );
                }
                notification
            })
            .collect();
        run.insert(
            "invocations".into(),
            json!([{ "executionSuccessful": true, "toolExecutionNotifications": notifications }]),
        );
    }
    let log = json!({ "$schema": SCHEMA, "version": "2.1.0", "runs": [run] });
    let mut sarif = serde_json::to_string_pretty(&log).unwrap_or_default();
    sarif.push('\n');
    sarif
}

#[cfg(test)]
mod tests {
    use super::super::tests::sample_report;
    use super::*;

    #[test]
    fn uris_are_relative_and_percent_encoded() {
        assert_eq!(uri("web app/src/db.js"), "web%20app/src/db.js");
        assert_eq!(uri("dir/é#1.env"), "dir/%C3%A9%231.env");
        assert_eq!(uri("c:x/.env"), "c%3Ax/.env");
    }

    #[test]
    fn rule_names_are_pascal_case() {
        assert_eq!(
            pascal_case("wrong-client-type-variable"),
            "WrongClientTypeVariable"
        );
    }

    #[test]
    fn log_shape() {
        let log: Value = serde_json::from_str(&render_sarif(&sample_report())).unwrap();
        assert_eq!(log["version"], "2.1.0");
        assert_eq!(log["$schema"], SCHEMA);
        let run = &log["runs"][0];
        assert_eq!(run["columnKind"], "unicodeCodePoints");
        let driver = &run["tool"]["driver"];
        assert_eq!(driver["name"], "neon-lsp");
        assert!(driver.get("informationUri").is_none());
        assert_eq!(driver["rules"].as_array().unwrap().len(), Rule::ALL.len());
        assert_eq!(driver["rules"][4]["defaultConfiguration"]["level"], "note");

        let results = run["results"].as_array().unwrap();
        assert_eq!(results.len(), 4);
        let last = &results[3];
        assert_eq!(last["ruleId"], "unknown-variable");
        assert_eq!(
            driver["rules"][last["ruleIndex"].as_u64().unwrap() as usize]["id"],
            "unknown-variable"
        );
        assert_eq!(last["level"], "error");
        let location = &last["locations"][0]["physicalLocation"];
        assert_eq!(
            location["artifactLocation"],
            json!({"uri": "web%20app/src/db.js", "uriBaseId": "%SRCROOT%"})
        );
        assert_eq!(
            location["region"],
            json!({"startLine": 1, "startColumn": 23, "endLine": 1, "endColumn": 41})
        );
        let replacement = &last["fixes"][0]["artifactChanges"][0]["replacements"][0];
        assert_eq!(
            replacement["insertedContent"]["text"],
            "NEON_POSTGRESQL_HOST"
        );
        assert_eq!(replacement["deletedRegion"]["startColumn"], 23);
        assert_eq!(results[0]["level"], "note");
        assert_eq!(
            run["invocations"][0]["toolExecutionNotifications"][0]["locations"][0]["physicalLocation"]
                ["artifactLocation"]["uri"],
            "bin.py"
        );
    }
}
