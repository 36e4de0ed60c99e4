//! The TOML manifest: the same grants and limits as the command-line flags,
//! in a file. Unknown keys are errors; every error names the key and line.
//!
//! ```toml
//! env = { LANG = "C.UTF-8" }
//! random = true
//! clock = true
//! root = false                 # run as uid 0 inside the VM
//! vm_fs = false                # preopen the VM's own filesystem as `/`
//! stdin = "inherit"            # "null" | "inherit" | { file = "in.txt" }
//! stdout = "inherit"           # "null" | "inherit" | { file = "out.txt" }
//! stderr = "inherit"
//!
//! [[dir]]
//! host = "data"                # relative to the manifest's directory
//! guest = "/data"
//! read_only = true
//!
//! [net]
//! allow = ["example.org:443", "10.0.0.5:*"]   # as --allow-net
//! publish = ["8080:80"]                        # as --publish
//!
//! [limits]
//! cpu = "60s"                  # CPU time of the whole VM
//! fuel = 5_000_000_000         # deterministic metering, off unless given
//! wall = "30s"                 # "500ms", "2m", or a number of seconds
//! memory = "1GiB"              # of the whole VM; "64KiB", "1GiB", or a number of bytes
//! stack = "1MiB"
//! stdout = "1GiB"
//! stderr = "1GiB"
//! disk = "512MiB"
//! inodes = 65536
//! fds = 1024
//! processes = 64               # zombies included
//! host_fds = 256               # host files open at once through the [[dir]] grants
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::config::{DirGrant, Input, NetAllow, Output, Publish, VmConfig};

/// A manifest that could not be used: what was wrong and where.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ManifestError {
    /// The manifest file.
    pub path: PathBuf,
    /// What was wrong, with line and key when known.
    pub message: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    #[serde(default)]
    env: BTreeMap<String, String>,
    #[serde(default)]
    random: bool,
    #[serde(default)]
    clock: bool,
    #[serde(default)]
    root: bool,
    #[serde(default)]
    vm_fs: bool,
    stdin: Option<Stream>,
    stdout: Option<Stream>,
    stderr: Option<Stream>,
    #[serde(default)]
    dir: Vec<Dir>,
    #[serde(default)]
    net: NetSection,
    #[serde(default)]
    limits: LimitsSection,
}

/// `[net]`: the flags `--allow-net` and `--publish`, with their syntax.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct NetSection {
    #[serde(default)]
    allow: Vec<Parsed<NetAllow>>,
    #[serde(default)]
    publish: Vec<Parsed<Publish>>,
}

/// A string parsed with `T`'s `FromStr`, its error reported at its line.
#[derive(Debug)]
struct Parsed<T>(T);

impl<'de, T> Deserialize<'de> for Parsed<T>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        let text = String::deserialize(de)?;
        text.parse().map(Parsed).map_err(serde::de::Error::custom)
    }
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Stream {
    Named(StreamName),
    File { file: PathBuf },
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "lowercase")]
enum StreamName {
    Null,
    Inherit,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Dir {
    host: PathBuf,
    guest: String,
    #[serde(default)]
    read_only: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct LimitsSection {
    cpu: Option<DurationValue>,
    fuel: Option<u64>,
    wall: Option<DurationValue>,
    memory: Option<SizeValue>,
    stack: Option<SizeValue>,
    stdout: Option<SizeValue>,
    stderr: Option<SizeValue>,
    disk: Option<SizeValue>,
    inodes: Option<u64>,
    fds: Option<usize>,
    processes: Option<usize>,
    host_fds: Option<usize>,
}

/// A byte size: a number, or a string like `"512MiB"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SizeValue(pub u64);

impl<'de> Deserialize<'de> for SizeValue {
    fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(u64),
            Text(String),
        }
        match Raw::deserialize(de)? {
            Raw::Number(n) => Ok(SizeValue(n)),
            Raw::Text(text) => parse_size(&text).map(SizeValue).map_err(serde::de::Error::custom),
        }
    }
}

