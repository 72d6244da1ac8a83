//! `neon-lsp snippet`: prints the connection snippet for a combination, `--list`s them, or
//! places one `--into` an existing file (as a diff; `--write` writes it).

use crate::analysis::Options;
use crate::catalogue::{AuthType, ClientType, Target};
use crate::snippet::place::{self, Anchor};
use crate::snippet::{self, SnippetRequest};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct SnippetArgs {
    /// neon or azure-postgresql (with --into: inferred from the project, as `check` does).
    #[arg(long, value_parser = super::parse_target, required_unless_present_any = ["list", "into"])]
    pub target: Option<Target>,
    /// The Service Connector client type (with --into: inferred from the project and file).
    #[arg(long, value_parser = super::parse_client_type, required_unless_present_any = ["list", "into"])]
    pub client_type: Option<ClientType>,
    /// Auth type (default secret; Azure PostgreSQL also offers system-identity, user-identity, service-principal).
    #[arg(long, value_parser = super::parse_auth)]
    pub auth: Option<AuthType>,
    /// Connection name of a second connection (NEON_POSTGRESQL_<NAME>_…).
    #[arg(long)]
    pub name: Option<String>,
    /// List every combination and the files of its snippet.
    #[arg(long)]
    pub list: bool,
    /// Place the snippet into this existing file: after its imports, merging them, in its
    /// indentation and quote style (Spring: merge the keys into application.properties/.yml).
    /// Prints the change as a unified diff; --write writes it.
    #[arg(long, value_name = "FILE", conflicts_with = "list")]
    pub into: Option<PathBuf>,
    /// With --into: write the file instead of printing the diff.
    #[arg(long, requires = "into")]
    pub write: bool,
    /// With --into: replace lines START-END (1-based, inclusive; an existing connection setup)
    /// instead of inserting after the imports.
    #[arg(long, value_name = "START-END", requires = "into", value_parser = parse_lines)]
    pub replace: Option<(usize, usize)>,
}

fn parse_lines(value: &str) -> Result<(usize, usize), String> {
    let (start, end) = value.split_once('-').unwrap_or((value, value));
    let number = |s: &str| s.trim().parse::<usize>().ok().filter(|n| *n > 0);
    match (number(start), number(end)) {
        (Some(start), Some(end)) if start <= end => Ok((start, end)),
        _ => Err(format!(
            "\"{value}\" is not a line range: write START-END with 1 <= START <= END, e.g. 12-20"
        )),
    }
}

pub fn run(args: SnippetArgs) -> ExitCode {
    if args.list {
        println!(
            "{:<18} {:<12} {:<18} snippet",
            "target", "client-type", "auth"
        );
        for request in snippet::combinations() {
            let files: Vec<String> = snippet::generate(&request)
                .map(|s| s.files.into_iter().map(|f| f.suggested_path).collect())
                .unwrap_or_default();
            println!(
                "{:<18} {:<12} {:<18} {}",
                request.target.id(),
                request.client_type.id(),
                request.auth.id(),
                files.join(", ")
            );
        }
        return ExitCode::SUCCESS;
    }
    if let Some(into) = args.into.clone() {
        return into_file(&args, &into);
    }
    let (Some(target), Some(client_type)) = (args.target, args.client_type) else {
        eprintln!("error: --target and --client-type are required (or --list, or --into FILE)");
        return ExitCode::from(2);
    };
    let request = SnippetRequest {
        target,
        client_type,
        auth: args.auth.unwrap_or(AuthType::Secret),
        name: args.name,
        customized_keys: Vec::new(),
    };
    match snippet::generate(&request) {
        Ok(snippet) => {
            let several = snippet.files.len() > 1;
            for file in &snippet.files {
                if several {
                    println!("==> {} <==", file.suggested_path);
                }
                print!("{}", file.text);
            }
            ExitCode::SUCCESS
        }
        Err(error) => unsupported(&error, target),
    }
}

fn unsupported(error: &dyn std::fmt::Display, target: Target) -> ExitCode {
    eprintln!("error: {error}");
    let valid: Vec<&str> = target.auth_types().iter().map(|a| a.id()).collect();
    eprintln!("  {} offers: {}", target.id(), valid.join(", "));
    ExitCode::from(2)
}

