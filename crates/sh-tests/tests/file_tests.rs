//! The shell's file tests (`test`, `[`, `[[ ]]`) read modes, owners and
//! types from capsa's `host_fs`: `-r -w -x` follow the mode bits for the
//! process's uid and gid as the kernel does (root reads and writes
//! anything, executes only what has an x bit), a read-only mount is not
//! writable, and `-O -G -u -g -k -c -d -f` are exact.

use std::os::unix::fs::PermissionsExt;

use capsa_runtime::{DirGrant, ExitStatus};
use capsa_sh_tests::Sh;

/// For each file, the tests that hold (`[ -X file ]`), as `file: -r -w …`.
const SCRIPT: &str = r#"
for f in ro rw exe none setgid d /etc/passwd /root /tmp /dev/null missing; do
  printf '%s:' "$f"
  for t in -e -r -w -x -O -G -u -g -k -c -d -f; do
    if [ $t "$f" ]; then printf ' %s' "$t"; fi
  done
  echo
done
[[ -x exe && ! -x rw ]] && echo double-bracket
test -w /ro/rw || echo read-only
"#;

/// A host directory of files with the modes the script tests.
fn files() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, mode) in [("ro", 0o444), ("rw", 0o644), ("exe", 0o755), ("none", 0o000), ("setgid", 0o2755)] {
        let path = dir.path().join(name);
        std::fs::write(&path, "#!/bin/sh\n").expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    }
    std::fs::create_dir(dir.path().join("d")).expect("mkdir");
    std::fs::set_permissions(dir.path().join("d"), std::fs::Permissions::from_mode(0o700)).expect("chmod");
    dir
}

fn run(root: bool) -> String {
    let dir = files();
    let mut sh = Sh::new().in_dir(dir.path(), "/work");
    sh.config.root = root;
    sh.config.grants.dirs.push(DirGrant { host: dir.path().to_path_buf(), guest: "/ro".into(), read_only: true });
    let outcome = sh.run(SCRIPT);
    assert_eq!(outcome.status, ExitStatus::Exited(0), "{}", outcome.stderr_str());
    outcome.stdout_str()
}

#[test]
fn file_tests_as_the_default_user() {
    // Host files show the VM's default user (uid and gid 1000) as owner.
    assert_eq!(
        run(false),
        "ro: -e -r -O -G -f\n\
         rw: -e -r -w -O -G -f\n\
         exe: -e -r -w -x -O -G -f\n\
         none: -e -O -G -f\n\
         setgid: -e -r -w -x -O -G -g -f\n\
         d: -e -r -w -x -O -G -d\n\
         /etc/passwd: -e -r -f\n\
         /root: -e -d\n\
         /tmp: -e -r -w -x -k -d\n\
         /dev/null: -e -r -w -c\n\
         missing:\n\
         double-bracket\n\
         read-only\n"
    );
}

#[test]
fn file_tests_as_root() {
    assert_eq!(
        run(true),
        "ro: -e -r -w -f\n\
         rw: -e -r -w -f\n\
         exe: -e -r -w -x -f\n\
         none: -e -r -w -f\n\
         setgid: -e -r -w -x -g -f\n\
         d: -e -r -w -x -d\n\
         /etc/passwd: -e -r -w -O -G -f\n\
         /root: -e -r -w -x -O -G -d\n\
         /tmp: -e -r -w -x -O -G -k -d\n\
         /dev/null: -e -r -w -O -G -c\n\
         missing:\n\
         double-bracket\n\
         read-only\n"
    );
}
