//! Persistent Python interpreters: a long-lived `python3` of a session in
//! which variables and imports persist from one cell to the next (the
//! code-interpreter feature agents use). [`Interpreter`] is the library's;
//! the service's `…/python` runs the same loop and reads its answers with
//! the same [`RecordScanner`].
//!
//! The loop is `lanes/python/interpreter.py`: one JSON line per cell on its
//! stdin; the cell's output on stdout and stderr as it is written, then a
//! record on stdout — the byte [`RECORD`], the cell's nonce, and a JSON line
//! `{"result", "error"}`. A cell past its wall clock has the interpreter
//! killed (its variables are lost, the session is not) and the next cell
//! starts a fresh one.
//!
//! ```no_run
//! use std::sync::Arc;
//! use std::time::Duration;
//! use capsa_runtime::{Runtime, RuntimeOptions, VmConfig};
//! use capsa_session::python::Interpreter;
//! use capsa_session::Session;
//! use capsa_suite::shell::ShellVm;
//!
//! let runtime = Runtime::new(RuntimeOptions::default())?;
//! let session = Arc::new(Session::start(&runtime, &ShellVm::default(), VmConfig::default())?);
//! let mut python = Interpreter::new(session);
//! python.run("x = 41", Duration::from_secs(60))?;
//! assert_eq!(python.run("x + 1", Duration::from_secs(60))?.result.as_deref(), Some("42"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use capsa_runtime::streams::{InputPipe, OutputSink};
use capsa_runtime::{ExitStatus, Input, Output, StopHandle};
use serde_json::{Value, json};

use crate::{Exec, Session, SessionError};

/// The byte that starts a cell's record on stdout.
pub const RECORD: u8 = 0x1e;

/// Signal that ends a runaway interpreter (SIGKILL).
const SIGKILL: u8 = 9;
/// How long a cell's line may wait for the interpreter to read it.
const WRITE_PATIENCE: Duration = Duration::from_secs(5);
/// What the reactor's start says when the lane is not installed.
const NOT_INSTALLED: &[u8] = b"not installed";

/// The shell line that runs the loop: `exec python3 -u -c LOOP`.
pub fn command() -> String {
    let quoted = capsa_lanes::python::INTERPRETER.replace('\'', r"'\''");
    format!("exec python3 -u -c '{quoted}'")
}

/// The line that hands `code` to the loop, marked by `nonce`.
pub fn cell_line(code: &str, nonce: &str) -> Vec<u8> {
    let mut line = json!({"code": code, "nonce": nonce}).to_string().into_bytes();
    line.push(b'\n');
    line
}

/// A fresh nonce (not a secret: it only keeps a cell's own output from
/// ending its record early by chance).
pub fn nonce() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos()));
    format!("{:016x}", hasher.finish())
}

/// How much of `stdout` is surely the cell's: all of it up to a [`RECORD`]
/// byte that may start the record.
pub fn before_record(stdout: &[u8]) -> usize {
    stdout.iter().rposition(|&b| b == RECORD).unwrap_or(stdout.len())
}

/// Finds a cell's record in its growing stdout, searching only what is new
/// at each call.
#[derive(Debug)]
pub struct RecordScanner {
    marker: Vec<u8>,
    searched: usize,
    marked: Option<usize>,
}

impl RecordScanner {
    /// A scanner for the record marked by `nonce`.
    pub fn new(nonce: &str) -> Self {
        let marker = std::iter::once(RECORD).chain(nonce.bytes()).collect();
        Self { marker, searched: 0, marked: None }
    }

    /// The record, once `stdout` (the cell's, from its start) holds all of
    /// it: where the cell's own output ends, and the record's JSON.
    pub fn scan(&mut self, stdout: &[u8]) -> Option<(usize, Value)> {
        if self.marked.is_none() {
            let from = self.searched.min(stdout.len());
            self.marked =
                stdout[from..].windows(self.marker.len()).position(|w| w == self.marker.as_slice()).map(|at| from + at);
            // The old tail a marker could straddle is searched again.
            self.searched = stdout.len().saturating_sub(self.marker.len());
        }
        let at = self.marked?;
        let rest = &stdout[at + self.marker.len()..];
        let end = rest.iter().position(|&b| b == b'\n')?;
        Some((at, serde_json::from_slice(&rest[..end]).unwrap_or(Value::Null)))
    }
}

