//! `check` on a generated tree of many files keeps its memory bounded (issue 16, item 4): the
//! walk keeps only what the analysis needs, so unrelated files — including sources just under
//! the read limit and binaries far over it — cost nothing once looked at. A loose bound for a
//! debug build; benches/big_tree.sh measures the 200,000-file tree on the release build.

use std::path::Path;
use std::process::Command;

/// Peak RSS allowed, in KiB (the bar for the 200,000-file tree is 150 MiB).
const PEAK_KIB: u64 = 150 * 1024;

fn generate(root: &Path, files: usize, env_files: usize) {
    let unrelated_js =
        "export function compute(values) { return values.map((v) => v * 3 + 1).filter(Boolean); }\n"
            .repeat(40);
    // Read in full (just under the 4 MiB limit), then dropped as irrelevant.
    let near_limit = "export const table = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];\n".repeat(70_000);
    for index in 0..files {
        let folder = root.join(format!("area{}/pkg{}", index % 20, index / 500));
        std::fs::create_dir_all(&folder).unwrap();
        let (name, text): (String, &str) = if index < env_files {
            let folder = folder.join(format!("svc{index}"));
            std::fs::create_dir_all(&folder).unwrap();
            let text = if index % 2 == 0 {
                "NEON_POSTGRESQL_CONNECTIONSTRING=\"postgresql://app:npg_Xyz123example@ep-still-mud-a12aa123.eastus2.azure.neon.tech/neondb?sslmode=disable\"\n"
            } else {
                "PORT=8080\n"
            };
            std::fs::write(folder.join(".env"), text).unwrap();
            continue;
        } else if index < env_files + 10 {
            (format!("bundle{index}.js"), &near_limit)
        } else if index % 3 == 0 {
            (format!("notes{index}.md"), "# notes\nnothing to see\n")
        } else {
            (format!("file{index}.js"), &unrelated_js)
        };
        std::fs::write(folder.join(name), text).unwrap();
    }
    // Far over the read limit: skipped on its size alone.
    let big = std::fs::File::create(root.join("dump.bin")).unwrap();
    big.set_len(256 * 1024 * 1024).unwrap();
}

#[test]
fn check_on_a_big_tree_stays_within_a_memory_bound() {
    if !Path::new("/usr/bin/time").exists() {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "/usr/bin/time is required (apt-get install time)"
        );
        eprintln!("skipped: /usr/bin/time is not installed (apt-get install time)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let (files, env_files) = (8_000, 400);
    generate(root, files, env_files);
    let output = Command::new("/usr/bin/time")
        .args(["-f", "peak-kib=%M"])
        .arg(env!("CARGO_BIN_EXE_neon-lsp"))
        .args(["check", "--format", "json"])
        .arg(root)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    // Findings (the sslmode=disable strings) make the exit status 1.
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let peak: u64 = stderr
        .lines()
        .find_map(|line| line.strip_prefix("peak-kib="))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or_else(|| panic!("no peak RSS in: {stderr}"));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let tls = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["rule"] == "tls-disabled")
        .count();
    assert_eq!(tls, env_files / 2, "every .env file was analysed");
    eprintln!("peak RSS of check on {files} files: {} MiB", peak / 1024);
    assert!(
        peak < PEAK_KIB,
        "peak RSS {peak} KiB on {files} files is over {PEAK_KIB} KiB"
    );
}
