//! Everyday commands against the host's: `less` and `more` (which copy when
//! stdout is not a terminal) against less and util-linux more, `zstd` both
//! ways against the host's zstd, `file` against file(1), and `bc` against
//! GNU bc.

mod common;

use std::process::Command;

use common::{Fixture, code, describe, have_native, ok};

/// Runs `argv` natively in the fixture; (raw stdout, exit code).
fn host(f: &Fixture, argv: &[&str]) -> (Vec<u8>, i32) {
    let output = Command::new(argv[0])
        .args(&argv[1..])
        .current_dir(f.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("LC_ALL", "C")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("running native {}: {e}", argv[0]));
    (output.stdout, output.status.code().unwrap_or(128))
}

fn read(f: &Fixture, path: &str) -> Vec<u8> {
    std::fs::read(f.path().join(path)).unwrap_or_else(|e| panic!("reading {path}: {e}"))
}

fn pager_fixture() -> Fixture {
    Fixture::new(&[
        ("one.txt", "one\ntwo\n"),
        ("two.txt", "three\n"),
        ("noeol", "no newline at the end"),
        ("empty", ""),
        ("ctl.txt", "a\tb\u{1}c\u{1b}[1mbold\u{1b}[0m\n"),
        ("sub/inner", "x\n"),
    ])
}

#[test]
fn less_copies_its_input_when_not_a_terminal() {
    if !have_native("less") {
        eprintln!("SKIPPED: the host has no less");
        return;
    }
    let f = pager_fixture();
    for argv in [
        &["less", "one.txt"][..],
        &["less", "one.txt", "two.txt", "noeol", "empty", "ctl.txt"],
        &["less", "-R", "-S", "-F", "-X", "-N", "-i", "-x4", "+G", "one.txt"],
        &["less", "--RAW-CONTROL-CHARS", "--", "two.txt"],
        &["less", "nosuch", "one.txt"],
        &["less", "sub", "two.txt"],
    ] {
        f.differential(argv, "");
    }
    f.differential(&["less"], "from stdin\n");
    f.differential(&["less", "-", "two.txt"], "stdin first\n");
}

#[test]
fn more_copies_with_util_linux_headers_when_not_a_terminal() {
    if !have_native("more") {
        eprintln!("SKIPPED: the host has no more");
        return;
    }
    let f = pager_fixture();
    for argv in [
        &["more", "one.txt"][..],
        &["more", "one.txt", "two.txt", "noeol", "empty", "ctl.txt"],
        &["more", "-d", "-s", "-u", "-l", "+2", "one.txt"],
        &["more", "-n", "5", "-10", "two.txt"],
        &["more", "sub", "two.txt"],
        &["more", "nosuch", "two.txt"],
        &["more", "-Z", "one.txt"],
    ] {
        f.differential(argv, "");
    }
    f.differential(&["more"], "from stdin\n");
    let out = f.run(&["more", "nosuch"], "");
    assert_eq!(out.stderr_str(), "more: cannot open nosuch: No such file or directory\n", "{}", describe(&out));
}

/// Some bytes that compress (text), some that do not (a counter mixed by a
/// multiplier), more than one 128 KiB block of each.
fn corpus() -> (Vec<u8>, Vec<u8>) {
    let text: Vec<u8> = (0..6000).flat_map(|i| format!("line {i}: the quick brown fox\n").into_bytes()).collect();
    let noise: Vec<u8> = (0u32..300_000).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    (text, noise)
}

