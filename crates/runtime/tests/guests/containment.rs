//! The containment suite: each hostile guest runs in one VM while a second VM
//! runs a steady, deterministic workload beside it. The hostile guest must be
//! stopped or refused with its documented status, capsa must not panic, and
//! the steady VM must finish with the right answer.
//!
//! A `hostile_*` or `steady_*` guest program without a test here is a build error (see the
//! end of the file).

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use crate::common::{assert_ok, config, describe, grant, printed_number, program, run, run_c, run_timed, snapshot};
use capsa_runtime::{ExitStatus, Limit, Outcome, Vm, VmConfig};

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

/// Runs `hostile` (whatever `run_hostile` does) while `steady_work` runs in
/// another VM, and checks the steady VM's answer.
fn next_to_steady<T>(hostile: &str, run_hostile: impl FnOnce() -> T) -> T {
    let steady = std::thread::spawn(|| run("steady_work", crate::common::config(), &[]));
    let result = run_hostile();
    let steady = steady.join().expect("the steady VM's thread");
    assert_ok(&steady);
    assert_eq!(
        steady.stdout_str(),
        format!("checksum {}\nok\n", steady_checksum()),
        "the steady VM was disturbed by {hostile}"
    );
    result
}

/// Runs `hostile` (with its config and args) beside the steady VM; returns
/// the hostile outcome and how long it took.
fn beside_steady(hostile: &str, config: VmConfig, args: &[&str]) -> (Outcome, Duration) {
    next_to_steady(hostile, || run_timed(hostile, config, args))
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
    std::os::unix::fs::symlink("/etc/passwd", scratch.path().join("host-abs")).expect("symlink");
    std::os::unix::fs::symlink("../../../../../../etc/passwd", scratch.path().join("host-rel")).expect("symlink");
    let ro = tempfile::tempdir().expect("tempdir");
    std::fs::write(ro.path().join("data.txt"), "read only\n").expect("write");
    let before = snapshot(ro.path());
    let mut config = config();
    grant(&mut config, scratch.path(), "/scratch", false);
    grant(&mut config, ro.path(), "/ro", true);
    config.limits.memory = 256 << 20;
    let outcome = next_to_steady("hostile_escape", || run_c("hostile_escape", config, &[]));
    assert_ok(&outcome);
    assert_eq!(snapshot(ro.path()), before, "the read-only mount changed");
    let mib = printed_number(&outcome, "malloc");
    assert!(mib <= 256, "malloc got {mib} MiB under a 256 MiB limit");
}

/// Runs `name` in a fresh VM of its own, like [`run`], and gives the VM back
/// too, so a test can read the VM's own accounting afterwards.
fn run_keeping_vm(name: &str, config: VmConfig, args: &[&str]) -> (Outcome, Vm) {
    let wasm = std::fs::read(program(name)).expect("reading the program");
    let argv: Vec<String> = std::iter::once(name).chain(args.iter().copied()).map(String::from).collect();
    let vm = crate::common::runtime().vm(config).expect("booting a VM");
    let outcome = vm.run(&wasm, &argv).expect("running");
    (outcome, vm)
}

/// [`run_keeping_vm`] beside the steady VM, which must not be disturbed.
fn beside_steady_keeping_vm(hostile: &str, config: VmConfig, args: &[&str]) -> (Outcome, Vm) {
    next_to_steady(hostile, || run_keeping_vm(hostile, config, args))
}

/// A number the guest printed as `label: N` (an errno may be -1).
fn printed(outcome: &Outcome, label: &str) -> i64 {
    let prefix = format!("{label}: ");
    outcome
        .stdout_str()
        .lines()
        .find_map(|line| line.strip_prefix(&prefix).and_then(|n| n.trim().parse().ok()))
        .unwrap_or_else(|| panic!("no {prefix:?} line: {}", describe(outcome)))
}

/// WASI errnos the hostile guests report.
const ENFILE: i64 = 41;
const ENOMEM: i64 = 48;
const ENOSPC: i64 = 51;
const ENXIO: i64 = 60;
const EPERM: i64 = 63;
const EAGAIN: i64 = 6;
const EXDEV: i64 = 75;

