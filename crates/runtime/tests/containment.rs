//! The containment suite: each hostile guest runs in one VM while a second VM
//! runs a steady, deterministic workload beside it. The hostile guest must be
//! stopped or refused with its documented status, capsa must not panic, and
//! the steady VM must finish with the right answer.
//!
//! A `hostile_*` or `steady_*` guest program without a test here is a build error (see the
//! end of the file).

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use capsa_runtime::{ExitStatus, Limit, Limits, Outcome, VmConfig};
use common::{assert_ok, config, describe, grant, printed_number, program, run, run_c, run_timed, snapshot};

/// What `steady_work` must print: the same checksum computed natively.
fn steady_checksum() -> u64 {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut sum: u64 = 0;
    for i in 0..5_000_000u64 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        sum = sum.wrapping_add(state ^ i);
    }
    sum
}

/// Runs `hostile` (with its config and args) while `steady_work` runs in
/// another VM; checks the steady VM's answer and returns the hostile outcome
/// and how long it took.
fn beside_steady(hostile: &str, config: VmConfig, args: &[&str]) -> (Outcome, Duration) {
    let steady = std::thread::spawn(|| run("steady_work", common::config(), &[]));
    let result = run_timed(hostile, config, args);
    let steady = steady.join().expect("the steady VM's thread");
    assert_ok(&steady);
    assert_eq!(
        steady.stdout_str(),
        format!("checksum {}\nok\n", steady_checksum()),
        "the steady VM was disturbed by {hostile}"
    );
    result
}

