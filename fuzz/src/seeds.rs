//! The hand-written seed inputs checked in under `corpus/<target>/`, as code:
//! each target binary, started with `CAPSA_FUZZ_WRITE_SEEDS=<dir>`, writes
//! its seeds to `<dir>/<target>/` and exits (see `README.md`).

use std::path::Path;

use crate::preview1::{self, Arg, Call};
use crate::vfs_model::input::{Base, Input, Op, OpenFlags, PathSpec};

/// Writes the seeds of `target` and exits, if `CAPSA_FUZZ_WRITE_SEEDS` is set.
pub fn write_if_asked(target: &str) {
    let Some(dir) = std::env::var_os("CAPSA_FUZZ_WRITE_SEEDS") else { return };
    let dir = Path::new(&dir).join(target);
    std::fs::create_dir_all(&dir).expect("seed dir");
    let seeds: Vec<(&str, Vec<u8>)> = match target {
        "vfs_model" => vfs_model(),
        "preview1_calls" => preview1_calls(),
        "manifest" => manifest(),
        other => panic!("no seeds for {other}"),
    };
    for (name, bytes) in seeds {
        std::fs::write(dir.join(name), bytes).expect("write seed");
    }
    eprintln!("seeds written to {}", dir.display());
    std::process::exit(0);
}

fn p(text: &str) -> PathSpec {
    PathSpec::parse(text)
}

fn rw_create() -> OpenFlags {
    OpenFlags { read: true, write: true, create: true, ..OpenFlags::default() }
}

fn read_only() -> OpenFlags {
    OpenFlags { read: true, ..OpenFlags::default() }
}

fn data(fill: u8, len: usize) -> Vec<u8> {
    (0..len).map(|i| fill.wrapping_add(i as u8)).collect()
}

