//! The child the process tests spawn: one program, many behaviours, chosen by
//! `argv[1]`. Installed in the VM as `/t/proc_child` by the host tests (so it
//! is also found as `proc_child` with `PATH=/t`).
//!
//! | mode | does |
//! |---|---|
//! | `exit N` | exits with code N |
//! | `trap` | executes `unreachable` (a trap: its parent sees SIGABRT) |
//! | `echo ARGS…` | prints its arguments joined by spaces |
//! | `env NAME…` | prints `NAME=value` (or `NAME unset`) for each |
//! | `pwd` | [`wasi_ext::init`], then prints the working directory and the first line of the relative file `marker` if there is one |
//! | `ids` | prints `pid=… ppid=… pgid=…` |
//! | `whoami` | prints `uid=… gid=… name=…` |
//! | `ppid-later MS` | sleeps, then prints `ppid=…` |
//! | `orphan MS` | spawns `ppid-later MS` sharing its stdout and exits at once |
//! | `spin` | prints `spinning`, then loops without a system call |
//! | `sleep MS` | sleeps, then exits 0 |
//! | `hold MIB MS` | takes MIB of memory (`held`, or `refused` if it cannot), then sleeps |
//! | `sleep-echo MS TEXT` | sleeps, then prints TEXT |
//! | `cat` | copies stdin to stdout |
//! | `produce N` | prints `line 0` … `line N-1`, then `produced N` on stderr |
//! | `both N` | prints `out i` on stdout and `err i` on stderr, alternating, for i in 0..N |
//! | `upper` | copies stdin to stdout in upper case, then `upper done` on stderr |
//! | `count` | prints `lines=L first=<first line> last=<last line>` of stdin |
//! | `stream BYTES` | writes BYTES pseudo-random bytes, then `sum=<checksum>` on stderr |
//! | `sum` | reads stdin to its end, prints `bytes=<n> sum=<checksum>` |
//! | `flood` | writes lines until a write fails with EPIPE, says `EPIPE` on stderr, writes again (SIGPIPE ends it) |
//! | `bomb DEPTH` | spawns `bomb DEPTH-1` until EAGAIN (none at depth 0), waits for them all, exits with how many it started (at most 100) |
//!
//! Host: runs a few modes directly (`proc_child` test); the other process
//! tests spawn it.

use std::io::{self, BufRead, Read, Write};

use wasi_ext::{Command, Stdio};

fn main() {
    wasi_ext::init().expect("init from PWD");
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or_else(|| panic!("proc_child: missing argument {i}"));
    let number = |i: usize| arg(i).parse::<u64>().unwrap_or_else(|e| panic!("proc_child: argument {i}: {e}"));
    match arg(0) {
        "exit" => std::process::exit(number(1) as i32),
        "trap" => core::arch::wasm32::unreachable(),
        "echo" => println!("{}", args[1..].join(" ")),
        "env" => {
            for name in &args[1..] {
                match std::env::var(name) {
                    Ok(value) => println!("{name}={value}"),
                    Err(_) => println!("{name} unset"),
                }
            }
        }
        "pwd" => {
            println!("{}", std::env::current_dir().expect("current_dir").display());
            if let Ok(text) = std::fs::read_to_string("marker") {
                println!("marker: {}", text.lines().next().unwrap_or(""));
            }
        }
        "ids" => println!(
            "pid={} ppid={} pgid={}",
            wasi_ext::getpid().expect("getpid"),
            wasi_ext::getppid().expect("getppid"),
            wasi_ext::getpgid(0).expect("getpgid")
        ),
        "whoami" => {
            let uid = wasi_ext::getuid().expect("getuid");
            let name = wasi_ext::getpwuid(uid).expect("getpwuid").name;
            println!("uid={uid} gid={} name={name}", wasi_ext::getgid().expect("getgid"));
        }
        "ppid-later" => {
            wasi_ext::sleep_ms(number(1)).expect("sleep");
            println!("ppid={}", wasi_ext::getppid().expect("getppid"));
        }
        "orphan" => {
            let me = std::env::args().next().expect("argv[0]");
            Command::new(me).args(["ppid-later", arg(1)]).spawn().expect("spawning the orphan");
        }
        "spin" => {
            println!("spinning");
            io::stdout().flush().expect("flush");
            let mut x: u64 = 1;
            loop {
                x = std::hint::black_box(x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1));
            }
        }
        "sleep" => wasi_ext::sleep_ms(number(1)).expect("sleep"),
        "hold" => {
            let bytes = usize::try_from(number(1) << 20).expect("fits");
            let mut memory: Vec<u8> = Vec::new();
            if memory.try_reserve_exact(bytes).is_ok() {
                memory.resize(bytes, 1);
                println!("held");
            } else {
                println!("refused");
            }
            io::stdout().flush().expect("flush");
            wasi_ext::sleep_ms(number(2)).expect("sleep");
            drop(memory);
        }
        "sleep-echo" => {
            wasi_ext::sleep_ms(number(1)).expect("sleep");
            println!("{}", arg(2));
        }
        "cat" => {
            io::copy(&mut io::stdin().lock(), &mut io::stdout().lock()).expect("cat");
        }
        "produce" => {
            let n = number(1);
            let mut out = io::stdout().lock();
            for i in 0..n {
                writeln!(out, "line {i}").expect("write");
            }
            out.flush().expect("flush");
            eprintln!("produced {n}");
        }
        "both" => {
            let (mut out, mut err) = (io::stdout().lock(), io::stderr().lock());
            for i in 0..number(1) {
                writeln!(out, "out {i}").expect("write stdout");
                out.flush().expect("flush");
                writeln!(err, "err {i}").expect("write stderr");
            }
        }
        "upper" => {
            let mut text = Vec::new();
            io::stdin().read_to_end(&mut text).expect("read stdin");
            io::stdout().write_all(&text.to_ascii_uppercase()).expect("write");
            io::stdout().flush().expect("flush");
            eprintln!("upper done");
        }
        "count" => {
            let lines: Vec<String> = io::stdin().lock().lines().map(|l| l.expect("read line")).collect();
            println!(
                "lines={} first={} last={}",
                lines.len(),
                lines.first().map_or("", String::as_str),
                lines.last().map_or("", String::as_str)
            );
        }
        "stream" => stream(number(1)),
        "sum" => sum(),
        "flood" => flood(),
        "bomb" => std::process::exit(bomb(number(1))),
        other => panic!("proc_child: unknown mode {other:?}"),
    }
}

