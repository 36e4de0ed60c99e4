//! Hostile: spreads memory over many processes, each staying under the
//! memory limit, hoping the limit is per process. Each child (`proc_child
//! hold MIB MS`) takes MIB of memory and holds it; prints `held: N` for how
//! many got theirs.
//!
//! Host: `limits.memory` a few times MIB, `/t` with `proc_child`, `PATH=/t`.

use std::io::{BufRead, BufReader};

use wasi_ext::{Command, Stdio};

fn main() {
    wasi_ext::init().expect("init");
    let mib = std::env::args().nth(1).expect("usage: hostile_memory_spread <MiB> <children>");
    let children: usize = std::env::args().nth(2).expect("children").parse().expect("a number");
    let mut holding = Vec::new();
    let mut held = 0;
    for _ in 0..children {
        let mut child = Command::new("proc_child")
            .args(["hold", &mib, "20000"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn a holder");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("its first line");
        if line.trim() == "held" {
            held += 1;
        }
        holding.push(child);
    }
    println!("held: {held}");
    for child in &mut holding {
        let _ = child.kill();
        let _ = child.wait();
    }
    println!("ok");
}
