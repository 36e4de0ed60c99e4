//! `ls`, `dir`, `vdir`: list directory contents, with the modes, owners and
//! groups of capsa's `host_fs.stat` (preview1's `filestat` has none, which
//! is why uutils `ls` cannot be used: it shows made-up modes and owners).
//!
//! GNU's everyday options: `-a -A -d -R -l -g -o -G -n -1 -C -x -m -h -s -k
//! -i -t -S -X -U -f -r -c -u -F -p --file-type -L -H -b -q -N -Q -T -w`,
//! `--sort= --time= --time-style= --full-time --format= --indicator-style=
//! --quoting-style= --group-directories-first --color=`. Names sort
//! bytewise, as GNU sorts in the C locale. Output is one name per line
//! unless stdout is a terminal (`host_user::isatty`) or `-C`/`-x`/`-m` ask
//! for columns, whose width is `-w`, else `$COLUMNS`, else 80. On a
//! terminal, names are shell-quoted and control characters shown as `?`,
//! as GNU does.
//!
//! Where capsa differs: there are no colours (`--color=never` and `auto`
//! print none; `always` is refused); blocks (`-s`, `total`) are the size in
//! 512-byte units rounded up, since capsa's filesystems allocate none;
//! device files show their size, not device numbers (the ABI has no
//! `st_rdev`); times are UTC, read as the epoch unless the VM has the clock
//! grant. `dir` is `ls -C -b`, `vdir` is `ls -l -b`.

mod output;
mod quote;

use std::ffi::OsString;
use std::fs::File;
use std::path::{Path, PathBuf};

use lexopt::prelude::*;
use wasi_ext::fs::{self as xfs, Stat};

use crate::files::Names;
use crate::util;
use output::TimeStyle;
use quote::Quoting;

/// How entries are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Long,
    OnePerLine,
    Columns,
    Across,
    Commas,
}

/// The sort key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sort {
    Name,
    Time,
    Size,
    Extension,
    None,
}

/// Which time `-l` shows and `-t` sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TimeField {
    Modify,
    Change,
    Access,
}

/// What follows a name (`-F`, `-p`, `--file-type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Indicator {
    None,
    Slash,
    FileType,
    Classify,
}

/// Which symlinks are followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Deref {
    Never,
    /// Operands that are symlinks to directories (the default without
    /// `-l`, `-d` or `-F`).
    ToDir,
    /// Every operand (`-H`).
    Operands,
    /// Everything (`-L`).
    Always,
}

/// The parsed command line.
struct Options {
    format: Format,
    all: bool,
    almost_all: bool,
    directory: bool,
    recursive: bool,
    owner: bool,
    group: bool,
    numeric: bool,
    human: bool,
    inode: bool,
    blocks: bool,
    sort: Sort,
    sort_given: bool,
    reverse: bool,
    time: TimeField,
    indicator: Indicator,
    deref: Option<Deref>,
    quoting: Quoting,
    hide_control: bool,
    time_style: TimeStyle,
    dirs_first: bool,
    width: usize,
    tabsize: usize,
    /// The current time (ns), for the six-month rule of the date column;
    /// read again when a file seems newer (as GNU does).
    now: std::cell::Cell<u64>,
}

/// One file to show.
pub(crate) struct Entry {
    /// The name as shown: the operand as given, or the directory entry's.
    name: OsString,
    /// Where it is.
    path: PathBuf,
    /// Its status, unless it could not be read.
    st: Option<Stat>,
    /// A symlink's target and the target's status (`-l`).
    target: Option<(String, Option<Stat>)>,
    /// The `ls -l` type letter when the status could not be read (from
    /// `lstat`, `?` if that failed too).
    kind: char,
}

