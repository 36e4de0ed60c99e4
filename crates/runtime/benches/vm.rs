//! In-process benchmarks of the runtime, each figure beside a reference
//! measured in the same run (`cargo bench -p capsa-runtime --bench vm`):
//!
//! | group | capsa | reference |
//! |---|---|---|
//! | `spawn` | spawn+wait of a cached no-op command inside a VM (`bench_spawn` running `/bin/true` from a layer; timed by the guest) | `std::process::Command` running the host's `/bin/true` (fork/exec+wait) |
//! | `boot` | boot a VM and run a no-op module to its end | the same module instantiated and run by bare wasmtime (no kernel, no thread, every import a trapping stub): the floor; and native fork/exec of `/bin/true` |
//! | `pipe` | 64 MiB through a pipe from a guest to a child counting bytes (`bench_pipe`; timed by the guest) | 64 MiB through a host pipe (`std::io::pipe`) between two threads, same 64 KiB writes and reads |
//! | `process` | start a no-op process and wait for it with [`process::start_pooled`] (a waiting thread) | the same with [`process::start`] (a new thread each time) |
//!
//! After criterion's own report it prints a markdown table of the ratios
//! (capsa / reference, from criterion's estimates of this run). Under
//! `cargo test --benches` every routine runs once, as a smoke test, and no
//! table is printed.
//!
//! Memory per idle VM is the `memory` bench (criterion measures time only).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use capsa_kernel::{
    Cred, FdTable, Kernel, KernelConfig, KernelError, LayerBuilder, Meta, Pid, ProcessControl, ProcessSpec, Quota,
    VfsConfig,
};
use capsa_runtime::process::{self, ProcessData};
use capsa_runtime::{InstancePool, Limits, Outcome, Output, Runtime, RuntimeOptions, VmConfig};
use capsa_wasi::{SpawnRequest, Spawner, WasiCtx};
use criterion::{Criterion, Throughput};

/// MiB sent through the pipe per iteration.
const PIPE_MIB: usize = 64;
/// Chunk of every pipe write and read, guest and host alike.
const CHUNK: usize = 64 << 10;

fn main() {
    let started = SystemTime::now();
    let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("criterion");
    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .output_directory(&out_dir)
        .configure_from_args();
    let bench = Bench::new();
    spawn(&mut c, &bench);
    boot(&mut c, &bench);
    pipe(&mut c, &bench);
    process_start(&mut c, &bench);
    c.final_summary();
    print_ratios(&out_dir, started);
}

/// What every benchmark shares: one runtime (as one host process would have)
/// and a layer holding the benchmark guests as commands.
struct Bench {
    runtime: Runtime,
    layer: Arc<capsa_kernel::Layer>,
    bench_true: Vec<u8>,
    bench_spawn: Vec<u8>,
    bench_pipe: Vec<u8>,
}

impl Bench {
    fn new() -> Bench {
        let cache_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("capsa-module-cache");
        let runtime =
            Runtime::new(RuntimeOptions { cache_dir: Some(cache_dir), ..RuntimeOptions::default() }).expect("runtime");
        let read = |path: &str| std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let (bench_true, bench_spawn, bench_pipe) = (
            read(capsa_test_programs::BENCH_TRUE),
            read(capsa_test_programs::BENCH_SPAWN),
            read(capsa_test_programs::BENCH_PIPE),
        );
        // `/bin/true` and `/bin/bench_pipe` as a shared layer holds them: the
        // cached-command case (what the command suite's layer gives every VM).
        let mut builder = LayerBuilder::new();
        let exe = Meta::root(0o755);
        builder.file("/bin/true", Arc::from(bench_true.as_slice()), exe).expect("layer /bin/true");
        builder.file("/bin/bench_pipe", Arc::from(bench_pipe.as_slice()), exe).expect("layer /bin/bench_pipe");
        Bench { runtime, layer: builder.build(), bench_true, bench_spawn, bench_pipe }
    }

