//! 100 MiB through a pipe between two processes, `stream | sum`: every byte
//! arrives, in order (the writer's and the reader's checksums agree).
//!
//! Host: grants `/t` with `proc_child`, env `PATH=/t`; the size is argv[1].

use std::io::Read;

use test_programs::ok;
use wasi_ext::{Command, Stdio, pipe};

fn main() {
    wasi_ext::init().expect("init");
    let bytes: u64 = std::env::args().nth(1).expect("usage: pipe_bulk <bytes>").parse().expect("a number");
    let (read, write) = pipe().expect("pipe");
    let mut writer = Command::new("proc_child")
        .args(["stream", &bytes.to_string()])
        .stdout(write)
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the writer");
    let mut reader =
        Command::new("proc_child").arg("sum").stdin(read).stdout(Stdio::piped()).spawn().expect("spawn the reader");

    let mut received = String::new();
    reader.stdout.take().expect("piped").read_to_string(&mut received).expect("read the reader's report");
    let mut sent = String::new();
    writer.stderr.take().expect("piped").read_to_string(&mut sent).expect("read the writer's report");
    assert!(writer.wait().expect("wait writer").success());
    assert!(reader.wait().expect("wait reader").success());

    let sent_sum = sent.trim().strip_prefix("sum=").unwrap_or_else(|| panic!("writer said {sent:?}"));
    assert_eq!(received.trim(), format!("bytes={bytes} sum={sent_sum}"));
    println!("transferred: {bytes}");
    ok();
}