#[test]
fn zstd_round_trips_with_the_hosts_zstd() {
    if !have_native("zstd") {
        eprintln!("SKIPPED: the host has no zstd");
        return;
    }
    let (text, noise) = corpus();
    let f = Fixture::new(&[("empty", ""), ("gone.txt", "removed after\n")]);
    std::fs::write(f.path().join("text"), &text).expect("write");
    std::fs::write(f.path().join("noise"), &noise).expect("write");

    // Compressed in the VM, decompressed by the host.
    ok(&f.run(&["zstd", "-q", "text"], ""));
    ok(&f.run(&["zstd", "-19", "-T0", "-k", "-q", "-o", "noise.out.zst", "noise"], ""));
    ok(&f.run(&["zstd", "-q", "empty"], ""));
    ok(&f.run(&["zstd", "-q", "--rm", "gone.txt"], ""));
    assert!(!f.path().join("gone.txt").exists(), "--rm removes the source");
    assert!(f.path().join("text").exists(), "the source is kept by default");
    for (compressed, original) in [
        ("text.zst", &text),
        ("noise.out.zst", &noise),
        ("empty.zst", &Vec::new()),
        ("gone.txt.zst", &b"removed after\n".to_vec()),
    ] {
        let (out, status) = host(&f, &["zstd", "-d", "-c", compressed]);
        assert_eq!(status, 0, "host zstd -d {compressed}");
        assert!(out == *original, "host zstd -d {compressed}: the bytes differ");
    }
    let piped = f.run(&["zstd", "-c"], "through a pipe\n");
    std::fs::write(f.path().join("piped.zst"), &piped.stdout).expect("write");
    assert_eq!(host(&f, &["zstd", "-d", "-c", "piped.zst"]), (b"through a pipe\n".to_vec(), 0));

    // Compressed by the host, decompressed in the VM.
    assert_eq!(host(&f, &["zstd", "-q", "-19", "noise", "-o", "host.zst"]).1, 0);
    assert_eq!(host(&f, &["zstd", "-q", "--no-check", "text", "-o", "nocheck.zst"]).1, 0);
    ok(&f.run(&["unzstd", "-q", "host.zst", "-o", "host.out"], ""));
    assert!(read(&f, "host.out") == noise, "unzstd of the host's -19: the bytes differ");
    let out = f.run(&["zstdcat", "nocheck.zst"], "");
    assert!(out.stdout == text, "zstdcat without checksum: {}", describe(&out));
    let twice = [read(&f, "nocheck.zst"), read(&f, "nocheck.zst")].concat();
    std::fs::write(f.path().join("twice.zst"), twice).expect("write");
    let out = f.run(&["zstd", "-d", "-c", "twice.zst"], "");
    assert!(out.stdout == [text.clone(), text.clone()].concat(), "two frames: {}", describe(&out));
    assert_eq!(code(&f.run(&["zstd", "-t", "-q", "host.zst"], "")), 0);

    // What both refuse, with zstd's status (and nothing on stdout).
    std::fs::write(f.path().join("garbage.zst"), "not zstd at all\n").expect("write");
    let mut truncated = read(&f, "host.zst");
    truncated.truncate(truncated.len() / 2);
    std::fs::write(f.path().join("truncated.zst"), truncated).expect("write");
    for argv in [
        &["zstd", "-d", "nosuch.zst"][..],
        &["zstd", "-d", "text"],
        &["zstd", "-d", "-c", "garbage.zst"],
        &["zstd", "-q", "text"],
        &["zstd", "-q", "-d", "text.zst"],
        &["zstd", "-q", "sub"],
        &["zstd", "-d", "-c", "empty"],
        &["zstdcat", "garbage.zst"],
        &["zstd", "-dc", "text.zst"],
    ] {
        if argv[1] == "-q" && argv[2] == "sub" {
            std::fs::create_dir_all(f.path().join("sub")).expect("mkdir");
        }
        f.differential(argv, "");
    }
    let out = f.run(&["zstd", "-d", "-c", "truncated.zst"], "");
    assert_eq!(code(&out), 1, "{}", describe(&out));
    let mut corrupt = read(&f, "text.zst");
    let last = corrupt.len() - 1;
    corrupt[last] ^= 0xff;
    std::fs::write(f.path().join("corrupt.zst"), corrupt).expect("write");
    let out = f.run(&["zstd", "-t", "corrupt.zst"], "");
    assert_eq!(code(&out), 1, "a bad checksum fails: {}", describe(&out));
}

