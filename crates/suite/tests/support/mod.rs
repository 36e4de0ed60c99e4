//! What the tests of the mode and owner commands (`modes.rs`, `ls.rs`) add
//! to `common`: one VM for several commands in a row (files persist between
//! them), native runs that also return stderr and run in UTC, and host
//! files with fixed modes and times.
//!
//! Invocations are written `&["command", args…]`, as `common` asks.

#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, SystemTime};

use capsa_runtime::{Outcome, Vm, VmConfig};

use crate::common;

/// One VM in which commands run one after another, each as a new top-level
/// process.
pub struct Machine {
    vm: Vm,
}

impl Machine {
    /// Boots a VM with `config` (start from `common::config()`).
    pub fn new(config: VmConfig) -> Machine {
        Machine { vm: common::runtime().vm(config).expect("booting a VM") }
    }

    /// A VM as the default user (uid 1000), or as root.
    pub fn user(root: bool) -> Machine {
        let mut config = common::config();
        config.root = root;
        Machine::new(config)
    }

    /// Runs `argv` (argv[0] a command of the suite).
    pub fn run(&self, argv: &[&str]) -> Outcome {
        let module = capsa_suite::command_module(argv[0]).unwrap_or_else(|| panic!("{} is not in the suite", argv[0]));
        let args: Vec<String> = argv.iter().map(|a| a.to_string()).collect();
        self.vm.run(module.bytes, &args).unwrap_or_else(|e| panic!("running {argv:?}: {e}"))
    }

    /// Runs `argv`, asserts it succeeds, returns stdout.
    #[track_caller]
    pub fn ok(&self, argv: &[&str]) -> String {
        let outcome = self.run(argv);
        assert_eq!(common::code(&outcome), 0, "{argv:?}\n{}", common::describe(&outcome));
        outcome.stdout_str()
    }

    /// Runs `argv` and asserts its exit status, stdout and stderr.
    #[track_caller]
    pub fn expect(&self, argv: &[&str], code: i32, stdout: &str, stderr: &str) {
        let outcome = self.run(argv);
        assert_eq!(
            (common::code(&outcome), outcome.stdout_str().as_str(), outcome.stderr_str().as_str()),
            (code, stdout, stderr),
            "{argv:?}"
        );
    }
}

/// What a native command did.
#[derive(Debug, PartialEq, Eq)]
pub struct Native {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `argv` natively in `dir` with only `PATH`, `LC_ALL=C` and `TZ=UTC`
/// in the environment (the VM has no time zone: its times are UTC) and
/// umask 022 (the VM's).
pub fn native(dir: &Path, argv: &[&str]) -> Native {
    let script = "umask 022; exec \"$@\"";
    let output = std::process::Command::new("sh")
        .args(["-c", script, "sh"])
        .args(argv)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("LC_ALL", "C")
        .env("TZ", "UTC")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("running native {argv:?}: {e}"));
    Native {
        code: output.status.code().unwrap_or(128),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// What a run in capsa did, in the same shape.
pub fn capsa(outcome: &Outcome) -> Native {
    Native { code: common::code(outcome), stdout: outcome.stdout_str(), stderr: outcome.stderr_str() }
}

/// Sets a host file's permission bits.
pub fn set_mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("chmod {}: {e}", path.display()));
}

/// A host file's permission bits.
pub fn mode_of(path: &Path) -> u32 {
    use std::os::unix::fs::MetadataExt;
    std::fs::symlink_metadata(path).unwrap_or_else(|e| panic!("stat {}: {e}", path.display())).mode() & 0o7777
}

/// Sets a host file's (or directory's) access and modification times to
/// `secs` seconds after the epoch plus `nanos`.
pub fn set_times(path: &Path, secs: u64, nanos: u32) {
    let when = SystemTime::UNIX_EPOCH + Duration::new(secs, nanos);
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    file.set_times(std::fs::FileTimes::new().set_accessed(when).set_modified(when))
        .unwrap_or_else(|e| panic!("set times of {}: {e}", path.display()));
}

/// Seconds since the epoch, now.
pub fn now_secs() -> u64 {
    SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).expect("clock").as_secs()
}
