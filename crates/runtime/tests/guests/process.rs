//! The process suite: guests that use `wasi-ext` (`host_process`,
//! `host_user`) to spawn, wait for and signal processes, connect them with
//! pipes, and look up users. One test per guest program of the `proc_*`
//! (except the preview1 `proc_exit` and `proc_raise`, tested in
//! `preview1.rs`), `pipe_*` and `user_*` areas and per C guest (`guest/c`),
//! each in a fresh VM with captured stdio.
//!
//! The programs a guest spawns must exist inside the VM: each test copies the
//! ones it needs into a host temp dir (executable) granted read-only at `/t`,
//! and puts `PATH=/t` in the environment.
//!
//! A guest program without a test here is a build error (see the end of the
//! file).

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use crate::common::{assert_ok, config, describe, grant, printed_number, program, run, run_c, run_ok, run_timed};
use capsa_runtime::{ExitStatus, VmConfig};

/// `/t` for the guests: a temp dir holding `proc_child` (0755).
struct Programs {
    dir: tempfile::TempDir,
}

impl Programs {
    fn new() -> Programs {
        let programs = Programs { dir: tempfile::tempdir().expect("tempdir") };
        programs.install("proc_child", &std::fs::read(program("proc_child")).expect("reading proc_child.wasm"), 0o755);
        programs
    }

    /// Writes `/t/<name>` with these bytes and mode.
    fn install(&self, name: &str, bytes: &[u8], mode: u32) {
        let path = self.dir.path().join(name);
        std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// [`config`] plus `/t` (read-only) and `PATH=/t`.
    fn config(&self) -> VmConfig {
        let mut config = config();
        grant(&mut config, self.path(), "/t", true);
        config.grants.env.push(("PATH".to_string(), "/t".to_string()));
        config
    }
}

/// Tests of programs that need only `/t` and `PATH`.
macro_rules! with_programs {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                let programs = Programs::new();
                run_ok(stringify!($name), programs.config(), &[]);
            }
        )*
    };
}

// ---------------------------------------------------------------- proc

#[test]
fn proc_child() {
    let outcome = run("proc_child", config(), &["exit", "3"]);
    assert_eq!(outcome.status, ExitStatus::Exited(3), "{}", describe(&outcome));
    let outcome = run("proc_child", config(), &["echo", "a", "b c"]);
    assert_eq!((outcome.status.clone(), outcome.stdout_str()), (ExitStatus::Exited(0), "a b c\n".to_string()));
    let outcome = run("proc_child", config(), &["produce", "2"]);
    assert_eq!((outcome.stdout_str(), outcome.stderr_str()), ("line 0\nline 1\n".into(), "produced 2\n".into()));
    let outcome = run("proc_child", config(), &["trap"]);
    assert!(matches!(outcome.status, ExitStatus::Trapped(_)), "{}", describe(&outcome));
    // The first process has no PWD: it stays at `/`.
    let outcome = run("proc_child", config(), &["pwd"]);
    assert_eq!(outcome.stdout_str(), "/\n", "{}", describe(&outcome));
}

#[test]
fn proc_spawn_wait() {
    let programs = Programs::new();
    let scratch = tempfile::tempdir().unwrap();
    let mut config = programs.config();
    grant(&mut config, scratch.path(), "/scratch", false);
    config.grants.env.push(("CAPSA_INHERITED".to_string(), "yes".to_string()));
    run_ok("proc_spawn_wait", config, &[]);
    assert_eq!(std::fs::read_dir(scratch.path()).unwrap().count(), 0, "the guest left files behind");
}

#[test]
fn proc_spawn_path() {
    let programs = Programs::new();
    let wasm = std::fs::read(program("proc_child")).unwrap();
    programs.install("noexec", &wasm, 0o644);
    programs.install("text", b"just text\n", 0o755);
    programs.install("script", b"#!/t/proc_child echo\nignored by proc_child\n", 0o755);
    programs.install("badscript", b"#!/t/missing\n", 0o755);
    std::fs::create_dir(programs.path().join("dir")).unwrap();
    run_ok("proc_spawn_path", programs.config(), &[]);
}

