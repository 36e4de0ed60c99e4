//! The commands that show and change modes and owners through capsa's
//! `host_fs` (`chmod`, `chown`, `chgrp`, `stat`, `test`/`[`): differential
//! against native GNU coreutils on host files where the host can be the
//! reference (modes, times, inodes), and fixed expectations inside a VM
//! for owners and permission checks (the host tests run as root, the VM as
//! uid 1000, and host files show the VM's default user as owner).

mod common;
mod support;

use common::{Fixture, code, describe, expect, ok, run};
use support::{Machine, capsa, mode_of, native, set_mode, set_times};

/// A mode as capsa leaves it on a host file: the permission bits only
/// (setuid, setgid and sticky never reach the host through a mount).
fn on_host(mode: u32) -> u32 {
    mode & 0o777
}

/// Runs `chmod ARGS… FILE` on a file of mode `initial`, in capsa and
/// natively (each on its own copy), and compares the exit status, stdout,
/// stderr and resulting mode ([`on_host`]: capsa's copy is in a host mount).
#[track_caller]
fn chmod_case(args: &[&str], initial: u32, dir: bool) -> Option<String> {
    let f = Fixture::new(&[]);
    let reference = tempfile::tempdir().expect("tempdir");
    for root in [f.path(), reference.path()] {
        let path = root.join("f");
        if dir {
            std::fs::create_dir(&path).expect("mkdir");
        } else {
            std::fs::write(&path, "x").expect("write");
        }
        set_mode(&path, initial);
    }
    let mut argv = vec!["chmod"];
    argv.extend_from_slice(args);
    argv.push("f");
    let ours = capsa(&f.run(&argv, ""));
    let theirs = native(reference.path(), &argv);
    let (ours_mode, theirs_mode) = (mode_of(&f.path().join("f")), on_host(mode_of(&reference.path().join("f"))));
    if (&ours, ours_mode) != (&theirs, theirs_mode) {
        return Some(format!(
            "{argv:?} on {initial:o}{}:\n  capsa:  {ours:?} mode {ours_mode:o}\n  native: {theirs:?} mode {theirs_mode:o}",
            if dir { " (dir)" } else { "" }
        ));
    }
    None
}

#[test]
fn chmod_computes_modes_as_gnu_does() {
    let cases: &[(&[&str], u32, bool)] = &[
        (&["755"], 0o644, false),
        (&["0"], 0o644, false),
        (&["4755"], 0o644, false),
        (&["u+x"], 0o644, false),
        (&["+x"], 0o644, false),
        (&["a-w"], 0o666, false),
        (&["go-rwx"], 0o755, false),
        (&["u=rw,go=r"], 0o777, false),
        (&["g=u"], 0o740, false),
        (&["o+X"], 0o644, false),
        (&["o+X"], 0o744, false),
        (&["a+rX"], 0o700, true),
        (&["u+s,g+s,+t"], 0o755, false),
        (&["="], 0o755, false),
        (&["u=rwx,g-w+x"], 0o664, false),
        (&["=755"], 0o600, false),
        (&["g+s"], 0o755, true),
        (&["755"], 0o2775, true),
        (&["00755"], 0o2775, true),
        (&["-v", "644"], 0o640, false),
        (&["-v", "644"], 0o644, false),
        (&["-c", "644"], 0o644, false),
        (&["-c", "u-w"], 0o644, false),
        // A mode written as an option: the umask's surprise is reported.
        (&["-w"], 0o666, false),
        (&["-x"], 0o755, false),
        (&["u+q"], 0o644, false),
        (&["u=755"], 0o644, false),
        (&["17777"], 0o644, false),
    ];
    let failures: Vec<String> =
        cases.iter().filter_map(|(args, initial, dir)| chmod_case(args, *initial, *dir)).collect();
    assert!(failures.is_empty(), "{} of {} differ:\n{}", failures.len(), cases.len(), failures.join("\n"));
    // In the VM's own filesystem the special bits are kept, as GNU keeps them.
    let line = "touch /tmp/f && chmod 644 /tmp/f && chmod u+s,g+s,+t /tmp/f && stat -c %a /tmp/f";
    assert_eq!(ok(&common::run_module(common::config(), "sh", &["sh", "-c", line])), "7644\n");
}

