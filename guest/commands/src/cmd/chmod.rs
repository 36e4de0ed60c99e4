//! `chmod [-cfvR] [--reference=RFILE] [--[no-]preserve-root] MODE[,MODE]… FILE…`:
//! changes permission bits through capsa's `host_fs.chmod` (preview1 has no
//! such call).
//!
//! Modes are GNU's: octal (`755`; with fewer than five digits a
//! directory's set-id bits are kept unless named), or symbolic clauses
//! `[ugoa]*([-+=]([rwxXst]*|[ugo]))+` separated by commas, where a clause
//! without `ugoa` is limited by the umask. A mode may also be given as an
//! option (`chmod -w f`); then GNU's warning about bits the umask kept is
//! printed (`new permissions are r--rw-rw-, not r--r--r--`) and the exit
//! status is 1. Symlinks named as operands are followed; symlinks met by
//! `-R` are skipped (capsa, like Linux, has no modes on symlinks).
//!
//! The kernel allows the change to the file's owner and to root (`EPERM`
//! otherwise, `EROFS` on a read-only mount). Host files under a `--dir`
//! grant take the mode on the host.

use std::ffi::OsString;
use std::path::Path;

use wasi_ext::fs as xfs;

use crate::files::{self, WalkOptions};
use crate::util;

/// Every permission bit chmod may set.
const MODE_BITS: u32 = 0o7777;
const S_IRWXU: u32 = 0o700;
const S_IRWXG: u32 = 0o070;
const S_IRWXO: u32 = 0o007;
const ALL_R: u32 = 0o444;
const ALL_W: u32 = 0o222;
const ALL_X: u32 = 0o111;
const SET_ID: u32 = xfs::S_ISUID | xfs::S_ISGID;

/// How a clause's value is taken (gnulib's `modechange.c`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flag {
    /// The value as written.
    Ordinary,
    /// `X`: execute bits only if the file is a directory or already has one.
    XIfAnyX,
    /// `u`, `g`, `o` after the operator: a copy of those bits of the file.
    CopyExisting,
}

/// One operation of a compiled mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    op: u8,
    flag: Flag,
    /// Bits the `who` letters select (0: none given, the umask applies).
    affected: u32,
    value: u32,
    /// Bits the clause names explicitly (set-id bits of directories not
    /// named are kept).
    mentioned: u32,
}

/// Compiles a mode string, or `None` if it is not a valid mode.
pub fn compile(mode: &str) -> Option<Vec<Change>> {
    let bytes = mode.as_bytes();
    if bytes.first().is_some_and(u8::is_ascii_digit) {
        let mut value = 0u32;
        for &b in bytes {
            if !(b'0'..=b'7').contains(&b) {
                return None;
            }
            value = value * 8 + u32::from(b - b'0');
            if value > MODE_BITS {
                return None;
            }
        }
        let mentioned = if bytes.len() < 5 { (value & SET_ID) | xfs::S_ISVTX | 0o777 } else { MODE_BITS };
        return Some(vec![Change { op: b'=', flag: Flag::Ordinary, affected: MODE_BITS, value, mentioned }]);
    }
    let mut changes = Vec::new();
    let mut i = 0;
    loop {
        let mut affected = 0;
        loop {
            match bytes.get(i)? {
                b'u' => affected |= xfs::S_ISUID | S_IRWXU,
                b'g' => affected |= xfs::S_ISGID | S_IRWXG,
                b'o' => affected |= xfs::S_ISVTX | S_IRWXO,
                b'a' => affected |= MODE_BITS,
                b'=' | b'+' | b'-' => break,
                _ => return None,
            }
            i += 1;
        }
        while let Some(&op @ (b'=' | b'+' | b'-')) = bytes.get(i) {
            i += 1;
            let (mut value, mut flag, mut mentioned) = (0, Flag::CopyExisting, 0);
            let mut clause_affected = affected;
            match bytes.get(i) {
                Some(b'0'..=b'7') => {
                    let mut octal = 0u32;
                    while let Some(&b @ b'0'..=b'7') = bytes.get(i) {
                        octal = octal * 8 + u32::from(b - b'0');
                        if octal > MODE_BITS {
                            return None;
                        }
                        i += 1;
                    }
                    if affected != 0 || bytes.get(i).is_some_and(|&b| b != b',') {
                        return None;
                    }
                    clause_affected = MODE_BITS;
                    mentioned = MODE_BITS;
                    value = octal;
                    flag = Flag::Ordinary;
                }
                Some(b'u') => (value, i) = (S_IRWXU, i + 1),
                Some(b'g') => (value, i) = (S_IRWXG, i + 1),
                Some(b'o') => (value, i) = (S_IRWXO, i + 1),
                _ => {
                    flag = Flag::Ordinary;
                    while let Some(&b) = bytes.get(i) {
                        match b {
                            b'r' => value |= ALL_R,
                            b'w' => value |= ALL_W,
                            b'x' => value |= ALL_X,
                            b's' => value |= SET_ID,
                            b't' => value |= xfs::S_ISVTX,
                            b'X' => flag = Flag::XIfAnyX,
                            _ => break,
                        }
                        i += 1;
                    }
                }
            }
            let mentioned = if mentioned != 0 {
                mentioned
            } else if clause_affected != 0 {
                clause_affected & value
            } else {
                value
            };
            changes.push(Change { op, flag, affected: clause_affected, value, mentioned });
        }
        match bytes.get(i) {
            None => return Some(changes),
            Some(b',') => i += 1,
            Some(_) => return None,
        }
    }
}

