//! `neon-lsp check --fix`: applies the safe fixes of a report to the files on disk
//! (`--unsafe-fixes`: the unsafe ones too; `--diff`: prints what would change, writes nothing).
//!
//! The first applicable fix of each diagnostic (later ones are alternatives): the first
//! [`Applicability::Safe`] one, or with `--unsafe-fixes` the first one of any kind for an error
//! or warning (a hint's unsafe fix, such as removing an unused .env variable, stays an offer). A diagnostic
//! whose fixes are all unsafe is listed with its fix's title, so nothing is skipped silently. A
//! fix is applied whole or not at all: when one of its edits overlaps an edit already taken,
//! the whole fix is skipped (an edit identical to one taken is not a clash: it is made once),
//! naming the fix it overlapped and that a second `--fix` run applies
//! it (the second run checks the changed files, so it is offered again only if its finding
//! remains). Files are written atomically (a
//! temporary file in the same directory, then a rename that keeps the permissions), and only
//! when every file could be prepared, so an error never leaves half the fixes written.
//!
//! It is not a merge tool: a file that changed since it was checked, or that was decoded
//! lossily (its bytes differ from the text that was checked), is left alone.

use crate::cli::report::Report;
use crate::diagnostic::{Applicability, FileEdit, Fix};
use crate::text::{LineIndex, TextRange};
use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

/// What `--fix` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FixOutcome {
    /// Fixes applied (each may hold several edits).
    pub applied: usize,
    /// Fixes not applied: the file concerned and why.
    pub skipped: Vec<(String, String)>,
    /// Files written (with `--diff`: files that would change), sorted.
    pub files_written: Vec<String>,
    /// Diagnostics whose only fixes are unsafe, not applied without `--unsafe-fixes`: the file
    /// and the (masked) title of the fix that was not applied.
    pub unsafe_skipped: Vec<(String, String)>,
    /// With `--diff`: the unified diff of every change, secrets masked; nothing is written.
    pub diff: Option<String>,
}

/// How `--fix` runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FixMode {
    /// Also apply unsafe fixes (`--unsafe-fixes`).
    pub unsafe_fixes: bool,
    /// Print a diff instead of writing (`--diff`).
    pub diff_only: bool,
}

/// Applies the safe fixes of `report` to the files under `root`.
pub fn apply_fixes(root: &Path, report: &Report) -> FixOutcome {
    run(root, report, FixMode::default())
}