/// A tree `t/{a, s/b, s/l -> ../a}` in a fresh host directory.
fn tree(root: &std::path::Path) {
    std::fs::create_dir_all(root.join("t/s")).expect("mkdir");
    std::fs::write(root.join("t/a"), "a").expect("write");
    std::fs::write(root.join("t/s/b"), "b").expect("write");
    std::os::unix::fs::symlink("../a", root.join("t/s/l")).expect("symlink");
    for p in ["t", "t/s"] {
        set_mode(&root.join(p), 0o755);
    }
    for p in ["t/a", "t/s/b"] {
        set_mode(&root.join(p), 0o644);
    }
}

#[test]
fn chmod_recurses_skips_symlinks_and_reports() {
    let f = Fixture::new(&[("ref", "")]);
    let reference = tempfile::tempdir().expect("tempdir");
    tree(f.path());
    tree(reference.path());
    for argv in [
        &["chmod", "-R", "-v", "go-rx,u+x", "t"][..],
        &["chmod", "-Rc", "a+rwX", "t"],
        &["chmod", "-R", "-f", "o-w", "t", "missing"],
    ] {
        let ours = capsa(&f.run(argv, ""));
        let theirs = native(reference.path(), argv);
        assert_eq!((ours.code, &ours.stderr), (theirs.code, &theirs.stderr), "{argv:?}");
        // GNU walks in directory order, we in name order: compare sorted.
        let sorted = |s: &str| {
            let mut lines: Vec<String> = s.lines().map(str::to_string).collect();
            lines.sort();
            lines
        };
        assert_eq!(sorted(&ours.stdout), sorted(&theirs.stdout), "{argv:?}");
        for p in ["t", "t/a", "t/s", "t/s/b", "t/s/l"] {
            assert_eq!(mode_of(&f.path().join(p)), on_host(mode_of(&reference.path().join(p))), "{argv:?}: {p}");
        }
    }
    set_mode(&f.path().join("ref"), 0o604);
    assert_eq!(code(&f.run(&["chmod", "--reference=ref", "t/a"], "")), 0);
    assert_eq!(mode_of(&f.path().join("t/a")), 0o604);
    // A symlink operand is followed.
    assert_eq!(code(&f.run(&["chmod", "600", "t/s/l"], "")), 0);
    assert_eq!(mode_of(&f.path().join("t/a")), 0o600);
}

#[test]
fn chmod_errors() {
    let f = Fixture::new(&[("f", "")]);
    let cases: &[&[&str]] = &[
        &["chmod", "u+q", "f"],
        &["chmod"],
        &["chmod", "644"],
        &["chmod", "-v", "644", "missing"],
        &["chmod", "-f", "644", "missing"],
        &["chmod", "-Z", "644", "f"],
        &["chmod", "--reference=missing", "f"],
    ];
    for argv in cases {
        let ours = capsa(&f.run(argv, ""));
        assert_eq!(ours, native(f.path(), argv), "{argv:?}");
    }
    std::os::unix::fs::symlink("nowhere", f.path().join("dangling")).expect("symlink");
    let outcome = f.run(&["chmod", "644", "dangling"], "");
    assert_eq!(code(&outcome), 1);
    assert_eq!(outcome.stderr_str(), "chmod: cannot operate on dangling symlink 'dangling'\n");
    // The VM's own files: root's, so the user may not change them.
    let vm = Machine::user(false);
    vm.expect(
        &["chmod", "600", "/etc/passwd"],
        1,
        "",
        "chmod: changing permissions of '/etc/passwd': Operation not permitted\n",
    );
    let outcome = vm.run(&["chmod", "-R", "--preserve-root", "u+w", "/"]);
    assert_eq!(code(&outcome), 1);
    assert!(
        outcome.stderr_str().starts_with("chmod: it is dangerous to operate recursively on '/'\n"),
        "{}",
        describe(&outcome)
    );
    let root = Machine::user(true);
    root.ok(&["chmod", "u+s,o=", "/etc/passwd"]);
    assert_eq!(root.ok(&["stat", "-c", "%a %A", "/etc/passwd"]), "4640 -rwSr-----\n");
}

