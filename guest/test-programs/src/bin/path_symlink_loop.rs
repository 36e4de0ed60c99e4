//! Symlink loops and chains: a self-link, a two-link cycle and a chain longer
//! than the symlink budget are `LOOP` when followed, for open, stat and as a
//! path component; a shorter chain resolves.
//!
//! Host: runs it in `/scratch` and `/tmp`.

use test_programs::{RIGHTS_READ, assert_errno, create_file, ok, p1, read_file, wasi, work_dir};

const FOLLOW: wasi::Lookupflags = wasi::LOOKUPFLAGS_SYMLINK_FOLLOW;

fn main() {
    let dir = work_dir();
    p1::path_symlink("self", dir, "self").expect("self-link");
    p1::path_symlink("b", dir, "a").expect("a -> b");
    p1::path_symlink("a", dir, "b").expect("b -> a");
    for name in ["self", "a", "b"] {
        assert_errno!(p1::path_open(dir, FOLLOW, name, 0, RIGHTS_READ, 0), wasi::ERRNO_LOOP);
        assert_errno!(p1::path_filestat_get(dir, FOLLOW, name), wasi::ERRNO_LOOP);
        assert_errno!(p1::path_open(dir, 0, &format!("{name}/x"), 0, RIGHTS_READ, 0), wasi::ERRNO_LOOP);
        assert_errno!(p1::path_create_directory(dir, &format!("{name}/x")), wasi::ERRNO_LOOP);
        // Not following: the links themselves are fine.
        let st = p1::path_filestat_get(dir, 0, name).expect("lstat of a loop");
        assert_eq!(st.filetype, wasi::FILETYPE_SYMBOLIC_LINK);
    }

    // A chain: 10 links resolve, 100 exceed any sane budget.
    create_file(dir, "end", b"end of chain");
    let mut prev = String::from("end");
    for i in 0..100 {
        let name = format!("c{i}");
        p1::path_symlink(&prev, dir, &name).expect("chain link");
        prev = name;
    }
    assert_eq!(read_file(dir, "c9"), b"end of chain");
    assert_errno!(p1::path_open(dir, FOLLOW, "c99", 0, RIGHTS_READ, 0), wasi::ERRNO_LOOP);

    for i in 0..100 {
        p1::path_unlink_file(dir, &format!("c{i}")).expect("unlink");
    }
    for f in ["self", "a", "b", "end"] {
        p1::path_unlink_file(dir, f).expect("unlink");
    }
    ok();
}
