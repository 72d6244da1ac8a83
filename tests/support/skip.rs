//! Tests that need an outside program (PostgreSQL, Neovim, Node.js packages …) and do not find
//! it: under `CI=true` that is a failure; otherwise the test returns early and passes, and the
//! harness would hide the reason it printed. So each skip is also written down under
//! `target/tmp/neon-lsp-skips/<id of the cargo process>/`, and the last test binary cargo runs,
//! tests/zz_not_run.rs, prints them all after every other test binary's result: a plain
//! `cargo test` ends by saying how many tests did not run, why, and the command that installs
//! every prerequisite (scripts/install-prereqs).
//!
//! Test binaries include this file through `support` (or alone, with `#[path]`).

use std::io::Write;
use std::path::PathBuf;

/// The folder of one `cargo test` run's skip records: test binaries are children of the cargo
/// process, so its id tells this run's records from those of an earlier or parallel run.
pub fn records_dir(cargo_pid: u32) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("neon-lsp-skips")
        .join(cargo_pid.to_string())
}

/// `CI=true` turns a missing prerequisite into a failure; otherwise the skip is printed and
/// recorded for the summary at the end of `cargo test`.
pub fn prerequisite_missing(what: &str) {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI=true and a prerequisite is missing: {what}");
    }
    eprintln!("skipped: {what}");
    record(what);
}

fn record(what: &str) {
    let binary = std::env::current_exe()
        .ok()
        .and_then(|exe| {
            exe.file_stem()
                .map(|stem| stem.to_string_lossy().into_owned())
        })
        .map(|stem| match stem.rsplit_once('-') {
            // Cargo names test binaries `<target>-<hash>`.
            Some((name, hash)) if hash.bytes().all(|b| b.is_ascii_hexdigit()) => name.to_owned(),
            _ => stem,
        })
        .unwrap_or_else(|| "tests".to_owned());
    // The harness runs each test on a thread named after it.
    let test = std::thread::current()
        .name()
        .filter(|name| *name != "main")
        .unwrap_or("?")
        .to_owned();
    let dir = records_dir(std::os::unix::process::parent_id());
    let line = format!("{binary}::{test}\t{}\n", what.replace(['\t', '\n'], " "));
    // One appended line per skip; a failure to record must not fail the test.
    let _ = std::fs::create_dir_all(&dir).and_then(|()| {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join(format!("{binary}.tsv")))?
            .write_all(line.as_bytes())
    });
}