/// The checksum `stream` and `sum` agree on: a wrapping sum of the bytes,
/// each weighted by its position modulo 251, folded with the length.
struct Checksum {
    sum: u64,
    pos: u64,
}

impl Checksum {
    fn new() -> Checksum {
        Checksum { sum: 0, pos: 0 }
    }

    fn update(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.sum = self.sum.wrapping_add(u64::from(b) * (self.pos % 251 + 1));
            self.pos += 1;
        }
    }

    fn value(&self) -> u64 {
        self.sum ^ self.pos.rotate_left(32)
    }
}

fn stream(total: u64) {
    let mut out = io::stdout().lock();
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut checksum = Checksum::new();
    let mut chunk = vec![0u8; 256 << 10];
    let mut left = total;
    while left > 0 {
        let n = left.min(chunk.len() as u64) as usize;
        for word in chunk[..n].chunks_mut(8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            word.copy_from_slice(&state.to_le_bytes()[..word.len()]);
        }
        checksum.update(&chunk[..n]);
        out.write_all(&chunk[..n]).expect("write");
        left -= n as u64;
    }
    out.flush().expect("flush");
    eprintln!("sum={}", checksum.value());
}

fn sum() {
    let mut input = io::stdin().lock();
    let mut checksum = Checksum::new();
    let mut chunk = vec![0u8; 256 << 10];
    loop {
        let n = input.read(&mut chunk).expect("read");
        if n == 0 {
            break;
        }
        checksum.update(&chunk[..n]);
    }
    println!("bytes={} sum={}", checksum.pos, checksum.value());
}

fn flood() {
    let mut out = io::stdout();
    loop {
        if let Err(err) = out.write_all(b"flood\n").and_then(|()| out.flush()) {
            assert_eq!(err.kind(), io::ErrorKind::BrokenPipe, "{err}");
            eprintln!("EPIPE");
            // The default SIGPIPE disposition: this write ends the process.
            let again = out.write_all(b"again\n").and_then(|()| out.flush());
            eprintln!("survived a write after EPIPE: {again:?}");
            std::process::exit(99);
        }
    }
}

fn bomb(depth: u64) -> i32 {
    let me = std::env::args().next().expect("argv[0]");
    let mut children = Vec::new();
    if depth > 0 {
        loop {
            match Command::new(&me).args(["bomb", &(depth - 1).to_string()]).stdout(Stdio::null()).spawn() {
                Ok(child) => children.push(child),
                Err(err) if err.raw_os_error() == Some(i32::from(wasi::ERRNO_AGAIN.raw())) => break,
                Err(err) => panic!("bomb: spawn failed with {err}, not EAGAIN"),
            }
        }
    }
    for child in &mut children {
        let status = child.wait().expect("bomb: wait");
        assert!(status.code().is_some(), "bomb: a child ended by {status}");
    }
    children.len().min(100) as i32
}
