//! `cd`, `pwd`, `type`, `command`, `alias`, `unalias`, `umask`, `wait`,
//! `kill`, `trap`, `getopts`.

use super::{is_builtin, quote};
use crate::shell::{Res, Shell};
use crate::testcmd::executable;

/// `cd [dir | -]`.
pub fn cd(sh: &mut Shell, args: &[String]) -> i32 {
    let args: Vec<&String> = args.iter().filter(|a| *a != "-L" && *a != "-P" && *a != "--").collect();
    let (target, print) = match args.first().map(|s| s.as_str()) {
        None => (sh.var("HOME"), false),
        Some("-") => (sh.var("OLDPWD"), true),
        Some(dir) => (dir.to_string(), false),
    };
    if target.is_empty() {
        sh.error("cd: HOME not set");
        return 1;
    }
    let old = logical_cwd(sh);
    let new = if target.starts_with('/') { normalize(&target) } else { normalize(&format!("{old}/{target}")) };
    if let Err(e) = std::env::set_current_dir(&new) {
        sh.error(format!("cd: {target}: {}", crate::sysio::strerror(&e)));
        return 1;
    }
    sh.set_var("OLDPWD", old);
    sh.set_var("PWD", new.clone());
    if print && sh.out(format!("{new}\n").as_bytes()).is_err() {
        return 1;
    }
    0
}

/// The shell's logical working directory: `$PWD` if it names the current
/// directory's path, else the process's.
fn logical_cwd(sh: &Shell) -> String {
    let pwd = sh.var("PWD");
    let real = std::env::current_dir().map(|p| p.display().to_string()).unwrap_or_default();
    if pwd.starts_with('/') && normalize(&pwd) == normalize(&real) { pwd } else { normalize(&real) }
}

