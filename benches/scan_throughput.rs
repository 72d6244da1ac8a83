//! Scanning throughput over a directory tree: `cargo bench --bench scan_throughput -- [DIR]`.
use neon_lsp::scan::{Language, might_be_relevant, scan};
use std::time::Instant;

fn main() {
    let mut args = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with("--"));
    let root = args
        .next()
        .unwrap_or_else(|| "/root/.pyenv/versions/3.11.7/lib/python3.11".into());
    let mut files = Vec::new();
    let mut stack = vec![std::path::PathBuf::from(root)];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Some(language) = Language::for_path(&path.to_string_lossy())
                && let Ok(text) = std::fs::read_to_string(&path)
            {
                files.push((language, text));
            }
        }
    }
    let bytes: usize = files.iter().map(|(_, t)| t.len()).sum();
    let started = Instant::now();
    let relevant = files
        .iter()
        .filter(|(_, t)| might_be_relevant(t.as_bytes()))
        .count();
    let prefilter = started.elapsed();
    let started = Instant::now();
    let (mut refs, mut comments, mut logs, mut literals) = (0, 0, 0, 0);
    for (language, text) in &files {
        let found = scan(*language, text);
        refs += found.env_refs.len();
        comments += found.comments.len();
        logs += found.log_calls.len();
        literals += found.string_literals.len();
    }
    let elapsed = started.elapsed();
    let mb = bytes as f64 / 1e6;
    println!(
        "{} files, {:.1} MB: scan {:.2?} = {:.1} MB/s; prefilter {:.2?} = {:.0} MB/s ({} relevant); refs {refs} comments {comments} log calls {logs} connection-string literals {literals}",
        files.len(),
        mb,
        elapsed,
        mb / elapsed.as_secs_f64(),
        prefilter,
        mb / prefilter.as_secs_f64(),
        relevant
    );
}
