//! A session driven as a program drives it: commands with their own stdio,
//! files in and out, state kept between commands.

use std::sync::mpsc;
use std::time::Duration;

use capsa_runtime::streams::{InputPipe, OutputSink};
use capsa_runtime::{DirGrant, Input, Output, Runtime, RuntimeOptions, VmConfig};
use capsa_session::{Exec, FileKind, LineOutcome, Session, SessionError};
use capsa_suite::shell::ShellVm;

/// A runtime whose compiled modules are cached under cargo's per-target
/// temp dir, so the suite compiles once across tests and runs. (The temp
/// dir returned is the caller's scratch space.)
fn runtime() -> (Runtime, tempfile::TempDir) {
    let cache = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("session-module-cache");
    let options = RuntimeOptions { cache_dir: Some(cache), ..RuntimeOptions::default() };
    (Runtime::new(options).expect("runtime"), tempfile::tempdir().expect("scratch dir"))
}

fn session(shell: &ShellVm, base: VmConfig) -> (Session, tempfile::TempDir) {
    let (runtime, cache) = runtime();
    (Session::start(&runtime, shell, base).expect("session"), cache)
}

fn captured() -> Exec {
    Exec { stdout: Some(Output::Capture), stderr: Some(Output::Capture), ..Exec::default() }
}

#[test]
fn commands_share_files_but_each_has_its_own_output_env_and_cwd() {
    let (session, _cache) = session(&ShellVm::default(), VmConfig::default());
    assert_eq!(session.workdir(), "/home/user");
    let out = session.exec("echo one > a.txt; pwd; echo $USER $HOME", &captured()).unwrap();
    assert_eq!(out.stdout_str(), "/home/user\nuser /home/user\n", "{}", out.stderr_str());
    // The file stays for the next command; this one has its own stdin,
    // environment and working directory.
    let exec = Exec {
        stdin: Some(Input::Bytes(b"two\n".to_vec())),
        env: vec![("GREETING".into(), "hi".into())],
        cwd: Some("/tmp".into()),
        ..captured()
    };
    let out = session.exec("cat /home/user/a.txt - ; echo $GREETING $PWD; pwd", &exec).unwrap();
    assert_eq!(out.stdout_str(), "one\ntwo\nhi /tmp\n/tmp\n", "{}", out.stderr_str());
    let out = session.exec("echo ${GREETING:-unset}; exit 3", &captured()).unwrap();
    assert_eq!((out.stdout_str().as_str(), out.status.code()), ("unset\n", 3));
    let err = session.exec("true", &Exec { cwd: Some("/nowhere".into()), ..captured() }).unwrap_err();
    assert!(matches!(err, SessionError::File { .. }), "{err}");
}

#[test]
fn output_streams_chunk_by_chunk_while_stdin_is_fed() {
    let (session, _cache) = session(&ShellVm::default(), VmConfig::default());
    let (chunks, received) = mpsc::channel::<Vec<u8>>();
    let sink = OutputSink::new(move |bytes| {
        let _ = chunks.send(bytes.to_vec());
    });
    let stdin = InputPipe::new();
    let exec = Exec { stdin: Some(Input::Pipe(stdin.clone())), stdout: Some(Output::Stream(sink)), ..captured() };
    std::thread::scope(|scope| {
        let running = scope.spawn(|| session.exec("echo first; read line; echo \"second $line\"", &exec));
        // The first line arrives while the command waits for its input.
        let first = received.recv_timeout(Duration::from_secs(60)).expect("first chunk");
        assert_eq!(first, b"first\n");
        assert!(!running.is_finished());
        stdin.write(b"ok\n", Duration::from_secs(5)).unwrap();
        stdin.close();
        let outcome = running.join().expect("exec thread").expect("exec");
        assert!(outcome.status.success(), "{}", outcome.stderr_str());
        // Streamed output is not also captured.
        assert!(outcome.stdout.is_empty());
    });
    let rest: Vec<u8> = received.try_iter().flatten().collect();
    assert_eq!(rest, b"second ok\n");
}

