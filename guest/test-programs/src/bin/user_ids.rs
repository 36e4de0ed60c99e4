//! User and group ids and account lookups, from the VM's own `/etc/passwd`
//! and `/etc/group`: the process runs as the uid given in argv[1] (1000, or
//! 0 when the VM runs as root); `getpwuid`/`getpwnam` agree with each other
//! and with the file; unknown users are `ENOENT` (`NotFound`); a child runs
//! as its parent's user.
//!
//! Host: runs it as the default user (argv[1] = 1000) and as root (0), with
//! `/t` holding `proc_child`; env `PATH=/t`.

use std::io::ErrorKind;

use test_programs::ok;
use wasi_ext::{Command, Passwd, getegid, geteuid, getgid, getgrgid, getpwnam, getpwuid, getuid};

fn main() {
    wasi_ext::init().expect("init");
    let expected: u32 = std::env::args().nth(1).expect("usage: user_ids <uid>").parse().expect("a number");
    let uid = getuid().expect("getuid");
    let gid = getgid().expect("getgid");
    assert_eq!(
        (uid, geteuid().expect("geteuid"), gid, getegid().expect("getegid")),
        (expected, expected, expected, expected)
    );

    let me = getpwuid(uid).expect("getpwuid(self)");
    let by_name = getpwnam(&me.name).expect("getpwnam(self)");
    assert_eq!(me, by_name);
    let (name, home) = if uid == 0 { ("root", "/root") } else { ("user", "/home/user") };
    assert_eq!(
        me,
        Passwd {
            name: name.into(),
            passwd: "x".into(),
            uid,
            gid,
            gecos: name.into(),
            dir: home.into(),
            shell: "/bin/sh".into(),
        }
    );

    // Every line of /etc/passwd is found both ways.
    let passwd = std::fs::read_to_string("/etc/passwd").expect("read /etc/passwd");
    for line in passwd.lines().filter(|l| !l.is_empty()) {
        let entry = Passwd::parse(line).expect("parse");
        assert_eq!(getpwuid(entry.uid).expect("getpwuid"), entry);
        assert_eq!(getpwnam(&entry.name).expect("getpwnam"), entry);
    }
    assert_eq!(getpwnam("root").expect("root").uid, 0);

    // Groups.
    let group = getgrgid(gid).expect("getgrgid(self)");
    assert_eq!((group.name.as_str(), group.gid), (name, gid));
    assert_eq!(getgrgid(0).expect("group 0").name, "root");

    // Unknown.
    assert_eq!(getpwuid(4242).expect_err("uid 4242").kind(), ErrorKind::NotFound);
    assert_eq!(getpwnam("nobody-here").expect_err("no such name").kind(), ErrorKind::NotFound);
    assert_eq!(getpwnam("").expect_err("empty name").kind(), ErrorKind::NotFound);
    assert_eq!(getgrgid(4242).expect_err("gid 4242").kind(), ErrorKind::NotFound);

    // A child runs as our user.
    let out = Command::new("proc_child").arg("whoami").output().expect("whoami");
    assert_eq!(String::from_utf8_lossy(&out.stdout), format!("uid={uid} gid={gid} name={name}\n"));

    println!("uid: {uid}");
    ok();
}
