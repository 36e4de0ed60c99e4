//! Fills `/tmp` until the VM's byte quota says `NOSPC`, prints
//! `filled: <bytes>`, then checks that deleting the file gives the space back.
//!
//! Host: sets a small disk quota (4 MiB); checks the bytes written stayed under it.

use std::io::Write;

use test_programs::{assert_io_errno, ok, wasi};

fn main() {
    let chunk = vec![0xA5u8; 64 << 10];
    let mut file = std::fs::File::create("/tmp/fill").expect("create /tmp/fill");
    let mut written: u64 = 0;
    let err = loop {
        match file.write(&chunk) {
            Ok(0) => panic!("write returned 0"),
            Ok(n) => written += n as u64,
            Err(e) => break e,
        }
        assert!(written < 1 << 30, "1 GiB written and no quota hit");
    };
    assert_io_errno(&err, wasi::ERRNO_NOSPC);
    drop(file);
    println!("filled: {written}");
    assert_eq!(std::fs::metadata("/tmp/fill").expect("stat").len(), written, "size after NOSPC");

    // Creating a new file with data also fails while full.
    let err = std::fs::write("/tmp/more", &chunk).expect_err("write while full");
    assert_io_errno(&err, wasi::ERRNO_NOSPC);

    // Freed space can be used again.
    std::fs::remove_file("/tmp/fill").expect("remove");
    let _ = std::fs::remove_file("/tmp/more");
    std::fs::write("/tmp/after", &chunk).expect("write after freeing");
    ok();
}
