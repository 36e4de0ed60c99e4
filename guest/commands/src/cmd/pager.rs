//! `less [OPTION]... [+CMD] [FILE]...` and `more [OPTION]... [+NUM]
//! [FILE]...`: pagers.
//!
//! When stdout is not a terminal (a pipe, a file, every captured run) they
//! do what the originals do then: copy their input unchanged. `less` copies
//! each file (or stdin, also as `-`) and reports a missing file or a
//! directory on stdout, as less 590 does, with exit status 0. `more` puts
//! util-linux's `::::::::::::::` / name / `::::::::::::::` header before each
//! file (not before stdin), prints `*** NAME: directory ***` for a directory
//! and `more: cannot open NAME: REASON` on stderr for a missing file, and
//! also exits 0. (util-linux 2.38 also copies a piped stdin before the named
//! files; that is not reproduced.)
//!
//! When stdout is a terminal they page: a screenful at a time (`LINES` rows,
//! 24 if unset; `COLUMNS` columns for wrapped lines, 80 if unset), keys read
//! from stdin when it is the terminal, else from `/dev/tty` (a VM has none:
//! then the input is copied as if stdout were not a terminal). The terminal
//! stays in line mode, so a command is a line: its first character counts,
//! and Enter alone is Enter. Commands: space, `f` or `z` next page, Enter or
//! `j` next line, `d` half a page, `/TEXT` search forward for TEXT (plain
//! text, not a regular expression), `n` search again, `q` quit; `less` also
//! has `b` back a page, `k` back a line, `g` top, `G` end, `:n`/`:p` next or
//! previous file, and numbers lines with `-N`. `more` ends after the last
//! page of the last file; `less` waits at `(END)`.
//!
//! Options: `more -n NUM`/`--lines NUM`/`-NUM` set the page height; every
//! other option of util-linux `more` (`-d -f -l -c -p -e -s -u`, `+NUM`,
//! `+/PATTERN`) and of less (`-R`, `-S`, `-F`, `-X`, `-i`, `-x4`, `-P…`,
//! `--long-option`, `+CMD`, …) is accepted and ignored. An unknown `more`
//! option is a usage error (status 1). Control characters are shown as
//! they are (as `less -R` does).

use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, IsTerminal, Write};

use crate::util;

/// The header util-linux `more` puts around a file name when not paging.
const RULE: &str = "::::::::::::::";

/// Which pager is running.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Less,
    More,
}

/// What the options asked for.
struct Options {
    kind: Kind,
    files: Vec<OsString>,
    /// `more -n`: the page height, instead of `LINES - 1`.
    lines: Option<usize>,
    /// `less -N`: number lines when paging.
    numbers: bool,
}

/// `less`: see the module doc.
pub fn less(_cmd: &str, args: Vec<OsString>) -> i32 {
    let mut o = Options { kind: Kind::Less, files: Vec::new(), lines: None, numbers: false };
    let mut args = args.into_iter();
    let mut options_done = false;
    while let Some(arg) = args.next() {
        let text = arg.to_string_lossy().into_owned();
        if options_done || text == "-" || !(text.starts_with('-') || text.starts_with('+')) {
            o.files.push(arg);
            continue;
        }
        match text.as_str() {
            "--" => options_done = true,
            "--help" | "-?" => {
                println!("Usage: less [OPTION]... [FILE]...  (space: next page, b: back, /TEXT: search, q: quit)");
                return 0;
            }
            "-V" | "--version" => {
                println!("less (capsa)");
                return 0;
            }
            "--LINE-NUMBERS" => o.numbers = true,
            // Every other long option and `+CMD` is accepted and ignored.
            _ if text.starts_with("--") || text.starts_with('+') => {}
            _ => {
                // Single-letter options, bundled; the letters that take a
                // value take the rest of the word or the next argument.
                let letters = &text[1..];
                for (at, letter) in letters.char_indices() {
                    if letter == 'N' {
                        o.numbers = true;
                    }
                    if "bhjkoOpPtTxyz#".contains(letter) {
                        if at + letter.len_utf8() == letters.len() {
                            args.next();
                        }
                        break;
                    }
                }
            }
        }
    }
    run(o)
}

