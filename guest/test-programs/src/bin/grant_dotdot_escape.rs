//! `..` beneath a granted dir's preopen cannot climb out of it: every spelling
//! is `PERM`, for every path call, while `..` that stays inside works. Beneath
//! the VM root, `..` of the mount point is the VM root, not the host parent.
//!
//! Host: grants a dir at `/scratch` holding `sub/file`; `secret.txt` sits next
//! to the granted dir on the host. Checks afterwards that it is untouched and
//! nothing was created outside the grant.

use test_programs::{RIGHTS_READ, RIGHTS_RW, assert_errno, assert_io_errno, ok, p1, preopen, read_file, wasi};

fn main() {
    let scratch = preopen("/scratch");
    let root = preopen("/");
    let perm = wasi::ERRNO_PERM;

    assert_eq!(read_file(scratch, "sub/../sub/file"), b"inside");
    for path in ["..", "../secret.txt", "sub/../../secret.txt", "./../secret.txt", "sub/../..", "/secret.txt", "/"] {
        assert_errno!(p1::path_open(scratch, 0, path, 0, RIGHTS_READ, 0), perm);
        assert_errno!(p1::path_filestat_get(scratch, 0, path), perm);
    }
    assert_errno!(p1::path_open(scratch, 0, "../planted", wasi::OFLAGS_CREAT, RIGHTS_RW, 0), perm);
    assert_errno!(p1::path_create_directory(scratch, "../newdir"), perm);
    // `..` as the last component names the parent of the preopen: outside too.
    for up in ["..", "sub/../.."] {
        assert_errno!(p1::path_remove_directory(scratch, up), perm);
        assert_errno!(p1::path_unlink_file(scratch, up), perm);
        assert_errno!(p1::path_create_directory(scratch, up), perm);
        assert_errno!(p1::path_rename(scratch, up, scratch, "moved"), perm);
        assert_errno!(p1::path_rename(scratch, "sub", scratch, up), perm);
        assert_errno!(p1::path_symlink("x", scratch, up), perm);
        assert_errno!(p1::path_link(scratch, 0, "sub/file", scratch, up), perm);
        assert_errno!(p1::path_open(scratch, 0, up, wasi::OFLAGS_CREAT, RIGHTS_RW, 0), perm);
    }
    assert_errno!(p1::path_unlink_file(scratch, "../secret.txt"), perm);
    assert_errno!(p1::path_rename(scratch, "sub/file", scratch, "../moved"), perm);
    assert_errno!(p1::path_rename(scratch, "../secret.txt", scratch, "stolen"), perm);
    assert_errno!(p1::path_link(scratch, 0, "../secret.txt", scratch, "hard"), perm);
    assert_errno!(p1::path_symlink("x", scratch, "../newlink"), perm);
    assert_errno!(p1::readlink(scratch, "../secret.txt"), perm);
    assert_errno!(p1::path_filestat_set_times(scratch, 0, "../secret.txt", 1, 1, wasi::FSTFLAGS_MTIM), perm);

    // An fd opened beneath the mount is a boundary of its own: `..` cannot leave it.
    let sub = p1::path_open(scratch, 0, "sub", wasi::OFLAGS_DIRECTORY, RIGHTS_READ, 0).expect("open sub");
    assert_errno!(p1::path_open(sub, 0, "../sub/file", 0, RIGHTS_READ, 0), perm);
    assert_errno!(p1::path_open(sub, 0, "../../secret.txt", 0, RIGHTS_READ, 0), perm);
    p1::fd_close(sub).expect("close");

    // std::fs with absolute paths: `..` is resolved beneath the longest preopen.
    let err = std::fs::read("/scratch/../secret.txt").expect_err("read /scratch/../secret.txt");
    assert_io_errno(&err, perm);

    // Beneath the VM root, /scratch/.. is the VM root.
    let up = p1::path_open(root, 0, "scratch/..", wasi::OFLAGS_DIRECTORY, RIGHTS_READ, 0).expect("open /scratch/..");
    assert_eq!(p1::fd_filestat_get(up).expect("stat").ino, p1::fd_filestat_get(root).expect("stat").ino);
    assert_errno!(p1::path_filestat_get(root, 0, "scratch/../secret.txt"), wasi::ERRNO_NOENT);
    assert_errno!(p1::path_filestat_get(root, 0, "scratch/../../../secret.txt"), wasi::ERRNO_NOENT);
    ok();
}
