//! `capsa run` as a user sees it: exit codes, one-line reasons, bad modules,
//! bad manifests, and the module cache. Modules are written as WAT (capsa
//! accepts the text format too) so each case shows exactly what it does.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Self {
        Sandbox { dir: tempfile::tempdir().expect("tempdir") }
    }

    fn file(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, contents).expect("write test file");
        path
    }

    fn cache(&self) -> PathBuf {
        self.dir.path().join("cache")
    }

    fn capsa(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_capsa"))
            .arg("run")
            .arg("--cache-dir")
            .arg(self.cache())
            .args(args)
            .output()
            .expect("run capsa")
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 temp path")
}

/// A command module whose `_start` runs `body`.
fn command(body: &str) -> String {
    format!(
        r#"(module
             (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
             (memory (export "memory") 1)
             (func (export "_start") {body}))"#
    )
}

#[test]
fn exit_code_is_the_guest_code() {
    let sb = Sandbox::new();
    let module = sb.file("exit.wat", command("i32.const 42 call $exit"));
    let out = sb.capsa(&[path(&module)]);
    assert_eq!(out.status.code(), Some(42), "{}", stderr(&out));
    assert_eq!(stderr(&out), "");
}

#[test]
fn trap_exits_134_with_the_reason() {
    let sb = Sandbox::new();
    let module = sb.file("trap.wat", command("unreachable"));
    let out = sb.capsa(&[path(&module)]);
    assert_eq!(out.status.code(), Some(134));
    assert!(stderr(&out).starts_with("capsa: trapped: "), "{}", stderr(&out));
    assert!(stderr(&out).contains("unreachable"), "{}", stderr(&out));
}

#[test]
fn start_function_that_traps_is_a_trap() {
    let sb = Sandbox::new();
    let module = sb.file(
        "start.wat",
        r#"(module (memory (export "memory") 1) (func $s unreachable) (start $s) (func (export "_start")))"#,
    );
    let out = sb.capsa(&[path(&module)]);
    assert_eq!(out.status.code(), Some(134), "{}", stderr(&out));
}

#[test]
fn infinite_loop_is_killed_by_the_wall_clock() {
    let sb = Sandbox::new();
    let module = sb.file("loop.wat", command("(loop br 0)"));
    let out = sb.capsa(&["--timeout", "300ms", path(&module)]);
    assert_eq!(out.status.code(), Some(137));
    assert_eq!(stderr(&out), "capsa: killed: wall-clock limit 300ms\n");
}

#[test]
fn infinite_loop_is_killed_by_the_cpu_budget() {
    let sb = Sandbox::new();
    let module = sb.file("loop.wat", command("(loop br 0)"));
    let out = sb.capsa(&["--cpu", "300ms", "--timeout", "30s", path(&module)]);
    assert_eq!(out.status.code(), Some(137));
    assert_eq!(stderr(&out), "capsa: killed: CPU-time limit 300ms\n");
}

#[test]
fn infinite_loop_is_killed_by_fuel() {
    let sb = Sandbox::new();
    let module = sb.file("loop.wat", command("(loop br 0)"));
    let out = sb.capsa(&["--fuel", "1000000", path(&module)]);
    assert_eq!(out.status.code(), Some(137));
    assert_eq!(stderr(&out), "capsa: killed: fuel limit 1000000\n");
}

#[test]
fn unknown_imports_are_all_named() {
    let sb = Sandbox::new();
    let module = sb.file(
        "imports.wat",
        r#"(module
             (import "env" "mystery" (func))
             (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
             (import "wasi_snapshot_preview1" "path_teleport" (func))
             (memory (export "memory") 1)
             (func (export "_start")))"#,
    );
    let out = sb.capsa(&[path(&module)]);
    assert_eq!(out.status.code(), Some(126));
    let err = stderr(&out);
    assert!(err.contains("env::mystery") && err.contains("wasi_snapshot_preview1::path_teleport"), "{err}");
    assert!(!err.contains("fd_write"), "{err}");
}

