//! `df [-h] [-k] [-T] [-P] [FILE]...`: the VM's file systems: the VM root
//! and each granted host directory (its preopens).
//!
//! preview1 has no `statvfs` and capsa-abi 0.2 no call that reports a VM's
//! quota or its use, so the sizes are shown as `-` (as GNU `df` shows them
//! for file systems that report none); only the mount points are real.

use std::ffi::OsString;
use std::path::Path;

use crate::util;

/// A mounted file system: the guest path of a preopen.
struct Mount {
    path: String,
}

/// The preopened directories: fd 3 upwards until `EBADF`.
fn mounts() -> Vec<Mount> {
    let mut found = Vec::new();
    for fd in 3u32..1024 {
        // SAFETY: `fd_prestat_get` takes an fd number and returns a value;
        // every prestat capsa returns is a directory (tag 0), whose union
        // member `dir` is therefore the initialised one.
        let Ok(len) = (unsafe { wasi::fd_prestat_get(fd).map(|p| p.u.dir.pr_name_len) }) else { break };
        let mut name = vec![0u8; len];
        // SAFETY: `name` is a live buffer of exactly `len` bytes.
        if unsafe { wasi::fd_prestat_dir_name(fd, name.as_mut_ptr(), len) }.is_ok() {
            let path = String::from_utf8_lossy(&name).trim_end_matches('\0').to_string();
            found.push(Mount { path });
        }
    }
    found
}

pub fn main(cmd: &str, args: Vec<OsString>) -> i32 {
    let (mut human, mut show_type) = (false, false);
    let mut files = Vec::new();
    for arg in &args {
        match arg.to_str() {
            Some("-h" | "--human-readable" | "-H" | "--si") => human = true,
            Some("-T" | "--print-type") => show_type = true,
            Some("-k" | "-P" | "--portability" | "-a" | "--all" | "-l" | "--local") => {}
            Some("-i" | "--inodes") => {
                return util::not_supported(cmd, "inode counts: preview1 has no statvfs");
            }
            Some("--help") => {
                println!("Usage: df [OPTION]... [FILE]...");
                return 0;
            }
            Some(flag) if flag.starts_with('-') && flag.len() > 1 => {
                return util::usage(cmd, format!("invalid option '{flag}'"), 1);
            }
            _ => files.push(arg.clone()),
        }
    }
    let all = mounts();
    let mut status = 0;
    let chosen: Vec<&Mount> = if files.is_empty() {
        all.iter().collect()
    } else {
        let mut chosen = Vec::new();
        for file in &files {
            if let Err(err) = crate::files::stat(Path::new(file), true) {
                status = util::fail(cmd, format!("{}: {}", util::quote(file), util::errmsg(&err)));
                continue;
            }
            let abs = std::path::absolute(file).unwrap_or_else(|_| Path::new(file).to_path_buf());
            let best = all
                .iter()
                .filter(|m| m.path == "/" || abs.starts_with(&m.path))
                .max_by_key(|m| if m.path == "/" { 0 } else { m.path.len() });
            if let Some(best) = best {
                chosen.push(best);
            }
        }
        chosen
    };
    let size_header = if human { "Size" } else { "1K-blocks" };
    let type_col = |t: &str| if show_type { format!(" {t:<5}") } else { String::new() };
    println!(
        "{:<14}{} {size_header:>9} {:>5} {:>9} {:>4} Mounted on",
        "Filesystem",
        type_col("Type"),
        "Used",
        "Available",
        "Use%"
    );
    for mount in chosen {
        let (name, kind) = if mount.path == "/" { ("capsa", "vfs") } else { ("host", "host") };
        println!("{name:<14}{} {:>9} {:>5} {:>9} {:>4} {}", type_col(kind), "-", "-", "-", "-", mount.path);
    }
    status
}