fn vfs_model() -> Vec<(&'static str, Vec<u8>)> {
    let root = Base::Root;
    let open = |user, path: &str, flags, mode, slot| Op::Open { user, base: root, path: p(path), flags, mode, slot };
    let seeds = vec![
        (
            "files",
            vec![
                open(false, "/a", rw_create(), 0o644, 0),
                Op::Write { slot: 0, offset: 0, data: data(b'h', 5) },
                Op::Write { slot: 0, offset: 30, data: data(b'x', 3) },
                Op::Read { slot: 0, offset: 0, len: 64 },
                Op::Truncate { slot: 0, size: 3 },
                Op::Stat { user: true, follow: true, base: root, path: p("/a") },
                Op::Fstat { slot: 0 },
                Op::Close { slot: 0 },
            ],
        ),
        (
            "dirs",
            vec![
                Op::Mkdir { user: false, base: root, path: p("/a"), mode: 0o755 },
                Op::Mkdir { user: false, base: root, path: p("a/b/"), mode: 0o700 },
                open(false, "/a/b/c", rw_create(), 0o600, 1),
                Op::Rename { user: false, base: root, old: p("/a/b"), new_base: root, new: p("/tmp/b") },
                open(false, "/tmp", read_only(), 0o644, 0),
                Op::Readdir { slot: 0 },
                Op::Rmdir { user: false, base: root, path: p("/tmp/b") },
                Op::Unlink { user: false, base: Base::Slot(0), path: p("b/c") },
                Op::Rmdir { user: false, base: root, path: p("/tmp/b") },
                Op::Rename { user: false, base: root, old: p("a"), new_base: root, new: p("a/a") },
            ],
        ),
        (
            "symlinks",
            vec![
                Op::Symlink { user: false, target: "/a".into(), base: root, path: p("/tmp/a") },
                Op::Mkdir { user: false, base: root, path: p("/a"), mode: 0o777 },
                Op::Stat { user: false, follow: true, base: root, path: p("/tmp/a/") },
                Op::Readlink { user: true, base: root, path: p("/tmp/a") },
                Op::Symlink { user: false, target: "a".into(), base: root, path: p("/a/a") },
                Op::Stat { user: false, follow: true, base: root, path: p("/a/a") },
                Op::Open { user: false, base: root, path: p("/b/c/a"), flags: rw_create(), mode: 0o644, slot: 2 },
                Op::Link { user: false, follow: false, base: root, old: p("/tmp/a"), new_base: root, new: p("/c") },
                Op::Chmod { user: false, follow: false, base: root, path: p("/tmp/a"), mode: 0o700 },
            ],
        ),
        (
            "users",
            vec![
                open(true, "/tmp/a", rw_create(), 0o600, 0),
                open(false, "/tmp/b", rw_create(), 0o644, 1),
                Op::Unlink { user: true, base: root, path: p("/tmp/b") },
                Op::Unlink { user: true, base: root, path: p("/b/a") },
                open(true, "/c/c", OpenFlags { write: true, ..OpenFlags::default() }, 0o644, 2),
                Op::Write { slot: 2, offset: 3, data: data(b'U', 4) },
                Op::Chmod { user: true, follow: true, base: root, path: p("/c/c"), mode: 0o000 },
                open(true, "/c/c", read_only(), 0o644, 3),
                Op::Mkdir { user: true, base: root, path: p("/a"), mode: 0o755 },
                Op::Rename { user: true, base: root, old: p("/c/c"), new_base: root, new: p("/tmp/c") },
            ],
        ),
        (
            "quota",
            vec![
                open(false, "/a", rw_create(), 0o644, 0),
                Op::Write { slot: 0, offset: 597, data: data(0, 10) },
                Op::Truncate { slot: 0, size: 600 },
                Op::Truncate { slot: 0, size: 601 },
                Op::Link { user: false, follow: true, base: root, old: p("/a"), new_base: root, new: p("/b/b") },
                Op::Unlink { user: false, base: root, path: p("/a") },
                Op::Read { slot: 0, offset: 594, len: 16 },
                Op::Mkdir { user: false, base: root, path: p("/tmp/a"), mode: 0o1777 },
                Op::Mkdir { user: false, base: root, path: p("/tmp/b"), mode: 0o1777 },
                Op::Mkdir { user: false, base: root, path: p("/tmp/c"), mode: 0o1777 },
                Op::Symlink { user: false, target: "../../b".into(), base: root, path: p("/tmp/a/a") },
            ],
        ),
        (
            "beneath",
            vec![
                open(false, "/ro", read_only(), 0o644, 1),
                Op::Stat { user: true, follow: false, base: Base::Slot(1), path: p("../a") },
                Op::Stat { user: true, follow: true, base: Base::Slot(1), path: p("c") },
                Op::Stat { user: true, follow: true, base: root, path: p("/ro/c") },
                Op::Open { user: true, base: Base::Slot(1), path: p("b/c"), flags: read_only(), mode: 0o644, slot: 2 },
                Op::Read { slot: 2, offset: 0, len: 64 },
                Op::Readdir { slot: 1 },
                Op::Unlink { user: false, base: root, path: p("/ro/a") },
                Op::Mkdir { user: false, base: Base::Slot(1), path: p("c/a"), mode: 0o755 },
                Op::Stat { user: false, follow: false, base: root, path: p("/../ro/b/..") },
            ],
        ),
        (
            "unlinked",
            vec![
                open(false, "/a", rw_create(), 0o644, 0),
                Op::Write { slot: 0, offset: 0, data: data(b'q', 20) },
                Op::Unlink { user: false, base: root, path: p("/a") },
                Op::Fstat { slot: 0 },
                Op::Read { slot: 0, offset: 6, len: 10 },
                Op::Mkdir { user: false, base: root, path: p("/b/b"), mode: 0o755 },
                open(false, "/b/b", read_only(), 0o644, 1),
                Op::Rmdir { user: false, base: root, path: p("/b/b") },
                Op::Open { user: false, base: Base::Slot(1), path: p("a"), flags: rw_create(), mode: 0o644, slot: 2 },
                Op::Stat { user: false, follow: false, base: Base::Slot(1), path: p(".") },
                Op::Close { slot: 0 },
            ],
        ),
    ];
    seeds.into_iter().map(|(name, ops)| (name, Input { ops }.encode())).collect()
}

/// A preview1 call by name; the argument count must match the signature.
fn call(name: &str, args: Vec<Arg>) -> Call {
    let function = preview1::function_index(name);
    assert_eq!(args.len(), preview1::param_count(function), "{name}: argument count");
    Call { function, args }
}

/// Memory with `parts` at their offsets.
fn image(parts: &[(usize, &[u8])]) -> Vec<u8> {
    let end = parts.iter().map(|(at, b)| at + b.len()).max().unwrap_or(0);
    let mut mem = vec![0u8; end];
    for (at, bytes) in parts {
        mem[*at..at + bytes.len()].copy_from_slice(bytes);
    }
    mem
}

fn iovec(ptr: u32, len: u32) -> Vec<u8> {
    [ptr.to_le_bytes(), len.to_le_bytes()].concat()
}

