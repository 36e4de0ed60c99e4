//! Finding programs (`resolve_executable`) and users (`passwd_*`, `group_*`).

mod common;

use std::sync::Arc;

use capsa_kernel::{Cred, Kernel, KernelError, Layer, LayerBuilder, Meta};

const WASM: &[u8] = b"\0asm\x01\0\0\0";

fn layer() -> Arc<Layer> {
    let mut b = LayerBuilder::new();
    let file = |b: &mut LayerBuilder, path: &str, bytes: &[u8], mode: u32| {
        b.file(path, Arc::from(bytes), Meta::root(mode)).unwrap();
    };
    file(&mut b, "/bin/prog", WASM, 0o755);
    file(&mut b, "/bin/script", b"#!/bin/sh -e\necho hi\n", 0o755);
    file(&mut b, "/bin/plain", b"#!/bin/sh\n", 0o755);
    file(&mut b, "/bin/noexec", WASM, 0o644);
    file(&mut b, "/bin/text", b"echo hi\n", 0o755);
    file(&mut b, "/bin/tool", WASM, 0o755);
    file(&mut b, "/usr/bin/tool", WASM, 0o755);
    file(&mut b, "/usr/local/bin/tool", WASM, 0o644);
    file(&mut b, "/usr/local/bin/only-denied", WASM, 0o644);
    let mine = Meta { mode: 0o700, uid: 1000, gid: 1000 };
    b.file("/home/user/mine", Arc::from(WASM), mine).unwrap();
    b.dir("/home/user", Meta { mode: 0o755, uid: 1000, gid: 1000 }).unwrap();
    b.dir("/bin/dir", Meta::root(0o755)).unwrap();
    b.dir("/secret", Meta::root(0o700)).unwrap();
    file(&mut b, "/secret/prog", WASM, 0o755);
    b.symlink("/bin/link", "prog").unwrap();
    b.symlink("/usr/bin/abs", "/bin/script").unwrap();
    let passwd = "root:x:0:0:root:/root:/bin/sh\n# comment\n\nuser:x:1000:1000:User:/home/user:/bin/sh\n";
    file(&mut b, "/etc/passwd", passwd.as_bytes(), 0o644);
    file(&mut b, "/etc/group", b"root:x:0:\nuser:x:1000:user\n", 0o644);
    b.build()
}

fn kernel() -> Arc<Kernel> {
    common::kernel_with(vec![layer()], 4)
}

fn find(k: &Kernel, name: &str) -> Result<capsa_kernel::Executable, KernelError> {
    k.resolve_executable(&common::user(), "/home/user", name, None)
}

#[test]
fn a_wasm_module_runs_directly() {
    let k = kernel();
    let exe = find(&k, "/bin/prog").unwrap();
    assert_eq!(exe.path, "/bin/prog");
    assert_eq!(&*exe.bytes, WASM);
    assert_eq!(exe.interpreter, None);
}

#[test]
fn a_script_names_its_interpreter_and_one_argument() {
    let k = kernel();
    let exe = find(&k, "script").unwrap();
    assert_eq!(exe.path, "/bin/script");
    assert_eq!(exe.interpreter, Some(("/bin/sh".into(), Some("-e".into()))));
    assert_eq!(find(&k, "plain").unwrap().interpreter, Some(("/bin/sh".into(), None)));
}

#[test]
fn symlinks_are_resolved_in_the_reported_path() {
    let k = kernel();
    assert_eq!(find(&k, "/bin/link").unwrap().path, "/bin/prog");
    assert_eq!(find(&k, "abs").unwrap().path, "/bin/script");
    assert_eq!(find(&k, "/usr/../bin/./prog").unwrap().path, "/bin/prog");
}

#[test]
fn relative_paths_resolve_against_the_working_directory() {
    let k = kernel();
    assert_eq!(find(&k, "./mine").unwrap().path, "/home/user/mine");
    assert_eq!(find(&k, "../../bin/prog").unwrap().path, "/bin/prog");
    let root = Cred::root();
    let exe = k.resolve_executable(&root, "/bin", "dir/../prog", None);
    assert_eq!(exe.unwrap().path, "/bin/prog");
}

