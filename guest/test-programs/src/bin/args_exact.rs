//! The guest sees exactly the arguments the host passed, byte for byte and in
//! order, through both the raw calls and Rust's `std::env::args`.
//!
//! Host: runs it with `EXPECTED` as its arguments.

use test_programs::{ok, p1};

/// Must match the host test's arguments.
const EXPECTED: &[&str] = &["args_exact", "one", "two words", "", "ünïcödé", "--flag=x y"];

fn main() {
    let (count, bytes) = p1::args_sizes_get().expect("args_sizes_get");
    assert_eq!(count, EXPECTED.len(), "argc");
    let want_bytes: usize = EXPECTED.iter().map(|a| a.len() + 1).sum();
    assert_eq!(bytes, want_bytes, "argv buffer size (each arg NUL-terminated)");

    let raw = p1::args().expect("args_get");
    let raw: Vec<&[u8]> = raw.iter().map(Vec::as_slice).collect();
    let want: Vec<&[u8]> = EXPECTED.iter().map(|a| a.as_bytes()).collect();
    assert_eq!(raw, want, "args_get");

    let std_args: Vec<String> = std::env::args().collect();
    assert_eq!(std_args, EXPECTED, "std::env::args");
    ok();
}