/// A small PNG header: IHDR only.
fn png(width: u32, height: u32, depth: u8, color: u8, interlace: u8) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    out.extend(width.to_be_bytes());
    out.extend(height.to_be_bytes());
    out.extend([depth, color, 0, 0, interlace, 0, 0, 0, 0]);
    out
}

/// A tar of one file, made by the host's tar in `format`.
fn host_tar(f: &Fixture, format: &str, name: &str) {
    assert_eq!(host(f, &["tar", &format!("--format={format}"), "-cf", name, "ascii"]).1, 0, "tar {format}");
}

#[test]
fn file_names_files_as_the_hosts_file() {
    if !have_native("file") {
        eprintln!("SKIPPED: the host has no file");
        return;
    }
    let long = "x".repeat(400) + "\n";
    let long_crlf = "y".repeat(320) + "\r\n";
    let f = Fixture::new(&[
        ("empty", ""),
        ("ascii", "hello\n"),
        ("utf8", "h\u{e9}llo\n"),
        ("bom", "\u{feff}hi\n"),
        ("crlf", "a\r\nb\r\n"),
        ("mixed", "a\r\nb\nc"),
        ("cr", "a\rb\r"),
        ("nonl", "abc"),
        ("long", &long),
        ("long_crlf", &long_crlf),
        ("escapes", "\u{1b}[1mbold\u{1b}[0m\u{8}\n"),
        ("sh", "#!/bin/sh\necho hi\n"),
        ("bash", "#!/usr/bin/env bash\necho hi\n"),
        ("py", "#! /usr/bin/python3\nprint(1)\n"),
        ("perl", "#!/usr/bin/perl\nprint 1;\n"),
        ("node", "#!/usr/bin/env node\nconsole.log(1)\n"),
        ("dash", "#!/bin/dash\necho\n"),
        ("envsh", "#!/usr/bin/env sh\necho\n"),
        ("crlf.sh", "#!/bin/sh\r\necho\r\n"),
        ("obj.json", "{\"a\": [1, 2.5e3, true, null, \"\\u00e9\"]}\n"),
        ("arr.json", "[]\n"),
        ("lines.json", "{\"a\":1}\n{\"b\":2}\n"),
        ("num.json", "1\n"),
        ("bad.json", "{bad}\n"),
        ("p.pdf", "%PDF-1.4\n%...\n"),
        ("sub/x", ""),
    ]);
    let bytes = |name: &str, data: &[u8]| std::fs::write(f.path().join(name), data).expect("write");
    bytes("latin1", b"caf\xe9\n");
    bytes("extended", b"a\x80b\n");
    bytes("nul", b"a\0b\n");
    bytes("ctrl", b"a\x01b\n");
    bytes("m.wasm", b"\0asm\x01\0\0\0");
    bytes("g.gif", b"GIF89a\x10\0\x20\0\0\0\0");
    bytes("i.png", &png(3, 2, 8, 6, 0));
    bytes("gray.png", &png(640, 480, 1, 0, 1));
    bytes("map.png", &png(16, 16, 4, 3, 0));
    let mut jpeg = b"\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x02\x01\0\x48\0\x48\0\0".to_vec();
    jpeg.extend(b"\xff\xc0\0\x11\x08\0\x32\0\x64\x03\x01\x22\0\x02\x11\x01\x03\x11\x01\xff\xd9");
    bytes("j.jpg", &jpeg);
    bytes("bare.jpg", b"\xff\xd8\xff\xdb\0\x04\0\0");
    let mut sqlite = b"SQLite format 3\0".to_vec();
    sqlite.resize(100, 0);
    sqlite[16..24].copy_from_slice(&[0x10, 0, 1, 1, 0, 64, 32, 32]);
    for (at, value) in [(24, 3u32), (28, 2), (40, 1), (44, 4), (56, 1), (60, 7), (92, 3), (96, 3_040_001)] {
        sqlite[at..at + 4].copy_from_slice(&value.to_be_bytes());
    }
    sqlite.resize(4096, 0);
    bytes("db.sqlite", &sqlite);
    sqlite[16] = 0;
    bytes("nopages.sqlite", &sqlite);
    let noise: Vec<u8> = (0u32..4096).map(|i| (i.wrapping_mul(2_654_435_761) >> 7) as u8).collect();
    bytes("noise", &noise);
    std::os::unix::fs::symlink("ascii", f.path().join("link")).expect("symlink");
    std::os::unix::fs::symlink("nowhere", f.path().join("dangling")).expect("symlink");
    let mut names = vec!["empty", "sub", "link", "dangling", "nosuch"];
    for (argv, name) in [
        (&["gzip", "-n", "-k", "ascii"][..], "ascii.gz"),
        (&["bzip2", "-k", "ascii"], "ascii.bz2"),
        (&["xz", "-k", "ascii"], "ascii.xz"),
        (&["zstd", "-q", "ascii"], "ascii.zst"),
    ] {
        if have_native(argv[0]) {
            assert_eq!(host(&f, argv).1, 0, "{argv:?}");
            names.push(name);
        }
    }
    if have_native("tar") {
        host_tar(&f, "ustar", "u.tar");
        host_tar(&f, "gnu", "g.tar");
        host_tar(&f, "v7", "v7.tar");
        names.extend(["u.tar", "g.tar", "v7.tar"]);
    }
    if have_native("zip") {
        assert_eq!(host(&f, &["zip", "-q", "-0", "a.zip", "ascii"]).1, 0);
        assert_eq!(host(&f, &["zip", "-q", "d.zip", "long"]).1, 0);
        names.extend(["a.zip", "d.zip"]);
    }
    names.extend([
        "ascii",
        "utf8",
        "bom",
        "crlf",
        "mixed",
        "cr",
        "nonl",
        "long",
        "long_crlf",
        "escapes",
        "sh",
        "bash",
        "py",
        "perl",
        "node",
        "dash",
        "envsh",
        "crlf.sh",
        "obj.json",
        "arr.json",
        "lines.json",
        "num.json",
        "bad.json",
        "p.pdf",
        "latin1",
        "extended",
        "nul",
        "ctrl",
        "m.wasm",
        "g.gif",
        "i.png",
        "gray.png",
        "map.png",
        "j.jpg",
        "bare.jpg",
        "db.sqlite",
        "nopages.sqlite",
        "noise",
    ]);
    for name in &names {
        f.differential(&["file", name], "");
    }
    for options in [&["file"][..], &["file", "-b"], &["file", "-i"], &["file", "--mime-type", "-N"], &["file", "-L"]] {
        let argv: Vec<&str> = options.iter().chain(names.iter()).copied().collect();
        f.differential(&argv, "");
    }
    f.differential(&["file", "-"], "from stdin\n");
    f.differential(&["file"], "");
}

