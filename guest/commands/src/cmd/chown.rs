//! `chown [-cfvhR] [-H|-L|-P] [--from=CUR] [--reference=RFILE] OWNER[:[GROUP]] FILE…`
//! and `chgrp [same options] GROUP FILE…`: change owners through capsa's
//! `host_fs.chown` (preview1 has no such call).
//!
//! Users and groups are names in the VM's own `/etc/passwd` and
//! `/etc/group` or numbers (`+N` is always a number). `OWNER:` takes the
//! owner's login group; `OWNER.GROUP` is accepted with GNU's warning when
//! no user has that whole name. Without `-R`, symlinks are followed unless
//! `-h`; with `-R` they are changed themselves unless `-H` (operands) or
//! `-L` (all).
//!
//! The kernel's rules: root may give any file to anyone; the owner may only
//! change the group, to its own group (`EPERM` otherwise). A host file
//! under a `--dir` grant keeps its host owner: asking for the owner and
//! group the VM shows for it (the default user's) succeeds and changes
//! nothing, anything else is `EPERM`.

use std::ffi::OsString;
use std::path::Path;

use wasi_ext::fs as xfs;

use crate::files::{self, Names, WalkOptions};
use crate::util;

/// A target (or `--from`) owner and group: ids to set and the names the
/// messages use for them.
#[derive(Debug, Default, Clone)]
struct Owners {
    uid: Option<u32>,
    gid: Option<u32>,
    user_name: Option<String>,
    group_name: Option<String>,
}

/// A user id: a name, else a decimal number (`+N` skips the name lookup).
fn user_id(text: &str) -> Option<(u32, Option<u32>)> {
    if !text.starts_with('+')
        && let Ok(entry) = wasi_ext::getpwnam(text)
    {
        return Some((entry.uid, Some(entry.gid)));
    }
    let id: u32 = text.strip_prefix('+').unwrap_or(text).parse().ok()?;
    (id != u32::MAX).then_some((id, None))
}

/// A group id: a name, else a decimal number.
fn group_id(text: &str) -> Option<u32> {
    if !text.starts_with('+')
        && let Ok(entry) = wasi_ext::getgrnam(text)
    {
        return Some(entry.gid);
    }
    let id: u32 = text.strip_prefix('+').unwrap_or(text).parse().ok()?;
    (id != u32::MAX).then_some(id)
}

/// `USER[SEP[GROUP]]` split at `sep` (gnulib's `parse_with_separator`).
fn parse_with(spec: &str, sep: Option<usize>, names: &mut Names) -> Result<Owners, &'static str> {
    let (user, group) = match sep {
        Some(at) => (&spec[..at], Some(&spec[at + 1..])),
        None => (spec, None),
    };
    let mut owners = Owners::default();
    if !user.is_empty() {
        let login_group = group == Some("");
        match user_id(user) {
            Some((_, None)) if login_group => return Err("invalid spec"),
            None if login_group => return Err("invalid spec"),
            None => return Err("invalid user"),
            Some((uid, primary)) => {
                owners.uid = Some(uid);
                owners.user_name = Some(user.to_string());
                if let (true, Some(gid)) = (login_group, primary) {
                    owners.gid = Some(gid);
                    owners.group_name = Some(names.group_or_id(gid));
                }
            }
        }
    }
    if let Some(group) = group.filter(|g| !g.is_empty()) {
        owners.gid = Some(group_id(group).ok_or("invalid group")?);
        owners.group_name = Some(group.to_string());
    }
    Ok(owners)
}

/// Parses chown's `OWNER[:[GROUP]]`, `:GROUP` or `OWNER.GROUP`.
fn parse_spec(cmd: &str, spec: &str, names: &mut Names) -> Result<Owners, String> {
    let colon = spec.find(':');
    match parse_with(spec, colon, names) {
        Ok(owners) => Ok(owners),
        Err(err) => {
            if colon.is_none()
                && let Some(dot) = spec.find('.')
                && let Ok(owners) = parse_with(spec, Some(dot), names)
            {
                eprintln!("{cmd}: warning: '.' should be ':': '{spec}'");
                return Ok(owners);
            }
            Err(format!("{err}: '{spec}'"))
        }
    }
}

struct Options {
    changes: bool,
    verbose: bool,
    quiet: bool,
    recurse: bool,
    no_deref: bool,
    deref: bool,
    follow: char,
    preserve_root: bool,
    reference: Option<OsString>,
    from: Option<String>,
}

