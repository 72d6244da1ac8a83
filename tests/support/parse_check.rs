//! Whether a source file still parses, with the language's own tools (as the snippet proof
//! does): `python3 -m py_compile`, `node --check`, `gofmt -e`, `php -l`, `ruby -c`, `bash -n`.
//! A missing tool is recorded through `prerequisite_missing` and the file counts as unchecked.

use std::path::Path;
use std::process::Command;

/// The checker for a file, by extension.
pub fn checker(path: &Path) -> Option<(&'static str, &'static [&'static str])> {
    let extension = path.extension()?.to_str()?;
    Some(match extension {
        "py" => ("python3", &["-m", "py_compile"]),
        "js" | "mjs" | "cjs" => ("node", &["--check"]),
        "go" => ("gofmt", &["-e", "-l"]),
        "php" => ("php", &["-l"]),
        "rb" => ("ruby", &["-c"]),
        "sh" | "bash" => ("bash", &["-n"]),
        _ => return None,
    })
}

/// `Ok(true)` parsed, `Ok(false)` no checker here, `Err(output)` the tool rejected it.
pub fn parses(path: &Path) -> Result<bool, String> {
    let Some((program, args)) = checker(path) else {
        return Ok(false);
    };
    let output = match Command::new(program).args(args).arg(path).output() {
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
