//! The C and C++ lanes' driver. WASI has no fork, so clang cannot spawn its
//! linker: the host orchestrates. Every translation unit is compiled by its
//! own `clang -c` guest (several at once), then one `wasm-ld` guest links the
//! objects with crt1-command.o, wasi-libc and the compiler-rt builtins.
//!
//! Each guest sees the sysroot at `/usr` (read-only), the job directory at
//! `/work`, capsa's C extension at `/opt/capsa` (read-only) and its own
//! in-memory `/tmp`; nothing else of the host.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use capsa_provision::Source;
use capsa_runtime::{DirGrant, ExitStatus, Limits, Output, Runtime, VmConfig};
use sha2::{Digest, Sha256};

use crate::artifact::Store;
use crate::driver::{Cx, Driver, ShellCommands};
use crate::manifest::Manifest;
use crate::stage::Inputs;
use crate::toolchain::{self, Toolchain};
use crate::user_files::Tree;
use crate::{Artifact, BuildRequest, CompilerBudget, LaneError, Lanes, embedded, stage, user_files};

/// argv[0] of the multitool; argv[1] picks clang, clang++ or wasm-ld.
const ARGV0: &str = "llvm";
/// Where shell VMs see the C lane's package read-only: `sysroot/` and
/// `gen/`. The suite's `cc` driver (guest/commands) expects it here.
pub const SHELL_HOME: &str = "/usr/lib/capsa/c";
/// The multitool in shell VMs; its `argv[0]` picks the tool.
pub const EXECUTABLE: &str = "/usr/lib/capsa/c/gen/llvm.core.wasm";
/// The lane names no command of its own: the suite's driver (`cc`, `gcc`,
/// `clang`, `c++`, `ld`, `ar`… in guest/commands) runs the multitool. It
/// must: clang cannot spawn its linker on WASI, and LLVM, a prebuilt
/// wasi-libc program, starts in `/`, so it is given absolute paths.
const SHELL_COMMANDS: &[&str] = &[];
/// A compiler's wasm stack (seed 002): deep templates and parsers need it.
const COMPILER_STACK: usize = 16 << 20;
/// The linked program's stack: wasm-ld's 64 KiB default overflows on modest
/// automatic buffers.
const PROGRAM_STACK: &str = "stack-size=8388608";
/// The most compiler guests at once.
const MAX_PARALLEL: usize = 6;
/// wasi-libc's POSIX emulations, on by default: (define, library).
const EMULATIONS: &[(&str, &str)] = &[
    ("_WASI_EMULATED_SIGNAL", "wasi-emulated-signal"),
    ("_WASI_EMULATED_PROCESS_CLOCKS", "wasi-emulated-process-clocks"),
    ("_WASI_EMULATED_GETPID", "wasi-emulated-getpid"),
    ("_WASI_EMULATED_MMAN", "wasi-emulated-mman"),
];

/// The VM of a compiler or linker guest, without its mounts.
pub(crate) fn compiler_config(budget: &CompilerBudget) -> VmConfig {
    let mut config = VmConfig::default();
    // Compilers write their temporary files to /tmp.
    config.grants.vm_fs = true;
    // clang aborts without entropy (it seeds hash tables); the clock stays
    // denied, so a build cannot depend on when it ran.
    config.grants.random = true;
    config.grants.stdout = Output::Capture;
    config.grants.stderr = Output::Capture;
    config.limits = Limits {
        cpu: budget.cpu,
        fuel: budget.fuel,
        wall: budget.wall,
        memory: budget.memory,
        stack: COMPILER_STACK,
        disk_bytes: 1 << 30,
        ..Limits::default()
    };
    config
}

/// One build's guests: the toolchain, the budget, and the host directories
/// they mount.
struct Job<'a> {
    runtime: &'a Runtime,
    toolchain: &'a Toolchain,
    budget: &'a CompilerBudget,
    /// Host side of `/work`.
    work: &'a Path,
    /// Host side of `/opt/capsa`, once the extension library exists.
    ext: Option<&'a Path>,
    /// A lane's own cached object library and where guests see it.
    lib: Option<(&'a Path, &'a str)>,
    /// Guest paths mapped back to host paths in diagnostics.
    path_map: Vec<(String, String)>,
}

