//! Scanning throughput over a directory tree, and `check` against ripgrep:
//! `cargo bench --bench scan_throughput -- [DIR…]` (several folders: both tools get them all,
//! e.g. a library tree plus `benches/generate_iac_tree.py`'s infrastructure-heavy tree;
//! `NEON_LSP_BENCH_BINARY` names another `neon-lsp` to compare, such as an earlier build).
//!
//! Prints, for the source files under DIR: the prefilter's throughput; the scanner's throughput
//! on every file and on the files that pass the prefilter (what `check` parses), for the
//! syntax-tree scanner and the regex scanner it replaced for Python and JavaScript/TypeScript;
//! and the wall time of `neon-lsp check DIR` next to `rg` searching the prefilter's needles
//! (best of three runs each, interleaved; CPU time and each tool's own peak memory of one more run
//! each; skipped with a note when `rg` is not installed).
use neon_lsp::scan::{Language, might_be_relevant_for, scan, scan_regex};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Issue 13's reference tree: pyenv's Python 3.11 library (stdlib and site-packages).
const PYENV_ROOT: &str = "/root/.pyenv/versions/3.11.7/lib/python3.11";

/// [`PYENV_ROOT`] when it exists, else the stdlib of whatever `python3` is installed.
fn default_root() -> Option<String> {
    if Path::new(PYENV_ROOT).is_dir() {
        return Some(PYENV_ROOT.to_owned());
    }
    let output = Command::new("python3")
        .args([
            "-c",
            "import sysconfig; print(sysconfig.get_paths()['stdlib'])",
        ])
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let root = String::from_utf8(output.stdout).ok()?.trim().to_owned();
    (output.status.success() && Path::new(&root).is_dir()).then_some(root)
}

fn main() {
    let args = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with("--"));
    let mut roots: Vec<String> = args.collect();
    if roots.is_empty() {
        match default_root() {
            Some(root) => roots.push(root),
            None => {
                eprintln!(
                    "no Python library tree found ({PYENV_ROOT} is absent and `python3` does not \
                     name its stdlib): pass a folder, `cargo bench --bench scan_throughput -- DIR`"
                );
                std::process::exit(2);
            }
        }
    }
    println!("root(s): {}", roots.join(", "));
    let mut files = Vec::new();
    let mut stack: Vec<std::path::PathBuf> = roots.iter().map(std::path::PathBuf::from).collect();
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
    let mb = bytes as f64 / 1e6;
    let started = Instant::now();
    let relevant: Vec<&(Language, String)> = files
        .iter()
        .filter(|(language, t)| might_be_relevant_for(*language, t.as_bytes()))
        .collect();
    let prefilter = started.elapsed();
    let relevant_mb = relevant.iter().map(|(_, t)| t.len()).sum::<usize>() as f64 / 1e6;
    println!(
        "{} files, {mb:.1} MB; prefilter {prefilter:.2?} = {:.0} MB/s; {} files ({relevant_mb:.1} MB) pass it",
        files.len(),
        mb / prefilter.as_secs_f64(),
        relevant.len(),
    );
    let all: Vec<&(Language, String)> = files.iter().collect();
    for (label, set, set_mb) in [
        ("every file", &all, mb),
        ("prefiltered", &relevant, relevant_mb),
    ] {
        for (scanner, run) in [
            (
                "syntax trees",
                scan as fn(Language, &str) -> neon_lsp::scan::Scan,
            ),
            ("regex", scan_regex),
        ] {
            let started = Instant::now();
            let (mut refs, mut comments, mut logs, mut literals) = (0, 0, 0, 0);
            for (language, text) in set.iter() {
                let found = run(*language, text);
                refs += found.env_refs.len();
                comments += found.comments.len();
                logs += found.log_calls.len();
                literals += found.string_literals.len();
            }
            let elapsed = started.elapsed();
            println!(
                "  scan {label}, {scanner}: {elapsed:.2?} = {:.1} MB/s; refs {refs} comments {comments} log calls {logs} connection-string literals {literals}",
                set_mb / elapsed.as_secs_f64()
            );
        }
    }
    // Absolute, as both tools run from `/`.
    let roots: Vec<std::path::PathBuf> = roots
        .iter()
        .map(|r| std::fs::canonicalize(r).unwrap_or_else(|_| r.into()))
        .collect();
    let roots: Vec<&Path> = roots.iter().map(|r| r.as_path()).collect();
    compare_with_ripgrep(&roots);
}

