//! stdio: fd 0 reads what the host gave (nothing by default: end of file at
//! once), fds 1 and 2 write to the host's captures. Prints what it read.
//!
//! Host: runs it with the default stdin and with bytes on stdin.

use std::io::Write;

use test_programs::{ok, p1, read_to_end, write_vectored_all};

fn main() {
    let input = read_to_end(0);
    assert_eq!(p1::read(0, &mut [0u8; 16]).expect("read stdin after EOF"), 0);
    for fd in 0..3 {
        p1::fd_fdstat_get(fd).unwrap_or_else(|e| panic!("fdstat of stdio fd {fd}: {e:?}"));
    }
    println!("stdin={}", String::from_utf8_lossy(&input));
    assert_eq!(p1::write(1, b"raw stdout\n").expect("write fd 1"), 11);
    write_vectored_all(2, &[b"raw ", b"stderr\n"]);
    eprintln!("std stderr");
    std::io::stdout().flush().expect("flush");
    ok();
}