impl Job<'_> {
    /// Runs the multitool with `args` (after argv[0]); returns what it printed.
    fn run(&self, stage: &str, args: Vec<String>) -> Result<String, LaneError> {
        let mut config = compiler_config(self.budget);
        let mount =
            |host: &Path, guest: &str, read_only| DirGrant { host: host.into(), guest: guest.into(), read_only };
        config.grants.dirs.push(mount(&self.toolchain.sysroot, "/usr", true));
        config.grants.dirs.push(mount(self.work, "/work", false));
        if let Some(ext) = self.ext {
            config.grants.dirs.push(mount(ext, "/opt/capsa", true));
        }
        if let Some((host, guest)) = self.lib {
            config.grants.dirs.push(mount(host, guest, true));
        }
        let vm = self.runtime.vm(config)?;
        let argv: Vec<String> = std::iter::once(ARGV0.to_string()).chain(args).collect();
        let outcome = vm.run_digested(&self.toolchain.sha256, &mut || self.toolchain.module_bytes(), &argv)?;
        let mut printed = outcome.stdout_str();
        printed.push_str(&outcome.stderr_str());
        let diagnostics = self.map_paths(&printed);
        let stage = stage.to_string();
        match outcome.status {
            ExitStatus::Exited(0) => Ok(diagnostics),
            ExitStatus::Exited(_) => Err(LaneError::Failed { stage, diagnostics }),
            ExitStatus::Killed(limit) => Err(LaneError::Budget { stage, limit: limit.to_string(), diagnostics }),
            ExitStatus::Trapped(reason) => {
                // LLVM reports a failed allocation, then aborts (a trap).
                if printed.contains("Allocation failed") || printed.contains("out of memory") {
                    let limit = format!("memory limit {} MiB", self.budget.memory >> 20);
                    Err(LaneError::Budget { stage, limit, diagnostics })
                } else {
                    Err(LaneError::Crashed { stage, reason, diagnostics })
                }
            }
            ExitStatus::Signaled(signal) => {
                Err(LaneError::Crashed { stage, reason: format!("ended by signal {signal}"), diagnostics })
            }
        }
    }

    /// Rewrites the job's guest paths in `text` to the host paths they are copies of.
    fn map_paths(&self, text: &str) -> String {
        let mut text = text.to_string();
        for (guest, host) in &self.path_map {
            text = text.replace(guest, host);
        }
        text
    }
}

/// Flags shared by every translation unit of a build, validated.
struct Flags {
    compile: Vec<String>,
    libs: Vec<String>,
}

impl Flags {
    fn new(request: &BuildRequest, inputs: &Inputs, cpp: bool) -> Result<Flags, LaneError> {
        let optimize = request.optimize.as_deref().unwrap_or("2");
        if !["0", "1", "2", "3", "s", "z", "g"].contains(&optimize) {
            return Err(LaneError::Input(format!("-O{optimize}: expected one of 0, 1, 2, 3, s, z, g")));
        }
        let mut compile = vec!["--target=wasm32-wasip1".to_string(), format!("-O{optimize}")];
        for root in inputs.source_roots.iter().chain(&inputs.include_roots) {
            compile.push(format!("-I/work/{}", root.guest));
        }
        compile.extend(["-idirafter", "/opt/capsa/include"].map(String::from));
        // setjmp/longjmp through wasm exception handling (Lua needs it).
        compile.extend(["-mllvm", "-wasm-enable-sjlj", "-mllvm", "-wasm-use-legacy-eh=false"].map(String::from));
        compile.extend(EMULATIONS.iter().map(|(define, _)| format!("-D{define}")));
        for define in &request.defines {
            let name = define.split_once('=').map_or(define.as_str(), |(name, _)| name);
            let identifier = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !identifier {
                return Err(LaneError::Input(format!("-D{define}: expected NAME or NAME=VALUE")));
            }
            compile.push(format!("-D{define}"));
        }
        if cpp {
            compile.push("-fno-exceptions".into());
        }
        let mut libs = Vec::new();
        for lib in &request.libs {
            if lib.is_empty() || !lib.chars().all(|c| c.is_ascii_alphanumeric() || "_-+.".contains(c)) {
                return Err(LaneError::Input(format!("-l{lib}: not a library name")));
            }
            libs.push(format!("-l{lib}"));
        }
        Ok(Flags { compile, libs })
    }
}

