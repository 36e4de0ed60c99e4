//! `fd_filestat_get`, `fd_filestat_set_size` and `fd_filestat_set_times` on a
//! file and a directory: sizes, types, link counts, inode numbers that agree
//! with `path_filestat_get`, zero-filled growth, exact timestamps, `*_NOW`, and
//! `INVAL` for contradictory flags.
//!
//! Host: grants the clock; runs it in `/scratch` and `/tmp`.

use test_programs::{RIGHTS_READ, RIGHTS_RW, assert_errno, ok, p1, read_file, wasi, work_dir};

const SEC: u64 = 1_000_000_000;

fn main() {
    let dir = work_dir();
    let fd = p1::path_open(dir, 0, "file", wasi::OFLAGS_CREAT, RIGHTS_RW, 0).expect("create");
    let st = p1::fd_filestat_get(fd).expect("fd_filestat_get");
    assert_eq!(st.filetype, wasi::FILETYPE_REGULAR_FILE);
    assert_eq!(st.size, 0);
    assert_eq!(st.nlink, 1);
    let by_path = p1::path_filestat_get(dir, 0, "file").expect("path_filestat_get");
    assert_eq!((by_path.dev, by_path.ino), (st.dev, st.ino), "fd and path stat disagree");
    let dst = p1::fd_filestat_get(dir).expect("stat of the directory");
    assert_eq!(dst.filetype, wasi::FILETYPE_DIRECTORY);
    assert_eq!(dst.dev, st.dev, "a file and its directory are on different devices");
    assert_ne!(dst.ino, st.ino);

    p1::write(fd, b"0123456789").expect("write");
    assert_eq!(p1::fd_filestat_get(fd).expect("stat").size, 10);

    // Grow (zero-filled), shrink, and the offset is untouched.
    p1::fd_filestat_set_size(fd, 100).expect("grow");
    assert_eq!(p1::fd_filestat_get(fd).expect("stat").size, 100);
    let contents = read_file(dir, "file");
    assert_eq!(&contents[..10], b"0123456789");
    assert!(contents[10..].iter().all(|&b| b == 0), "growth is not zero-filled");
    p1::fd_filestat_set_size(fd, 5).expect("shrink");
    assert_eq!(read_file(dir, "file"), b"01234");
    assert_eq!(p1::fd_tell(fd).expect("tell"), 10, "set_size moved the offset");
    p1::fd_filestat_set_size(fd, 0).expect("truncate to 0");
    assert_eq!(p1::fd_filestat_get(fd).expect("stat").size, 0);

    // Exact times.
    let (atim, mtim) = (1_000 * SEC + 123, 2_000 * SEC + 456_789);
    p1::fd_filestat_set_times(fd, atim, mtim, wasi::FSTFLAGS_ATIM | wasi::FSTFLAGS_MTIM).expect("set both times");
    let st = p1::fd_filestat_get(fd).expect("stat");
    assert_eq!((st.atim, st.mtim), (atim, mtim), "times set exactly");
    // Only mtim: atim stays.
    p1::fd_filestat_set_times(fd, 0, 3_000 * SEC, wasi::FSTFLAGS_MTIM).expect("set mtim");
    let st = p1::fd_filestat_get(fd).expect("stat");
    assert_eq!((st.atim, st.mtim), (atim, 3_000 * SEC));

    // NOW follows the (granted) realtime clock.
    let now = p1::clock_time_get(wasi::CLOCKID_REALTIME, 1).expect("clock");
    p1::fd_filestat_set_times(fd, 0, 0, wasi::FSTFLAGS_ATIM_NOW | wasi::FSTFLAGS_MTIM_NOW).expect("set times to now");
    let st = p1::fd_filestat_get(fd).expect("stat");
    for t in [st.atim, st.mtim] {
        assert!(t.abs_diff(now) < 10 * SEC, "NOW gave {t}, clock says {now}");
    }

    // Contradictory flags are INVAL and change nothing.
    assert_errno!(
        p1::fd_filestat_set_times(fd, 5, 5, wasi::FSTFLAGS_ATIM | wasi::FSTFLAGS_ATIM_NOW),
        wasi::ERRNO_INVAL
    );
    assert_errno!(
        p1::fd_filestat_set_times(fd, 5, 5, wasi::FSTFLAGS_MTIM | wasi::FSTFLAGS_MTIM_NOW),
        wasi::ERRNO_INVAL
    );
    let unchanged = p1::fd_filestat_get(fd).expect("stat");
    assert_eq!((unchanged.atim, unchanged.mtim), (st.atim, st.mtim));

    // A write updates mtim.
    p1::fd_filestat_set_times(fd, 0, 1_000 * SEC, wasi::FSTFLAGS_MTIM).expect("set mtim");
    p1::write(fd, b"x").expect("write");
    let st = p1::fd_filestat_get(fd).expect("stat");
    assert!(st.mtim.abs_diff(now) < 10 * SEC, "write did not update mtim: {}", st.mtim);

    // Setting the size needs a writable fd.
    let ro = p1::path_open(dir, 0, "file", 0, RIGHTS_READ, 0).expect("open read-only");
    assert_errno!(p1::fd_filestat_set_size(ro, 0), wasi::ERRNO_BADF, wasi::ERRNO_INVAL);
    assert_eq!(p1::fd_filestat_get(ro).expect("stat").size, 11);
    p1::fd_close(ro).expect("close");

    p1::fd_close(fd).expect("close");
    assert_errno!(p1::fd_filestat_get(fd), wasi::ERRNO_BADF);
    p1::path_unlink_file(dir, "file").expect("unlink");
    ok();
}
