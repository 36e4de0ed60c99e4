//! `fd_advise` accepts every defined advice (it is only a hint), rejects an
//! unknown advice with `INVAL`, and does not change the file. (wasmtime traps
//! on the unknown advice instead; capsa's rule is that only a bad guest pointer
//! traps and every other bad argument is an errno.)
//!
//! Host: runs it in `/scratch` and `/tmp`.

use test_programs::{RIGHTS_RW, assert_errno, ok, p1, read_file, wasi, work_dir};

fn main() {
    let dir = work_dir();
    let fd = p1::path_open(dir, 0, "file", wasi::OFLAGS_CREAT, RIGHTS_RW, 0).expect("create");
    p1::write(fd, &[3u8; 500]).expect("write");
    for advice in [
        wasi::ADVICE_NORMAL,
        wasi::ADVICE_SEQUENTIAL,
        wasi::ADVICE_RANDOM,
        wasi::ADVICE_WILLNEED,
        wasi::ADVICE_DONTNEED,
        wasi::ADVICE_NOREUSE,
    ] {
        p1::fd_advise(fd, 0, 500, advice).unwrap_or_else(|e| panic!("advice {advice:?}: {e:?}"));
        // A range past the end is fine too.
        p1::fd_advise(fd, 1000, 1 << 40, advice).expect("advice past the end");
    }
    assert_errno!(p1::fd_advise_raw(fd, 0, 10, 6), wasi::ERRNO_INVAL);
    assert_errno!(p1::fd_advise_raw(fd, 0, 10, 200), wasi::ERRNO_INVAL);
    let stat = p1::fd_filestat_get(fd).expect("stat");
    assert_eq!(stat.size, 500, "advice changed the size");
    assert_eq!(p1::fd_tell(fd).expect("tell"), 500, "advice moved the offset");
    p1::fd_close(fd).expect("close");
    assert_eq!(read_file(dir, "file"), [3u8; 500]);
    assert_errno!(p1::fd_advise(fd, 0, 1, wasi::ADVICE_NORMAL), wasi::ERRNO_BADF);
    p1::path_unlink_file(dir, "file").expect("unlink");
    ok();
}
