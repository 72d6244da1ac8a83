//! Where one edit's time goes in the language server's analysis, without the server: the
//! bench file of `lsp_latency` (10,000 JavaScript lines, 500 env reads), one space typed at a
//! line start, then each stage timed on its own (median of 50 edits):
//! a full tree-sitter parse, the incremental re-parse from the edited old tree (and whether the
//! old tree was reused: the changed ranges must be small), the scan from that tree, and the
//! whole cached analysis (`analyse_cached`, what the server runs per edit) against a fresh one.
//!
//! Wall-clock medians, and for the re-parse and the cached analysis also the thread's CPU time
//! (which the machine's load does not inflate).
//!
//! `cargo bench --bench edit_breakdown`.

use neon_lsp::analysis::{ScanCache, TextEdit, analyse_cached};
use neon_lsp::scan::{self, Language};
use neon_lsp::workspace::{GitState, Workspace, WorkspaceFile};
use neon_lsp::{Options, analyse};
use std::time::Instant;
use tree_sitter::{Parser, Point};

#[path = "support/latency_document.rs"]
mod latency_document;

fn text() -> String {
    latency_document::big_js()
}

/// Types a space at the start of `line`, returning the edit as the server computes it.
fn type_space(text: &mut String, line: usize) -> TextEdit {
    let start = text
        .match_indices('\n')
        .nth(line.wrapping_sub(1))
        .map_or(0, |(at, _)| at + 1);
    let start = if line == 0 { 0 } else { start };
    text.insert(start, ' ');
    let position = Point {
        row: line,
        column: 0,
    };
    TextEdit {
        start_byte: start,
        old_end_byte: start,
        new_end_byte: start + 1,
        start_position: position,
        old_end_position: position,
        new_end_position: Point {
            row: line,
            column: 1,
        },
    }
}

/// This thread's CPU time in milliseconds: unlike the wall clock, it does not grow with the
/// machine's load (the other helpers' builds).
/// Types `x` at column 10 of `line` (inside the statement), returning the edit.
fn type_inside(text: &mut String, line: usize) -> TextEdit {
    let line_start = if line == 0 {
        0
    } else {
        text.match_indices('\n')
            .nth(line - 1)
            .map_or(0, |(at, _)| at + 1)
    };
    let start = line_start + 10;
    text.insert(start, 'x');
    TextEdit {
        start_byte: start,
        old_end_byte: start,
        new_end_byte: start + 1,
        start_position: Point {
            row: line,
            column: 10,
        },
        old_end_position: Point {
            row: line,
            column: 10,
        },
        new_end_position: Point {
            row: line,
            column: 11,
        },
    }
}

fn cpu_ms() -> f64 {
    let mut time = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `clock_gettime` writes the timespec it is given and nothing else.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut time) };
    time.tv_sec as f64 * 1e3 + time.tv_nsec as f64 / 1e6
}