/// The mode `changes` make of `old` (gnulib's `mode_adjust`): `dir` says
/// whether the file is a directory, `umask` limits clauses without `ugoa`.
pub fn adjust(old: u32, dir: bool, umask: u32, changes: &[Change]) -> u32 {
    let mut mode = old & MODE_BITS;
    for c in changes {
        let omit = if dir { SET_ID & !c.mentioned } else { 0 };
        let mut value = c.value;
        match c.flag {
            Flag::Ordinary => {}
            Flag::CopyExisting => {
                value &= mode;
                let spread = |mask: u32| if value & mask != 0 { mask } else { 0 };
                value |= spread(ALL_R) | spread(ALL_W) | spread(ALL_X);
            }
            Flag::XIfAnyX => {
                if mode & ALL_X != 0 || dir {
                    value |= ALL_X;
                }
            }
        }
        value &= (if c.affected != 0 { c.affected } else { !umask }) & !omit;
        match c.op {
            b'=' => {
                let preserved = (if c.affected != 0 { !c.affected } else { 0 }) | omit;
                mode = (mode & preserved) | value;
            }
            b'+' => mode |= value,
            _ => mode &= !value,
        }
    }
    mode
}

/// The parsed command line.
struct Options {
    changes: bool,
    verbose: bool,
    quiet: bool,
    recurse: bool,
    preserve_root: bool,
    reference: Option<OsString>,
    /// The mode given as an option (`-w`), comma-joined.
    option_mode: Option<String>,
}

/// Whether `arg` (starting with `-`) is a mode rather than options.
fn is_mode_option(arg: &str) -> bool {
    arg.len() > 1 && arg[1..].bytes().all(|b| b"rwxXstugoa,+-=01234567".contains(&b)) && compile(arg).is_some()
}

