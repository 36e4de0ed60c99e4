//! Shared setup of the suite's tests: one [`Runtime`] per test binary (its
//! compiled-module cache under cargo's target tmp dir, shared with the other
//! crates' tests, so each module compiles once), a fresh VM per run with the
//! suite's layer and captured stdio, and native runs of the same command for
//! differential tests.
//!
//! Every invocation is written `&["command", args…]`, so that
//! `layer::every_command_is_tested` can find which commands the tests run.

#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use capsa_runtime::{DirGrant, ExitStatus, Input, Outcome, Output, Runtime, RuntimeOptions, VmConfig};

/// The runtime shared by every test of this binary.
pub fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        let cache_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("capsa-module-cache");
        Runtime::new(RuntimeOptions { cache_dir: Some(cache_dir), ..RuntimeOptions::default() })
            .expect("creating the runtime")
    })
}

/// A VM configuration with the suite's layer, captured stdout and stderr,
/// `LC_ALL=C` and `PATH`, and the clock and entropy grants: without them, Rust's std
/// panics in any guest that reads the time (`SystemTime::now`: uutils `touch`,
/// `date`, `dd`, `mktemp`) or builds a `HashMap` (its random keys: the
/// `regex` crate, `shuf`) — see the suite's notes on the host side.
pub fn config() -> VmConfig {
    let mut config = VmConfig::default();
    config.layers.push(capsa_suite::layer().expect("the suite's layer"));
    config.grants.vm_fs = true;
    config.grants.stdout = Output::Capture;
    config.grants.stderr = Output::Capture;
    config.grants.clock = true;
    config.grants.random = true;
    config.grants.env = vec![("LC_ALL".into(), "C".into()), ("PATH".into(), "/usr/bin:/bin".into())];
    config.limits.wall = Duration::from_secs(60);
    config
}

/// Compiling a module the first time takes a while (the coreutils module is
/// 10 MB); the first test to need one compiles it while the others wait,
/// instead of every test thread compiling it at once.
fn warm(module: &'static capsa_suite::ModuleInfo) {
    static WARM: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());
    let mut warm = WARM.lock().unwrap_or_else(|p| p.into_inner());
    if warm.contains(&module.name) {
        return;
    }
    let mut config = VmConfig::default();
    config.limits.wall = Duration::from_secs(600);
    let _ = runtime().vm(config).expect("booting a VM").run(module.bytes, &["true".into()]);
    warm.push(module.name);
}

/// Runs `argv` (argv[0] = a command of the suite) as the top process of a
/// fresh VM configured by `config`.
pub fn run_in(config: VmConfig, argv: &[&str]) -> Outcome {
    let name = argv[0].rsplit('/').next().unwrap_or(argv[0]);
    let module = capsa_suite::command_module(name).unwrap_or_else(|| panic!("{} is not in the suite", argv[0]));
    warm(module);
    let args: Vec<String> = argv.iter().map(|a| a.to_string()).collect();
    runtime()
        .vm(config)
        .unwrap_or_else(|e| panic!("booting a VM for {}: {e}", argv[0]))
        .run(module.bytes, &args)
        .unwrap_or_else(|e| panic!("running {}: {e}", argv[0]))
}

/// Runs module `module` (by name) with `argv` in a fresh VM.
pub fn run_module(config: VmConfig, module: &str, argv: &[&str]) -> Outcome {
    let module = capsa_suite::module(module).unwrap_or_else(|| panic!("no module {module}"));
    warm(module);
    let args: Vec<String> = argv.iter().map(|a| a.to_string()).collect();
    runtime().vm(config).expect("booting a VM").run(module.bytes, &args).expect("running the module")
}

/// Runs `argv` in a fresh VM with [`config`].
pub fn run(argv: &[&str]) -> Outcome {
    run_in(config(), argv)
}

/// Runs `argv` with `stdin` as its standard input.
pub fn run_stdin(argv: &[&str], stdin: &str) -> Outcome {
    let mut config = config();
    config.grants.stdin = Input::Bytes(stdin.as_bytes().to_vec());
    run_in(config, argv)
}

