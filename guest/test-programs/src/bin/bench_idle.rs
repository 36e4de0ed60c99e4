//! Idle benchmark guest: prints `ready`, then sleeps for argv[1]
//! milliseconds (forever without it) in preview1 `poll_oneoff`, so that the
//! stock `wasmtime` CLI runs it too. Memory benchmarks boot many of these and
//! measure what an idle VM costs the host.

use std::io::Write;
use std::time::Duration;

fn main() {
    let ms: Option<u64> = std::env::args().nth(1).and_then(|s| s.parse().ok());
    let mut stdout = std::io::stdout();
    writeln!(stdout, "ready").and_then(|()| stdout.flush()).expect("stdout");
    match ms {
        Some(ms) => std::thread::sleep(Duration::from_millis(ms)),
        None => loop {
            std::thread::sleep(Duration::from_secs(3600));
        },
    }
}