/// A duration: a number of seconds, or a string like `"30s"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DurationValue(pub Duration);

impl<'de> Deserialize<'de> for DurationValue {
    fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(u64),
            Text(String),
        }
        match Raw::deserialize(de)? {
            Raw::Number(n) => Ok(DurationValue(Duration::from_secs(n))),
            Raw::Text(text) => parse_duration(&text).map(DurationValue).map_err(serde::de::Error::custom),
        }
    }
}

/// Parses `"512MiB"`, `"64k"`, `"1G"`, `"4096"` into bytes (binary units).
///
/// # Errors
/// A message naming what was not understood.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let n: u64 = digits.parse().map_err(|_| format!("`{text}` is not a size (try \"512MiB\")"))?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        other => return Err(format!("unknown size unit `{other}` in `{text}` (use KiB, MiB, GiB)")),
    };
    n.checked_mul(1 << shift).ok_or_else(|| format!("size `{text}` is too large"))
}

/// Parses `"30s"`, `"500ms"`, `"2m"`, `"1h"`, `"10"` (seconds).
///
/// # Errors
/// A message naming what was not understood.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let n: u64 = digits.parse().map_err(|_| format!("`{text}` is not a duration (try \"30s\")"))?;
    Ok(match unit.trim() {
        "" | "s" => Duration::from_secs(n),
        "ms" => Duration::from_millis(n),
        "us" => Duration::from_micros(n),
        "m" | "min" => Duration::from_secs(n.saturating_mul(60)),
        "h" => Duration::from_secs(n.saturating_mul(3600)),
        other => return Err(format!("unknown duration unit `{other}` in `{text}` (use ms, s, m, h)")),
    })
}

/// Reads a manifest file into `config`, adding its grants and replacing the
/// limits it sets.
///
/// # Errors
/// [`ManifestError`] if the file cannot be read or is not a valid manifest.
pub fn load(path: &Path, config: &mut VmConfig) -> Result<(), ManifestError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ManifestError { path: path.to_path_buf(), message: e.to_string() })?;
    apply(&text, path.parent().unwrap_or(Path::new(".")), config)
        .map_err(|message| ManifestError { path: path.to_path_buf(), message })
}

