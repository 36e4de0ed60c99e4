//! Our `ls` (and `dir`, `vdir`): differential against native GNU `ls` on a
//! host tree with fixed modes and times (owners, which differ by design —
//! the host tests run as root, host files show the VM's default user — are
//! left out with `-g -o`, and `total` lines, which count the host's
//! allocated blocks, are dropped), and fixed expectations for the VM's own
//! files, owners and errors.

mod common;
mod support;

use common::{Fixture, code, describe, expect, ok, run};
use support::{Machine, capsa, native, now_secs, set_mode, set_times};

/// A tree with every kind of entry ls treats differently, old and recent
/// times, and names that sort differently by byte, size, time and extension.
fn fixture() -> Fixture {
    let f = Fixture::new(&[
        ("a.txt", "hello"),
        ("Zed", "zz"),
        ("b.rs", ""),
        ("run", "#!/bin/sh\n"),
        ("big.txt", &"x".repeat(5000)),
        (".hidden", "h"),
        ("dir/inner.c", "int x;\n"),
        ("dir/sub/deep", "d"),
        ("two words", "2"),
        ("it's", "'"),
    ]);
    let p = f.path();
    std::os::unix::fs::symlink("a.txt", p.join("link")).expect("symlink");
    std::os::unix::fs::symlink("dir", p.join("dirlink")).expect("symlink");
    std::os::unix::fs::symlink("nowhere", p.join("dangling")).expect("symlink");
    for (name, mode) in [("a.txt", 0o644), ("Zed", 0o600), ("b.rs", 0o664), ("run", 0o755), ("big.txt", 0o4754)] {
        set_mode(&p.join(name), mode);
    }
    set_mode(&p.join("dir"), 0o2750);
    set_mode(&p.join("dir/sub"), 0o1777);
    // Distinct times: old ones (shown with the year) and a recent one.
    let recent = now_secs() - 3600;
    let times = [
        ("a.txt", 1_600_000_000),
        ("Zed", 1_500_000_000),
        ("b.rs", 1_700_000_000),
        ("run", recent),
        ("big.txt", 1_400_000_000),
        (".hidden", 1_300_000_000),
        ("two words", 1_650_000_000),
        ("it's", 1_660_000_000),
        ("dir/inner.c", 1_234_567_890),
        ("dir/sub/deep", 1_111_111_111),
        ("dir/sub", 1_222_222_222),
        ("dir", 1_333_333_333),
    ];
    for (name, secs) in times {
        set_times(&p.join(name), secs, 0);
    }
    f
}

/// Drops `total` lines (allocated blocks, which capsa does not have).
fn without_totals(text: &str) -> String {
    text.lines().filter(|l| !l.starts_with("total ")).map(|l| format!("{l}\n")).collect()
}