/// ls, dir and vdir's entry point.
pub fn main(cmd: &str, args: Vec<OsString>) -> i32 {
    let tty = wasi_ext::isatty(1).unwrap_or(false);
    let mut o = Options {
        format: if tty { Format::Columns } else { Format::OnePerLine },
        all: false,
        almost_all: false,
        directory: false,
        recursive: false,
        owner: true,
        group: true,
        numeric: false,
        human: false,
        inode: false,
        blocks: false,
        sort: Sort::Name,
        sort_given: false,
        reverse: false,
        time: TimeField::Modify,
        indicator: Indicator::None,
        deref: None,
        quoting: if tty { Quoting::ShellEscape } else { Quoting::Literal },
        hide_control: tty,
        time_style: TimeStyle::Locale,
        dirs_first: false,
        width: std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()).filter(|&w| w > 0).unwrap_or(80),
        tabsize: 8,
        now: std::cell::Cell::new(now()),
    };
    match cmd {
        "dir" => (o.format, o.quoting) = (Format::Columns, Quoting::Escape),
        "vdir" => (o.format, o.quoting) = (Format::Long, Quoting::Escape),
        _ => {}
    }
    if let Ok(style) = std::env::var("TIME_STYLE")
        && let Some(style) = TimeStyle::parse(&style)
    {
        o.time_style = style;
    }
    let operands = match parse(cmd, &mut o, args) {
        Ok(operands) => operands,
        Err(code) => return code,
    };
    if o.deref.is_none() {
        let plain = o.directory || o.indicator == Indicator::Classify || o.format == Format::Long;
        o.deref = Some(if plain { Deref::Never } else { Deref::ToDir });
    }
    if o.time != TimeField::Modify && !o.sort_given && o.format != Format::Long {
        o.sort = Sort::Time;
    }
    let mut ls = Lister { cmd, o, names: Names::default(), status: 0, printed: false, out: Vec::new() };
    let code = ls.run(operands);
    util::flush_stdout();
    code
}

