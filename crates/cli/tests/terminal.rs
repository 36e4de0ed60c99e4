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
    fn start(rows: u16, cols: u16) -> Terminal {
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
            .args(["sh", "--cache-dir"])
            .arg(common::cache())
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

#[test]
fn capsa_sh_behaves_like_a_shell_at_a_terminal() {
    let mut term = Terminal::start(20, 100);
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
    // While a line runs the terminal is cooked (echo, signals, lines), and
    // Ctrl-C ends the line, not the session.
    term.type_keys("kept=yes\r");
    term.expect("$ ");
    term.type_keys("sleep 100\r");
    term.settle(Duration::from_millis(500));
    let modes = term.local_modes();
    assert!(modes.contains(LocalModes::ICANON | LocalModes::ISIG | LocalModes::ECHO), "{modes:?}");
    term.type_keys("\x03");
    term.expect("$ ");
    // `read` gets a typed line, echoed by the terminal; the session kept
    // its variables through the interrupt.
    term.type_keys("read -p 'name? ' n; echo \"hi $n, kept=$kept\"\r");
    term.expect("name? ");
    term.type_keys("bob\r");
    term.expect("hi bob, kept=yes");
    term.expect("$ ");
    term.type_keys("exit\r");
    let start = Instant::now();
    let status = loop {
        if let Some(status) = term.child.try_wait().expect("wait") {
            break status;
        }
        assert!(start.elapsed() < PATIENCE, "capsa sh did not end after exit");
        term.pump(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
}
