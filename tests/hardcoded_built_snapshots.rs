//! Snapshot of `hardcoded-connection-string` on connection strings built from password
//! constants (tests/fixtures/rules/hardcoded-connection-string/positive-built): one per
//! language shape, with the message (the constant's name and line, the password masked) and
//! the fix's note, so a change in either is a reviewable diff.

#[path = "support/fixture.rs"]
mod fixture;

use fixture::{prepare_copy, repository_root, run_check};

#[test]
fn built_from_constants_messages_and_notes() {
    let fixture =
        repository_root().join("tests/fixtures/rules/hardcoded-connection-string/positive-built");
    let (_guard, root) = prepare_copy(&fixture).expect("copy the fixture");
    let (_, _, json) = run_check(&root).expect("run neon-lsp check");
    let diagnostics = json["diagnostics"].as_array().cloned().unwrap_or_default();
    let mut lines = Vec::new();
    for diagnostic in diagnostics {
        if diagnostic["rule"] != "hardcoded-connection-string" {
            continue;
        }
        let fixes: Vec<String> = diagnostic["fixes"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|fix| {
                let title = fix["title"].as_str().unwrap_or("").to_owned();
                let texts = fix["edits"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|e| e["new_text"].as_str().unwrap_or("").trim().to_owned())
                    .collect::<Vec<_>>();
                std::iter::once(format!("  fix: {title}"))
                    .chain(texts.into_iter().map(|t| format!("    {t}")))
            })
            .collect();
        lines.push(format!(
            "{}:{} {}\n  {}\n{}",
            diagnostic["path"].as_str().unwrap_or(""),
            diagnostic["line"],
            diagnostic["severity"].as_str().unwrap_or(""),
            diagnostic["message"].as_str().unwrap_or(""),
            fixes.join("\n")
        ));
    }
    lines.sort();
    assert_eq!(lines.len(), 6, "one finding per shape: {lines:#?}");
    for secret in [
        "Tr0ub4dor",
        "Reporting-Adm1n",
        "n0t-a-sample",
        "Gopher-orders",
        "Catalog-Npgsql",
        "Billing-Jdbc",
    ] {
        assert!(
            !lines.iter().any(|l| l.contains(secret)),
            "a password leaked: {lines:#?}"
        );
    }
    insta::assert_snapshot!(lines.join("\n"));
}