/// Parses the options into `o`; returns the operands or the exit status.
fn parse(cmd: &str, o: &mut Options, args: Vec<OsString>) -> Result<Vec<OsString>, i32> {
    let mut operands = Vec::new();
    let mut parser = lexopt::Parser::from_args(args);
    let bad = |msg: String| util::usage(cmd, msg, 2);
    loop {
        let arg = match parser.next() {
            Ok(Some(arg)) => arg,
            Ok(None) => break,
            Err(err) => return Err(bad(err.to_string())),
        };
        let value = |parser: &mut lexopt::Parser| -> Result<String, i32> {
            parser.value().map_err(|e| e.to_string()).and_then(util::string).map_err(bad)
        };
        match arg {
            Short('a') | Long("all") => (o.all, o.almost_all) = (true, false),
            Short('A') | Long("almost-all") => (o.almost_all, o.all) = (true, false),
            Short('d') | Long("directory") => o.directory = true,
            Short('R') | Long("recursive") => o.recursive = true,
            Short('l') => o.format = Format::Long,
            Short('g') => (o.format, o.owner) = (Format::Long, false),
            Short('o') => (o.format, o.group) = (Format::Long, false),
            Short('G') | Long("no-group") => o.group = false,
            Short('n') | Long("numeric-uid-gid") => (o.format, o.numeric) = (Format::Long, true),
            Short('1') => o.format = Format::OnePerLine,
            Short('C') => o.format = Format::Columns,
            Short('x') => o.format = Format::Across,
            Short('m') => o.format = Format::Commas,
            Short('h') | Long("human-readable") => o.human = true,
            Short('k') | Long("kibibytes") => {}
            Short('i') | Long("inode") => o.inode = true,
            Short('s') | Long("size") => o.blocks = true,
            Short('t') => (o.sort, o.sort_given) = (Sort::Time, true),
            Short('S') => (o.sort, o.sort_given) = (Sort::Size, true),
            Short('X') => (o.sort, o.sort_given) = (Sort::Extension, true),
            Short('U') => (o.sort, o.sort_given) = (Sort::None, true),
            Short('f') => {
                (o.all, o.sort, o.sort_given, o.blocks) = (true, Sort::None, true, false);
                if o.format == Format::Long {
                    o.format = Format::OnePerLine;
                }
            }
            Short('r') | Long("reverse") => o.reverse = true,
            Short('c') => o.time = TimeField::Change,
            Short('u') => o.time = TimeField::Access,
            Short('F') => o.indicator = Indicator::Classify,
            Short('p') => o.indicator = Indicator::Slash,
            Long("file-type") => o.indicator = Indicator::FileType,
            Short('L') | Long("dereference") => o.deref = Some(Deref::Always),
            Short('H') | Long("dereference-command-line") => o.deref = Some(Deref::Operands),
            Long("dereference-command-line-symlink-to-dir") => o.deref = Some(Deref::ToDir),
            Short('b') | Long("escape") => o.quoting = Quoting::Escape,
            Short('N') | Long("literal") => o.quoting = Quoting::Literal,
            Short('Q') | Long("quote-name") => o.quoting = Quoting::C,
            Short('q') | Long("hide-control-chars") => o.hide_control = true,
            Long("show-control-chars") => o.hide_control = false,
            Long("group-directories-first") => o.dirs_first = true,
            Long("full-time") => (o.format, o.time_style) = (Format::Long, TimeStyle::FullIso),
            Short('T') | Long("tabsize") => o.tabsize = number(cmd, "tab size", &value(&mut parser)?)?,
            Short('w') | Long("width") => o.width = number(cmd, "line width", &value(&mut parser)?)?,
            Long("sort") => {
                o.sort = match value(&mut parser)?.as_str() {
                    "name" => Sort::Name,
                    "time" => Sort::Time,
                    "size" => Sort::Size,
                    "extension" => Sort::Extension,
                    "none" => Sort::None,
                    other => return Err(bad(format!("invalid argument '{other}' for '--sort'"))),
                };
                o.sort_given = true;
            }
            Long("time") => {
                o.time = match value(&mut parser)?.as_str() {
                    "mtime" | "modification" => TimeField::Modify,
                    "ctime" | "status" => TimeField::Change,
                    "atime" | "access" | "use" => TimeField::Access,
                    other => return Err(bad(format!("invalid argument '{other}' for '--time'"))),
                };
            }
            Long("time-style") => {
                let style = value(&mut parser)?;
                o.time_style = TimeStyle::parse(&style)
                    .ok_or_else(|| bad(format!("invalid argument '{style}' for '--time-style'")))?;
            }
            Long("format") => {
                o.format = match value(&mut parser)?.as_str() {
                    "long" | "verbose" => Format::Long,
                    "single-column" => Format::OnePerLine,
                    "vertical" => Format::Columns,
                    "across" | "horizontal" => Format::Across,
                    "commas" => Format::Commas,
                    other => return Err(bad(format!("invalid argument '{other}' for '--format'"))),
                };
            }
            Long("indicator-style") => {
                o.indicator = match value(&mut parser)?.as_str() {
                    "none" => Indicator::None,
                    "slash" => Indicator::Slash,
                    "file-type" => Indicator::FileType,
                    "classify" => Indicator::Classify,
                    other => return Err(bad(format!("invalid argument '{other}' for '--indicator-style'"))),
                };
            }
            Long("classify") => {
                let when = parser.optional_value().map(|v| v.to_string_lossy().into_owned());
                match when.as_deref() {
                    None | Some("always" | "yes" | "force") => o.indicator = Indicator::Classify,
                    Some("never" | "no" | "none") => o.indicator = Indicator::None,
                    Some("auto" | "tty" | "if-tty") if wasi_ext::isatty(1).unwrap_or(false) => {
                        o.indicator = Indicator::Classify;
                    }
                    Some("auto" | "tty" | "if-tty") => o.indicator = Indicator::None,
                    Some(other) => return Err(bad(format!("invalid argument '{other}' for '--classify'"))),
                }
            }
            Long("quoting-style") => {
                let style = value(&mut parser)?;
                o.quoting = Quoting::parse(&style)
                    .ok_or_else(|| bad(format!("invalid argument '{style}' for '--quoting-style'")))?;
            }
            Long("color" | "colour") => {
                let when = parser.optional_value().map(|v| v.to_string_lossy().into_owned());
                match when.as_deref() {
                    Some("never" | "no" | "none" | "auto" | "tty" | "if-tty") => {}
                    None | Some("always" | "yes" | "force") => {
                        return Err(util::not_supported(cmd, "--color=always: capsa's ls has no colours"));
                    }
                    Some(other) => return Err(bad(format!("invalid argument '{other}' for '--color'"))),
                }
            }
            Long("help") => {
                println!(
                    "Usage: {cmd} [OPTION]... [FILE]...\nList information about the FILEs (the current directory by default)."
                );
                return Err(0);
            }
            Value(v) => operands.push(v),
            other => return Err(bad(other.unexpected().to_string())),
        }
    }
    Ok(operands)
}