#[test]
fn ls_matches_gnu_ls() {
    let f = fixture();
    let cases: &[&[&str]] = &[
        &["ls"],
        &["ls", "-a"],
        &["ls", "-A"],
        &["ls", "-1", "-r"],
        &["ls", "-F"],
        &["ls", "-p"],
        &["ls", "--file-type"],
        &["ls", "-R"],
        &["ls", "-t"],
        &["ls", "-S"],
        &["ls", "-X"],
        &["ls", "-tr"],
        &["ls", "-i"],
        &["ls", "-d", "dir", "a.txt", "dirlink"],
        &["ls", "dir", "a.txt", "dirlink"],
        &["ls", "dir/sub", "dir"],
        &["ls", "--group-directories-first"],
        &["ls", "-C", "-w", "40"],
        &["ls", "-C", "-w", "40", "-T", "0"],
        &["ls", "-x", "-w", "40"],
        &["ls", "-C", "-w", "0"],
        &["ls", "-C", "-F", "-i", "-w", "60"],
        &["ls", "-m", "-w", "30"],
        &["ls", "-b"],
        &["ls", "-Q"],
        &["ls", "--quoting-style=shell-escape"],
        &["ls", "--quoting-style=shell-always"],
        &["ls", "--quoting-style=c"],
        &["ls", "-lgo"],
        &["ls", "-lgoA"],
        &["ls", "-lgoR"],
        &["ls", "-lgot"],
        &["ls", "-lgoS"],
        &["ls", "-lgor"],
        &["ls", "-lgoF"],
        &["ls", "-lgoh"],
        &["ls", "-lgoi"],
        &["ls", "-lgoL"],
        &["ls", "-lgod", "dir", "link", "dirlink"],
        &["ls", "-lgo", "dir", "a.txt", "link"],
        &["ls", "-lgo", "--time-style=long-iso"],
        &["ls", "-lgo", "--time-style=iso"],
        &["ls", "-lgo", "--time-style=+%Y/%j? %H.%M.%S %s"],
        &["ls", "-go", "--full-time"],
        &["ls", "-g", "-G", "--time-style=full-iso", "dir"],
        &["ls", "missing", "a.txt"],
        &["ls", "-l", "--color=never", "-go", "dir"],
        &["dir", "-w", "50"],
        &["vdir", "-go", "dir"],
    ];
    let mut failures = Vec::new();
    for argv in cases {
        let ours = capsa(&f.run(argv, ""));
        let theirs = native(f.path(), argv);
        let (ours_out, theirs_out) = (without_totals(&ours.stdout), without_totals(&theirs.stdout));
        if (ours.code, &ours_out, &ours.stderr) != (theirs.code, &theirs_out, &theirs.stderr) {
            failures.push(format!(
                "{argv:?}\n--- capsa ({}) ---\n{ours_out}{}--- native ({}) ---\n{theirs_out}{}",
                ours.code, ours.stderr, theirs.code, theirs.stderr
            ));
        }
    }
    assert!(failures.is_empty(), "{} of {} differ:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

#[test]
fn ls_shows_the_vms_modes_and_owners() {
    expect(
        &["ls", "-l", "--time-style=+T", "/etc"],
        "total 2\n-rw-r--r-- 1 root root  40 T group\n-rw-r--r-- 1 root root   6 T hostname\n-rw-r--r-- 1 root root 123 T passwd\n",
    );
    expect(
        &["ls", "-ldn", "--time-style=+T", "/tmp", "/root", "/home/user"],
        "drwxr-xr-x 2 1000 1000 4096 T /home/user\ndrwx------ 2    0    0 4096 T /root\ndrwxrwxrwt 2    0    0 4096 T /tmp\n",
    );
    let out = ok(&run(&["ls", "-l", "--time-style=+T", "/bin/ls"]));
    assert_eq!(out, "lrwxrwxrwx 1 root root 32 T /bin/ls -> /usr/libexec/capsa/commands.wasm\n");
    // Host files show the VM's default user as owner.
    let f = Fixture::new(&[("a", "12345")]);
    set_mode(&f.path().join("a"), 0o640);
    assert_eq!(ok(&f.run(&["ls", "-l", "--time-style=+T", "a"], "")), "-rw-r----- 1 user user 5 T a\n");
    // Modes and owners changed inside the VM show at once.
    let vm = Machine::user(true);
    vm.ok(&["touch", "/tmp/x"]);
    vm.ok(&["chmod", "4710", "/tmp/x"]);
    vm.ok(&["chown", "nobody:user", "/tmp/x"]);
    assert_eq!(vm.ok(&["ls", "-l", "--time-style=+T", "/tmp/x"]), "-rws--x--- 1 nobody user 0 T /tmp/x\n");
    assert_eq!(vm.ok(&["ls", "-F", "/tmp"]), "x*\n");
    assert_eq!(vm.ok(&["ls", "-a", "/home/user"]), ".\n..\n");
    let dir = vm.ok(&["dir", "/etc"]);
    assert_eq!(dir.split_whitespace().collect::<Vec<_>>(), ["group", "hostname", "passwd"], "{dir:?}");
    assert_eq!(vm.ok(&["vdir", "--time-style=+T", "/etc"]).lines().count(), 4);
}

#[test]
fn ls_reports_errors_with_gnu_statuses() {
    let outcome = run(&["ls", "/missing", "/etc/hostname"]);
    assert_eq!((code(&outcome), outcome.stdout_str().as_str()), (2, "/etc/hostname\n"), "{}", describe(&outcome));
    assert_eq!(outcome.stderr_str(), "ls: cannot access '/missing': No such file or directory\n");
    let outcome = run(&["ls", "/root"]);
    assert_eq!(code(&outcome), 2, "{}", describe(&outcome));
    assert_eq!(outcome.stderr_str(), "ls: cannot open directory '/root': Permission denied\n");
    // Beneath an operand, an unreadable directory is a minor problem (1).
    let outcome = run(&["ls", "-R", "/home", "/root/"]);
    assert_eq!(code(&outcome), 2, "{}", describe(&outcome));
    let vm = Machine::user(false);
    vm.ok(&["mkdir", "-p", "/tmp/t/closed"]);
    vm.ok(&["chmod", "0", "/tmp/t/closed"]);
    vm.expect(
        &["ls", "-R", "/tmp/t"],
        1,
        "/tmp/t:\nclosed\n",
        "ls: cannot open directory '/tmp/t/closed': Permission denied\n",
    );
    let outcome = run(&["ls", "--color=always"]);
    assert_eq!(code(&outcome), 1);
    assert_eq!(outcome.stderr_str(), "capsa: ls: not supported: --color=always: capsa's ls has no colours\n");
    let outcome = run(&["ls", "--sort=weird"]);
    assert_eq!(code(&outcome), 2);
}

#[test]
fn ls_needs_neither_clock_nor_entropy() {
    // uutils ls panicked without the clock grant; ours shows the epoch.
    let mut config = common::config();
    config.grants.clock = false;
    config.grants.random = false;
    let outcome = common::run_in(config, &["ls", "-l", "/etc/passwd"]);
    assert_eq!(ok(&outcome), "-rw-r--r-- 1 root root 123 Jan  1  1970 /etc/passwd\n");
}