#[test]
fn hostile_host_plant() {
    use std::os::unix::fs::PermissionsExt as _;
    let host = tempfile::tempdir().expect("tempdir");
    std::fs::write(host.path().join("victim.txt"), "the host's file\n").expect("write");
    let root_mode = std::fs::metadata(host.path()).expect("stat").permissions().mode();
    let mut config = config();
    grant(&mut config, host.path(), "/w", false);
    let (outcome, _) = beside_steady("hostile_host_plant", config, &["/w"]);
    assert_ok(&outcome);
    let said = |what: &str| {
        let prefix = format!("{what} ");
        let line = outcome.stdout_str().lines().find_map(|l| l.strip_prefix(&prefix).map(String::from));
        line.unwrap_or_else(|| panic!("no {what}: {}", describe(&outcome)))
    };
    for refused in ["chmod-root", "symlink-absolute", "symlink-up", "symlink-down-up", "rename-over-victim"] {
        assert_eq!(said(refused), EPERM.to_string(), "{refused}: {}", describe(&outcome));
    }
    assert_eq!(said("hard-link-to-root"), EPERM.to_string());
    assert_eq!(said("rename-dir-up"), EXDEV.to_string(), "moving the link's directory up");
    assert_eq!(said("symlink-inside"), "ok");
    // What the host sees: no special bit, the root untouched, the victim a
    // plain file, and no link anywhere that leads out of the directory.
    let planted = std::fs::metadata(host.path().join("planted")).expect("planted").permissions().mode();
    assert_eq!(planted & 0o7000, 0, "special bits on the host: {planted:o}");
    assert_eq!(std::fs::metadata(host.path()).expect("stat").permissions().mode(), root_mode);
    assert_eq!(std::fs::read_to_string(host.path().join("victim.txt")).expect("victim"), "the host's file\n");
    for entry in snapshot(host.path()) {
        let path = host.path().join(&entry.0);
        if std::fs::symlink_metadata(&path).expect("lstat").file_type().is_symlink() {
            let resolved = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
            let inside = resolved.starts_with(std::fs::canonicalize(host.path()).expect("canonical"));
            assert!(inside, "{} leads out of the mount: {:?}", entry.0.display(), std::fs::read_link(&path));
        }
    }
}

#[test]
fn hostile_hard_links() {
    let mut config = config();
    config.limits.disk_bytes = 64 << 10;
    config.limits.disk_inodes = 64;
    let (outcome, vm) = beside_steady_keeping_vm("hostile_hard_links", config, &[]);
    assert_ok(&outcome);
    assert_eq!(printed(&outcome, "errno"), ENOSPC, "{}", describe(&outcome));
    let links = printed(&outcome, "links");
    assert!((1..64).contains(&links), "{links} links under a quota of 64 names");
    assert!(vm.kernel().vfs().usage().inodes <= 64);
}

#[test]
fn hostile_zombies() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = with_programs(dir.path(), &["proc_child"]);
    config.limits.processes = 8;
    let (outcome, vm) = beside_steady_keeping_vm("hostile_zombies", config, &[]);
    assert_ok(&outcome);
    assert_eq!(printed(&outcome, "errno"), EAGAIN, "{}", describe(&outcome));
    assert_eq!(printed(&outcome, "zombies"), 7, "the parent and 7 zombies fill a table of 8");
    assert!(vm.kernel().process_entries() <= 8);
}

#[test]
fn hostile_memory_spread() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = with_programs(dir.path(), &["proc_child"]);
    config.limits.memory = 256 << 20;
    // Four holders of 100 MiB: two fit in 256 MiB beside the parent.
    let (outcome, vm) = beside_steady_keeping_vm("hostile_memory_spread", config, &["100", "4"]);
    assert_ok(&outcome);
    assert_eq!(printed(&outcome, "held"), 2, "{}", describe(&outcome));
    let usage = vm.kernel().budget().usage();
    assert!(usage.memory_peak <= 256 << 20, "peak {} MiB", usage.memory_peak >> 20);
    assert!(usage.refused >= 2);
}

/// A module with four memories whose `_start` grows each by 128 MiB and
/// exits with how many grew.
const FOUR_MEMORIES: &str = r#"(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory $a 1) (memory $b 1) (memory $c 1) (memory $d 1)
  (func (export "_start")
    (local $grown i32)
    (if (i32.ne (memory.grow $a (i32.const 2048)) (i32.const -1)) (then (local.set $grown (i32.add (local.get $grown) (i32.const 1)))))
    (if (i32.ne (memory.grow $b (i32.const 2048)) (i32.const -1)) (then (local.set $grown (i32.add (local.get $grown) (i32.const 1)))))
    (if (i32.ne (memory.grow $c (i32.const 2048)) (i32.const -1)) (then (local.set $grown (i32.add (local.get $grown) (i32.const 1)))))
    (if (i32.ne (memory.grow $d (i32.const 2048)) (i32.const -1)) (then (local.set $grown (i32.add (local.get $grown) (i32.const 1)))))
    (call $exit (local.get $grown))))"#;

