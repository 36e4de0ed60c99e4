//! `proc_raise(0)` (no signal: a permission check in POSIX) succeeds and the
//! program goes on. (wasmtime answers `NOTSUP` for every signal; capsa treats
//! signal 0 as the no-op it is.)

use test_programs::{ok, p1, wasi};

fn main() {
    p1::proc_raise(wasi::SIGNAL_NONE).expect("proc_raise(0)");
    ok();
}
