//! Hostile: fills a pipe nobody reads, so its next write blocks forever. The
//! host must end it at its wall-clock limit, and must not buffer without bound
//! meanwhile.

use std::io::Write;

fn main() {
    let (_reader, mut writer) = wasi_ext::pipe().expect("pipe");
    let chunk = [0x5au8; 4096];
    let mut written: u64 = 0;
    loop {
        writer.write_all(&chunk).expect("write to pipe");
        written += chunk.len() as u64;
        if written.is_multiple_of(64 * 1024) {
            println!("written {written}");
        }
    }
}