/// A cell's failure, as Python reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellError {
    /// The exception's type name (`ZeroDivisionError`), or `TimeoutError` /
    /// `InterpreterEnded` for the interpreter's own end.
    pub name: String,
    /// Its message.
    pub value: String,
    /// The traceback from the cell's first frame.
    pub traceback: String,
}

impl CellError {
    fn from_record(error: &Value) -> Option<Self> {
        let text = |key: &str| error.get(key).and_then(Value::as_str).unwrap_or_default().to_string();
        error.is_object().then(|| Self { name: text("name"), value: text("value"), traceback: text("traceback") })
    }
}

/// What one cell did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    /// What it wrote to stdout.
    pub stdout: Vec<u8>,
    /// What it wrote to stderr.
    pub stderr: Vec<u8>,
    /// The repr of its final expression's value, as in a notebook.
    pub result: Option<String>,
    /// Its exception, or the interpreter's end.
    pub error: Option<CellError>,
    /// Whether the cell ran in an interpreter started for it (earlier
    /// variables are gone).
    pub fresh: bool,
}

/// What the running interpreter has written since the cell began, and its
/// end.
#[derive(Debug, Default)]
struct Written {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    ended: Option<String>,
}

/// The interpreter's process while it runs.
struct Running {
    stdin: InputPipe,
    stop: StopHandle,
    written: Arc<(Mutex<Written>, Condvar)>,
    thread: Option<JoinHandle<()>>,
}

impl Running {
    fn start(session: &Arc<Session>) -> Result<Self, SessionError> {
        let written: Arc<(Mutex<Written>, Condvar)> = Arc::default();
        let sink = |stderr: bool| {
            let written = written.clone();
            OutputSink::new(move |chunk: &[u8]| {
                let (lock, changed) = &*written;
                let mut written = lock.lock().unwrap_or_else(PoisonError::into_inner);
                if stderr { &mut written.stderr } else { &mut written.stdout }.extend_from_slice(chunk);
                changed.notify_all();
            })
        };
        let stdin = InputPipe::new();
        let stop = StopHandle::new();
        let exec = Exec {
            stdin: Some(Input::Pipe(stdin.clone())),
            stdout: Some(Output::Stream(sink(false))),
            stderr: Some(Output::Stream(sink(true))),
            // Each cell has its own wall clock; the interpreter has none.
            timeout: Some(Duration::from_secs(365 * 86_400)),
            stop: Some(stop.clone()),
            ..Exec::default()
        };
        let (session, ended) = (session.clone(), written.clone());
        let thread = std::thread::Builder::new()
            .name("capsa-python".into())
            .spawn(move || {
                let how = match session.exec(&command(), &exec) {
                    Ok(outcome) => describe(&outcome.status),
                    Err(err) => format!("it could not start: {err}"),
                };
                let (lock, changed) = &*ended;
                lock.lock().unwrap_or_else(PoisonError::into_inner).ended = Some(how);
                changed.notify_all();
            })
            .map_err(SessionError::Thread)?;
        Ok(Self { stdin, stop, written, thread: Some(thread) })
    }

    fn ended(&self) -> bool {
        self.written.0.lock().unwrap_or_else(PoisonError::into_inner).ended.is_some()
    }

    /// Kills the interpreter and waits for its thread.
    fn kill(&mut self) {
        self.stop.signal(SIGKILL);
        self.stdin.close();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.kill();
    }
}

/// How an interpreter ended, in words.
fn describe(status: &ExitStatus) -> String {
    match status {
        ExitStatus::Exited(code) => format!("it exited with status {code}"),
        ExitStatus::Trapped(trap) => format!("it trapped: {trap}"),
        ExitStatus::Killed(limit) => format!("it was stopped: {limit}"),
        ExitStatus::Signaled(signal) => format!("it was ended by signal {signal}"),
    }
}

/// A session's persistent Python interpreter (see the module doc). Cells
/// run one at a time; dropping it ends the interpreter.
pub struct Interpreter {
    session: Arc<Session>,
    running: Option<Running>,
}

impl Interpreter {
    /// An interpreter of `session`, started by its first cell.
    pub fn new(session: Arc<Session>) -> Self {
        Self { session, running: None }
    }