#[test]
fn files_go_in_and_out_as_the_sessions_user() {
    let (session, _cache) = session(&ShellVm::default(), VmConfig::default());
    session.write_file("project/src/main.txt", b"hello\n").unwrap();
    let out = session.exec("cat project/src/main.txt; stat -c '%U %a' project/src/main.txt", &captured()).unwrap();
    assert_eq!(out.stdout_str(), "hello\nuser 644\n", "{}", out.stderr_str());
    session.exec("seq 3 > project/made.txt; ln -s made.txt project/link", &captured()).unwrap();
    assert_eq!(session.read_file("/home/user/project/made.txt", 100).unwrap(), b"1\n2\n3\n");
    assert!(matches!(session.read_file("project/made.txt", 3), Err(SessionError::TooLarge { limit: 3, .. })));
    let names: Vec<(String, FileKind)> =
        session.list("project").unwrap().into_iter().map(|info| (info.name, info.kind)).collect();
    assert_eq!(
        names,
        [("link".into(), FileKind::Symlink), ("made.txt".into(), FileKind::File), ("src".into(), FileKind::Dir)]
    );
    // The VM's permissions hold: the user may not change /etc.
    let err = session.write_file("/etc/passwd", b"x").unwrap_err();
    assert!(matches!(err, SessionError::File { source: capsa_kernel::KernelError::AccessDenied, .. }), "{err}");
    session.remove("project").unwrap();
    assert!(session.list(".").unwrap().is_empty());
    assert!(session.remove("/").is_err());
}

#[test]
fn written_files_are_charged_to_the_vms_disk() {
    let mut base = VmConfig::default();
    base.limits.disk_bytes = 1 << 20;
    let (session, _cache) = session(&ShellVm::default(), base);
    let err = session.write_file("big", &vec![7; 2 << 20]).unwrap_err();
    assert!(matches!(err, SessionError::File { source: capsa_kernel::KernelError::NoSpace, .. }), "{err}");
    // What the VM may still store is the budget less what was written.
    session.remove("big").unwrap();
    session.write_file("fits", &vec![7; 512 << 10]).unwrap();
}

#[test]
fn a_host_symlink_in_a_mount_is_resolved_inside_the_vm() {
    let host = tempfile::tempdir().expect("tempdir");
    std::os::unix::fs::symlink("/etc/passwd", host.path().join("passwd")).expect("symlink");
    let mount = DirGrant { host: host.path().to_path_buf(), guest: "/work".into(), read_only: false };
    let shell = ShellVm { mounts: vec![mount], ..ShellVm::default() };
    let (session, _cache) = session(&shell, VmConfig::default());
    assert_eq!(session.workdir(), "/work");
    // The link's target is the VM's /etc/passwd, never the host's.
    let passwd = String::from_utf8(session.read_file("passwd", 1 << 16).unwrap()).unwrap();
    assert!(passwd.contains("user:x:1000:1000:user:/home/user:/bin/sh"), "{passwd}");
    session.write_file("out.txt", b"to the host\n").unwrap();
    assert_eq!(std::fs::read(host.path().join("out.txt")).unwrap(), b"to the host\n");
}

