//! The WASI preview1 suite: one test per guest program of
//! `guest/test-programs` (see `capsa_test_programs`), each in a fresh VM with
//! captured stdio. The guests assert results and errnos themselves and print
//! `ok`; these tests set up grants and limits, check how each guest ended, and
//! check on the host what the guest did (or could not do) to granted dirs.
//!
//! A guest program of the areas this suite owns without a test here is a build
//! error (see the end of the file).

use std::os::unix::fs::symlink;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::common::{
    assert_ok, config, describe, grant, printed_number, run, run_in_both, run_ok, run_timed, section, snapshot,
};
use capsa_runtime::{ExitStatus, Input, Limit, Limits};

/// Tests of programs that take a work directory and run in both `/scratch` (a
/// host mount) and `/tmp` (the VM's filesystem), with no other grant.
macro_rules! in_both {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                run_in_both(stringify!($name), |_| {});
            }
        )*
    };
}

/// Tests of programs that need no grant and no host-side check.
macro_rules! plain {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                run_ok(stringify!($name), config(), &[]);
            }
        )*
    };
}

// ---------------------------------------------------------------- args, env

#[test]
fn args_exact() {
    let args = ["one", "two words", "", "ünïcödé", "--flag=x y"];
    run_ok("args_exact", config(), &args);
}

#[test]
fn environ_exact() {
    let mut config = config();
    config.grants.env = [("CAPSA_ONE", "1"), ("EMPTY", ""), ("WITH_EQ", "a=b"), ("UNI", "ü")]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    run_ok("environ_exact", config, &[]);
}

plain!(environ_empty);

// ---------------------------------------------------------------- clock, random

#[test]
fn clock_granted() {
    let mut config = config();
    config.grants.clock = true;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    run_ok("clock_granted", config, &[&now.to_string()]);
}

plain!(clock_denied);

#[test]
fn random_granted() {
    let mut config = config();
    config.grants.random = true;
    run_ok("random_granted", config, &[]);
}

plain!(random_denied);

// ---------------------------------------------------------------- fd_*

in_both!(
    fd_advise,
    fd_allocate,
    fd_close,
    fd_dir_ops,
    fd_fdstat,
    fd_pread_pwrite,
    fd_read_write,
    fd_readdir,
    fd_renumber,
    fd_rights,
    fd_seek_tell,
    fd_sync,
);

#[test]
fn fd_vectored_errors() {
    let mut config = config();
    config.limits.disk_bytes = 100 << 10;
    run_ok("fd_vectored_errors", config, &[]);
}

#[test]
fn fd_filestat() {
    run_in_both("fd_filestat", |c| c.grants.clock = true);
}

#[test]
fn fd_prestat() {
    let scratch = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let mut config = config();
    grant(&mut config, scratch.path(), "/scratch", false);
    grant(&mut config, data.path(), "/data", true);
    run_ok("fd_prestat", config, &[]);
}

#[test]
fn fd_stdio() {
    let outcome = run_ok("fd_stdio", config(), &[]);
    assert_eq!(outcome.stdout_str(), "stdin=\nraw stdout\nok\n", "default stdin is empty");
    assert_eq!(outcome.stderr_str(), "raw stderr\nstd stderr\n");

    let mut with_input = config();
    with_input.grants.stdin = Input::Bytes(b"hello\nworld".to_vec());
    let outcome = run_ok("fd_stdio", with_input, &[]);
    assert_eq!(outcome.stdout_str(), "stdin=hello\nworld\nraw stdout\nok\n");
}

// ---------------------------------------------------------------- path_*

in_both!(
    path_create_directory,
    path_interesting,
    path_link,
    path_nofollow,
    path_open_oflags,
    path_remove_directory,
    path_rename,
    path_symlink,
    path_symlink_loop,
    path_trailing_slashes,
    path_unlink_file,
);

#[test]
fn path_filestat() {
    run_in_both("path_filestat", |c| c.grants.clock = true);
}

// ---------------------------------------------------------------- poll, proc, sched, sock