#[test]
fn chown_and_chgrp_as_root() {
    let vm = Machine::user(true);
    let owners = |path: &str| vm.ok(&["stat", "-c", "%U:%G %u:%g", path]);
    vm.ok(&["mkdir", "-p", "/tmp/d/e"]);
    vm.ok(&["touch", "/tmp/f", "/tmp/d/e/x"]);
    vm.ok(&["ln", "-s", "f", "/tmp/l"]);
    assert_eq!(owners("/tmp/f"), "root:root 0:0\n");
    vm.expect(&["chown", "nobody", "/tmp/f"], 0, "", "");
    assert_eq!(owners("/tmp/f"), "nobody:root 65534:0\n");
    vm.expect(
        &["chown", "-v", "user:user", "/tmp/f"],
        0,
        "changed ownership of '/tmp/f' from nobody:root to user:user\n",
        "",
    );
    vm.expect(&["chown", "-c", "1000:1000", "/tmp/f"], 0, "", "");
    vm.expect(&["chown", "-v", "1000", "/tmp/f"], 0, "ownership of '/tmp/f' retained as 1000\n", "");
    vm.expect(&["chgrp", "-v", "nogroup", "/tmp/f"], 0, "changed group of '/tmp/f' from user to nogroup\n", "");
    vm.expect(&["chown", "-v", ":root", "/tmp/f"], 0, "changed group of '/tmp/f' from nogroup to root\n", "");
    vm.expect(&["chown", "root:", "/tmp/f"], 0, "", "");
    assert_eq!(owners("/tmp/f"), "root:root 0:0\n");
    vm.expect(&["chown", "user.nogroup", "/tmp/f"], 0, "", "chown: warning: '.' should be ':': 'user.nogroup'\n");
    assert_eq!(owners("/tmp/f"), "user:nogroup 1000:65534\n");
    vm.expect(&["chown", "4242:+4343", "/tmp/f"], 0, "", "");
    assert_eq!(owners("/tmp/f"), "UNKNOWN:UNKNOWN 4242:4343\n");
    // -h changes the link itself; without it the target.
    vm.expect(&["chown", "-h", "nobody", "/tmp/l"], 0, "", "");
    assert_eq!(owners("/tmp/l"), "nobody:root 65534:0\n");
    assert_eq!(vm.ok(&["stat", "-L", "-c", "%u", "/tmp/l"]), "4242\n");
    vm.expect(&["chown", "root", "/tmp/l"], 0, "", "");
    assert_eq!(vm.ok(&["stat", "-L", "-c", "%U", "/tmp/l"]), "root\n");
    assert_eq!(owners("/tmp/l"), "nobody:root 65534:0\n");
    // -R changes directories after their contents.
    vm.expect(
        &["chown", "-R", "-v", "user", "/tmp/d"],
        0,
        "changed ownership of '/tmp/d/e/x' from root to user\nchanged ownership of '/tmp/d/e' from root to user\nchanged ownership of '/tmp/d' from root to user\n",
        "",
    );
    vm.expect(&["chgrp", "-R", "-c", "user", "/tmp/d"], 0, "changed group of '/tmp/d/e/x' from root to user\nchanged group of '/tmp/d/e' from root to user\nchanged group of '/tmp/d' from root to user\n", "");
    vm.expect(&["chown", "--from=root", "nobody", "/tmp/d/e/x"], 0, "", "");
    assert_eq!(owners("/tmp/d/e/x"), "user:user 1000:1000\n");
    vm.expect(&["chown", "--from=user:user", "nobody", "/tmp/d/e/x"], 0, "", "");
    assert_eq!(owners("/tmp/d/e/x"), "nobody:user 65534:1000\n");
    vm.expect(&["chown", "--reference=/etc/passwd", "/tmp/d"], 0, "", "");
    assert_eq!(owners("/tmp/d"), "root:root 0:0\n");
    vm.expect(&["chgrp", "--reference=/tmp/d/e", "/tmp/d"], 0, "", "");
    assert_eq!(owners("/tmp/d"), "root:user 0:1000\n");
}