/// Applies (or with [`FixMode::diff_only`] shows) the fixes of `report` under `root`.
pub fn run(root: &Path, report: &Report, mode: FixMode) -> FixOutcome {
    let mut outcome = FixOutcome::default();
    let mut candidates: Vec<&Fix> = Vec::new();
    for diagnostic in &report.diagnostics {
        // `--unsafe-fixes` is for problems: a hint's unsafe fix (removing an unused .env
        // variable) is an offer the editor shows, never applied in bulk.
        let problem = diagnostic.severity >= crate::diagnostic::Severity::Warning;
        let usable = |fix: &&Fix| {
            !fix.edits.is_empty()
                && (fix.applicability == Applicability::Safe || (mode.unsafe_fixes && problem))
        };
        match diagnostic.fixes.iter().find(usable) {
            Some(fix) => candidates.push(fix),
            // Hints' fixes (remove an unused variable) are offers, not problems left.
            None if diagnostic.severity >= crate::diagnostic::Severity::Warning => {
                if let Some(fix) = diagnostic.fixes.iter().find(|fix| !fix.edits.is_empty()) {
                    let line = report.sources.get(&diagnostic.path).map_or(1, |text| {
                        LineIndex::new(text)
                            .human(text, diagnostic.range.start)
                            .line
                    });
                    outcome.unsafe_skipped.push((
                        format!("{}:{line}", diagnostic.path),
                        format!(
                            "{} ({})",
                            crate::secrets::mask_value(&fix.title),
                            diagnostic.rule
                        ),
                    ));
                }
            }
            None => {}
        }
    }
    outcome.unsafe_skipped.sort();
    outcome.unsafe_skipped.dedup();
    // Deterministic: the same report always keeps the same one of two overlapping fixes.
    candidates.sort_by(|a, b| first_edit_key(a).cmp(&first_edit_key(b)));

    // Check every file once against the text that was checked, before planning anything.
    let mut loaded: BTreeMap<&str, Loaded> = BTreeMap::new();
    let mut refused: BTreeMap<&str, String> = BTreeMap::new();
    for edit in candidates.iter().flat_map(|fix| &fix.edits) {
        let path = edit.path.as_str();
        if loaded.contains_key(path) || refused.contains_key(path) {
            continue;
        }
        match load(root, path, report.sources.get(path).map(String::as_str)) {
            Ok(file) => {
                loaded.insert(path, file);
            }
            Err(reason) => {
                refused.insert(path, reason);
            }
        }
    }
    outcome.skipped.extend(
        refused
            .iter()
            .map(|(path, reason)| ((*path).to_owned(), reason.clone())),
    );

    let mut edits_by_file: BTreeMap<&str, Vec<&FileEdit>> = BTreeMap::new();
    // The same edits with the fix each belongs to, to name it when a later fix overlaps one.
    let mut taken: BTreeMap<&str, Vec<(&FileEdit, &Fix)>> = BTreeMap::new();
    let mut accepted = 0;
    for fix in candidates {
        let first_path = fix
            .edits
            .first()
            .map(|edit| edit.path.clone())
            .unwrap_or_default();
        if let Some(path) = fix
            .edits
            .iter()
            .map(|edit| edit.path.as_str())
            .find(|path| refused.contains_key(path))
        {
            outcome.skipped.push((
                first_path,
                format!(
                    "{}: not applied because {path} cannot be changed",
                    crate::secrets::mask_value(&fix.title)
                ),
            ));
            continue;
        }
        if let Some(reason) = rejection(fix, report, &taken, mode) {
            outcome.skipped.push((
                first_path,
                format!("{}: {reason}", crate::secrets::mask_value(&fix.title)),
            ));
            continue;
        }
        for edit in &fix.edits {
            // An edit identical to one taken (two findings' fixes adding the same .env lines)
            // is made once.
            let same = taken
                .get(edit.path.as_str())
                .is_some_and(|list| list.iter().any(|(other, _)| *other == edit));
            if same {
                continue;
            }
            edits_by_file
                .entry(edit.path.as_str())
                .or_default()
                .push(edit);
            taken
                .entry(edit.path.as_str())
                .or_default()
                .push((edit, fix));
        }
        accepted += 1;
    }

    if mode.diff_only {
        let mut diff = String::new();
        for (path, edits) in &edits_by_file {
            if let Some(file) = loaded.get(path) {
                diff.push_str(&unified_diff(path, &file.original, edits));
                outcome.files_written.push((*path).to_owned());
            }
        }
        outcome.applied = accepted;
        outcome.diff = Some(diff);
        outcome.skipped.sort();
        return outcome;
    }
    // Write every new content beside its file first; rename only when all of them succeeded.
    let mut prepared: Vec<Prepared> = Vec::new();
    for (path, edits) in &edits_by_file {
        let Some(file) = loaded.get(path) else {
            continue;
        };
        match prepare(root, path, file, edits) {
            Ok(file) => prepared.push(file),
            Err(reason) => {
                for file in &prepared {
                    file.discard();
                }
                outcome
                    .skipped
                    .push(((*path).to_owned(), format!("{reason}; no file was changed")));
                outcome.skipped.sort();
                return outcome;
            }
        }
    }
    for file in prepared {
        match file.commit() {
            Ok(path) => outcome.files_written.push(path),
            Err((path, reason)) => outcome.skipped.push((path, reason)),
        }
    }
    outcome.applied = accepted;
    outcome.files_written.sort();
    outcome.skipped.sort();
    outcome
}

