//! `preview1_calls`: every `wasi_snapshot_preview1`, `host_process` and
//! `host_user` import called with arbitrary arguments over arbitrary guest
//! memory.
//!
//! One module is generated (as WAT) at startup from the signatures the
//! adapter registers in its linker: it imports every function and exports a
//! wrapper `c<i>` per function that passes its parameters straight through.
//! Per input: a fresh store and process context (a kernel with a small quota,
//! a read-write and a read-only host mount, stdio on in-memory streams, a wall
//! deadline of [`DEADLINE`]), linear memory of 1-4 pages filled from the
//! input, then up to [`MAX_CALLS`] wrapper calls with arbitrary i32/i64 values.
//!
//! Asserted for every call: the host does not panic; the call returns an
//! errno in `0..=76`, or traps with a capsa error (a bad guest pointer, an
//! exit, a signal, a kill) and nothing else; it returns within the deadline
//! (plus slack) — nothing may block forever. After every input: the
//! read-only mount and the sentinel beside the mounts are unchanged, the
//! quota holds, and stdout/stderr stayed under their caps.

use std::io::{Cursor, Read};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use arbitrary::{Arbitrary, Unstructured};
use capsa_kernel::{
    BudgetLimits, Cred, FdEntry, FdTable, HostInput, HostOutput, Kernel, KernelConfig, KernelError, Layer,
    LayerBuilder, LimitKind, Meta, Mount, OpenFile, OpenOptions, Pid, ProcessControl, ProcessSpec, Quota, VfsConfig,
};
use capsa_wasi::memory::BadPointer;
use capsa_wasi::{GuestExit, SpawnRequest, Spawner, WasiCtx};
use wasmtime::{Config, Engine, Extern, InstancePre, Linker, Module, Store, Val, ValType};

use crate::fixture::HostFixture;

/// Wall-clock deadline of one input's process.
pub const DEADLINE: Duration = Duration::from_millis(10);
/// How late past the deadline a call may return before it counts as a hang
/// (generous: CI machines are shared).
pub const HANG_SLACK: Duration = Duration::from_secs(3);
/// Most calls per input.
pub const MAX_CALLS: usize = 16;
/// Largest valid errno.
pub const MAX_ERRNO: i32 = 76;
/// Bytes each of stdout and stderr may take.
pub const OUTPUT_CAP: u64 = 4096;
/// Quota of the VM's writable layer.
pub const QUOTA: Quota = Quota { max_bytes: 1 << 20, max_inodes: 64 };
/// Open fds per process.
pub const MAX_FDS: usize = 16;

/// One imported function and its wrapper.
#[derive(Debug, Clone)]
pub struct Function {
    pub module: &'static str,
    pub name: &'static str,
    /// `true` for i64 parameters.
    pub params: Vec<bool>,
    pub returns: bool,
}

/// Every function in a fixed order: preview1's list, then the extensions'.
pub fn function_names() -> Vec<(&'static str, &'static str)> {
    let preview1 = capsa_wasi::preview1::FUNCTIONS.iter().map(|n| (capsa_wasi::preview1::MODULE, *n));
    preview1.chain(capsa_wasi::ext::FUNCTIONS.iter().copied()).collect()
}

struct Context {
    fixture: HostFixture,
    engine: Engine,
    pre: InstancePre<WasiCtx>,
    functions: Vec<Function>,
    layers: Vec<Arc<Layer>>,
    ro_dir: cap_std::fs::Dir,
    rw_dir: cap_std::fs::Dir,
}

/// A spawner that refuses every spawn (EAGAIN): the fuzzer exercises
/// everything up to the point where a runtime would start a thread.
#[derive(Debug)]
struct NoSpawn;

impl Spawner for NoSpawn {
    fn spawn(&self, _request: SpawnRequest) -> Result<Pid, KernelError> {
        Err(KernelError::WouldBlock)
    }
}

/// stdin: fixed bytes, then end of file (never blocks).
struct BytesInput(Mutex<Cursor<Vec<u8>>>);

impl HostInput for BytesInput {
    fn read(&self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).read(buf)
    }
}