/// chown's entry point.
pub fn chown(cmd: &str, args: Vec<OsString>) -> i32 {
    owner_command(cmd, args, false)
}

/// chgrp's entry point.
pub fn chgrp(cmd: &str, args: Vec<OsString>) -> i32 {
    owner_command(cmd, args, true)
}

fn owner_command(cmd: &str, args: Vec<OsString>, group_only: bool) -> i32 {
    let mut o = Options {
        changes: false,
        verbose: false,
        quiet: false,
        recurse: false,
        no_deref: false,
        deref: false,
        follow: 'P',
        preserve_root: false,
        reference: None,
        from: None,
    };
    let mut operands = Vec::new();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let Some(text) = arg.to_str().filter(|t| t.starts_with('-') && t.len() > 1) else {
            operands.push(arg);
            continue;
        };
        let (name, value) = match text.split_once('=') {
            Some((name, value)) if text.starts_with("--") => (name, Some(value.to_string())),
            _ => (text, None),
        };
        let value_of = |name: &str, args: &mut std::vec::IntoIter<OsString>| match value
            .clone()
            .or_else(|| args.next().map(|v| v.to_string_lossy().into_owned()))
        {
            Some(value) => Ok(value),
            None => Err(util::usage(cmd, format!("option '{name}' requires an argument"), 1)),
        };
        match name {
            "--" => {
                operands.extend(args.by_ref());
                break;
            }
            "--changes" => o.changes = true,
            "--verbose" => o.verbose = true,
            "--silent" | "--quiet" => o.quiet = true,
            "--recursive" => o.recurse = true,
            "--no-dereference" => o.no_deref = true,
            "--dereference" => o.deref = true,
            "--preserve-root" => o.preserve_root = true,
            "--no-preserve-root" => o.preserve_root = false,
            "--reference" => match value_of(name, &mut args) {
                Ok(file) => o.reference = Some(OsString::from(file)),
                Err(code) => return code,
            },
            "--from" if !group_only => match value_of(name, &mut args) {
                Ok(from) => o.from = Some(from),
                Err(code) => return code,
            },
            "--help" => {
                let what = if group_only { "GROUP" } else { "[OWNER][:[GROUP]]" };
                println!("Usage: {cmd} [OPTION]... {what} FILE...\n  or:  {cmd} [OPTION]... --reference=RFILE FILE...");
                return 0;
            }
            _ if text.starts_with("--") => return util::usage(cmd, format!("unrecognized option '{text}'"), 1),
            _ => {
                for flag in text[1..].chars() {
                    match flag {
                        'c' => o.changes = true,
                        'v' => o.verbose = true,
                        'f' => o.quiet = true,
                        'R' => o.recurse = true,
                        'h' => o.no_deref = true,
                        'H' | 'L' | 'P' => o.follow = flag,
                        _ => return util::usage(cmd, format!("invalid option -- '{flag}'"), 1),
                    }
                }
            }
        }
    }
    run(cmd, &o, operands, group_only)
}