#[test]
fn permission_and_type_errors() {
    let k = kernel();
    assert_eq!(find(&k, "/bin/noexec").err(), Some(KernelError::AccessDenied));
    assert_eq!(find(&k, "/bin/dir").err(), Some(KernelError::AccessDenied));
    assert_eq!(find(&k, "/bin/").err(), Some(KernelError::AccessDenied));
    assert_eq!(find(&k, "/secret/prog").err(), Some(KernelError::AccessDenied));
    assert_eq!(find(&k, "/bin/missing").err(), Some(KernelError::NotFound));
    assert_eq!(find(&k, "/bin/prog/").err(), Some(KernelError::NotDir));
    assert_eq!(find(&k, "/bin/text").err(), Some(KernelError::NotExecutable));
    assert_eq!(find(&k, "").err(), Some(KernelError::NotFound));
    // Root needs an x bit too, but not search permission.
    let root = Cred::root();
    let as_root = |name| k.resolve_executable(&root, "/", name, None);
    assert_eq!(as_root("/bin/noexec").err(), Some(KernelError::AccessDenied));
    assert!(as_root("/secret/prog").is_ok());
}

#[test]
fn path_search_takes_the_first_runnable_candidate() {
    let k = kernel();
    let user = common::user();
    let search =
        |path: Option<&str>, name: &str| k.resolve_executable(&user, "/home/user", name, path).map(|exe| exe.path);
    // Default PATH: /usr/local/bin/tool exists but is not executable.
    assert_eq!(search(None, "tool").as_deref(), Ok("/usr/bin/tool"));
    assert_eq!(search(Some("/bin:/usr/bin"), "tool").as_deref(), Ok("/bin/tool"));
    assert_eq!(search(Some("/nope:/usr/bin:/bin"), "tool").as_deref(), Ok("/usr/bin/tool"));
    // An empty entry is the working directory.
    assert_eq!(search(Some("/bin::"), "mine").as_deref(), Ok("/home/user/mine"));
    assert_eq!(search(None, "only-denied"), Err(KernelError::AccessDenied));
    assert_eq!(search(None, "missing"), Err(KernelError::NotFound));
    assert_eq!(search(Some(""), "prog"), Err(KernelError::NotFound));
}

#[test]
fn a_layer_file_is_returned_without_copying() {
    let k = kernel();
    let first = find(&k, "prog").unwrap();
    let second = find(&k, "/bin/link").unwrap();
    assert!(std::ptr::eq(first.bytes.as_ptr(), second.bytes.as_ptr()));
}

#[test]
fn a_file_written_in_the_vm_is_returned_as_a_copy() {
    let k = kernel();
    let root_dir = k.vfs().root();
    common::write_file(k.vfs(), &root_dir, "/tmp/new", WASM);
    k.vfs().set_mode_at(&Cred::root(), &root_dir, "/tmp/new", true, 0o755).unwrap();
    let exe = find(&k, "/tmp/new").unwrap();
    assert_eq!(&*exe.bytes, WASM);
    assert!(!std::ptr::eq(exe.bytes.as_ptr(), find(&k, "/tmp/new").unwrap().bytes.as_ptr()));
}

#[test]
fn users_and_groups_come_from_the_vm_files() {
    let k = kernel();
    assert_eq!(k.passwd_by_uid(1000).as_deref(), Ok("user:x:1000:1000:User:/home/user:/bin/sh"));
    assert_eq!(k.passwd_by_name("root").as_deref(), Ok("root:x:0:0:root:/root:/bin/sh"));
    assert_eq!(k.group_by_gid(1000).as_deref(), Ok("user:x:1000:user"));
    assert_eq!(k.passwd_by_uid(5), Err(KernelError::NotFound));
    assert_eq!(k.passwd_by_name("# comment"), Err(KernelError::NotFound));
    assert_eq!(k.group_by_gid(7), Err(KernelError::NotFound));
}

#[test]
fn without_a_passwd_file_users_are_not_found() {
    let k = common::kernel_with(vec![], 1);
    assert_eq!(k.passwd_by_uid(0), Err(KernelError::NotFound));
    assert_eq!(k.group_by_gid(0), Err(KernelError::NotFound));
}

#[test]
fn a_program_in_a_host_mount_is_read_from_the_host() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8], mode: u32| {
        let path = tmp.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    };
    write("run", WASM, 0o755);
    write("data", WASM, 0o644);
    std::os::unix::fs::symlink("run", tmp.path().join("alias")).unwrap();
    let k = with_host_mount(tmp.path(), true);
    let exe = find(&k, "/host/alias").unwrap();
    assert_eq!((exe.path.as_str(), &*exe.bytes), ("/host/run", WASM));
    assert_eq!(find(&k, "/host/data").err(), Some(KernelError::AccessDenied));
    assert_eq!(find(&k, "/host").err(), Some(KernelError::AccessDenied));
}

