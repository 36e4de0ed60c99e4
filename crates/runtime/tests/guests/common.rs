//! Shared setup of the host tests that run guest programs: one [`Runtime`] for
//! the whole test binary (its compiled-module cache kept under cargo's per-target temp
//! dir, so modules compile once across runs), a fresh VM per run with captured
//! stdio, and checks of how a guest ended.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime};

use capsa_runtime::{DirGrant, ExitStatus, Outcome, Output, Runtime, RuntimeOptions, VmConfig};

/// The runtime shared by every test of this binary.
pub fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        let cache_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("capsa-module-cache");
        Runtime::new(RuntimeOptions { cache_dir: Some(cache_dir), ..RuntimeOptions::default() })
            .expect("creating the runtime")
    })
}

/// The path of a guest program's `.wasm`, by program name.
pub fn program(name: &str) -> &'static str {
    capsa_test_programs::ALL
        .iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("no guest program named {name}"))
        .1
}

/// A configuration that grants nothing but the VM's own filesystem (at `/`,
/// as most guests expect) and captures stdout and stderr, with the default
/// limits except a shorter wall clock (a hung test fails sooner).
pub fn config() -> VmConfig {
    let mut config = VmConfig::default();
    config.grants.vm_fs = true;
    config.grants.stdout = Output::Capture;
    config.grants.stderr = Output::Capture;
    config.limits.wall = Duration::from_secs(20);
    config
}

/// Grants `host` to the VM at `guest`.
pub fn grant(config: &mut VmConfig, host: &Path, guest: &str, read_only: bool) {
    config.grants.dirs.push(DirGrant { host: host.to_path_buf(), guest: guest.to_string(), read_only });
}

/// Runs program `name` in a fresh VM; `args` follow the program name (argv[0]).
pub fn run(name: &str, config: VmConfig, args: &[&str]) -> Outcome {
    let wasm = std::fs::read(program(name)).unwrap_or_else(|e| panic!("reading {name}.wasm: {e}"));
    let mut argv = vec![name.to_string()];
    argv.extend(args.iter().map(|a| a.to_string()));
    runtime()
        .vm(config)
        .unwrap_or_else(|e| panic!("booting a VM for {name}: {e}"))
        .run(&wasm, &argv)
        .unwrap_or_else(|e| panic!("running {name}: {e}"))
}

/// Runs a C guest (`guest/c/<name>.c`) like [`run`] does a Rust one.
pub fn run_c(name: &str, config: VmConfig, args: &[&str]) -> Outcome {
    let path = capsa_test_programs::C_ALL
        .iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("no C guest named {name}"))
        .1;
    let wasm = std::fs::read(path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
    let mut argv = vec![name.to_string()];
    argv.extend(args.iter().map(|a| a.to_string()));
    runtime()
        .vm(config)
        .unwrap_or_else(|e| panic!("booting a VM for {name}: {e}"))
        .run(&wasm, &argv)
        .unwrap_or_else(|e| panic!("running {name}: {e}"))
}

/// Like [`run`], also returning how long the run took.
pub fn run_timed(name: &str, config: VmConfig, args: &[&str]) -> (Outcome, Duration) {
    let start = Instant::now();
    let outcome = run(name, config, args);
    (outcome, start.elapsed())
}

/// Both captured streams, for assertion messages.
pub fn describe(outcome: &Outcome) -> String {
    format!(
        "status: {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        outcome.status,
        tail(&outcome.stdout_str()),
        tail(&outcome.stderr_str())
    )
}

/// The last 4 KiB of a capture (a flood would drown the message).
fn tail(text: &str) -> &str {
    let mut start = text.len().saturating_sub(4096);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}

/// Asserts the guest exited 0 and its last stdout line is `ok`.
#[track_caller]
pub fn assert_ok(outcome: &Outcome) {
    assert_eq!(outcome.status, ExitStatus::Exited(0), "{}", describe(outcome));
    assert_eq!(outcome.stdout_str().lines().last(), Some("ok"), "the guest did not finish: {}", describe(outcome));
}