fn first_edit_key(fix: &Fix) -> (&str, usize, usize) {
    fix.edits.first().map_or(("", 0, 0), |edit| {
        (edit.path.as_str(), edit.range.start, edit.range.end)
    })
}

/// Why `fix` cannot join the edits already accepted, if it cannot.
fn rejection(
    fix: &Fix,
    report: &Report,
    taken: &BTreeMap<&str, Vec<(&FileEdit, &Fix)>>,
    mode: FixMode,
) -> Option<String> {
    for (i, edit) in fix.edits.iter().enumerate() {
        let text = report.sources.get(&edit.path);
        match text {
            Some(text) if text.get(edit.range.start..edit.range.end).is_none() => {
                return Some(format!(
                    "edit range {}..{} is not inside {}",
                    edit.range.start, edit.range.end, edit.path
                ));
            }
            Some(_) => {}
            None if edit.range != TextRange::empty(0) => {
                return Some(format!(
                    "{} was not checked, and the fix does not create it",
                    edit.path
                ));
            }
            None => {}
        }
        let line = |at: usize| text.map_or(1, |text| LineIndex::new(text).human(text, at).line);
        if let Some(other) = fix
            .edits
            .iter()
            .take(i)
            .find(|other| other.path == edit.path && overlaps(edit.range, other.range))
        {
            return Some(format!(
                "two of its own edits change the same text in {} at line {}, so it cannot be applied; apply it by hand",
                edit.path,
                line(other.range.start)
            ));
        }
        let overlapped = taken
            .get(edit.path.as_str())
            .into_iter()
            .flatten()
            .find(|(other, _)| *other != edit && overlaps(edit.range, other.range));
        if let Some((other, owner)) = overlapped {
            let again = if mode.unsafe_fixes {
                "neon-lsp check --fix --unsafe-fixes"
            } else {
                "neon-lsp check --fix"
            };
            return Some(format!(
                "overlaps the fix \"{}\" in {} at line {}, applied in this run; run `{again}` again to apply this one (it is offered again if its finding remains)",
                crate::secrets::mask_value(&owner.title),
                edit.path,
                line(other.range.start)
            ));
        }
    }
    None
}

/// Two replacements overlap when they share a byte, or an insertion falls strictly inside a
/// replacement. Insertions at the same point do not: they apply in order.
fn overlaps(a: TextRange, b: TextRange) -> bool {
    a.intersects(b)
        || (a.is_empty() && b.start < a.start && a.start < b.end)
        || (b.is_empty() && a.start < b.start && b.start < a.end)
}

/// A file as it is on disk, confirmed to be what was checked (or confirmed absent).
struct Loaded {
    destination: PathBuf,
    original: String,
    /// `None` for a file the fix creates.
    permissions: Option<fs::Permissions>,
}

fn load(root: &Path, path: &str, checked: Option<&str>) -> Result<Loaded, String> {
    let destination = root.join(path);
    let Some(checked) = checked else {
        if destination.symlink_metadata().is_ok() {
            return Err(format!(
                "{path} appeared since it was checked; run neon-lsp check --fix again"
            ));
        }
        return Ok(Loaded {
            destination,
            original: String::new(),
            permissions: None,
        });
    };
    // Replace the file a symlink points at, not the link.
    let destination = fs::canonicalize(&destination)
        .map_err(|error| format!("could not find {path}: {error}"))?;
    let bytes =
        fs::read(&destination).map_err(|error| format!("could not read {path}: {error}"))?;
    if bytes != checked.as_bytes() {
        return Err(match String::from_utf8(bytes) {
            Err(_) => format!("{path} is not valid UTF-8; fix it by hand"),
            Ok(_) => format!("{path} changed since it was checked; run neon-lsp check --fix again"),
        });
    }
    let permissions = fs::metadata(&destination)
        .map_err(|error| format!("could not read {path}: {error}"))?
        .permissions();
    Ok(Loaded {
        destination,
        original: checked.to_owned(),
        permissions: Some(permissions),
    })
}