/// The C and C++ lanes' driver.
pub(crate) struct Clang;

impl Driver for Clang {
    fn ids(&self) -> &'static [&'static str] {
        &["c", "cpp"]
    }

    fn build(&self, cx: Cx<'_>, request: &BuildRequest) -> Result<Artifact, LaneError> {
        build(cx.runtime, cx.lane, request)
    }

    fn install(&self, cx: Cx<'_>, source: Source<'_>, quiet: bool) -> Result<(), LaneError> {
        let toolchain = toolchain::install(cx.lane, cx.runtime.cache_root(), source, quiet)?;
        toolchain::precompile(cx.runtime, &toolchain, compiler_config(&CompilerBudget::default()), quiet)?;
        // Shell VMs run the same module on their own (smaller) wasm stack,
        // which needs its own compilation: done now, not in a user's `cc`.
        toolchain::precompile(cx.runtime, &toolchain, VmConfig::default(), quiet)?;
        // capsa's C extension, which shell VMs' `cc` links as the lane does.
        ext_library(cx.runtime, &toolchain, &CompilerBudget::default()).map(drop)
    }

    fn installed(&self, cx: Cx<'_>) -> Result<bool, LaneError> {
        Ok(toolchain::installed(cx.lane, cx.runtime.cache_root())?.is_some())
    }

    fn shell_commands(&self) -> Option<ShellCommands> {
        Some(ShellCommands { names: SHELL_COMMANDS, executable: EXECUTABLE, script: None })
    }

    fn grant_shell_commands(&self, cx: Cx<'_>, config: &mut VmConfig) -> Result<bool, LaneError> {
        let Some(toolchain) = toolchain::installed(cx.lane, cx.runtime.cache_root())? else { return Ok(false) };
        let Some(package) = toolchain.sysroot.parent() else { return Ok(false) };
        // npm unpacks the module 0644; a VM runs only files marked executable.
        toolchain::make_executable(&toolchain.module)?;
        config.grants.dirs.push(DirGrant { host: package.into(), guest: SHELL_HOME.into(), read_only: true });
        // capsa's C extension, once built (by `capsa lanes install c` or a
        // first build): `cc` in the VM compiles and links with it.
        let ext = ext_dir(cx.runtime, &toolchain);
        if ext.join(".complete").is_file() {
            config.grants.dirs.push(DirGrant { host: ext, guest: ext_spec().mount.into(), read_only: true });
        }
        Ok(true)
    }
}

/// Whether `lane` is C or C++, which one build may mix (as C++).
pub(crate) fn is_c_family(lane: &Manifest) -> bool {
    Clang.ids().contains(&lane.id.as_str())
}

/// The lane of a directory of sources: C++ when it holds a C++
/// translation unit, else C.
pub(crate) fn lane_of_tree<'a>(lanes: &'a Lanes, dir: &Path) -> Option<&'a Manifest> {
    lanes.get(if tree_has_cpp(dir) { "cpp" } else { "c" })
}

/// Whether the tree `dir` holds a C++ translation unit, looking as staging
/// will: hidden names skipped, linked directories not walked.
fn tree_has_cpp(dir: &Path) -> bool {
    fn walk(tree: &user_files::Tree, dir: &Path) -> bool {
        let Ok(names) = tree.list(dir) else { return false };
        names.into_iter().filter(|(name, _)| !name.starts_with('.')).any(|(name, kind)| match kind {
            user_files::Kind::Dir => walk(tree, &dir.join(&name)),
            _ => Path::new(&name).extension().and_then(|e| e.to_str()).is_some_and(|e| stage::CPP_UNITS.contains(&e)),
        })
    }
    user_files::Tree::open(dir).is_ok_and(|tree| walk(&tree, Path::new("")))
}

