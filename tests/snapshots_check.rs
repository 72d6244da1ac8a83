//! Snapshot of `neon-lsp check` text and JSON output on the bundled example, so that a change in
//! messages, positions or fixes shows up as a reviewable snapshot diff.

use std::process::Command;

fn check(format: &str) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_neon-lsp"))
        .args([
            "check",
            "examples/azure-node-app",
            "--format",
            format,
            "--color",
            "never",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run neon-lsp");
    assert_eq!(
        output.status.code(),
        Some(1),
        "the example has error-severity mistakes"
    );
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

#[test]
fn example_text_output() {
    insta::assert_snapshot!(check("text"));
}

#[test]
fn example_json_output() {
    let json: serde_json::Value = serde_json::from_str(&check("json")).expect("valid JSON");
    insta::assert_json_snapshot!(json);
}

#[test]
fn example_github_output() {
    insta::assert_snapshot!(check("github"));
}