/// stdout/stderr: kept in memory (bounded by the output cap).
#[derive(Default)]
struct Sink(Mutex<Vec<u8>>);

impl HostOutput for Sink {
    fn write_all(&self, buf: &[u8]) -> std::io::Result<()> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).extend_from_slice(buf);
        Ok(())
    }
}

/// Programs for `proc_spawn` to find: a wasm module, scripts, a chain of
/// interpreters too deep, a file without the x bit.
fn exec_layer() -> Arc<Layer> {
    let mut layer = LayerBuilder::new();
    let exe = Meta::root(0o755);
    layer
        .file("/bin/true", Arc::from(&b"\0asm\x01\0\0\0"[..]), exe)
        .and_then(|l| l.file("/bin/script", Arc::from(&b"#!/bin/true -x\n"[..]), exe))
        .and_then(|l| l.file("/bin/deep", Arc::from(&b"#!/bin/deep\n"[..]), exe))
        .and_then(|l| l.file("/bin/data", Arc::from(&b"plain text"[..]), Meta::root(0o644)))
        .and_then(|l| l.file("/bin/garbage", Arc::from(&b"not a program"[..]), exe))
        .expect("exec layer");
    layer.build()
}

fn context() -> &'static Context {
    static CONTEXT: OnceLock<Context> = OnceLock::new();
    CONTEXT.get_or_init(|| {
        let fixture = HostFixture::create("preview1_calls", true);
        let mut config = Config::new();
        config.consume_fuel(true);
        let engine = Engine::new(&config).expect("engine");
        let mut linker = Linker::<WasiCtx>::new(&engine);
        capsa_wasi::add_to_linker(&mut linker).expect("linker");
        let layers = vec![capsa_runtime::base::base_layer().expect("base layer"), exec_layer()];
        let ro_dir = fixture.ro_dir();
        let rw_dir = fixture.rw_dir();
        // Signatures come from the linker itself, so a new function is fuzzed
        // (and a listed but unregistered one is caught) without editing this file.
        let functions = {
            let ctx = new_ctx(&layers, &ro_dir, &rw_dir, false, false, false, Vec::new()).0;
            let mut store = Store::new(&engine, ctx);
            function_names()
                .into_iter()
                .map(|(module, name)| {
                    let Ok(Extern::Func(func)) = linker.get(&mut store, module, name) else {
                        panic!("{module}::{name} is listed but not registered in the linker");
                    };
                    let ty = func.ty(&store);
                    let params = ty
                        .params()
                        .map(|p| match p {
                            ValType::I32 => false,
                            ValType::I64 => true,
                            other => panic!("{module}::{name}: unexpected parameter type {other}"),
                        })
                        .collect();
                    let returns = ty.results().len() == 1;
                    Function { module, name, params, returns }
                })
                .collect::<Vec<_>>()
        };
        let module = Module::new(&engine, module_wat(&functions)).expect("generated module");
        let pre = linker.instantiate_pre(&module).expect("instantiate_pre");
        Context { fixture, engine, pre, functions, layers, ro_dir, rw_dir }
    })
}

/// The WAT of the module importing every function and exporting `c<i>` wrappers.
pub fn module_wat(functions: &[Function]) -> String {
    let sig = |f: &Function| {
        let params: Vec<&str> = f.params.iter().map(|wide| if *wide { "i64" } else { "i32" }).collect();
        let params = if params.is_empty() { String::new() } else { format!(" (param {})", params.join(" ")) };
        let result = if f.returns { " (result i32)" } else { "" };
        format!("{params}{result}")
    };
    let mut wat = String::from("(module\n");
    for (i, f) in functions.iter().enumerate() {
        wat.push_str(&format!("  (import \"{}\" \"{}\" (func $f{i}{}))\n", f.module, f.name, sig(f)));
    }
    wat.push_str("  (memory (export \"memory\") 1 4)\n");
    for (i, f) in functions.iter().enumerate() {
        let args: String = (0..f.params.len()).map(|p| format!(" (local.get {p})")).collect();
        wat.push_str(&format!("  (func (export \"c{i}\"){} (call $f{i}{args}))\n", sig(f)));
    }
    wat.push(')');
    wat
}

