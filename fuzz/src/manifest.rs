//! `manifest`: text into `capsa_runtime::manifest::apply`.
//!
//! The first byte picks a mode:
//! - even: the rest is the manifest text (skipped unless UTF-8). Asserted: no
//!   panic; an error has a non-empty message; on success every granted host
//!   path is anchored at the manifest's directory (absolute), and applying
//!   the same text again gives the same configuration.
//! - odd: a structured manifest ([`Structured`]) is rendered to TOML and
//!   applied; the resulting configuration must be exactly the one computed
//!   here from the fields (limits with their units, grants added to the
//!   existing ones), or an error when a field is invalid (a negative or
//!   overflowing number, an unknown unit, a duplicate key, an unknown key).

use std::path::{Path, PathBuf};
use std::time::Duration;

use arbitrary::{Arbitrary, Unstructured};
use capsa_runtime::manifest::apply;
use capsa_runtime::{DirGrant, Input as StdinGrant, Output, VmConfig};

/// The manifest's directory.
const BASE: &str = "/manifest/dir";

/// A fuzz input.
#[derive(Debug)]
pub enum ManifestInput {
    Text(String),
    Structured(Structured),
    /// Not UTF-8: nothing to test.
    Skip,
}

impl<'a> Arbitrary<'a> for ManifestInput {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let mode = u8::arbitrary(u).unwrap_or(0);
        if mode % 2 == 0 {
            let rest = u.bytes(u.len())?;
            return Ok(match std::str::from_utf8(rest) {
                Ok(text) => ManifestInput::Text(text.to_owned()),
                Err(_) => ManifestInput::Skip,
            });
        }
        Ok(ManifestInput::Structured(Structured::arbitrary(u)?))
    }

    fn arbitrary_take_rest(mut u: Unstructured<'a>) -> arbitrary::Result<Self> {
        Self::arbitrary(&mut u)
    }
}

/// A size: a TOML integer, or a string with a unit.
#[derive(Debug, Clone, Arbitrary)]
pub enum Size {
    Number(i64),
    Text { n: u64, unit: u8, space: bool },
}

const SIZE_UNITS: [(&str, u32); 14] = [
    ("", 0),
    ("b", 0),
    ("k", 10),
    ("KiB", 10),
    ("kb", 10),
    ("MiB", 20),
    ("m", 20),
    ("G", 30),
    ("gib", 30),
    ("TiB", 40),
    ("t", 40),
    ("PiB", 99),
    ("bytes", 99),
    ("x", 99),
];

impl Size {
    fn render(&self) -> String {
        match self {
            Size::Number(n) => n.to_string(),
            Size::Text { n, unit, space } => {
                let (unit, _) = SIZE_UNITS[usize::from(*unit) % SIZE_UNITS.len()];
                format!("\"{n}{}{unit}\"", if *space { " " } else { "" })
            }
        }
    }

    /// The bytes it means, or `None` if it must be refused.
    fn expected(&self) -> Option<u64> {
        match self {
            Size::Number(n) => u64::try_from(*n).ok(),
            Size::Text { n, unit, .. } => {
                let (_, shift) = SIZE_UNITS[usize::from(*unit) % SIZE_UNITS.len()];
                if shift > 40 {
                    return None;
                }
                n.checked_mul(1u64 << shift)
            }
        }
    }
}

/// A duration: a TOML integer of seconds, or a string with a unit.
#[derive(Debug, Clone, Arbitrary)]
pub enum Wall {
    Number(i64),
    Text { n: u64, unit: u8 },
}

const DURATION_UNITS: [&str; 9] = ["", "s", "ms", "us", "m", "min", "h", "d", "sec"];

impl Wall {
    fn render(&self) -> String {
        match self {
            Wall::Number(n) => n.to_string(),
            Wall::Text { n, unit } => format!("\"{n}{}\"", DURATION_UNITS[usize::from(*unit) % DURATION_UNITS.len()]),
        }
    }

    fn expected(&self) -> Option<Duration> {
        match self {
            Wall::Number(n) => u64::try_from(*n).ok().map(Duration::from_secs),
            Wall::Text { n, unit } => match DURATION_UNITS[usize::from(*unit) % DURATION_UNITS.len()] {
                "" | "s" => Some(Duration::from_secs(*n)),
                "ms" => Some(Duration::from_millis(*n)),
                "us" => Some(Duration::from_micros(*n)),
                "m" | "min" => Some(Duration::from_secs(n.saturating_mul(60))),
                "h" => Some(Duration::from_secs(n.saturating_mul(3600))),
                _ => None,
            },
        }
    }
}

