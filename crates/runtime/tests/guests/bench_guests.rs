//! The benchmark guests run correctly (their timings are measured by
//! `cargo bench` and `bench/run.sh`, not here). A `bench_*` guest program
//! without a test here is a build error.

use std::os::unix::fs::PermissionsExt;

use crate::common::{config, describe, grant, printed_number, program, run};
use capsa_runtime::{ExitStatus, Outcome, VmConfig};

#[test]
fn bench_true() {
    let outcome = run_exit0("bench_true", config(), &[]);
    assert_eq!(outcome.stdout_str(), "");
}

#[test]
fn bench_spawn() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bench_true");
    std::fs::copy(program("bench_true"), &path).expect("copy");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let mut config = config();
    config.grants.clock = true;
    grant(&mut config, dir.path(), "/t", true);
    let outcome = run_exit0("bench_spawn", config, &["/t/bench_true", "20"]);
    assert_eq!(printed_number(&outcome, "spawns"), 20);
    assert!(printed_number(&outcome, "elapsed_ns") > 0);
    assert!(printed_number(&outcome, "per_spawn_ns") > 0);
}

#[test]
fn bench_pipe() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bench_pipe");
    std::fs::copy(program("bench_pipe"), &path).expect("copy");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let mut config = config();
    config.grants.clock = true;
    grant(&mut config, dir.path(), "/t", true);
    let outcome = run_exit0("bench_pipe", config, &["send", "3", "/t/bench_pipe"]);
    assert_eq!(printed_number(&outcome, "bytes"), 3 << 20);
    assert_eq!(printed_number(&outcome, "mib"), 3);
    assert!(printed_number(&outcome, "elapsed_ns") > 0);
}

#[test]
fn bench_idle() {
    let outcome = run_exit0("bench_idle", config(), &["1"]);
    assert_eq!(outcome.stdout_str(), "ready\n");
}

#[test]
fn bench_sieve() {
    let outcome = run_exit0("bench_sieve", config(), &["1000", "2"]);
    assert_eq!(outcome.stdout_str(), "primes below 1000: 168\n");
}

/// Runs a benchmark guest, which prints its figures rather than `ok`.
fn run_exit0(name: &str, config: VmConfig, args: &[&str]) -> Outcome {
    let outcome = run(name, config, args);
    assert_eq!(outcome.status, ExitStatus::Exited(0), "{}", describe(&outcome));
    outcome
}

/// The guest programs this suite tests (checked in `main.rs`).
pub(crate) mod claimed {
    capsa_test_programs::foreach_bench!(claim);
}
