//! Hostile: starts children that end at once and never waits for them, so
//! each stays a zombie, hoping the process limit counts only live ones.
//! Prints `zombies: N` and the errno that stopped it.
//!
//! Host: `limits.processes` small, `/t` with `proc_child`, `PATH=/t`.

use wasi_ext::{Command, Stdio};

fn main() {
    wasi_ext::init().expect("init");
    let mut children = Vec::new();
    let err = loop {
        match Command::new("proc_child").args(["exit", "0"]).stdout(Stdio::null()).spawn() {
            Ok(child) => children.push(child),
            Err(err) => break err,
        }
        // Let it end: from here on it is a zombie.
        wasi_ext::sleep_ms(20).expect("sleep");
        assert!(children.len() < 2000, "no limit on zombies");
    };
    println!("zombies: {}", children.len());
    println!("errno: {}", err.raw_os_error().unwrap_or(-1));
    // Waiting for them frees the table again.
    for child in &mut children {
        child.wait().expect("wait");
    }
    let status = Command::new("proc_child").args(["exit", "3"]).status().expect("a slot is free again");
    assert_eq!(status.code(), Some(3));
    println!("ok");
}
