//! Granted nothing, a module sees no preopen at all, as under `wasmtime
//! run`: fd 3 is not open, and no path reaches a file, not even the VM's
//! own `/tmp`.
//!
//! Host: runs it with no grant (the VM's own filesystem not granted either).

use test_programs::{assert_errno, ok, p1, preopens, wasi};

fn main() {
    assert!(preopens().is_empty(), "preopens: {:?}", preopens());
    assert_errno!(p1::prestat_dir_len(3), wasi::ERRNO_BADF);
    assert_errno!(p1::path_open(3, 0, "tmp", wasi::OFLAGS_DIRECTORY, 0, 0), wasi::ERRNO_BADF);
    assert!(std::fs::read("/etc/passwd").is_err(), "a path reached a file");
    assert!(std::fs::write("/tmp/x", "x").is_err(), "a path reached /tmp");
    ok();
}
