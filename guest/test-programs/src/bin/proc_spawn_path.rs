//! Finding the program to spawn: by absolute path, by relative path (against
//! the child's working directory), by bare name through `PATH` (the child's,
//! or the default when unset); `ENOENT` for a missing program, `EACCES` for
//! one without an x bit and for a directory, `ENOEXEC` for an executable text
//! file; a `#!` script runs its interpreter with `[interp, arg, script,
//! args…]`, and a missing interpreter is `ENOENT`.
//!
//! Host: grants `/t` holding `proc_child` (0755), `noexec` (a copy of
//! proc_child, 0644), `text` (0755, no `#!`), `script` (0755,
//! `#!/t/proc_child echo`), `badscript` (0755, `#!/t/missing`) and the
//! directory `dir`; env `PATH=/t`.

use std::io::ErrorKind;

use test_programs::ok;
use wasi_ext::Command;

#[track_caller]
fn echo_output(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("running {cmd:?}: {e}"));
    assert!(out.status.success(), "{cmd:?}: {}", out.status);
    String::from_utf8(out.stdout).expect("UTF-8")
}

#[track_caller]
fn spawn_error(cmd: &mut Command) -> std::io::Error {
    match cmd.spawn() {
        Ok(mut child) => panic!("{cmd:?} started (it ended with {:?})", child.wait()),
        Err(err) => err,
    }
}

fn errno(err: &std::io::Error) -> Option<i32> {
    err.raw_os_error()
}

fn main() {
    wasi_ext::init().expect("init");

    // By absolute path, by bare name through PATH, relative to the cwd.
    assert_eq!(echo_output(Command::new("/t/proc_child").args(["echo", "abs"])), "abs\n");
    assert_eq!(echo_output(Command::new("proc_child").args(["echo", "bare"])), "bare\n");
    assert_eq!(echo_output(Command::new("./proc_child").args(["echo", "rel"]).current_dir("/t")), "rel\n");
    assert_eq!(echo_output(Command::new("t/proc_child").args(["echo", "rel2"]).current_dir("/")), "rel2\n");
    // The child's PATH decides; several entries are searched in order.
    let found = Command::new("proc_child").args(["echo", "path"]).env("PATH", "/nowhere:/bin:/t").output();
    assert_eq!(String::from_utf8_lossy(&found.expect("PATH search").stdout), "path\n");
    // Without PATH, the default (/usr/local/bin:/usr/bin:/bin) does not hold it.
    let err = spawn_error(Command::new("proc_child").env_remove("PATH"));
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    // A bare name is never looked up in the cwd.
    let err = spawn_error(Command::new("proc_child").env("PATH", "/bin").current_dir("/t"));
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");

    // ENOENT: missing, by path and by name.
    for program in ["/t/missing", "missing", "/missing/dir/prog", "./missing"] {
        let err = spawn_error(&mut Command::new(program));
        assert_eq!(err.kind(), ErrorKind::NotFound, "{program}: {err}");
        assert_eq!(errno(&err), Some(i32::from(wasi::ERRNO_NOENT.raw())));
    }

    // EACCES: no x bit; a directory.
    for program in ["/t/noexec", "noexec", "/t/dir", "/t"] {
        let err = spawn_error(&mut Command::new(program));
        assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{program}: {err}");
        assert_eq!(errno(&err), Some(i32::from(wasi::ERRNO_ACCES.raw())));
    }

    // ENOEXEC: executable, but neither wasm nor a script.
    let err = spawn_error(&mut Command::new("/t/text"));
    assert_eq!(errno(&err), Some(i32::from(wasi::ERRNO_NOEXEC.raw())), "{err}");

    // #!: the interpreter gets [interp, its argument, the script, the args].
    assert_eq!(echo_output(Command::new("/t/script").args(["x", "y z"])), "/t/script x y z\n");
    assert_eq!(echo_output(&mut Command::new("script")), "/t/script\n");
    let err = spawn_error(&mut Command::new("/t/badscript"));
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");

    ok();
}
