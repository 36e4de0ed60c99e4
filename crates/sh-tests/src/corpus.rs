//! The shell's differential corpus: every snippet of `corpus/*.sh` runs
//! under the host's `bash` and under capsa, each in a fresh empty
//! directory; stdout and exit status must be equal.
//!
//! A snippet starts with a line `#### name`; `#### name [skip: reason]`
//! marks one that is not compared (an intentional difference, listed in
//! `guest/sh/README.md`), and the reason is printed. Every mismatch is
//! reported with its snippet and both outputs. `capsa exec` runs the corpus
//! in `crates/cli/tests/corpus.rs`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;

/// One snippet of the corpus.
#[derive(Debug, Clone)]
pub struct Snippet {
    /// The corpus file it is in.
    pub file: String,
    /// Its name (the `####` line).
    pub name: String,
    /// Why it is not compared, if it is not.
    pub skip: Option<String>,
    /// The shell text.
    pub text: String,
}

/// What a shell printed and how it ended.
#[derive(Debug, PartialEq, Eq)]
pub struct Run {
    /// Its stdout.
    pub stdout: String,
    /// Its exit status (a shell's `$?` for it).
    pub status: i32,
}

/// Where the corpus files are.
pub fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus")
}

/// Every snippet of `corpus/*.sh`, in file order.
pub fn load() -> Vec<Snippet> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .expect("corpus dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "sh"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).expect("read corpus file");
        let file = path.file_name().expect("name").to_string_lossy().into_owned();
        let mut current: Option<Snippet> = None;
        for line in text.split_inclusive('\n') {
            if let Some(header) = line.strip_prefix("#### ") {
                out.extend(current.take());
                let header = header.trim();
                let (name, skip) = match header.split_once(" [skip: ") {
                    Some((n, r)) => (n.to_string(), Some(r.trim_end_matches(']').to_string())),
                    None => (header.to_string(), None),
                };
                current = Some(Snippet { file: file.clone(), name, skip, text: String::new() });
            } else if let Some(s) = current.as_mut() {
                s.text.push_str(line);
            }
        }
        out.extend(current);
    }
    out
}

/// The host's bash, with a fixed environment, in a fresh directory.
pub fn native(snippet: &str) -> Run {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = Command::new("timeout")
        .args(["20", "bash", "--norc", "--noprofile", "-c", snippet])
        .env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("HOME", dir.path())
        .env("LC_ALL", "C")
        // The VM keeps time in UTC (it has no time zone database).
        .env("TZ", "UTC")
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("running bash");
    let mut stdout = String::new();
    use std::io::Read;
    child.stdout.take().expect("stdout").read_to_string(&mut stdout).ok();
    let status = child.wait().expect("waiting for bash");
    Run { stdout, status: status.code().unwrap_or(128) }
}

/// Runs every compared snippet under the host's bash and under `capsa`
/// (four at a time) and panics with each one whose stdout or status differ.
/// Returns without checking if the host has no bash.
pub fn check(capsa: impl Fn(&str) -> Run + Sync) {
    if Command::new("bash").arg("--version").output().is_err() {
        eprintln!("no host bash: the differential corpus cannot run");
        return;
    }
    let snippets = load();
    let compared: Vec<&Snippet> = snippets.iter().filter(|s| s.skip.is_none()).collect();
    assert!(compared.len() >= 200, "the corpus has only {} compared snippets", compared.len());

    let next = Mutex::new(0usize);
    let failures = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                loop {
                    let i = {
                        let mut n = next.lock().expect("lock");
                        *n += 1;
                        *n - 1
                    };
                    let Some(s) = compared.get(i) else { break };
                    let (want, got) = (native(&s.text), capsa(&s.text));
                    if want != got {
                        failures.lock().expect("lock").push(format!(
                            "--- {}: {} ---\n{}--- bash (status {}):\n{}--- capsa (status {}):\n{}",
                            s.file, s.name, s.text, want.status, want.stdout, got.status, got.stdout
                        ));
                    }
                }
            });
        }
    });

    let skipped: Vec<String> =
        snippets.iter().filter_map(|s| s.skip.as_ref().map(|r| format!("  {}: {r}", s.name))).collect();
    let failures = failures.into_inner().expect("lock");
    let passed = compared.len() - failures.len();
    eprintln!(
        "corpus: {passed}/{} snippets match bash ({:.1}%), {} skipped:\n{}",
        compared.len(),
        100.0 * passed as f64 / compared.len() as f64,
        skipped.len(),
        skipped.join("\n")
    );
    assert!(failures.is_empty(), "{} snippet(s) differ from bash:\n\n{}", failures.len(), failures.join("\n"));
}
