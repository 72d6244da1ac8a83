//! The last test binary of `cargo test` (cargo runs test targets in name order; `zz_` sorts
//! last): prints the tests of this run that did not run for a missing prerequisite, with the
//! reasons and the command that installs them all, and exits 0 — a skip is not a failure
//! outside CI, and under `CI=true` the skipping test has already failed. Without the libtest
//! harness (`harness = false` in Cargo.toml) its output is not captured, so it is the last
//! thing a plain `cargo test` prints. The records come from tests/support/skip.rs.

#[path = "support/skip.rs"]
#[allow(dead_code)]
mod skip;

use std::collections::BTreeMap;

fn main() {
    // `cargo test -- --list` and the like ask test binaries for lists, not results.
    if std::env::args().any(|arg| arg == "--list" || arg == "--ignored") {
        return;
    }
    let dir = skip::records_dir(std::os::unix::process::parent_id());
    // test → reasons, in name order.
    let mut skipped: BTreeMap<String, Vec<String>> = BTreeMap::new();
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for entry in entries.flatten() {
            let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
            for line in text.lines() {
                if let Some((test, reason)) = line.split_once('\t') {
                    let reasons = skipped.entry(test.to_owned()).or_default();
                    if !reasons.iter().any(|known| known == reason) {
                        reasons.push(reason.to_owned());
                    }
                }
            }
        }
    }
    forget_finished_runs(&dir);
    println!();
    if skipped.is_empty() {
        println!("neon-lsp: no test skipped for a missing prerequisite.");
        return;
    }
    println!(
        "neon-lsp: {} test{} did not run (or ran only in part) because a prerequisite is missing; \
         they count as passed above but checked nothing that needs it:",
        skipped.len(),
        if skipped.len() == 1 { "" } else { "s" }
    );
    for (test, reasons) in &skipped {
        println!("  {test}: {}", reasons.join("; "));
    }
    println!(
        "Install every prerequisite with `scripts/install-prereqs` (as root or with sudo), then run \
         `cargo test` again. Under CI=true a missing prerequisite fails its test."
    );
}

/// Removes this run's records and those of runs whose cargo process has ended (a run of one
/// test binary, `cargo test --test nvim`, never reaches this binary).
fn forget_finished_runs(this_run: &std::path::Path) {
    let _ = std::fs::remove_dir_all(this_run);
    let Some(all) = this_run.parent() else { return };
    let Ok(entries) = std::fs::read_dir(all) else {
        return;
    };
    for entry in entries.flatten() {
        let pid = entry.file_name().to_string_lossy().into_owned();
        if !std::path::Path::new("/proc").join(&pid).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}
