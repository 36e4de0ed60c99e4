//! The small tools of an agent's day: `xxd` against vim's xxd, `install`
//! against GNU install, `tree` against the layout of the `tree` program.

mod common;

use std::os::unix::fs::PermissionsExt;

use common::{Fixture, code, describe, have_native, ok};

#[test]
fn xxd_matches_vims_xxd() {
    if !have_native("xxd") {
        eprintln!("SKIPPED: the host has no xxd");
        return;
    }
    let bytes: Vec<u8> = (0..=255u8).chain(b"hello, world\n".iter().copied()).collect();
    let f = Fixture::new(&[("short.txt", "hello\n"), ("empty", "")]);
    std::fs::write(f.path().join("all.bin"), &bytes).expect("write");
    for argv in [
        &["xxd", "short.txt"][..],
        &["xxd", "all.bin"],
        &["xxd", "-u", "all.bin"],
        &["xxd", "-p", "all.bin"],
        &["xxd", "-i", "short.txt"],
        &["xxd", "-c", "8", "-g", "1", "all.bin"],
        &["xxd", "-g", "4", "all.bin"],
        &["xxd", "-l", "20", "-s", "10", "all.bin"],
        &["xxd", "empty"],
    ] {
        f.differential(argv, "");
    }
    f.differential(&["xxd"], "from stdin\n");
    f.differential(&["xxd", "-i"], "ab");
    // Back again: a dump and a plain dump revert to the same bytes.
    let dump = ok(&f.run(&["xxd", "all.bin"], ""));
    std::fs::write(f.path().join("all.hex"), &dump).expect("write");
    ok(&f.run(&["xxd", "-r", "all.hex", "back.bin"], ""));
    assert_eq!(std::fs::read(f.path().join("back.bin")).expect("read"), bytes);
    let plain = ok(&f.run(&["xxd", "-p", "all.bin"], ""));
    std::fs::write(f.path().join("all.plain"), &plain).expect("write");
    ok(&f.run(&["xxd", "-r", "-p", "all.plain", "back2.bin"], ""));
    assert_eq!(std::fs::read(f.path().join("back2.bin")).expect("read"), bytes);
}

#[test]
fn install_copies_with_modes_as_gnu_install() {
    let f = Fixture::new(&[("tool.sh", "#!/bin/sh\necho tool\n"), ("conf.txt", "x=1\n")]);
    let failed = f.run(&["install", "tool.sh", "nowhere/bin/tool"], "");
    assert_eq!(code(&failed), 1, "no parents without -D: {}", describe(&failed));
    ok(&f.run(&["install", "-D", "tool.sh", "vm/bin/tool"], ""));
    ok(&f.run(&["install", "-m", "644", "-D", "conf.txt", "vm/etc/conf.txt"], ""));
    ok(&f.run(&["install", "-d", "-m", "750", "vm/var/data"], ""));
    ok(&f.run(&["install", "-m", "u=rw,go=r", "-t", "vm/etc", "tool.sh"], ""));
    let mode = |path: &str| std::fs::metadata(f.path().join(path)).expect("stat").permissions().mode() & 0o7777;
    assert_eq!(
        [mode("vm/bin/tool"), mode("vm/etc/conf.txt"), mode("vm/var/data"), mode("vm/etc/tool.sh")],
        [0o755, 0o644, 0o750, 0o644]
    );
    assert_eq!(std::fs::read_to_string(f.path().join("vm/bin/tool")).expect("read"), "#!/bin/sh\necho tool\n");
    if have_native("install") {
        for argv in [
            &["install", "-D", "tool.sh", "native/bin/tool"][..],
            &["install", "-m", "644", "-D", "conf.txt", "native/etc/conf.txt"],
            &["install", "-d", "-m", "750", "native/var/data"],
            &["install", "-m", "u=rw,go=r", "-t", "native/etc", "tool.sh"],
        ] {
            assert_eq!(f.native(argv, "").1, 0, "{argv:?}");
        }
        for path in ["bin/tool", "etc/conf.txt", "var/data", "etc/tool.sh"] {
            assert_eq!(mode(&format!("vm/{path}")), mode(&format!("native/{path}")), "{path}");
        }
    }
}