#[test]
fn memories_of_one_process_share_the_vm_budget() {
    let mut config = config();
    config.limits.memory = 300 << 20;
    let vm = crate::common::runtime().vm(config).expect("vm");
    let outcome = vm.run(FOUR_MEMORIES.as_bytes(), &["four".into()]).expect("run");
    assert_eq!(outcome.status, ExitStatus::Exited(2), "{}", describe(&outcome));
    assert!(vm.kernel().budget().usage().memory_peak <= 300 << 20);
}

#[test]
fn hostile_pipes() {
    let mut config = config();
    config.limits.memory = 16 << 20;
    let (outcome, vm) = beside_steady_keeping_vm("hostile_pipes", config, &[]);
    assert_ok(&outcome);
    assert_eq!(printed(&outcome, "errno"), ENOMEM, "{}", describe(&outcome));
    let pipes = printed(&outcome, "pipes");
    assert!(pipes > 0 && pipes * (64 << 10) <= 16 << 20, "{pipes} pipes of 64 KiB in 16 MiB");
    let usage = vm.kernel().budget().usage();
    assert!(usage.memory_peak <= 16 << 20, "peak {} KiB", usage.memory_peak >> 10);
}

#[test]
fn hostile_host_fds() {
    let host = tempfile::tempdir().expect("tempdir");
    std::fs::write(host.path().join("f"), "f").expect("write");
    let hostile = |limit: usize| {
        let mut config = config();
        config.limits.host_fds = limit;
        grant(&mut config, host.path(), "/w", true);
        run_keeping_vm("hostile_host_fds", config, &["/w/f"])
    };
    // Two at once in one host process: each stops at its own budget and
    // never sees the other's.
    let other = std::thread::scope(|scope| {
        let other = scope.spawn(|| hostile(16));
        let (outcome, vm) = hostile(32);
        assert_ok(&outcome);
        assert_eq!(printed(&outcome, "errno"), ENFILE, "{}", describe(&outcome));
        // The mount's preopen holds one host fd of the 32.
        assert_eq!(printed(&outcome, "opened"), 31);
        assert_eq!(vm.kernel().budget().usage().host_fds, 0, "every host fd given back");
        other.join().expect("the other VM")
    });
    assert_ok(&other.0);
    assert_eq!(printed(&other.0, "opened"), 15);
}

#[test]
fn hostile_fifo() {
    let host = tempfile::tempdir().expect("tempdir");
    let fifo = host.path().join("fifo");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo").success());
    let _socket = std::os::unix::net::UnixListener::bind(host.path().join("sock")).expect("a socket file");
    let mut config = config();
    config.limits.wall = Duration::from_secs(10);
    grant(&mut config, host.path(), "/w", false);
    let (outcome, took) = beside_steady("hostile_fifo", config, &["/w"]);
    assert_ok(&outcome);
    for line in ["fifo-read", "fifo-write", "socket"] {
        assert!(outcome.stdout_str().contains(&format!("{line} {ENXIO}\n")), "{line}: {}", describe(&outcome));
    }
    assert!(took < Duration::from_secs(8), "an open waited: {took:?}");
}

#[test]
fn hostile_modules() {
    let mut config = config();
    config.limits.wall = Duration::from_secs(5);
    config.limits.disk_bytes = 160 << 20;
    let (outcome, vm) = beside_steady_keeping_vm("hostile_modules", config, &[]);
    assert_eq!(outcome.status, ExitStatus::Killed(Limit::WallClock(Duration::from_secs(5))), "{}", describe(&outcome));
    assert_eq!(printed(&outcome, "big"), ENOMEM, "a module over the guest limit was compiled");
    let ran = outcome.stdout_str().lines().filter_map(|l| l.strip_prefix("ran ")?.parse::<u64>().ok()).max();
    let ran = ran.unwrap_or_else(|| panic!("no module ran: {}", describe(&outcome)));
    // Not one of them reached the host's module cache.
    let cached: Vec<String> = walk_files(crate::common::runtime().cache_dir());
    for n in 0..ran {
        let name = format!("{}.cwasm", hex_sha256(&no_op_module(&n.to_le_bytes())));
        assert!(!cached.iter().any(|c| c.ends_with(&name)), "module {n} was cached on the host");
    }
    // What the VM keeps of them is charged to it, and bounded.
    assert!(vm.kernel().budget().usage().memory_peak <= VmConfig::default().limits.memory);
}