/// A non-negative number option (`-w`, `-T`).
fn number(cmd: &str, what: &str, text: &str) -> Result<usize, i32> {
    text.parse().map_err(|_| util::usage(cmd, format!("invalid {what}: '{text}'"), 2))
}

/// The status of `dir/.` or `dir/..`. wasi-libc resolves a path beneath
/// the preopen it starts in, so `/w/..` of a directory granted at `/w` is
/// refused; then the path is resolved lexically (`/w/..` is `/`).
fn stat_dots(path: &Path) -> std::io::Result<Stat> {
    xfs::stat(path).or_else(|err| {
        let absolute = std::path::absolute(path).map_err(|_| err)?;
        let mut clean = PathBuf::from("/");
        for part in absolute.components() {
            match part {
                std::path::Component::ParentDir => {
                    clean.pop();
                }
                std::path::Component::Normal(name) => clean.push(name),
                _ => {}
            }
        }
        xfs::stat(clean)
    })
}

/// The names in directory `path`, in the order the directory gives them.
fn read_names(path: &Path) -> std::io::Result<Vec<OsString>> {
    std::fs::read_dir(path)?.map(|entry| entry.map(|e| e.file_name())).collect()
}

/// The real-time clock in ns, or 0 without the clock grant.
pub(crate) fn now() -> u64 {
    // SAFETY: `clock_time_get` takes no pointers from us; the binding returns the value.
    unsafe { wasi::clock_time_get(wasi::CLOCKID_REALTIME, 1) }.unwrap_or(0)
}

/// One run of ls: its options, the names cache, the exit status so far and
/// whether anything was printed (for the blank lines between sections).
struct Lister<'a> {
    cmd: &'a str,
    o: Options,
    names: Names,
    status: i32,
    printed: bool,
    /// Output collected and written in large pieces.
    out: Vec<u8>,
}