/// Removes `.`, `..` and doubled slashes from an absolute path, lexically
/// (as `cd -L` does).
fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for comp in path.split('/') {
        match comp {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    format!("/{}", parts.join("/"))
}

/// `pwd`.
pub fn pwd(sh: &mut Shell, _args: &[String]) -> i32 {
    let dir = logical_cwd(sh);
    i32::from(sh.out(format!("{dir}\n").as_bytes()).is_err())
}

/// Where `PATH` finds `name`, if anywhere.
pub fn find_in_path(sh: &Shell, name: &str) -> Option<String> {
    if name.contains('/') {
        return std::path::Path::new(name).is_file().then(|| name.to_string());
    }
    let path = sh.st.vars.scalar("PATH").unwrap_or("/usr/local/bin:/usr/bin:/bin").to_string();
    path.split(':')
        .map(|d| format!("{}/{name}", if d.is_empty() { "." } else { d }))
        .find(|p| std::path::Path::new(p).is_file() && executable(p))
}

const KEYWORDS: &[&str] = &[
    "if", "then", "else", "elif", "fi", "case", "esac", "for", "while", "until", "do", "done", "in", "function",
    "select", "time", "{", "}", "!", "[[", "]]",
];

/// `type [-t|-p|-a] names…`.
pub fn type_(sh: &mut Shell, args: &[String]) -> i32 {
    let terse = args.iter().any(|a| a == "-t");
    let path_only = args.iter().any(|a| a == "-p" || a == "-P");
    let mut status = 0;
    let mut out = String::new();
    for name in args.iter().filter(|a| !a.starts_with('-')) {
        let (kind, text) = if let Some(value) = sh.st.aliases.get(name) {
            ("alias", format!("{name} is aliased to `{value}'"))
        } else if KEYWORDS.contains(&name.as_str()) {
            ("keyword", format!("{name} is a shell keyword"))
        } else if let Some(f) = sh.st.functions.get(name) {
            ("function", format!("{name} is a function\n{}", f))
        } else if is_builtin(name) {
            ("builtin", format!("{name} is a shell builtin"))
        } else if let Some(path) = find_in_path(sh, name) {
            if path_only {
                out.push_str(&format!("{path}\n"));
                continue;
            }
            ("file", format!("{name} is {path}"))
        } else {
            if !terse && !path_only {
                sh.error(format!("type: {name}: not found"));
            }
            status = 1;
            continue;
        };
        if path_only {
            continue;
        }
        out.push_str(if terse { kind } else { &text });
        out.push('\n');
    }
    if sh.out(out.as_bytes()).is_err() {
        return 1;
    }
    status
}

/// `command [-v|-V] name args…`: runs a builtin or external command,
/// skipping functions.
pub fn command(sh: &mut Shell, args: &[String]) -> Res {
    let Some(first) = args.first() else { return Ok(0) };
    if first == "-v" || first == "-V" {
        let mut status = 0;
        for name in &args[1..] {
            let line = if sh.st.functions.contains_key(name) || is_builtin(name) || KEYWORDS.contains(&name.as_str()) {
                name.clone()
            } else if let Some(value) = sh.st.aliases.get(name) {
                format!("alias {name}={}", quote(value))
            } else if let Some(path) = find_in_path(sh, name) {
                path
            } else {
                status = 1;
                continue;
            };
            if sh.out(format!("{line}\n").as_bytes()).is_err() {
                return Ok(1);
            }
        }
        return Ok(status);
    }
    let args: &[String] = if first == "-p" || first == "--" { &args[1..] } else { args };
    if args.is_empty() {
        return Ok(0);
    }
    if is_builtin(&args[0]) {
        return super::run(sh, args);
    }
    Ok(match sh.spawn_external(args, &[], &[]) {
        Ok(pid) => sh.wait_pid(pid),
        Err(status) => status,
    })
}

/// `alias [name[=value]…]`.
pub fn alias(sh: &mut Shell, args: &[String]) -> i32 {
    let mut out = String::new();
    let mut status = 0;
    if args.is_empty() {
        for (k, v) in &sh.st.aliases {
            out.push_str(&format!("alias {k}={}\n", quote(v)));
        }
    }
    for a in args {
        match a.split_once('=') {
            Some((k, v)) => {
                sh.st.aliases.insert(k.to_string(), v.to_string());
            }
            None => match sh.st.aliases.get(a) {
                Some(v) => out.push_str(&format!("alias {a}={}\n", quote(v))),
                None => {
                    sh.error(format!("alias: {a}: not found"));
                    status = 1;
                }
            },
        }
    }
    if sh.out(out.as_bytes()).is_err() {
        return 1;
    }
    status
}

/// `unalias [-a] names…`.
pub fn unalias(sh: &mut Shell, args: &[String]) -> i32 {
    let mut status = 0;
    for a in args {
        if a == "-a" {
            sh.st.aliases.clear();
        } else if sh.st.aliases.remove(a).is_none() {
            sh.error(format!("unalias: {a}: not found"));
            status = 1;
        }
    }
    status
}

/// `umask [-S] [mode]`: kept by the shell (capsa applies the VM's umask to
/// file creation; see the documented differences).
pub fn umask(sh: &mut Shell, args: &[String]) -> i32 {
    let symbolic = args.iter().any(|a| a == "-S");
    match args.iter().find(|a| !a.starts_with('-')) {
        Some(mode) => match u32::from_str_radix(mode, 8) {
            Ok(m) if m <= 0o777 => {
                sh.st.umask = m;
                0
            }
            _ => {
                sh.error(format!("umask: {mode}: octal number out of range"));
                1
            }
        },
        None => {
            let m = sh.st.umask;
            let text = if symbolic {
                let part = |shift: u32| {
                    let bits = !(m >> shift) & 7;
                    format!(
                        "{}{}{}",
                        if bits & 4 != 0 { "r" } else { "" },
                        if bits & 2 != 0 { "w" } else { "" },
                        if bits & 1 != 0 { "x" } else { "" }
                    )
                };
                format!("u={},g={},o={}\n", part(6), part(3), part(0))
            } else {
                format!("{m:04o}\n")
            };
            i32::from(sh.out(text.as_bytes()).is_err())
        }
    }
}

/// `wait [-n] [pid | %job…]`.
pub fn wait(sh: &mut Shell, args: &[String]) -> i32 {
    if args.first().is_some_and(|a| a == "-n") {
        return wait_any(sh);
    }
    if args.is_empty() {
        let jobs = std::mem::take(&mut sh.jobs);
        for job in jobs {
            sh.wait_pid(job.pid);
        }
        return 0;
    }
    let mut status = 0;
    for a in args {
        let pid = if a.starts_with('%') {
            match sh.find_job(a) {
                Some(job) => Some(job.pid),
                None => {
                    sh.error(format!("wait: {a}: no such job"));
                    status = 127;
                    continue;
                }
            }
        } else {
            a.parse::<u32>().ok()
        };
        match pid {
            Some(pid) if sh.jobs.iter().any(|job| job.pid == pid) => {
                sh.jobs.retain(|job| job.pid != pid);
                status = sh.wait_pid(pid);
            }
            _ => {
                sh.error(format!("wait: pid {a} is not a child of this shell"));
                status = 127;
            }
        }
    }
    status
}

/// `wait -n`: the next job to end, its status; 127 without jobs.
fn wait_any(sh: &mut Shell) -> i32 {
    if let Some(job) = sh.jobs.iter().find(|job| sh.reaped.contains_key(&job.pid)).cloned() {
        sh.jobs.retain(|j| j.pid != job.pid);
        return sh.reaped.remove(&job.pid).unwrap_or(0);
    }
    while !sh.jobs.is_empty() {
        match wasi_ext::waitpid(-1, false) {
            Ok(Some((pid, status))) if sh.jobs.iter().any(|job| job.pid == pid) => {
                sh.jobs.retain(|job| job.pid != pid);
                return crate::child::status_code(status);
            }
            // A child that is not a job (already waited for by name).
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => break,
        }
    }
    127
}

/// Signal numbers by name (Linux's).
fn signal_number(name: &str) -> Option<i32> {
    let name = name.trim_start_matches("SIG");
    Some(match name {
        "HUP" => 1,
        "INT" => 2,
        "QUIT" => 3,
        "ABRT" => 6,
        "KILL" => 9,
        "USR1" => 10,
        "USR2" => 12,
        "PIPE" => 13,
        "ALRM" => 14,
        "TERM" => 15,
        "CHLD" => 17,
        "CONT" => 18,
        "STOP" => 19,
        "TSTP" => 20,
        n => return n.parse().ok(),
    })
}

/// `kill [-s SIG | -SIG] pid…`.
pub fn kill(sh: &mut Shell, args: &[String]) -> i32 {
    let mut signal = 15;
    let mut rest = args;
    if let Some(first) = args.first() {
        if first == "-s" && args.len() > 1 {
            signal = signal_number(&args[1]).unwrap_or(-1);
            rest = &args[2..];
        } else if let Some(s) = first.strip_prefix('-')
            && !s.is_empty()
        {
            signal = signal_number(s).unwrap_or(-1);
            rest = &args[1..];
        }
    }
    if signal < 0 {
        sh.error("kill: invalid signal specification");
        return 1;
    }
    let mut status = 0;
    for pid in rest {
        // A job is signalled as a whole when it leads its own group.
        let target = if pid.starts_with('%') {
            sh.find_job(pid).map(|job| if sh.job_control { -(job.pid as i32) } else { job.pid as i32 })
        } else {
            pid.parse().ok()
        };
        match target.map(|t| wasi_ext::kill(t, signal)) {
            Some(Ok(())) => {}
            _ => {
                sh.error(format!("kill: ({pid}) - No such process"));
                status = 1;
            }
        }
    }
    status
}

/// `trap [cmd] conditions…`: `EXIT` runs when the shell ends; other
/// conditions are recorded (guests cannot catch signals in capsa).
pub fn trap(sh: &mut Shell, args: &[String]) -> i32 {
    if args.is_empty() {
        let mut out = String::new();
        for (cond, cmd) in &sh.traps {
            out.push_str(&format!("trap -- {} {cond}\n", quote(cmd)));
        }
        return i32::from(sh.out(out.as_bytes()).is_err());
    }
    let (cmd, conds) = if args.len() == 1 || args[0] == "-" || args[0].parse::<u32>().is_ok() && args.len() == 1 {
        (None, args)
    } else {
        (Some(args[0].clone()), &args[1..])
    };
    let cmd = cmd.filter(|c| c != "-");
    for cond in conds {
        let name = match cond.trim_start_matches("SIG") {
            "0" | "EXIT" => "EXIT".to_string(),
            other => other.to_string(),
        };
        match &cmd {
            Some(c) => sh.traps.insert(name, c.clone()),
            None => sh.traps.remove(&name),
        };
    }
    0
}

/// `getopts optstring name [args…]`.
pub fn getopts(sh: &mut Shell, args: &[String]) -> i32 {
    let (Some(spec), Some(name)) = (args.first(), args.get(1)) else {
        sh.error("getopts: usage: getopts optstring name [arg ...]");
        return 2;
    };
    let params: Vec<String> = if args.len() > 2 { args[2..].to_vec() } else { sh.st.positional.clone() };
    let silent = spec.starts_with(':');
    let spec = spec.trim_start_matches(':');
    let mut optind: usize = sh.var("OPTIND").parse().unwrap_or(1).max(1);
    // A position inside an argument is only valid for the OPTIND it was
    // left at (`OPTIND=1` or `local OPTIND` starts over).
    let mut pos: usize = if sh.optpos_index == optind { sh.optpos } else { 0 };
    let Some(arg) = params.get(optind - 1).cloned() else {
        sh.set_var(name, "?");
        return 1;
    };
    if pos == 0 {
        if arg == "--" {
            sh.set_var("OPTIND", (optind + 1).to_string());
            sh.set_var(name, "?");
            return 1;
        }
        if !arg.starts_with('-') || arg == "-" {
            sh.set_var(name, "?");
            return 1;
        }
        pos = 1;
    }
    let chars: Vec<char> = arg.chars().collect();
    let Some(&opt) = chars.get(pos) else {
        sh.optpos = 0;
        sh.set_var(name, "?");
        return 1;
    };
    pos += 1;
    let at_end = pos >= chars.len();
    let advance = |sh: &mut Shell, optind: &mut usize, pos: usize, at_end: bool| {
        if at_end {
            *optind += 1;
            sh.optpos = 0;
        } else {
            sh.optpos = pos;
        }
        sh.optpos_index = *optind;
        sh.set_var("OPTIND", optind.to_string());
    };
    let Some(idx) = spec.find(opt).filter(|_| opt != ':') else {
        if silent {
            sh.set_var("OPTARG", opt.to_string());
        } else {
            sh.error(format!("illegal option -- {opt}"));
            let _ = sh.st.vars.unset("OPTARG");
        }
        sh.set_var(name, "?");
        advance(sh, &mut optind, pos, at_end);
        return 0;
    };
    let wants_arg = spec[idx + opt.len_utf8()..].starts_with(':');
    if wants_arg {
        let value = if !at_end {
            Some(chars[pos..].iter().collect::<String>())
        } else {
            optind += 1;
            params.get(optind - 1).cloned()
        };
        match value {
            Some(v) => {
                sh.set_var("OPTARG", v);
                sh.set_var(name, opt.to_string());
                advance(sh, &mut optind, 0, true);
            }
            None => {
                if silent {
                    sh.set_var(name, ":");
                    sh.set_var("OPTARG", opt.to_string());
                } else {
                    sh.error(format!("option requires an argument -- {opt}"));
                    sh.set_var(name, "?");
                }
                advance(sh, &mut optind, 0, false);
                sh.optpos = 0;
            }
        }
        return 0;
    }
    sh.set_var(name, opt.to_string());
    advance(sh, &mut optind, pos, at_end);
    0
}
