//! Writes to stdout forever. The host must kill it when the stdout byte cap is
//! reached.

use std::io::Write;

fn main() {
    let chunk = [b'y'; 64 << 10];
    let mut out = std::io::stdout().lock();
    loop {
        out.write_all(&chunk).expect("stdout write failed instead of a kill");
    }
}