/// A new file content written to a temporary file beside its destination.
struct Prepared {
    path: String,
    temporary: PathBuf,
    destination: PathBuf,
}

impl Prepared {
    fn commit(self) -> Result<String, (String, String)> {
        match fs::rename(&self.temporary, &self.destination) {
            Ok(()) => Ok(self.path),
            Err(error) => {
                let _ = fs::remove_file(&self.temporary);
                Err((self.path, format!("could not replace the file: {error}")))
            }
        }
    }

    fn discard(&self) {
        let _ = fs::remove_file(&self.temporary);
    }
}

fn prepare(
    root: &Path,
    path: &str,
    file: &Loaded,
    edits: &[&FileEdit],
) -> Result<Prepared, String> {
    let text = edited(&file.original, edits, |edit| &edit.new_text);

    let directory = file
        .destination
        .parent()
        .map_or_else(|| root.to_path_buf(), Path::to_path_buf);
    if file.permissions.is_none() {
        fs::create_dir_all(&directory)
            .map_err(|error| format!("could not create the folder for {path}: {error}"))?;
    }
    let temporary = write_temporary(
        &directory,
        &file.destination,
        text.as_bytes(),
        file.permissions.clone(),
    )
    .map_err(|error| format!("could not write {path}: {error}"))?;
    Ok(Prepared {
        path: path.to_owned(),
        temporary,
        destination: file.destination.clone(),
    })
}