/// Builds a C or C++ program (see the module doc).
pub(crate) fn build(runtime: &Runtime, lane: &Manifest, request: &BuildRequest) -> Result<Artifact, LaneError> {
    build_with(runtime, lane, request, None)
}

/// The C lane's toolchain, installed and compiled into the module cache.
pub(crate) fn toolchain(runtime: &Runtime, lane: &Manifest, request: &BuildRequest) -> Result<Toolchain, LaneError> {
    let toolchain = toolchain::install(lane, runtime.cache_root(), Source::Registry, request.quiet)?;
    toolchain::precompile(runtime, &toolchain, compiler_config(&request.budget), request.quiet)?;
    Ok(toolchain)
}

/// [`build`], also linking `lib` (see [`object_library`]) into the program:
/// its headers are on the include path and its objects are a lazy library.
pub(crate) fn build_with(
    runtime: &Runtime,
    lane: &Manifest,
    request: &BuildRequest,
    lib: Option<&ObjectLibrary>,
) -> Result<Artifact, LaneError> {
    let inputs = Inputs::read(&request.inputs, &request.includes)?;
    let cpp = lane.id == "cpp" || inputs.has_cpp();
    let mut flags = Flags::new(request, &inputs, cpp)?;
    if let Some(lib) = lib {
        flags.compile.push(format!("-I{}/include", lib.mount));
    }
    let cache = runtime.cache_root();
    let toolchain = toolchain(runtime, lane, request)?;
    let ext = ext_library(runtime, &toolchain, &request.budget)?;

    let mut hasher = Sha256::new();
    let lib_hash = lib.map_or("", |lib| lib.hash.as_str());
    for part in ["capsa lane artifact 1", &lane.id, &lane.version, &toolchain.integrity, &ext.hash, lib_hash] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    for flag in flags.compile.iter().chain(&flags.libs) {
        hasher.update(flag.as_bytes());
        hasher.update([0]);
    }
    inputs.hash_into(&mut hasher);
    let key = hex::encode(hasher.finalize());
    let store = Store::new(cache);
    if let Some((path, sha256)) = store.get(&key) {
        return Ok(Artifact { path, sha256, key, compiled: 0, diagnostics: String::new() });
    }

    let work = job_dir(runtime)?;
    inputs.write(work.path())?;
    let path_map = inputs
        .source_roots
        .iter()
        .chain(&inputs.include_roots)
        .map(|root| (format!("/work/{}/", root.guest), display_dir(&root.host)))
        .collect();
    let job = Job {
        runtime,
        toolchain: &toolchain,
        budget: &request.budget,
        work: work.path(),
        ext: Some(&ext.dir),
        lib: lib.map(|lib| (lib.dir.as_path(), lib.mount)),
        path_map,
    };

    let (objects, mut diagnostics) = compile_all(&job, &inputs.units, &flags, cpp, request.quiet)?;
    let mut link = vec!["wasm-ld", "-m", "wasm32", "-L/usr/lib/wasm32-unknown-wasip1", "-L/usr/lib/wasm32-wasip1"]
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>();
    link.push("/usr/lib/wasm32-wasip1/crt1-command.o".into());
    link.extend(objects);
    // capsa's C extension (wasi_ext.h) as a lazy library: linked only if used.
    link.push("--start-lib".into());
    link.extend(ext.objects.iter().cloned());
    link.push("--end-lib".into());
    if let Some(lib) = lib {
        link.push("--start-lib".into());
        link.extend(lib.objects.iter().cloned());
        link.push("--end-lib".into());
    }
    link.extend(flags.libs.iter().cloned());
    if cpp {
        link.extend(["-lc++", "-lc++abi"].map(String::from));
    }
    link.push("-lsetjmp".into());
    link.extend(EMULATIONS.iter().map(|(_, lib)| format!("-l{lib}")));
    link.extend(
        ["-lc", "/usr/lib/wasm32-unknown-wasip1/libclang_rt.builtins.a", "-z", PROGRAM_STACK].map(String::from),
    );
    link.extend(["-o", "/work/out.wasm"].map(String::from));
    diagnostics.push_str(&job.run("linking", link)?);
    // The linker's output, read as any user file: a regular file of the job, bounded.
    let wasm = Tree::open(work.path())?.read(Path::new("out.wasm"), crate::artifact::MAX_ARTIFACT_BYTES)?;
    let (path, sha256) = store.put(&key, &wasm)?;
    Ok(Artifact { path, sha256, key, compiled: inputs.units.len(), diagnostics })
}

