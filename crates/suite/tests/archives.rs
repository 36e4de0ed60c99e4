//! `tar` and the compressors (`gzip`/`gunzip`/`zcat`, `bzip2`, `xz`)
//! against the host's GNU tar, gzip, bzip2 and xz: archives made in the VM
//! unpack natively and the other way round with byte-identical contents and
//! modes, listings match, and a hostile archive is handled as GNU tar's
//! defaults handle it.

mod common;

use std::path::Path;

use common::{Fixture, code, describe, have_native, ok};

fn project() -> Fixture {
    let f = Fixture::new(&[
        ("proj/README.md", "# demo\n"),
        ("proj/src/main.c", "int main(void) { return 0; }\n"),
        ("proj/src/deep/data.bin", ""),
        ("proj/build/out.o", "object\n"),
        ("proj/run.sh", "#!/bin/sh\necho run\n"),
    ])
    .with_mode("proj/run.sh", 0o755);
    // Bytes of every value, and more than one block of the compressors.
    let binary: Vec<u8> = (0..200_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    std::fs::write(f.path().join("proj/src/deep/data.bin"), binary).expect("write");
    f
}

trait WithMode {
    fn with_mode(self, path: &str, mode: u32) -> Self;
}

impl WithMode for Fixture {
    fn with_mode(self, path: &str, mode: u32) -> Self {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(self.path().join(path), std::fs::Permissions::from_mode(mode)).expect("chmod");
        self
    }
}

/// Every file under `dir`: relative path, kind and bytes (or link target),
/// and the permission bits, sorted.
fn tree(dir: &Path) -> Vec<(String, String, Vec<u8>, u32)> {
    use std::os::unix::fs::PermissionsExt;
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(at) = stack.pop() {
        for entry in std::fs::read_dir(&at).expect("read_dir") {
            let path = entry.expect("entry").path();
            let meta = std::fs::symlink_metadata(&path).expect("lstat");
            let name = path.strip_prefix(dir).expect("beneath").to_string_lossy().into_owned();
            let mode = meta.permissions().mode() & 0o777;
            if meta.file_type().is_symlink() {
                let target = std::fs::read_link(&path).expect("readlink");
                found.push((name, "link".into(), target.to_string_lossy().as_bytes().to_vec(), 0));
            } else if meta.is_dir() {
                found.push((name, "dir".into(), Vec::new(), mode));
                stack.push(path);
            } else {
                found.push((name, "file".into(), std::fs::read(&path).expect("read"), mode));
            }
        }
    }
    found.sort();
    found
}

fn native_ok(f: &Fixture, argv: &[&str]) {
    let (out, status) = f.native(argv, "");
    assert_eq!(status, 0, "native {argv:?}: {out}");
}

#[test]
fn an_archive_made_in_the_vm_unpacks_natively_and_back() {
    if !have_native("tar") || !have_native("gzip") || !have_native("bzip2") || !have_native("xz") {
        eprintln!("SKIPPED: the host lacks GNU tar, gzip, bzip2 or xz");
        return;
    }
    let f = project();
    std::fs::create_dir(f.path().join("proj/empty")).expect("mkdir");
    std::os::unix::fs::symlink("src/main.c", f.path().join("proj/main-link")).expect("symlink");
    std::fs::hard_link(f.path().join("proj/README.md"), f.path().join("proj/README.hard")).expect("link");
    let original = tree(&f.path().join("proj"));
    for (flag, ext) in [("", "tar"), ("-z", "tgz"), ("-j", "tbz"), ("-J", "txz")] {
        // Made in the VM, unpacked by GNU tar.
        let archive = format!("vm.{ext}");
        let mut argv = vec!["tar", "-c"];
        if !flag.is_empty() {
            argv.push(flag);
        }
        argv.extend(["-f", &archive, "proj"]);
        ok(&f.run(&argv, ""));
        let native_dir = format!("native-{ext}");
        std::fs::create_dir(f.path().join(&native_dir)).expect("mkdir");
        native_ok(&f, &["tar", "-xf", &archive, "-C", &native_dir]);
        assert_eq!(tree(&f.path().join(&native_dir).join("proj")), original, "GNU tar unpacking capsa's {archive}");

        // Made by GNU tar, unpacked in the VM (the format found by its magic).
        let host_archive = format!("host.{ext}");
        let mut native = vec!["tar", "-c"];
        if !flag.is_empty() {
            native.push(flag);
        }
        native.extend(["-f", &host_archive, "proj"]);
        native_ok(&f, &native);
        let vm_dir = format!("vm-{ext}");
        ok(&f.run(&["mkdir", &vm_dir], ""));
        ok(&f.run(&["tar", "-xf", &host_archive, "-C", &vm_dir], ""));
        assert_eq!(tree(&f.path().join(&vm_dir).join("proj")), original, "capsa unpacking GNU tar's {host_archive}");
        // The same names, in the same order, as GNU tar lists them; the
        // long listing too, but for the owner (the VM's user, root here).
        f.differential(&["tar", "-tf", &host_archive], "");
        let long = ok(&f.run(&["tar", "-tvf", &host_archive], ""));
        let (native_long, _) = f.native(&["tar", "-tvf", &host_archive], "");
        let fields = |text: &str| -> Vec<String> {
            text.lines()
                .map(|l| {
                    l.split_whitespace()
                        .enumerate()
                        .filter(|(i, _)| *i != 1)
                        .map(|(_, w)| w)
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect()
        };
        assert_eq!(fields(&long), fields(&native_long));
        let columns = |text: &str| text.lines().map(|l| l.find(" 20").unwrap_or(0)).collect::<Vec<_>>();
        assert_eq!(columns(&long), columns(&native_long), "dates in the same column:\n{long}\n{native_long}");
    }
}

#[test]
fn tar_takes_the_everyday_flags() {
    let f = project();
    // The old form, -C, --exclude and -v (names to stdout with -f FILE).
    let out = ok(&f.run(&["tar", "czvf", "p.tgz", "--exclude=*.o", "-C", "proj", "src", "run.sh"], ""));
    assert_eq!(out, "src/\nsrc/deep/\nsrc/deep/data.bin\nsrc/main.c\nrun.sh\n");
    // --strip-components, members named after the archive, -O.
    ok(&f.run(&["mkdir", "flat"], ""));
    ok(&f.run(&["tar", "-xzf", "p.tgz", "-C", "flat", "--strip-components=1", "src"], ""));
    assert!(f.path().join("flat/main.c").is_file() && f.path().join("flat/deep/data.bin").is_file());
    assert!(!f.path().join("flat/run.sh").exists());
    assert_eq!(ok(&f.run(&["tar", "-xOzf", "p.tgz", "src/main.c"], "")), "int main(void) { return 0; }\n");
    // -tv shows modes and sizes; a member that is not there is an error.
    let listing = ok(&f.run(&["tar", "-tvzf", "p.tgz", "run.sh"], ""));
    assert!(listing.starts_with("-rwxr-xr-x ") && listing.ends_with(" run.sh\n"), "{listing}");
    assert!(listing.contains(" 19 "), "the size of run.sh: {listing}");
    let missing = f.run(&["tar", "-tzf", "p.tgz", "nope"], "");
    assert_eq!(code(&missing), 2, "{}", describe(&missing));
    assert!(missing.stderr_str().contains("nope: Not found in archive"), "{}", describe(&missing));
    // Through a pipe: -f - both ways.
    let piped = f.run(&["sh", "-c", "tar -cf - proj/README.md | tar -tf -"], "");
    assert_eq!(ok(&piped), "proj/README.md\n");
}

#[test]
fn a_hostile_archive_stays_in_its_directory() {
    if !have_native("python3") {
        eprintln!("SKIPPED: python3 (to write the hostile archive) is missing");
        return;
    }
    let f = Fixture::new(&[("target/.keep", "")]);
    // `..`, an absolute name, and a symlink planted to lead a later member out.
    let script = r#"
import io, tarfile
with tarfile.open("evil.tar", "w") as t:
    def add(name, data=b"x", kind=tarfile.REGTYPE, link=""):
        info = tarfile.TarInfo(name); info.type = kind; info.linkname = link; info.size = len(data) if kind == tarfile.REGTYPE else 0
        t.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
    add("../escaped.txt")
    add("/absolute.txt")
    add("out", kind=tarfile.SYMTYPE, link="/work")
    add("out/through.txt")
    add("fine.txt", b"fine\n")
"#;
    let (out, status) = f.native(&["python3", "-c", script], "");
    assert_eq!(status, 0, "{out}");
    let outcome = f.run(&["tar", "-xf", "evil.tar", "-C", "target"], "");
    assert_eq!(code(&outcome), 2, "{}", describe(&outcome));
    let stderr = outcome.stderr_str();
    assert!(stderr.contains("Member name contains '..'"), "{stderr}");
    assert!(stderr.contains("Removing leading `/' from member names"), "{stderr}");
    assert!(!f.path().join("escaped.txt").exists() && !f.path().join("through.txt").exists());
    assert_eq!(std::fs::read_to_string(f.path().join("target/fine.txt")).expect("fine"), "fine\n");
    assert!(f.path().join("target/absolute.txt").is_file());
}

#[test]
fn the_compressors_match_gnus() {
    let f = Fixture::new(&[("a.txt", &"hello compressors\n".repeat(1000))]);
    let original = std::fs::read(f.path().join("a.txt")).expect("read");
    for (compress, ext, native_cat) in [("gzip", "gz", "zcat"), ("bzip2", "bz2", "bzcat"), ("xz", "xz", "xzcat")] {
        if !have_native(native_cat) {
            eprintln!("SKIPPED: the host has no {native_cat}");
            continue;
        }
        // -k keeps the original; the compressed file GNU reads back whole.
        ok(&f.run(&[compress, "-k", "a.txt"], ""));
        let packed = format!("a.txt.{ext}");
        let (unpacked, status) = f.native(&[native_cat, &packed], "");
        assert_eq!((status, unpacked.as_bytes()), (0, original.as_slice()), "{native_cat} {packed}");
        // GNU's own output, decompressed in the VM, replacing the file.
        std::fs::remove_file(f.path().join(&packed)).expect("rm");
        native_ok(&f, &[compress, "-k", "a.txt"]);
        std::fs::rename(f.path().join(&packed), f.path().join(format!("b.txt.{ext}"))).expect("mv");
        ok(&f.run(&[compress, "-d", &format!("b.txt.{ext}")], ""));
        assert_eq!(std::fs::read(f.path().join("b.txt")).expect("b.txt"), original);
        assert!(!f.path().join(format!("b.txt.{ext}")).exists(), "the compressed file is replaced");
        std::fs::remove_file(f.path().join("b.txt")).expect("rm");
    }
    // zcat and gunzip -c on stdin; a file that is not gzip is an error.
    let gz = f.run(&["sh", "-c", "gzip -c a.txt | zcat | wc -c; gzip -c a.txt | gunzip -c | head -1"], "");
    assert_eq!(ok(&gz), "18000\nhello compressors\n");
    let bad = f.run(&["gunzip", "-c", "a.txt"], "");
    assert_eq!(code(&bad), 1, "{}", describe(&bad));
    // An existing target is not overwritten without -f (status 2, a warning).
    ok(&f.run(&["gzip", "-k", "a.txt"], ""));
    let again = f.run(&["gzip", "-k", "a.txt"], "");
    assert_eq!(code(&again), 2, "{}", describe(&again));
    assert!(again.stderr_str().contains("already exists"), "{}", describe(&again));
}

#[test]
fn every_name_of_the_compressors_does_its_job() {
    let f = Fixture::new(&[("t.txt", "alias\n")]);
    let text = |name: &str| std::fs::read_to_string(f.path().join(name)).expect("read");
    ok(&f.run(&["gzip", "-k", "t.txt"], ""));
    ok(&f.run(&["bzip2", "-k", "t.txt"], ""));
    ok(&f.run(&["xz", "-k", "t.txt"], ""));
    assert_eq!(ok(&f.run(&["zcat", "t.txt.gz"], "")), "alias\n");
    assert_eq!(ok(&f.run(&["bzcat", "t.txt.bz2"], "")), "alias\n");
    assert_eq!(ok(&f.run(&["xzcat", "t.txt.xz"], "")), "alias\n");
    let unpacked = |outcome: capsa_runtime::Outcome, packed: &str| {
        ok(&outcome);
        assert_eq!(text("t.txt"), "alias\n", "{packed}");
        assert!(!f.path().join(packed).exists(), "{packed} is replaced");
        std::fs::remove_file(f.path().join("t.txt")).expect("rm");
    };
    std::fs::remove_file(f.path().join("t.txt")).expect("rm");
    unpacked(f.run(&["gunzip", "t.txt.gz"], ""), "t.txt.gz");
    unpacked(f.run(&["bunzip2", "t.txt.bz2"], ""), "t.txt.bz2");
    unpacked(f.run(&["unxz", "t.txt.xz"], ""), "t.txt.xz");
    std::fs::write(f.path().join("t.txt"), "alias\n").expect("write");
    // A suffix it does not know is left alone, with gzip's warning status.
    let odd = f.run(&["gunzip", "t.txt"], "");
    assert_eq!(code(&odd), 2, "{}", describe(&odd));
    assert!(odd.stderr_str().contains("unknown suffix -- ignored"), "{}", describe(&odd));
}

#[test]
fn zip_and_unzip_trade_archives_with_info_zip() {
    if !have_native("zip") || !have_native("unzip") {
        eprintln!("SKIPPED: the host lacks Info-ZIP's zip or unzip");
        return;
    }
    let f = project();
    let original = tree(&f.path().join("proj"));
    // Made in the VM, unpacked by Info-ZIP.
    ok(&f.run(&["zip", "-r", "-q", "vm.zip", "proj"], ""));
    native_ok(&f, &["unzip", "-q", "vm.zip", "-d", "native"]);
    assert_eq!(tree(&f.path().join("native/proj")), original, "Info-ZIP unpacking capsa's zip");
    // Made by Info-ZIP, unpacked in the VM.
    native_ok(&f, &["zip", "-r", "-q", "host.zip", "proj"]);
    ok(&f.run(&["unzip", "-q", "host.zip", "-d", "vm"], ""));
    assert_eq!(tree(&f.path().join("vm/proj")), original, "capsa unpacking Info-ZIP's zip");
    // The same names and sizes in a listing; one member to stdout.
    let entries = |text: &str| -> Vec<String> {
        let rows = text.lines().filter(|l| l.len() > 30 && l.trim_start().starts_with(|c: char| c.is_ascii_digit()));
        rows.map(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            format!("{} {}", words[0], words[words.len() - 1])
        })
        .collect()
    };
    let listed = ok(&f.run(&["unzip", "-l", "host.zip"], ""));
    assert_eq!(entries(&listed), entries(&f.native(&["unzip", "-l", "host.zip"], "").0), "{listed}");
    assert_eq!(ok(&f.run(&["unzip", "-p", "host.zip", "proj/README.md"], "")), "# demo\n");
    // An existing file is kept unless -o; a missing archive or member fails.
    std::fs::write(f.path().join("vm/proj/README.md"), "changed\n").expect("write");
    ok(&f.run(&["unzip", "-q", "-n", "host.zip", "-d", "vm"], ""));
    assert_eq!(std::fs::read_to_string(f.path().join("vm/proj/README.md")).expect("read"), "changed\n");
    ok(&f.run(&["unzip", "-q", "-o", "host.zip", "proj/README.md", "-d", "vm"], ""));
    assert_eq!(std::fs::read_to_string(f.path().join("vm/proj/README.md")).expect("read"), "# demo\n");
    assert_eq!(code(&f.run(&["unzip", "nothing.zip"], "")), 9);
    assert_eq!(code(&f.run(&["unzip", "host.zip", "no/such/member"], "")), 11);
    assert_eq!(code(&f.run(&["zip", "empty.zip"], "")), 12);
}

#[test]
fn unzip_keeps_a_hostile_archive_in_its_directory() {
    if !have_native("python3") {
        eprintln!("SKIPPED: python3 (to write the hostile archive) is missing");
        return;
    }
    let f = Fixture::new(&[("into/.keep", "")]);
    let script = r#"
import zipfile
with zipfile.ZipFile("evil.zip", "w") as z:
    z.writestr("../escaped.txt", "out\n")
    z.writestr("/abs/x.txt", "abs\n")
    z.writestr("ok.txt", "ok\n")
"#;
    let (out, status) = f.native(&["python3", "-c", script], "");
    assert_eq!(status, 0, "{out}");
    let outcome = f.run(&["unzip", "-q", "evil.zip", "-d", "into"], "");
    assert_eq!(code(&outcome), 1, "a warning: {}", describe(&outcome));
    assert!(!f.path().join("escaped.txt").exists());
    // Info-ZIP's way: the `../` and the leading `/` are dropped.
    assert_eq!(std::fs::read_to_string(f.path().join("into/escaped.txt")).expect("inside"), "out\n");
    assert_eq!(std::fs::read_to_string(f.path().join("into/abs/x.txt")).expect("inside"), "abs\n");
    assert_eq!(std::fs::read_to_string(f.path().join("into/ok.txt")).expect("ok"), "ok\n");
}
