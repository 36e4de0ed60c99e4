//! Mode bits apply to the VM's own files: the unprivileged user (uid 1000)
//! cannot open anything under `/root` (0700 root) or list it, cannot create
//! files in `/bin` or `/etc`, cannot write `/etc/passwd` (0644 root), but can
//! read it and can write its home and `/tmp`. Root (argv[1] = `root`) can do
//! all of it.
//!
//! Host: runs it as the default user and as root.

use std::fs::{self, OpenOptions};
use std::io::ErrorKind;

use test_programs::ok;

#[track_caller]
fn denied<T: std::fmt::Debug>(result: std::io::Result<T>, what: &str) {
    let err = result.expect_err(what);
    assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{what}: {err}");
    assert_eq!(err.raw_os_error(), Some(i32::from(wasi::ERRNO_ACCES.raw())), "{what}");
}

fn main() {
    wasi_ext::init().expect("init");
    let root = std::env::args().nth(1).as_deref() == Some("root");
    assert_eq!(wasi_ext::getuid().expect("getuid") == 0, root);

    fs::read_to_string("/etc/passwd").expect("anyone reads /etc/passwd");
    fs::write("/tmp/mine", "x").expect("anyone writes /tmp");
    fs::remove_file("/tmp/mine").expect("cleanup");

    if root {
        fs::write("/root/secret", "root only\n").expect("root writes /root");
        assert_eq!(fs::read_to_string("/root/secret").expect("root reads it"), "root only\n");
        assert!(fs::read_dir("/root").expect("root lists /root").count() >= 1);
        fs::write("/bin/tool", "x").expect("root writes /bin");
        fs::remove_file("/bin/tool").expect("cleanup");
        OpenOptions::new().append(true).open("/etc/passwd").expect("root may write /etc/passwd");
    } else {
        denied(fs::read_to_string("/root/anything"), "open /root/anything");
        denied(fs::read_dir("/root"), "list /root");
        denied(fs::write("/root/new", "x"), "create in /root");
        denied(fs::write("/bin/tool", "x"), "create in /bin");
        denied(fs::write("/etc/new", "x"), "create in /etc");
        denied(fs::create_dir("/bin/dir"), "mkdir in /bin");
        denied(OpenOptions::new().append(true).open("/etc/passwd"), "write /etc/passwd");
        denied(fs::remove_file("/etc/passwd"), "unlink /etc/passwd");
        fs::write("/home/user/notes", "mine\n").expect("user writes its home");
        fs::remove_file("/home/user/notes").expect("cleanup");
    }
    ok();
}
