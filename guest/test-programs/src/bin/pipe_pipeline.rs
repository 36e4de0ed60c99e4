//! A three-stage pipeline of processes, `produce 100 2>&1 | upper 2>&1 |
//! count`: each stage's stdout is a pipe to the next and its stderr joins its
//! stdout through a dup2 fd action, so what the stages say on stderr flows
//! down the pipeline in order. Every pipe end is closed in this process after
//! the spawns, so each stage sees end of file when the one before it ends.
//!
//! Host: grants `/t` with `proc_child`, env `PATH=/t`.

use std::io::Read;
use std::os::fd::AsRawFd;

use test_programs::ok;
use wasi_ext::{Command, Stdio, pipe};

fn main() {
    wasi_ext::init().expect("init");
    let (read1, write1) = pipe().expect("pipe 1");
    let (read2, write2) = pipe().expect("pipe 2");

    let mut producer =
        Command::new("proc_child").args(["produce", "100"]).stdout(write1).dup2(1, 2).spawn().expect("producer");
    let mut filter =
        Command::new("proc_child").arg("upper").stdin(read1).stdout(write2).dup2(1, 2).spawn().expect("filter");
    let mut consumer =
        Command::new("proc_child").arg("count").stdin(read2).stdout(Stdio::piped()).spawn().expect("consumer");

    let mut result = String::new();
    consumer.stdout.take().expect("piped").read_to_string(&mut result).expect("read the pipeline's end");
    for (name, child) in [("producer", &mut producer), ("filter", &mut filter), ("consumer", &mut consumer)] {
        let status = child.wait().expect("wait");
        assert!(status.success(), "{name}: {status}");
    }
    // 100 lines and the producer's stderr line, upper-cased; the filter's stderr last.
    assert_eq!(result, "lines=102 first=LINE 0 last=upper done\n");

    // The same, with stderr into a pipe of its own: only stdout flows on.
    let out = Command::new("proc_child").args(["produce", "2"]).stderr(Stdio::null()).output().expect("output");
    assert_eq!(out.stdout, b"line 0\nline 1\n");
    assert!(out.stderr.is_empty());
    // `2>&1 >/dev/null`: stderr reaches the pipe, stdout is discarded (the
    // actions apply in order, each dup2 reading the child's fds as they are).
    let null = std::fs::OpenOptions::new().write(true).open("/dev/null").expect("open /dev/null");
    let (mut read, write) = pipe().expect("pipe");
    let mut child = Command::new("proc_child")
        .args(["produce", "2"])
        .stdout(write)
        .dup2(1, 2)
        .dup2(null.as_raw_fd(), 1)
        .spawn()
        .expect("spawn");
    drop(null);
    let mut text = String::new();
    read.read_to_string(&mut text).expect("read");
    assert!(child.wait().expect("wait").success());
    assert_eq!(text, "produced 2\n");

    ok();
}
