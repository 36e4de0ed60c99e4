//! `hostname [-s|-f] [NAME]`: the VM's host name, which is the first line
//! of its `/etc/hostname` (the same one `uname -n` reports). Setting it
//! rewrites that file, which only root may do.

use std::ffi::OsString;

use crate::util;

const HOSTNAME: &str = "/etc/hostname";

/// The VM's host name, or `capsa` if `/etc/hostname` is missing or empty.
pub fn current() -> String {
    std::fs::read_to_string(HOSTNAME)
        .ok()
        .and_then(|text| text.lines().next().map(|l| l.trim().to_string()))
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "capsa".into())
}

pub fn main(cmd: &str, args: Vec<OsString>) -> i32 {
    let mut short = false;
    let mut name = None;
    for arg in &args {
        match arg.to_str() {
            Some("-s" | "--short") => short = true,
            Some("-f" | "--fqdn" | "--long" | "-A" | "--all-fqdns") => {}
            Some("-i" | "--ip-address" | "-I" | "--all-ip-addresses") => {
                return util::not_supported(cmd, "a capsa VM has no network addresses");
            }
            Some("--help") => {
                println!("Usage: hostname [-s] [NAME]");
                return 0;
            }
            Some(flag) if flag.starts_with('-') => return util::usage(cmd, format!("invalid option '{flag}'"), 1),
            _ if name.is_some() => return util::usage(cmd, "too many arguments", 1),
            _ => name = Some(arg.to_string_lossy().into_owned()),
        }
    }
    if let Some(name) = name {
        if name.is_empty() || name.len() > 64 || name.contains(['\n', '/', '\0']) {
            return util::fail(cmd, "the specified hostname is invalid");
        }
        return match std::fs::write(HOSTNAME, format!("{name}\n")) {
            Ok(()) => 0,
            Err(err) if err.kind() == std::io::ErrorKind::PermissionDenied => {
                util::fail(cmd, "you must be root to change the host name")
            }
            Err(err) => util::fail(cmd, util::errmsg(&err)),
        };
    }
    let name = current();
    if short {
        println!("{}", name.split('.').next().unwrap_or(&name));
    } else {
        println!("{name}");
    }
    0
}