impl Lister<'_> {
    fn run(&mut self, operands: Vec<OsString>) -> i32 {
        let given = operands.len();
        let operands = if operands.is_empty() { vec![OsString::from(".")] } else { operands };
        let mut file_ops = Vec::new();
        let mut dir_ops = Vec::new();
        for name in operands {
            let path = PathBuf::from(&name);
            let st = match self.operand_stat(&path) {
                Ok(st) => st,
                Err(err) => {
                    self.fail(2, format!("cannot access {}: {}", util::quote(&name), util::errmsg(&err)));
                    continue;
                }
            };
            let entry = self.entry(name, path, Some(st));
            if st.is_dir() && !self.o.directory {
                dir_ops.push(entry);
            } else {
                file_ops.push(entry);
            }
        }
        self.sort(&mut file_ops);
        self.sort(&mut dir_ops);
        if !file_ops.is_empty() {
            // GNU sizes the columns of the file operands' listing over every
            // operand, directories included.
            let all: Vec<&Entry> = file_ops.iter().chain(&dir_ops).collect();
            self.print_entries(&file_ops, &all, false);
        }
        let headers = given > 1 || !file_ops.is_empty() || self.o.recursive;
        for dir in dir_ops {
            self.list_dir(&dir.name, &dir.path, headers, true, &mut Vec::new());
        }
        self.flush();
        self.status
    }

    /// Reports an error; `code` is the exit status it implies (1 minor, 2 serious).
    fn fail(&mut self, code: i32, msg: String) {
        self.flush();
        util::fail(self.cmd, msg);
        self.status = self.status.max(code);
    }

    fn flush(&mut self) {
        use std::io::Write;
        let _ = std::io::stdout().write_all(&self.out);
        self.out.clear();
    }

    /// The status of an operand, by the dereferencing rules.
    fn operand_stat(&self, path: &Path) -> std::io::Result<Stat> {
        match self.o.deref.unwrap_or(Deref::Never) {
            Deref::Always | Deref::Operands => xfs::stat(path),
            Deref::Never => xfs::lstat(path),
            Deref::ToDir => {
                let st = xfs::lstat(path)?;
                if st.is_symlink()
                    && let Ok(target) = xfs::stat(path)
                    && target.is_dir()
                {
                    return Ok(target);
                }
                Ok(st)
            }
        }
    }

    /// Builds an entry, reading a symlink's target when `-l` shows it.
    fn entry(&mut self, name: OsString, path: PathBuf, st: Option<Stat>) -> Entry {
        let target = match st {
            Some(st) if st.is_symlink() && self.o.format == Format::Long => {
                std::fs::read_link(&path).ok().map(|t| (t.to_string_lossy().into_owned(), xfs::stat(&path).ok()))
            }
            _ => None,
        };
        let kind = match st {
            Some(st) => crate::files::type_char(st.mode),
            None => xfs::lstat(&path).map_or('?', |st| crate::files::type_char(st.mode)),
        };
        Entry { name, path, st, target, kind }
    }

    /// Lists directory `path` (shown as `name`), then, with `-R`, its
    /// subdirectories. `ancestors` holds the (dev, ino) of the directories
    /// above, to stop at a cycle through followed symlinks.
    fn list_dir(&mut self, name: &OsString, path: &Path, header: bool, top: bool, ancestors: &mut Vec<(u64, u64)>) {
        let minor = if top { 2 } else { 1 };
        let dir = match File::open(path).and_then(|dir| read_names(path).map(|names| (dir, names))) {
            Ok(found) => found,
            Err(err) => {
                self.fail(minor, format!("cannot open directory {}: {}", util::quote(name), util::errmsg(&err)));
                return;
            }
        };
        let (dir, mut names) = dir;
        if let Ok(st) = xfs::fstat(&dir) {
            if ancestors.contains(&(st.dev, st.ino)) {
                self.fail(2, format!("{}: not listing already-listed directory", util::quote(name)));
                return;
            }
            ancestors.push((st.dev, st.ino));
        }
        if header {
            if self.printed {
                self.out.push(b'\n');
            }
            let shown = quote::quote_name(name.as_encoded_bytes(), self.o.quoting, self.o.hide_control, &[]);
            self.out.extend_from_slice(shown.as_bytes());
            self.out.extend_from_slice(b":\n");
            self.printed = true;
        }
        // read_dir never gives `.` and `..`: `-a` adds them, `-A` keeps the
        // other dot files, neither hides every dot file.
        if self.o.all {
            names.splice(0..0, [OsString::from("."), OsString::from("..")]);
        } else if !self.o.almost_all {
            names.retain(|n| !n.as_encoded_bytes().starts_with(b"."));
        }
        let follow = self.o.deref == Some(Deref::Always);
        let needs_stat = self.o.format == Format::Long
            || self.o.inode
            || self.o.blocks
            || matches!(self.o.sort, Sort::Time | Sort::Size);
        let mut entries = Vec::with_capacity(names.len());
        for entry_name in names {
            // As GNU names them: `x` beneath `.`, `d/x` beneath `d`.
            let entry_path = if path == Path::new(".") { PathBuf::from(&entry_name) } else { path.join(&entry_name) };
            // `..` is outside the directory fd, which the kernel does not
            // let a lookup leave: stat `.` and `..` by path.
            let dots = matches!(entry_name.as_encoded_bytes(), b"." | b"..");
            let st = if dots { stat_dots(&entry_path) } else { xfs::stat_at(&dir, &entry_name, follow) };
            let st = match st {
                Ok(st) => Some(st),
                Err(err) => {
                    if needs_stat {
                        let shown = util::quote(entry_path.as_os_str());
                        self.fail(1, format!("cannot access {shown}: {}", util::errmsg(&err)));
                    }
                    None
                }
            };
            entries.push(self.entry(entry_name, entry_path, st));
        }
        self.sort(&mut entries);
        let sizing: Vec<&Entry> = entries.iter().collect();
        self.print_entries(&entries, &sizing, true);
        if self.o.recursive {
            for entry in &entries {
                let bytes = entry.name.as_encoded_bytes();
                if bytes == b"." || bytes == b".." || !entry.st.is_some_and(|st| st.is_dir()) {
                    continue;
                }
                let sub_name = Path::new(name).join(&entry.name).into_os_string();
                self.list_dir(&sub_name, &entry.path, true, false, ancestors);
            }
        }
        ancestors.pop();
    }

    /// Sorts entries by the options (names bytewise, as in the C locale).
    fn sort(&self, entries: &mut [Entry]) {
        let by_name = |a: &Entry, b: &Entry| a.name.as_encoded_bytes().cmp(b.name.as_encoded_bytes());
        let time = |e: &Entry| {
            e.st.map_or(0, |st| match self.o.time {
                TimeField::Modify => st.mtime,
                TimeField::Change => st.ctime,
                TimeField::Access => st.atime,
            })
        };
        let extension = |e: &Entry| {
            let bytes = e.name.as_encoded_bytes();
            match bytes.iter().rposition(|&b| b == b'.') {
                Some(at) => bytes[at..].to_vec(),
                None => Vec::new(),
            }
        };
        match self.o.sort {
            Sort::Name => entries.sort_by(by_name),
            Sort::Time => entries.sort_by(|a, b| time(b).cmp(&time(a)).then_with(|| by_name(a, b))),
            Sort::Size => {
                let size = |e: &Entry| e.st.map_or(0, |st| st.size);
                entries.sort_by(|a, b| size(b).cmp(&size(a)).then_with(|| by_name(a, b)));
            }
            Sort::Extension => entries.sort_by(|a, b| extension(a).cmp(&extension(b)).then_with(|| by_name(a, b))),
            Sort::None => {}
        }
        if self.o.reverse && self.o.sort != Sort::None {
            entries.reverse();
        }
        if self.o.dirs_first {
            // A symlink to a directory counts as one, as in GNU.
            let is_dir = |e: &Entry| {
                e.st.is_some_and(|st| st.is_dir() || (st.is_symlink() && xfs::stat(&e.path).is_ok_and(|t| t.is_dir())))
            };
            entries.sort_by_key(|e| !is_dir(e));
        }
    }

    /// Prints one listing (a directory's entries, or the file operands),
    /// its columns as wide as `sizing` needs.
    fn print_entries(&mut self, entries: &[Entry], sizing: &[&Entry], is_dir: bool) {
        let mut out = std::mem::take(&mut self.out);
        output::print(&mut out, &self.o, &mut self.names, entries, sizing, is_dir);
        self.printed = true;
        self.out = out;
        if self.out.len() > 1 << 16 {
            self.flush();
        }
    }
}