/// chmod's entry point.
pub fn chmod(cmd: &str, args: Vec<OsString>) -> i32 {
    let mut o = Options {
        changes: false,
        verbose: false,
        quiet: false,
        recurse: false,
        preserve_root: false,
        reference: None,
        option_mode: None,
    };
    let mut operands = Vec::new();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let Some(text) = arg.to_str().filter(|t| t.starts_with('-') && t.len() > 1) else {
            operands.push(arg);
            continue;
        };
        match text {
            "--" => {
                operands.extend(args.by_ref());
                break;
            }
            "--changes" => o.changes = true,
            "--verbose" => o.verbose = true,
            "--silent" | "--quiet" => o.quiet = true,
            "--recursive" => o.recurse = true,
            "--preserve-root" => o.preserve_root = true,
            "--no-preserve-root" => o.preserve_root = false,
            "--reference" => match args.next() {
                Some(file) => o.reference = Some(file),
                None => return util::usage(cmd, "option '--reference' requires an argument", 1),
            },
            "--help" => {
                println!(
                    "Usage: {cmd} [OPTION]... MODE[,MODE]... FILE...\n  or:  {cmd} [OPTION]... OCTAL-MODE FILE...\n  or:  {cmd} [OPTION]... --reference=RFILE FILE..."
                );
                return 0;
            }
            _ if text.starts_with("--reference=") => o.reference = Some(OsString::from(&text["--reference=".len()..])),
            _ if is_mode_option(text) => {
                o.option_mode = Some(match o.option_mode.take() {
                    Some(before) => format!("{before},{text}"),
                    None => text.to_string(),
                });
            }
            _ if text.starts_with("--") => return util::usage(cmd, format!("unrecognized option '{text}'"), 1),
            _ => {
                for flag in text[1..].chars() {
                    match flag {
                        'c' => o.changes = true,
                        'v' => o.verbose = true,
                        'f' => o.quiet = true,
                        'R' => o.recurse = true,
                        _ => return util::usage(cmd, format!("invalid option -- '{flag}'"), 1),
                    }
                }
            }
        }
    }
    run(cmd, o, operands)
}

fn run(cmd: &str, o: Options, mut operands: Vec<OsString>) -> i32 {
    let diagnose = o.option_mode.is_some();
    let changes = if let Some(reference) = &o.reference {
        match xfs::stat(Path::new(reference)) {
            Ok(st) => vec![Change {
                op: b'=',
                flag: Flag::Ordinary,
                affected: MODE_BITS,
                value: st.permissions(),
                mentioned: MODE_BITS,
            }],
            Err(err) => {
                let name = util::quote(reference);
                return util::fail(cmd, format!("failed to get attributes of {name}: {}", util::errmsg(&err)));
            }
        }
    } else {
        let mode = match o.option_mode.clone() {
            Some(mode) => mode,
            None if operands.is_empty() => return util::usage(cmd, "missing operand", 1),
            None => operands.remove(0).to_string_lossy().into_owned(),
        };
        if operands.is_empty() {
            return util::usage(cmd, format!("missing operand after '{mode}'"), 1);
        }
        match compile(&mode) {
            Some(changes) => changes,
            None => return util::usage(cmd, format!("invalid mode: '{mode}'"), 1),
        }
    };
    if operands.is_empty() {
        return util::usage(cmd, "missing operand", 1);
    }
    // Read the umask without changing it.
    let umask = xfs::umask(0);
    xfs::umask(umask);
    let walk =
        WalkOptions { recurse: o.recurse, follow_top: true, follow_all: false, quiet: o.quiet, post_order: false };
    let mut status = 0;
    for file in &operands {
        let path = Path::new(file);
        if o.recurse && o.preserve_root && files::is_root(path) {
            eprintln!("{cmd}: it is dangerous to operate recursively on '/'");
            eprintln!("{cmd}: use --no-preserve-root to override this failsafe");
            status = 1;
            continue;
        }
        if xfs::stat(path).is_err() && xfs::lstat(path).is_ok_and(|st| st.is_symlink()) {
            if !o.quiet {
                util::fail(cmd, format!("cannot operate on dangling symlink {}", util::quote(file)));
            }
            status = 1;
            continue;
        }
        status |= files::walk(cmd, path, walk, &mut |visit| change_one(cmd, &o, &changes, umask, diagnose, visit));
    }
    status
}

