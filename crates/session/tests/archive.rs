//! Tar archives in and out of a session: a round trip keeps the tree, and
//! hostile archives are refused whole, naming what was wrong, with nothing
//! written.

use std::io::Write;

use capsa_runtime::{Output, Runtime, RuntimeOptions, VmConfig};
use capsa_session::{Exec, Session, SessionError};
use capsa_suite::shell::ShellVm;

/// A session whose runtime caches compiled modules under cargo's per-target
/// temp dir, so the suite compiles once across tests and runs.
fn session(base: VmConfig) -> Session {
    let cache = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("session-module-cache");
    let options = RuntimeOptions { cache_dir: Some(cache), ..RuntimeOptions::default() };
    let runtime = Runtime::new(options).expect("runtime");
    Session::start(&runtime, &ShellVm::default(), base).expect("session")
}

fn sh(session: &Session, command: &str) -> String {
    let exec = Exec { stdout: Some(Output::Capture), stderr: Some(Output::Capture), ..Exec::default() };
    let out = session.exec(command, &exec).unwrap();
    assert!(out.status.success(), "{command}: {}", out.stderr_str());
    out.stdout_str()
}

/// A tar entry written with its raw name and type: what a hostile tool
/// would write (the tar crate refuses to make such names itself).
fn raw_entry(tar: &mut Vec<u8>, name: &str, kind: tar::EntryType, link: &str, data: &[u8]) {
    let mut header = tar::Header::new_old();
    header.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
    header.as_old_mut().linkname[..link.len()].copy_from_slice(link.as_bytes());
    header.set_entry_type(kind);
    header.set_mode(0o644);
    header.set_size(data.len() as u64);
    header.set_cksum();
    tar.extend_from_slice(header.as_bytes());
    tar.extend_from_slice(data);
    tar.resize(tar.len().div_ceil(512) * 512, 0);
}

fn finish(mut tar: Vec<u8>) -> Vec<u8> {
    tar.extend_from_slice(&[0; 1024]);
    tar
}

#[test]
fn a_packed_tree_unpacks_the_same_elsewhere() {
    let session = session(VmConfig::default());
    sh(
        &session,
        "mkdir -p src/sub && echo one > src/a.txt && echo two > src/sub/b.txt && chmod 750 src/sub && ln -s ../a.txt src/sub/link",
    );
    let tar = session.pack("src", 1 << 20).unwrap();
    let made = session.unpack("/tmp/copy", &tar).unwrap();
    assert_eq!(made.entries, 4);
    let listing = "cd /tmp/copy && cat a.txt sub/b.txt sub/link && stat -c '%a %n' sub && readlink sub/link";
    assert_eq!(sh(&session, listing), "one\ntwo\none\n750 sub\n../a.txt\n");
    // A file packs as itself; too large a tree is refused.
    let one = session.pack("src/a.txt", 1 << 20).unwrap();
    assert_eq!(session.unpack("/tmp/one", &one).unwrap().entries, 1);
    assert_eq!(sh(&session, "cat /tmp/one/a.txt"), "one\n");
    assert!(matches!(session.pack("src", 1000), Err(SessionError::TooLarge { .. })));
    // Gzipped archives unpack too.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar).unwrap();
    session.unpack("/tmp/gz", &gz.finish().unwrap()).unwrap();
    assert_eq!(sh(&session, "cat /tmp/gz/sub/b.txt"), "two\n");
}

#[test]
fn hostile_archives_are_refused_whole_and_write_nothing() {
    let mut base = VmConfig::default();
    base.limits.disk_bytes = 1 << 20;
    let session = session(base);
    sh(&session, "mkdir -p /home/user/t && ln -s /etc /home/user/t/etc-link");
    let refused = |tar: Vec<u8>, why: &str| {
        let err = session.unpack("/home/user/t/out", &tar).unwrap_err();
        assert!(matches!(err, SessionError::Archive(_)), "{why}: {err}");
        assert!(err.to_string().contains(why), "{why}: {err}");
    };
    let one = |name: &str, kind, link: &str| {
        let mut tar = Vec::new();
        raw_entry(&mut tar, "ok.txt", tar::EntryType::Regular, "", b"fine");
        raw_entry(&mut tar, name, kind, link, b"evil");
        finish(tar)
    };
    refused(one("../evil.txt", tar::EntryType::Regular, ""), "`..`");
    refused(one("/etc/evil", tar::EntryType::Regular, ""), "absolute");
    refused(one("out", tar::EntryType::Symlink, "/etc"), "leads outside");
    refused(one("a/b", tar::EntryType::Symlink, "../../x"), "leads outside");
    refused(one("zero", tar::EntryType::Char, ""), "character device");
    refused(one("fifo", tar::EntryType::Fifo, ""), "FIFO");
    refused(one("hard", tar::EntryType::Link, "../../../etc/passwd"), "outside");
    refused(one("hard", tar::EntryType::Link, "missing.txt"), "does not hold");
    // A symlink the archive makes, then an entry through it.
    let mut tar = Vec::new();
    raw_entry(&mut tar, "d", tar::EntryType::Symlink, ".", b"");
    raw_entry(&mut tar, "d/x.txt", tar::EntryType::Regular, "", b"x");
    refused(finish(tar), "through the archive's symlink");
    // Through a symlink already in the VM.
    let tar = one("etc-link/passwd", tar::EntryType::Regular, "");
    let err = session.unpack("/home/user/t", &tar).unwrap_err();
    assert!(err.to_string().contains("through the symlink"), "{err}");
    // A gzip bomb: 64 MiB of zeros in a file, with 1 MiB of disk.
    let mut bomb = Vec::new();
    raw_entry(&mut bomb, "zeros", tar::EntryType::Regular, "", &vec![0; 64 << 20]);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&finish(bomb)).unwrap();
    let bomb = gz.finish().unwrap();
    assert!(bomb.len() < 1 << 20);
    refused(bomb, "more than the sandbox may store");
    // Garbage.
    refused(b"not a tar at all, but long enough to be read as a header block.....".repeat(10), "tar");
    // Nothing of any of them was written.
    assert_eq!(sh(&session, "ls /home/user/t; ls /home/user"), "etc-link\nt\n");
}