fn preview1_calls() -> Vec<(&'static str, Vec<u8>)> {
    use Arg::{Fd, Small, Special, Word};
    let w = |v: u16| Word(v);
    let input = |calls: Vec<Call>, memory: Vec<u8>| preview1::Input {
        root: false,
        clock: false,
        entropy: false,
        pages: 1,
        stdin: b"stdin bytes\n".to_vec(),
        calls,
        memory,
    };
    let hello = image(&[(0x100, &iovec(0x200, 5)), (0x200, b"hello"), (0x300, b"x"), (0x310, b"b/c")]);
    let rights = Arg::Raw64((1 << 1) | (1 << 6)); // FD_READ | FD_WRITE
    let seeds = vec![
        (
            "stdio",
            input(
                vec![
                    call("fd_write", vec![Fd(1), w(0x100), Small(1), w(0x400)]),
                    call("fd_read", vec![Fd(0), w(0x100), Small(1), w(0x400)]),
                    call("fd_fdstat_get", vec![Fd(0), w(0x500)]),
                    call("fd_prestat_get", vec![Fd(3), w(0x500)]),
                    call("fd_prestat_dir_name", vec![Fd(5), w(0x600), Small(8)]),
                    call("args_sizes_get", vec![w(0x500), w(0x504)]),
                    call("args_get", vec![w(0x700), w(0x800)]),
                    call("environ_get", vec![w(0x700), w(0x800)]),
                ],
                hello.clone(),
            ),
        ),
        (
            "files",
            input(
                vec![
                    call(
                        "path_open",
                        vec![Fd(3), Small(1), w(0x300), Small(1), Small(1 | 8), rights, Small(0), Small(0), w(0x400)],
                    ),
                    call("fd_write", vec![Fd(6), w(0x100), Small(1), w(0x404)]),
                    call("fd_seek", vec![Fd(6), Small(0), Small(0), w(0x408)]),
                    call("fd_read", vec![Fd(6), w(0x100), Small(1), w(0x404)]),
                    call("fd_filestat_get", vec![Fd(6), w(0x500)]),
                    call("fd_readdir", vec![Fd(3), w(0x800), w(0x200), Small(0), w(0x404)]),
                    call("path_rename", vec![Fd(3), w(0x300), Small(1), Fd(5), w(0x310), Small(3)]),
                    call("path_unlink_file", vec![Fd(3), w(0x300), Small(1)]),
                    call("fd_filestat_set_size", vec![Fd(6), Special(10)]),
                ],
                hello.clone(),
            ),
        ),
        (
            "read_only",
            input(
                vec![
                    call("path_create_directory", vec![Fd(4), w(0x300), Small(1)]),
                    call("path_filestat_get", vec![Fd(4), Small(1), w(0x310), Small(3), w(0x500)]),
                    call("path_symlink", vec![w(0x310), Small(3), Fd(4), w(0x300), Small(1)]),
                    call("path_readlink", vec![Fd(4), w(0x320), Small(1), w(0x600), Small(64), w(0x404)]),
                    call("path_remove_directory", vec![Fd(4), w(0x310), Small(1)]),
                    call("path_link", vec![Fd(4), Small(0), w(0x310), Small(3), Fd(3), w(0x300), Small(1)]),
                ],
                image(&[(0x300, b"x"), (0x310, b"b/c"), (0x320, b"c")]),
            ),
        ),
        (
            "pipes",
            input(
                vec![
                    call("fd_pipe", vec![w(0x400), w(0x404)]),
                    call("fd_write", vec![Fd(7), w(0x100), Small(1), w(0x408)]),
                    call("fd_read", vec![Fd(6), w(0x100), Small(1), w(0x408)]),
                    call("fd_dup", vec![Fd(7), w(0x40c)]),
                    call("fd_dup2", vec![Fd(6), Fd(2)]),
                    call("fd_close", vec![Fd(7)]),
                    call("fd_read", vec![Fd(6), w(0x100), Small(1), w(0x408)]),
                ],
                hello.clone(),
            ),
        ),
        (
            "sleep",
            input(
                vec![
                    call("poll_oneoff", vec![w(0x100), w(0x400), Small(2), w(0x500)]),
                    call("sched_yield", vec![]),
                    call("sleep_ms", vec![Special(3)]),
                ],
                image(&[
                    // A relative clock subscription of 1 ms, then fd 0 readable.
                    (0x100, &[7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]),
                    (0x118, &1_000_000u64.to_le_bytes()),
                    (0x130, &[9, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
                ]),
            ),
        ),
        (
            "process",
            input(
                vec![
                    call(
                        "proc_spawn",
                        vec![
                            w(0x300),
                            Small(11),
                            w(0x310),
                            Small(3),
                            w(0x320),
                            Small(0),
                            w(0x330),
                            Small(0),
                            w(0x340),
                            Small(1),
                            w(0x400),
                        ],
                    ),
                    call("proc_waitpid", vec![Arg::Negative(1), Small(1), w(0x404), w(0x408)]),
                    call("proc_getpid", vec![w(0x404)]),
                    call("proc_getpgid", vec![Small(0), w(0x404)]),
                    call("proc_setpgid", vec![Small(0), Small(0)]),
                    call("proc_kill", vec![Small(1), Small(0)]),
                    call("getpwnam", vec![w(0x350), Small(4), w(0x600), Small(128), w(0x404)]),
                    call("getpwuid", vec![w(1000), w(0x600), Small(8), w(0x404)]),
                    call("getgrgid", vec![Small(0), w(0x600), Small(128), w(0x404)]),
                    call("isatty", vec![Fd(1), w(0x404)]),
                    call("proc_raise", vec![Small(15)]),
                ],
                image(&[
                    (0x300, b"/bin/script"),
                    (0x310, b"s\0\0"),
                    (0x340, &[0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0]),
                    (0x350, b"user"),
                ]),
            ),
        ),
        (
            "grants",
            preview1::Input {
                root: true,
                clock: true,
                entropy: true,
                pages: 2,
                stdin: Vec::new(),
                calls: vec![
                    call("clock_time_get", vec![Small(1), Small(0), w(0x100)]),
                    call("clock_res_get", vec![Small(0), w(0x100)]),
                    call("random_get", vec![w(0x200), w(0x1000)]),
                    call(
                        "path_open",
                        vec![Fd(5), Small(1), w(0x20), Small(11), Small(0), rights, Small(0), Small(0), w(0x40)],
                    ),
                    call("fd_read", vec![Fd(6), w(0x50), Small(1), w(0x44)]),
                    call("proc_exit", vec![Small(3)]),
                ],
                memory: image(&[(0x20, b"dev/urandom"), (0x50, &iovec(0x2000, 16))]),
            },
        ),
    ];
    seeds.into_iter().map(|(name, input)| (name, input.encode())).collect()
}

fn manifest() -> Vec<(&'static str, Vec<u8>)> {
    // The leading newline is the mode byte (even: text follows).
    let texts = [
        (
            "full",
            "\nenv = { LANG = \"C.UTF-8\" }\nrandom = true\nclock = true\nroot = false\nstdin = \"inherit\"\n\
             stdout = { file = \"out.txt\" }\nstderr = \"null\"\n[[dir]]\nhost = \"data\"\nguest = \"/data\"\n\
             read_only = true\n[limits]\nfuel = 5_000_000_000\nwall = \"30s\"\nmemory = \"512MiB\"\n\
             stack = \"1MiB\"\nstdout = \"1GiB\"\nstderr = \"1GiB\"\ndisk = \"512MiB\"\ninodes = 65536\n\
             fds = 1024\nprocesses = 64\n",
        ),
        ("unknown_key", "\nrandom = true\nrandum = true\n"),
        ("bad_size", "\n[limits]\nmemory = \"12 parsecs\"\nwall = \"500ms\"\n"),
        ("overflow", "\n[limits]\nmemory = \"18446744073709551615GiB\"\nfuel = -1\n"),
        ("dirs", "\n[[dir]]\nhost = \"/abs\"\nguest = \"rel\"\n[[dir]]\nhost = \"../up\"\nguest = \"/\"\n"),
        ("nested", "\nenv = { A = \"1\", B = { C = \"2\" } }\n[limits.deeper]\nx = [[1, 2], [3]]\n"),
    ];
    let mut seeds: Vec<(&str, Vec<u8>)> = texts.iter().map(|(n, t)| (*n, t.as_bytes().to_vec())).collect();
    // Structured mode (odd first byte); the rest decodes into fields.
    seeds.push(("structured_a", b"\x01\x05\x01\x02\x01\x01\x00\x01\x01\x03\x07\x00\x01\x30\x01\x02".to_vec()));
    seeds.push(("structured_b", b"\x03\x00\x00\x01\x01\x01\x02\xff\x10\x01\x05\x01\x00\x40\x00\x00\x00".to_vec()));
    seeds
}