#[test]
fn wrong_import_signature_is_a_clear_link_error() {
    let sb = Sandbox::new();
    let module = sb.file(
        "sig.wat",
        r#"(module (import "wasi_snapshot_preview1" "fd_write" (func (param i32)))
                   (memory (export "memory") 1) (func (export "_start")))"#,
    );
    let out = sb.capsa(&[path(&module)]);
    assert_eq!(out.status.code(), Some(126));
    assert!(stderr(&out).contains("fd_write"), "{}", stderr(&out));
}

#[test]
fn malformed_and_truncated_modules_are_refused() {
    let sb = Sandbox::new();
    let garbage = sb.file("garbage.wasm", b"\0asm\x01\0\0\0\xff\xff\xff");
    let out = sb.capsa(&[path(&garbage)]);
    assert_eq!(out.status.code(), Some(126));
    assert!(stderr(&out).contains("invalid wasm module"), "{}", stderr(&out));

    let whole = wasmparser_free_module();
    let truncated = sb.file("truncated.wasm", &whole[..whole.len() - 3]);
    let out = sb.capsa(&[path(&truncated)]);
    assert_eq!(out.status.code(), Some(126));
    assert!(stderr(&out).contains("invalid wasm module"), "{}", stderr(&out));
}

/// A small valid binary module (`(module (memory 1) (func (export "_start")))`).
fn wasmparser_free_module() -> Vec<u8> {
    vec![
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
        0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // type: () -> ()
        0x03, 0x02, 0x01, 0x00, // func 0: type 0
        0x05, 0x03, 0x01, 0x00, 0x01, // memory: min 1
        0x07, 0x0a, 0x01, 0x06, b'_', b's', b't', b'a', b'r', b't', 0x00, 0x00, // export _start
        0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b, // code: empty body
    ]
}

