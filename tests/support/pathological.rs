//! Generated pathological inputs (issue 16, item 3), shared by `tests/pathological.rs` (loose
//! CPU and memory bounds) and `benches/pathological.rs` (exact figures). Each case is a small
//! project folder: one file whose shape once made neon-lsp super-linear.

use std::path::Path;

pub struct Case {
    pub name: &'static str,
    /// What the issue measured on the release binary before the fix.
    pub before: &'static str,
    /// (relative path, contents)
    pub file: (&'static str, String),
    /// The case yields hundreds of thousands of findings (listed up to the per-file cap).
    pub many_findings: bool,
}

/// A minified-looking bundle: functions, strings with escapes, template literals, comments,
/// env reads and connection strings, repeated to `size` bytes.
fn bundle(size: usize) -> String {
    let mut text = String::with_capacity(size + 256);
    let mut index = 0;
    while text.len() < size {
        text.push_str(&format!(
            "function a{index}(b){{var c=\"str\\\"ing {index}\",d='x',e=`t ${{b}} u`;/* c */return b.split(\",\").map(x=>x+c)}}\
             const u{index}=process.env.NEON_POSTGRESQL_HOST||\"postgres://u:p@h/db\";// line\n"
        ));
        index += 1;
    }
    text
}

/// Every case: the source files' and the .env files'.
pub fn cases() -> Vec<Case> {
    let mut cases = source_cases();
    cases.extend(env_cases());
    cases
}

/// Source files (issue 16 item 3): the 4.1 MB JavaScript bundle, 16,000 chained
/// `.split("=")`, a Python line of 800k quotes (and of 200k short strings), one variable read
/// 160k times in 4.2 MB, the 1.9 MB one-line minified bundle with 20 findings.
pub fn source_cases() -> Vec<Case> {
    vec![
        Case {
            name: "4.1 MB JavaScript bundle",
            before: "killed at 300 s, 3.0 GB",
            many_findings: false,
            file: ("bundle.js", bundle(4_100_000)),
        },
        Case {
            name: "16,000 chained .split(\"=\") (176 KB)",
            before: "11 s, 1.4 GB",
            many_findings: false,
            file: (
                "split.js",
                format!(
                    "const x = process.env.NEON_POSTGRESQL_CONNECTIONSTRING{};\n",
                    ".split(\"=\")".repeat(16_000)
                ),
            ),
        },
        Case {
            name: "Python line of 800k quotes",
            before: "35 s",
            many_findings: false,
            file: (
                "quotes.py",
                format!(
                    "import os\nx = {}\nos.environ[\"NEON_POSTGRESQL_HOST\"]\n",
                    "\"'".repeat(400_000)
                ),
            ),
        },
        Case {
            name: "Python line of 200k short strings",
            before: "(found here) quadratic like the above",
            many_findings: false,
            file: (
                "strings.py",
                format!(
                    "import os\nx = [{}]\nos.environ[\"NEON_POSTGRESQL_HOST\"]\n",
                    "\"a\",".repeat(200_000)
                ),
            ),
        },
        Case {
            name: "one misspelt variable read 160k times (4.2 MB)",
            before: "30 s",
            many_findings: true,
            file: (
                "reads.js",
                format!(
                    "const env = process.env;\n{}",
                    // 160k, not the 250k: `check` skips files over 4 MiB (with a note),
                    // and the name must be one Service Connector could set, to be a finding.
                    "env.NEON_POSTGRESQL_HOTS;\n".repeat(160_000)
                ),
            ),
        },
        Case {
            name: "1.9 MB minified bundle, one line, 20 findings",
            before: "57 MB of output",
            many_findings: false,
            file: (
                "bundle.min.js",
                (0..20)
                    .map(|i| {
                        format!(
                            "var q{i}=\"{}\";var r{i}=process.env.NEON_POSTGRES_HOST;",
                            "x".repeat(95_000)
                        )
                    })
                    .collect::<String>()
                    + "\n",
            ),
        },
    ]
}

/// Pathological .env files (issue 16, item 3; the parser in `src/dotenv` and the rules that
/// read .env files): each once made `check` quadratic or exponential.
pub fn env_cases() -> Vec<Case> {
    vec![
        Case {
            name: ".env with 146k duplicate keys",
            before: "over 300 s",
            many_findings: true,
            file: (".env", "NEON_POSTGRESQL_HOST=x\n".repeat(146_000)),
        },
        Case {
            name: ".env: one value with 100k ${Bn} references",
            before: "12.6 s",
            many_findings: false,
            file: (
                ".env",
                format!(
                    "A={}\n",
                    (0..100_000)
                        .map(|n| format!("${{B{n}}}"))
                        .collect::<String>()
                ),
            ),
        },
        Case {
            name: ".env: A=${B!} x 146k lines",
            before: "over 30 s",
            many_findings: true,
            file: (".env", "A=${B!}\n".repeat(146_000)),
        },
        Case {
            name: ".env: A=\"x x 146k lines",
            before: "3.6 s",
            many_findings: true,
            file: (".env", "A=\"x\n".repeat(146_000)),
        },
        Case {
            name: ".env: A='x x 146k lines",
            before: "(found here) like the above",
            many_findings: true,
            file: (".env", "A='x\n".repeat(146_000)),
        },
        Case {
            name: ".env: one unclosed quote, then 146k lines",
            before: "(found here) one value to the end",
            many_findings: false,
            file: (".env", format!("A=\"x\n{}", "B=1\n".repeat(146_000))),
        },
        Case {
            name: ".env: 100k $B_1 (a cut name each) on one line",
            before: "(found here) a fix per finding rewrote the line",
            many_findings: true,
            file: (".env", format!("B=1\nA={}\n", "$B_1".repeat(100_000))),
        },
        Case {
            name: ".env: each value twice the previous, 40 lines",
            before: "(found here) exponential: 1 KiB x 2^40",
            many_findings: false,
            file: (".env", {
                let mut text = format!("V0={}\n", "x".repeat(1024));
                for line in 1..=40 {
                    text.push_str(&format!("V{line}=${{V{}}}${{V{}}}\n", line - 1, line - 1));
                }
                text
            }),
        },
        Case {
            name: ".env: 146k copies of one broken line",
            before: "(found here) each fix commented out every copy",
            many_findings: true,
            file: (".env", "NEON_POSTGRESQL_HOST=a b\n".repeat(146_000)),
        },
    ]
}

/// Writes `case` into `dir` (plus the `import os` the Python reads need to be reads).
pub fn write(case: &Case, dir: &Path) {
    let (path, text) = &case.file;
    let text = if path.ends_with(".py") && !text.starts_with("import os") {
        format!("import os\n{text}")
    } else {
        text.clone()
    };
    std::fs::write(dir.join(path), text).unwrap();
}

/// CPU seconds (user + system), peak resident MiB and stdout bytes of one `neon-lsp check` on
/// `dir`, measured by wait4 on the child itself.
// The child is reaped by wait4 (which also reports its usage), not by `Child::wait`.
#[allow(clippy::zombie_processes)]
pub fn measure(binary: &Path, dir: &Path) -> (f64, f64, usize) {
    use std::io::Read;
    use std::process::{Command, Stdio};
    let mut child = Command::new(binary)
        .args(["check", "--color", "never", "."])
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut count = 0usize;
        let mut buffer = [0u8; 65536];
        while let Ok(read) = stdout.read(&mut buffer) {
            if read == 0 {
                break;
            }
            count += read;
        }
        count
    });
    let pid = i32::try_from(child.id()).unwrap();
    let mut status = 0;
    // SAFETY: rusage is plain data, zero is a valid value; pid is our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid, "wait4 failed");
    let bytes = reader.join().unwrap();
    let seconds = |time: libc::timeval| time.tv_sec as f64 + time.tv_usec as f64 / 1e6;
    let cpu = seconds(usage.ru_utime) + seconds(usage.ru_stime);
    let peak_mib = usage.ru_maxrss as f64 / 1024.0;
    (cpu, peak_mib, bytes)
}