    /// A VM with the benchmark layer, the clock (guests time themselves),
    /// captured stdout and limits a long benchmark cannot hit.
    fn config(&self) -> VmConfig {
        let mut config = VmConfig::default();
        config.layers.push(self.layer.clone());
        // The layer's commands are spawned by absolute path beneath `/`.
        config.grants.vm_fs = true;
        config.grants.clock = true;
        config.grants.stdout = Output::Capture;
        config.grants.stderr = Output::Capture;
        config.limits.wall = Duration::from_secs(600);
        config.limits.cpu = Duration::from_secs(3600);
        config
    }

    /// Runs `wasm` with `args` in a fresh VM and checks it exited 0.
    fn run(&self, wasm: &[u8], args: &[&str]) -> Outcome {
        let argv: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let outcome = self.runtime.vm(self.config()).expect("boot").run(wasm, &argv).expect("run");
        assert_eq!(
            outcome.status,
            capsa_runtime::ExitStatus::Exited(0),
            "{args:?}: {}\n{}",
            outcome.stdout_str(),
            outcome.stderr_str()
        );
        outcome
    }
}

/// A `label: number` line of a guest's stdout.
fn printed(outcome: &Outcome, label: &str) -> u64 {
    let prefix = format!("{label}: ");
    outcome
        .stdout_str()
        .lines()
        .find_map(|l| l.strip_prefix(&prefix).and_then(|n| n.trim().parse().ok()))
        .unwrap_or_else(|| panic!("no {label:?} in {:?}", outcome.stdout_str()))
}

fn native_true() {
    let status = std::process::Command::new("/bin/true").status().expect("/bin/true");
    assert!(status.success());
}

fn spawn(c: &mut Criterion, bench: &Bench) {
    let mut group = c.benchmark_group("spawn");
    group.bench_function("capsa", |b| {
        b.iter_custom(|iters| {
            let outcome = bench.run(&bench.bench_spawn, &["bench_spawn", "/bin/true", &iters.to_string()]);
            assert_eq!(printed(&outcome, "spawns"), iters);
            Duration::from_nanos(printed(&outcome, "elapsed_ns"))
        });
    });
    group.bench_function("native", |b| b.iter(native_true));
    group.finish();
}

fn boot(c: &mut Criterion, bench: &Bench) {
    let mut group = c.benchmark_group("boot");
    group.bench_function("capsa", |b| b.iter(|| bench.run(&bench.bench_true, &["true"])));
    let floor = BareWasmtime::new(&bench.bench_true);
    group.bench_function("wasmtime", |b| b.iter(|| floor.run()));
    group.bench_function("native", |b| b.iter(native_true));
    group.finish();
}

fn pipe(c: &mut Criterion, bench: &Bench) {
    let mut group = c.benchmark_group("pipe");
    group.throughput(Throughput::Bytes((PIPE_MIB << 20) as u64));
    group.bench_function("capsa", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let mib = PIPE_MIB.to_string();
                let outcome = bench.run(&bench.bench_pipe, &["bench_pipe", "send", &mib, "/bin/bench_pipe"]);
                assert_eq!(printed(&outcome, "bytes"), (PIPE_MIB << 20) as u64);
                total += Duration::from_nanos(printed(&outcome, "elapsed_ns"));
            }
            total
        });
    });
    group.bench_function("native", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                assert_eq!(host_pipe(PIPE_MIB << 20), (PIPE_MIB << 20) as u64);
            }
            start.elapsed()
        });
    });
    group.finish();
}

fn process_start(c: &mut Criterion, bench: &Bench) {
    let starter = Starter::new(&bench.bench_true);
    let mut group = c.benchmark_group("process");
    group.bench_function("pooled", |b| b.iter(|| starter.run(true)));
    group.bench_function("new_thread", |b| b.iter(|| starter.run(false)));
    group.finish();
}

