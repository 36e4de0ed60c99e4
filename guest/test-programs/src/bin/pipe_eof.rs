//! End of file comes when the *last* write end closes, across processes:
//! with a child holding a copy of the write end, a read blocks until the
//! child has written and exited, then sees end of file; a child reading its
//! stdin pipe sees end of file when this process drops the write end; a
//! child given `/dev/null` as stdin sees end of file at once.
//!
//! Host: grants `/t` with `proc_child`, env `PATH=/t`.

use std::io::{Read, Write};

use test_programs::ok;
use wasi_ext::{Command, Stdio, pipe};

fn main() {
    wasi_ext::init().expect("init");

    // The child holds the only other write end.
    let (mut read, write) = pipe().expect("pipe");
    let mut child =
        Command::new("proc_child").args(["sleep-echo", "200", "late"]).stdout(write).spawn().expect("spawn");
    let mut text = String::new();
    read.read_to_string(&mut text).expect("read until every writer is gone");
    assert_eq!(text, "late\n");
    assert!(child.wait().expect("wait").success());

    // Our write end is the last: the child's read ends when we close it.
    let mut cat =
        Command::new("proc_child").arg("count").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().expect("spawn");
    let mut input = cat.stdin.take().expect("piped stdin");
    input.write_all(b"one\ntwo\n").expect("write");
    drop(input);
    let out = cat.wait_with_output().expect("wait");
    assert_eq!(out.stdout, b"lines=2 first=one last=two\n");

    // /dev/null as stdin.
    let out = Command::new("proc_child").arg("count").stdin(Stdio::null()).output().expect("output");
    assert_eq!(out.stdout, b"lines=0 first= last=\n");

    ok();
}