#[test]
fn chown_and_chgrp_errors() {
    let vm = Machine::user(false);
    vm.ok(&["touch", "/tmp/f"]);
    let refused = "chown: changing ownership of '/tmp/f': Operation not permitted\n";
    vm.expect(&["chown", "root", "/tmp/f"], 1, "", refused);
    vm.expect(
        &["chown", "-v", "root", "/tmp/f"],
        1,
        "failed to change ownership of '/tmp/f' from user to root\n",
        refused,
    );
    vm.expect(&["chown", "-f", "root", "/tmp/f"], 1, "", "");
    // The owner may set the group to its own.
    vm.expect(&["chgrp", "user", "/tmp/f"], 0, "", "");
    vm.expect(&["chgrp", "root", "/tmp/f"], 1, "", "chgrp: changing group of '/tmp/f': Operation not permitted\n");
    vm.expect(&["chown", "ghost", "/tmp/f"], 1, "", "chown: invalid user: 'ghost'\n");
    vm.expect(&["chown", "user:ghost", "/tmp/f"], 1, "", "chown: invalid group: 'user:ghost'\n");
    vm.expect(&["chown", "ghost:", "/tmp/f"], 1, "", "chown: invalid spec: 'ghost:'\n");
    vm.expect(&["chown", "12345:", "/tmp/f"], 1, "", "chown: invalid spec: '12345:'\n");
    vm.expect(&["chgrp", "ghost", "/tmp/f"], 1, "", "chgrp: invalid group: 'ghost'\n");
    vm.expect(
        &["chgrp", "-v", "user", "/tmp/missing"],
        1,
        "failed to change group of '/tmp/missing' to user\n",
        "chgrp: cannot access '/tmp/missing': No such file or directory\n",
    );
    vm.expect(&["chown"], 1, "", "chown: missing operand\nTry 'chown --help' for more information.\n");
    vm.expect(
        &["chgrp", "root"],
        1,
        "",
        "chgrp: missing operand after 'root'\nTry 'chgrp --help' for more information.\n",
    );
    // Host files keep their host owner: what the VM shows is accepted.
    let f = Fixture::new(&[("h", "")]);
    assert_eq!(ok(&f.run(&["stat", "-c", "%U:%G", "h"], "")), "user:user\n");
    assert_eq!(code(&f.run(&["chown", "user:user", "h"], "")), 0);
    let outcome = f.run(&["chown", "nobody", "h"], "");
    assert_eq!(outcome.stderr_str(), "chown: changing ownership of 'h': Operation not permitted\n");
}