/// Where the host's file(1) says more than the VM's reasonably can (ELF
/// program headers) or depends on the host's time zone (gzip dates).
#[test]
fn file_describes_elf_headers_and_gzip_dates_in_utc() {
    let f = Fixture::new(&[]);
    let mut elf = b"\x7fELF\x02\x01\x01\0".to_vec();
    elf.resize(16, 0);
    elf.extend(2u16.to_le_bytes()); // executable
    elf.extend(62u16.to_le_bytes()); // x86-64
    elf.resize(64, 0);
    std::fs::write(f.path().join("elf"), elf).expect("write");
    let mut gz = b"\x1f\x8b\x08\x08".to_vec();
    gz.extend(1_700_000_000u32.to_le_bytes());
    gz.extend(b"\x02\x03notes.txt\0\x03\0\0\0\0\0\0\0\0\0");
    std::fs::write(f.path().join("notes.gz"), gz).expect("write");
    let out = ok(&f.run(&["file", "elf", "notes.gz"], ""));
    assert_eq!(
        out,
        "elf:      ELF 64-bit LSB executable, x86-64, version 1 (SYSV)\n\
         notes.gz: gzip compressed data, was \"notes.txt\", last modified: Tue Nov 14 22:13:20 2023, max \
         compression, from Unix, original size modulo 2^32 0\n"
    );
    assert_eq!(ok(&f.run(&["file", "-i", "elf"], "")), "elf: application/x-executable; charset=binary\n");
}

