//! `cc`, `gcc`, `clang`, `c++`, `g++`, `clang++`, `ld`/`wasm-ld` and
//! `ar`/`ranlib`: a compiler driver over the C lane's LLVM, for shells
//! inside a VM.
//!
//! WASI has no fork, so clang cannot start its own linker: this driver does
//! what clang's would, one spawn per stage. Each source is compiled by a
//! `clang -c` process into a temporary object under `/tmp`, then one
//! `wasm-ld` process links the objects with `crt1-command.o`, wasi-libc and
//! the compiler-rt builtins — the same guests, sysroot and defaults as
//! `capsa build` (setjmp/longjmp through wasm exceptions, wasi-libc's POSIX
//! emulations, an 8 MiB program stack). With `-c`/`-S` each source is
//! compiled to `NAME.o`/`NAME.s` (or `-o`); with `-E`, `-M`, `-MM`,
//! `-fsyntax-only`, or no input file (`--version`, `-dumpmachine`), clang
//! runs once.
//!
//! LLVM is a prebuilt wasi-libc program that starts in `/` whatever the
//! shell's directory (docs/abi.md), so the driver hands it absolute paths —
//! inputs, `-o`, `-I`/`-L` and the other path options — and maps the
//! sources back to the names given in what clang prints.
//!
//! The toolchain is the C lane's package, which the host grants read-only
//! at `/usr/lib/capsa/c` once `capsa lanes install c` has run; without it
//! every name says how to get it and exits 127.
//!
//! capsa's C extension (`wasi_ext.h`: spawn, pipes, sockets, users) is on
//! the include path and linked lazily, as in the C lane, once the lane's
//! install has built it (granted at `/opt/capsa`); `-lwasi-ext` is
//! accepted.
//!
//! Link options understood: `-o`, `-l`, `-L`, `-Wl,…`, `-Xlinker`, `-s`,
//! `-nostdlib`, `-nostartfiles`, `-rdynamic`; `-shared`, `-pthread` and
//! `-fopenmp` are refused (wasm32-wasip1 has neither shared libraries nor
//! threads). `-v` prints each stage before it runs. Exit status: the
//! failing stage's, else 0.

use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::util;

/// The LLVM multitool: clang, wasm-ld or llvm-ar by `argv[0]`.
const LLVM: &str = "/usr/lib/capsa/c/gen/llvm.core.wasm";
/// The sysroot: wasi-libc, libc++, clang's resource headers.
const SYSROOT: &str = "/usr/lib/capsa/c/sysroot";
/// capsa's C extension (`wasi_ext.h`, `spawn.h`, …), built by the C lane
/// and granted here once `capsa lanes install c` has run: `include/` and
/// `obj/`.
const EXT: &str = "/opt/capsa";
/// The target every program is built for.
const TARGET: &str = "--target=wasm32-wasip1";
/// The linked program's stack (as the C lane's): wasm-ld's 64 KiB default
/// overflows on modest automatic buffers.
const PROGRAM_STACK: &str = "stack-size=8388608";
/// wasi-libc's POSIX emulations, on by default as in the C lane: (define, library).
const EMULATIONS: &[(&str, &str)] = &[
    ("_WASI_EMULATED_SIGNAL", "wasi-emulated-signal"),
    ("_WASI_EMULATED_PROCESS_CLOCKS", "wasi-emulated-process-clocks"),
    ("_WASI_EMULATED_GETPID", "wasi-emulated-getpid"),
    ("_WASI_EMULATED_MMAN", "wasi-emulated-mman"),
];
/// Compiler options whose value (the next argument, or joined) is a path.
const PATH_OPTIONS: &[&str] =
    &["-I", "-include", "-imacros", "-isystem", "-idirafter", "-iquote", "-isysroot", "-MF", "-L"];
/// Compiler options whose value is the next argument, not a path.
const VALUE_OPTIONS: &[&str] = &["-D", "-U", "-MT", "-MQ", "-Xclang", "-mllvm", "-x", "-arch"];
/// Options that stop before linking.
const NO_LINK: &[&str] = &["-c", "-S", "-E", "-M", "-MM", "-fsyntax-only"];

