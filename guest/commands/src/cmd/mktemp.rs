//! `mktemp [-d] [-u] [-q] [-p DIR] [-t] [--suffix=SUFF] [TEMPLATE]`:
//! creates a file (or directory) with a unique name and prints it.
//!
//! The random letters come from `random_get` when the VM has the entropy
//! grant, else from a generator seeded with the pid; uniqueness never depends
//! on them, because each name is created exclusively (`O_EXCL`) and another
//! is tried if it exists. preview1 cannot set permission bits, so the file
//! gets the default mode under the umask (0644, not GNU's 0600; directories
//! 0755, not 0700).

use std::ffi::OsString;
use std::path::PathBuf;

use lexopt::prelude::*;

use crate::util;

const DEFAULT_TEMPLATE: &str = "tmp.XXXXXXXXXX";
const LETTERS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const ATTEMPTS: u32 = 10_000;

pub fn main(cmd: &str, args: Vec<OsString>) -> i32 {
    let (mut dir_mode, mut dry_run, mut quiet, mut t_flag) = (false, false, false, false);
    let mut tmpdir: Option<Option<String>> = None;
    let mut suffix: Option<String> = None;
    let mut templates = Vec::new();
    let mut parser = lexopt::Parser::from_args(args);
    loop {
        let arg = match parser.next() {
            Ok(Some(arg)) => arg,
            Ok(None) => break,
            Err(err) => return util::bad_usage(cmd, err, 1),
        };
        let result = match arg {
            Short('d') | Long("directory") => {
                dir_mode = true;
                Ok(())
            }
            Short('u') | Long("dry-run") => {
                dry_run = true;
                Ok(())
            }
            Short('q') | Long("quiet") => {
                quiet = true;
                Ok(())
            }
            Short('t') => {
                t_flag = true;
                Ok(())
            }
            Short('p') => {
                parser.value().map_err(|e| e.to_string()).and_then(util::string).map(|v| tmpdir = Some(Some(v)))
            }
            Long("tmpdir") => match parser.optional_value() {
                Some(v) => util::string(v).map(|v| tmpdir = Some(Some(v))),
                None => {
                    tmpdir = Some(None);
                    Ok(())
                }
            },
            Long("suffix") => {
                parser.value().map_err(|e| e.to_string()).and_then(util::string).map(|v| suffix = Some(v))
            }
            Long("help") => {
                println!("Usage: mktemp [OPTION]... [TEMPLATE]");
                return 0;
            }
            Value(v) => util::string(v).map(|v| templates.push(v)),
            other => Err(other.unexpected().to_string()),
        };
        if let Err(err) = result {
            return util::usage(cmd, err, 1);
        }
    }
    if templates.len() > 1 {
        return util::usage(cmd, "too many templates", 1);
    }
    let explicit = templates.pop();
    let template = explicit.clone().unwrap_or_else(|| DEFAULT_TEMPLATE.to_string());
    // Where it goes: -p DIR / --tmpdir[=DIR] / -t / no template → $TMPDIR or /tmp.
    let env_tmp = || std::env::var("TMPDIR").ok().filter(|d| !d.is_empty()).unwrap_or_else(|| "/tmp".into());
    let base: Option<String> = match (&tmpdir, t_flag, &explicit) {
        (Some(Some(dir)), _, _) if !dir.is_empty() => Some(dir.clone()),
        (Some(_), _, _) => Some(env_tmp()),
        (None, true, _) | (None, false, None) => Some(env_tmp()),
        (None, false, Some(_)) => None,
    };
    if base.is_some() && template.contains('/') && (t_flag || tmpdir.is_some()) {
        return util::fail(cmd, format!("invalid template, '{template}', contains directory separator"));
    }
    // The X's: the last run of them, before any --suffix.
    let (stem, suffix) = match &suffix {
        Some(suffix) => (template.as_str(), suffix.clone()),
        None => {
            let end = template.rfind('X').map_or(0, |i| i + 1);
            (&template[..end], template[end..].to_string())
        }
    };
    if suffix.contains('/') {
        return util::fail(cmd, format!("invalid suffix '{suffix}', contains directory separator"));
    }
    let xs = stem.len() - stem.trim_end_matches('X').len();
    if xs < 3 {
        return util::fail(cmd, format!("too few X's in template '{template}'"));
    }
    let prefix = &stem[..stem.len() - xs];

    let mut rng = Rng::new();
    for _ in 0..ATTEMPTS {
        let letters: String = (0..xs).map(|_| LETTERS[rng.below(LETTERS.len())] as char).collect();
        let name = format!("{prefix}{letters}{suffix}");
        let path = match &base {
            Some(dir) => PathBuf::from(dir).join(&name),
            None => PathBuf::from(&name),
        };
        let created = if dry_run {
            if path.symlink_metadata().is_ok() { Err(std::io::ErrorKind::AlreadyExists.into()) } else { Ok(()) }
        } else if dir_mode {
            std::fs::create_dir(&path)
        } else {
            std::fs::OpenOptions::new().write(true).create_new(true).open(&path).map(drop)
        };
        match created {
            Ok(()) => {
                println!("{}", path.display());
                return 0;
            }
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(err) => {
                if !quiet {
                    let what = if dir_mode { "directory" } else { "file" };
                    let shown = match &base {
                        Some(dir) => PathBuf::from(dir).join(&template).display().to_string(),
                        None => template.clone(),
                    };
                    eprintln!("{cmd}: failed to create {what} via template '{shown}': {}", util::errmsg(&err));
                }
                return 1;
            }
        }
    }
    if !quiet {
        eprintln!("{cmd}: failed to create a unique name from template '{template}'");
    }
    1
}

/// xorshift64*, seeded from `random_get` if granted, else from the pid.
struct Rng(u64);

impl Rng {
    fn new() -> Rng {
        let mut seed = [0u8; 8];
        // SAFETY: `seed` is a live 8-byte buffer that `random_get` fills.
        let random = unsafe { wasi::random_get(seed.as_mut_ptr(), seed.len()) }.is_ok();
        let mut state = u64::from_le_bytes(seed);
        if !random {
            let pid = u64::from(wasi_ext::getpid().unwrap_or(1));
            state = pid.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (&seed as *const _ as u64);
        }
        Rng(state | 1)
    }

    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n
    }
}
