//! Preopens: each granted directory at fd 3, 4, … in grant order under its
//! guest path, then the VM root `/` last; `fd_prestat_get` is `BADF` for every
//! other fd; a too-small name buffer is `NAMETOOLONG`; preopens are directories
//! with the rights wasi-libc needs to open files beneath them.
//!
//! Host: grants `/scratch` (rw) then `/data` (ro).

use test_programs::{RIGHTS_READ, RIGHTS_RW, assert_errno, ok, p1, wasi};

fn main() {
    let want = [(3, "/scratch"), (4, "/data"), (5, "/")];
    for (fd, name) in want {
        let len = p1::prestat_dir_len(fd).unwrap_or_else(|e| panic!("fd_prestat_get({fd}): {e:?}"));
        assert_eq!(len, name.len(), "name length of preopen {fd}");
        let mut buf = vec![0u8; len];
        p1::prestat_dir_name(fd, &mut buf).expect("fd_prestat_dir_name");
        assert_eq!(buf, name.as_bytes(), "name of preopen {fd}");
        // A larger buffer works and holds the same name.
        let mut big = vec![0u8; len + 8];
        p1::prestat_dir_name(fd, &mut big).expect("fd_prestat_dir_name, larger buffer");
        assert_eq!(&big[..len], name.as_bytes());
        // A smaller one does not.
        assert_errno!(p1::prestat_dir_name(fd, &mut buf[..len - 1]), wasi::ERRNO_NAMETOOLONG);

        let st = p1::fd_fdstat_get(fd).expect("fdstat of a preopen");
        assert_eq!(st.fs_filetype, wasi::FILETYPE_DIRECTORY);
    }
    assert_eq!(
        test_programs::preopens().iter().map(|(fd, n)| (*fd, n.as_str())).collect::<Vec<_>>(),
        want,
        "preopens end with the VM root"
    );
    for fd in [0, 1, 2, 6, 7, 100] {
        assert_errno!(p1::prestat_dir_len(fd), wasi::ERRNO_BADF);
    }

    // Rights wasi-libc relies on (it masks what it asks for with the
    // inheriting rights of the preopen).
    let dir_rights = wasi::RIGHTS_PATH_CREATE_DIRECTORY
        | wasi::RIGHTS_PATH_CREATE_FILE
        | wasi::RIGHTS_PATH_LINK_SOURCE
        | wasi::RIGHTS_PATH_LINK_TARGET
        | wasi::RIGHTS_PATH_OPEN
        | wasi::RIGHTS_FD_READDIR
        | wasi::RIGHTS_PATH_READLINK
        | wasi::RIGHTS_PATH_RENAME_SOURCE
        | wasi::RIGHTS_PATH_RENAME_TARGET
        | wasi::RIGHTS_PATH_SYMLINK
        | wasi::RIGHTS_PATH_REMOVE_DIRECTORY
        | wasi::RIGHTS_PATH_UNLINK_FILE
        | wasi::RIGHTS_PATH_FILESTAT_GET
        | wasi::RIGHTS_PATH_FILESTAT_SET_TIMES
        | wasi::RIGHTS_FD_FILESTAT_GET
        | wasi::RIGHTS_FD_FILESTAT_SET_TIMES;
    let file_rights = wasi::RIGHTS_FD_DATASYNC
        | wasi::RIGHTS_FD_READ
        | wasi::RIGHTS_FD_SEEK
        | wasi::RIGHTS_FD_FDSTAT_SET_FLAGS
        | wasi::RIGHTS_FD_SYNC
        | wasi::RIGHTS_FD_TELL
        | wasi::RIGHTS_FD_WRITE
        | wasi::RIGHTS_FD_ADVISE
        | wasi::RIGHTS_FD_ALLOCATE
        | wasi::RIGHTS_FD_FILESTAT_GET
        | wasi::RIGHTS_FD_FILESTAT_SET_SIZE
        | wasi::RIGHTS_FD_FILESTAT_SET_TIMES
        | wasi::RIGHTS_POLL_FD_READWRITE;
    for fd in [3, 5] {
        let st = p1::fd_fdstat_get(fd).expect("fdstat");
        assert_eq!(st.fs_rights_base & dir_rights, dir_rights, "base rights of preopen {fd}");
        let inheriting = dir_rights | file_rights;
        assert_eq!(st.fs_rights_inheriting & inheriting, inheriting, "inheriting rights of preopen {fd}");
    }

    // Opening a preopen's own directory: any read rights, but not for writing.
    for rights in [0, RIGHTS_READ, wasi::RIGHTS_FD_READ] {
        let fd = p1::path_open(3, 0, ".", wasi::OFLAGS_DIRECTORY, rights, 0).expect("open `.`");
        assert_errno!(p1::prestat_dir_len(fd), wasi::ERRNO_BADF);
        p1::fd_close(fd).expect("close");
    }
    assert_errno!(p1::path_open(3, 0, ".", wasi::OFLAGS_DIRECTORY, RIGHTS_RW, 0), wasi::ERRNO_ISDIR);

    // Mount points show up in the VM root.
    let mut root: Vec<String> = std::fs::read_dir("/")
        .expect("read_dir /")
        .map(|e| e.expect("entry").file_name().into_string().unwrap())
        .collect();
    root.sort();
    for mount in ["data", "scratch"] {
        assert!(root.iter().any(|n| n == mount), "/{mount} missing from {root:?}");
    }
    ok();
}