#[test]
fn tree_draws_the_tree_programs_layout() {
    let f = Fixture::new(&[
        ("proj/src/main.rs", ""),
        ("proj/src/util/mod.rs", ""),
        ("proj/Cargo.toml", ""),
        ("proj/.hidden", ""),
        ("proj/README.md", ""),
    ]);
    std::os::unix::fs::symlink("src/main.rs", f.path().join("proj/entry")).expect("symlink");
    let expected = "proj\n\
                    ├── Cargo.toml\n\
                    ├── README.md\n\
                    ├── entry -> src/main.rs\n\
                    └── src\n    \
                        ├── main.rs\n    \
                        └── util\n        \
                            └── mod.rs\n\
                    \n\
                    2 directories, 5 files\n";
    assert_eq!(ok(&f.run(&["tree", "proj"], "")), expected);
    let shallow = ok(&f.run(&["tree", "-L", "1", "-a", "-I", "*.md", "proj"], ""));
    assert_eq!(
        shallow,
        "proj\n├── .hidden\n├── Cargo.toml\n├── entry -> src/main.rs\n└── src\n\n1 directory, 3 files\n"
    );
    assert_eq!(ok(&f.run(&["tree", "-d", "--noreport", "proj"], "")), "proj\n└── src\n    └── util\n");
}

/// Without the C lane granted (these VMs have no lanes), every name of the
/// compiler driver says how to get it and exits 127, as a missing command.
/// With it, `crates/cli/tests/cc.rs` compiles, archives and links.
#[test]
fn the_compiler_driver_says_how_to_install_the_c_lane() {
    for argv in [
        &["cc", "-c", "x.c"][..],
        &["gcc", "--version"],
        &["clang", "x.c"],
        &["c++", "x.cc"],
        &["g++", "x.cc"],
        &["clang++", "x.cc"],
        &["ld", "x.o"],
        &["wasm-ld", "x.o"],
        &["ar", "rcs", "lib.a", "x.o"],
        &["ranlib", "lib.a"],
    ] {
        let out = common::run(argv);
        assert_eq!(code(&out), 127, "{}", describe(&out));
        let expected = format!("capsa: {} is not installed; on the host run: capsa lanes install c\n", argv[0]);
        assert_eq!(out.stderr_str(), expected);
    }
}

/// What `curl` and `wget` refuse before any network is involved (the VM's
/// network is `crates/cli/tests/curl.rs`'s): a protocol other than HTTP(S),
/// a bad URL, an unknown option, and no URL, with the originals' exit codes;
/// and an `https://` name the VM was not granted does not resolve.
#[test]
fn curl_and_wget_refuse_what_they_cannot_do_with_the_originals_codes() {
    let out = common::run(&["curl", "-s", "ftp://example.org/"]);
    assert_eq!((code(&out), out.stderr_str().as_str()), (1, ""), "-s is silent");
    let out = common::run(&["curl", "ftp://example.org/"]);
    assert_eq!(code(&out), 1);
    assert!(out.stderr_str().starts_with("curl: (1) Protocol \"ftp\" not supported"), "{}", describe(&out));
    let out = common::run(&["curl", "-sS", "https://example.org/"]);
    assert_eq!(code(&out), 6, "{}", describe(&out));
    let out = common::run(&["curl", "http://exa mple/"]);
    assert_eq!(code(&out), 3, "{}", describe(&out));
    let out = common::run(&["curl", "--max-time", "5", "http://x/"]);
    assert_eq!(code(&out), 2, "{}", describe(&out));
    let out = common::run(&["curl"]);
    assert_eq!(code(&out), 2, "{}", describe(&out));
    let out = common::run(&["wget", "-q", "ftp://example.org/"]);
    assert_eq!(code(&out), 1, "{}", describe(&out));
    assert!(out.stderr_str().contains("Unsupported scheme 'ftp'"), "{}", describe(&out));
    let out = common::run(&["wget"]);
    assert_eq!(code(&out), 1, "{}", describe(&out));
}