/// What this invocation drives.
#[derive(Clone, Copy, PartialEq)]
enum Driver {
    C,
    Cxx,
}

/// One argument of a link, in command-line order (order matters to `-l`).
enum LinkItem {
    /// A source compiled to a temporary object first.
    Source(OsString),
    /// An object, archive or linker option passed as is.
    Pass(OsString),
}

/// The command line, sorted by who takes each part; paths made absolute.
#[derive(Default)]
struct Parsed {
    /// Every argument in order, for a run of clang alone.
    all: Vec<OsString>,
    /// The flags each compile of a link gets.
    compile: Vec<OsString>,
    link: Vec<LinkItem>,
    output: Option<OsString>,
    /// `-c`, `-S`, `-E`… if given.
    stop: Option<&'static str>,
    /// (absolute, as given) for each source, to restore names in messages.
    sources: Vec<(String, String)>,
    inputs: usize,
    verbose: bool,
    strip: bool,
    no_stdlib: bool,
    no_startfiles: bool,
    /// A `-x LANG` in force for the inputs that follow.
    forced_language: bool,
}

/// Entry point for every name of the driver.
pub fn main(cmd: &str, args: Vec<OsString>) -> i32 {
    if !Path::new(LLVM).is_file() {
        eprintln!("capsa: {cmd} is not installed; on the host run: capsa lanes install c");
        return 127;
    }
    let cwd = match std::env::current_dir() {
        Ok(dir) => dir,
        Err(err) => return util::fail(cmd, format!("the working directory: {}", util::errmsg(&err))),
    };
    match cmd {
        // lld's wasm flavour; "ld" alone would pick the ELF one.
        "ld" | "wasm-ld" => {
            let args = linker_args(&args, &cwd);
            let output = args.iter().position(|arg| arg == "-o").and_then(|at| args.get(at + 1));
            let code = run(cmd, "wasm-ld", &args, &[], false);
            finish_link(cmd, code, output.map_or(Path::new("a.out"), Path::new))
        }
        "ar" | "ranlib" => run(cmd, cmd, &archiver_args(cmd, &args, &cwd), &[], false),
        _ => {
            let driver = if matches!(cmd, "c++" | "g++" | "clang++") { Driver::Cxx } else { Driver::C };
            match parse(&args, &cwd) {
                Ok(parsed) => drive(cmd, driver, parsed, &cwd),
                Err(msg) => util::fail(cmd, msg),
            }
        }
    }
}

/// `path` made absolute against `cwd`.
fn absolute(cwd: &Path, path: &OsStr) -> OsString {
    if path.is_empty() || Path::new(path).is_absolute() { path.to_owned() } else { cwd.join(path).into_os_string() }
}

/// A path option's argument made absolute: `-Ldir`, or `-L` then `dir`.
fn joined(option: &str, value: &OsStr, cwd: &Path) -> OsString {
    let mut arg = OsString::from(option);
    arg.push(absolute(cwd, value));
    arg
}