#[test]
fn stat_shows_modes_owners_and_times() {
    expect(&["stat", "-c", "%n %s %F %h", "/etc/passwd"], "/etc/passwd 123 regular file 1\n");
    expect(&["stat", "-c", "%a %A %u %g %U %G %f", "/etc/passwd"], "644 -rw-r--r-- 0 0 root root 81a4\n");
    expect(
        &["stat", "-c", "%a %A %U", "/tmp", "/root", "/home/user"],
        "1777 drwxrwxrwt root\n700 drwx------ root\n755 drwxr-xr-x user\n",
    );
    expect(&["stat", "-c", "%N %F", "/bin/ls"], "'/bin/ls' -> '/usr/libexec/capsa/commands.wasm' symbolic link\n");
    expect(&["stat", "-L", "-c", "%F %a", "/bin/ls"], "regular file 755\n");
    expect(&["stat", "--printf", "%04a|%#o|%-6U|%8G|%.3A\\n", "/etc/passwd"], "0644|4096|root  |    root|-rw\n");
    let out = ok(&run(&["stat", "/etc/hostname"]));
    assert!(
        out.starts_with(
            "  File: /etc/hostname\n  Size: 6         \tBlocks: 1          IO Block: 4096   regular file\n"
        ),
        "{out}"
    );
    assert!(out.contains("\nAccess: (0644/-rw-r--r--)  Uid: (    0/    root)   Gid: (    0/    root)\n"), "{out}");
    let outcome = run(&["stat", "/missing"]);
    assert_eq!(code(&outcome), 1);
    assert_eq!(outcome.stderr_str(), "stat: cannot stat '/missing': No such file or directory\n");
    assert_eq!(code(&run(&["stat", "-f", "/"])), 1);

    // Host files: mode, size, type, links, inode and times as the host has them.
    let f = Fixture::new(&[("a", "hello"), ("d/x", "")]);
    set_mode(&f.path().join("a"), 0o4751);
    set_times(&f.path().join("a"), 1_600_000_000, 123_456_789);
    set_mode(&f.path().join("d"), 0o2750);
    std::os::unix::fs::symlink("a", f.path().join("l")).expect("symlink");
    let format = "%n|%a|%A|%s|%F|%h|%i|%Y|%X|%y|%.3Y|%04a|%#a|%-6s|%10.10A|%f|%N|%q";
    for file in ["a", "d", "l", "d/x"] {
        let argv = ["stat", "-c", format, file];
        let ours = capsa(&f.run(&argv, ""));
        assert_eq!(ours, native(f.path(), &argv), "{file}");
    }
    let argv = ["stat", "-L", "--printf", "%n %A %s\\t%Z\\n", "l", "a"];
    let ours = capsa(&f.run(&argv, ""));
    let theirs = native(f.path(), &argv);
    assert_eq!(
        ours.stdout.lines().map(|l| l.split('\t').next()).collect::<Vec<_>>(),
        theirs.stdout.lines().map(|l| l.split('\t').next()).collect::<Vec<_>>()
    );
    // The default format's lines that do not depend on the host's devices,
    // owners or block allocation.
    let ours = capsa(&f.run(&["stat", "a"], "")).stdout;
    let theirs = native(f.path(), &["stat", "a"]).stdout;
    for (ours, theirs) in ours.lines().zip(theirs.lines()) {
        if ours.starts_with("  File:") || ours.starts_with("Modify:") || ours.starts_with("Access: 2") {
            assert_eq!(ours, theirs);
        } else if ours.starts_with("Access: (") {
            assert_eq!(ours.split(')').next(), theirs.split(')').next());
        }
    }
}

