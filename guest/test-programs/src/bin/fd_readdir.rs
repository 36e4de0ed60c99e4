//! `fd_readdir`: `.` and `..`, entry types and inode numbers, continuing from
//! every cookie, buffers too small for an entry (filled to the last byte, the
//! name cut short), paging through hundreds of entries, non-ASCII names, and
//! errors on a non-directory and a closed fd.
//!
//! Host: runs it in `/scratch` and `/tmp`.

use std::collections::BTreeSet;

use test_programs::{
    DIRENT_SIZE, DirEntry, RIGHTS_READ, RIGHTS_RW, assert_errno, create_file, ok, p1, parse_dirents, read_dir_all,
    wasi, work_dir,
};

fn read_once(dir: wasi::Fd, cookie: u64, len: usize) -> (Vec<DirEntry>, usize) {
    let mut buf = vec![0u8; len];
    let used = p1::fd_readdir(dir, &mut buf, cookie).expect("fd_readdir");
    assert!(used <= len, "fd_readdir used {used} of {len} bytes");
    (parse_dirents(&buf[..used]), used)
}

fn names(entries: &[DirEntry]) -> Vec<String> {
    entries.iter().map(DirEntry::name_str).collect()
}

fn main() {
    let dir = work_dir();
    p1::path_create_directory(dir, "d").expect("mkdir d");
    let d = p1::path_open(dir, 0, "d", wasi::OFLAGS_DIRECTORY, RIGHTS_READ, 0).expect("open d");
    let dstat = p1::fd_filestat_get(d).expect("stat d");

    // An empty directory: `.` and `..`, both directories, `.` is itself.
    let (entries, used) = read_once(d, wasi::DIRCOOKIE_START, 4096);
    assert!(used < 4096);
    let mut sorted = names(&entries);
    sorted.sort();
    assert_eq!(sorted, [".", ".."], "entries of an empty directory");
    for e in &entries {
        assert_eq!(e.kind, wasi::FILETYPE_DIRECTORY, "type of {}", e.name_str());
        assert_eq!(e.namlen, e.name.len());
    }
    let dot = entries.iter().find(|e| e.name == b".").unwrap();
    assert_eq!(dot.ino, dstat.ino, "`.` has the directory's inode");

    // One of each type.
    create_file(d, "file", b"data");
    p1::path_create_directory(d, "nested").expect("mkdir nested");
    p1::path_symlink("file", d, "link").expect("symlink");
    let (entries, used) = read_once(d, wasi::DIRCOOKIE_START, 4096);
    assert!(used < 4096, "a whole small directory fits in 4 KiB");
    let mut got = names(&entries);
    got.sort();
    assert_eq!(got, [".", "..", "file", "link", "nested"]);
    for (name, kind) in [
        ("file", wasi::FILETYPE_REGULAR_FILE),
        ("nested", wasi::FILETYPE_DIRECTORY),
        ("link", wasi::FILETYPE_SYMBOLIC_LINK),
    ] {
        let e = entries.iter().find(|e| e.name == name.as_bytes()).unwrap();
        assert_eq!(e.kind, kind, "type of {name}");
        let st = p1::path_filestat_get(d, 0, name).expect("stat");
        assert_eq!(e.ino, st.ino, "inode of {name}");
    }

    // Continuing from each entry's cookie yields exactly the entries after it.
    for (i, e) in entries.iter().enumerate() {
        let (rest, _) = read_once(d, e.next, 4096);
        assert_eq!(names(&rest), names(&entries[i + 1..]), "entries after cookie {}", e.next);
    }
    let (rest, used) = read_once(d, entries.last().unwrap().next, 4096);
    assert!(rest.is_empty() && used == 0, "reading past the last entry");

    // A buffer that ends inside the first name: filled completely, name cut short.
    let first_long = entries.iter().position(|e| e.namlen >= 4).unwrap();
    let cookie = if first_long == 0 { 0 } else { entries[first_long - 1].next };
    let (cut, used) = read_once(d, cookie, DIRENT_SIZE + 2);
    assert_eq!(used, DIRENT_SIZE + 2, "a full buffer must be used to its last byte");
    assert_eq!(cut.len(), 1);
    assert_eq!(cut[0].namlen, entries[first_long].namlen, "d_namlen is the full length");
    assert_eq!(cut[0].name, entries[first_long].name[..2], "the name is cut short");
    // Smaller than a header: still filled completely.
    let mut tiny = [0xAAu8; 10];
    assert_eq!(p1::fd_readdir(d, &mut tiny, 0).expect("tiny fd_readdir"), 10);
    // The whole listing read through a buffer that holds about one entry.
    let paged = read_dir_all(d, DIRENT_SIZE + 8);
    assert_eq!(names(&paged), names(&entries), "paged listing");

    // Hundreds of entries through a small buffer: each seen exactly once.
    for i in 0..300 {
        create_file(d, &format!("f{i:03}"), b"");
    }
    let all = read_dir_all(d, 200);
    assert_eq!(all.len(), 305, "entries (300 + file, link, nested, ., ..)");
    let unique: BTreeSet<Vec<u8>> = all.iter().map(|e| e.name.clone()).collect();
    assert_eq!(unique.len(), 305, "an entry was listed twice");
    for i in 0..300 {
        assert!(unique.contains(format!("f{i:03}").as_bytes()));
        p1::path_unlink_file(d, &format!("f{i:03}")).expect("unlink");
    }

    // A non-ASCII name, read with growing buffers.
    let name = "Действие";
    create_file(d, name, b"");
    let found = (DIRENT_SIZE..2048).any(|len| {
        let (entries, _) = read_once(d, 0, len);
        entries.iter().any(|e| e.name == name.as_bytes())
    });
    assert!(found, "non-ASCII name never listed");
    p1::path_unlink_file(d, name).expect("unlink");

    // Not a directory; not open.
    let f = p1::path_open(d, 0, "file", 0, RIGHTS_RW, 0).expect("open file");
    let mut buf = [0u8; 256];
    assert_errno!(p1::fd_readdir(f, &mut buf, 0), wasi::ERRNO_NOTDIR, wasi::ERRNO_BADF);
    p1::fd_close(f).expect("close");
    p1::fd_close(d).expect("close");
    assert_errno!(p1::fd_readdir(d, &mut buf, 0), wasi::ERRNO_BADF);

    p1::path_unlink_file(dir, "d/file").expect("unlink");
    p1::path_unlink_file(dir, "d/link").expect("unlink");
    p1::path_remove_directory(dir, "d/nested").expect("rmdir");
    p1::path_remove_directory(dir, "d").expect("rmdir");
    ok();
}