/// `original` with `edits` applied, each edit contributing `new_text(edit)`.
fn edited<'e>(
    original: &str,
    edits: &[&'e FileEdit],
    new_text: impl Fn(&'e FileEdit) -> &'e str,
) -> String {
    let mut ordered: Vec<&FileEdit> = edits.to_vec();
    // Stable: insertions at one point keep the order their fixes were accepted in.
    ordered.sort_by_key(|edit| (edit.range.start, edit.range.end));
    let mut text = String::with_capacity(original.len());
    let mut cursor = 0;
    for edit in ordered {
        text.push_str(original.get(cursor..edit.range.start).unwrap_or_default());
        text.push_str(new_text(edit));
        cursor = cursor.max(edit.range.end);
    }
    text.push_str(original.get(cursor..).unwrap_or_default());
    text
}

/// The unified diff `--diff` prints for one file. Both sides are built from what may be shown
/// (each edit's [`FileEdit::shown_text`]) and masked where a secret sits in that file's shape,
/// so a password never reaches the diff, not even its length.
fn unified_diff(path: &str, original: &str, edits: &[&FileEdit]) -> String {
    let after = edited(original, edits, FileEdit::shown_text);
    let before = crate::secrets::mask(original, &crate::secrets::secret_ranges(path, original));
    let after = crate::secrets::mask(&after, &crate::secrets::secret_ranges(path, &after));
    let diff = similar::TextDiff::from_lines(&before, &after);
    let mut out = diff
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string();
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

fn write_temporary(
    directory: &Path,
    destination: &Path,
    contents: &[u8],
    permissions: Option<fs::Permissions>,
) -> io::Result<PathBuf> {
    let name = destination
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    for attempt in 0..100u32 {
        let temporary = directory.join(format!(
            ".{name}.neon-lsp-fix.{}.{attempt}",
            std::process::id()
        ));
        let mut file = match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temporary)
        {
            Ok(file) => file,
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(error) => return Err(error),
        };
        let written = file
            .write_all(contents)
            .and_then(|()| file.sync_all())
            .and_then(|()| {
                permissions
                    .clone()
                    .map_or(Ok(()), |p| fs::set_permissions(&temporary, p))
            });
        if let Err(error) = written {
            let _ = fs::remove_file(&temporary);
            return Err(error);
        }
        return Ok(temporary);
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        "no free temporary file name",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Diagnostic;
    use crate::rules::Rule;
    use std::collections::HashMap;

    fn edit(path: &str, start: usize, end: usize, new_text: &str) -> FileEdit {
        FileEdit::new(path, TextRange::new(start, end), new_text)
    }

    fn fix(title: &str, edits: Vec<FileEdit>, applicability: Applicability) -> Diagnostic {
        Diagnostic::new(
            Rule::UnknownVariable,
            edits[0].path.clone(),
            edits[0].range,
            title,
        )
        .with_fix(Fix {
            title: title.to_owned(),
            edits,
            applicability,
        })
    }

    fn setup(files: &[(&str, &str)]) -> (tempfile::TempDir, HashMap<String, String>) {
        let dir = tempfile::tempdir().unwrap();
        let mut sources = HashMap::new();
        for (path, text) in files {
            let full = dir.path().join(path);
            fs::create_dir_all(full.parent().unwrap()).unwrap();
            fs::write(full, text).unwrap();
            sources.insert((*path).to_owned(), (*text).to_owned());
        }
        (dir, sources)
    }

    fn read(dir: &tempfile::TempDir, path: &str) -> String {
        fs::read_to_string(dir.path().join(path)).unwrap()
    }

    fn leftovers(dir: &Path) -> Vec<String> {
        let mut names = Vec::new();
        for entry in walk(dir) {
            let name = entry.file_name().unwrap().to_string_lossy().into_owned();
            if name.contains("neon-lsp-fix") {
                names.push(name);
            }
        }
        names
    }

    fn walk(dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for entry in fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.extend(walk(&path))
            } else {
                out.push(path)
            }
        }
        out
    }

    #[test]
    fn applies_safe_fixes_skips_unsafe_and_overlapping_ones() {
        let text = "A = process.env.NEON_POSTGRES_HOST;\nB = process.env.NEON_POSTGRES_USER;\n";
        let (dir, sources) = setup(&[("src/db.js", text)]);
        let host = text.find("NEON_POSTGRES_HOST").unwrap();
        let user = text.find("NEON_POSTGRES_USER").unwrap();
        let report = Report {
            diagnostics: vec![
                fix(
                    "Use NEON_POSTGRESQL_USER",
                    vec![edit("src/db.js", user, user + 18, "NEON_POSTGRESQL_USER")],
                    Applicability::Safe,
                ),
                fix(
                    "Use NEON_POSTGRESQL_HOST",
                    vec![edit("src/db.js", host, host + 18, "NEON_POSTGRESQL_HOST")],
                    Applicability::Safe,
                ),
                fix(
                    "Overlapping",
                    vec![edit("src/db.js", host + 5, host + 8, "X")],
                    Applicability::Safe,
                ),
                fix(
                    "Unsafe",
                    vec![edit("src/db.js", 0, 1, "Z")],
                    Applicability::Unsafe,
                ),
            ],
            sources,
            ..Report::default()
        };
        let outcome = apply_fixes(dir.path(), &report);
        assert_eq!(
            read(&dir, "src/db.js"),
            text.replace("NEON_POSTGRES_", "NEON_POSTGRESQL_")
        );
        assert_eq!(outcome.applied, 2);
        assert_eq!(outcome.files_written, ["src/db.js"]);
        assert_eq!(outcome.skipped.len(), 1);
        assert_eq!(outcome.skipped[0].0, "src/db.js");
        assert_eq!(
            outcome.skipped[0].1,
            "Overlapping: overlaps the fix \"Use NEON_POSTGRESQL_HOST\" in src/db.js at line 1, applied in this run; run `neon-lsp check --fix` again to apply this one (it is offered again if its finding remains)"
        );
        assert!(leftovers(dir.path()).is_empty());
    }

    /// A skipped fix says why: one overlapping an applied fix names it and the command of the
    /// second run (with `--unsafe-fixes` when this run had it); one whose own edits overlap
    /// cannot be applied at all and says so.
    #[test]
    fn skipped_fixes_name_the_fix_they_overlapped_and_the_second_run() {
        let text = "A = process.env.NEON_POSTGRES_HOST;\n";
        let (dir, sources) = setup(&[("src/db.js", text)]);
        let host = text.find("NEON_POSTGRES_HOST").unwrap();
        let mut diagnostics = vec![
            fix(
                "Read NEON_POSTGRESQL_HOST",
                vec![edit("src/db.js", host, host + 18, "NEON_POSTGRESQL_HOST")],
                Applicability::Unsafe,
            ),
            fix(
                "Later",
                vec![edit("src/db.js", host + 2, host + 4, "X")],
                Applicability::Unsafe,
            ),
            fix(
                "Self-overlapping",
                vec![edit("src/db.js", 0, 3, "B"), edit("src/db.js", 1, 2, "C")],
                Applicability::Unsafe,
            ),
        ];
        for diagnostic in &mut diagnostics {
            diagnostic.severity = crate::diagnostic::Severity::Error;
        }
        let report = Report {
            diagnostics,
            sources,
            ..Report::default()
        };
        let mode = FixMode {
            unsafe_fixes: true,
            diff_only: false,
        };
        let outcome = run(dir.path(), &report, mode);
        assert_eq!(outcome.applied, 1, "{outcome:?}");
        let reasons: Vec<&str> = outcome.skipped.iter().map(|(_, r)| r.as_str()).collect();
        assert_eq!(
            reasons,
            [
                "Later: overlaps the fix \"Read NEON_POSTGRESQL_HOST\" in src/db.js at line 1, applied in this run; run `neon-lsp check --fix --unsafe-fixes` again to apply this one (it is offered again if its finding remains)",
                "Self-overlapping: two of its own edits change the same text in src/db.js at line 1, so it cannot be applied; apply it by hand",
            ]
        );
    }

    /// Two findings' fixes that add the same lines (the same .env entries) do not clash: the
    /// lines are written once and both fixes count as applied.
    #[test]
    fn identical_edits_of_two_fixes_are_made_once() {
        let text = "a\n";
        let (dir, sources) = setup(&[("app.env", text)]);
        let line = || edit("app.env", 2, 2, "X=1\n");
        let report = Report {
            diagnostics: vec![
                fix(
                    "One",
                    vec![edit("app.env", 0, 1, "b"), line()],
                    Applicability::Safe,
                ),
                fix("Two", vec![line()], Applicability::Safe),
            ],
            sources,
            ..Report::default()
        };
        let outcome = apply_fixes(dir.path(), &report);
        assert_eq!(outcome.applied, 2, "{outcome:?}");
        assert_eq!(read(&dir, "app.env"), "b\nX=1\n");
    }

    /// `--unsafe-fixes` applies unsafe fixes of problems only: removing an unused variable (a
    /// hint) may delete a value someone needs, so it stays an offer in the editor.
    #[test]
    fn unsafe_fixes_leave_hints_alone() {
        let text = "NEON_POSTGRESQL_SSL=true\nNEON_POSTGRES_HOST=x\n";
        let (dir, sources) = setup(&[(".env", text)]);
        let mut hint = fix(
            "Remove NEON_POSTGRESQL_SSL",
            vec![edit(".env", 0, 25, "")],
            Applicability::Unsafe,
        );
        hint.rule = Rule::UnusedEnvVariable;
        hint.severity = crate::diagnostic::Severity::Hint;
        let problem = fix(
            "Use NEON_POSTGRESQL_HOST",
            vec![edit(".env", 25, 43, "NEON_POSTGRESQL_HOST")],
            Applicability::Unsafe,
        );
        let report = Report {
            diagnostics: vec![hint, problem],
            sources,
            ..Report::default()
        };
        let outcome = run(
            dir.path(),
            &report,
            FixMode {
                unsafe_fixes: true,
                diff_only: false,
            },
        );
        assert_eq!(outcome.applied, 1);
        assert_eq!(
            read(&dir, ".env"),
            "NEON_POSTGRESQL_SSL=true\nNEON_POSTGRESQL_HOST=x\n"
        );
        assert!(outcome.unsafe_skipped.is_empty(), "{outcome:?}");
    }

    #[test]
    fn insertions_at_one_point_apply_in_order_and_files_can_be_created() {
        let (dir, sources) = setup(&[(".env", "A=1\n")]);
        let report = Report {
            diagnostics: vec![
                fix(
                    "Add B",
                    vec![edit(".env", 4, 4, "B=\n")],
                    Applicability::Safe,
                ),
                fix(
                    "Add C",
                    vec![edit(".env", 4, 4, "C=\n")],
                    Applicability::Safe,
                ),
                fix(
                    "Create",
                    vec![
                        edit("svc/new.env", 0, 0, "X=\n"),
                        edit("svc/new.env", 0, 0, "Y=\n"),
                    ],
                    Applicability::Safe,
                ),
            ],
            sources,
            ..Report::default()
        };
        let outcome = apply_fixes(dir.path(), &report);
        assert_eq!(read(&dir, ".env"), "A=1\nB=\nC=\n");
        assert_eq!(read(&dir, "svc/new.env"), "X=\nY=\n");
        assert_eq!(outcome.applied, 3);
        assert_eq!(outcome.files_written, [".env", "svc/new.env"]);
    }

    #[test]
    fn never_touches_lossy_or_changed_files_but_fixes_the_others() {
        let (dir, mut sources) = setup(&[("a.env", "A=1\n"), ("b.env", "B=1\n")]);
        fs::write(dir.path().join("lossy.env"), b"P=caf\xe9\n").unwrap();
        sources.insert("lossy.env".to_owned(), "P=caf\u{fffd}\n".to_owned());
        fs::write(dir.path().join("b.env"), "B=2\n").unwrap();
        let report = Report {
            diagnostics: vec![
                fix(
                    "Fix a",
                    vec![edit("a.env", 0, 1, "AA")],
                    Applicability::Safe,
                ),
                fix(
                    "Fix b",
                    vec![edit("b.env", 0, 1, "BB")],
                    Applicability::Safe,
                ),
                fix(
                    "Fix lossy",
                    vec![edit("lossy.env", 0, 1, "PP")],
                    Applicability::Safe,
                ),
                fix(
                    "Fix a and lossy",
                    vec![edit("a.env", 4, 4, "X=\n"), edit("lossy.env", 7, 7, "Y")],
                    Applicability::Safe,
                ),
            ],
            sources,
            ..Report::default()
        };
        let outcome = apply_fixes(dir.path(), &report);
        assert_eq!(read(&dir, "a.env"), "AA=1\n");
        assert_eq!(read(&dir, "b.env"), "B=2\n");
        assert_eq!(
            fs::read(dir.path().join("lossy.env")).unwrap(),
            b"P=caf\xe9\n"
        );
        assert_eq!(outcome.applied, 1);
        assert_eq!(outcome.files_written, ["a.env"]);
        let reasons: Vec<&str> = outcome
            .skipped
            .iter()
            .map(|(_, reason)| reason.as_str())
            .collect();
        assert!(
            reasons.contains(&"b.env changed since it was checked; run neon-lsp check --fix again"),
            "{reasons:?}"
        );
        assert!(
            reasons.contains(&"lossy.env is not valid UTF-8; fix it by hand"),
            "{reasons:?}"
        );
        assert!(
            reasons.contains(&"Fix a and lossy: not applied because lossy.env cannot be changed"),
            "{reasons:?}"
        );
        assert!(leftovers(dir.path()).is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn keeps_permissions_and_symlinks() {
        use std::os::unix::fs::PermissionsExt;
        let (dir, sources) = setup(&[("real.env", "A=1\n")]);
        fs::set_permissions(
            dir.path().join("real.env"),
            fs::Permissions::from_mode(0o600),
        )
        .unwrap();
        std::os::unix::fs::symlink(dir.path().join("real.env"), dir.path().join(".env")).unwrap();
        let mut sources = sources;
        sources.insert(".env".to_owned(), "A=1\n".to_owned());
        let report = Report {
            diagnostics: vec![fix(
                "Fix",
                vec![edit(".env", 0, 1, "B")],
                Applicability::Safe,
            )],
            sources,
            ..Report::default()
        };
        let outcome = apply_fixes(dir.path(), &report);
        assert_eq!(outcome.applied, 1);
        assert!(
            fs::symlink_metadata(dir.path().join(".env"))
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(read(&dir, "real.env"), "B=1\n");
        let mode = fs::metadata(dir.path().join("real.env"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn a_write_failure_changes_no_file() {
        let (dir, sources) = setup(&[("a/a.env", "A=1\n"), ("blocker", "not a folder\n")]);
        let report = Report {
            diagnostics: vec![
                fix(
                    "Fix a",
                    vec![edit("a/a.env", 0, 1, "AA")],
                    Applicability::Safe,
                ),
                // Its folder cannot be created, even by root: a file has that name.
                fix(
                    "Create",
                    vec![edit("blocker/new.env", 0, 0, "B=\n")],
                    Applicability::Safe,
                ),
            ],
            sources,
            ..Report::default()
        };
        let outcome = apply_fixes(dir.path(), &report);
        assert_eq!(read(&dir, "a/a.env"), "A=1\n");
        assert_eq!(outcome.applied, 0);
        assert!(outcome.files_written.is_empty());
        assert_eq!(outcome.skipped.len(), 1, "{:?}", outcome.skipped);
        assert_eq!(outcome.skipped[0].0, "blocker/new.env");
        assert!(
            outcome.skipped[0]
                .1
                .starts_with("could not create the folder for blocker/new.env")
        );
        assert!(outcome.skipped[0].1.ends_with("; no file was changed"));
        assert!(leftovers(dir.path()).is_empty());
    }

    #[test]
    fn bad_ranges_and_unknown_files_are_skipped_not_panics() {
        let (dir, sources) = setup(&[("é.env", "É=1\n")]);
        let report = Report {
            diagnostics: vec![
                fix(
                    "Past the end",
                    vec![edit("é.env", 3, 99, "x")],
                    Applicability::Safe,
                ),
                fix(
                    "Inside a character",
                    vec![edit("é.env", 1, 1, "x")],
                    Applicability::Safe,
                ),
                fix(
                    "Unknown file",
                    vec![edit("other.env", 2, 3, "x")],
                    Applicability::Safe,
                ),
                fix(
                    "Reversed",
                    vec![edit("é.env", 3, 2, "x")],
                    Applicability::Safe,
                ),
            ],
            sources,
            ..Report::default()
        };
        let outcome = apply_fixes(dir.path(), &report);
        assert_eq!(outcome.applied, 0);
        assert_eq!(outcome.skipped.len(), 4);
        assert_eq!(read(&dir, "é.env"), "É=1\n");
    }

    #[test]
    fn overlap_rules() {
        let r = TextRange::new;
        assert!(overlaps(r(0, 5), r(4, 6)));
        assert!(!overlaps(r(0, 5), r(5, 6)));
        assert!(overlaps(r(3, 3), r(0, 5)));
        assert!(!overlaps(r(5, 5), r(0, 5)));
        assert!(!overlaps(r(5, 5), r(5, 5)));
    }
}