/// `neon-lsp check DIR…` next to `rg -i -c -e <needles> DIR…`: both read every file.
fn compare_with_ripgrep(roots: &[&Path]) {
    // `NEON_LSP_BENCH_BINARY=/path/to/neon-lsp` measures another build (an earlier commit's,
    // for a before/after comparison under the same load).
    let binary = std::env::var_os("NEON_LSP_BENCH_BINARY")
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_neon-lsp").into());
    println!("check: {}", Path::new(&binary).display());
    let ripgrep_command = || {
        let mut command = Command::new("rg");
        command.args(["-i", "-c"]);
        for needle in [
            "postgres",
            "neon_pg",
            "neon_database",
            "neon_db",
            "ossrdbms",
        ] {
            command.args(["-e", needle]);
        }
        command.args(roots).current_dir("/");
        command
    };
    let check_command = || {
        let mut command = Command::new(&binary);
        // Several roots must share the current folder: `/` holds any absolute paths.
        command
            .args(["check", "--format", "json"])
            .args(roots)
            .current_dir("/");
        command
    };
    // Interleaved (rg, check, rg, check, …) so that a change in the machine's load touches
    // both tools alike.
    let (mut ripgrep, mut check) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        let Some(wall) = wall_time(ripgrep_command()) else {
            println!("check vs ripgrep: skipped (rg is not installed or failed)");
            return;
        };
        ripgrep.push(wall);
        let Some(wall) = wall_time(check_command()) else {
            println!("check vs ripgrep: skipped (neon-lsp check failed)");
            return;
        };
        check.push(wall);
    }
    let (Some(ripgrep), Some(check)) = (ripgrep.into_iter().min(), check.into_iter().min()) else {
        return;
    };
    println!(
        "check {check:.2?} vs rg {ripgrep:.2?}: {:.2}x ripgrep (wall, best of 3 each, interleaved)",
        check.as_secs_f64() / ripgrep.as_secs_f64()
    );
    // CPU time and peak memory of one more run of each: what a loaded machine cannot blur.
    match (usage(check_command()), usage(ripgrep_command())) {
        (Some(check), Some(ripgrep)) => println!(
            "check {:.2} s CPU, {} vs rg {:.2} s CPU, {}",
            check.cpu_seconds,
            peak_text(check.peak_kib),
            ripgrep.cpu_seconds,
            peak_text(ripgrep.peak_kib),
        ),
        _ => println!("CPU and peak memory: not measured (a run failed)"),
    }
}

/// Wall time of one run, `None` when it could not start or failed (rg exits 1 when nothing
/// matches; check exits 1 on findings: both are success here).
fn wall_time(mut command: Command) -> Option<Duration> {
    let started = Instant::now();
    let status = command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .ok()?;
    status.code().filter(|c| *c <= 1)?;
    Some(started.elapsed())
}

/// What one run of a tool cost.
struct Usage {
    cpu_seconds: f64,
    /// Peak resident set of the tool itself; `None` without `/usr/bin/time`.
    peak_kib: Option<u64>,
}

fn peak_text(peak_kib: Option<u64>) -> String {
    match peak_kib {
        Some(kib) => format!("{:.0} MiB peak", kib as f64 / 1024.0),
        None => "peak not measured (needs /usr/bin/time)".to_owned(),
    }
}

/// CPU seconds (user + system) and peak resident memory of one run of `command`.
///
/// The peak comes from GNU time (`/usr/bin/time -f %M`), which forks the tool from its own
/// small process: `wait4`'s `ru_maxrss` for a child of this bench is at least this bench's own
/// peak (Linux keeps a process's high-water mark across `exec`, and the child starts as a
/// copy of — or, spawned with vfork, shares — the bench's memory, which holds every file of
/// the tree), so it printed the same figure for both tools. Without GNU time, only the CPU
/// time is measured (by `wait4`, which is right for it).
fn usage(command: Command) -> Option<Usage> {
    const GNU_TIME: &str = "/usr/bin/time";
    if Path::new(GNU_TIME).is_file() {
        let output =
            std::env::temp_dir().join(format!("scan-throughput-{}.time", std::process::id()));
        let mut timed = Command::new(GNU_TIME);
        timed
            .args(["-f", "%U %S %M", "-o"])
            .arg(&output)
            .arg(command.get_program())
            .args(command.get_args());
        if let Some(folder) = command.get_current_dir() {
            timed.current_dir(folder);
        }
        let measured = wall_time(timed).and_then(|_| {
            let text = std::fs::read_to_string(&output).ok()?;
            // GNU time may write a "Command exited with non-zero status" line first.
            let line = text.lines().last()?;
            let mut fields = line.split_whitespace();
            let user: f64 = fields.next()?.parse().ok()?;
            let system: f64 = fields.next()?.parse().ok()?;
            let peak_kib: u64 = fields.next()?.parse().ok()?;
            Some(Usage {
                cpu_seconds: user + system,
                peak_kib: Some(peak_kib),
            })
        });
        let _ = std::fs::remove_file(&output);
        return measured;
    }
    cpu_by_wait4(command).map(|cpu_seconds| Usage {
        cpu_seconds,
        peak_kib: None,
    })
}

/// CPU seconds (user + system) of one run of `command`, by wait4 on the child.
// The child is reaped by wait4 (which also reports its usage), not by `Child::wait`.
#[allow(clippy::zombie_processes)]
fn cpu_by_wait4(mut command: Command) -> Option<f64> {
    let child = command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let pid = i32::try_from(child.id()).ok()?;
    let mut status = 0;
    // SAFETY: rusage is plain data, zero is a valid value; pid is our own child.
    let mut rusage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut rusage) };
    if waited != pid {
        return None;
    }
    let seconds = |time: libc::timeval| time.tv_sec as f64 + time.tv_usec as f64 / 1e6;
    Some(seconds(rusage.ru_utime) + seconds(rusage.ru_stime))
}
