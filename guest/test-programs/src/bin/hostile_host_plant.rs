//! Hostile: tries to leave something on the host through a writable mount
//! (argv[1]) that the host's own tools would trip on later: a setuid file,
//! a world-writable sticky mount root, symlinks leading out of the mount,
//! and a host file replaced by such a link. Prints what each attempt gave
//! (`ok` or the errno); the host checks its directory afterwards.

use std::io;

use test_programs::{p1, work_dir};

fn outcome(result: io::Result<()>) -> String {
    match result {
        Ok(()) => "ok".into(),
        Err(err) => err.raw_os_error().map_or_else(|| err.to_string(), |n| n.to_string()),
    }
}

/// `path_symlink` beneath the mount's preopen, as an `io::Result`.
fn symlink(target: &str, link: &str) -> io::Result<()> {
    p1::path_symlink(target, work_dir(), link).map_err(|e| io::Error::from_raw_os_error(i32::from(e.raw())))
}

fn main() {
    wasi_ext::init().expect("init");
    let mount = std::env::args().nth(1).expect("usage: hostile_host_plant <mount>");
    let at = |name: &str| format!("{mount}/{name}");
    std::fs::write(at("planted"), "#!/bin/sh\n").expect("a file of its own");
    println!("chmod-setuid {}", outcome(wasi_ext::fs::chmod(at("planted"), 0o4755)));
    println!("chmod-setgid {}", outcome(wasi_ext::fs::chmod(at("planted"), 0o2777)));
    println!("chmod-root {}", outcome(wasi_ext::fs::chmod(&mount, 0o7777)));
    println!("symlink-absolute {}", outcome(symlink("/root/.bashrc", "evil")));
    println!("symlink-up {}", outcome(symlink("../outside", "up")));
    println!("symlink-down-up {}", outcome(symlink("x/../../outside", "down-up")));
    std::fs::create_dir_all(at("d/sub")).expect("mkdir");
    // Inside the mount from where it stands, outside once moved up.
    println!("symlink-inside {}", outcome(symlink("../../victim.txt", "d/sub/link")));
    println!("rename-over-victim {}", outcome(std::fs::rename(at("d/sub/link"), at("victim.txt"))));
    println!("hard-link-to-root {}", outcome(std::fs::hard_link(at("d/sub/link"), at("link2"))));
    println!("rename-dir-up {}", outcome(std::fs::rename(at("d/sub"), at("sub"))));
    println!("ok");
}