#[test]
fn interactive_lines_keep_the_shells_state_and_root_is_root() {
    let shell = ShellVm { root: true, ..ShellVm::default() };
    let mut base = VmConfig::default();
    base.grants.stdout = Output::Capture;
    let (session, _cache) = session(&shell, base);
    assert!(session.identity().is_root());
    assert_eq!(session.workdir(), "/root");
    assert!(matches!(session.run_line("x=5; cd /tmp").unwrap(), LineOutcome::Done { .. }));
    match session.run_line("echo $x $(id -u); pwd").unwrap() {
        LineOutcome::Done { outcome, cwd } => {
            assert_eq!(outcome.stdout_str(), "5 0\n/tmp\n");
            assert_eq!(cwd.as_deref(), Some("/tmp"));
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(session.run_line("if true; then").unwrap(), LineOutcome::More));
    assert!(matches!(session.run_line("exit 4").unwrap(), LineOutcome::Exit(o) if o.status.code() == 4));
}

#[test]
fn a_snapshot_restores_files_and_shell_state_and_forks_independently() {
    let (runtime, _cache) = runtime();
    let mut base = VmConfig::default();
    base.grants.stdout = Output::Capture;
    // Root, to remove a file of a layer below.
    let shell = ShellVm { root: true, ..ShellVm::default() };
    let first = Session::start(&runtime, &shell, base.clone()).unwrap();
    let out = first.exec("mkdir -p app && echo v1 > app/config && rm /etc/hostname", &captured()).unwrap();
    assert!(out.status.success(), "{}", out.stderr_str());
    first.run_line("count=41").unwrap();
    let snapshot = first.snapshot().unwrap();
    assert!(snapshot.usage().bytes > 0);

    let fork = Session::restore(&runtime, &shell, base.clone(), &snapshot).unwrap();
    let out = fork.exec("cat app/config; ls /etc/hostname 2>&1; ls /bin/ls", &captured()).unwrap();
    assert_eq!(out.stdout_str(), "v1\nls: cannot access '/etc/hostname': No such file or directory\n/bin/ls\n");
    // The interactive shell's variables are files too.
    match fork.run_line("echo $((count + 1))").unwrap() {
        LineOutcome::Done { outcome, .. } => assert_eq!(outcome.stdout_str(), "42\n"),
        other => panic!("{other:?}"),
    }
    // Each goes on on its own.
    first.write_file("app/config", b"v2\n").unwrap();
    fork.write_file("app/extra", b"fork only\n").unwrap();
    assert_eq!(fork.read_file("app/config", 100).unwrap(), b"v1\n");
    assert!(first.read_file("app/extra", 100).is_err());

    // A budget smaller than what the snapshot holds refuses it.
    let mut tight = base;
    tight.limits.disk_bytes = 1;
    let err = Session::restore(&runtime, &shell, tight, &snapshot).unwrap_err();
    assert!(matches!(err, SessionError::SnapshotTooLarge { max_bytes: 1, .. }), "{err}");
}

#[test]
fn a_snapshot_saved_to_a_store_comes_back_in_a_new_process_of_the_store() {
    use capsa_session::{Store, StoreError};
    let data = tempfile::tempdir().expect("data dir");
    let (runtime, _cache) = runtime();
    let shell = ShellVm::default();
    let first = Session::start(&runtime, &shell, VmConfig::default()).unwrap();
    first
        .exec("mkdir -p src && echo kept > src/a.txt && ln -s src/a.txt link && chmod 640 src/a.txt", &captured())
        .unwrap();
    first.write_file("blob.bin", &[0, 159, 146, 150, 255]).unwrap();
    let store = Store::open(data.path()).unwrap();
    store.know(&capsa_suite::layer().unwrap());
    store.save("box-1", &first.snapshot().unwrap()).unwrap();
    // Saving again after a change replaces the image; unchanged files are
    // not written twice.
    first.exec("echo more >> src/a.txt", &captured()).unwrap();
    store.save("box-1", &first.snapshot().unwrap()).unwrap();
    drop(first);

    // A new store over the same directory: as after a restart.
    let store = Store::open(data.path()).unwrap();
    assert_eq!(store.names().unwrap(), vec!["box-1".to_string()]);
    let snapshot = store.load("box-1").unwrap();
    let second = Session::restore(&runtime, &shell, VmConfig::default(), &snapshot).unwrap();
    let out = second.exec("cat link; stat -c %a src/a.txt; ls /bin/sh", &captured()).unwrap();
    assert_eq!(out.stdout_str(), "kept\nmore\n640\n/bin/sh\n", "{}", out.stderr_str());
    assert_eq!(second.read_file("blob.bin", 16).unwrap(), [0, 159, 146, 150, 255]);

    // Bad names, missing snapshots and damaged images are errors, not panics.
    assert!(matches!(store.load("../etc"), Err(StoreError::BadName(_))));
    assert!(matches!(store.load("nothing"), Err(StoreError::NotFound(_))));
    std::fs::write(data.path().join("images/broken.json"), b"{\"format\":1,\"entries\":[{\"path\":\"x\"").unwrap();
    assert!(matches!(store.load("broken"), Err(StoreError::BadImage { .. })));
    store.remove("box-1").unwrap();
    assert!(matches!(store.load("box-1"), Err(StoreError::NotFound(_))));
}

#[test]
fn a_saved_snapshot_copies_to_another_store_blob_by_blob_and_checked() {
    use capsa_session::{Store, StoreError};
    let (here, there) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (runtime, _cache) = runtime();
    let shell = ShellVm::default();
    let first = Session::start(&runtime, &shell, VmConfig::default()).unwrap();
    first.exec("mkdir -p d && echo one > d/a && echo two > b && cp b c", &captured()).unwrap();
    let source = Store::open(here.path()).unwrap();
    source.save("sb-1", &first.snapshot().unwrap()).unwrap();

    // As a cluster moves it: the image, then each blob the target lacks.
    let image = source.image_bytes("sb-1").unwrap();
    let blobs = Store::blobs_of(&image).unwrap();
    let target = Store::open(there.path()).unwrap();
    assert!(matches!(target.put_image("sb-1", &image), Err(StoreError::BadImage { .. })), "blobs must come first");
    let first_blob = &blobs[0];
    let bytes = source.blob_bytes(first_blob).unwrap();
    assert!(target.put_blob(first_blob, b"not those bytes").is_err(), "a blob is checked against its digest");
    assert!(target.put_blob("../../etc/passwd", &bytes).is_err());
    for blob in &blobs {
        if !target.has_blob(blob) {
            target.put_blob(blob, &source.blob_bytes(blob).unwrap()).unwrap();
        }
    }
    target.put_image("sb-1", &image).unwrap();
    let second = Session::restore(&runtime, &shell, VmConfig::default(), &target.load("sb-1").unwrap()).unwrap();
    let out = second.exec("cat d/a b c", &captured()).unwrap();
    assert_eq!(out.stdout_str(), "one\ntwo\ntwo\n");
    assert!(
        Store::blobs_of(b"{\"format\":1,\"entries\":[{\"path\":\"x\",\"kind\":\"file\",\"data\":\"zz\"}]}").is_err()
    );
}

/// The text a line printed on stdout, and on stderr.
fn line(session: &Session, text: &str) -> (String, String) {
    match session.run_line_with(text, &captured()).unwrap() {
        LineOutcome::Done { outcome, .. } => (outcome.stdout_str(), outcome.stderr_str()),
        other => panic!("{text}: {other:?}"),
    }
}

#[test]
fn background_jobs_outlive_their_line_and_an_interrupt_of_a_later_line() {
    let (session, _cache) = session(&ShellVm::default(), VmConfig::default());
    line(&session, "(sleep 1; echo finished > /tmp/job1) & sleep 60 &");
    let (_, err) = line(&session, "false & sleep 0.3");
    assert_eq!(err, "[3]+  Exit 1                  false\n", "an ended job is announced");
    let (out, _) = line(&session, "jobs");
    assert_eq!(
        out,
        "[1]-  Running                 ( sleep 1; echo finished > /tmp/job1 ) &\n\
         [2]+  Running                 sleep 60 &\n",
        "the job table came through the line"
    );
    // Ctrl-C ends the line's own processes, not the jobs.
    let interrupter = session.interrupter();
    let pressing = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(500));
        interrupter.interrupt();
    });
    let outcome = session.run_line_with("sleep 30", &captured()).unwrap();
    pressing.join().unwrap();
    assert!(matches!(outcome, LineOutcome::Done { outcome, .. } if outcome.status.code() == 130));
    // `wait %1` reaps a job a previous line started, with its status.
    let (out, _) = line(&session, "wait %1; echo status=$?; cat /tmp/job1; jobs");
    assert_eq!(out, "status=0\nfinished\n[2]+  Running                 sleep 60 &\n");
    let (out, err) = line(&session, "kill %2; sleep 0.2; echo killed");
    assert_eq!(out, "killed\n");
    assert_eq!(err, "[2]+  Terminated              sleep 60\n", "announced when the line ends");
    let (out, _) = line(&session, "jobs; echo none");
    assert_eq!(out, "none\n");
    assert_eq!(session.vm().kernel().held_processes(), 0);
}
