//! Snapshot of every snippet neon-lsp generates (tests/snapshots/snippet_snapshots__*.snap), so
//! a change to any of them is reviewed as a diff.

use neon_lsp::snippet::{self, SnippetRequest};

#[test]
fn every_snippet_matches_its_snapshot() {
    let mut checked = 0;
    for request in snippet::combinations() {
        for name in [None, Some("orders".to_owned())] {
            let request = SnippetRequest {
                name: name.clone(),
                ..request.clone()
            };
            let snippet = snippet::generate(&request).unwrap();
            let mut text = format!("dependencies: {}\n", snippet.dependencies.join(" "));
            for file in &snippet.files {
                text.push_str(&format!("==> {} <==\n{}", file.suggested_path, file.text));
            }
            let id = format!(
                "{}-{}-{}{}",
                request.target.id(),
                request.client_type.id(),
                request.auth.id(),
                name.map(|n| format!("-named-{n}")).unwrap_or_default()
            );
            insta::assert_snapshot!(id, text);
            checked += 1;
        }
    }
    assert!(checked >= 20, "only {checked} snippets");
}
