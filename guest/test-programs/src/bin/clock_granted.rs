//! With the clock grant: the realtime clock reads the host's time, the
//! monotonic clock never goes back and advances across a sleep, both have a
//! non-zero resolution, and an unknown clock id is `INVAL` (an errno, not a
//! trap as in wasmtime: only a bad guest pointer traps).
//!
//! Host: grants the clock and passes its own Unix time in seconds as argv[1].

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use test_programs::{assert_errno, ok, p1, wasi};

fn main() {
    let host_secs: u64 =
        std::env::args().nth(1).expect("usage: clock_granted <host unix seconds>").parse().expect("host seconds");

    let now = p1::clock_time_get(wasi::CLOCKID_REALTIME, 1).expect("realtime");
    let guest_secs = now / 1_000_000_000;
    assert!(guest_secs.abs_diff(host_secs) < 120, "realtime {guest_secs}s is far from the host's {host_secs}s");
    let std_now = SystemTime::now().duration_since(UNIX_EPOCH).expect("after the epoch");
    assert!(std_now.as_secs().abs_diff(host_secs) < 120, "SystemTime::now");

    let mut last = p1::clock_time_get(wasi::CLOCKID_MONOTONIC, 1).expect("monotonic");
    for _ in 0..1000 {
        let t = p1::clock_time_get(wasi::CLOCKID_MONOTONIC, 1).expect("monotonic");
        assert!(t >= last, "monotonic clock went back: {t} < {last}");
        last = t;
    }
    let before = Instant::now();
    std::thread::sleep(Duration::from_millis(20));
    let slept = before.elapsed();
    assert!(slept >= Duration::from_millis(20), "slept only {slept:?}");
    let after = p1::clock_time_get(wasi::CLOCKID_MONOTONIC, 1).expect("monotonic");
    assert!(after - last >= 20_000_000, "monotonic did not advance across a sleep");

    for id in [wasi::CLOCKID_REALTIME, wasi::CLOCKID_MONOTONIC] {
        let res = p1::clock_res_get(id).expect("clock_res_get");
        assert!(res > 0, "{id:?} resolution is 0");
        assert!(res <= 1_000_000_000, "{id:?} resolution {res}ns is over a second");
    }

    assert_errno!(p1::clock_time_get_raw(99), wasi::ERRNO_INVAL);
    ok();
}
