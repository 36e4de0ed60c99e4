//! Symlinks inside a granted dir that point outside it. Beneath the mount's own
//! preopen they fail closed with `PERM` for every operation; beneath the VM
//! root they resolve inside the VM (the root is a chroot), never to the host.
//!
//! Host: grants a dir at `/scratch` that holds `esc_rel -> ../../../../etc/passwd`,
//! `esc_abs -> /etc/passwd`, `esc_up -> ..`, `esc_sibling -> ../secret.txt`
//! and `sub/`; `secret.txt` sits next to the granted dir on the host. Checks
//! afterwards that nothing outside the grant changed.

use test_programs::{RIGHTS_READ, RIGHTS_RW, assert_errno, assert_io_errno, ok, p1, preopen, read_file, wasi};

const FOLLOW: wasi::Lookupflags = wasi::LOOKUPFLAGS_SYMLINK_FOLLOW;

fn main() {
    let scratch = preopen("/scratch");
    let root = preopen("/");
    let perm = wasi::ERRNO_PERM;

    // The links are there. Their text may be read (it is only text) or refused
    // as wasmtime does (cap-std will not return a target that leaves the dir).
    for (link, target) in [("esc_rel", &b"../../../../etc/passwd"[..]), ("esc_abs", b"/etc/passwd")] {
        assert_eq!(p1::path_filestat_get(scratch, 0, link).expect("lstat").filetype, wasi::FILETYPE_SYMBOLIC_LINK);
        match p1::readlink(scratch, link) {
            Ok(text) => assert_eq!(text, target, "readlink {link}"),
            Err(e) => assert_eq!(e, perm, "readlink {link}"),
        }
    }

    // Beneath the mount's preopen: every use of them is PERM.
    for link in ["esc_rel", "esc_abs", "esc_sibling"] {
        assert_errno!(p1::path_open(scratch, FOLLOW, link, 0, RIGHTS_READ, 0), perm);
        assert_errno!(p1::path_open(scratch, FOLLOW, link, wasi::OFLAGS_CREAT, RIGHTS_RW, 0), perm);
        assert_errno!(p1::path_filestat_get(scratch, FOLLOW, link), perm);
        assert_errno!(p1::path_filestat_set_times(scratch, FOLLOW, link, 1, 1, wasi::FSTFLAGS_MTIM), perm);
    }
    for path in ["esc_up/secret.txt", "esc_up/", "sub/../esc_up/x", "esc_abs/.."] {
        assert_errno!(p1::path_open(scratch, FOLLOW, path, 0, RIGHTS_READ, 0), perm, wasi::ERRNO_NOTDIR);
    }
    assert_errno!(p1::path_open(scratch, 0, "esc_up/secret.txt", 0, RIGHTS_READ, 0), perm);
    assert_errno!(p1::path_create_directory(scratch, "esc_up/newdir"), perm);
    assert_errno!(p1::path_unlink_file(scratch, "esc_up/secret.txt"), perm);
    assert_errno!(p1::path_symlink("x", scratch, "esc_up/newlink"), perm);
    assert_errno!(p1::path_rename(scratch, "sub", scratch, "esc_up/stolen"), perm);
    assert_errno!(p1::path_link(scratch, 0, "esc_up/secret.txt", scratch, "copy"), perm);
    assert_errno!(p1::path_open(scratch, 0, "esc_up/planted", wasi::OFLAGS_CREAT, RIGHTS_RW, 0), perm);
    // std::fs picks the longest preopen, /scratch, so it sees the same PERM.
    let err = std::fs::read("/scratch/esc_rel").expect_err("read through esc_rel");
    assert_io_errno(&err, perm);
    let err = std::fs::read("/scratch/esc_up/secret.txt").expect_err("read through esc_up");
    assert_io_errno(&err, perm);

    // Beneath the VM root the same links resolve inside the VM.
    let vm_passwd = read_file(root, "etc/passwd");
    assert_eq!(read_file(root, "scratch/esc_rel"), vm_passwd, "esc_rel from the VM root");
    assert_eq!(read_file(root, "scratch/esc_abs"), vm_passwd, "esc_abs from the VM root");
    // `..` of the mount point is the VM root, which has no secret.txt.
    assert_errno!(p1::path_open(root, FOLLOW, "scratch/esc_sibling", 0, RIGHTS_READ, 0), wasi::ERRNO_NOENT);
    let up = p1::path_open(root, 0, "scratch/..", wasi::OFLAGS_DIRECTORY, RIGHTS_READ, 0)
        .expect("open /scratch/.. beneath the VM root");
    assert_errno!(p1::path_filestat_get(up, 0, "secret.txt"), wasi::ERRNO_NOENT);
    println!("---passwd---");
    println!("{}", String::from_utf8_lossy(&vm_passwd));
    println!("---end---");
    ok();
}