/// A VM config with `/t` holding the given test programs (0755) and `PATH=/t`.
fn with_programs(dir: &Path, names: &[&str]) -> VmConfig {
    for name in names {
        let path = dir.join(name);
        std::fs::copy(program(name), &path).expect("copying a test program");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let mut config = config();
    grant(&mut config, dir, "/t", true);
    config.grants.env.push(("PATH".into(), "/t".into()));
    config
}

#[test]
fn steady_work() {
    let outcome = run("steady_work", config(), &[]);
    assert_ok(&outcome);
    assert_eq!(outcome.stdout_str(), format!("checksum {}\nok\n", steady_checksum()));
}

#[test]
fn hostile_sleep_forever() {
    let mut config = config();
    config.limits.wall = Duration::from_secs(1);
    let (outcome, took) = beside_steady("hostile_sleep_forever", config, &[]);
    assert_eq!(outcome.status, ExitStatus::Killed(Limit::WallClock(Duration::from_secs(1))), "{}", describe(&outcome));
    assert_eq!(outcome.stdout_str(), "sleeping\n");
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

#[test]
fn hostile_pipe_unread() {
    let mut config = config();
    config.limits.wall = Duration::from_secs(1);
    let (outcome, took) = beside_steady("hostile_pipe_unread", config, &[]);
    assert_eq!(outcome.status, ExitStatus::Killed(Limit::WallClock(Duration::from_secs(1))), "{}", describe(&outcome));
    // The pipe holds at most 64 KiB: the writer got no further than that.
    assert_eq!(outcome.stdout_str(), "written 65536\n", "{}", describe(&outcome));
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

#[test]
fn hostile_argv_flood() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = with_programs(dir.path(), &[]);
    let (outcome, _) = beside_steady("hostile_argv_flood", config, &[]);
    assert_ok(&outcome);
}

#[test]
fn hostile_symlink_swap() {
    let programs = tempfile::tempdir().expect("tempdir");
    let scratch = tempfile::tempdir().expect("tempdir");
    let mut config = with_programs(programs.path(), &["hostile_symlink_swap"]);
    grant(&mut config, scratch.path(), "/scratch", false);
    let (outcome, _) = beside_steady("hostile_symlink_swap", config, &["/t/hostile_symlink_swap", "/scratch"]);
    assert_ok(&outcome);
    let vm_passwd = "root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
    let host_passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let mut saw_inside = false;
    for line in outcome.stdout_str().lines().filter_map(|l| l.strip_prefix("content ")) {
        let text: String = parse_debug_string(line);
        assert!(text == "inside\n" || text == vm_passwd, "read something from outside the mount: {text:?}");
        assert!(host_passwd.is_empty() || text != host_passwd, "read the host's /etc/passwd");
        saw_inside |= text == "inside\n";
    }
    assert!(saw_inside, "the race never even read the file inside: {}", describe(&outcome));
    // Through the mount's preopen, the escaping link is refused (EPERM = 63);
    // nothing else may be reported.
    for line in outcome.stdout_str().lines().filter_map(|l| l.strip_prefix("error ")) {
        assert!(
            ["mount: Some(63)", "mount: Some(44)", "root: 44"].contains(&line),
            "unexpected error during the race: {line}"
        );
    }
}

/// Undoes `{:?}` of a string for the few escapes the guest can print.
fn parse_debug_string(quoted: &str) -> String {
    let inner = quoted.trim_start_matches('"').trim_end_matches('"');
    inner.replace("\\n", "\n").replace("\\\"", "\"").replace("\\\\", "\\")
}

#[test]
fn infinite_loop_beside_steady() {
    let mut config = config();
    config.limits.fuel = Limits::COMPILER_FUEL;
    config.limits.wall = Duration::from_secs(1);
    let (outcome, _) = beside_steady("limits_infinite_loop", config, &[]);
    assert_eq!(outcome.status, ExitStatus::Killed(Limit::WallClock(Duration::from_secs(1))), "{}", describe(&outcome));
}

#[test]
fn memory_growth_beside_steady() {
    let mut config = config();
    config.limits.memory = 256 << 20;
    let (outcome, _) = beside_steady("limits_memory_grow", config, &[]);
    assert_ok(&outcome);
}

#[test]
fn output_flood_beside_steady() {
    let mut config = config();
    config.limits.stdout_bytes = 1 << 20;
    let (outcome, _) = beside_steady("limits_stdout_flood", config, &[]);
    assert_eq!(outcome.status, ExitStatus::Killed(Limit::Stdout(1 << 20)), "{}", describe(&outcome));
}

#[test]
fn deep_recursion_beside_steady() {
    let (outcome, _) = beside_steady("limits_deep_recursion", config(), &[]);
    assert!(matches!(outcome.status, ExitStatus::Trapped(_)), "{}", describe(&outcome));
}

#[test]
fn disk_fill_beside_steady() {
    let mut config = config();
    config.limits.disk_bytes = 4 << 20;
    let (outcome, _) = beside_steady("limits_disk_fill", config, &[]);
    assert_ok(&outcome);
}

#[test]
fn fork_bomb_beside_steady() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = with_programs(dir.path(), &["proc_child"]);
    config.limits.processes = 8;
    let (outcome, _) = beside_steady("proc_fork_bomb", config, &["8"]);
    assert_ok(&outcome);
}

#[test]
fn read_only_mount_survives_every_hostile_write() {
    let host = tempfile::tempdir().expect("tempdir");
    std::fs::write(host.path().join("data.txt"), "read only\n").expect("write");
    std::fs::write(host.path().join("other.txt"), "other\n").expect("write");
    std::fs::create_dir(host.path().join("d")).expect("mkdir");
    let before = snapshot(host.path());
    let mut config = config();
    grant(&mut config, host.path(), "/ro", true);
    let (outcome, _) = beside_steady("grant_ro_dir", config, &[]);
    assert_ok(&outcome);
    assert_eq!(snapshot(host.path()), before, "the read-only mount changed");
}

#[test]
fn hostile_escape() {
    let scratch = tempfile::tempdir().expect("tempdir");
    let ro = tempfile::tempdir().expect("tempdir");
    std::fs::write(ro.path().join("data.txt"), "read only\n").expect("write");
    let before = snapshot(ro.path());
    let mut config = config();
    grant(&mut config, scratch.path(), "/scratch", false);
    grant(&mut config, ro.path(), "/ro", true);
    config.limits.memory = 256 << 20;
    let steady = std::thread::spawn(|| run("steady_work", common::config(), &[]));
    let outcome = run_c("hostile_escape", config, &[]);
    assert_ok(&outcome);
    let steady = steady.join().expect("the steady VM's thread");
    assert_eq!(steady.stdout_str(), format!("checksum {}\nok\n", steady_checksum()));
    assert_eq!(snapshot(ro.path()), before, "the read-only mount changed");
    let mib = printed_number(&outcome, "malloc");
    assert!(mib <= 256, "malloc got {mib} MiB under a 256 MiB limit");
}

// ---------------------------------------------------------------- completeness

macro_rules! assert_test_exists {
    ($name:ident) => {
        const _: fn() = $name;
    };
}
capsa_test_programs::foreach_hostile!(assert_test_exists);
capsa_test_programs::foreach_steady!(assert_test_exists);
capsa_test_programs::foreach_c_hostile!(assert_test_exists);
