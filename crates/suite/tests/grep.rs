//! Our `grep` against GNU grep: the same invocations in capsa and natively,
//! compared on stdout and exit status.
//!
//! Intentional differences: back-references (`\1`) and `-P` are refused as
//! not supported (the `regex` crate has neither); a binary file's notice is
//! the same text on stderr.

mod common;

use common::{Fixture, code, describe, expect_stdin, run_stdin};

fn fixture() -> Fixture {
    Fixture::new(&[
        ("poem.txt", "The cat sat on the mat.\nA dog barked.\nthe END\ncatalog of cats\n\nword-word wordy word\n"),
        ("nums.txt", "1\n22\n333\n4444\nabc123def\n"),
        ("tree/a.txt", "alpha\nbeta\n"),
        ("tree/b.log", "alpha log\n"),
        ("tree/sub/c.txt", "gamma alpha\n"),
        ("bin.dat", "text\0binary alpha\n"),
    ])
}

#[test]
fn grep_matches_gnu_grep() {
    let f = fixture();
    let cases: &[&[&str]] = &[
        &["grep", "cat", "poem.txt"],
        &["grep", "-i", "the", "poem.txt"],
        &["grep", "-v", "cat", "poem.txt"],
        &["grep", "-c", "cat", "poem.txt"],
        &["grep", "-n", "cat", "poem.txt"],
        &["grep", "-o", "cat[a-z]*", "poem.txt"],
        &["grep", "-w", "word", "poem.txt"],
        &["grep", "-ow", "word", "poem.txt"],
        &["grep", "-x", "the END", "poem.txt"],
        &["grep", "-l", "alpha", "tree/a.txt", "tree/b.log", "poem.txt"],
        &["grep", "-L", "alpha", "tree/a.txt", "tree/b.log", "poem.txt"],
        &["grep", "-q", "dog", "poem.txt"],
        &["grep", "-q", "wolf", "poem.txt"],
        &["grep", "-e", "dog", "-e", "END", "poem.txt"],
        &["grep", "-E", "^(1|22)$", "nums.txt"],
        &["grep", "-E", "[0-9]{3,}", "nums.txt"],
        &["grep", "[0-9]\\{3,\\}", "nums.txt"],
        &["grep", "^[[:digit:]]*$", "nums.txt"],
        &["grep", "-F", "a.", "poem.txt"],
        &["grep", "-c", "", "poem.txt"],
        &["grep", "\\<cat\\>", "poem.txt"],
        &["grep", "ca\\(t\\|r\\)", "poem.txt"],
        &["grep", "-E", "ca(t|r)+s?", "poem.txt"],
        &["grep", "-H", "beta", "tree/a.txt"],
        &["grep", "-h", "alpha", "tree/a.txt", "tree/b.log"],
        &["grep", "-r", "alpha", "tree"],
        &["grep", "-r", "--include=*.txt", "alpha", "tree"],
        &["grep", "-rl", "alpha", "."],
        &["grep", "-m", "1", "cat", "poem.txt"],
        &["grep", "-A", "1", "dog", "poem.txt"],
        &["grep", "-B", "1", "-n", "END", "poem.txt"],
        &["grep", "-C", "1", "cats", "poem.txt"],
        &["grep", "-s", "x", "missing.txt"],
        &["grep", "cat", "poem.txt", "missing.txt"],
        &["grep", "alpha", "bin.dat"],
        &["grep", "-c", "alpha", "bin.dat"],
        &["grep", "-a", "alpha", "bin.dat"],
        &["grep", "alpha", "tree"],
        &["grep", "--color=never", "cat", "poem.txt"],
        &["grep", "-b", "dog", "poem.txt"],
        &["grep", "-vc", "^$", "poem.txt"],
        &["grep", "*cat", "poem.txt"],
        &["grep", "-E", "a{,1}t", "poem.txt"],
    ];
    let mut failures = Vec::new();
    // A recursive search visits directories in their order, which differs
    // between file systems (ours sorts): compare those sorted.
    let sorted = |text: String| {
        let mut lines: Vec<&str> = text.lines().collect();
        lines.sort();
        lines.join("\n")
    };
    for argv in cases {
        let outcome = f.run(argv, "");
        let mut native = f.native(argv, "");
        let mut ours = outcome.stdout_str();
        if argv.iter().any(|a| a.starts_with("-r")) {
            ours = sorted(ours);
            native.0 = sorted(native.0);
        }
        if (ours, code(&outcome)) != native {
            failures.push(format!(
                "{argv:?}\n  capsa:  {:?} {:?}\n  native: {} {:?}\n  stderr: {}",
                outcome.status,
                outcome.stdout_str(),
                native.1,
                native.0,
                outcome.stderr_str()
            ));
        }
    }
    assert!(failures.is_empty(), "{} of {} differ:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

#[test]
fn grep_reads_stdin_and_patterns_from_files() {
    let f = fixture();
    f.differential(&["grep", "b"], "a\nb\nabc\n");
    f.differential(&["grep", "-"], "a-b\nc\n");
    std::fs::write(f.path().join("pats"), "dog\nEND\n").expect("write");
    f.differential(&["grep", "-f", "pats", "poem.txt"], "");
    f.differential(&["grep", "-n", "x"], "x\ny\nx\n");
}

#[test]
fn grep_colours_only_when_asked() {
    expect_stdin(&["grep", "--color=always", "b"], "abc\n", "a\x1b[01;31m\x1b[Kb\x1b[m\x1b[Kc\n");
    // Not a terminal: `auto` means no colour.
    expect_stdin(&["grep", "--color=auto", "b"], "abc\n", "abc\n");
}

#[test]
fn grep_refuses_back_references_and_perl_syntax() {
    for argv in [&["grep", "\\(a\\)\\1"][..], &["grep", "-P", "a"]] {
        let outcome = run_stdin(argv, "aa\n");
        assert_eq!(code(&outcome), 1, "{}", describe(&outcome));
        assert!(outcome.stderr_str().starts_with("capsa: grep: not supported: "), "{}", describe(&outcome));
    }
    let outcome = run_stdin(&["grep", "-E", "a("], "a\n");
    assert_eq!(code(&outcome), 2, "{}", describe(&outcome));
}
