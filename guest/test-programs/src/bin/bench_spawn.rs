//! Spawn benchmark: `bench_spawn PROGRAM N` spawns PROGRAM N times, waiting
//! for each, and prints `spawns: N`, `elapsed_ns: <total>` and
//! `per_spawn_ns: <mean>` (needs the clock grant).

use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let program = args.get(1).map_or("/t/bench_true", String::as_str);
    let n: u32 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1000);
    let start = Instant::now();
    for _ in 0..n {
        let status = wasi_ext::Command::new(program).status().expect("spawn");
        assert!(status.success(), "{program}: {status:?}");
    }
    let elapsed = start.elapsed();
    println!("spawns: {n}");
    println!("elapsed_ns: {}", elapsed.as_nanos());
    println!("per_spawn_ns: {}", elapsed.as_nanos() / u128::from(n.max(1)));
}
