//! `path_symlink` and `path_readlink`: links to files and directories are
//! followed when asked, readlink returns the target text (truncated silently to
//! the buffer), `INVAL` on a non-symlink, `NOENT` on a missing name, `EXIST`
//! when the link name is taken; dangling links are allowed and resolve to
//! `NOENT`.
//!
//! Host: runs it in `/scratch` and `/tmp`.

use test_programs::{RIGHTS_READ, assert_errno, create_file, exists, ok, p1, read_file, read_to_end, wasi, work_dir};

const FOLLOW: wasi::Lookupflags = wasi::LOOKUPFLAGS_SYMLINK_FOLLOW;

fn main() {
    let dir = work_dir();
    create_file(dir, "target", b"target contents");
    p1::path_create_directory(dir, "sub").expect("mkdir");
    create_file(dir, "sub/inner", b"inner contents");

    // To a file: followed by open, readlink gives the text.
    p1::path_symlink("target", dir, "link").expect("symlink");
    assert_eq!(read_file(dir, "link"), b"target contents");
    assert_eq!(p1::readlink(dir, "link").expect("readlink"), b"target");
    let st = p1::path_filestat_get(dir, 0, "link").expect("lstat");
    assert_eq!(st.filetype, wasi::FILETYPE_SYMBOLIC_LINK);
    assert_eq!(st.size, 6, "a symlink's size is its target's length");

    // readlink into small buffers truncates without error or overrun.
    let mut buf = [0u8; 10];
    assert_eq!(p1::path_readlink(dir, "link", &mut buf).expect("readlink"), 6);
    assert_eq!(&buf, b"target\0\0\0\0", "bytes past the target were written");
    let mut small = [0u8; 4];
    assert_eq!(p1::path_readlink(dir, "link", &mut small).expect("readlink into 4 bytes"), 4);
    assert_eq!(&small, b"targ");

    // To a directory, and through it.
    p1::path_symlink("sub", dir, "sublink").expect("symlink to a dir");
    assert_eq!(read_file(dir, "sublink/inner"), b"inner contents");
    let d = p1::path_open(dir, FOLLOW, "sublink", wasi::OFLAGS_DIRECTORY, RIGHTS_READ, 0).expect("open a dir symlink");
    assert_eq!(read_file(d, "inner"), b"inner contents");
    p1::fd_close(d).expect("close");

    // Relative targets resolve from the link's directory.
    p1::path_symlink("../target", dir, "sub/up").expect("symlink with ..");
    assert_eq!(read_file(dir, "sub/up"), b"target contents");
    p1::path_symlink("inner", dir, "sub/side").expect("symlink");
    assert_eq!(read_file(dir, "sub/side"), b"inner contents");
    // A chain of links.
    p1::path_symlink("link", dir, "link2").expect("symlink to a symlink");
    assert_eq!(read_file(dir, "link2"), b"target contents");
    assert_eq!(p1::readlink(dir, "link2").expect("readlink"), b"link", "readlink reads one level");

    // readlink of things that are not symlinks.
    assert_errno!(p1::readlink(dir, "target"), wasi::ERRNO_INVAL);
    assert_errno!(p1::readlink(dir, "sub"), wasi::ERRNO_INVAL);
    assert_errno!(p1::readlink(dir, "missing"), wasi::ERRNO_NOENT);

    // The link name must be free.
    assert_errno!(p1::path_symlink("x", dir, "target"), wasi::ERRNO_EXIST);
    assert_errno!(p1::path_symlink("x", dir, "sub"), wasi::ERRNO_EXIST);
    assert_errno!(p1::path_symlink("x", dir, "link"), wasi::ERRNO_EXIST);
    assert_errno!(p1::path_symlink("x", dir, "nodir/link"), wasi::ERRNO_NOENT);
    assert_eq!(read_file(dir, "target"), b"target contents");

    // Dangling: created fine, NOENT when followed, readlink still works.
    p1::path_symlink("does-not-exist", dir, "dangling").expect("dangling symlink");
    assert_errno!(p1::path_open(dir, FOLLOW, "dangling", 0, RIGHTS_READ, 0), wasi::ERRNO_NOENT);
    assert_errno!(p1::path_filestat_get(dir, FOLLOW, "dangling"), wasi::ERRNO_NOENT);
    assert_eq!(p1::readlink(dir, "dangling").expect("readlink"), b"does-not-exist");
    // CREAT through a dangling link creates its target (as Linux does).
    let fd = p1::path_open(dir, FOLLOW, "dangling", wasi::OFLAGS_CREAT, test_programs::RIGHTS_RW, 0)
        .expect("CREAT through a dangling symlink");
    p1::write(fd, b"made").expect("write");
    p1::fd_close(fd).expect("close");
    assert!(exists(dir, "does-not-exist"), "target created");
    let fd = p1::path_open(dir, FOLLOW, "dangling", 0, RIGHTS_READ, 0).expect("no longer dangling");
    assert_eq!(read_to_end(fd), b"made");
    p1::fd_close(fd).expect("close");

    // A non-ASCII target, read back with growing buffers.
    let name = "Действие";
    p1::path_symlink(name, dir, "uni").expect("symlink");
    let mut grown = Vec::new();
    for len in 0..=name.len() {
        let mut b = vec![0u8; len];
        let n = p1::path_readlink(dir, "uni", &mut b).expect("readlink");
        assert_eq!(n, len, "readlink fills a buffer shorter than the target");
        grown = b;
    }
    assert_eq!(grown, name.as_bytes());

    for f in
        ["link", "link2", "sublink", "sub/up", "sub/side", "sub/inner", "dangling", "does-not-exist", "uni", "target"]
    {
        p1::path_unlink_file(dir, f).unwrap_or_else(|e| panic!("unlink {f}: {e:?}"));
    }
    p1::path_remove_directory(dir, "sub").expect("rmdir");
    ok();
}
