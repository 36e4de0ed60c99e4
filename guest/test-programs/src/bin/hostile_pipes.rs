//! Hostile: makes pipes and fills each, keeping every end open, hoping pipe
//! buffers are charged nowhere. Prints `pipes: N` and the errno that
//! stopped it.

use std::io::Write;

fn main() {
    let mut pipes = Vec::new();
    let chunk = vec![0x5au8; 64 * 1024];
    let err = loop {
        match wasi_ext::pipe() {
            Ok((reader, mut writer)) => {
                writer.write_all(&chunk).expect("a pipe holds 64 KiB");
                pipes.push((reader, writer));
            }
            Err(err) => break err,
        }
        assert!(pipes.len() < 100_000, "no limit on pipes");
    };
    println!("pipes: {}", pipes.len());
    println!("errno: {}", err.raw_os_error().unwrap_or(-1));
    drop(pipes);
    // Once they are gone, the VM can make pipes again.
    wasi_ext::pipe().expect("a pipe after the others closed");
    println!("ok");
}
