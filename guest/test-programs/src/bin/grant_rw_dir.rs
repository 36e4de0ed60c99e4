//! A granted read-write host directory: its files are listed and read through
//! `std::fs` with absolute paths, and what the guest writes, creates, renames
//! and removes there happens on the host.
//!
//! Host: grants a dir at `/scratch` holding `hello.txt` ("hello from the
//! host\n") and `sub/nested.txt` ("nested\n"), `old.txt` and `gone.txt`; checks
//! the changes on the host afterwards.

use std::fs;

use test_programs::ok;

fn names(path: &str) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(path)
        .unwrap_or_else(|e| panic!("read_dir {path}: {e}"))
        .map(|e| e.expect("entry").file_name().into_string().expect("UTF-8 name"))
        .collect();
    names.sort();
    names
}

fn main() {
    assert_eq!(names("/scratch"), ["gone.txt", "hello.txt", "old.txt", "sub"]);
    assert_eq!(names("/scratch/sub"), ["nested.txt"]);
    assert_eq!(fs::read_to_string("/scratch/hello.txt").expect("read"), "hello from the host\n");
    assert_eq!(fs::read_to_string("/scratch/sub/nested.txt").expect("read"), "nested\n");
    let meta = fs::metadata("/scratch/hello.txt").expect("metadata");
    assert!(meta.is_file());
    assert_eq!(meta.len(), 20);
    assert!(fs::metadata("/scratch/sub").expect("metadata").is_dir());

    fs::write("/scratch/out.txt", "written by the guest\n").expect("write a new file");
    fs::create_dir("/scratch/newdir").expect("mkdir");
    fs::write("/scratch/newdir/deep.txt", "deep\n").expect("write in a new dir");
    fs::rename("/scratch/old.txt", "/scratch/renamed.txt").expect("rename");
    fs::remove_file("/scratch/gone.txt").expect("remove");
    let mut f = fs::OpenOptions::new().append(true).open("/scratch/hello.txt").expect("open for append");
    std::io::Write::write_all(&mut f, b"and from the guest\n").expect("append");
    drop(f);

    assert_eq!(names("/scratch"), ["hello.txt", "newdir", "out.txt", "renamed.txt", "sub"]);
    ok();
}
