//! Renames and hard links cannot cross from a granted dir into the VM's own
//! filesystem or back (`XDEV`); copying works. Nothing moves on a failure.
//!
//! Host: grants a dir at `/scratch` holding `host.txt` ("on the host\n").

use test_programs::{assert_errno, create_file, exists, ok, open_dir, p1, preopen, read_file, wasi};

fn main() {
    let scratch = preopen("/scratch");
    let tmp = open_dir("/tmp");
    create_file(tmp, "vm.txt", b"in the vm\n");
    let xdev = wasi::ERRNO_XDEV;

    assert_errno!(p1::path_rename(scratch, "host.txt", tmp, "host.txt"), xdev);
    assert_errno!(p1::path_rename(tmp, "vm.txt", scratch, "vm.txt"), xdev);
    assert_errno!(p1::path_link(scratch, 0, "host.txt", tmp, "link"), xdev);
    assert_errno!(p1::path_link(tmp, 0, "vm.txt", scratch, "link"), xdev);
    assert!(exists(scratch, "host.txt") && !exists(tmp, "host.txt"));
    assert!(exists(tmp, "vm.txt") && !exists(scratch, "vm.txt"));

    // Copying across is the way, and works.
    std::fs::copy("/tmp/vm.txt", "/scratch/copied.txt").expect("copy into the mount");
    assert_eq!(read_file(scratch, "copied.txt"), b"in the vm\n");
    std::fs::copy("/scratch/host.txt", "/tmp/copied.txt").expect("copy out of the mount");
    assert_eq!(read_file(tmp, "copied.txt"), b"on the host\n");
    ok();
}
