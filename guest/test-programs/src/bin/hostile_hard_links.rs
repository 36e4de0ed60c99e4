//! Hostile: makes hard links to one file until the VM refuses, hoping each
//! name costs nothing against the VM's inode quota. Prints `links: N` and
//! the errno that stopped it.

fn main() {
    std::fs::write("/tmp/target", "x").expect("a file");
    let mut links = 0u64;
    let err = loop {
        match std::fs::hard_link("/tmp/target", format!("/tmp/link-{links:07}")) {
            Ok(()) => links += 1,
            Err(err) => break err,
        }
        assert!(links < 5_000_000, "no limit on hard links");
    };
    println!("links: {links}");
    println!("errno: {}", err.raw_os_error().unwrap_or(-1));
    println!("ok");
}
