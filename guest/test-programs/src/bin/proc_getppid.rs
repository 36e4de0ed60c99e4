//! Process ids: a child's `getppid` is its parent's `getpid` and its `getpid`
//! the pid `spawn` returned; an orphan (a grandchild whose parent has ended) is
//! re-parented to pid 1.
//!
//! Host: grants `/t` with `proc_child`, env `PATH=/t`.

use test_programs::ok;
use wasi_ext::{Command, Stdio};

/// Parses `pid=… ppid=… pgid=…` into its three numbers.
fn ids(line: &str) -> [u32; 3] {
    let numbers: Vec<u32> =
        line.split_whitespace().map(|kv| kv.split_once('=').expect("k=v").1.parse().expect("number")).collect();
    numbers.try_into().expect("three ids")
}

fn main() {
    wasi_ext::init().expect("init");
    let me = wasi_ext::getpid().expect("getpid");
    let parent = wasi_ext::getppid().expect("getppid");
    println!("pid={me} ppid={parent}");
    assert_ne!(me, parent);

    for _ in 0..3 {
        let child = Command::new("proc_child").arg("ids").stdout(Stdio::piped()).spawn().expect("spawn");
        let child_pid = child.id();
        let out = child.wait_with_output().expect("wait");
        let [pid, ppid, _] = ids(String::from_utf8_lossy(&out.stdout).trim());
        assert_eq!((pid, ppid), (child_pid, me));
    }

    // The middle process exits at once; the grandchild reports its parent
    // later, through the pipe it shares (end of file only once it is gone).
    let out = Command::new("proc_child").args(["orphan", "300"]).output().expect("orphan");
    assert!(out.status.success(), "{}", out.status);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "ppid=1\n");

    ok();
}