/// Sorts the arguments into compile flags, link items and the output.
fn parse(args: &[OsString], cwd: &Path) -> Result<Parsed, String> {
    let mut p = Parsed::default();
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        let Some(text) = arg.to_str() else {
            add_input(&mut p, arg, cwd);
            continue;
        };
        let mut value = |name: &str| iter.next().cloned().ok_or_else(|| format!("missing argument to '{name}'"));
        match text {
            _ if NO_LINK.contains(&text) => {
                p.stop = NO_LINK.iter().copied().find(|stop| *stop == text);
                p.all.push(arg.clone());
            }
            "-o" => p.output = Some(absolute(cwd, &value(text)?)),
            _ if text.starts_with("-o") => p.output = Some(absolute(cwd, OsStr::new(&text[2..]))),
            "-v" => {
                p.verbose = true;
                p.all.push(arg.clone());
                p.compile.push(arg.clone());
            }
            "-s" => p.strip = true,
            "-nostdlib" => p.no_stdlib = true,
            "-nostartfiles" => p.no_startfiles = true,
            "-rdynamic" => p.link.push(LinkItem::Pass("--export-dynamic".into())),
            "-static" | "-pie" | "-no-pie" => {}
            "-shared" => return Err("-shared: wasm32-wasip1 has no shared libraries".into()),
            "-pthread" | "-fopenmp" => return Err(format!("{text}: wasm32-wasip1 has no threads")),
            "-l" => {
                let mut lib = OsString::from("-l");
                lib.push(value(text)?);
                p.link.push(LinkItem::Pass(lib));
            }
            // capsa's C extension is always linked lazily (below), as in
            // the C lane: naming it adds nothing.
            "-lwasi-ext" if Path::new(EXT).join("obj").is_dir() => {}
            _ if text.starts_with("-l") => p.link.push(LinkItem::Pass(arg.clone())),
            "-L" => p.link.push(LinkItem::Pass(joined("-L", &value(text)?, cwd))),
            _ if text.starts_with("-L") => p.link.push(LinkItem::Pass(joined("-L", OsStr::new(&text[2..]), cwd))),
            "-Xlinker" => p.link.push(LinkItem::Pass(value(text)?)),
            _ if text.starts_with("-Wl,") => {
                p.link.extend(text[4..].split(',').filter(|s| !s.is_empty()).map(|s| LinkItem::Pass(s.into())));
            }
            _ if PATH_OPTIONS.contains(&text) => {
                let path = absolute(cwd, &value(text)?);
                p.all.extend([arg.clone(), path.clone()]);
                p.compile.extend([arg.clone(), path]);
            }
            _ if VALUE_OPTIONS.contains(&text) || text == "-std" => {
                let v = value(text)?;
                if text == "-x" {
                    p.forced_language = v != "none";
                }
                p.all.extend([arg.clone(), v.clone()]);
                p.compile.extend([arg.clone(), v]);
            }
            _ => match PATH_OPTIONS.iter().find(|option| option.len() == 2 && text.starts_with(*option)) {
                Some(option) if text.len() > 2 => {
                    let path = joined(option, OsStr::new(&text[2..]), cwd);
                    p.all.push(path.clone());
                    p.compile.push(path);
                }
                _ if text.starts_with('-') && text.len() > 1 => {
                    p.all.push(arg.clone());
                    p.compile.push(arg.clone());
                }
                _ => add_input(&mut p, arg, cwd),
            },
        }
    }
    Ok(p)
}

/// An input file: a source to compile, or something for the linker (as
/// gcc, any name it does not know as a source).
fn add_input(p: &mut Parsed, input: &OsStr, cwd: &Path) {
    p.inputs += 1;
    let path = absolute(cwd, input);
    p.all.push(path.clone());
    if p.forced_language || is_source(Path::new(input)) {
        p.sources.push((path.to_string_lossy().into_owned(), input.to_string_lossy().into_owned()));
        p.link.push(LinkItem::Source(path));
    } else {
        p.link.push(LinkItem::Pass(path));
    }
}

/// Whether `path` names a file clang compiles (rather than links).
fn is_source(path: &Path) -> bool {
    let ext = path.extension().and_then(OsStr::to_str).unwrap_or("");
    ["c", "i", "cc", "cp", "cpp", "cxx", "c++", "C", "CC", "ii", "s", "S", "m"].contains(&ext)
}

/// Compiles and links as [`Parsed`] says; returns the exit status.
fn drive(cmd: &str, driver: Driver, p: Parsed, cwd: &Path) -> i32 {
    let clang = if driver == Driver::Cxx { "clang++" } else { "clang" };
    let names = &p.sources;
    match p.stop {
        // Each source to its own NAME.o or NAME.s in the working directory.
        Some(stop @ ("-c" | "-S")) if p.output.is_none() => {
            let extension = if stop == "-c" { "o" } else { "s" };
            for item in &p.link {
                let LinkItem::Source(source) = item else { continue };
                let stem = Path::new(source).file_stem().unwrap_or_default();
                let output = cwd.join(stem).with_extension(extension);
                let code = compile(cmd, clang, driver, &p, stop, source, output.as_os_str());
                if code != 0 {
                    return code;
                }
            }
            return 0;
        }
        Some(_) => {}
        None if p.inputs == 0 => {}
        None => return link(cmd, clang, driver, p),
    }
    let mut all = defaults(driver);
    all.extend(p.all.iter().cloned());
    if let Some(output) = &p.output {
        all.extend([OsString::from("-o"), output.clone()]);
    }
    run(cmd, clang, &all, names, p.verbose)
}

