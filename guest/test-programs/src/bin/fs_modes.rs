//! `host_fs` through `wasi-ext`: modes, owners, chmod, chown and umask, as the
//! VM's default user (uid 1000) and, with argv[1] = `root`, as root.

use std::io::ErrorKind;

use wasi_ext::fs;

fn main() {
    let as_root = std::env::args().nth(1).as_deref() == Some("root");
    let me = wasi_ext::getuid().expect("getuid");
    assert_eq!(me, if as_root { 0 } else { 1000 });

    let root = fs::stat("/").expect("stat /");
    assert!(root.is_dir());
    assert_eq!((root.uid, root.permissions()), (0, 0o755));
    let tmp = fs::stat("/tmp").expect("stat /tmp");
    assert_eq!(tmp.permissions(), 0o1777);
    let passwd = fs::stat("/etc/passwd").expect("stat /etc/passwd");
    assert_eq!((passwd.mode & fs::S_IFMT, passwd.permissions(), passwd.uid), (fs::S_IFREG, 0o644, 0));

    // New files get 0666 & ~umask, owned by the creator.
    assert_eq!(fs::umask(0o077), 0o022);
    std::fs::write("/tmp/private", "x").expect("create");
    let private = fs::stat("/tmp/private").expect("stat");
    assert_eq!((private.permissions(), private.uid), (0o600, me));
    fs::umask(0o022);

    fs::chmod("/tmp/private", 0o751).expect("chmod own file");
    assert_eq!(fs::stat("/tmp/private").expect("stat").permissions(), 0o751);
    let err = fs::chmod("/tmp/private", 0o10000).expect_err("bits outside 0o7777");
    assert_eq!(err.kind(), ErrorKind::InvalidInput);

    // Symlinks: lstat sees the link, stat its target.
    let root_dir = test_programs::preopen("/");
    test_programs::p1::path_symlink("private", root_dir, "tmp/link").expect("symlink");
    assert_eq!(fs::lstat("/tmp/link").expect("lstat").mode & fs::S_IFMT, fs::S_IFLNK);
    assert_eq!(fs::stat("/tmp/link").expect("stat").ino, private.ino);

    // Owners: only root may give files away; everyone is refused on root's files.
    if as_root {
        fs::chown("/tmp/private", Some(1000), Some(1000)).expect("root chowns");
        assert_eq!(fs::stat("/tmp/private").expect("stat").uid, 1000);
        fs::chmod("/etc/passwd", 0o600).expect("root chmods anything");
    } else {
        let err = fs::chown("/tmp/private", Some(0), None).expect_err("giving a file to root");
        assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
        let err = fs::chmod("/etc/passwd", 0o666).expect_err("chmod of root's file");
        assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
        let err = fs::stat("/root/x").expect_err("search permission on /root");
        assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
    }
    let err = fs::stat("/tmp/missing").expect_err("missing");
    assert_eq!(err.kind(), ErrorKind::NotFound);
    let file = std::fs::File::open("/etc/group").expect("open");
    assert_eq!(fs::fstat(&file).expect("fstat").permissions(), 0o644);
    println!("ok");
}