/// A process context as the runtime builds one (`vm.rs`): stdio at 0-2, the
/// read-write mount at 3, the read-only one at 4, the VM root last.
#[allow(clippy::too_many_arguments)]
fn new_ctx(
    layers: &[Arc<Layer>],
    ro_dir: &cap_std::fs::Dir,
    rw_dir: &cap_std::fs::Dir,
    root: bool,
    clock: bool,
    entropy: bool,
    stdin: Vec<u8>,
) -> (WasiCtx, [Arc<Sink>; 2]) {
    let mounts = vec![
        Mount { guest_path: "/rw".into(), dir: rw_dir.try_clone().expect("dup rw"), read_only: false },
        Mount { guest_path: "/ro".into(), dir: ro_dir.try_clone().expect("dup ro"), read_only: true },
    ];
    let kernel = Kernel::new(KernelConfig {
        vfs: VfsConfig { layers: layers.to_vec(), mounts, quota: QUOTA, real_time: clock, entropy },
        clock,
        entropy,
        max_processes: 4,
        // Small, so calls run into the budget as well as within it.
        budget: BudgetLimits { memory: 16 << 20, host_fds: 16, cpu: Duration::from_secs(60) },
    })
    .expect("kernel");
    let control = Arc::new(ProcessControl::new(Instant::now().checked_add(DEADLINE)));
    let cred = if root { Cred::root() } else { Cred::user(1000, 1000) };
    let pid = kernel
        .register_process(ProcessSpec {
            parent: None,
            cred: cred.clone(),
            cwd: "/".into(),
            control: control.clone(),
            session_line: false,
        })
        .expect("register");
    let sinks = [Arc::new(Sink::default()), Arc::new(Sink::default())];
    let mut fds = FdTable::new(MAX_FDS);
    let stdio = [
        OpenFile::host_input(Arc::new(BytesInput(Mutex::new(Cursor::new(stdin))))),
        OpenFile::host_output(sinks[0].clone(), OUTPUT_CAP, LimitKind::Stdout),
        OpenFile::host_output(sinks[1].clone(), OUTPUT_CAP, LimitKind::Stderr),
    ];
    for file in stdio {
        fds.insert(FdEntry::new(file)).expect("stdio fd");
    }
    let vfs = kernel.vfs();
    let vm_root = vfs.root();
    let as_dir = OpenOptions { read: true, directory: true, follow: true, ..OpenOptions::default() };
    for guest in ["/rw", "/ro"] {
        let dir = vfs.open_at(&Cred::root(), &vm_root, guest, as_dir).expect("preopen");
        fds.insert(FdEntry::preopen(dir, guest)).expect("preopen fd");
    }
    fds.insert(FdEntry::preopen(vm_root, "/")).expect("root fd");
    let ctx = WasiCtx {
        kernel,
        pid,
        cred,
        fds,
        args: vec!["fuzz".into(), "arg".into()],
        env: vec!["PATH=/bin".into(), "HOME=/home/user".into()],
        umask: 0o022,
        control,
        spawner: Arc::new(NoSpawn),
        tools: Default::default(),
        broken_pipe_seen: false,
    };
    (ctx, sinks)
}

// ---- input -------------------------------------------------------------------

/// Special argument values.
pub const SPECIAL: [u64; 12] = [
    u32::MAX as u64,
    i32::MAX as u64,
    0x8000_0000,
    u64::MAX,
    i64::MAX as u64,
    1 << 63,
    65536,
    65535,
    1 << 32,
    4096,
    262_144,
    (1 << 32) - 4,
];

/// How one argument is chosen (first byte `% 8`, then its payload).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arg {
    /// A byte.
    Small(u8),
    /// Two bytes (little-endian): a pointer into the first page.
    Word(u16),
    /// Memory size minus a byte.
    FromEnd(u8),
    /// Four raw bytes.
    Raw32(u32),
    /// Eight raw bytes.
    Raw64(u64),
    /// Minus a byte.
    Negative(u8),
    /// A small fd (byte % 8).
    Fd(u8),
    /// One of [`SPECIAL`].
    Special(u8),
}