/// `more`: see the module doc.
pub fn more(_cmd: &str, args: Vec<OsString>) -> i32 {
    let mut o = Options { kind: Kind::More, files: Vec::new(), lines: None, numbers: false };
    let mut args = args.into_iter();
    let mut options_done = false;
    while let Some(arg) = args.next() {
        let text = arg.to_string_lossy().into_owned();
        if options_done || text.len() < 2 || !(text.starts_with('-') || text.starts_with('+')) {
            o.files.push(arg);
            continue;
        }
        if text.starts_with('+') {
            continue; // `+NUM` and `+/PATTERN`: where to start paging.
        }
        match text.as_str() {
            "--" => options_done = true,
            "-h" | "--help" => {
                println!("Usage:\n more [options] <file>...\n\nA file perusal filter for CRT viewing.");
                return 0;
            }
            "-V" | "--version" => {
                println!("more (capsa)");
                return 0;
            }
            "--silent" | "--logical" | "--no-pause" | "--print-over" | "--clean-print" | "--exit-on-eof"
            | "--squeeze" | "--plain" => {}
            "-n" | "--lines" => match args.next().and_then(|v| v.to_str()?.parse().ok()) {
                Some(n) => o.lines = Some(n),
                None => return util::usage("more", "failed to parse number of lines", 1),
            },
            _ if text[1..].bytes().all(|b| b.is_ascii_digit()) => o.lines = text[1..].parse().ok(),
            _ if text.starts_with("--") => {
                return util::usage("more", format!("unrecognized option '{text}'"), 1);
            }
            _ => {
                if let Some(bad) = text[1..].chars().find(|c| !"dflcpesu".contains(*c)) {
                    return util::usage("more", format!("invalid option -- '{bad}'"), 1);
                }
            }
        }
    }
    run(o)
}

/// Copies or pages the inputs.
fn run(o: Options) -> i32 {
    let stdout = io::stdout();
    if stdout.is_terminal() {
        if o.files.is_empty() && io::stdin().is_terminal() {
            return match o.kind {
                Kind::Less => util::fail("less", "Missing filename (\"less --help\" for help)"),
                Kind::More => util::usage("more", "bad usage", 1),
            };
        }
        if let Some(keys) = keyboard() {
            return page(&o, keys);
        }
    }
    let mut out = stdout.lock();
    let result = copy_all(&o, &mut out).and_then(|()| out.flush());
    match result {
        Ok(()) => 0,
        // A reader that stopped reading (`less file | head`) is not an error.
        Err(err) if err.kind() == io::ErrorKind::BrokenPipe => 0,
        Err(err) => util::fail(if o.kind == Kind::Less { "less" } else { "more" }, util::errmsg(&err)),
    }
}

/// An input: stdin, or a file opened for reading.
enum Input {
    Stdin,
    File(File),
}

impl Input {
    fn reader(self) -> Box<dyn BufRead> {
        match self {
            Input::Stdin => Box::new(io::stdin().lock()),
            Input::File(file) => Box::new(BufReader::new(file)),
        }
    }
}

/// Opens `name` as `kind` does, or says why not in the words of `kind`
/// (a message starting with a newline is `more`'s, for stdout).
fn open(kind: Kind, name: &OsString) -> Result<Input, String> {
    if kind == Kind::Less && name == "-" {
        return Ok(Input::Stdin);
    }
    let shown = name.to_string_lossy();
    match fs::metadata(name) {
        Ok(meta) if meta.is_dir() => Err(match kind {
            Kind::Less => format!("{shown} is a directory\n"),
            Kind::More => format!("\n*** {shown}: directory ***\n\n"),
        }),
        _ => File::open(name).map(Input::File).map_err(|err| match kind {
            Kind::Less => format!("{shown}: {}\n", util::errmsg(&err)),
            Kind::More => format!("more: cannot open {shown}: {}", util::errmsg(&err)),
        }),
    }
}

