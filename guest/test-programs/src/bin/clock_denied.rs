//! Without the clock grant the clocks fail closed with `NOSYS`, and file
//! timestamps read as 0 (so `stat` cannot be used to learn the time).

use test_programs::{RIGHTS_RW, assert_errno, ok, open_dir, p1, wasi};

fn main() {
    for id in [wasi::CLOCKID_REALTIME, wasi::CLOCKID_MONOTONIC] {
        assert_errno!(p1::clock_time_get(id, 1), wasi::ERRNO_NOSYS);
        assert_errno!(p1::clock_res_get(id), wasi::ERRNO_NOSYS);
    }
    // The CPU-time clocks tell time too; whatever the reason, they must fail.
    for id in [wasi::CLOCKID_PROCESS_CPUTIME_ID, wasi::CLOCKID_THREAD_CPUTIME_ID] {
        assert_errno!(p1::clock_time_get(id, 1), wasi::ERRNO_NOSYS, wasi::ERRNO_INVAL);
    }

    let tmp = open_dir("/tmp");
    let fd = p1::path_open(tmp, 0, "stamp", wasi::OFLAGS_CREAT, RIGHTS_RW, 0).expect("create");
    p1::write(fd, b"x").expect("write");
    for stat in [
        p1::fd_filestat_get(fd).expect("fd_filestat_get"),
        p1::path_filestat_get(tmp, 0, "stamp").expect("path_filestat_get"),
        p1::fd_filestat_get(tmp).expect("stat /tmp"),
        p1::path_filestat_get(open_dir("/"), 0, "etc/passwd").expect("stat /etc/passwd"),
    ] {
        assert_eq!((stat.atim, stat.mtim, stat.ctim), (0, 0, 0), "timestamps without the clock grant");
    }
    // Setting a time to "now" must not reveal the time either.
    p1::fd_filestat_set_times(fd, 0, 0, wasi::FSTFLAGS_ATIM_NOW | wasi::FSTFLAGS_MTIM_NOW).expect("set times to now");
    let stat = p1::fd_filestat_get(fd).expect("fd_filestat_get");
    assert_eq!((stat.atim, stat.mtim, stat.ctim), (0, 0, 0), "after set_times(now)");
    p1::fd_close(fd).expect("close");
    ok();
}
