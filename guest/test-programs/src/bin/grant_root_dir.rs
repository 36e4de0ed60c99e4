//! A host directory granted as `/` (`--dir HOST::/`, as wasmtime takes it)
//! is the one preopen, named `/`: absolute paths land in it, `..` cannot
//! leave it, and nothing of the VM's own filesystem shows.
//!
//! Host: grants a directory holding `hello.txt` ("hello from the host") as
//! `/`, and nothing else.

use test_programs::{assert_errno, ok, p1, preopens, wasi};

fn main() {
    let found = preopens();
    assert_eq!(found.iter().map(|(_, name)| name.as_str()).collect::<Vec<_>>(), ["/"], "preopens: {found:?}");
    let root = found[0].0;
    assert_eq!(std::fs::read_to_string("/hello.txt").expect("read through /"), "hello from the host");
    std::fs::write("/made-inside.txt", "made").expect("write through /");
    assert_errno!(p1::path_open(root, 0, "../etc/passwd", 0, 0, 0), wasi::ERRNO_PERM, wasi::ERRNO_NOTCAPABLE);
    assert!(std::fs::metadata("/tmp").is_err(), "the VM's own /tmp shows through /");
    assert!(std::fs::metadata("/dev/null").is_err(), "the VM's own /dev shows through /");
    assert_errno!(p1::path_symlink("/", root, "link"), wasi::ERRNO_PERM, wasi::ERRNO_NOTCAPABLE);
    ok();
}