/// bc programs, each run by the VM's bc and the host's GNU bc (on stdin):
/// arithmetic and its scales, bases, variables and arrays, control flow,
/// functions with dynamic scope, strings, errors, line splitting.
const BC_PROGRAMS: &[&str] = &[
    "1+2*3\n10/3\nscale=5; 10/3\n-7/2; -7%2; 7%-2\nscale=3; -7%2.5; 10%3\n",
    "2^10; 2^-2; (-2)^3; -2^2\nscale=4; 1.5^3; 1/3+1/3; 2.5*1.25\n",
    "0.000; 1.000-1; -0.5; 00012.3400; 1.; .5\n",
    "length(123.456); length(0.001); length(0); scale(1.50); length(0.000); length(100)\n",
    "sqrt(2); sqrt(16); sqrt(0.25); scale=10; sqrt(2); sqrt(1000000)\n",
    "obase=16; 255; -255; 0; 10.25; -10.25\nobase=2; 5.5; 1024\nobase=8; 64\nobase=100; 12345; 99\n",
    "ibase=16; FF; A.B; 1A; .8\nibase=A\nibase=2; 101.1; 1111\n",
    "x = 5; x; x++; x; ++x; x--; --x; x\na[3] = 4; a[3] + a[2]; a[3]++; a[3]\n",
    "y = 1; y += 2; y; y -= 1; y; y *= 10; y; y /= 4; y; y %= 3; y; y ^= 3; y\n(z = 7)\nz\n",
    "a = 3 < 5; a\n1 == 1 == 1; 2 < 3 < 1; !0; !5; 1 && 0; 2 || 0; 0 || 0; 1 < 2 && 2 < 3\nlast; .\n",
    "i = 0; while (i < 3) { i; i += 1 }\nfor (i = 0; i < 5; i++) { if (i == 1) continue; if (i == 3) break; i }\n",
    "for (i = 0; ; i++) if (i > 2) break\nif (1) 2 else 3\nif (0) { 4 } else { 5 }\n",
    "\"hello, world\n\"\nprint \"a\\tb\\n\", 1/1, \"\\n\"\nprint 7, \"x\", 8, \"\\n\"\n",
    "define f(n) {\n  if (n <= 1) return 1\n  return n * f(n - 1)\n}\nf(30)\n",
    "define g(x, y) { auto t; t = x; x = y; y = t; return (x - y) }\ng(1, 5)\n",
    "define h(a[], n) { auto i, s; for (i = 0; i < n; i++) s += a[i]; return s }\n\
     for (i = 0; i < 10; i++) b[i] = i * i\nh(b[], 10)\n",
    "define v() { 5 }\nv()\ndefine fib(n) { if (n < 2) return n; return fib(n-1) + fib(n-2) }\nfib(15)\n",
    "a = 2\ndefine k() { a = 5; return a }\nk(); a\n",
    "define p() { auto a; a = 9; return q() }\ndefine q() { return a }\na = 1; p(); a\n",
    "define m(a[]) { a[0] = 100; return a[0] }\na[0] = 1; m(a[]); a[0]\n",
    "2^1000\nscale=100; 1/7\n3^200 * 7^100\nscale=50; sqrt(2) * sqrt(3)\n",
    "1/0\n5%0\nsqrt(-1)\n2^0.5\na[-1]\n4\n",
    "/* comment */ 1 # another\n1 + \\\n2\nx = 1; if (x == 1) {\n  \"one\n\"\n} else {\n  \"other\"\n}\n",
    "12345678901234567890 * 98765432109876543210\n-1.5 + 1.25; 1.5 - 2.75; 0.1 * 0.2; scale=0; 0.1 * 0.2\n",
    "scale=20\nx = 1/3\nx*3\nobase=16\nx\nobase=10\nibase=16\nA0\nibase=A\n10^80\n-10^80\n",
    "3 +\n4\nx = (1 +\n2)\nx\ndefine f(x)\n{\n  return x*2\n}\nf(4)\n1 2\n5\n",
    "\"a very long string that goes on and on and on and on and on and on and on and on and on\"\n",
    "1; quit\n",
    "1\nif (0) quit\n2\n",
    "6\nhalt\n7\n",
];

