//! The VM's own filesystem: `/dev` devices behave as on Linux (`null` swallows
//! and reads EOF, `zero` reads zeros, `stdout`/`stderr` reach the host
//! captures, `stdin` reads what the host gave), `/tmp` is writable, `/home/user`
//! exists, and `/etc/passwd` and `/etc/group` are readable.
//!
//! Host: grants nothing; stdin is "from host stdin"; checks both captures.

use std::io::{Read, Write};

use test_programs::{RIGHTS_READ, RIGHTS_RW, list_names, ok, open_dir, p1, read_file, wasi};

fn main() {
    let root = open_dir("/");
    let dev = list_names(open_dir("/dev"));
    for want in ["null", "zero", "urandom", "random", "stdin", "stdout", "stderr"] {
        assert!(dev.iter().any(|n| n == want), "/dev/{want} missing from {dev:?}");
    }

    let null = p1::path_open(root, 0, "dev/null", 0, RIGHTS_RW, 0).expect("open /dev/null");
    assert_eq!(p1::write(null, &[1u8; 4096]).expect("write /dev/null"), 4096);
    assert_eq!(p1::read(null, &mut [0u8; 8]).expect("read /dev/null"), 0);
    p1::fd_close(null).expect("close");
    assert_eq!(
        p1::path_filestat_get(root, wasi::LOOKUPFLAGS_SYMLINK_FOLLOW, "dev/null").expect("stat").filetype,
        wasi::FILETYPE_CHARACTER_DEVICE
    );

    let mut zeros = [9u8; 1000];
    std::fs::File::open("/dev/zero").expect("open /dev/zero").read_exact(&mut zeros).expect("read");
    assert!(zeros.iter().all(|&b| b == 0));

    std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/stdout")
        .expect("open /dev/stdout")
        .write_all(b"via /dev/stdout\n")
        .expect("write");
    std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/stderr")
        .expect("open /dev/stderr")
        .write_all(b"via /dev/stderr\n")
        .expect("write");
    let mut input = String::new();
    std::fs::File::open("/dev/stdin").expect("open /dev/stdin").read_to_string(&mut input).expect("read");
    assert_eq!(input, "from host stdin");

    std::fs::write("/tmp/scratch.txt", "tmp works").expect("write /tmp");
    assert_eq!(std::fs::read_to_string("/tmp/scratch.txt").expect("read"), "tmp works");
    std::fs::remove_file("/tmp/scratch.txt").expect("remove");
    assert!(std::fs::metadata("/home/user").expect("/home/user").is_dir());

    let passwd = String::from_utf8(read_file(root, "etc/passwd")).expect("UTF-8 passwd");
    assert!(passwd.lines().any(|l| l.split(':').count() == 7), "/etc/passwd has no entry: {passwd:?}");
    let group = String::from_utf8(read_file(root, "etc/group")).expect("UTF-8 group");
    assert!(group.lines().any(|l| l.split(':').count() == 4), "/etc/group has no entry: {group:?}");
    let st = p1::path_filestat_get(root, 0, "etc/passwd").expect("stat");
    assert_eq!(st.filetype, wasi::FILETYPE_REGULAR_FILE);
    let fd = p1::path_open(root, 0, "etc", wasi::OFLAGS_DIRECTORY, RIGHTS_READ, 0).expect("open /etc");
    p1::fd_close(fd).expect("close");
    ok();
}