/// Compiles every unit, at most min(cores - 1, 6) (at least 1) at a time;
/// stops starting new ones after a failure. Returns the objects (guest
/// paths) and the warnings, in unit order.
fn compile_all(
    job: &Job<'_>,
    units: &[String],
    flags: &Flags,
    cpp: bool,
    quiet: bool,
) -> Result<(Vec<String>, String), LaneError> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let workers = cores.saturating_sub(1).clamp(1, MAX_PARALLEL).min(units.len());
    let bar = if quiet || units.len() < 2 {
        indicatif::ProgressBar::hidden()
    } else {
        indicatif::ProgressBar::new(units.len() as u64)
    };
    if let Ok(style) = indicatif::ProgressStyle::with_template("  compiling {bar:30} {pos}/{len} {msg}") {
        bar.set_style(style);
    }
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let results: Mutex<Vec<Option<Result<String, LaneError>>>> = Mutex::new(units.iter().map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, Ordering::SeqCst);
                    if index >= units.len() || failed.load(Ordering::SeqCst) {
                        break;
                    }
                    let unit = &units[index];
                    bar.set_message(unit.rsplit('/').next().unwrap_or(unit).to_string());
                    let result = compile_one(job, unit, flags, cpp);
                    if result.is_err() {
                        failed.store(true, Ordering::SeqCst);
                    }
                    results.lock().unwrap_or_else(|p| p.into_inner())[index] = Some(result);
                    bar.inc(1);
                }
            });
        }
    });
    bar.finish_and_clear();
    let mut diagnostics = String::new();
    let mut failures: Vec<LaneError> = Vec::new();
    for result in results.into_inner().unwrap_or_else(|p| p.into_inner()).into_iter().flatten() {
        match result {
            Ok(printed) => diagnostics.push_str(&printed),
            Err(err) => failures.push(err),
        }
    }
    if failures.is_empty() {
        return Ok((units.iter().map(|u| object_of(u)).collect(), diagnostics));
    }
    // Every failed unit's diagnostics, as a compiler run by make would show them.
    let all: String = failures.iter().map(LaneError::diagnostics).collect();
    let mut first = failures.swap_remove(0);
    match &mut first {
        LaneError::Failed { diagnostics, .. }
        | LaneError::Budget { diagnostics, .. }
        | LaneError::Crashed { diagnostics, .. } => *diagnostics = all,
        _ => {}
    }
    Err(first)
}

fn compile_one(job: &Job<'_>, unit: &str, flags: &Flags, cpp: bool) -> Result<String, LaneError> {
    let object = object_of(unit);
    if let Some(parent) = Path::new(&object).strip_prefix("/work").ok().and_then(Path::parent) {
        let dir = job.work.join(parent);
        std::fs::create_dir_all(&dir).map_err(|e| LaneError::io(&dir, e))?;
    }
    let is_c = unit.ends_with(".c");
    let tool = if cpp && !is_c { "clang++" } else { "clang" };
    let mut args = vec![tool.to_string(), "-c".into(), format!("/work/{unit}"), "-o".into(), object];
    args.extend(flags.compile.iter().filter(|f| !(is_c && *f == "-fno-exceptions")).cloned());
    let name = unit.split_once('/').and_then(|(_, rest)| rest.split_once('/')).map_or(unit, |(_, name)| name);
    job.run(&format!("compiling {name}"), args)
}

