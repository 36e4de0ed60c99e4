//! `capsa sh` on a real pseudo-terminal, as a user at a terminal runs it:
//! the terminal is back in cooked mode while a line runs, Ctrl-C ends the
//! running line and keeps the session, `read` gets what is typed, and the
//! VM knows the terminal's size (`COLUMNS`, `LINES`, `stty size`) and
//! follows a resize.

mod common;

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, poll};
use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
use rustix::termios::{LocalModes, Winsize, tcgetattr, tcsetwinsize};

/// How long any one expected output may take (a cold machine is slow; a
/// line that should have ended long before fails the test at this bound).
const PATIENCE: Duration = Duration::from_secs(60);

/// `capsa sh` with the slave side of a pseudo-terminal as its controlling
/// terminal and stdio; the test holds the master.
struct Terminal {
    master: File,
    child: Child,
    /// Everything the terminal showed.
    shown: Vec<u8>,
    /// Where the next `expect` starts looking.
    seen: usize,
}

impl Terminal {
    fn start(home: &std::path::Path, rows: u16, cols: u16) -> Terminal {
        let cache = common::cache();
        let args = ["sh", "--cache-dir", cache.to_str().expect("a path")];
        Terminal::start_with(&args, &[("HOME", home.to_str().expect("a path"))], rows, cols)
    }

    /// `capsa ARGS…` with `env` on a fresh terminal of `rows` x `cols`.
    fn start_with(args: &[&str], env: &[(&str, &str)], rows: u16, cols: u16) -> Terminal {
        common::warm_cache();
        let master: OwnedFd = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY).expect("openpt");
        grantpt(&master).expect("grantpt");
        unlockpt(&master).expect("unlockpt");
        let name = ptsname(&master, Vec::new()).expect("ptsname");
        let slave =
            File::options().read(true).write(true).open(name.to_str().expect("a path")).expect("open the slave");
        tcsetwinsize(&master, Winsize { ws_row: rows, ws_col: cols, ws_xpixel: 0, ws_ypixel: 0 }).expect("size");
        let mut command = Command::new(env!("CARGO_BIN_EXE_capsa"));
        command
            .args(args)
            .envs(env.iter().copied())
            .env("TERM", "xterm-256color")
            .stdin(Stdio::from(slave.try_clone().expect("dup")))
            .stdout(Stdio::from(slave.try_clone().expect("dup")))
            .stderr(Stdio::from(slave));
        // SAFETY: runs in the child between fork and exec, and calls only
        // setsid(2) and ioctl(2), which are async-signal-safe.
        unsafe {
            command.pre_exec(|| {
                rustix::process::setsid()?;
                rustix::process::ioctl_tiocsctty(std::io::stdin().as_fd())?;
                Ok(())
            });
        }
        let child = command.spawn().expect("capsa sh");
        Terminal { master: File::from(master), child, shown: Vec::new(), seen: 0 }
    }

    /// Reads what the terminal shows until `needle` appears after what an
    /// earlier `expect` consumed; panics with the screen past [`PATIENCE`].
    fn expect(&mut self, needle: &str) {
        let start = Instant::now();
        loop {
            if let Some(at) = find(&self.shown[self.seen..], needle.as_bytes()) {
                self.seen += at + needle.len();
                return;
            }
            assert!(
                start.elapsed() < PATIENCE,
                "waited for {needle:?}; the terminal shows {:?}",
                String::from_utf8_lossy(&self.shown[self.seen..])
            );
            self.pump(Duration::from_millis(50));
        }
    }

    /// Reads what is there within `wait`.
    fn pump(&mut self, wait: Duration) {
        let mut fds = [PollFd::new(&self.master, PollFlags::IN)];
        let timeout = rustix::time::Timespec::try_from(wait).expect("a duration");
        if poll(&mut fds, Some(&timeout)).unwrap_or(0) > 0 {
            let mut buf = [0u8; 4096];
            if let Ok(n) = self.master.read(&mut buf) {
                self.shown.extend_from_slice(&buf[..n]);
            }
        }
    }

    /// Reads what comes for all of `wait`.
    fn settle(&mut self, wait: Duration) {
        let start = Instant::now();
        while start.elapsed() < wait {
            self.pump(Duration::from_millis(20));
        }
    }

    /// Types `text` one key at a time, as a person does (a line editor
    /// reads keys as they come).
    fn type_keys(&mut self, text: &str) {
        for byte in text.bytes() {
            self.master.write_all(&[byte]).expect("type");
            self.pump(Duration::from_millis(15));
        }
    }

    fn local_modes(&self) -> LocalModes {
        tcgetattr(&self.master).expect("tcgetattr").local_modes
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Ctrl-C during each kind of running line returns to the prompt, and the
/// session goes on.
fn interrupts(term: &mut Terminal) {
    for line in ["sleep 100", "while :; do :; done", "sleep 100 | cat", "yes | cat > /dev/null"] {
        // The line says it started (a number the typed text does not hold).
        term.type_keys(&format!("echo go-$((40+2)); {line}\r"));
        term.expect("go-42");
        term.settle(Duration::from_millis(200));
        term.type_keys("\x03");
        term.expect("$ ");
        term.type_keys("echo after-$?\r");
        term.expect("after-130");
        term.expect("$ ");
    }
}

/// `read` with a prompt gets a typed line; what is typed is echoed.
fn read_a_line(term: &mut Terminal) {
    // (The prompt is made by the line, so that the echo of what was typed
    // cannot be mistaken for it.)
    term.type_keys("q=name; read -p \"$q? \" n; echo \"hi $n, kept=$kept\"\r");
    term.expect("name? ");
    term.type_keys("bob\r");
    term.expect("bob");
    term.expect("hi bob, kept=yes");
    term.expect("$ ");
}

/// Waits for `capsa` to end; its exit status.
fn wait_exit(term: &mut Terminal) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = term.child.try_wait().expect("wait") {
            return status;
        }
        assert!(
            start.elapsed() < PATIENCE,
            "capsa sh did not end; the terminal shows {:?}",
            String::from_utf8_lossy(&term.shown[term.shown.len().saturating_sub(300)..])
        );
        term.pump(Duration::from_millis(50));
    }
}

