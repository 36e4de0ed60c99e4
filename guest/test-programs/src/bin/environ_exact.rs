//! The guest sees exactly the environment the host granted, in order, and
//! nothing of the host's own environment (no `PATH`, `HOME`, …).
//!
//! Host: grants `EXPECTED` as the environment.

use test_programs::{ok, p1};

/// Must match the host test's grant, as `KEY=value`.
const EXPECTED: &[&str] = &["CAPSA_ONE=1", "EMPTY=", "WITH_EQ=a=b", "UNI=ü"];

fn main() {
    let (count, bytes) = p1::environ_sizes_get().expect("environ_sizes_get");
    assert_eq!(count, EXPECTED.len(), "environ count");
    let want_bytes: usize = EXPECTED.iter().map(|e| e.len() + 1).sum();
    assert_eq!(bytes, want_bytes, "environ buffer size");

    let raw = p1::environ().expect("environ_get");
    let raw: Vec<String> = raw.into_iter().map(|e| String::from_utf8(e).expect("UTF-8 environment")).collect();
    assert_eq!(raw, EXPECTED, "environ_get");

    let vars: Vec<(String, String)> = std::env::vars().collect();
    let want: Vec<(String, String)> = EXPECTED
        .iter()
        .map(|e| {
            let (k, v) = e.split_once('=').unwrap();
            (k.to_string(), v.to_string())
        })
        .collect();
    assert_eq!(vars, want, "std::env::vars");

    for host_var in ["PATH", "HOME", "USER", "PWD", "SHELL", "CARGO", "RUST_BACKTRACE"] {
        assert!(std::env::var_os(host_var).is_none(), "host variable {host_var} leaked into the guest");
    }
    ok();
}