/// Compiles one source (`stop` is `-c` or `-S`) to `output`.
fn compile(cmd: &str, clang: &str, driver: Driver, p: &Parsed, stop: &str, source: &OsStr, output: &OsStr) -> i32 {
    let mut args = defaults(driver);
    args.extend(p.compile.iter().cloned());
    args.extend([OsString::from(stop), source.into(), "-o".into(), output.into()]);
    run(cmd, clang, &args, &p.sources, p.verbose)
}

/// Compiles every source to a temporary object, then links them.
fn link(cmd: &str, clang: &str, driver: Driver, p: Parsed) -> i32 {
    // std::env::temp_dir() panics on wasip1; the pid keeps VM processes apart
    // (std::process::id() is unsupported there).
    let temp_dir = std::env::var_os("TMPDIR").map_or_else(|| PathBuf::from("/tmp"), PathBuf::from);
    let pid = wasi_ext::getpid().unwrap_or(0);
    let mut temps = Temps(Vec::new());
    let mut args: Vec<OsString> = ["-m", "wasm32"].map(OsString::from).to_vec();
    args.push(format!("-L{SYSROOT}/lib/wasm32-unknown-wasip1").into());
    args.push(format!("-L{SYSROOT}/lib/wasm32-wasip1").into());
    if !p.no_stdlib && !p.no_startfiles {
        args.push(format!("{SYSROOT}/lib/wasm32-wasip1/crt1-command.o").into());
    }
    for item in &p.link {
        match item {
            LinkItem::Pass(arg) => args.push(arg.clone()),
            LinkItem::Source(source) => {
                let object = temp_dir.join(format!("cc-{pid}-{}.o", temps.0.len()));
                temps.0.push(object.clone());
                let code = compile(cmd, clang, driver, &p, "-c", source, object.as_os_str());
                if code != 0 {
                    return code;
                }
                args.push(object.into());
            }
        }
    }
    if !p.no_stdlib {
        // capsa's C extension as a lazy library: linked only if used.
        let ext = ext_objects();
        if !ext.is_empty() {
            args.push("--start-lib".into());
            args.extend(ext);
            args.push("--end-lib".into());
        }
        if driver == Driver::Cxx {
            args.extend(["-lc++", "-lc++abi"].map(OsString::from));
        }
        args.push("-lsetjmp".into());
        args.extend(EMULATIONS.iter().map(|(_, lib)| OsString::from(format!("-l{lib}"))));
        args.push("-lc".into());
        args.push(format!("{SYSROOT}/lib/wasm32-unknown-wasip1/libclang_rt.builtins.a").into());
    }
    if p.strip {
        args.push("--strip-all".into());
    }
    let output = p.output.clone().unwrap_or_else(|| "a.out".into());
    args.extend(["-z", PROGRAM_STACK, "-o"].map(OsString::from));
    args.push(output.clone());
    let code = run(cmd, "wasm-ld", &args, &p.sources, p.verbose);
    finish_link(cmd, code, Path::new(&output))
}

/// The objects of capsa's C extension, when it is granted, in a stable
/// order.
fn ext_objects() -> Vec<OsString> {
    let Ok(entries) = std::fs::read_dir(Path::new(EXT).join("obj")) else { return Vec::new() };
    let mut objects: Vec<OsString> = entries
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "o"))
        .map(PathBuf::into_os_string)
        .collect();
    objects.sort();
    objects
}

/// After a link that worked, makes the program executable as a native
/// linker's output is (`0777` less the umask): wasi-libc creates files
/// without a mode, so wasm-ld cannot.
fn finish_link(cmd: &str, code: i32, output: &Path) -> i32 {
    if code != 0 {
        return code;
    }
    let umask = wasi_ext::fs::umask(0o022);
    wasi_ext::fs::umask(umask);
    match wasi_ext::fs::chmod(output, 0o777 & !umask) {
        Ok(()) => 0,
        Err(err) => util::fail(cmd, format!("{}: {}", output.display(), util::errmsg(&err))),
    }
}

