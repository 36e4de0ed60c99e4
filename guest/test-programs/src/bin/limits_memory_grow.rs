//! Grows linear memory 1 MiB at a time until `memory.grow` fails, which the
//! guest must see as a failure (-1), not as a trap. Prints
//! `memory: <total> MiB` and exits 0. Asking for more than a wasm32 memory can
//! ever hold fails the same way.
//!
//! Host: sets a 256 MiB memory limit; checks the total is at most that.

use core::arch::wasm32::{memory_grow, memory_size};

use test_programs::ok;

const PAGE: usize = 64 << 10;
const MIB_PAGES: usize = (1 << 20) / PAGE;

fn main() {
    // Initialise stdout's buffer before memory runs out.
    println!("growing");
    let start = memory_size(0);
    let mut grown = 0;
    while memory_grow(0, MIB_PAGES) != usize::MAX {
        grown += MIB_PAGES;
        assert!(grown < 70_000, "memory grew past 4 GiB");
    }
    let total_pages = start + grown;
    assert_eq!(memory_size(0), total_pages, "a failed grow changed the size");
    // Never satisfiable in wasm32.
    assert_eq!(memory_grow(0, 65_537), usize::MAX);
    // One page more than the limit allowed is refused too.
    assert_eq!(memory_grow(0, MIB_PAGES), usize::MAX);
    println!("memory: {} MiB", (total_pages * PAGE) >> 20);
    ok();
}
