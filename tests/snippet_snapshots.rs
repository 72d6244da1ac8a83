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

/// The README's snippet section names exactly the languages the generator has snippets for,
/// and the file kinds `--into` places them into.
#[test]
fn readme_lists_exactly_the_generated_snippet_languages() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme
        .find("Every combination has one (`neon-lsp snippet --list`):")
        .expect("the README's list of snippet languages");
    let paragraph = &readme[start..];
    let paragraph =
        paragraph[..paragraph.find("\n\n").unwrap_or(paragraph.len())].replace('\n', " ");
    let paragraph = paragraph.as_str();
    let generated: std::collections::BTreeSet<_> = snippet::combinations()
        .into_iter()
        .map(|r| r.client_type)
        .collect();
    let mut named = Vec::new();
    for client in generated {
        let name = snippet::language_name(client);
        let at = paragraph
            .find(name)
            .unwrap_or_else(|| panic!("README does not list {name} ({client}) in: {paragraph}"));
        named.push((at, name));
    }
    // And nothing else: every "Name (" the paragraph lists is a generated one.
    let listed = paragraph.matches(" (").count() - 1;
    assert_eq!(
        listed,
        named.len(),
        "README lists {listed} languages with details, the generator has {}: {paragraph}",
        named.len()
    );
    let into = readme.replace('\n', " ");
    assert!(
        into.contains(&format!("go into: {}.", snippet::place::LANGUAGES)),
        "README must say where `--into` places snippets: {}",
        snippet::place::LANGUAGES
    );
}
