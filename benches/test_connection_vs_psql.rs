//! `neon-lsp test-connection` against `psql -c 'select 1'` on the same local server, same
//! settings (TLS required, SCRAM with an iteration-count-1 verifier as Neon's), 20 runs each,
//! measured in the same run. Prints medians and the ratio. Run: `cargo bench --bench
//! test_connection_vs_psql`. Needs the PostgreSQL 15 server binaries, openssl and psql.

#[path = "../tests/support/mod.rs"]
mod support;

use std::process::Command;
use std::time::{Duration, Instant};

const RUNS: usize = 20;
const PASSWORD: &str = "bench-Pw-123";

fn time(command: &mut Command) -> Duration {
    let started = Instant::now();
    let output = command.output().expect("run");
    let elapsed = started.elapsed();
    assert!(
        output.status.success(),
        "{:?} failed: {}{}",
        command,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    elapsed
}

fn stats(mut samples: Vec<Duration>) -> (f64, f64, f64) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    (
        ms(samples[0]),
        ms(samples[samples.len() / 2]),
        ms(samples[samples.len() * 9 / 10]),
    )
}

fn main() {
    let Some(pg) = support::pg::PgCluster::start() else {
        eprintln!("skipped: no PostgreSQL 15 server binaries");
        return;
    };
    let psql = ["/usr/bin/psql", "/usr/lib/postgresql/15/bin/psql"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .expect("psql");
    pg.create_role("app", PASSWORD, true);
    pg.create_database("appdb", "app");
    let url = format!(
        "postgresql://app:{PASSWORD}@127.0.0.1:{}/appdb?sslmode=require",
        pg.port()
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".env"),
        format!("NEON_POSTGRESQL_CONNECTIONSTRING=\"{url}\"\n"),
    )
    .unwrap();
    let neon_lsp = || {
        let mut command = Command::new(env!("CARGO_BIN_EXE_neon-lsp"));
        command.arg("test-connection").arg(dir.path());
        command
    };
    let psql_command = || {
        let mut command = Command::new(psql);
        command
            .args([url.as_str(), "-Atc", "select 1"])
            .env("PSQLRC", "/dev/null");
        command
    };
    // Warm both (page cache, server backends' catalog caches).
    time(&mut neon_lsp());
    time(&mut psql_command());
    let mut ours = Vec::new();
    let mut theirs = Vec::new();
    // Interleaved, so drift in machine load hits both alike.
    for _ in 0..RUNS {
        ours.push(time(&mut neon_lsp()));
        theirs.push(time(&mut psql_command()));
    }
    let (our_min, our_median, our_p90) = stats(ours);
    let (psql_min, psql_median, psql_p90) = stats(theirs);
    println!(
        "test-connection vs psql -c 'select 1', {RUNS} runs each, TLS + SCRAM (iteration count 1), same server"
    );
    println!(
        "  neon-lsp test-connection  min {our_min:7.2} ms  median {our_median:7.2} ms  p90 {our_p90:7.2} ms"
    );
    println!(
        "  psql -c 'select 1'        min {psql_min:7.2} ms  median {psql_median:7.2} ms  p90 {psql_p90:7.2} ms"
    );
    println!(
        "  ratio (median)            {:.2}x",
        our_median / psql_median
    );
    let report = Command::new(env!("CARGO_BIN_EXE_neon-lsp"))
        .arg("test-connection")
        .arg(dir.path())
        .output()
        .unwrap();
    println!("\nOne report:\n{}", String::from_utf8_lossy(&report.stdout));
}