/// Runs `name` and asserts it succeeded; returns its outcome.
#[track_caller]
pub fn run_ok(name: &str, config: VmConfig, args: &[&str]) -> Outcome {
    let outcome = run(name, config, args);
    assert_ok(&outcome);
    outcome
}

/// Runs a program that takes its work directory as argv[1] twice: once in a
/// fresh host directory granted at `/scratch` (the host-mount code path), once
/// in the VM's own `/tmp`. `tweak` adjusts both configurations. The programs
/// clean up after themselves, so the host directory must be empty afterwards:
/// that checks their removals reached the host.
#[track_caller]
pub fn run_in_both(name: &str, tweak: impl Fn(&mut VmConfig)) {
    let scratch = tempfile::tempdir().expect("tempdir");
    let mut mounted = config();
    grant(&mut mounted, scratch.path(), "/scratch", false);
    tweak(&mut mounted);
    let outcome = run(name, mounted, &["/scratch"]);
    assert!(
        outcome.status == ExitStatus::Exited(0) && outcome.stdout_str().lines().last() == Some("ok"),
        "{name} in /scratch (host mount): {}",
        describe(&outcome)
    );
    let left: Vec<PathBuf> =
        std::fs::read_dir(scratch.path()).expect("read scratch").map(|e| e.expect("entry").path()).collect();
    assert!(left.is_empty(), "{name} left files on the host: {left:?}");

    let mut own = config();
    tweak(&mut own);
    let outcome = run(name, own, &["/tmp"]);
    assert!(
        outcome.status == ExitStatus::Exited(0) && outcome.stdout_str().lines().last() == Some("ok"),
        "{name} in /tmp (VM filesystem): {}",
        describe(&outcome)
    );
}

/// The text a guest printed between `---<marker>---` and `---end---`.
pub fn section(outcome: &Outcome, marker: &str) -> String {
    let stdout = outcome.stdout_str();
    let start_tag = format!("---{marker}---\n");
    let start =
        stdout.find(&start_tag).unwrap_or_else(|| panic!("no {start_tag:?} in the output: {}", describe(outcome)))
            + start_tag.len();
    let end = stdout[start..].find("\n---end---").unwrap_or_else(|| panic!("no end marker: {}", describe(outcome)));
    stdout[start..start + end].to_string()
}

/// A number the guest printed as `<label>: <n>` on a line of its own.
pub fn printed_number(outcome: &Outcome, label: &str) -> u64 {
    let prefix = format!("{label}: ");
    outcome
        .stdout_str()
        .lines()
        .find_map(|l| l.strip_prefix(&prefix).map(str::to_string))
        .unwrap_or_else(|| panic!("no {prefix:?} line: {}", describe(outcome)))
        .split_whitespace()
        .next()
        .expect("a number")
        .parse()
        .unwrap_or_else(|e| panic!("bad {label}: {e}"))
}

/// One entry of a [`snapshot`]: relative path, modification time, and the
/// contents of a file (the target of a symlink, `None` for a directory).
pub type SnapshotEntry = (PathBuf, SystemTime, Option<Vec<u8>>);

/// Every file, directory and symlink under `dir` with its mtime and contents,
/// sorted: a snapshot to check that a guest changed nothing there.
pub fn snapshot(dir: &Path) -> Vec<SnapshotEntry> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read_dir") {
            let path = entry.expect("entry").path();
            let meta = std::fs::symlink_metadata(&path).expect("metadata");
            let rel = path.strip_prefix(dir).expect("prefix").to_path_buf();
            let mtime = meta.modified().expect("mtime");
            if meta.is_dir() {
                stack.push(path);
                out.push((rel, mtime, None));
            } else if meta.file_type().is_symlink() {
                let target = std::fs::read_link(&path).expect("read_link");
                out.push((rel, mtime, Some(target.into_os_string().into_encoded_bytes())));
            } else {
                out.push((rel, mtime, Some(std::fs::read(&path).expect("read"))));
            }
        }
    }
    out.sort();
    out
}
