//! `cargo run` and `cargo test` share one build of the dependencies (README, first two
//! commands) only while every dependency of the binary is compiled with the same features in
//! both: a dev-dependency that switches on an extra feature of a shared crate makes `cargo test`
//! rebuild that crate and everything above it. Cargo.toml's "feature unification" entries
//! switch those features on for the normal build too; this test fails, naming the crate and the
//! features to add, when a new dev-dependency or an upgrade makes them differ again.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

/// `package version` → its feature sets, as `cargo tree` resolves them with or without the
/// dev-dependencies (`-e no-dev` resolves features as `cargo build` does). A package can have
/// more than one set: a build-dependency (compiled for the host, e.g. by a tree-sitter grammar's
/// build script) gets its features resolved apart from the same package as a normal dependency.
fn resolved_features(with_dev: bool) -> BTreeMap<String, BTreeSet<String>> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command.current_dir(env!("CARGO_MANIFEST_DIR")).args([
        "tree", "--locked", "--prefix", "none", "--format", "{p}|{f}",
    ]);
    if !with_dev {
        command.args(["--edges", "no-dev"]);
    }
    let output = command.output().expect("run cargo tree");
    assert!(
        output.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut features: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Some((package, set)) = line.trim_end_matches(" (*)").split_once('|') else {
            continue;
        };
        // The package itself ("neon-lsp v0.1.0 (/path)") is built for the tests anyway.
        if !package.contains(" (/") {
            features
                .entry(package.to_owned())
                .or_default()
                .insert(set.to_owned());
        }
    }
    features
}

#[test]
fn the_binary_and_the_tests_build_every_shared_dependency_with_the_same_features() {
    let build = resolved_features(false);
    let test = resolved_features(true);
    assert!(
        build.len() > 100,
        "cargo tree listed only {} packages",
        build.len()
    );
    let differing: Vec<String> = build
        .iter()
        .filter_map(|(package, features)| {
            let in_test = test.get(package)?;
            (in_test != features).then(|| {
                format!(
                    "{package}: `cargo build` has {:?}, `cargo test` has {:?}",
                    features, in_test
                )
            })
        })
        .collect();
    assert!(
        differing.is_empty(),
        "`cargo test` would rebuild these dependencies after `cargo run`; add the missing \
         features to Cargo.toml's feature-unification entries:\n{}",
        differing.join("\n")
    );
}