/// A fresh job directory under `<cache>/jobs` (the host side of a
/// compiler guest's `/work`), removed when dropped.
pub(crate) fn job_dir(runtime: &Runtime) -> Result<tempfile::TempDir, LaneError> {
    let jobs = runtime.cache_root().join("jobs");
    std::fs::create_dir_all(&jobs).map_err(|e| LaneError::io(&jobs, e))?;
    tempfile::Builder::new().prefix("job-").tempdir_in(&jobs).map_err(|e| LaneError::io(&jobs, e))
}

/// The object file of a unit: `/work/obj/<unit>.o`.
fn object_of(unit: &str) -> String {
    format!("/work/obj/{unit}.o")
}

/// A host directory as a prefix of paths in diagnostics: relative to the
/// current directory when under it (empty for the current directory itself).
fn display_dir(dir: &Path) -> String {
    let relative = std::env::current_dir().ok().and_then(|cwd| dir.strip_prefix(cwd).ok().map(PathBuf::from));
    match relative {
        Some(rel) if rel.as_os_str().is_empty() => String::new(),
        Some(rel) => format!("{}/", rel.display()),
        None => format!("{}/", dir.display()),
    }
}

/// capsa's C extension (`guest/wasi-ext`: wasi_ext.h, spawn.h, pwd.h, …),
/// compiled once per toolchain into `<cache>/lanes/wasi-ext/<hash>`.
fn ext_library(runtime: &Runtime, toolchain: &Toolchain, budget: &CompilerBudget) -> Result<ObjectLibrary, LaneError> {
    object_library(runtime, toolchain, budget, &ext_spec())
}

/// Where capsa's C extension is cached for `toolchain`. Every shell VM's
/// boot asks, and the answer hashes the extension's sources (compiled into
/// capsa): it is worked out once a process per toolchain and cache.
fn ext_dir(runtime: &Runtime, toolchain: &Toolchain) -> PathBuf {
    static DIRS: Mutex<Vec<(String, PathBuf, PathBuf)>> = Mutex::new(Vec::new());
    let mut dirs = DIRS.lock().unwrap_or_else(PoisonError::into_inner);
    let root = runtime.cache_root();
    if let Some((_, _, dir)) =
        dirs.iter().find(|(integrity, cache, _)| *integrity == toolchain.integrity && cache == root)
    {
        return dir.clone();
    }
    let (ext, _, _) = library_place(runtime, toolchain, &ext_spec());
    dirs.push((toolchain.integrity.clone(), root.to_path_buf(), ext.dir.clone()));
    ext.dir
}

/// capsa's C extension as a cached object library, seen at `/opt/capsa`.
fn ext_spec() -> LibrarySpec<'static> {
    LibrarySpec {
        name: "wasi-ext",
        label: "capsa's C extension",
        mount: "/opt/capsa",
        headers: embedded::WASI_EXT_HEADERS,
        sources: embedded::WASI_EXT_SOURCES,
        flags: &["-O2"],
    }
}

/// C sources to compile once per toolchain into a cached object library.
pub(crate) struct LibrarySpec<'a> {
    /// Directory name under `<cache>/lanes`.
    pub name: &'a str,
    /// What the progress and error lines call it.
    pub label: &'a str,
    /// Where programs linked with it see it (read-only).
    pub mount: &'static str,
    /// Headers, staged under `include/` (on the include path of its units
    /// and of the programs built with it).
    pub headers: &'a [(&'a str, &'a [u8])],
    /// Sources, staged under `src/`; every `.c` is a unit.
    pub sources: &'a [(&'a str, &'a [u8])],
    /// Extra compile flags (wasi-libc's emulations are always defined).
    pub flags: &'a [&'a str],
}