#[test]
fn poll_clock() {
    // No clock grant: sleeping must work without it.
    let (outcome, took) = run_timed("poll_clock", config(), &[]);
    assert_ok(&outcome);
    assert!(took >= Duration::from_millis(150), "the guest slept only {took:?} in all");
}

in_both!(poll_fd, sock_notsock);

#[test]
fn poll_mixed() {
    let start = std::time::Instant::now();
    run_in_both("poll_mixed", |_| {});
    let took = start.elapsed();
    assert!(took < Duration::from_secs(20), "ready fds did not cut the 30 s timer short: {took:?}");
}

#[test]
fn proc_exit() {
    let outcome = run("proc_exit", config(), &[]);
    assert_eq!(outcome.status, ExitStatus::Exited(3), "{}", describe(&outcome));
    assert_eq!(outcome.status.code(), 3);
    assert_eq!(outcome.stdout_str(), "before exit\n");
}

plain!(proc_raise, sched_yield);

// ---------------------------------------------------------------- grants

#[test]
fn grant_rw_dir() {
    let host = tempfile::tempdir().unwrap();
    let dir = host.path();
    std::fs::write(dir.join("hello.txt"), "hello from the host\n").unwrap();
    std::fs::create_dir(dir.join("sub")).unwrap();
    std::fs::write(dir.join("sub/nested.txt"), "nested\n").unwrap();
    std::fs::write(dir.join("old.txt"), "old\n").unwrap();
    std::fs::write(dir.join("gone.txt"), "gone\n").unwrap();
    let mut config = config();
    grant(&mut config, dir, "/scratch", false);
    run_ok("grant_rw_dir", config, &[]);

    let read = |p: &str| std::fs::read_to_string(dir.join(p)).unwrap();
    assert_eq!(read("out.txt"), "written by the guest\n");
    assert_eq!(read("newdir/deep.txt"), "deep\n");
    assert_eq!(read("renamed.txt"), "old\n");
    assert_eq!(read("hello.txt"), "hello from the host\nand from the guest\n");
    assert!(!dir.join("old.txt").exists());
    assert!(!dir.join("gone.txt").exists());
    assert_eq!(read("sub/nested.txt"), "nested\n");
}

#[test]
fn grant_ro_dir() {
    let host = tempfile::tempdir().unwrap();
    let dir = host.path();
    std::fs::write(dir.join("data.txt"), "read only\n").unwrap();
    std::fs::write(dir.join("other.txt"), "other\n").unwrap();
    std::fs::create_dir(dir.join("d")).unwrap();
    let before = snapshot(dir);
    let mut config = config();
    grant(&mut config, dir, "/ro", true);
    run_ok("grant_ro_dir", config, &[]);
    assert_eq!(snapshot(dir), before, "the read-only dir changed on the host");
}

/// The host's `/etc/passwd`, if it has one, for comparison with the VM's.
fn host_passwd() -> Option<String> {
    std::fs::read_to_string("/etc/passwd").ok()
}

#[test]
fn grant_host_invisible() {
    let outcome = run_ok("grant_host_invisible", config(), &[]);
    for (marker, host_file) in [("passwd", "/etc/passwd"), ("hostname", "/etc/hostname")] {
        let vm = section(&outcome, marker);
        if let Ok(host) = std::fs::read_to_string(host_file) {
            assert_ne!(vm.trim(), host.trim(), "the VM's {host_file} is the host's");
        }
    }
}

#[test]
fn grant_vm_layout() {
    let mut config = config();
    config.grants.stdin = Input::Bytes(b"from host stdin".to_vec());
    let outcome = run_ok("grant_vm_layout", config, &[]);
    assert!(outcome.stdout_str().contains("via /dev/stdout\n"), "{}", describe(&outcome));
    assert!(outcome.stderr_str().contains("via /dev/stderr\n"), "{}", describe(&outcome));
}

/// A host layout with a secret next to the granted dir: `<tmp>/secret.txt` and
/// `<tmp>/mount/` (the grant). Returns the temp dir and the mount path.
fn dir_with_secret_sibling() -> (tempfile::TempDir, std::path::PathBuf) {
    let parent = tempfile::tempdir().unwrap();
    std::fs::write(parent.path().join("secret.txt"), "host secret\n").unwrap();
    let mount = parent.path().join("mount");
    std::fs::create_dir(&mount).unwrap();
    (parent, mount)
}

