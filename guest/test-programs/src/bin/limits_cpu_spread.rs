//! The CPU-time budget is the VM's, not a process's: two children spin at
//! once while their parent waits for them (using no CPU itself), and the VM
//! is stopped when their time together reaches the budget.
//!
//! Host: `limits.cpu` of a few seconds, a long wall clock, `/t` with
//! `proc_child`, `PATH=/t`.

use wasi_ext::{Command, Stdio};

fn main() {
    wasi_ext::init().expect("init");
    let mut children: Vec<_> = (0..2)
        .map(|_| Command::new("proc_child").arg("spin").stdout(Stdio::null()).spawn().expect("spawn a spinner"))
        .collect();
    println!("spawned");
    for child in &mut children {
        let _ = child.wait();
    }
    println!("the spinners ended by themselves");
}