#[test]
fn proc_kill() {
    let programs = Programs::new();
    let mut config = programs.config();
    config.grants.clock = true;
    let (outcome, took) = run_timed("proc_kill", config, &[]);
    assert_ok(&outcome);
    // Without working kills the spinner and the sleeper would hold it to the
    // 20 s wall clock.
    assert!(took < Duration::from_secs(10), "killing took {took:?}");
}

with_programs!(proc_wait, proc_getppid, proc_pgroup);

#[test]
fn proc_fork_bomb() {
    let programs = Programs::new();
    let mut config = programs.config();
    config.limits.processes = 8;
    let (outcome, took) = run_timed("proc_fork_bomb", config, &["8"]);
    assert_ok(&outcome);
    assert_eq!(printed_number(&outcome, "sleepers"), 7);
    assert!(took < Duration::from_secs(15), "the bomb took {took:?}");
}

// ---------------------------------------------------------------- pipe

#[test]
fn pipe_basic() {
    run_ok("pipe_basic", config(), &[]);
}

with_programs!(pipe_pipeline, pipe_eof, pipe_sigpipe);

#[test]
fn pipe_bulk() {
    let programs = Programs::new();
    let bytes = 100u64 << 20;
    let (outcome, took) = run_timed("pipe_bulk", programs.config(), &[&bytes.to_string()]);
    assert_ok(&outcome);
    assert_eq!(printed_number(&outcome, "transferred"), bytes);
    eprintln!("pipe_bulk: {} MiB in {took:?}", bytes >> 20);
}

// ---------------------------------------------------------------- user

#[test]
fn user_ids() {
    let programs = Programs::new();
    let outcome = run_ok("user_ids", programs.config(), &["1000"]);
    assert_eq!(printed_number(&outcome, "uid"), 1000);
    let mut as_root = programs.config();
    as_root.root = true;
    let outcome = run_ok("user_ids", as_root, &["0"]);
    assert_eq!(printed_number(&outcome, "uid"), 0);
}

#[test]
fn user_perms() {
    run_ok("user_perms", config(), &[]);
    let mut as_root = config();
    as_root.root = true;
    run_ok("user_perms", as_root, &["root"]);
}

#[test]
fn user_isatty() {
    run_ok("user_isatty", config(), &[]);
}

// ---------------------------------------------------------------- C

#[test]
fn proc_c() {
    let programs = Programs::new();
    programs.install("noexec", &std::fs::read(program("proc_child")).unwrap(), 0o644);
    programs.install("proc_c", &std::fs::read(capsa_test_programs::C_PROC_C).unwrap(), 0o755);
    let outcome = run_c("proc_c", programs.config(), &[]);
    assert_ok(&outcome);
    assert!(
        outcome.stdout_str().contains("pipeline: lines=6 first=line 0 last=produced 5\n"),
        "{}",
        describe(&outcome)
    );
    assert!(outcome.stdout_str().contains("user: user uid=1000\n"), "{}", describe(&outcome));
}

// ---------------------------------------------------------------- completeness

/// The guest programs this suite tests (checked in `main.rs`). `proc_exit` and
/// `proc_raise` test preview1 functions and belong to `preview1.rs`.
pub(crate) mod claimed {
    macro_rules! claim_process {
        (proc_exit) => {};
        (proc_raise) => {};
        ($name:ident) => {
            claim!($name);
        };
    }
    capsa_test_programs::foreach_proc!(claim_process);
    capsa_test_programs::foreach_pipe!(claim_process);
    capsa_test_programs::foreach_user!(claim_process);
    capsa_test_programs::foreach_c_proc!(claim_process);
}