/// Checks that nothing outside the mount changed.
fn assert_outside_untouched(parent: &Path) {
    let mut names: Vec<String> =
        std::fs::read_dir(parent).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    assert_eq!(names, ["mount", "secret.txt"], "something was created next to the grant");
    assert_eq!(std::fs::read_to_string(parent.join("secret.txt")).unwrap(), "host secret\n");
}

#[test]
fn grant_symlink_escape() {
    let (parent, mount) = dir_with_secret_sibling();
    symlink("../../../../etc/passwd", mount.join("esc_rel")).unwrap();
    symlink("/etc/passwd", mount.join("esc_abs")).unwrap();
    symlink("..", mount.join("esc_up")).unwrap();
    symlink("../secret.txt", mount.join("esc_sibling")).unwrap();
    std::fs::create_dir(mount.join("sub")).unwrap();
    let before = snapshot(parent.path());
    let mut config = config();
    grant(&mut config, &mount, "/scratch", false);
    let outcome = run_ok("grant_symlink_escape", config, &[]);

    assert_outside_untouched(parent.path());
    assert_eq!(snapshot(parent.path()), before, "the guest changed something through an escaping link");
    let vm_passwd = section(&outcome, "passwd");
    if let Some(host) = host_passwd() {
        assert_ne!(vm_passwd.trim(), host.trim(), "a symlink reached the host's /etc/passwd");
    }
    assert!(!outcome.stdout_str().contains("host secret"));
}

#[test]
fn grant_dotdot_escape() {
    let (parent, mount) = dir_with_secret_sibling();
    std::fs::create_dir(mount.join("sub")).unwrap();
    std::fs::write(mount.join("sub/file"), "inside").unwrap();
    let before = snapshot(parent.path());
    let mut config = config();
    grant(&mut config, &mount, "/scratch", false);
    run_ok("grant_dotdot_escape", config, &[]);
    assert_outside_untouched(parent.path());
    assert_eq!(snapshot(parent.path()), before, "the guest changed something");
}

#[test]
fn grant_bad_fd() {
    let scratch = tempfile::tempdir().unwrap();
    let mut config = config();
    grant(&mut config, scratch.path(), "/scratch", false);
    run_ok("grant_bad_fd", config, &[]);
    assert_eq!(std::fs::read_dir(scratch.path()).unwrap().count(), 0);
}

#[test]
fn grant_close_preopen() {
    let scratch = tempfile::tempdir().unwrap();
    let mut config = config();
    grant(&mut config, scratch.path(), "/scratch", false);
    run_ok("grant_close_preopen", config, &[]);
    assert_eq!(std::fs::read_dir(scratch.path()).unwrap().count(), 0, "a closed preopen was written to");
}

#[test]
fn grant_no_preopens() {
    // Nothing granted: not even the VM's own filesystem.
    let mut config = capsa_runtime::VmConfig::default();
    config.grants.stdout = capsa_runtime::Output::Capture;
    config.grants.stderr = capsa_runtime::Output::Capture;
    run_ok("grant_no_preopens", config, &[]);
}

#[test]
fn grant_root_dir() {
    let host = tempfile::tempdir().unwrap();
    std::fs::write(host.path().join("hello.txt"), "hello from the host").unwrap();
    let mut config = config();
    config.grants.vm_fs = false;
    grant(&mut config, host.path(), "/", false);
    run_ok("grant_root_dir", config, &[]);
    assert_eq!(std::fs::read_to_string(host.path().join("made-inside.txt")).unwrap(), "made");
    assert!(!host.path().join("link").exists(), "a link to / was made on the host");
    // The VM's own filesystem cannot also be `/`.
    let mut both = crate::common::config();
    grant(&mut both, host.path(), "/", false);
    let err = crate::common::runtime().vm(both).expect_err("two roots").to_string();
    assert!(err.contains("cannot both be `/`"), "{err}");
}

