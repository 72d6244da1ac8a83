//! Exact figures for the pathological inputs of issue 16 (item 3): CPU seconds, peak memory
//! and output size of `neon-lsp check` on each generated case, with what the issue measured
//! before the fixes. Run `cargo bench --bench pathological` (builds the release binary).

#[path = "../tests/support/pathological.rs"]
mod pathological;

fn main() {
    let binary = std::path::Path::new(env!("CARGO_BIN_EXE_neon-lsp"));
    println!(
        "{:<48} {:>9} {:>9} {:>12}   before",
        "case", "CPU s", "peak MiB", "output B"
    );
    for case in pathological::cases() {
        let dir = tempfile::tempdir().expect("temporary folder");
        pathological::write(&case, dir.path());
        let (cpu, peak, output) = pathological::measure(binary, dir.path());
        let note = if case.many_findings {
            " (hundreds of thousands of findings, listed up to the cap)"
        } else {
            ""
        };
        println!(
            "{:<48} {cpu:>9.3} {peak:>9.1} {output:>12}   {}{note}",
            case.name, case.before
        );
    }
}
