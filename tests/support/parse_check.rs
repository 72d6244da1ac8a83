//! Whether a source file still parses, with the language's own tools (as the snippet proof
//! does): `python3 -m py_compile`, `node --check`, `gofmt -e`, `php -l`, `ruby -c`, `bash -n`,
//! `javac` stopped after parsing (no classpath needed: imports are not resolved), and
//! TypeScript's own parser (`typescript`'s `transpileModule` syntactic diagnostics, from
//! tests/toolchains/node — no type check, so no `@types` needed).
//! A missing tool is recorded through `prerequisite_missing` and the file counts as unchecked.
//! C# is not compiled: a .NET SDK is not installed by .ci/prereqs (minutes of CI for one
//! check), so a `.cs` file is reported as unchecked with the reason, never as a failure.

use std::path::Path;
use std::process::Command;

/// TypeScript's parser over the file named by the last argument; exit 1 with the messages on
/// a syntax error.
const TS_CHECK: &str = "const ts = require(process.argv[1]); \
    const file = process.argv[2]; \
    const out = ts.transpileModule(require('fs').readFileSync(file, 'utf8'), \
      { fileName: file, reportDiagnostics: true }); \
    if (out.diagnostics.length) { \
      console.error(out.diagnostics.map(d => ts.flattenDiagnosticMessageText(d.messageText, '\\n')).join('\\n')); \
      process.exit(1); \
    }";

/// The checker for a file, by extension.
pub fn checker(path: &Path) -> Option<(&'static str, &'static [&'static str])> {
    let extension = path.extension()?.to_str()?;
    Some(match extension {
        "py" => ("python3", &["-m", "py_compile"]),
        "js" | "mjs" | "cjs" => ("node", &["--check"]),
        "ts" | "mts" | "cts" | "tsx" => ("node", &["-e", TS_CHECK]),
        "go" => ("gofmt", &["-e", "-l"]),
        "php" => ("php", &["-l"]),
        "rb" => ("ruby", &["-c"]),
        "sh" | "bash" => ("bash", &["-n"]),
        "java" => (
            "javac",
            &[
                "-XDshould-stop.ifNoError=PARSE",
                "-XDshould-stop.ifError=PARSE",
                "-implicit:none",
            ],
        ),
        _ => return None,
    })
}

/// `Ok(true)` parsed, `Ok(false)` no checker here, `Err(output)` the tool rejected it.
pub fn parses(path: &Path) -> Result<bool, String> {
    if path.extension().is_some_and(|e| e == "cs") {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            eprintln!(
                "not checked: C# files (no .NET SDK is installed by .ci/prereqs; `dotnet build` \
                 would cost minutes of CI)"
            )
        });
        return Ok(false);
    }
    let Some((program, args)) = checker(path) else {
        return Ok(false);
    };
    let mut command = Command::new(program);
    command.args(args);
    if args.first() == Some(&"-e") {
        let typescript = super::service_connector::node_modules().join("typescript");
        if !typescript.is_dir() {
            super::prerequisite_missing(
                "typescript in tests/toolchains/node (cd tests/toolchains/node && npm ci), to check that fixed TypeScript files parse",
            );
            return Ok(false);
        }
        command.arg(typescript);
    }
    let output = match command.arg(path).output() {
        Ok(output) => output,
        Err(_) => {
            super::prerequisite_missing(&format!("{program} (to check that fixed files parse)"));
            return Ok(false);
        }
    };
    if output.status.success() {
        Ok(true)
    } else {
        Err(format!(
            "{program} {}: {}{}",
            path.display(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}