#[test]
fn grant_cross_mount() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    std::fs::write(dir.join("host.txt"), "on the host\n").unwrap();
    let mut config = config();
    grant(&mut config, dir, "/scratch", false);
    run_ok("grant_cross_mount", config, &[]);
    assert_eq!(std::fs::read_to_string(dir.join("host.txt")).unwrap(), "on the host\n");
    assert_eq!(std::fs::read_to_string(dir.join("copied.txt")).unwrap(), "in the vm\n");
    assert!(!dir.join("vm.txt").exists() && !dir.join("link").exists());
}

// ---------------------------------------------------------------- limits

#[test]
fn limits_infinite_loop() {
    // The CPU-time budget ends it (the default bound of a spinning guest).
    let mut by_cpu = config();
    by_cpu.limits.cpu = Duration::from_millis(500);
    by_cpu.limits.wall = Duration::from_secs(20);
    let (outcome, took) = run_timed("limits_infinite_loop", by_cpu, &[]);
    assert_eq!(
        outcome.status,
        ExitStatus::Killed(Limit::CpuTime(Duration::from_millis(500))),
        "{}",
        describe(&outcome)
    );
    assert_eq!(outcome.status.reason().as_deref(), Some("capsa: killed: CPU-time limit 500ms"));
    assert!(outcome.cpu >= Duration::from_millis(500), "reported {:?}", outcome.cpu);
    assert!(took < Duration::from_secs(20), "the CPU budget did not stop it before the wall clock: {took:?}");

    // Fuel ends it, when asked for.
    let mut by_fuel = config();
    by_fuel.limits.fuel = Some(50_000_000);
    by_fuel.limits.wall = Duration::from_secs(10);
    let (outcome, took) = run_timed("limits_infinite_loop", by_fuel, &[]);
    assert!(matches!(outcome.status, ExitStatus::Killed(Limit::Fuel(_))), "{}", describe(&outcome));
    assert_eq!(outcome.stdout_str(), "spinning\n");
    assert!(took < Duration::from_secs(10), "fuel did not stop it before the wall clock: {took:?}");

    // The wall clock ends it when the CPU budget would last for ages.
    let mut by_wall = config();
    by_wall.limits.cpu = Duration::from_secs(3600);
    by_wall.limits.wall = Duration::from_secs(1);
    let (outcome, took) = run_timed("limits_infinite_loop", by_wall, &[]);
    assert!(matches!(outcome.status, ExitStatus::Killed(Limit::WallClock(_))), "{}", describe(&outcome));
    assert!(took < Duration::from_secs(5), "a 1 s wall clock took {took:?}");
    assert_eq!(outcome.status.code(), capsa_runtime::outcome::EXIT_KILLED);
}

#[test]
fn fuel_metering_is_deterministic() {
    let fuelled = || {
        let mut config = config();
        config.limits.fuel = Some(Limits::default().wall.as_secs() * 1_000_000_000);
        run_ok("steady_work", config, &[])
    };
    let (first, second) = (fuelled(), fuelled());
    let used = first.fuel_used.expect("fuel was metered");
    assert!(used > 1_000_000, "{used}");
    assert_eq!(second.fuel_used, Some(used), "two runs of one program used different fuel");
    assert_eq!(run_ok("steady_work", config(), &[]).fuel_used, None, "fuel is off by default");
}

#[test]
fn limits_cpu_spread() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config();
    let child = dir.path().join("proc_child");
    std::fs::copy(crate::common::program("proc_child"), &child).unwrap();
    std::fs::set_permissions(&child, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    grant(&mut config, dir.path(), "/t", true);
    config.grants.env.push(("PATH".into(), "/t".into()));
    config.limits.cpu = Duration::from_secs(2);
    config.limits.wall = Duration::from_secs(60);
    let outcome = run("limits_cpu_spread", config, &[]);
    assert_eq!(outcome.status, ExitStatus::Killed(Limit::CpuTime(Duration::from_secs(2))), "{}", describe(&outcome));
    assert_eq!(outcome.stdout_str(), "spawned\n");
    assert!(outcome.cpu >= Duration::from_secs(2), "the VM's CPU time: {:?}", outcome.cpu);
}