/// Changes one file's mode; returns 1 on failure.
fn change_one(cmd: &str, o: &Options, changes: &[Change], umask: u32, diagnose: bool, visit: &files::Visit) -> i32 {
    let name = util::quote(visit.path.as_os_str());
    let Some(stat) = visit.stat else {
        if o.verbose || o.changes {
            println!("{name} could not be accessed");
        }
        return 1;
    };
    if stat.is_symlink() {
        // Met by -R: symlinks have no mode of their own.
        if o.verbose {
            println!("neither symbolic link {name} nor referent has been changed");
        }
        return 0;
    }
    let old = stat.permissions();
    let new = adjust(old, stat.is_dir(), umask, changes);
    let describe = |what: &str| format!("{:04o} ({}) to {:04o} ({})", old, files::perm_string(old), new, what);
    if let Err(err) = xfs::chmod(visit.path, new) {
        if !o.quiet {
            util::fail(cmd, format!("changing permissions of {name}: {}", util::errmsg(&err)));
        }
        if o.verbose {
            println!("failed to change mode of {name} from {}", describe(&files::perm_string(new)));
        }
        return 1;
    }
    if old != new && (o.changes || o.verbose) {
        println!("mode of {name} changed from {}", describe(&files::perm_string(new)));
    } else if o.verbose {
        println!("mode of {name} retained as {new:04o} ({})", files::perm_string(new));
    }
    if diagnose {
        let naive = adjust(old, stat.is_dir(), 0, changes);
        if new & !naive != 0 {
            let (new, naive) = (files::perm_string(new), files::perm_string(naive));
            let name = util::quotef(visit.path.as_os_str());
            return util::fail(cmd, format!("{name}: new permissions are {new}, not {naive}"));
        }
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(mode: &str, old: u32, dir: bool, umask: u32) -> Option<u32> {
        compile(mode).map(|c| adjust(old, dir, umask, &c))
    }

    #[test]
    fn octal_modes() {
        assert_eq!(apply("755", 0o644, false, 0o022), Some(0o755));
        assert_eq!(apply("0", 0o644, false, 0), Some(0));
        assert_eq!(apply("4755", 0o644, false, 0), Some(0o4755));
        // Fewer than five digits keep a directory's set-id bits.
        assert_eq!(apply("755", 0o2775, true, 0), Some(0o2755));
        assert_eq!(apply("00755", 0o2775, true, 0), Some(0o755));
        assert_eq!(apply("17777", 0, false, 0), None);
        assert_eq!(apply("8", 0, false, 0), None);
    }

    #[test]
    fn symbolic_modes() {
        assert_eq!(apply("u+x", 0o644, false, 0o022), Some(0o744));
        assert_eq!(apply("+x", 0o644, false, 0o022), Some(0o755));
        assert_eq!(apply("+w", 0o444, false, 0o022), Some(0o644));
        assert_eq!(apply("a+w", 0o444, false, 0o022), Some(0o666));
        assert_eq!(apply("go-rwx", 0o755, false, 0), Some(0o700));
        assert_eq!(apply("u=rw,go=r", 0o777, false, 0), Some(0o644));
        assert_eq!(apply("g=u", 0o740, false, 0), Some(0o770));
        assert_eq!(apply("o+X", 0o644, false, 0), Some(0o644));
        assert_eq!(apply("o+X", 0o744, false, 0), Some(0o745));
        assert_eq!(apply("o+X", 0o700, true, 0), Some(0o701));
        assert_eq!(apply("u+s,+t", 0o755, false, 0), Some(0o5755));
        assert_eq!(apply("=", 0o755, false, 0o022), Some(0));
        assert_eq!(apply("u=rwx,g-w+x", 0o664, false, 0), Some(0o754));
        assert_eq!(apply("-w", 0o666, false, 0o022), Some(0o466));
        assert_eq!(apply("=755", 0, false, 0), Some(0o755));
        assert_eq!(apply("u=755", 0, false, 0), None);
        assert_eq!(apply("u+q", 0, false, 0), None);
        assert_eq!(apply("", 0, false, 0), None);
        assert_eq!(apply("u", 0, false, 0), None);
    }
}
