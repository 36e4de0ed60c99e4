//! SIGPIPE: a child flooding a pipe whose reader this process closes gets
//! `EPIPE` from its next write (it reports that on stderr), and the write
//! after that ends it, killed by SIGPIPE (13; a shell shows 141).
//!
//! Host: grants `/t` with `proc_child`, env `PATH=/t`.

use std::io::Read;

use test_programs::ok;
use wasi_ext::signal::SIGPIPE;
use wasi_ext::{Command, Stdio};

fn main() {
    wasi_ext::init().expect("init");
    let mut child =
        Command::new("proc_child").arg("flood").stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn");
    let mut stdout = child.stdout.take().expect("piped stdout");
    let mut first = [0u8; 6];
    stdout.read_exact(&mut first).expect("read the first line");
    assert_eq!(&first, b"flood\n");
    drop(stdout);

    let mut stderr = String::new();
    child.stderr.take().expect("piped stderr").read_to_string(&mut stderr).expect("read stderr");
    let status = child.wait().expect("wait");
    assert_eq!((status.code(), status.signal()), (None, Some(SIGPIPE)), "{status}; stderr: {stderr}");
    assert_eq!(128 + status.signal().unwrap_or(0), 141);
    assert_eq!(stderr, "EPIPE\n");

    ok();
}