/// A cached object library: `dir` holds `include/`, `src/` and `obj/`;
/// `objects` are the objects as guests see them under `mount`.
pub(crate) struct ObjectLibrary {
    dir: PathBuf,
    mount: &'static str,
    objects: Vec<String>,
    /// sha256 over the toolchain, the flags and every file (hex).
    pub hash: String,
}

/// Compiles `spec` with clang guests once per toolchain into
/// `<cache>/lanes/<name>/<hash>`, or finds it there.
pub(crate) fn object_library(
    runtime: &Runtime,
    toolchain: &Toolchain,
    budget: &CompilerBudget,
    spec: &LibrarySpec<'_>,
) -> Result<ObjectLibrary, LaneError> {
    let (library, flags, units) = library_place(runtime, toolchain, spec);
    if library.dir.join(".complete").is_file() {
        return Ok(library);
    }
    let dir = library.dir.clone();
    let staging = capsa_provision::staging_beside(&dir)?;
    let write = |sub: &str, name: &str, bytes: &[u8]| -> Result<(), LaneError> {
        let path = staging.path().join(sub).join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| LaneError::io(parent, e))?;
        }
        std::fs::write(&path, bytes).map_err(|e| LaneError::io(&path, e))
    };
    for (name, bytes) in spec.headers {
        write("include", name, bytes)?;
    }
    for (name, bytes) in spec.sources {
        write("src", name, bytes)?;
    }
    std::fs::create_dir_all(staging.path().join("obj")).map_err(|e| LaneError::io(staging.path(), e))?;
    let job = Job { runtime, toolchain, budget, work: staging.path(), ext: None, lib: None, path_map: Vec::new() };
    for name in &units {
        let args = ["clang", "-c", &format!("/work/src/{name}"), "-o", &format!("/work/obj/{name}.o")]
            .into_iter()
            .map(String::from)
            .chain(flags.iter().cloned())
            .collect();
        job.run(&format!("compiling {} ({name})", spec.label), args)?;
    }
    let marker = staging.path().join(".complete");
    std::fs::write(&marker, "").map_err(|e| LaneError::io(&marker, e))?;
    let built = staging.keep();
    if std::fs::rename(&built, &dir).is_err() {
        // Built meanwhile by another capsa: keep theirs.
        let _ = std::fs::remove_dir_all(&built);
    }
    Ok(library)
}

/// Where `spec`'s library is (or will be) cached, its compile flags and its
/// units; nothing is read or built.
fn library_place<'a>(
    runtime: &Runtime,
    toolchain: &Toolchain,
    spec: &LibrarySpec<'a>,
) -> (ObjectLibrary, Vec<String>, Vec<&'a str>) {
    let mut flags: Vec<String> = ["--target=wasm32-wasip1", "-I/work/include"].map(String::from).to_vec();
    flags.extend(EMULATIONS.iter().map(|(define, _)| format!("-D{define}")));
    flags.extend(spec.flags.iter().map(|f| f.to_string()));
    let mut hasher = Sha256::new();
    hasher.update(toolchain.integrity.as_bytes());
    for flag in &flags {
        hasher.update(flag.as_bytes());
        hasher.update([0]);
    }
    for (name, bytes) in spec.headers.iter().chain(spec.sources) {
        hasher.update(name.as_bytes());
        hasher.update([0]);
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    }
    let hash = hex::encode(hasher.finalize());
    let units: Vec<&str> = spec.sources.iter().map(|(name, _)| *name).filter(|n| n.ends_with(".c")).collect();
    let objects = units.iter().map(|name| format!("{}/obj/{name}.o", spec.mount)).collect();
    let dir = runtime.cache_root().join("lanes").join(spec.name).join(&hash[..16]);
    (ObjectLibrary { dir, mount: spec.mount, objects, hash }, flags, units)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_vms_see_the_manifests_module_under_the_lanes_home() {
        let lanes = Lanes::builtin().unwrap();
        for id in Clang.ids() {
            let module = lanes.get(id).and_then(|lane| lane.module.clone()).unwrap();
            assert_eq!(EXECUTABLE, format!("{SHELL_HOME}/{module}"), "lane {id}");
        }
    }
}