const KEYS: [&str; 7] = ["A", "LANG", "PATH", "x y", "é", "q\"uote", ""];
const VALUES: [&str; 8] = ["1", "C.UTF-8", "with \"quotes\"", "back\\slash", "new\nline", "tab\t", "ünï", ""];
const HOSTS: [&str; 6] = ["data", "/abs/path", "../up", "sub/dir", ".", ""];
const GUESTS: [&str; 5] = ["/data", "rel", "/", "", "/a/b"];
const FILES: [&str; 4] = ["in.txt", "/abs/out", "../x", ""];

/// A stream grant.
#[derive(Debug, Clone, Arbitrary)]
pub enum Stream {
    Null,
    Inherit,
    File(u8),
    Bogus,
}

impl Stream {
    fn render(&self) -> String {
        match self {
            Stream::Null => "\"null\"".into(),
            Stream::Inherit => "\"inherit\"".into(),
            Stream::File(f) => format!("{{ file = {} }}", quote(FILES[usize::from(*f) % FILES.len()])),
            Stream::Bogus => "\"pipe\"".into(),
        }
    }
}

/// A manifest built from fields.
#[derive(Debug, Clone, Arbitrary)]
pub struct Structured {
    pub env: Vec<(u8, u8)>,
    pub random: Option<bool>,
    pub clock: Option<bool>,
    pub root: Option<bool>,
    pub stdin: Option<Stream>,
    pub stdout: Option<Stream>,
    pub stderr: Option<Stream>,
    pub dirs: Vec<(u8, u8, Option<bool>)>,
    pub fuel: Option<i64>,
    pub wall: Option<Wall>,
    pub memory: Option<Size>,
    pub stack: Option<Size>,
    pub stdout_cap: Option<Size>,
    pub disk: Option<Size>,
    pub inodes: Option<i64>,
    pub fds: Option<i64>,
    pub processes: Option<i64>,
    pub unknown_key: bool,
}

/// A TOML basic string.
fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl Structured {
    pub fn render(&self) -> String {
        let mut t = String::new();
        if !self.env.is_empty() {
            let pairs: Vec<String> = self
                .env
                .iter()
                .map(|(k, v)| {
                    let k = KEYS[usize::from(*k) % KEYS.len()];
                    let v = VALUES[usize::from(*v) % VALUES.len()];
                    format!("{} = {}", quote(k), quote(v))
                })
                .collect();
            t.push_str(&format!("env = {{ {} }}\n", pairs.join(", ")));
        }
        for (key, value) in [("random", self.random), ("clock", self.clock), ("root", self.root)] {
            if let Some(v) = value {
                t.push_str(&format!("{key} = {v}\n"));
            }
        }
        for (key, stream) in [("stdin", &self.stdin), ("stdout", &self.stdout), ("stderr", &self.stderr)] {
            if let Some(s) = stream {
                t.push_str(&format!("{key} = {}\n", s.render()));
            }
        }
        if self.unknown_key {
            t.push_str("colour = true\n");
        }
        for (host, guest, ro) in &self.dirs {
            t.push_str("[[dir]]\n");
            t.push_str(&format!("host = {}\n", quote(HOSTS[usize::from(*host) % HOSTS.len()])));
            t.push_str(&format!("guest = {}\n", quote(GUESTS[usize::from(*guest) % GUESTS.len()])));
            if let Some(ro) = ro {
                t.push_str(&format!("read_only = {ro}\n"));
            }
        }
        t.push_str("[limits]\n");
        let ints = [("fuel", self.fuel), ("inodes", self.inodes), ("fds", self.fds), ("processes", self.processes)];
        for (key, value) in ints {
            if let Some(v) = value {
                t.push_str(&format!("{key} = {v}\n"));
            }
        }
        if let Some(w) = &self.wall {
            t.push_str(&format!("wall = {}\n", w.render()));
        }
        let sizes =
            [("memory", &self.memory), ("stack", &self.stack), ("stdout", &self.stdout_cap), ("disk", &self.disk)];
        for (key, value) in sizes {
            if let Some(s) = value {
                t.push_str(&format!("{key} = {}\n", s.render()));
            }
        }
        t
    }

    /// The configuration `apply` must produce from `base`, or `None` if it must fail.
    pub fn expected(&self, base: &VmConfig) -> Option<VmConfig> {
        let mut c = base.clone();
        if self.unknown_key {
            return None;
        }
        let mut env = std::collections::BTreeMap::new();
        for (k, v) in &self.env {
            let k = KEYS[usize::from(*k) % KEYS.len()];
            if env.insert(k.to_owned(), VALUES[usize::from(*v) % VALUES.len()].to_owned()).is_some() {
                return None; // a duplicate key
            }
        }
        c.grants.env.extend(env);
        c.grants.random |= self.random.unwrap_or(false);
        c.grants.clock |= self.clock.unwrap_or(false);
        c.root |= self.root.unwrap_or(false);
        let anchored = |p: &str| {
            let p = PathBuf::from(p);
            if p.is_absolute() { p } else { Path::new(BASE).join(p) }
        };
        let file = |f: &u8| anchored(FILES[usize::from(*f) % FILES.len()]);
        if let Some(s) = &self.stdin {
            c.grants.stdin = match s {
                Stream::Null => StdinGrant::Null,
                Stream::Inherit => StdinGrant::Inherit,
                Stream::File(f) => StdinGrant::File(file(f)),
                Stream::Bogus => return None,
            };
        }
        for (slot, stream) in [(&mut c.grants.stdout, &self.stdout), (&mut c.grants.stderr, &self.stderr)] {
            if let Some(s) = stream {
                *slot = match s {
                    Stream::Null => Output::Null,
                    Stream::Inherit => Output::Inherit,
                    Stream::File(f) => Output::File(file(f)),
                    Stream::Bogus => return None,
                };
            }
        }
        for (host, guest, ro) in &self.dirs {
            c.grants.dirs.push(DirGrant {
                host: anchored(HOSTS[usize::from(*host) % HOSTS.len()]),
                guest: GUESTS[usize::from(*guest) % GUESTS.len()].to_owned(),
                read_only: ro.unwrap_or(false),
            });
        }
        let l = &mut c.limits;
        if let Some(v) = self.fuel {
            l.fuel = Some(u64::try_from(v).ok()?);
        }
        if let Some(v) = self.inodes {
            l.disk_inodes = u64::try_from(v).ok()?;
        }
        if let Some(v) = self.fds {
            l.fds = usize::try_from(v).ok()?;
        }
        if let Some(v) = self.processes {
            l.processes = usize::try_from(v).ok()?;
        }
        if let Some(w) = &self.wall {
            l.wall = w.expected()?;
        }
        if let Some(s) = &self.memory {
            l.memory = s.expected()?;
        }
        if let Some(s) = &self.stack {
            l.stack = usize::try_from(s.expected()?).ok()?;
        }
        if let Some(s) = &self.stdout_cap {
            l.stdout_bytes = s.expected()?;
        }
        if let Some(s) = &self.disk {
            l.disk_bytes = s.expected()?;
        }
        Some(c)
    }
}