/// Starts processes of one module straight through [`process`], in one
/// kernel, the way a VM does (minus the spawn call's own work).
struct Starter {
    kernel: Arc<Kernel>,
    program: wasmtime::InstancePre<ProcessData>,
    spawner: Arc<dyn Spawner>,
    _engines: capsa_runtime::engine::Engines,
}

/// The processes of [`Starter`] spawn nothing.
#[derive(Debug)]
struct NoSpawn;

impl Spawner for NoSpawn {
    fn spawn(&self, _request: SpawnRequest) -> Result<Pid, KernelError> {
        Err(KernelError::NotSupported)
    }
}

impl Starter {
    fn new(wasm: &[u8]) -> Starter {
        let engines = capsa_runtime::engine::Engines::new(InstancePool::default());
        let key = capsa_runtime::engine::EngineKey { stack: Limits::default().stack, fuel: false };
        let entry = engines.get(key).expect("engine");
        let module = wasmtime::Module::new(&entry.engine, wasm).expect("compile");
        let program = entry.linker.instantiate_pre(&module).expect("link");
        let kernel = Kernel::new(KernelConfig {
            vfs: VfsConfig {
                layers: vec![capsa_runtime::base::base_layer().expect("base layer")],
                mounts: Vec::new(),
                quota: Quota { max_bytes: 1 << 20, max_inodes: 64 },
                real_time: false,
                entropy: false,
            },
            clock: false,
            entropy: false,
            max_processes: 64,
            budget: capsa_kernel::BudgetLimits::UNLIMITED,
        })
        .expect("kernel");
        Starter { kernel, program, spawner: Arc::new(NoSpawn), _engines: engines }
    }

    /// Starts one process, on a waiting thread or a new one, and waits for it.
    fn run(&self, pooled: bool) {
        let control = Arc::new(ProcessControl::new(None));
        let cred = Cred::user(1000, 1000);
        let spec = ProcessSpec {
            parent: None,
            cred: cred.clone(),
            cwd: "/".into(),
            control: control.clone(),
            session_line: false,
        };
        let pid = self.kernel.register_process(spec).expect("register");
        let ctx = WasiCtx {
            kernel: self.kernel.clone(),
            pid,
            cred,
            fds: FdTable::new(64),
            args: vec!["true".into()],
            env: Vec::new(),
            umask: 0o022,
            control,
            spawner: self.spawner.clone(),
            tools: Default::default(),
            broken_pipe_seen: false,
        };
        let kernel = self.kernel.clone();
        let on_exit = move |result: &Result<_, _>| kernel.exit_process(pid, process::wait_status(result));
        let (program, limits) = (self.program.clone(), Limits::default());
        let result = if pooled {
            process::start_pooled(program, ctx, limits, on_exit).expect("start").join()
        } else {
            process::start(program, ctx, limits, on_exit).expect("start").join()
        };
        assert_eq!(result.expect("no panic").expect("ran").status, capsa_runtime::ExitStatus::Exited(0));
    }
}

/// Sends `bytes` zeros through a host pipe from a new thread to this one,
/// in [`CHUNK`] writes and reads; returns how many arrived.
fn host_pipe(bytes: usize) -> u64 {
    let (mut reader, mut writer) = std::io::pipe().expect("pipe");
    let sender = std::thread::spawn(move || {
        let chunk = vec![0u8; CHUNK];
        for _ in 0..bytes / CHUNK {
            writer.write_all(&chunk).expect("write");
        }
    });
    let mut buf = vec![0u8; CHUNK];
    let mut total = 0u64;
    loop {
        match reader.read(&mut buf).expect("read") {
            0 => break,
            n => total += n as u64,
        }
    }
    sender.join().expect("sender");
    total
}

