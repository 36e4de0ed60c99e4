//! Hostile: races a symlink swap against opens (time-of-check to time-of-use).
//!
//! `hostile_symlink_swap SELF DIR` spawns `SELF swap DIR`, which flips
//! `DIR/link` between `inside.txt` and a relative path that climbs out of the
//! mount, while this process keeps opening `DIR/link` — through the mount's
//! preopen (wasi-libc's choice for an absolute path under DIR) and through the
//! VM root. It prints every distinct content it managed to read; the host test
//! checks that none of it came from outside the VM.

use std::collections::BTreeSet;
use std::fs;

use test_programs::{RIGHTS_READ, p1, wasi};

const ROUNDS: usize = 3000;
const ESCAPE: &str = "../../../../../../../../etc/passwd";

fn swap(dir: &str) {
    let mount = test_programs::preopen(dir);
    for i in 0..ROUNDS {
        let _ = p1::path_unlink_file(mount, "link");
        let target = if i % 2 == 0 { "inside.txt" } else { ESCAPE };
        let _ = p1::path_symlink(target, mount, "link");
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("swap") {
        swap(&args[2]);
        return;
    }
    let (me, dir) = (&args[1], &args[2]);
    fs::write(format!("{dir}/inside.txt"), "inside\n").expect("write inside.txt");
    let mut swapper = wasi_ext::Command::new(me).arg("swap").arg(dir).spawn().expect("spawn the swapper");
    let root = test_programs::preopen("/");
    let relative = format!("{}/link", dir.trim_start_matches('/'));
    let mut seen = BTreeSet::new();
    let mut errors = BTreeSet::new();
    for _ in 0..ROUNDS {
        match fs::read_to_string(format!("{dir}/link")) {
            Ok(text) => {
                seen.insert(text);
            }
            Err(err) => {
                errors.insert(format!("mount: {:?}", err.raw_os_error()));
            }
        }
        match p1::path_open(root, wasi::LOOKUPFLAGS_SYMLINK_FOLLOW, &relative, 0, RIGHTS_READ, 0) {
            Ok(fd) => {
                seen.insert(String::from_utf8_lossy(&test_programs::read_to_end(fd)).into_owned());
                p1::fd_close(fd).expect("close");
            }
            Err(errno) => {
                errors.insert(format!("root: {}", errno.raw()));
            }
        }
    }
    let status = swapper.wait().expect("wait for the swapper");
    assert!(status.success(), "swapper: {status:?}");
    for text in &seen {
        println!("content {text:?}");
    }
    for error in &errors {
        println!("error {error}");
    }
    println!("ok");
}