    /// Runs `code` as the next cell, for at most `timeout`.
    ///
    /// # Errors
    /// The Python lane is not installed, or the interpreter could not be
    /// started. A cell's own failure, its timeout and the interpreter's end
    /// are in the [`Cell`].
    pub fn run(&mut self, code: &str, timeout: Duration) -> Result<Cell, SessionError> {
        let fresh = self.running.as_ref().is_none_or(Running::ended);
        let running = match &mut self.running {
            Some(running) if !fresh => running,
            _ => self.running.insert(Running::start(&self.session)?),
        };
        let nonce = nonce();
        {
            let mut written = running.written.0.lock().unwrap_or_else(PoisonError::into_inner);
            written.stdout.clear();
            written.stderr.clear();
        }
        let deadline = Instant::now() + timeout;
        // A loop that is not reading (it ended) shows as its end below.
        let _ = running.stdin.write(&cell_line(code, &nonce), WRITE_PATIENCE);
        let mut scanner = RecordScanner::new(&nonce);
        let (lock, changed) = &*running.written.clone();
        let mut written = lock.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if let Some((end, record)) = scanner.scan(&written.stdout) {
                let result = record.get("result").and_then(Value::as_str).map(str::to_string);
                let error = record.get("error").and_then(CellError::from_record);
                let stdout = written.stdout[..end].to_vec();
                return Ok(Cell { stdout, stderr: std::mem::take(&mut written.stderr), result, error, fresh });
            }
            if let Some(how) = written.ended.clone() {
                let (stdout, stderr) = (std::mem::take(&mut written.stdout), std::mem::take(&mut written.stderr));
                drop(written);
                self.running = None;
                if fresh && stderr.windows(NOT_INSTALLED.len()).any(|w| w == NOT_INSTALLED) {
                    return Err(SessionError::Unavailable(
                        "the Python lane is not installed (capsa lanes install python)".into(),
                    ));
                }
                let error = CellError {
                    name: "InterpreterEnded".into(),
                    value: format!("the interpreter ended: {how}"),
                    traceback: String::new(),
                };
                return Ok(Cell { stdout, stderr, result: None, error: Some(error), fresh });
            }
            let now = Instant::now();
            if now >= deadline {
                let end = before_record(&written.stdout);
                let stdout = written.stdout[..end].to_vec();
                let stderr = std::mem::take(&mut written.stderr);
                drop(written);
                self.running = None; // killed on drop
                let error = CellError {
                    name: "TimeoutError".into(),
                    value: format!(
                        "the cell ran past {} s; its interpreter was stopped (its variables are gone) and the next cell starts a fresh one",
                        timeout.as_secs_f64()
                    ),
                    traceback: String::new(),
                };
                return Ok(Cell { stdout, stderr, result: None, error: Some(error), fresh });
            }
            written = changed.wait_timeout(written, deadline - now).unwrap_or_else(PoisonError::into_inner).0;
        }
    }

    /// Ends the interpreter now; the next cell starts a fresh one.
    pub fn stop(&mut self) {
        self.running = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_is_found_even_when_it_arrives_in_pieces() {
        let mut scanner = RecordScanner::new("n1");
        let mut stdout = b"hello\n".to_vec();
        assert_eq!(scanner.scan(&stdout), None);
        stdout.extend_from_slice(b"\x1en");
        assert_eq!(scanner.scan(&stdout), None);
        assert_eq!(before_record(&stdout), 6);
        stdout.extend_from_slice(b"1{\"result\": \"42\", \"error\": null}");
        assert_eq!(scanner.scan(&stdout), None, "the line is not whole yet");
        stdout.push(b'\n');
        let (end, record) = scanner.scan(&stdout).unwrap();
        assert_eq!((end, record["result"].as_str()), (6, Some("42")));
    }

    #[test]
    fn another_nonce_does_not_end_the_cell() {
        let mut scanner = RecordScanner::new("right");
        assert_eq!(scanner.scan(b"\x1ewrong{\"result\": null}\n"), None);
    }

    #[test]
    fn the_loop_is_quoted_for_the_shell() {
        let line = command();
        assert!(line.starts_with("exec python3 -u -c '") && line.ends_with('\''));
        assert_eq!(cell_line("1+1", "n"), b"{\"code\":\"1+1\",\"nonce\":\"n\"}\n");
    }
}