/// Not paging: every input to `out`, with `more`'s headers.
fn copy_all(o: &Options, out: &mut dyn Write) -> io::Result<()> {
    if o.files.is_empty() {
        io::copy(&mut io::stdin().lock(), out)?;
        return Ok(());
    }
    for name in &o.files {
        match open(o.kind, name) {
            Ok(input) => {
                if o.kind == Kind::More {
                    write!(out, "{RULE}\n{}\n{RULE}\n", name.to_string_lossy())?;
                }
                io::copy(&mut input.reader(), out)?;
            }
            // less reports everything on stdout when not paging.
            Err(message) if o.kind == Kind::Less || message.starts_with('\n') => out.write_all(message.as_bytes())?,
            Err(message) => {
                out.flush()?;
                eprintln!("{message}");
            }
        }
    }
    Ok(())
}

// ------------------------------------------------------------------ paging

/// Where keys come from: stdin if it is the terminal, else `/dev/tty`.
fn keyboard() -> Option<Box<dyn BufRead>> {
    if io::stdin().is_terminal() {
        return Some(Box::new(BufReader::new(io::stdin())));
    }
    File::open("/dev/tty").ok().map(|tty| Box::new(BufReader::new(tty)) as Box<dyn BufRead>)
}

/// The size of the screen from `LINES` and `COLUMNS`.
fn screen_size() -> (usize, usize) {
    let var = |name: &str, default: usize| {
        std::env::var(name).ok().and_then(|v| v.trim().parse().ok()).filter(|n: &usize| *n > 0).unwrap_or(default)
    };
    (var("LINES", 24), var("COLUMNS", 80))
}

/// One input's lines, read only as far as the reader pages (a pager on a
/// huge file or an endless pipe shows the first page at once).
struct Lines {
    source: Box<dyn BufRead>,
    lines: Vec<String>,
    done: bool,
}

impl Lines {
    fn new(source: Box<dyn BufRead>) -> Lines {
        Lines { source, lines: Vec::new(), done: false }
    }

    /// Reads until line `n` exists or the input ends; whether it exists.
    fn has(&mut self, n: usize) -> bool {
        while self.lines.len() <= n && !self.done {
            let mut line = Vec::new();
            match self.source.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => self.done = true,
                Ok(_) => {
                    while line.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                        line.pop();
                    }
                    self.lines.push(String::from_utf8_lossy(&line).into_owned());
                }
            }
        }
        self.lines.len() > n
    }

    /// Every line (for `G` and the search).
    fn read_all(&mut self) {
        while self.has(self.lines.len()) {}
    }
}

/// A command typed at the prompt.
enum Step {
    /// Show from this line on.
    Goto(usize),
    NextFile,
    PrevFile,
    Quit,
}

/// Pages every input.
fn page(o: &Options, mut keys: Box<dyn BufRead>) -> i32 {
    let (rows, cols) = screen_size();
    let height = o.lines.unwrap_or(rows.saturating_sub(1)).max(1);
    let mut out = io::stdout().lock();
    let names: Vec<Option<&OsString>> =
        if o.files.is_empty() { vec![None] } else { o.files.iter().map(Some).collect() };
    let mut index = 0;
    let mut search: Option<String> = None;
    while let Some(name) = names.get(index) {
        let input = match name {
            None => Ok(Input::Stdin),
            Some(name) => open(o.kind, name),
        };
        let mut lines = match input {
            Ok(input) => Lines::new(input.reader()),
            Err(message) => {
                if o.kind == Kind::More && !message.starts_with('\n') {
                    eprintln!("{message}");
                } else {
                    let _ = writeln!(out, "{}", message.trim());
                }
                index += 1;
                continue;
            }
        };
        if o.kind == Kind::More && names.len() > 1 {
            let _ = write!(out, "{RULE}\n{}\n{RULE}\n", name.map(|n| n.to_string_lossy()).unwrap_or_default());
        }
        let (mut top, mut printed) = (0, 0);
        let step = loop {
            let shown = draw(&mut out, &mut lines, (top, printed), height, cols, o);
            printed = printed.max(top + shown);
            let at_end = !lines.has(top + shown);
            if at_end && o.kind == Kind::More {
                break Step::NextFile;
            }
            let prompt = match (o.kind, at_end, names.get(index + 1)) {
                (Kind::More, ..) => "--More--".to_string(),
                (Kind::Less, true, Some(Some(next))) => format!("(END) - Next: {}", next.to_string_lossy()),
                (Kind::Less, true, _) => "(END)".to_string(),
                (Kind::Less, false, _) => ":".to_string(),
            };
            let _ = write!(out, "{prompt}");
            let _ = out.flush();
            let mut command = String::new();
            if keys.read_line(&mut command).unwrap_or(0) == 0 {
                break Step::Quit;
            }
            // The typed line was echoed: move back over it and the prompt.
            let _ = write!(out, "\x1b[1A\r\x1b[K");
            match command_step(
                o.kind,
                command.trim_end_matches(['\n', '\r']),
                top,
                shown,
                height,
                &mut lines,
                &mut search,
            ) {
                Step::Goto(line) if at_end && line > top && o.kind == Kind::Less && index + 1 < names.len() => {
                    break Step::NextFile;
                }
                // less does not scroll past the end.
                Step::Goto(line) if at_end && line > top => {}
                Step::Goto(line) => top = line.min(lines.lines.len().saturating_sub(1)),
                other => break other,
            }
        };
        match step {
            Step::Quit => break,
            Step::PrevFile => index = index.saturating_sub(1),
            Step::NextFile | Step::Goto(_) => index += 1,
        }
    }
    let _ = out.flush();
    0
}