/// Both captured streams, for assertion messages.
pub fn describe(outcome: &Outcome) -> String {
    format!(
        "status: {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        outcome.status,
        outcome.stdout_str(),
        outcome.stderr_str()
    )
}

/// Asserts exit status 0 and returns stdout.
#[track_caller]
pub fn ok(outcome: &Outcome) -> String {
    assert_eq!(outcome.status, ExitStatus::Exited(0), "{}", describe(outcome));
    outcome.stdout_str()
}

/// Runs `argv` and asserts it succeeds with exactly `expected` on stdout.
#[track_caller]
pub fn expect(argv: &[&str], expected: &str) {
    let outcome = run(argv);
    assert_eq!(ok(&outcome), expected, "{argv:?}\n{}", describe(&outcome));
}

/// Runs `argv` on `stdin` and asserts it succeeds with exactly `expected`.
#[track_caller]
pub fn expect_stdin(argv: &[&str], stdin: &str, expected: &str) {
    let outcome = run_stdin(argv, stdin);
    assert_eq!(ok(&outcome), expected, "{argv:?}\n{}", describe(&outcome));
}

/// The exit code of an outcome (134 for a trap, as capsa reports it).
pub fn code(outcome: &Outcome) -> i32 {
    outcome.status.code()
}

/// A host directory of fixture files for differential tests, mounted in the
/// VM at `/work`, which is also the working directory of both runs.
pub struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    /// A fixture with `files` (`(relative path, contents)`).
    pub fn new(files: &[(&str, &str)]) -> Fixture {
        let dir = tempfile::tempdir().expect("temp dir");
        for (path, contents) in files {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(&path, contents).expect("write fixture");
        }
        Fixture { dir }
    }

    /// The host path.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A VM configuration with the fixture at `/work` (read-write) and
    /// `PWD=/work`, so relative paths mean the same in both runs.
    pub fn config(&self) -> VmConfig {
        let mut config = config();
        config.grants.dirs.push(DirGrant { host: self.path().to_path_buf(), guest: "/work".into(), read_only: false });
        config.grants.env.push(("PWD".into(), "/work".into()));
        config
    }

    /// Runs `argv` in a VM with the fixture.
    pub fn run(&self, argv: &[&str], stdin: &str) -> Outcome {
        let mut config = self.config();
        config.grants.stdin = Input::Bytes(stdin.as_bytes().to_vec());
        run_in(config, argv)
    }

    /// Runs `argv` natively (the host's GNU tools) in the fixture directory
    /// with `LC_ALL=C` and nothing else in the environment but `PATH`;
    /// returns (stdout, exit code).
    pub fn native(&self, argv: &[&str], stdin: &str) -> (String, i32) {
        native_in(self.path(), argv, stdin)
    }

    /// Runs `argv` both ways and asserts equal stdout and exit status;
    /// returns the stdout.
    #[track_caller]
    pub fn differential(&self, argv: &[&str], stdin: &str) -> String {
        let outcome = self.run(argv, stdin);
        let (native_out, native_code) = self.native(argv, stdin);
        assert_eq!(
            (outcome.stdout_str(), code(&outcome)),
            (native_out, native_code),
            "{argv:?} differs from the native command (left: capsa, right: native)\n{}",
            describe(&outcome)
        );
        outcome.stdout_str()
    }
}

/// Runs a native command in `dir`; (stdout, exit code).
pub fn native_in(dir: &Path, argv: &[&str], stdin: &str) -> (String, i32) {
    use std::io::Write;
    let mut child = std::process::Command::new(argv[0])
        .args(&argv[1..])
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("LC_ALL", "C")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("running native {}: {e}", argv[0]));
    let mut input = child.stdin.take().expect("stdin");
    let data = stdin.as_bytes().to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let output = child.wait_with_output().expect("native output");
    let _ = writer.join();
    (String::from_utf8_lossy(&output.stdout).into_owned(), output.status.code().unwrap_or(128))
}

/// Whether the host has `program` (differential tests skip a comparison,
/// loudly, when the reference tool is missing).
pub fn have_native(program: &str) -> bool {
    std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
        .unwrap_or(false)
}

/// `path` inside the fixture.
pub fn join(fixture: &Fixture, path: &str) -> PathBuf {
    fixture.path().join(path)
}
