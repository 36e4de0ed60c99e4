//! Spins forever without a syscall. The host must kill it (fuel or wall clock).

use std::hint::black_box;

fn main() {
    println!("spinning");
    let mut x: u64 = 0;
    loop {
        x = black_box(x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1));
    }
}
