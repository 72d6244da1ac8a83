//! One settings vocabulary, three adapters: every spelling of a target, client type, auth type,
//! rule id and rule level that the command line, neon-lsp.toml or the editor settings accept is
//! accepted by all of them, and every misspelling is rejected by all of them with the same
//! message (the same "did you mean"). The command line is the real binary; neon-lsp.toml and the
//! editor settings are the parsers the binary and the server call.

use neon_lsp::catalogue::{AuthType, ClientType, Target};
use neon_lsp::config::{RuleLevel, Word};
use neon_lsp::lsp::EditorSettings;
use neon_lsp::rules::Rule;
use serde_json::json;
use std::path::Path;
use std::process::Command;

/// Every spelling, its upper-case form and a typo of it (last character dropped).
fn words<T: Word>() -> Vec<String> {
    T::spellings()
        .into_iter()
        .flat_map(|word| {
            let typo = &word[..word.len() - 1];
            [word.to_owned(), word.to_ascii_uppercase(), typo.to_owned()]
        })
        .collect()
}

/// What one adapter said about one word: accepted, or the vocabulary's message.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    Accepted,
    Rejected(String),
}

/// The vocabulary's message inside an adapter's error text ("unknown … expected one of …").
fn verdict(error: Option<&str>) -> Verdict {
    match error {
        None => Verdict::Accepted,
        Some(text) => {
            let start = text
                .find("unknown ")
                .unwrap_or_else(|| panic!("no vocabulary message in: {text}"));
            let message = text[start..].lines().next().unwrap_or_default();
            Verdict::Rejected(message.trim_end().to_owned())
        }
    }
}

fn toml_verdict(toml: &str) -> Verdict {
    let result = neon_lsp::config::parse("neon-lsp.toml", toml);
    verdict(result.as_ref().err().map(|e| e.message.as_str()))
}

fn editor_verdict(settings: serde_json::Value, key: &str) -> Verdict {
    let result = EditorSettings::parse(&settings);
    if let Err(error) = &result {
        assert!(
            error.starts_with(&format!("\"{key}")),
            "the editor's error names the setting {key}: {error}"
        );
    }
    verdict(result.as_ref().err().map(String::as_str))
}

fn cli_verdict(args: &[&str], dir: &Path) -> Verdict {
    let output = Command::new(env!("CARGO_BIN_EXE_neon-lsp"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run neon-lsp");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    match output.status.code() {
        Some(0) => Verdict::Accepted,
        Some(2) => verdict(Some(&stderr)),
        other => panic!("neon-lsp {args:?} exited with {other:?}: {stderr}"),
    }
}

/// Asserts the adapters' verdicts agree for every word, and that the vocabulary both accepts
/// and rejects some (so the comparison is not vacuous).
fn assert_agree(what: &str, verdicts: Vec<(String, Vec<(&str, Verdict)>)>) {
    let mut accepted = 0;
    let mut suggested = 0;
    for (word, by_adapter) in &verdicts {
        let (first_adapter, first) = &by_adapter[0];
        for (adapter, verdict) in &by_adapter[1..] {
            assert_eq!(
                verdict, first,
                "{what} \"{word}\": {adapter} and {first_adapter} disagree"
            );
        }
        match first {
            Verdict::Accepted => accepted += 1,
            Verdict::Rejected(message) if message.contains("did you mean") => suggested += 1,
            Verdict::Rejected(_) => {}
        }
    }
    assert!(accepted > 0 && suggested > 0, "{what}: {verdicts:?}");
}

#[test]
fn targets_client_types_and_auth_types_agree_across_cli_toml_and_editor() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &str, &str, &str, Vec<String>); 3] = [
        ("target", "--target", "target", "target", words::<Target>()),
        (
            "client type",
            "--client-type",
            "client-type",
            "clientType",
            words::<ClientType>(),
        ),
        ("auth type", "--auth", "auth", "auth", words::<AuthType>()),
    ];
    for (what, flag, toml_key, editor_key, words) in cases {
        let verdicts = words
            .into_iter()
            .map(|word| {
                let by_adapter = vec![
                    (
                        "the command line",
                        cli_verdict(&["check", ".", flag, &word], dir.path()),
                    ),
                    (
                        "neon-lsp.toml",
                        toml_verdict(&format!("[[connection]]\n{toml_key} = \"{word}\"\n")),
                    ),
                    (
                        "the editor settings",
                        editor_verdict(json!({ editor_key: word }), editor_key),
                    ),
                ];
                (word, by_adapter)
            })
            .collect();
        assert_agree(what, verdicts);
    }
}

#[test]
fn rule_ids_and_levels_agree_across_cli_toml_and_editor() {
    let dir = tempfile::tempdir().unwrap();
    let rules = words::<Rule>()
        .into_iter()
        .map(|word| {
            let by_adapter = vec![
                (
                    "neon-lsp explain",
                    cli_verdict(&["explain", &word], dir.path()),
                ),
                (
                    "neon-lsp.toml",
                    toml_verdict(&format!("[rules]\n\"{word}\" = \"off\"\n")),
                ),
                (
                    "the editor settings",
                    editor_verdict(json!({"rules": { word.as_str(): "off" }}), "rules."),
                ),
            ];
            (word, by_adapter)
        })
        .collect();
    assert_agree("rule", rules);
    // The command line takes no rule level; neon-lsp.toml and the editor settings do.
    let levels = words::<RuleLevel>()
        .into_iter()
        .map(|word| {
            let by_adapter = vec![
                (
                    "neon-lsp.toml",
                    toml_verdict(&format!("[rules]\ntls-disabled = \"{word}\"\n")),
                ),
                (
                    "the editor settings",
                    editor_verdict(
                        json!({"rules": {"tls-disabled": word}}),
                        "rules.tls-disabled",
                    ),
                ),
            ];
            (word, by_adapter)
        })
        .collect();
    assert_agree("rule level", levels);
}

#[test]
fn a_misspelt_client_type_gets_the_same_words_everywhere() {
    // Pinned once in full, so a change to the wording is a visible diff.
    let expected = "unknown client type \"nodej\": did you mean \"nodejs\"? expected one of \
                    \"dotnet\", \"java\", \"springboot\", \"python\", \"django\", \"go\", \
                    \"nodejs\", \"php\", \"ruby\", \"none\"";
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        cli_verdict(&["check", ".", "--client-type", "nodej"], dir.path()),
        Verdict::Rejected(expected.to_owned())
    );
    assert_eq!(
        toml_verdict("[[connection]]\nclient-type = \"nodej\"\n"),
        Verdict::Rejected(expected.to_owned())
    );
    assert_eq!(
        EditorSettings::parse(&json!({"clientType": "nodej"})).unwrap_err(),
        format!("\"clientType\": {expected}")
    );
}
