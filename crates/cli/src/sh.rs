//! `capsa sh`: an interactive shell inside a VM. The terminal stays on the
//! host — prompt, line editing and history are rustyline's — and each line
//! runs in the session's VM ([`capsa_session::line`]). Ctrl-C interrupts
//! the running line (not the VM: files, variables and `cd` survive);
//! Ctrl-D or `exit` ends the session.

use std::io::{IsTerminal, Write};
use std::os::fd::AsFd;
use std::path::PathBuf;
use std::time::Duration;

use capsa_runtime::Limits;
use capsa_runtime::outcome::EXIT_USAGE;
use capsa_session::LineOutcome;
use clap::Args;
use rustyline::DefaultEditor;
use rustyline::error::ReadlineError;

use crate::report;
use crate::vm_args::{ShellArgs, StartError};

/// A line's default wall-clock limit in an interactive session: the user,
/// who can press Ctrl-C, is the watchdog.
const LINE_WALL: Duration = Duration::from_secs(24 * 60 * 60);

/// Options of `capsa sh`.
#[derive(Debug, Args)]
pub struct ShArgs {
    #[command(flatten)]
    vm: ShellArgs,
    /// Attach to a `capsa serve` at URL (token from CAPSA_TOKEN) instead of
    /// a local VM; the sandbox's own grants and limits apply there.
    #[arg(long, value_name = "URL")]
    server: Option<String>,
    /// With --server: the sandbox to attach to (default: a new one, deleted
    /// at the end).
    #[arg(long, value_name = "ID", requires = "server")]
    sandbox: Option<String>,
}

/// Where lines come from: the terminal's line editor, or plain lines when
/// stdin is not a terminal (a script piped in).
pub(crate) enum Reader {
    Editor(Box<DefaultEditor>, Option<PathBuf>),
    Plain,
}

/// What to do after [`Reader::read_into`].
pub(crate) enum Step {
    /// Run the pending text.
    Run,
    /// Nothing to run (an empty line, or Ctrl-C cleared the input).
    Skip,
    /// The input ended.
    End,
}

/// What the reader produced.
enum Input {
    Line(String),
    Interrupted,
    End,
}

impl Reader {
    pub(crate) fn new() -> Reader {
        if !std::io::stdin().is_terminal() {
            return Reader::Plain;
        }
        match DefaultEditor::new() {
            Ok(mut editor) => {
                let history = std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".capsa_history"));
                if let Some(path) = &history {
                    let _ = editor.load_history(path);
                }
                Reader::Editor(Box::new(editor), history)
            }
            Err(_) => Reader::Plain,
        }
    }

    fn read(&mut self, prompt: &str) -> Input {
        match self {
            Reader::Editor(editor, _) => match editor.readline(prompt) {
                Ok(line) => {
                    let _ = editor.add_history_entry(line.as_str());
                    Input::Line(line)
                }
                Err(ReadlineError::Interrupted) => Input::Interrupted,
                Err(_) => Input::End,
            },
            Reader::Plain => read_plain_line(),
        }
    }

    /// Reads a line onto `pending` (a continued input joins it with a
    /// newline), as both terminals do.
    pub(crate) fn read_into(&mut self, prompt: &str, pending: &mut String) -> Step {
        let line = match self.read(prompt) {
            Input::Line(line) => line,
            Input::Interrupted => {
                pending.clear();
                return Step::Skip;
            }
            Input::End => return Step::End,
        };
        if pending.is_empty() && line.trim().is_empty() {
            return Step::Skip;
        }
        if !pending.is_empty() {
            pending.push('\n');
        }
        pending.push_str(&line);
        Step::Run
    }

    pub(crate) fn save(&mut self) {
        if let Reader::Editor(editor, Some(path)) = self {
            let _ = editor.save_history(path);
        }
    }
}

/// One line from fd 0, read a byte at a time so that nothing after it is
/// taken from the commands that read stdin themselves.
fn read_plain_line() -> Input {
    let stdin = std::io::stdin();
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        match rustix::io::read(stdin.as_fd(), &mut byte) {
            Ok(0) if line.is_empty() => return Input::End,
            Ok(0) => break,
            Ok(_) if byte[0] == b'\n' => break,
            Ok(_) => line.push(byte[0]),
            Err(rustix::io::Errno::INTR) => continue,
            Err(_) => return Input::End,
        }
    }
    Input::Line(String::from_utf8_lossy(&line).into_owned())
}

/// The prompt: `user@capsa:~/dir$ `, or `> ` for a continued line.
pub(crate) fn prompt(user: &str, home: &str, cwd: &str, pending: &str) -> String {
    if !pending.is_empty() {
        return "> ".to_string();
    }
    let shown = match cwd.strip_prefix(home) {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => format!("~{rest}"),
        _ => cwd.to_string(),
    };
    let sign = if user == "root" { '#' } else { '$' };
    format!("{user}@capsa:{shown}{sign} ")
}

/// Runs `capsa sh` and returns capsa's exit code (the last line's status,
/// or `exit`'s).
pub fn main(args: ShArgs) -> i32 {
    if let Some(server) = &args.server {
        return crate::remote_sh::main(server, args.sandbox.as_deref());
    }
    // A session's VM spends CPU time over all its lines: as long as a line may run.
    let limits = Limits { wall: LINE_WALL, cpu: LINE_WALL, ..Limits::default() };
    let session = match args.vm.start(limits) {
        Ok(session) => session,
        Err(StartError::Usage(err)) => {
            eprintln!("capsa: {err:#}");
            return EXIT_USAGE;
        }
        Err(StartError::Session(err)) => return report::session_error("sh", &err),
    };
    for warning in session.warnings() {
        eprintln!("capsa: {warning}");
    }
    // The line editor first: it takes SIGINT and SIGWINCH for itself when
    // made, and Ctrl-C while a line runs must be ours.
    let mut reader = Reader::new();
    let interrupter = session.interrupter();
    if let Err(err) = ctrlc::set_handler(move || interrupter.interrupt()) {
        eprintln!("capsa: Ctrl-C will end capsa, not the running command: {err}");
    }
    let identity = session.identity();
    let mut cwd = session.workdir().to_string();
    let mut pending = String::new();
    let mut status = 0;
    loop {
        let prompt = prompt(identity.user, identity.home, &cwd, &pending);
        match reader.read_into(&prompt, &mut pending) {
            Step::Run => {}
            Step::Skip => continue,
            Step::End => break,
        }
        match session.run_line(&pending) {
            Ok(LineOutcome::More) => continue,
            Ok(LineOutcome::Done { outcome, cwd: now }) => {
                status = outcome.status.code();
                if let Some(now) = now {
                    cwd = now;
                }
                if status == 130 {
                    // The line was interrupted: end the terminal's line like bash.
                    println!();
                } else if let Some(reason) = outcome.status.reason() {
                    eprintln!("{reason}");
                }
            }
            Ok(LineOutcome::Exit(outcome)) => {
                status = outcome.status.code();
                break;
            }
            Err(err) => {
                reader.save();
                return report::session_error("sh", &err);
            }
        }
        pending.clear();
        let _ = std::io::stdout().flush();
    }
    reader.save();
    status
}