#[test]
fn the_binary_module_above_runs() {
    let sb = Sandbox::new();
    let module = sb.file("ok.wasm", wasmparser_free_module());
    let out = sb.capsa(&[path(&module)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn deep_recursion_fits_a_large_stack_and_traps_in_a_small_one() {
    // A million nested calls: tens of MiB of wasm stack.
    let sb = Sandbox::new();
    let module = sb.file(
        "deep.wat",
        r#"(module
             (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
             (memory (export "memory") 1)
             (func $down (param $n i32) (result i32)
               (if (result i32) (local.get $n)
                 (then (i32.add (call $down (i32.sub (local.get $n) (i32.const 1))) (local.get $n)))
                 (else (i32.const 0))))
             (func (export "_start") (drop (call $down (i32.const 1000000))) (call $exit (i32.const 0))))"#,
    );
    let out = sb.capsa(&["--stack", "256MiB", path(&module)]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let out = sb.capsa(&["--stack", "1MiB", path(&module)]);
    assert_eq!(out.status.code(), Some(134), "stderr: {}", stderr(&out));
    assert!(stderr(&out).contains("call stack exhausted"), "stderr: {}", stderr(&out));
}

#[test]
fn module_without_start_is_not_a_command() {
    let sb = Sandbox::new();
    let module = sb.file("lib.wat", r#"(module (memory (export "memory") 1) (func (export "work")))"#);
    let out = sb.capsa(&[path(&module)]);
    assert_eq!(out.status.code(), Some(126));
    assert!(stderr(&out).contains("_start"), "{}", stderr(&out));
}

#[test]
fn memory_minimum_over_the_limit_is_refused() {
    let sb = Sandbox::new();
    // 8192 pages = 512 MiB, over a 256 MiB limit.
    let module = sb.file("big.wat", r#"(module (memory (export "memory") 8192) (func (export "_start")))"#);
    let out = sb.capsa(&["--memory", "256MiB", path(&module)]);
    assert_eq!(out.status.code(), Some(126));
    assert!(stderr(&out).contains("cannot instantiate"), "{}", stderr(&out));
}

#[test]
fn manifest_errors_name_key_and_line_and_run_nothing() {
    let sb = Sandbox::new();
    let marker = sb.dir.path().join("ran");
    let module = sb.file("exit.wat", command("i32.const 0 call $exit"));
    let manifest = sb.file("m.toml", "clock = true\n[limits]\nwall = \"forever\"\n");
    let out = sb.capsa(&["--manifest", path(&manifest), path(&module)]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("line 3") && err.contains("wall"), "{err}");
    assert!(!marker.exists());
    assert!(!sb.cache().join("modules").exists(), "nothing may run, not even a compile");

    let manifest = sb.file("m2.toml", "clock = true\nnetwork = true\n");
    let out = sb.capsa(&["--manifest", path(&manifest), path(&module)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("network") && stderr(&out).contains("line 2"), "{}", stderr(&out));
}

#[test]
fn missing_grant_directory_is_a_usage_error() {
    let sb = Sandbox::new();
    let module = sb.file("exit.wat", command("i32.const 0 call $exit"));
    let out = sb.capsa(&["--dir", "/definitely/not/here:/data", path(&module)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("/definitely/not/here"), "{}", stderr(&out));
}

#[test]
fn compiled_modules_are_cached_by_content() {
    let sb = Sandbox::new();
    let module = sb.file("exit.wat", command("i32.const 7 call $exit"));
    assert_eq!(sb.capsa(&[path(&module)]).status.code(), Some(7));
    let artifacts: Vec<_> =
        walk(&sb.cache().join("modules")).into_iter().filter(|p| p.extension().is_some_and(|e| e == "cwasm")).collect();
    assert_eq!(artifacts.len(), 1, "{artifacts:?}");
    use std::os::unix::fs::MetadataExt as _;
    let before = std::fs::metadata(&artifacts[0]).expect("stat");
    // Same bytes under another name: the artifact is reused, not rewritten
    // (a rewrite is a new file renamed into place), and marked as used.
    let copy = sb.file("copy.wat", std::fs::read(&module).expect("read"));
    assert_eq!(sb.capsa(&[path(&copy)]).status.code(), Some(7));
    let after = std::fs::metadata(&artifacts[0]).expect("stat");
    assert_eq!(before.ino(), after.ino());
    assert!(after.modified().expect("mtime") >= before.modified().expect("mtime"));
    assert_eq!(walk(&sb.cache().join("modules")).len(), 1);
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(walk(&path));
        } else {
            found.push(path);
        }
    }
    found
}

/// Regression (found by reading the adapter while writing the fuzzer): one
/// `fd_read` with a million iovecs over one buffer, from /dev/zero, moved
/// terabytes in a single host call and ignored the wall clock. Kills and the
/// deadline are now checked between buffers.
#[test]
fn iovec_flood_from_dev_zero_is_stopped_by_the_wall_clock() {
    let sb = Sandbox::new();
    let module = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fuzz/regressions/dev_zero_read.wat");
    let started = std::time::Instant::now();
    let out = sb.capsa(&["--vm-fs", "--timeout", "1s", "--memory", "64MiB", module]);
    assert_eq!(out.status.code(), Some(137), "{}", stderr(&out));
    assert_eq!(stderr(&out), "capsa: killed: wall-clock limit 1s\n");
    assert!(started.elapsed() < std::time::Duration::from_secs(10), "took {:?}", started.elapsed());
}

/// Regression (attack pass, issue 14): a reader that never reads stdout
/// kept `capsa run --timeout 2s` alive as long as it liked, blocked in the
/// host write. The write now waits in slices and ends at the deadline.
#[test]
fn a_stdout_nobody_reads_does_not_outlive_the_deadline() {
    let sb = Sandbox::new();
    // Writes 64 KiB at a time, forever.
    let module = sb.file(
        "flood.wat",
        r#"(module
             (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
             (memory (export "memory") 2)
             (data (i32.const 0) "\10\00\00\00\00\00\01\00")
             (func (export "_start")
               (loop (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))) (br 0))))"#,
    );
    let (reader, writer) = std::io::pipe().expect("pipe");
    let started = std::time::Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_capsa"))
        .args(["run", "--cache-dir", path(&sb.cache()), "--timeout", "2s", path(&module)])
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start capsa");
    // Nobody reads `reader`: once its 64 KiB are full, every write blocks.
    let deadline = started + std::time::Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("capsa outlived its 2s deadline by 28s with an unread stdout");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    drop(reader);
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut err).expect("stderr");
    assert_eq!(status.code(), Some(137), "{err}");
    assert_eq!(err, "capsa: killed: wall-clock limit 2s\n");
}