#[test]
fn a_program_the_guest_wrote_stays_the_guests_through_a_snapshot() {
    let first = kernel();
    let vfs = first.vfs();
    let home = vfs.open_at(&common::user(), &vfs.root(), "/home/user", common::read()).unwrap();
    let opts = capsa_kernel::OpenOptions { mode: 0o755, ..common::create() };
    vfs.open_at(&common::user(), &home, "built", opts).unwrap().write(WASM).unwrap();
    assert!(find(&first, "/home/user/built").unwrap().guest_written);
    assert!(!find(&first, "/bin/prog").unwrap().guest_written);
    // Frozen in place (its bytes now shared) and restored elsewhere, it is
    // still the guest's: compiled at its VM's expense, never the host's.
    let snapshot = vfs.snapshot().unwrap();
    assert!(find(&first, "/home/user/built").unwrap().guest_written);
    let second = common::kernel_with(vec![layer(), snapshot], 4);
    assert!(find(&second, "/home/user/built").unwrap().guest_written);
    assert!(!find(&second, "/bin/prog").unwrap().guest_written);
}

#[test]
fn a_read_only_mounts_program_is_read_once_and_shared_until_it_changes() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("tool");
    let write = |bytes: &[u8]| {
        std::fs::write(&path, bytes).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    };
    write(&[WASM, b"first version"].concat());
    let kernel_with_mount = |read_only| with_host_mount(tmp.path(), read_only);
    // Two VMs, three spawns: one copy, which the runtime may know by address.
    let (one, two) = (kernel_with_mount(true), kernel_with_mount(true));
    let first = find(&one, "/host/tool").unwrap();
    let again = find(&one, "/host/tool").unwrap();
    let other = find(&two, "/host/tool").unwrap();
    assert_eq!(first.bytes.as_ptr(), again.bytes.as_ptr());
    assert_eq!(first.bytes.as_ptr(), other.bytes.as_ptr());
    assert!(first.bytes.is_shared() && !first.guest_written);
    // A changed file is read anew.
    write(&[WASM, b"second, longer version"].concat());
    let changed = find(&one, "/host/tool").unwrap();
    assert!(changed.bytes.ends_with(b"second, longer version"));
    // A writable mount's program is the guest's to change: read every time.
    let writable = kernel_with_mount(false);
    let (a, b) = (find(&writable, "/host/tool").unwrap(), find(&writable, "/host/tool").unwrap());
    assert_ne!(a.bytes.as_ptr(), b.bytes.as_ptr());
    assert!(a.guest_written);
}

#[test]
fn a_vouched_program_is_not_read_until_its_bytes_are_needed_and_only_while_unchanged() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("vouched");
    let write = |bytes: &[u8]| {
        std::fs::write(&path, bytes).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    };
    write(&[WASM, b"vouched"].concat());
    capsa_kernel::vouch_for_program(&path, [7; 32]).unwrap();
    let kernel = with_host_mount(tmp.path(), true);
    let found = find(&kernel, "/host/vouched").unwrap();
    assert_eq!(found.bytes.sha256(), Some([7; 32]));
    assert!(format!("{:?}", found.bytes).contains("lazy"), "{:?}", found.bytes);
    assert_eq!((found.bytes.len(), found.interpreter.is_none()), (WASM.len() + 7, true));
    assert_eq!(&*found.bytes, &[WASM, b"vouched"].concat()[..]);
    // Changed after it was vouched for: read and hashed as any program.
    write(&[WASM, b"changed!"].concat());
    let changed = find(&kernel, "/host/vouched").unwrap();
    assert_eq!(changed.bytes.sha256(), None);
    assert!(changed.bytes.ends_with(b"changed!"));
    // A writable mount's file is never taken on trust.
    capsa_kernel::vouch_for_program(&path, [9; 32]).unwrap();
    let writable = with_host_mount(tmp.path(), false);
    assert_eq!(find(&writable, "/host/vouched").unwrap().bytes.sha256(), None);
}

/// A kernel with `host` mounted at `/host`.
fn with_host_mount(host: &std::path::Path, read_only: bool) -> std::sync::Arc<Kernel> {
    let dir = cap_std::fs::Dir::open_ambient_dir(host, cap_std::ambient_authority()).unwrap();
    Kernel::new(capsa_kernel::KernelConfig {
        vfs: capsa_kernel::VfsConfig {
            layers: vec![],
            mounts: vec![capsa_kernel::Mount { guest_path: "/host".into(), dir, read_only }],
            quota: common::quota(),
            real_time: false,
            entropy: false,
        },
        clock: false,
        entropy: false,
        max_processes: 1,
        budget: capsa_kernel::BudgetLimits::UNLIMITED,
    })
    .unwrap()
}
