//! Pipe benchmark, two modes of one program:
//!
//! - `bench_pipe send MIB CHILD` spawns `CHILD count` with its stdin on a
//!   pipe, writes MIB MiB of zeros into the pipe in 64 KiB writes, closes it,
//!   and prints the child's report, `mib: MIB` and `elapsed_ns: <time from
//!   the spawn to the child's exit>` (needs the clock grant);
//! - `bench_pipe count` reads stdin to its end in 64 KiB reads and prints
//!   `bytes: <n>`, like `wc -c`.

use std::io::{Read, Write};
use std::time::Instant;

use wasi_ext::{Command, Stdio, pipe};

const CHUNK: usize = 64 << 10;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("count") => count(),
        Some("send") => {
            let mib: usize = args.get(2).and_then(|s| s.parse().ok()).expect("usage: bench_pipe send MIB CHILD");
            let child = args.get(3).expect("usage: bench_pipe send MIB CHILD");
            send(mib, child);
        }
        _ => panic!("usage: bench_pipe send MIB CHILD | bench_pipe count"),
    }
}

fn count() {
    let mut stdin = std::io::stdin().lock();
    let mut buf = vec![0u8; CHUNK];
    let mut total: u64 = 0;
    loop {
        match stdin.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => total += n as u64,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => panic!("read: {e}"),
        }
    }
    println!("bytes: {total}");
}

fn send(mib: usize, child: &str) {
    let start = Instant::now();
    let (read, mut write) = pipe().expect("pipe");
    let mut counter = Command::new(child).arg("count").stdin(read).stdout(Stdio::piped()).spawn().expect("spawn");
    let chunk = vec![0u8; CHUNK];
    for _ in 0..mib * ((1 << 20) / CHUNK) {
        write.write_all(&chunk).expect("write");
    }
    drop(write);
    let mut report = String::new();
    counter.stdout.take().expect("piped").read_to_string(&mut report).expect("read the report");
    assert!(counter.wait().expect("wait").success());
    let elapsed = start.elapsed();
    print!("{report}");
    println!("mib: {mib}");
    println!("elapsed_ns: {}", elapsed.as_nanos());
}