impl Arg {
    fn value(self, mem_size: u64) -> u64 {
        match self {
            Arg::Small(b) => u64::from(b),
            Arg::Word(w) => u64::from(w),
            Arg::FromEnd(b) => mem_size.wrapping_sub(u64::from(b)),
            Arg::Raw32(v) => u64::from(v),
            Arg::Raw64(v) => v,
            Arg::Negative(b) => (-i64::from(b)) as u64,
            Arg::Fd(b) => u64::from(b % 8),
            Arg::Special(b) => SPECIAL[usize::from(b) % SPECIAL.len()],
        }
    }

    pub fn encode(self) -> Vec<u8> {
        match self {
            Arg::Small(b) => vec![0, b],
            Arg::Word(w) => [&[1u8][..], &w.to_le_bytes()].concat(),
            Arg::FromEnd(b) => vec![2, b],
            Arg::Raw32(v) => [&[3u8][..], &v.to_le_bytes()].concat(),
            Arg::Raw64(v) => [&[4u8][..], &v.to_le_bytes()].concat(),
            Arg::Negative(b) => vec![5, b],
            Arg::Fd(b) => vec![6, b],
            Arg::Special(b) => vec![7, b],
        }
    }
}

/// One call: the function's index (`byte % count`) and its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub function: usize,
    pub args: Vec<Arg>,
}

/// An input: process settings, calls, and the initial memory contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    pub root: bool,
    pub clock: bool,
    pub entropy: bool,
    pub pages: u8,
    pub stdin: Vec<u8>,
    pub calls: Vec<Call>,
    pub memory: Vec<u8>,
}

struct Reader<'a, 'b>(&'b mut Unstructured<'a>);

impl Reader<'_, '_> {
    fn byte(&mut self) -> u8 {
        u8::arbitrary(self.0).unwrap_or(0)
    }
    fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        for b in &mut out {
            *b = self.byte();
        }
        out
    }
    fn arg(&mut self) -> Arg {
        match self.byte() % 8 {
            0 => Arg::Small(self.byte()),
            1 => Arg::Word(u16::from_le_bytes(self.bytes())),
            2 => Arg::FromEnd(self.byte()),
            3 => Arg::Raw32(u32::from_le_bytes(self.bytes())),
            4 => Arg::Raw64(u64::from_le_bytes(self.bytes())),
            5 => Arg::Negative(self.byte()),
            6 => Arg::Fd(self.byte()),
            _ => Arg::Special(self.byte()),
        }
    }
}

impl<'a> Arbitrary<'a> for Input {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let functions = &context().functions;
        let mut r = Reader(u);
        let flags = r.byte();
        let stdin_len = usize::from(r.byte() % 32);
        let stdin = (0..stdin_len).map(|_| r.byte()).collect();
        let count = usize::from(r.byte()) % (MAX_CALLS + 1);
        let mut calls = Vec::with_capacity(count);
        for _ in 0..count {
            let function = usize::from(r.byte()) % functions.len();
            let args = (0..functions[function].params.len()).map(|_| r.arg()).collect();
            calls.push(Call { function, args });
        }
        let memory = r.0.bytes(r.0.len())?.to_vec();
        Ok(Input {
            root: flags & 1 != 0,
            clock: flags & 2 != 0,
            entropy: flags & 4 != 0,
            pages: (flags >> 3) % 4 + 1,
            stdin,
            calls,
            memory,
        })
    }

    fn arbitrary_take_rest(mut u: Unstructured<'a>) -> arbitrary::Result<Self> {
        Self::arbitrary(&mut u)
    }
}

impl Input {
    /// The bytes that decode to this input.
    pub fn encode(&self) -> Vec<u8> {
        let flags = u8::from(self.root) | u8::from(self.clock) << 1 | u8::from(self.entropy) << 2;
        let mut out = vec![flags | (self.pages - 1) << 3, self.stdin.len() as u8];
        out.extend(&self.stdin);
        out.push(self.calls.len() as u8);
        for call in &self.calls {
            out.push(call.function as u8);
            for arg in &call.args {
                out.extend(arg.encode());
            }
        }
        out.extend(&self.memory);
        out
    }
}

