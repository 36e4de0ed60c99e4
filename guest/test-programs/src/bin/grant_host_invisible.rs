//! Nothing of the host is visible: host paths that are not granted do not exist
//! in the VM (`NOENT`), by raw calls and by `std::fs`, and the VM root lists
//! only the VM's own directories. `/etc/passwd` exists but is the VM's own;
//! the program prints it between markers so the host can compare.
//!
//! Host: grants nothing; checks the printed passwd is not the host's.

use test_programs::{RIGHTS_READ, assert_errno, assert_io_errno, list_names, ok, open_dir, p1, read_file, wasi};

fn main() {
    let root = open_dir("/");
    for path in [
        "etc/hostname",
        "etc/shadow",
        "etc/hosts",
        "etc/resolv.conf",
        "root",
        "proc/self/environ",
        "proc/self/mem",
        "proc",
        "sys",
        "usr/bin",
        "bin/sh",
        "var",
        "boot",
        "home/user/.ssh",
        "work",
    ] {
        assert_errno!(p1::path_open(root, 0, path, 0, RIGHTS_READ, 0), wasi::ERRNO_NOENT);
        assert_errno!(p1::path_filestat_get(root, 0, path), wasi::ERRNO_NOENT);
        let abs = format!("/{path}");
        let err = std::fs::metadata(&abs).expect_err(&abs);
        assert_io_errno(&err, wasi::ERRNO_NOENT);
    }

    // The VM root: its own directories, none of the host's.
    let names = list_names(root);
    for want in ["dev", "etc", "home", "tmp"] {
        assert!(names.iter().any(|n| n == want), "/{want} missing from {names:?}");
    }
    for host_only in ["proc", "sys", "root", "boot", "var", "usr", "bin", "lib", "opt", "srv"] {
        assert!(!names.iter().any(|n| n == host_only), "host dir /{host_only} visible: {names:?}");
    }
    // `..` at the VM root stays there.
    let up = p1::path_open(root, 0, "../../..", wasi::OFLAGS_DIRECTORY, RIGHTS_READ, 0).expect("open ../../..");
    assert_eq!(list_names(up), names, "`..` above the VM root left it");

    let passwd = read_file(root, "etc/passwd");
    println!("---passwd---");
    println!("{}", String::from_utf8_lossy(&passwd));
    println!("---end---");
    ok();
}
