//! `path_filestat_get` and `path_filestat_set_times`: type, size and inode by
//! path, following or not; exact times, `*_NOW` from the clock, `INVAL` for
//! contradictory flags, `NOENT` for a missing name; setting a symlink's target
//! times through the link when following.
//!
//! Host: grants the clock; runs it in `/scratch` and `/tmp`.

use test_programs::{RIGHTS_RW, assert_errno, create_file, ok, p1, wasi, work_dir};

const SEC: u64 = 1_000_000_000;
const FOLLOW: wasi::Lookupflags = wasi::LOOKUPFLAGS_SYMLINK_FOLLOW;

fn main() {
    let dir = work_dir();
    create_file(dir, "file", b"twelve bytes");
    p1::path_create_directory(dir, "dir").expect("mkdir");
    p1::path_symlink("file", dir, "link").expect("symlink");

    let st = p1::path_filestat_get(dir, 0, "file").expect("stat file");
    assert_eq!((st.filetype, st.size, st.nlink), (wasi::FILETYPE_REGULAR_FILE, 12, 1));
    let fd = p1::path_open(dir, 0, "file", 0, RIGHTS_RW, 0).expect("open");
    assert_eq!(p1::fd_filestat_get(fd).expect("fstat").ino, st.ino);
    p1::fd_close(fd).expect("close");
    assert_eq!(p1::path_filestat_get(dir, 0, "dir").expect("stat dir").filetype, wasi::FILETYPE_DIRECTORY);
    assert_eq!(p1::path_filestat_get(dir, 0, ".").expect("stat .").ino, p1::fd_filestat_get(dir).expect("fstat").ino);
    assert_errno!(p1::path_filestat_get(dir, 0, "missing"), wasi::ERRNO_NOENT);
    assert_errno!(p1::path_filestat_get(dir, 0, "file/x"), wasi::ERRNO_NOTDIR);

    // Exact times.
    let (atim, mtim) = (1_111 * SEC + 1, 2_222 * SEC + 2);
    p1::path_filestat_set_times(dir, 0, "file", atim, mtim, wasi::FSTFLAGS_ATIM | wasi::FSTFLAGS_MTIM)
        .expect("set times");
    let st = p1::path_filestat_get(dir, 0, "file").expect("stat");
    assert_eq!((st.atim, st.mtim), (atim, mtim));
    // One at a time.
    p1::path_filestat_set_times(dir, 0, "file", 5 * SEC, 0, wasi::FSTFLAGS_ATIM).expect("set atim");
    let st = p1::path_filestat_get(dir, 0, "file").expect("stat");
    assert_eq!((st.atim, st.mtim), (5 * SEC, mtim), "setting atim changed mtim");
    // On a directory.
    p1::path_filestat_set_times(dir, 0, "dir", 0, 7 * SEC, wasi::FSTFLAGS_MTIM).expect("set dir mtim");
    assert_eq!(p1::path_filestat_get(dir, 0, "dir").expect("stat").mtim, 7 * SEC);

    // Through a symlink when following: the target changes.
    p1::path_filestat_set_times(dir, FOLLOW, "link", 0, 9 * SEC, wasi::FSTFLAGS_MTIM)
        .expect("set times through a link");
    assert_eq!(p1::path_filestat_get(dir, 0, "file").expect("stat").mtim, 9 * SEC);

    // NOW.
    let now = p1::clock_time_get(wasi::CLOCKID_REALTIME, 1).expect("clock");
    p1::path_filestat_set_times(dir, 0, "file", 0, 0, wasi::FSTFLAGS_ATIM_NOW | wasi::FSTFLAGS_MTIM_NOW)
        .expect("set times to now");
    let st = p1::path_filestat_get(dir, 0, "file").expect("stat");
    for t in [st.atim, st.mtim] {
        assert!(t.abs_diff(now) < 10 * SEC, "NOW gave {t}, clock says {now}");
    }

    // Contradictory flags; a missing file.
    assert_errno!(
        p1::path_filestat_set_times(dir, 0, "file", 1, 1, wasi::FSTFLAGS_ATIM | wasi::FSTFLAGS_ATIM_NOW),
        wasi::ERRNO_INVAL
    );
    assert_errno!(
        p1::path_filestat_set_times(dir, 0, "file", 1, 1, wasi::FSTFLAGS_MTIM | wasi::FSTFLAGS_MTIM_NOW),
        wasi::ERRNO_INVAL
    );
    let unchanged = p1::path_filestat_get(dir, 0, "file").expect("stat");
    assert_eq!((unchanged.atim, unchanged.mtim), (st.atim, st.mtim), "a failed set_times changed times");
    assert_errno!(p1::path_filestat_set_times(dir, 0, "missing", 1, 1, wasi::FSTFLAGS_MTIM), wasi::ERRNO_NOENT);

    p1::path_unlink_file(dir, "link").expect("unlink");
    p1::path_unlink_file(dir, "file").expect("unlink");
    p1::path_remove_directory(dir, "dir").expect("rmdir");
    ok();
}