/// `--into FILE`: the snippet for the file's connection, placed into it.
fn into_file(args: &SnippetArgs, into: &Path) -> ExitCode {
    let shown = into.display();
    let text = match std::fs::read_to_string(into) {
        Ok(text) => text,
        Err(error) => {
            eprintln!("error: {shown}: cannot read it: {error}; --into takes an existing file");
            return ExitCode::from(2);
        }
    };
    let absolute = crate::disk::walk::normalize(&std::path::absolute(into).unwrap_or(into.into()));
    let root = project_root(&absolute);
    let relative = absolute
        .strip_prefix(&root)
        .ok()
        .and_then(crate::disk::walk::slash_separated)
        .unwrap_or_else(|| shown.to_string());
    if !place::supports(&relative) {
        eprintln!(
            "error: no connection snippet for {shown}: snippets go into {}",
            place::LANGUAGES
        );
        return ExitCode::from(2);
    }
    let options = Options {
        target: args.target,
        client_type: args.client_type,
        auth: args.auth,
        ..Options::default()
    };
    let collected = match crate::disk::walk::collect(
        std::slice::from_ref(&root),
        &crate::disk::walk::WalkOptions::default(),
    ) {
        Ok(collected) => collected,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    let line = args.replace.map_or(0, |(start, _)| start - 1) as u32;
    let mut request = match snippet::request::request_at(
        &collected.workspace,
        &options,
        &relative,
        &text,
        line,
    ) {
        Ok(request) => request,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    // Flags win over what the project says.
    request.target = args.target.unwrap_or(request.target);
    request.client_type = args.client_type.unwrap_or(request.client_type);
    request.auth = args.auth.unwrap_or(request.auth);
    if args.name.is_some() {
        request.name.clone_from(&args.name);
    }
    let snippet = match snippet::generate(&request) {
        Ok(snippet) => snippet,
        Err(error) => return unsupported(&error, request.target),
    };
    let anchor = match args.replace {
        Some((start, end)) => Anchor::Replace {
            start: start - 1,
            end,
        },
        None => Anchor::AfterImports,
    };
    let placement = match place::place(&snippet, &request, &relative, &text, anchor) {
        Ok(placement) => placement,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    eprintln!("snippet: {request}");
    for note in &placement.notes {
        eprintln!("note: {note}");
    }
    if placement.edit.is_none() {
        eprintln!("{shown} already has everything the snippet needs: nothing to change");
        return ExitCode::SUCCESS;
    }
    if args.write {
        if let Err(error) = write_atomically(into, &placement.text) {
            eprintln!("error: {shown}: cannot write it: {error}; nothing was changed");
            return ExitCode::from(1);
        }
        eprintln!("wrote {shown}");
    } else {
        let diff = similar::TextDiff::from_lines(&text, &placement.text);
        print!(
            "{}",
            diff.unified_diff()
                .context_radius(3)
                .header(&format!("a/{relative}"), &format!("b/{relative}"))
        );
        eprintln!("not written: run again with --write to apply it");
    }
    ExitCode::SUCCESS
}

/// The project `path` belongs to: the nearest folder above it with neon-lsp.toml, else with
/// `.git`, else its own folder.
fn project_root(path: &Path) -> PathBuf {
    let folder = path.parent().unwrap_or(path);
    for marker in [crate::workspace::CONFIG_FILE_NAME, ".git"] {
        if let Some(found) = folder.ancestors().find(|dir| dir.join(marker).exists()) {
            return found.to_path_buf();
        }
    }
    folder.to_path_buf()
}

/// Writes `text` to `path` through a temporary file beside it and a rename, keeping the
/// file's permissions, so an interrupted write never leaves half a file.
fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temporary = path.with_file_name(format!(".{name}.neon-lsp-snippet"));
    std::fs::write(&temporary, text)?;
    let result = std::fs::metadata(path)
        .and_then(|m| std::fs::set_permissions(&temporary, m.permissions()))
        .and_then(|()| std::fs::rename(&temporary, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    result
}
