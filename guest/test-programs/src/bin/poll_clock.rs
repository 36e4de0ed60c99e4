//! `poll_oneoff` with relative clock subscriptions sleeps, and works without
//! the clock grant (it waits; it does not tell the time): one event per call,
//! with the subscription's userdata, type `CLOCK` and no error. An empty
//! subscription list is `INVAL`. `std::thread::sleep` works the same way.
//!
//! Host: no clock grant; checks that the run took at least the 150 ms slept.

use std::time::Duration;

use test_programs::{assert_errno, ok, p1, wasi};

fn main() {
    for (userdata, id) in [(0x1234_5678u64, wasi::CLOCKID_MONOTONIC), (42, wasi::CLOCKID_REALTIME)] {
        let events = p1::poll_oneoff(&[p1::sub_clock(userdata, id, 50_000_000, 0)]).expect("poll_oneoff");
        assert_eq!(events.len(), 1, "one clock event");
        let e = events[0];
        assert_eq!(e.userdata, userdata);
        assert_eq!(e.type_, wasi::EVENTTYPE_CLOCK);
        assert_eq!(e.error, wasi::ERRNO_SUCCESS);
    }

    // Two timers: the shorter one fires (the longer may too, never alone).
    let events = p1::poll_oneoff(&[
        p1::sub_clock(1, wasi::CLOCKID_MONOTONIC, 10_000_000, 0),
        p1::sub_clock(2, wasi::CLOCKID_MONOTONIC, 60_000_000_000, 0),
    ])
    .expect("poll_oneoff with two timers");
    assert!(events.iter().any(|e| e.userdata == 1), "the 10 ms timer did not fire: {events:?}");
    assert!(events.iter().all(|e| e.userdata == 1), "the 60 s timer fired: {events:?}");

    // A zero timeout returns at once.
    let events = p1::poll_oneoff(&[p1::sub_clock(3, wasi::CLOCKID_MONOTONIC, 0, 0)]).expect("poll 0");
    assert_eq!(events.len(), 1);

    assert_errno!(p1::poll_oneoff(&[]), wasi::ERRNO_INVAL);

    std::thread::sleep(Duration::from_millis(40));
    ok();
}