/// What `command` does from line `top` with `shown` lines on the screen.
fn command_step(
    kind: Kind,
    command: &str,
    top: usize,
    shown: usize,
    height: usize,
    lines: &mut Lines,
    search: &mut Option<String>,
) -> Step {
    let first = command.chars().next();
    match first {
        None | Some('j' | 'e') => Step::Goto(top + 1),
        Some(' ' | 'f' | 'z') => Step::Goto(top + shown.max(1)),
        Some('d') => Step::Goto(top + height.div_ceil(2)),
        Some('q' | 'Q') => Step::Quit,
        Some('/') => {
            *search = Some(command[1..].to_string()).filter(|s| !s.is_empty()).or(search.take());
            find(lines, top + 1, search.as_deref())
        }
        Some('n') => find(lines, top + 1, search.as_deref()),
        Some('b' | 'u') if kind == Kind::Less => Step::Goto(top.saturating_sub(height)),
        Some('k' | 'y') if kind == Kind::Less => Step::Goto(top.saturating_sub(1)),
        Some('g' | '<') if kind == Kind::Less => Step::Goto(0),
        Some('G' | '>') if kind == Kind::Less => {
            lines.read_all();
            Step::Goto(lines.lines.len().saturating_sub(height))
        }
        Some(':') if kind == Kind::Less && command.starts_with(":n") => Step::NextFile,
        Some(':') if kind == Kind::Less && command.starts_with(":p") => Step::PrevFile,
        Some(':') if command.starts_with(":q") => Step::Quit,
        _ => Step::Goto(top),
    }
}

/// The first line from `from` on containing `text`, or where we are.
fn find(lines: &mut Lines, from: usize, text: Option<&str>) -> Step {
    let Some(text) = text else { return Step::Goto(from.saturating_sub(1)) };
    let mut n = from;
    while lines.has(n) {
        if lines.lines[n].contains(text) {
            return Step::Goto(n);
        }
        n += 1;
    }
    Step::Goto(from.saturating_sub(1))
}

/// Shows the page starting at `top`: `less` redraws the screen, `more`
/// scrolls, writing only the lines from `printed` on (those before are
/// on the screen already). Returns how many lines the page has.
fn draw(
    out: &mut dyn Write,
    lines: &mut Lines,
    (top, printed): (usize, usize),
    height: usize,
    cols: usize,
    o: &Options,
) -> usize {
    if o.kind == Kind::Less {
        let _ = write!(out, "\x1b[H\x1b[2J");
    }
    let mut used = 0;
    let mut n = top;
    while lines.has(n) {
        let line = &lines.lines[n];
        let width = line.chars().count() + if o.numbers { 8 } else { 0 };
        let rows = width.div_ceil(cols).max(1);
        if used + rows > height && used > 0 {
            break;
        }
        if o.kind == Kind::Less || n >= printed {
            if o.numbers {
                let _ = write!(out, "{:>7} ", n + 1);
            }
            let _ = writeln!(out, "{line}");
        }
        used += rows;
        n += 1;
    }
    if o.kind == Kind::Less {
        for _ in used..height {
            let _ = writeln!(out, "~");
        }
    }
    n - top
}