/// The same with the math library (`bc -l`), at scales where GNU's
/// library gives the correctly truncated digits (at small scales its sine
/// and cosine of larger arguments can be off in the last digit; capsa's
/// are not).
const BC_LIBRARY_PROGRAMS: &[&str] = &[
    "s(1); c(1); a(1); l(2); e(1); j(1,1)\nscale=5; s(0.5); e(0); l(1); e(-1)\n",
    "e(10); l(0.001); a(-100); c(3.14159)\nj(0,2); j(2,1.5); j(-1,1); j(0,0); j(1,0)\n",
    "a(0); s(0); c(0); e(1.5); l(10^30)\ns(100); s(-3); c(-2.5); a(0.5); a(2); l(0.5); l(123.456)\n",
    "scale=3; c(0); a(1); j(0,0); e(100); a(10^20)\nscale=50; 4*a(1); e(1); l(10)\n",
    "scale=0; e(1); s(1)\nscale=20; l(0); l(-1)\n1/3\nobase=16; 1/3\n",
    LIB_CASES,
];

const LIB_CASES: &str = concat!(
    "scale=20;s(-7.0);s(-4.0);s(-17.1025);s(-16.2348);s(-17.68);s(-11.0);s(-3.0);s(-10.3735);\n",
    "s(-3.0192);s(-15.0);s(5.225);s(17.9084);c(3.0);c(19.0);c(2.3);c(-8.4);c(1.6274);c(-7.7);\n",
    "c(-15.8778);c(5.56);c(-16.0);c(2.5747);c(-11.7617);c(-2.9);a(-1.376);a(-5.5);a(11.8);a(-16.73);\n",
    "a(1.01);a(9.18);a(4.0);a(-15.277);a(-13.4);a(-13.921);a(-3.0);a(10.5828);e(-9.593);e(4.794);\n",
    "e(26.681);e(-26.36);e(29.586);e(12.998);e(-28.646);e(6.655);e(16.094);e(-6.126);e(-25.165);\n",
    "e(-13.33);l(14.524);l(14.561);l(8.261);l(7.3100000000000005);l(18.301000000000002);l(16.701);\n",
    "l(10.700999999999999);l(19.5185);l(12.711);l(19.837);l(1.3845999999999998);l(2.701);j(4,9.0);\n",
    "j(6,3.52);j(-4,-0.87);j(6,5.96);j(2,-2.04);j(2,-7.93);sqrt(634290.0);sqrt(190609.5);\n",
    "sqrt(440627.0);sqrt(340054.0);sqrt(102379.5977);sqrt(151265.0);\n",
);

#[test]
fn bc_computes_as_gnu_bc() {
    if !have_native("bc") {
        eprintln!("SKIPPED: the host has no bc");
        return;
    }
    let f = Fixture::new(&[("prog.bc", "define sq(x) { return x * x }\nsq(12)\nscale=3\n")]);
    for program in BC_PROGRAMS {
        f.differential(&["bc"], program);
    }
    for program in BC_LIBRARY_PROGRAMS {
        f.differential(&["bc", "-l"], program);
    }
    // Files first, then stdin, in one session.
    let out = f.differential(&["bc", "-q", "prog.bc"], "sq(3) / 2\n");
    assert_eq!(out, "144\n4.500\n");
    f.differential(&["bc", "nosuch.bc"], "1\n");
}