#[test]
fn limits_memory_grow() {
    let mut config = config();
    config.limits.memory = 256 << 20;
    let outcome = run_ok("limits_memory_grow", config, &[]);
    let mib = printed_number(&outcome, "memory");
    assert!((250..=256).contains(&mib), "the guest got {mib} MiB under a 256 MiB limit");
}

#[test]
fn limits_stdout_flood() {
    let cap = 1 << 20;
    let mut config = config();
    config.limits.stdout_bytes = cap;
    let (outcome, took) = run_timed("limits_stdout_flood", config, &[]);
    assert_eq!(outcome.status, ExitStatus::Killed(Limit::Stdout(cap)), "{}", describe(&outcome));
    let got = outcome.stdout.len() as u64;
    assert!(got <= cap, "{got} bytes captured past a {cap}-byte cap");
    assert!(got >= cap - (64 << 10), "only {got} bytes captured before the kill");
    assert!(outcome.stdout.iter().all(|&b| b == b'y'));
    assert!(took < Duration::from_secs(10), "the flood ran for {took:?}");
}

#[test]
fn limits_deep_recursion() {
    let (outcome, took) = run_timed("limits_deep_recursion", config(), &[]);
    match &outcome.status {
        ExitStatus::Trapped(msg) => {
            assert!(msg.to_lowercase().contains("stack"), "trap is not a stack overflow: {msg}")
        }
        _ => panic!("expected a stack-overflow trap: {}", describe(&outcome)),
    }
    assert_eq!(outcome.stdout_str(), "recursing\n");
    assert_eq!(outcome.status.code(), capsa_runtime::outcome::EXIT_TRAP);
    assert!(took < Duration::from_secs(10), "took {took:?}");
}

#[test]
fn limits_disk_fill() {
    let quota = 4 << 20;
    let mut config = config();
    config.limits.disk_bytes = quota;
    let outcome = run_ok("limits_disk_fill", config, &[]);
    let filled = printed_number(&outcome, "filled");
    assert!(filled <= quota, "wrote {filled} bytes under a {quota}-byte quota");
    assert!(filled >= quota - (1 << 20), "only {filled} bytes fit in a {quota}-byte quota");
}

#[test]
fn limits_inode_fill() {
    let quota = 200;
    let mut config = config();
    config.limits.disk_inodes = quota;
    let outcome = run_ok("limits_inode_fill", config, &[]);
    let files = printed_number(&outcome, "files");
    assert!(files <= quota, "created {files} files under a {quota}-inode quota");
    assert!(files >= quota / 2, "only {files} files fit in a {quota}-inode quota");
}

#[test]
fn limits_fd_table() {
    let limit = 32;
    let mut config = config();
    config.limits.fds = limit;
    let outcome = run_ok("limits_fd_table", config, &[]);
    let fds = printed_number(&outcome, "fds");
    // stdio and the root preopen take 4 of the 32.
    assert!(fds <= limit as u64 - 4, "opened {fds} fds under a limit of {limit}");
    assert!(fds >= limit as u64 - 8, "only {fds} fds under a limit of {limit}");
}

// ---------------------------------------------------------------- completeness

/// The guest programs this suite tests (checked in `main.rs`).
pub(crate) mod claimed {
    capsa_test_programs::foreach_args!(claim);
    capsa_test_programs::foreach_environ!(claim);
    capsa_test_programs::foreach_clock!(claim);
    capsa_test_programs::foreach_random!(claim);
    capsa_test_programs::foreach_fd!(claim);
    capsa_test_programs::foreach_path!(claim);
    capsa_test_programs::foreach_poll!(claim);
    // The `proc` area is shared with the process suite (`proc_spawn_*`, …), so
    // this suite names its own two.
    claim!(proc_exit);
    claim!(proc_raise);
    capsa_test_programs::foreach_sched!(claim);
    capsa_test_programs::foreach_sock!(claim);
    capsa_test_programs::foreach_grant!(claim);
    capsa_test_programs::foreach_limits!(claim);
}
