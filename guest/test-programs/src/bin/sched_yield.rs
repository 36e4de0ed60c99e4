//! `sched_yield` succeeds (there is nothing to yield to, but it is no error).

use test_programs::{ok, p1};

fn main() {
    for _ in 0..100 {
        p1::sched_yield().expect("sched_yield");
    }
    std::thread::yield_now();
    ok();
}
