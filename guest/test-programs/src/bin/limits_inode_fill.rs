//! Creates empty files in `/tmp` until the VM's inode quota says `NOSPC`,
//! prints `files: <count>`, then checks that removing one allows one more.
//!
//! Host: sets a small inode quota (200); checks the count stayed under it.

use test_programs::{assert_io_errno, ok, wasi};

fn main() {
    let mut count = 0u32;
    let err = loop {
        match std::fs::File::create(format!("/tmp/f{count}")) {
            Ok(_) => count += 1,
            Err(e) => break e,
        }
        assert!(count < 1_000_000, "a million files and no quota hit");
    };
    assert_io_errno(&err, wasi::ERRNO_NOSPC);
    let err = std::fs::create_dir("/tmp/dir").expect_err("mkdir while out of inodes");
    assert_io_errno(&err, wasi::ERRNO_NOSPC);
    println!("files: {count}");

    std::fs::remove_file("/tmp/f0").expect("remove");
    std::fs::File::create("/tmp/again").expect("create after freeing an inode");
    ok();
}