/// What every compile gets before the user's flags: the target, the
/// sysroot, and the C lane's defaults.
fn defaults(driver: Driver) -> Vec<OsString> {
    let mut args: Vec<OsString> = vec![
        TARGET.into(),
        format!("--sysroot={SYSROOT}").into(),
        format!("-resource-dir={SYSROOT}").into(),
        "-mllvm".into(),
        "-wasm-enable-sjlj".into(),
        "-mllvm".into(),
        "-wasm-use-legacy-eh=false".into(),
    ];
    args.extend(EMULATIONS.iter().map(|(define, _)| OsString::from(format!("-D{define}"))));
    let ext_include = Path::new(EXT).join("include");
    if ext_include.is_dir() {
        // After the user's own -I paths, as a system directory.
        args.push("-idirafter".into());
        args.push(ext_include.into_os_string());
    }
    if driver == Driver::Cxx {
        // As the C++ lane: wasm32-wasip1's libc++abi is built without them.
        args.push("-fno-exceptions".into());
    }
    args
}

/// `wasm-ld`'s arguments with file operands and `-o`/`-L` values absolute.
fn linker_args(args: &[OsString], cwd: &Path) -> Vec<OsString> {
    let mut out = Vec::with_capacity(args.len());
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.to_str() {
            Some("-o" | "-L") => {
                out.push(arg.clone());
                out.extend(iter.next().map(|path| absolute(cwd, path)));
            }
            Some(text) if text.starts_with("-L") && text.len() > 2 => {
                out.push(joined("-L", OsStr::new(&text[2..]), cwd))
            }
            Some(text) if text.starts_with('-') => out.push(arg.clone()),
            _ => out.push(absolute(cwd, arg)),
        }
    }
    out
}

/// `ar`'s or `ranlib`'s arguments with the archive and members absolute
/// (`ar`'s first operand is its operation letters).
fn archiver_args(cmd: &str, args: &[OsString], cwd: &Path) -> Vec<OsString> {
    let mut operation_seen = cmd == "ranlib";
    args.iter()
        .map(|arg| {
            let is_option = arg.to_str().is_some_and(|text| text.starts_with('-'));
            if is_option || !operation_seen {
                operation_seen |= !is_option;
                arg.clone()
            } else {
                absolute(cwd, arg)
            }
        })
        .collect()
}

/// Runs the multitool as `tool` and waits; returns its shell-style status.
/// With `names`, what it prints names each source as the user gave it.
fn run(cmd: &str, tool: &str, args: &[OsString], names: &[(String, String)], verbose: bool) -> i32 {
    if verbose {
        let line: Vec<String> = args.iter().map(|a| util::quote(a)).collect();
        eprintln!(" {tool} {}", line.join(" "));
    }
    let mut command = wasi_ext::Command::new(LLVM);
    command.arg0(tool).args(args);
    if names.is_empty() {
        return match command.status() {
            Ok(status) => util::child_code(status),
            Err(err) => util::spawn_failed(cmd, OsStr::new(tool), &err),
        };
    }
    // Stdout as it comes (-E output can be large); diagnostics rewritten.
    let output = match command.stdout(wasi_ext::Stdio::inherit()).output() {
        Ok(output) => output,
        Err(err) => return util::spawn_failed(cmd, OsStr::new(tool), &err),
    };
    let mut printed = String::from_utf8_lossy(&output.stderr).into_owned();
    for (absolute, given) in names {
        printed = printed.replace(absolute.as_str(), given);
    }
    let _ = std::io::stderr().write_all(printed.as_bytes());
    util::child_code(output.status)
}

/// Temporary objects, removed when the driver is done with them.
struct Temps(Vec<PathBuf>);

impl Drop for Temps {
    fn drop(&mut self) {
        for path in &self.0 {
            let _ = std::fs::remove_file(path);
        }
    }
}