fn run(cmd: &str, o: &Options, mut operands: Vec<OsString>, group_only: bool) -> i32 {
    let mut names = Names::default();
    let target = if let Some(reference) = &o.reference {
        match xfs::stat(Path::new(reference)) {
            Ok(st) => Owners {
                uid: (!group_only).then_some(st.uid),
                gid: Some(st.gid),
                user_name: (!group_only).then(|| names.user_or_id(st.uid)),
                group_name: Some(names.group_or_id(st.gid)),
            },
            Err(err) => {
                let name = util::quote(reference);
                return util::fail(cmd, format!("failed to get attributes of {name}: {}", util::errmsg(&err)));
            }
        }
    } else {
        if operands.is_empty() {
            return util::usage(cmd, "missing operand", 1);
        }
        let spec = operands.remove(0).to_string_lossy().into_owned();
        if operands.is_empty() {
            return util::usage(cmd, format!("missing operand after '{spec}'"), 1);
        }
        if group_only {
            match group_id(&spec) {
                _ if spec.is_empty() => Owners::default(),
                Some(gid) => Owners { gid: Some(gid), group_name: Some(spec), ..Owners::default() },
                None => return util::fail(cmd, format!("invalid group: '{spec}'")),
            }
        } else {
            match parse_spec(cmd, &spec, &mut names) {
                Ok(owners) => owners,
                Err(err) => return util::fail(cmd, err),
            }
        }
    };
    if operands.is_empty() {
        return util::usage(cmd, "missing operand", 1);
    }
    let from = match &o.from {
        Some(spec) => match parse_spec(cmd, spec, &mut names) {
            Ok(owners) => Some(owners),
            Err(err) => return util::fail(cmd, err),
        },
        None => None,
    };
    if o.recurse && o.follow == 'P' && o.deref {
        return util::usage(cmd, "-R --dereference requires either -H or -L", 1);
    }
    let walk = WalkOptions {
        recurse: o.recurse,
        follow_top: if o.recurse { o.follow != 'P' } else { !o.no_deref },
        follow_all: o.recurse && o.follow == 'L',
        quiet: o.quiet,
        post_order: true,
    };
    let mut status = 0;
    for file in &operands {
        let path = Path::new(file);
        if o.recurse && o.preserve_root && files::is_root(path) {
            eprintln!("{cmd}: it is dangerous to operate recursively on '/'");
            eprintln!("{cmd}: use --no-preserve-root to override this failsafe");
            status = 1;
            continue;
        }
        status |=
            files::walk(cmd, path, walk, &mut |visit| change_one(cmd, o, &target, from.as_ref(), &mut names, visit));
    }
    status
}

/// `user:group`, `user` or `group` as the messages show a spec.
fn spec_text(user: Option<&str>, group: Option<&str>) -> Option<String> {
    match (user, group) {
        (Some(u), Some(g)) => Some(format!("{u}:{g}")),
        (Some(one), None) | (None, Some(one)) => Some(one.to_string()),
        (None, None) => None,
    }
}

/// Changes one file's owner and group; returns 1 on failure.
fn change_one(
    cmd: &str,
    o: &Options,
    target: &Owners,
    from: Option<&Owners>,
    names: &mut Names,
    visit: &files::Visit,
) -> i32 {
    let name = util::quote(visit.path.as_os_str());
    let what = if target.user_name.is_some() { "ownership" } else { "group" };
    let Some(st) = visit.stat else {
        if o.verbose {
            match spec_text(target.user_name.as_deref(), target.group_name.as_deref()) {
                Some(spec) => println!("failed to change {what} of {name} to {spec}"),
                None => println!("failed to change ownership of {name}"),
            }
        }
        return 1;
    };
    let matches = from.is_none_or(|f| f.uid.is_none_or(|u| u == st.uid) && f.gid.is_none_or(|g| g == st.gid));
    let result = if !matches {
        Ok(())
    } else if st.is_symlink() {
        xfs::lchown(visit.path, target.uid, target.gid)
    } else {
        xfs::chown(visit.path, target.uid, target.gid)
    };
    if let Err(err) = &result
        && !o.quiet
    {
        let changing = if target.uid.is_some() { "ownership" } else { "group" };
        util::fail(cmd, format!("changing {changing} of {name}: {}", util::errmsg(err)));
    }
    let same = target.uid.is_none_or(|u| u == st.uid) && target.gid.is_none_or(|g| g == st.gid);
    let changed = matches && result.is_ok() && !same;
    if (changed && o.changes) || o.verbose {
        let (user, group) = (target.user_name.as_deref(), target.group_name.as_deref());
        let old_user = user.map(|_| names.user_or_id(st.uid));
        let old_group = group.map(|_| names.group_or_id(st.gid));
        let spec = spec_text(user, group);
        let old = spec_text(old_user.as_deref(), old_group.as_deref());
        let line = match (&result, changed, spec) {
            (Err(_), _, Some(spec)) => {
                format!("failed to change {what} of {name} from {} to {spec}", old.unwrap_or_default())
            }
            (Err(_), _, None) => format!("failed to change ownership of {name}"),
            (Ok(()), true, Some(spec)) => {
                format!("changed {what} of {name} from {} to {spec}", old.unwrap_or_default())
            }
            (Ok(()), true, None) => format!("no change to ownership of {name}"),
            (Ok(()), false, Some(spec)) => format!("{what} of {name} retained as {spec}"),
            (Ok(()), false, None) => format!("ownership of {name} retained"),
        };
        println!("{line}");
    }
    i32::from(result.is_err())
}