/// Applies manifest text to `config`; relative host paths are taken relative to `base`.
///
/// # Errors
/// The parser's message (with line, column and key).
pub fn apply(text: &str, base: &Path, config: &mut VmConfig) -> Result<(), String> {
    let manifest: Manifest = toml::from_str(text).map_err(|e| e.to_string().trim_end().to_string())?;
    config.root |= manifest.root;
    let grants = &mut config.grants;
    grants.env.extend(manifest.env);
    grants.random |= manifest.random;
    grants.clock |= manifest.clock;
    grants.vm_fs |= manifest.vm_fs;
    let resolve = |p: PathBuf| if p.is_absolute() { p } else { base.join(p) };
    if let Some(stream) = manifest.stdin {
        grants.stdin = match stream {
            Stream::Named(StreamName::Null) => Input::Null,
            Stream::Named(StreamName::Inherit) => Input::Inherit,
            Stream::File { file } => Input::File(resolve(file)),
        };
    }
    for (slot, stream) in [(&mut grants.stdout, manifest.stdout), (&mut grants.stderr, manifest.stderr)] {
        if let Some(stream) = stream {
            *slot = match stream {
                Stream::Named(StreamName::Null) => Output::Null,
                Stream::Named(StreamName::Inherit) => Output::Inherit,
                Stream::File { file } => Output::File(resolve(file)),
            };
        }
    }
    for dir in manifest.dir {
        grants.dirs.push(DirGrant { host: resolve(dir.host), guest: dir.guest, read_only: dir.read_only });
    }
    grants.net.allow.extend(manifest.net.allow.into_iter().map(|Parsed(allow)| allow));
    grants.net.publish.extend(manifest.net.publish.into_iter().map(|Parsed(publish)| publish));
    let l = manifest.limits;
    let limits = &mut config.limits;
    if let Some(v) = l.fuel {
        limits.fuel = Some(v);
    }
    if let Some(v) = l.cpu {
        limits.cpu = v.0;
    }
    if let Some(v) = l.wall {
        limits.wall = v.0;
    }
    if let Some(v) = l.memory {
        limits.memory = v.0;
    }
    if let Some(v) = l.stack {
        limits.stack = usize::try_from(v.0).map_err(|_| "limits.stack is too large".to_string())?;
    }
    if let Some(v) = l.stdout {
        limits.stdout_bytes = v.0;
    }
    if let Some(v) = l.stderr {
        limits.stderr_bytes = v.0;
    }
    if let Some(v) = l.disk {
        limits.disk_bytes = v.0;
    }
    if let Some(v) = l.inodes {
        limits.disk_inodes = v;
    }
    if let Some(v) = l.fds {
        limits.fds = v;
    }
    if let Some(v) = l.processes {
        limits.processes = v;
    }
    if let Some(v) = l.host_fds {
        limits.host_fds = v;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_manifest_applies() {
        let text = r#"
env = { A = "1" }
random = true
vm_fs = true
stdout = "inherit"
stdin = { file = "in.txt" }
[[dir]]
host = "data"
guest = "/data"
read_only = true
[limits]
wall = "2s"
memory = "64MiB"
fuel = 1000
cpu = "5s"
host_fds = 12
"#;
        let mut config = VmConfig::default();
        apply(text, Path::new("/base"), &mut config).expect("valid manifest");
        assert_eq!(config.grants.env, vec![("A".to_string(), "1".to_string())]);
        assert!(config.grants.random && !config.grants.clock && config.grants.vm_fs);
        assert_eq!(config.grants.stdin, Input::File(PathBuf::from("/base/in.txt")));
        assert_eq!(config.grants.stdout, Output::Inherit);
        assert_eq!(config.grants.dirs[0].host, PathBuf::from("/base/data"));
        assert!(config.grants.dirs[0].read_only);
        assert_eq!(config.limits.wall, Duration::from_secs(2));
        assert_eq!(config.limits.memory, 64 << 20);
        assert_eq!(config.limits.fuel, Some(1000));
        assert_eq!(config.limits.cpu, Duration::from_secs(5));
        assert_eq!(config.limits.host_fds, 12);
    }

    #[test]
    fn unknown_key_is_named_with_its_line() {
        let err = apply("random = true\nrandum = true\n", Path::new("."), &mut VmConfig::default()).unwrap_err();
        assert!(err.contains("line 2"), "{err}");
        assert!(err.contains("randum"), "{err}");
    }

    #[test]
    fn net_grants_apply_and_bad_ones_name_their_line() {
        let text = "[net]\nallow = [\"example.org:443\", \"10.0.0.5:*\"]\npublish = [\"8080:80\"]\n";
        let mut config = VmConfig::default();
        apply(text, Path::new("."), &mut config).expect("valid manifest");
        let allow: Vec<_> = config.grants.net.allow.iter().map(|a| (a.host.as_str(), a.port)).collect();
        assert_eq!(allow, [("example.org", Some(443)), ("10.0.0.5", None)]);
        assert_eq!((config.grants.net.publish[0].host_port, config.grants.net.publish[0].guest_port), (8080, 80));
        let err = apply("[net]\npublish = [\"80\"]\n", Path::new("."), &mut VmConfig::default()).unwrap_err();
        assert!(err.contains("line 2") && err.contains("HOSTPORT:GUESTPORT"), "{err}");
    }

    #[test]
    fn bad_size_is_named() {
        let err = apply("[limits]\nmemory = \"12 parsecs\"\n", Path::new("."), &mut VmConfig::default()).unwrap_err();
        assert!(err.contains("line 2") && err.contains("memory"), "{err}");
    }

    #[test]
    fn sizes_and_durations_parse() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("64KiB"), Ok(64 << 10));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert!(parse_size("lots").is_err());
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert!(parse_duration("soon").is_err());
    }
}