/// The floor of running a module: bare wasmtime with default settings, the
/// module compiled and pre-linked once, each run a fresh store, instance and
/// `_start` on the calling thread. Every import is a stub that traps
/// (`bench_true` calls none on its way to a normal exit).
struct BareWasmtime {
    engine: wasmtime::Engine,
    pre: wasmtime::InstancePre<()>,
}

impl BareWasmtime {
    fn new(wasm: &[u8]) -> BareWasmtime {
        let engine = wasmtime::Engine::default();
        let module = wasmtime::Module::new(&engine, wasm).expect("compile");
        let mut linker = wasmtime::Linker::new(&engine);
        linker.define_unknown_imports_as_traps(&module).expect("stubs");
        let pre = linker.instantiate_pre(&module).expect("pre-link");
        BareWasmtime { engine, pre }
    }

    fn run(&self) {
        let mut store = wasmtime::Store::new(&self.engine, ());
        let instance = self.pre.instantiate(&mut store).expect("instantiate");
        let start = instance.get_typed_func::<(), ()>(&mut store, "_start").expect("_start");
        start.call(&mut store, ()).expect("run");
    }
}

/// Prints `| figure | capsa | reference | ratio |` from the estimates
/// criterion wrote in this run (nothing if it wrote none: test mode, or a
/// filter that skipped a pair).
fn print_ratios(out_dir: &Path, since: SystemTime) {
    let pairs = [
        ("spawn+wait of a cached no-op command", "spawn/capsa", "spawn/native", "native fork/exec+wait of /bin/true"),
        ("boot a VM and run a no-op module", "boot/capsa", "boot/wasmtime", "bare wasmtime: instantiate + _start"),
        ("boot a VM and run a no-op module", "boot/capsa", "boot/native", "native fork/exec+wait of /bin/true"),
        ("64 MiB through a pipe, guest to child", "pipe/capsa", "pipe/native", "host pipe between two threads"),
        (
            "start and wait for a no-op process on a waiting thread",
            "process/pooled",
            "process/new_thread",
            "the same on a new thread",
        ),
    ];
    let mut rows = Vec::new();
    for (figure, ours, theirs, reference) in pairs {
        let (Some(a), Some(b)) = (mean_ns(out_dir, ours, since), mean_ns(out_dir, theirs, since)) else {
            continue;
        };
        let extra = if ours.starts_with("pipe/") {
            let rate = |ns: f64| (PIPE_MIB << 20) as f64 / ns; // bytes per ns = GB/s
            format!(" ({:.2} GB/s vs {:.2} GB/s)", rate(a), rate(b))
        } else {
            String::new()
        };
        rows.push(format!("| {figure} | {} | {} ({reference}) | {:.2}x{extra} |", fmt_ns(a), fmt_ns(b), a / b));
    }
    if rows.is_empty() {
        return;
    }
    println!("\n| figure | capsa | reference | capsa / reference |\n|---|---|---|---|");
    for row in rows {
        println!("{row}");
    }
}

/// Criterion's estimate (ns per iteration) of `id`, if written since `since`.
fn mean_ns(out_dir: &Path, id: &str, since: SystemTime) -> Option<f64> {
    let path: PathBuf = out_dir.join(id).join("new").join("estimates.json");
    let fresh = std::fs::metadata(&path).and_then(|m| m.modified()).is_ok_and(|t| t >= since);
    if !fresh {
        return None;
    }
    let text = std::fs::read_to_string(&path).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    // The figure criterion prints: the slope of linear sampling, else the mean.
    json["slope"]["point_estimate"].as_f64().or_else(|| json["mean"]["point_estimate"].as_f64())
}

fn fmt_ns(ns: f64) -> String {
    match ns {
        n if n >= 1e9 => format!("{:.2} s", n / 1e9),
        n if n >= 1e6 => format!("{:.2} ms", n / 1e6),
        n if n >= 1e3 => format!("{:.1} µs", n / 1e3),
        n => format!("{n:.0} ns"),
    }
}
