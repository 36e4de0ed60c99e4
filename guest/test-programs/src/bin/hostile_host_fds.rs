//! Hostile: opens a file of a host mount (argv[1]) again and again, keeping
//! every one open, hoping to take all of the host process's descriptors.
//! Prints `opened: N` and the errno that stopped it; then files of its own
//! filesystem still open.

fn main() {
    let path = std::env::args().nth(1).expect("usage: hostile_host_fds <host file>");
    let mut files = Vec::new();
    let err = loop {
        match std::fs::File::open(&path) {
            Ok(file) => files.push(file),
            Err(err) => break err,
        }
        assert!(files.len() < 100_000, "no limit on host files");
    };
    println!("opened: {}", files.len());
    println!("errno: {}", err.raw_os_error().unwrap_or(-1));
    std::fs::write("/tmp/own", "own").expect("an in-memory file at the limit");
    assert_eq!(std::fs::read_to_string("/tmp/own").expect("read it back"), "own");
    drop(files);
    std::fs::File::open(&path).expect("a host file once the others closed");
    println!("ok");
}