#[test]
fn test_checks_modes_owners_and_types() {
    let vm = Machine::user(false);
    let status = |argv: &[&str]| code(&vm.run(argv));
    assert_eq!(status(&["test", "-r", "/etc/passwd"]), 0);
    assert_eq!(status(&["test", "-w", "/etc/passwd"]), 1);
    assert_eq!(status(&["test", "-x", "/etc/passwd"]), 1);
    assert_eq!(status(&["test", "-x", "/bin/ls"]), 0);
    assert_eq!(status(&["test", "-r", "/root"]), 1);
    assert_eq!(status(&["test", "-x", "/tmp"]), 0);
    assert_eq!(status(&["test", "-O", "/home/user"]), 0);
    assert_eq!(status(&["test", "-O", "/etc/passwd"]), 1);
    assert_eq!(status(&["test", "-G", "/home/user"]), 0);
    assert_eq!(status(&["test", "-k", "/tmp"]), 0);
    assert_eq!(status(&["test", "-c", "/dev/null"]), 0);
    assert_eq!(status(&["[", "-L", "/bin/ls", "-a", "-f", "/bin/ls", "]"]), 0);
    vm.ok(&["touch", "/tmp/f"]);
    vm.ok(&["chmod", "2710", "/tmp/f"]);
    assert_eq!(status(&["test", "-x", "/tmp/f"]), 0);
    assert_eq!(status(&["test", "-g", "/tmp/f"]), 0);
    assert_eq!(status(&["test", "-u", "/tmp/f"]), 1);
    vm.ok(&["chmod", "0", "/tmp/f"]);
    assert_eq!(status(&["test", "-r", "/tmp/f"]), 1);
    assert_eq!(status(&["test", "-e", "/tmp/f"]), 0);
    // Root reads and writes anything, but executes only what has an x bit.
    let root = Machine::user(true);
    assert_eq!(code(&root.run(&["test", "-w", "/etc/passwd"])), 0);
    assert_eq!(code(&root.run(&["test", "-r", "/root"])), 0);
    assert_eq!(code(&root.run(&["test", "-x", "/etc/passwd"])), 1);
    // A read-only mount is not writable, whatever the mode says.
    let f = Fixture::new(&[("w", "")]);
    set_mode(&f.path().join("w"), 0o666);
    assert_eq!(code(&f.run(&["test", "-w", "w"], "")), 0);
    let mut config = common::config();
    config.grants.dirs.push(capsa_runtime::DirGrant {
        host: f.path().to_path_buf(),
        guest: "/ro".into(),
        read_only: true,
    });
    assert_eq!(code(&common::run_in(config, &["test", "-w", "/ro/w"])), 1);
}

#[test]
fn test_parses_like_gnu_test() {
    let f = Fixture::new(&[("file", "x"), ("empty", "")]);
    set_times(&f.path().join("empty"), 1_000_000_000, 0);
    let cases: &[&[&str]] = &[
        &["test"],
        &["test", ""],
        &["test", "-n"],
        &["test", "!", "-z", ""],
        &["test", "(", "a", ")"],
        &["test", "!", "(", "a", ")"],
        &["test", "a", "-a", "b", "-o", ""],
        &["test", "", "-o", "", "-a", "x"],
        &["test", "1", "-lt", "2", "-a", "!", "x", "=", "y"],
        &["test", "-f", "file", "-a", "-s", "empty"],
        &["test", "-s", "file"],
        &["test", "file", "-nt", "empty"],
        &["test", "file", "-ot", "empty"],
        &["test", "file", "-ef", "./file"],
        &["test", "file", "-nt", "missing"],
        &["test", "-e", "missing"],
        &["test", " 12 ", "-eq", "+12"],
        &["test", "-5", "-lt", "-4"],
        &["test", "123456789012345678901234567890", "-gt", "9"],
        &["test", "abc", "<", "abd"],
        &["test", "b", ">", "a"],
        &["test", "x", "!=", "x"],
        &["test", "1", "-eq", "x"],
        &["test", "-q", "x"],
        &["test", "a", "b"],
        &["test", "a", "b", "c"],
        &["test", "(", "a"],
        &["test", "a", "-a"],
        &["test", "-t", "5"],
        &["[", "a", "=", "a", "]"],
        &["[", "a", "=", "a"],
        &["[", "]"],
        &["[", "(", "-n", "x", ")", "-a", "(", "!", "-z", "", ")", "]"],
    ];
    let mut failures = Vec::new();
    for argv in cases {
        let ours = capsa(&f.run(argv, ""));
        let theirs = native(f.path(), argv);
        // An error (2) says why on stderr; true and false say nothing.
        let explained = (ours.code == 2) != ours.stderr.is_empty();
        if (ours.code, &ours.stdout) != (theirs.code, &theirs.stdout) || !explained {
            failures.push(format!("{argv:?}\n  capsa:  {ours:?}\n  native: {theirs:?}"));
        }
    }
    assert!(failures.is_empty(), "{} of {} differ:\n{}", failures.len(), cases.len(), failures.join("\n"));
}
