//! `id`, `whoami`, `groups`: the caller's (or a named user's) identity,
//! from `host_user` and the VM's own `/etc/passwd` and `/etc/group`.
//!
//! capsa-abi 0.2 has no `getgroups`: a process's supplementary groups are
//! taken, as `initgroups` would set them at login, from the `/etc/group`
//! entries that list its user as a member.

use std::ffi::OsString;

use lexopt::prelude::*;

use crate::util;

/// Who a query is about.
struct Ident {
    /// The user, if the uid has a passwd entry.
    name: Option<String>,
    uid: u32,
    gid: u32,
    /// Every group: the primary one first, then supplementary ones.
    groups: Vec<u32>,
}

/// The groups listing `user` as a member in `/etc/group` (gids).
fn member_of(user: &str) -> Vec<u32> {
    let Ok(text) = std::fs::read_to_string("/etc/group") else { return Vec::new() };
    text.lines()
        .filter_map(|line| wasi_ext::Group::parse(line).ok())
        .filter(|group| group.members.iter().any(|m| m == user))
        .map(|group| group.gid)
        .collect()
}

fn ident(user: Option<&str>) -> Result<Ident, String> {
    let (name, uid, gid) = match user {
        Some(user) => {
            let pw = match wasi_ext::getpwnam(user) {
                Ok(pw) => pw,
                Err(_) => match user.parse::<u32>().ok().map(wasi_ext::getpwuid) {
                    Some(Ok(pw)) => pw,
                    _ => return Err(format!("'{user}': no such user")),
                },
            };
            (Some(pw.name), pw.uid, pw.gid)
        }
        None => {
            let uid = wasi_ext::geteuid().map_err(|e| util::errmsg(&e))?;
            let gid = wasi_ext::getegid().map_err(|e| util::errmsg(&e))?;
            (wasi_ext::getpwuid(uid).ok().map(|pw| pw.name), uid, gid)
        }
    };
    let mut groups = vec![gid];
    if let Some(name) = &name {
        for extra in member_of(name) {
            if !groups.contains(&extra) {
                groups.push(extra);
            }
        }
    }
    Ok(Ident { name, uid, gid, groups })
}

fn group_name(gid: u32) -> Option<String> {
    wasi_ext::getgrgid(gid).ok().map(|g| g.name)
}

/// `id [-u|-g|-G] [-n] [-r] [-z] [USER]`.
pub fn id(cmd: &str, args: Vec<OsString>) -> i32 {
    let (mut only, mut names, mut zero) = (None, false, false);
    let mut users = Vec::new();
    let mut parser = lexopt::Parser::from_args(args);
    loop {
        match parser.next() {
            Ok(None) => break,
            Ok(Some(Short(c @ ('u' | 'g' | 'G')))) => only = Some(c),
            Ok(Some(Long("user"))) => only = Some('u'),
            Ok(Some(Long("group"))) => only = Some('g'),
            Ok(Some(Long("groups"))) => only = Some('G'),
            Ok(Some(Short('n') | Long("name"))) => names = true,
            // Real and effective ids are the same in capsa.
            Ok(Some(Short('r') | Long("real"))) => {}
            Ok(Some(Short('z') | Long("zero"))) => zero = true,
            Ok(Some(Value(v))) => users.push(v),
            Ok(Some(other)) => return util::usage(cmd, other.unexpected(), 1),
            Err(err) => return util::bad_usage(cmd, err, 1),
        }
    }
    if users.len() > 1 {
        return util::usage(cmd, format!("extra operand {}", util::quote(&users[1])), 1);
    }
    if only.is_none() && (names || zero) {
        return util::fail(cmd, "cannot print only names or real IDs in default format");
    }
    let user = users.first().map(|u| u.to_string_lossy().into_owned());
    let who = match ident(user.as_deref()) {
        Ok(who) => who,
        Err(err) => return util::fail(cmd, err),
    };
    let show =
        |id: u32, name: Option<String>| if names { name.unwrap_or_else(|| id.to_string()) } else { id.to_string() };
    let end = if zero { "\0" } else { "\n" };
    match only {
        Some('u') => print!("{}{end}", show(who.uid, who.name.clone())),
        Some('g') => print!("{}{end}", show(who.gid, group_name(who.gid))),
        Some(_) => {
            let sep = if zero { "\0" } else { " " };
            let list: Vec<String> = who.groups.iter().map(|&g| show(g, group_name(g))).collect();
            print!("{}{end}", list.join(sep));
        }
        None => {
            let paren = |name: Option<String>| name.map(|n| format!("({n})")).unwrap_or_default();
            let groups: Vec<String> = who.groups.iter().map(|&g| format!("{g}{}", paren(group_name(g)))).collect();
            println!(
                "uid={}{} gid={}{} groups={}",
                who.uid,
                paren(who.name.clone()),
                who.gid,
                paren(group_name(who.gid)),
                groups.join(",")
            );
        }
    }
    0
}

/// `whoami`: the effective user's name.
pub fn whoami(cmd: &str, args: Vec<OsString>) -> i32 {
    if let Some(arg) = args.first() {
        return util::usage(cmd, format!("extra operand {}", util::quote(arg)), 1);
    }
    let uid = match wasi_ext::geteuid() {
        Ok(uid) => uid,
        Err(err) => return util::fail(cmd, util::errmsg(&err)),
    };
    match wasi_ext::getpwuid(uid) {
        Ok(pw) => {
            println!("{}", pw.name);
            0
        }
        Err(_) => util::fail(cmd, format!("cannot find name for user ID {uid}")),
    }
}

/// `groups [USER]...`: the group names of the caller or of each user.
pub fn groups(cmd: &str, args: Vec<OsString>) -> i32 {
    let names = |who: &Ident| -> String {
        who.groups.iter().map(|&g| group_name(g).unwrap_or_else(|| g.to_string())).collect::<Vec<_>>().join(" ")
    };
    if args.is_empty() {
        return match ident(None) {
            Ok(who) => {
                println!("{}", names(&who));
                0
            }
            Err(err) => util::fail(cmd, err),
        };
    }
    let mut status = 0;
    for user in &args {
        let user = user.to_string_lossy();
        match ident(Some(&user)) {
            Ok(who) => println!("{user} : {}", names(&who)),
            Err(err) => status = util::fail(cmd, err),
        }
    }
    status
}