/// A command module of about `mib` MiB of code (many small arithmetic
/// functions, as `bench/gen_big_module.py` makes) whose `_start` spins.
fn big_spinning_module(mib: usize) -> Vec<u8> {
    use wasm_encoder::{
        CodeSection, ExportKind, ExportSection, Function, FunctionSection, Instruction, TypeSection, ValType,
    };
    let mut types = TypeSection::new();
    types.ty().function([], []);
    types.ty().function([ValType::I32], [ValType::I32]);
    let mut helper = Function::new([]);
    helper.instruction(&Instruction::LocalGet(0));
    for k in 0..120 {
        helper.instruction(&Instruction::I32Const(k % 64));
        helper.instruction(if k % 2 == 1 { &Instruction::I32Add } else { &Instruction::I32Xor });
    }
    helper.instruction(&Instruction::End);
    let count = (mib << 20) / helper.byte_len();
    let mut start = Function::new([]);
    start.instruction(&Instruction::Loop(wasm_encoder::BlockType::Empty));
    start.instruction(&Instruction::Br(0));
    start.instruction(&Instruction::End);
    start.instruction(&Instruction::End);
    let (mut functions, mut code) = (FunctionSection::new(), CodeSection::new());
    functions.function(0);
    code.function(&start);
    for _ in 0..count {
        functions.function(1);
        code.function(&helper);
    }
    let mut exports = ExportSection::new();
    exports.export("_start", ExportKind::Func, 0);
    let mut module = wasm_encoder::Module::new();
    module.section(&types).section(&functions).section(&exports).section(&code);
    module.finish()
}

#[test]
fn a_compile_longer_than_the_deadline_ends_at_the_deadline() {
    // About 1.5 s of Cranelift on the machine this was written on (on the
    // compile pool: it is over the inline size); the run may take 0.5 s in
    // all. (Once a run has cached it, the module starts at once and spins:
    // the deadline still ends it.)
    let mut config = config();
    config.limits.wall = Duration::from_millis(500);
    let wasm = big_spinning_module(4);
    assert!(wasm.len() > capsa_runtime::programs::INLINE_COMPILE);
    let (outcome, took) = next_to_steady("a big module", || {
        let started = std::time::Instant::now();
        let outcome = crate::common::runtime().vm(config).expect("vm").run(&wasm, &["big".into()]).expect("run");
        (outcome, started.elapsed())
    });
    assert_eq!(
        outcome.status,
        ExitStatus::Killed(Limit::WallClock(Duration::from_millis(500))),
        "{}",
        describe(&outcome)
    );
    assert!(took < Duration::from_secs(2), "the compile outlived the deadline: {took:?}");
}

/// Every file under `dir`, as paths.
fn walk_files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path.display().to_string());
            }
        }
    }
    out
}

/// The guest's `module(payload)` of `hostile_modules`, rebuilt here: a
/// command doing nothing, with a custom section `n` holding `payload`.
fn no_op_module(payload: &[u8]) -> Vec<u8> {
    use wasm_encoder::{CodeSection, CustomSection, ExportKind, ExportSection, Function, FunctionSection, TypeSection};
    let mut types = TypeSection::new();
    types.ty().function([], []);
    let mut functions = FunctionSection::new();
    functions.function(0);
    let mut exports = ExportSection::new();
    exports.export("_start", ExportKind::Func, 0);
    let mut body = Function::new([]);
    body.instruction(&wasm_encoder::Instruction::End);
    let mut code = CodeSection::new();
    code.function(&body);
    let custom = CustomSection { name: "n".into(), data: payload.into() };
    let mut module = wasm_encoder::Module::new();
    module.section(&types).section(&functions).section(&exports).section(&code).section(&custom);
    module.finish()
}

fn hex_sha256(bytes: &[u8]) -> String {
    capsa_runtime::modules::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

// ---------------------------------------------------------------- completeness

/// The guest programs this suite tests (checked in `main.rs`).
pub(crate) mod claimed {
    capsa_test_programs::foreach_hostile!(claim);
    capsa_test_programs::foreach_steady!(claim);
    capsa_test_programs::foreach_c_hostile!(claim);
}