#[test]
fn capsa_sh_behaves_like_a_shell_at_a_terminal() {
    let home = tempfile::tempdir().unwrap();
    let mut term = Terminal::start(home.path(), 20, 100);
    term.expect("$ ");
    // What is typed is echoed by the line editor.
    term.type_keys("echo typed-$((6*7))\r");
    term.expect("echo typed-$((6*7))");
    term.expect("typed-42");
    term.expect("$ ");
    // The VM learns the terminal's size, and follows a resize.
    term.type_keys("echo size=$COLUMNS/$LINES; stty size\r");
    term.expect("size=100/20");
    term.expect("20 100");
    term.expect("$ ");
    tcsetwinsize(&term.master, Winsize { ws_row: 30, ws_col: 120, ws_xpixel: 0, ws_ypixel: 0 }).expect("resize");
    term.type_keys("echo size=$COLUMNS/$LINES; tput cols\r");
    term.expect("size=120/30");
    term.expect("120");
    term.expect("$ ");
    // While a line runs the terminal is cooked (echo, signals, lines).
    term.type_keys("kept=yes\r");
    term.expect("$ ");
    term.type_keys("echo go-$((40+2)); sleep 100\r");
    term.expect("go-42");
    term.settle(Duration::from_millis(200));
    let modes = term.local_modes();
    assert!(modes.contains(LocalModes::ICANON | LocalModes::ISIG | LocalModes::ECHO), "{modes:?}");
    term.type_keys("\x03");
    term.expect("$ ");
    // Ctrl-C ends a sleep, a loop of the shell itself, and pipelines.
    interrupts(&mut term);
    read_a_line(&mut term);
    // What is typed while a line runs is the next line (type-ahead), read
    // whole by the line editor when the prompt comes back.
    term.type_keys("sleep 1\r");
    term.type_keys("echo ahead-$((2+3))\r");
    term.expect("ahead-5");
    term.expect("$ ");
    // The Up arrow brings the last line back; Ctrl-C at an empty prompt
    // clears nothing and ends nothing.
    term.type_keys("echo from-$((1+1))-history\r");
    term.expect("from-2-history");
    term.expect("$ ");
    term.type_keys("\x1b[A\r");
    term.expect("from-2-history");
    term.expect("$ ");
    term.type_keys("\x03");
    term.expect("$ ");
    // Ctrl-D at an empty prompt ends the session with the last status.
    term.type_keys("false\r");
    term.expect("false");
    term.expect("$ ");
    term.type_keys("\x04");
    assert_eq!(wait_exit(&mut term).code(), Some(1));
}

/// A `capsa serve` on a free port with `token`; killed when dropped.
struct Server(Child, String);

impl Server {
    fn start(data: &std::path::Path, token: &str) -> Server {
        common::warm_cache();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(env!("CARGO_BIN_EXE_capsa"))
            .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
            .arg(data)
            .arg("--cache-dir")
            .arg(common::cache())
            .env("CAPSA_TOKEN", token)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("capsa serve");
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(start.elapsed() < PATIENCE, "capsa serve did not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
        Server(child, format!("http://127.0.0.1:{port}"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The service's WebSocket shell (`capsa sh --server`) at a terminal: the
/// same prompt, echo, `read`, Ctrl-C and Ctrl-D.
#[test]
fn capsa_sh_server_behaves_like_a_shell_at_a_terminal() {
    const TOKEN: &str = "terminal-test-token";
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), TOKEN);
    let home = tempfile::tempdir().unwrap();
    let env = [("CAPSA_TOKEN", TOKEN), ("HOME", home.path().to_str().unwrap())];
    let mut term = Terminal::start_with(&["sh", "--server", &server.1], &env, 24, 80);
    term.expect("$ ");
    term.type_keys("kept=yes; echo typed-$((6*7))\r");
    term.expect("typed-42");
    term.expect("$ ");
    interrupts(&mut term);
    read_a_line(&mut term);
    term.type_keys("false\r");
    term.expect("false");
    term.expect("$ ");
    term.type_keys("\x04");
    assert_eq!(wait_exit(&mut term).code(), Some(1));
}