fn median(mut times: Vec<f64>) -> f64 {
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn workspace(text: &str) -> Workspace {
    Workspace {
        files: [("package.json", "{}"), ("big.js", text)]
            .iter()
            .map(|(path, text)| WorkspaceFile {
                path: (*path).to_owned(),
                text: (*text).to_owned(),
                git: GitState::NotInRepository,
                lossy: false,
            })
            .collect(),
    }
}

fn main() {
    let mut text = text();
    let language: tree_sitter::Language = tree_sitter_javascript::LANGUAGE.into();
    let mut parser = Parser::new();
    parser.set_language(&language).expect("language");
    let (mut full, mut incremental, mut changed) = (Vec::new(), Vec::new(), 0usize);
    let (mut incremental_cpu, mut changed_ranges) = (Vec::new(), Vec::new());
    let mut tree = parser.parse(&text, None).expect("parse");
    for edit in 0..50 {
        let line = (edit * 47) % 10_000;
        let started = Instant::now();
        let _ = parser.parse(&text, None).expect("parse");
        full.push(started.elapsed().as_secs_f64() * 1e3);
        let change = type_space(&mut text, line);
        tree.edit(&change);
        let (started, cpu) = (Instant::now(), cpu_ms());
        let new = parser.parse(&text, Some(&tree)).expect("parse");
        incremental.push(started.elapsed().as_secs_f64() * 1e3);
        incremental_cpu.push(cpu_ms() - cpu);
        let started = Instant::now();
        changed = changed.max(
            tree.changed_ranges(&new)
                .map(|r| r.end_byte - r.start_byte)
                .sum(),
        );
        changed_ranges.push(started.elapsed().as_secs_f64() * 1e3);
        tree = new;
    }
    // The scanner's way: a new parser per parse; and a bare cursor walk over every node.
    let (mut fresh_parser, mut walks, mut nodes) = (Vec::new(), Vec::new(), 0usize);
    for edit in 0..50 {
        let line = (edit * 43) % 10_000;
        let change = type_space(&mut text, line);
        tree.edit(&change);
        let started = Instant::now();
        let mut parser = Parser::new();
        parser.set_language(&language).expect("language");
        let new = parser.parse(&text, Some(&tree)).expect("parse");
        fresh_parser.push(started.elapsed().as_secs_f64() * 1e3);
        tree = new;
        let started = Instant::now();
        let mut cursor = tree.walk();
        nodes = 0;
        'walk: loop {
            nodes += 1;
            if cursor.goto_first_child() {
                continue;
            }
            while !cursor.goto_next_sibling() {
                if !cursor.goto_parent() {
                    break 'walk;
                }
            }
        }
        walks.push(started.elapsed().as_secs_f64() * 1e3);
    }
    println!(
        "tree-sitter JavaScript, {} bytes: full parse {:.2} ms, incremental re-parse {:.3} ms ({:.3} ms CPU; largest changed range total {changed} bytes, changed_ranges {:.3} ms), with a new parser {:.3} ms; a cursor walk over its {nodes} nodes {:.3} ms",
        text.len(),
        median(full),
        median(incremental),
        median(incremental_cpu),
        median(changed_ranges),
        median(fresh_parser),
        median(walks)
    );

    let (mut scan_full, mut scan_incremental) = (Vec::new(), Vec::new());
    let (_, mut tree) = scan::scan_path_keeping_tree("big.js", Language::JavaScript, &text, None);
    for edit in 0..50 {
        let line = (edit * 53) % 10_000;
        let started = Instant::now();
        let _ = scan::scan_path_keeping_tree("big.js", Language::JavaScript, &text, None);
        scan_full.push(started.elapsed().as_secs_f64() * 1e3);
        let change = type_space(&mut text, line);
        let mut old = tree.take().expect("tree");
        old.edit(&change);
        let started = Instant::now();
        let (_, new) =
            scan::scan_path_keeping_tree("big.js", Language::JavaScript, &text, Some(&old));
        scan_incremental.push(started.elapsed().as_secs_f64() * 1e3);
        tree = new;
    }
    println!(
        "scan (parse + walks + value flow + templates): from scratch {:.2} ms, from the edited tree {:.2} ms",
        median(scan_full),
        median(scan_incremental)
    );

    let options = Options::default();
    let mut cache = ScanCache::default();
    cache.keep_trees_of(["big.js"]);
    let _ = analyse_cached(&workspace(&text), &options, &mut cache);
    let (mut cached, mut cached_cpu, mut fresh) = (Vec::new(), Vec::new(), Vec::new());
    let mut findings = 0;
    for edit in 0..50 {
        let line = (edit * 59) % 10_000;
        let change = type_space(&mut text, line);
        cache.edit("big.js", &change);
        let snapshot = workspace(&text);
        let (started, cpu) = (Instant::now(), cpu_ms());
        let result = analyse_cached(&snapshot, &options, &mut cache).expect("analysis");
        cached.push(started.elapsed().as_secs_f64() * 1e3);
        cached_cpu.push(cpu_ms() - cpu);
        findings = result.len();
        let started = Instant::now();
        let _ = analyse(&snapshot, &options);
        fresh.push(started.elapsed().as_secs_f64() * 1e3);
    }
    println!(
        "analysis per edit ({findings} findings): cached {:.2} ms ({:.2} ms CPU), fresh {:.2} ms",
        median(cached),
        median(cached_cpu),
        median(fresh)
    );
    // A character typed inside statements (every 20th line a reference line).
    let (mut inside, mut inside_cpu) = (Vec::new(), Vec::new());
    for edit in 0..50 {
        let line = (edit * 61) % 10_000;
        let change = type_inside(&mut text, line);
        cache.edit("big.js", &change);
        let snapshot = workspace(&text);
        let (started, cpu) = (Instant::now(), cpu_ms());
        let _ = analyse_cached(&snapshot, &options, &mut cache).expect("analysis");
        inside.push(started.elapsed().as_secs_f64() * 1e3);
        inside_cpu.push(cpu_ms() - cpu);
    }
    println!(
        "analysis per edit typing inside a statement: cached {:.2} ms ({:.2} ms CPU)",
        median(inside),
        median(inside_cpu)
    );
}
