//! Host memory per idle VM (`cargo bench -p capsa-runtime --bench memory`):
//! boots 100 VMs in this process, each running `bench_idle` (prints `ready`,
//! then sleeps), and reads this process's resident set (`VmRSS` of
//! `/proc/self/status`) before and once every guest is asleep. The growth
//! per VM is the figure: it includes the guests' linear memory, so it bounds
//! the host's own cost of a VM from above. For information it also shows the
//! part resident in wasmtime's linear-memory reservations (`/proc/self/smaps`
//! runs of adjacent mappings holding a reservation of at least 1 GiB; an
//! estimate, since another mapping can happen to lie next to one).
//!
//! The reference, measured in the same run: 100 native `sleep` processes,
//! each one's `VmRSS` (what `/usr/bin/time -v` would report for it).
//!
//! Linux only (it reads `/proc`). Under `cargo test --benches` it boots 3
//! VMs and 3 processes, as a smoke test.

use std::path::Path;
use std::time::{Duration, Instant};

use capsa_kernel::{Kernel, KillReason};
use capsa_runtime::{Output, Runtime, RuntimeOptions, VmConfig};

/// Address-space regions at least this large are linear-memory reservations.
const LINEAR_RESERVATION: u64 = 1 << 30;
const MIB: f64 = 1024.0 * 1024.0;
const SIGKILL: u8 = 9;

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not.
    let count = if std::env::args().any(|a| a == "--bench") { 100 } else { 3 };
    let ours = idle_vms(count);
    let native = native_sleeps(count);
    println!("memory per idle VM ({count} VMs in this process, each running bench_idle):");
    println!(
        "  host RSS growth per VM:              {:8.3} MiB (goal: at most 2 MiB beyond linear memory)",
        ours.rss_per_vm / MIB
    );
    println!("  of it in linear-memory reservations: {:8.3} MiB (estimate)", ours.linear_per_vm / MIB);
    println!("native `sleep` process RSS (mean of {count}): {:8.3} MiB", native / MIB);
    println!();
    println!("| figure | capsa | reference | capsa / reference |\n|---|---|---|---|");
    println!(
        "| host RSS per idle VM, linear memory included ({count} VMs in one process) | {:.2} MiB | {:.2} MiB (RSS of a native `sleep`) | {:.2}x |",
        ours.rss_per_vm / MIB,
        native / MIB,
        ours.rss_per_vm / native
    );
}

struct VmMemory {
    rss_per_vm: f64,
    linear_per_vm: f64,
}

/// Boots `count` VMs running `bench_idle`, measures, then kills them.
fn idle_vms(count: usize) -> VmMemory {
    let cache_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("capsa-module-cache");
    let runtime =
        Runtime::new(RuntimeOptions { cache_dir: Some(cache_dir), ..RuntimeOptions::default() }).expect("runtime");
    let wasm = std::fs::read(capsa_test_programs::BENCH_IDLE).expect("bench_idle.wasm");
    let outputs = tempfile::tempdir().expect("tempdir");
    // One VM first, run to its end: what every VM shares (the engine, the
    // compiled module, the epoch ticker) is then in the baseline.
    let mut warm = VmConfig::default();
    warm.limits.wall = Duration::from_secs(60);
    runtime.vm(warm).expect("boot").run(&wasm, &["bench_idle".into(), "0".into()]).expect("warm-up run");

    let before = (rss(), linear_rss());
    let mut running: Vec<(std::sync::Arc<Kernel>, std::thread::JoinHandle<()>)> = Vec::new();
    for i in 0..count {
        let mut config = VmConfig::default();
        config.grants.stdout = Output::File(outputs.path().join(format!("{i}.out")));
        config.limits.wall = Duration::from_secs(600);
        let vm = runtime.vm(config).expect("boot");
        let kernel = vm.kernel().clone();
        let wasm = wasm.clone();
        let waiter = std::thread::Builder::new()
            .stack_size(256 << 10)
            .spawn(move || {
                let outcome = vm.run(&wasm, &["bench_idle".into()]).expect("run");
                drop(outcome);
            })
            .expect("thread");
        running.push((kernel, waiter));
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    for i in 0..count {
        let path = outputs.path().join(format!("{i}.out"));
        while !std::fs::read_to_string(&path).is_ok_and(|s| s.starts_with("ready")) {
            assert!(Instant::now() < deadline, "VM {i} never said ready");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    let after = (rss(), linear_rss());
    for (kernel, waiter) in running {
        if let Ok(control) = kernel.control_of(1) {
            control.kill(KillReason::Signal(SIGKILL));
        }
        waiter.join().expect("VM thread");
    }
    let n = count as f64;
    let rss_per_vm = after.0.saturating_sub(before.0) as f64 / n;
    let linear_per_vm = after.1.saturating_sub(before.1) as f64 / n;
    VmMemory { rss_per_vm, linear_per_vm }
}

/// Mean resident set of `count` native `sleep` processes, in bytes.
fn native_sleeps(count: usize) -> f64 {
    let mut children: Vec<std::process::Child> =
        (0..count).map(|_| std::process::Command::new("sleep").arg("600").spawn().expect("spawn sleep")).collect();
    // `sleep` is ready once exec has replaced the fork's image.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut total = 0u64;
    for child in &children {
        let status = format!("/proc/{}/status", child.id());
        loop {
            let text = std::fs::read_to_string(&status).unwrap_or_default();
            if text.lines().any(|l| l.starts_with("Name:") && l.contains("sleep")) {
                total += status_kib(&text, "VmRSS:") * 1024;
                break;
            }
            assert!(Instant::now() < deadline, "sleep never started");
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    for child in &mut children {
        let _ = child.kill();
        let _ = child.wait();
    }
    total as f64 / count as f64
}

/// This process's resident set, in bytes.
fn rss() -> u64 {
    let text = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status_kib(&text, "VmRSS:") * 1024
}

/// A `Key:   N kB` line of a `/proc/*/status` file, in KiB.
fn status_kib(text: &str, key: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Resident bytes inside linear-memory reservations: runs of adjacent
/// mappings in `/proc/self/smaps` that include a mapping of at least
/// [`LINEAR_RESERVATION`] bytes.
fn linear_rss() -> u64 {
    let text = std::fs::read_to_string("/proc/self/smaps").expect("/proc/self/smaps");
    // (start, end, rss in bytes) of every mapping, in address order.
    let mut maps: Vec<(u64, u64, u64)> = Vec::new();
    for line in text.lines() {
        let first = line.split_whitespace().next().unwrap_or("");
        if let Some((start, end)) = first.split_once('-')
            && let (Ok(start), Ok(end)) = (u64::from_str_radix(start, 16), u64::from_str_radix(end, 16))
        {
            maps.push((start, end, 0));
        } else if let Some(kib) = line.strip_prefix("Rss:")
            && let Some(last) = maps.last_mut()
        {
            last.2 = kib.trim().trim_end_matches("kB").trim().parse::<u64>().unwrap_or(0) * 1024;
        }
    }
    let mut total = 0;
    let mut i = 0;
    while i < maps.len() {
        let mut j = i + 1;
        while j < maps.len() && maps[j].0 == maps[j - 1].1 {
            j += 1;
        }
        let run = &maps[i..j];
        if run.iter().any(|(start, end, _)| end - start >= LINEAR_RESERVATION) {
            total += run.iter().map(|m| m.2).sum::<u64>();
        }
        i = j;
    }
    total
}
