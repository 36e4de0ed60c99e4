//! Recurses without bound. The wasm stack overflows and the host must see a
//! trap (stack exhaustion), not a hang or a host crash.

use std::sync::atomic::{AtomicU64, Ordering};

static DEPTH: AtomicU64 = AtomicU64::new(0);

/// Not a tail call and not foldable: each frame mixes the result of the next.
#[inline(never)]
fn recurse(n: u64) -> u64 {
    DEPTH.fetch_add(1, Ordering::Relaxed);
    if n == u64::MAX {
        return 1;
    }
    let below = recurse(n + 1);
    let mixed = below.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(n);
    mixed ^ (mixed >> 29)
}

fn main() {
    println!("recursing");
    let r = recurse(std::env::args().count() as u64);
    // Unreachable in practice; printing keeps the result alive.
    println!("returned {r} after {} frames", DEPTH.load(Ordering::Relaxed));
}