/// The index of `module::name` in the call table (for hand-written seeds).
pub fn function_index(name: &str) -> usize {
    function_names().iter().position(|(_, n)| *n == name).unwrap_or_else(|| panic!("no function {name}"))
}

/// The number of parameters of function `index` (for hand-written seeds).
pub fn param_count(index: usize) -> usize {
    context().functions[index].params.len()
}

// ---- running -------------------------------------------------------------------

/// Runs one input; panics on a broken invariant.
pub fn run(input: &Input) {
    let ctx = context();
    let (wasi, sinks) =
        new_ctx(&ctx.layers, &ctx.ro_dir, &ctx.rw_dir, input.root, input.clock, input.entropy, input.stdin.clone());
    let kernel = wasi.kernel.clone();
    let control = wasi.control.clone();
    let deadline = Instant::now() + DEADLINE;
    capsa_kernel::set_current(control);
    let mut store = Store::new(&ctx.engine, wasi);
    store.set_fuel(1_000_000).expect("fuel");
    let instance = ctx.pre.instantiate(&mut store).expect("instantiate");
    let memory = instance.get_memory(&mut store, "memory").expect("memory export");
    memory.grow(&mut store, u64::from(input.pages) - 1).expect("grow within the declared maximum");
    let mem_size = memory.data_size(&store) as u64;
    let image = &input.memory[..input.memory.len().min(mem_size as usize)];
    memory.data_mut(&mut store)[..image.len()].copy_from_slice(image);

    for call in &input.calls {
        let f = &ctx.functions[call.function];
        let func = instance.get_func(&mut store, &format!("c{}", call.function)).expect("wrapper export");
        let params: Vec<Val> = f
            .params
            .iter()
            .zip(&call.args)
            .map(|(wide, arg)| {
                let v = arg.value(mem_size);
                if *wide { Val::I64(v as i64) } else { Val::I32(v as u32 as i32) }
            })
            .collect();
        let mut results = vec![Val::I32(0); usize::from(f.returns)];
        let outcome = func.call(&mut store, &params, &mut results);
        if Instant::now() > deadline + HANG_SLACK {
            panic!(
                "{}::{}({params:?}) returned {:?} past the process deadline",
                f.module,
                f.name,
                DEADLINE + HANG_SLACK
            );
        }
        match outcome {
            Ok(()) => {
                // `host.call` answers 0 or a fault (-2), not an errno (docs/abi.md).
                let door = (f.module, f.name) == (capsa_wasi::ext::door::HOST, "call");
                if let Some(Val::I32(errno)) = results.first()
                    && !(0..=MAX_ERRNO).contains(errno)
                    && !(door && *errno == capsa_wasi::ext::door::HOST_FAULT)
                {
                    panic!("{}::{}({params:?}) returned {errno}, not an errno", f.module, f.name);
                }
                if !f.returns {
                    panic!("{}::{} returned instead of ending the process", f.module, f.name);
                }
            }
            Err(err) => {
                if err.downcast_ref::<BadPointer>().is_some() {
                    // The process would end here; the host must stay consistent
                    // whatever the guest does next, so the calls go on.
                    continue;
                }
                if err.downcast_ref::<GuestExit>().is_some() {
                    break;
                }
                panic!("{}::{}({params:?}) failed with a non-capsa error: {err:?}", f.module, f.name);
            }
        }
    }
    drop(store);
    capsa_kernel::clear_current();
    let usage = kernel.vfs().usage();
    assert!(usage.bytes <= QUOTA.max_bytes && usage.inodes <= QUOTA.max_inodes, "quota exceeded: {usage:?}");
    for sink in sinks {
        let len = sink.0.lock().unwrap_or_else(|p| p.into_inner()).len() as u64;
        assert!(len <= OUTPUT_CAP, "an output stream took {len} bytes past its cap");
    }
    ctx.fixture.check();
    ctx.fixture.reset_rw();
}
