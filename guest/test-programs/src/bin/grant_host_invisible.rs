//! Nothing of the host is visible. Host paths that the VM's own tree does not
//! have do not exist (`NOENT`, or `ACCES` beneath the VM's private `/root`), by
//! raw calls and by `std::fs`; `/tmp` and `/home/user` start empty; the VM root
//! lists none of the host's top-level directories; `..` at the VM root stays
//! there. The files both trees have (`/etc/passwd`, `/etc/hostname`) are the
//! VM's own: the program prints them between markers for the host to compare.
//!
//! Host: grants nothing; checks the printed files are not the host's.

use test_programs::{RIGHTS_READ, list_names, ok, open_dir, p1, read_file, wasi};

fn main() {
    let root = open_dir("/");
    for path in [
        "etc/shadow",
        "etc/gshadow",
        "etc/ssh",
        "etc/sudoers",
        "etc/machine-id",
        "etc/resolv.conf",
        "proc",
        "proc/self/environ",
        "proc/self/mem",
        "sys",
        "var",
        "boot",
        "run",
        "work",
        "home/user/.ssh",
        "home/user/.bashrc",
        "root/.ssh",
        "root/.bashrc",
        "root/.cargo",
        "tmp/.X11-unix",
    ] {
        // The VM's /root is private to root: a user may not even look.
        let allowed: &[wasi::Errno] =
            if path.starts_with("root/") { &[wasi::ERRNO_NOENT, wasi::ERRNO_ACCES] } else { &[wasi::ERRNO_NOENT] };
        for (what, result) in [
            ("path_open", p1::path_open(root, 0, path, 0, RIGHTS_READ, 0).map(drop)),
            ("path_filestat_get", p1::path_filestat_get(root, 0, path).map(drop)),
        ] {
            let err = result.expect_err(&format!("{what} /{path} succeeded"));
            assert!(allowed.contains(&err), "{what} /{path}: {err:?}");
        }
        let err = std::fs::metadata(format!("/{path}")).expect_err(path);
        let errno = err.raw_os_error().expect("an errno");
        assert!(allowed.iter().any(|e| i32::from(e.raw()) == errno), "std::fs::metadata /{path}: {err}");
    }

    // A fresh VM's own directories hold nothing of the host's.
    assert_eq!(list_names(open_dir("/tmp")), Vec::<String>::new(), "/tmp of a fresh VM");
    assert_eq!(list_names(open_dir("/home")), ["user"]);
    assert_eq!(list_names(open_dir("/home/user")), Vec::<String>::new());

    // The VM root: its own directories, none of the host's.
    let names = list_names(root);
    for want in ["dev", "etc", "home", "tmp"] {
        assert!(names.iter().any(|n| n == want), "/{want} missing from {names:?}");
    }
    for host_only in ["proc", "sys", "boot", "var", "run", "srv", "opt", "mnt", "media", "snap", "lib64", "work"] {
        assert!(!names.iter().any(|n| n == host_only), "host dir /{host_only} visible: {names:?}");
    }
    let etc = list_names(open_dir("/etc"));
    for host_only in ["shadow", "ssh", "sudoers", "machine-id", "ld.so.cache", "resolv.conf"] {
        assert!(!etc.iter().any(|n| n == host_only), "host file /etc/{host_only} visible: {etc:?}");
    }

    // `..` at the VM root stays there.
    let up = p1::path_open(root, 0, "../../..", wasi::OFLAGS_DIRECTORY, RIGHTS_READ, 0).expect("open ../../..");
    assert_eq!(list_names(up), names, "`..` above the VM root left it");

    for (marker, path) in [("passwd", "etc/passwd"), ("hostname", "etc/hostname")] {
        let contents = match p1::path_filestat_get(root, 0, path) {
            Ok(_) => String::from_utf8_lossy(&read_file(root, path)).into_owned(),
            Err(e) => {
                assert_eq!(e, wasi::ERRNO_NOENT, "/{path}");
                String::new()
            }
        };
        println!("---{marker}---");
        println!("{contents}");
        println!("---end---");
    }
    ok();
}
