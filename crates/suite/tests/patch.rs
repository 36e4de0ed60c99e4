//! `patch` against GNU patch: the same diffs applied to the same files in
//! the VM and natively give the same files, the same messages and the same
//! exit status — a plain change, several hunks, a file that moved (offsets),
//! `-R`, `--dry-run`, a git-style multi-file diff with a new and a removed
//! file, and a hunk that fits nowhere (a `.rej`).

mod common;

use std::path::Path;

use common::{Fixture, code, describe, have_native};

const ORIGINAL: &str = "one\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine\nten\n";
const CHANGED: &str = "one\nTWO\nthree\nfour\nfive\nsix\nseven\neight\nNINE\nten\neleven\n";

/// Two copies of the same files, one for the VM (`vm/`) and one native.
fn twins(files: &[(&str, &str)]) -> Fixture {
    let mut all = Vec::new();
    for (name, body) in files {
        all.push((format!("vm/{name}"), *body));
        all.push((format!("native/{name}"), *body));
    }
    let borrowed: Vec<(&str, &str)> = all.iter().map(|(n, b)| (n.as_str(), *b)).collect();
    Fixture::new(&borrowed)
}

/// The files under `dir` (name, contents), sorted.
fn contents(dir: &Path) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(at) = stack.pop() {
        for entry in std::fs::read_dir(&at).expect("read_dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let name = path.strip_prefix(dir).expect("beneath").to_string_lossy().into_owned();
                found.push((name, std::fs::read_to_string(&path).unwrap_or_default()));
            }
        }
    }
    found.sort();
    found
}

/// Applies `diff` with `args` both ways; asserts equal output, status and files.
#[track_caller]
fn same(f: &Fixture, args: &[&str], diff: &str) {
    let mut argv = vec!["patch"];
    argv.extend_from_slice(args);
    let mut vm_argv = argv.clone();
    vm_argv.extend(["-d", "vm"]);
    let outcome = f.run(&vm_argv, diff);
    let mut native_argv = argv.clone();
    native_argv.extend(["-d", "native"]);
    let (native_out, native_code) = f.native(&native_argv, diff);
    assert_eq!(
        (outcome.stdout_str(), code(&outcome)),
        (native_out, native_code),
        "patch {args:?} (left: capsa, right: GNU)\n{}",
        describe(&outcome)
    );
    assert_eq!(contents(&f.path().join("vm")), contents(&f.path().join("native")), "patch {args:?}: the files");
}

fn unified(f: &Fixture, old: &str, new: &str) -> String {
    std::fs::write(f.path().join("old.txt"), old).expect("write");
    std::fs::write(f.path().join("new.txt"), new).expect("write");
    let (diff, status) = f.native(&["diff", "-u", "old.txt", "new.txt"], "");
    assert_eq!(status, 1, "diff found the change");
    std::fs::remove_file(f.path().join("old.txt")).expect("rm");
    std::fs::remove_file(f.path().join("new.txt")).expect("rm");
    // Name the file the twins hold.
    diff.replacen("--- old.txt", "--- a.txt", 1).replacen("+++ new.txt", "+++ a.txt", 1)
}

#[test]
fn patch_applies_unified_diffs_as_gnu_patch_does() {
    if !have_native("patch") || !have_native("diff") {
        eprintln!("SKIPPED: the host lacks GNU patch or diff");
        return;
    }
    let f = twins(&[("a.txt", ORIGINAL)]);
    let diff = unified(&f, ORIGINAL, CHANGED);
    same(&f, &["--dry-run"], &diff);
    same(&f, &[], &diff);
    same(&f, &["-R"], &diff);
    // The file moved down three lines: the hunks land at an offset.
    for side in ["vm", "native"] {
        std::fs::write(f.path().join(side).join("a.txt"), format!("x\ny\nz\n{ORIGINAL}")).expect("write");
    }
    same(&f, &[], &diff);
    // Applied already: detected, skipped, rejects saved.
    same(&f, &[], &diff);
    // A file the hunk fits nowhere in, either way: FAILED.
    for side in ["vm", "native"] {
        std::fs::write(f.path().join(side).join("a.txt"), "something\nelse\nentirely\n").expect("write");
        let _ = std::fs::remove_file(f.path().join(side).join("a.txt.rej"));
    }
    same(&f, &[], &diff);
}

#[test]
fn patch_takes_git_style_multi_file_diffs() {
    if !have_native("patch") {
        eprintln!("SKIPPED: the host lacks GNU patch");
        return;
    }
    let f = twins(&[("src/lib.c", "int f(void) {\n    return 1;\n}\n"), ("old.md", "bye\n")]);
    let diff = "diff --git a/src/lib.c b/src/lib.c\n\
                index 1111111..2222222 100644\n\
                --- a/src/lib.c\n\
                +++ b/src/lib.c\n\
                @@ -1,3 +1,3 @@\n \
                int f(void) {\n\
                -    return 1;\n\
                +    return 2;\n \
                }\n\
                diff --git a/NEW.md b/NEW.md\n\
                new file mode 100644\n\
                --- /dev/null\n\
                +++ b/NEW.md\n\
                @@ -0,0 +1,2 @@\n\
                +# New\n\
                +text\n\
                diff --git a/old.md b/old.md\n\
                deleted file mode 100644\n\
                --- a/old.md\n\
                +++ /dev/null\n\
                @@ -1 +0,0 @@\n\
                -bye\n";
    same(&f, &["-p1"], diff);
    assert!(f.path().join("vm/NEW.md").is_file() && !f.path().join("vm/old.md").exists());
}

#[test]
fn patch_reads_a_patch_file_and_names_the_file_itself() {
    let f = Fixture::new(&[
        ("notes.txt", "alpha\nbeta\n"),
        ("fix.diff", "--- x\n+++ y\n@@ -1,2 +1,2 @@\n alpha\n-beta\n+gamma\n"),
    ]);
    let outcome = f.run(&["patch", "-i", "fix.diff", "notes.txt"], "");
    assert_eq!(
        (outcome.stdout_str().as_str(), code(&outcome)),
        ("patching file notes.txt\n", 0),
        "{}",
        describe(&outcome)
    );
    assert_eq!(std::fs::read_to_string(f.path().join("notes.txt")).expect("read"), "alpha\ngamma\n");
    // Garbage is trouble (status 2), not a silent success.
    let outcome = f.run(&["patch", "notes.txt"], "not a diff\n");
    assert_eq!(code(&outcome), 2, "{}", describe(&outcome));
}