/// A configuration with grants already in it (as the CLI's flags would add),
/// to check that a manifest adds to grants rather than replacing them.
fn base_config() -> VmConfig {
    let mut c = VmConfig::default();
    c.grants.env.push(("FROM_FLAGS".into(), "1".into()));
    c.grants.dirs.push(DirGrant { host: "/flags".into(), guest: "/flags".into(), read_only: true });
    c
}

/// What a manifest can change: grants, limits, root.
fn summary(c: &VmConfig) -> (&capsa_runtime::Grants, &capsa_runtime::Limits, bool) {
    (&c.grants, &c.limits, c.root)
}

/// Runs one input; panics on a broken invariant.
pub fn run(input: &ManifestInput) {
    let base = Path::new(BASE);
    match input {
        ManifestInput::Skip => {}
        ManifestInput::Text(text) => {
            let mut first = base_config();
            match apply(text, base, &mut first) {
                Err(message) => assert!(!message.trim().is_empty(), "an empty error message for {text:?}"),
                Ok(()) => {
                    for dir in &first.grants.dirs {
                        assert!(dir.host.is_absolute(), "dir grant not anchored at the manifest: {dir:?}");
                    }
                    if let StdinGrant::File(p) = &first.grants.stdin {
                        assert!(p.is_absolute(), "stdin file not anchored: {p:?}");
                    }
                    for out in [&first.grants.stdout, &first.grants.stderr] {
                        if let Output::File(p) = out {
                            assert!(p.is_absolute(), "output file not anchored: {p:?}");
                        }
                    }
                    let mut second = base_config();
                    assert!(apply(text, base, &mut second).is_ok(), "the same manifest failed the second time");
                    assert_eq!(summary(&first), summary(&second), "applying the same manifest twice differs");
                }
            }
        }
        ManifestInput::Structured(s) => {
            let text = s.render();
            let mut got = base_config();
            let result = apply(&text, base, &mut got);
            match (s.expected(&base_config()), result) {
                (Some(want), Ok(())) => assert_eq!(summary(&got), summary(&want), "manifest:\n{text}"),
                (None, Err(message)) => assert!(!message.trim().is_empty(), "an empty error message for:\n{text}"),
                (Some(_), Err(message)) => panic!("a valid manifest was refused: {message}\nmanifest:\n{text}"),
                (None, Ok(())) => panic!("an invalid manifest was accepted as {:?}\nmanifest:\n{text}", summary(&got)),
            }
        }
    }
}
