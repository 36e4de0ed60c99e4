//! `which [-a] NAME...`: where `PATH` finds each command, as `proc_spawn`
//! would search it (default `/usr/local/bin:/usr/bin:/bin`).
//!
//! preview1 reports no permission bits, so a candidate counts if it is a
//! regular file (after symlinks); `proc_spawn` itself also checks that the
//! caller may execute it.

use std::ffi::OsString;
use std::path::Path;

use crate::util;

pub fn main(cmd: &str, args: Vec<OsString>) -> i32 {
    let mut all = false;
    let mut names = Vec::new();
    for arg in args {
        match arg.to_str() {
            Some("-a") => all = true,
            Some(flag) if flag.starts_with('-') && flag.len() > 1 => {
                return util::usage(cmd, format!("invalid option -- '{}'", &flag[1..]), 2);
            }
            _ => names.push(arg),
        }
    }
    if names.is_empty() {
        return 1;
    }
    let path = std::env::var("PATH").unwrap_or_else(|_| "/usr/local/bin:/usr/bin:/bin".into());
    let mut status = 0;
    for name in &names {
        let name = name.to_string_lossy();
        let mut found = false;
        if name.contains('/') {
            found = Path::new(name.as_ref()).is_file();
            if found {
                println!("{name}");
            }
        } else {
            for dir in path.split(':') {
                let dir = if dir.is_empty() { "." } else { dir };
                let candidate = Path::new(dir).join(name.as_ref());
                if candidate.is_file() {
                    println!("{}", candidate.display());
                    found = true;
                    if !all {
                        break;
                    }
                }
            }
        }
        if !found {
            status = 1;
        }
    }
    status
}
