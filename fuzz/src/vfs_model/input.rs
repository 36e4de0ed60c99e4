//! The `vfs_model` input: a sequence of VFS operations in a compact byte
//! format (one byte per field), so that inputs can be written by hand
//! ([`Op::encode`]) and every byte string decodes to something meaningful.
//!
//! Op byte: bits 0-3 the kind, bit 4 "as uid 1000" (else root), bit 5 "follow
//! symlinks" (stat, chmod, link). Then per kind:
//!
//! | kind | fields |
//! |---|---|
//! | 0 open | base, path, flags, mode, slot |
//! | 1 write | slot, offset, len, fill |
//! | 2 read | slot, offset, len |
//! | 3 truncate | slot, size |
//! | 4 mkdir | base, path, mode |
//! | 5 rmdir, 6 unlink, 10 readlink, 11 stat | base, path |
//! | 7 rename, 8 link | base, path, base, path |
//! | 9 symlink | target, base, path |
//! | 12 chmod | base, path, mode |
//! | 13 readdir, 14 close, 15 fstat | slot |
//!
//! A path is a header byte (bits 0-2: component count mod 5, bit 3 absolute,
//! bit 4 trailing slash) and one byte per component (index into [`COMPONENTS`]).
//! A base byte below 4 is the VM root, else the handle in slot `byte % 4`.

use arbitrary::{Arbitrary, Unstructured};

/// Most operations one input runs.
pub const MAX_OPS: usize = 64;
/// Handle slots.
pub const SLOTS: usize = 4;
/// Path components: a small alphabet of names (some created by the layer and
/// the mount), and the dots.
pub const COMPONENTS: [&str; 7] = ["a", "b", "c", "tmp", "ro", ".", ".."];
/// Symlink targets: relative, absolute, dots, trailing slashes, into and out of the mount.
pub const TARGETS: [&str; 16] =
    ["a", "b", "c", "a/", "..", ".", "/", "/a", "../a", "b/a", "ro/a", "/ro/c", "tmp/a", "a/a", "../../b", ""];
/// Modes for open(create), mkdir and chmod (no setgid: directory group
/// inheritance is not part of the kernel's model, see `model.rs`).
pub const MODES: [u32; 10] = [0o644, 0o600, 0o755, 0o777, 0o000, 0o444, 0o1777, 0o700, 0o4755, 0o311];

/// An input: the operations, in order.
#[derive(Debug, Clone)]
pub struct Input {
    pub ops: Vec<Op>,
}

/// Which directory a path is resolved beneath.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Base {
    Root,
    Slot(usize),
}

/// A path over [`COMPONENTS`].
#[derive(Clone, PartialEq, Eq)]
pub struct PathSpec {
    pub absolute: bool,
    pub components: Vec<u8>,
    pub trailing: bool,
}

impl PathSpec {
    /// The path as a string (`""` when it has no component and is not absolute).
    pub fn render(&self) -> String {
        let mut out = String::new();
        if self.absolute {
            out.push('/');
        }
        let names: Vec<&str> = self.components.iter().map(|c| COMPONENTS[*c as usize % COMPONENTS.len()]).collect();
        out.push_str(&names.join("/"));
        if self.trailing && !names.is_empty() {
            out.push('/');
        }
        out
    }

    /// Parses a path written with [`COMPONENTS`] (for hand-written seeds).
    pub fn parse(text: &str) -> PathSpec {
        let components = text
            .split('/')
            .filter(|c| !c.is_empty())
            .map(|c| COMPONENTS.iter().position(|k| *k == c).expect("component not in the alphabet") as u8)
            .collect();
        PathSpec { absolute: text.starts_with('/'), components, trailing: text.len() > 1 && text.ends_with('/') }
    }
}

impl std::fmt::Debug for PathSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.render())
    }
}

/// `open` flags.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OpenFlags {
    pub read: bool,
    pub write: bool,
    pub create: bool,
    pub exclusive: bool,
    pub truncate: bool,
    pub directory: bool,
    pub follow: bool,
    pub append: bool,
}

impl OpenFlags {
    fn from_byte(b: u8) -> Self {
        OpenFlags {
            read: b & 1 != 0,
            write: b & 2 != 0,
            create: b & 4 != 0,
            exclusive: b & 8 != 0,
            truncate: b & 16 != 0,
            directory: b & 32 != 0,
            follow: b & 64 != 0,
            append: b & 128 != 0,
        }
    }

    fn to_byte(self) -> u8 {
        [self.read, self.write, self.create, self.exclusive, self.truncate, self.directory, self.follow, self.append]
            .iter()
            .enumerate()
            .map(|(i, set)| u8::from(*set) << i)
            .sum()
    }
}

/// One operation; `user` runs it as uid 1000 (else root).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Open { user: bool, base: Base, path: PathSpec, flags: OpenFlags, mode: u32, slot: usize },
    Write { slot: usize, offset: u64, data: Vec<u8> },
    Read { slot: usize, offset: u64, len: usize },
    Truncate { slot: usize, size: u64 },
    Mkdir { user: bool, base: Base, path: PathSpec, mode: u32 },
    Rmdir { user: bool, base: Base, path: PathSpec },
    Unlink { user: bool, base: Base, path: PathSpec },
    Rename { user: bool, base: Base, old: PathSpec, new_base: Base, new: PathSpec },
    Link { user: bool, follow: bool, base: Base, old: PathSpec, new_base: Base, new: PathSpec },
    Symlink { user: bool, target: String, base: Base, path: PathSpec },
    Readlink { user: bool, base: Base, path: PathSpec },
    Stat { user: bool, follow: bool, base: Base, path: PathSpec },
    Chmod { user: bool, follow: bool, base: Base, path: PathSpec, mode: u32 },
    Readdir { slot: usize },
    Close { slot: usize },
    Fstat { slot: usize },
}

/// Offsets and sizes: mostly small (the quota is small), plus the edges.
const BIG: [u64; 16] = [
    597,
    598,
    599,
    600,
    601,
    1 << 20,
    1 << 32,
    1 << 62,
    (i64::MAX as u64) - 10,
    i64::MAX as u64,
    (i64::MAX as u64) + 1,
    u64::MAX - 10,
    u64::MAX - 1,
    u64::MAX,
    4096,
    65536,
];

fn offset_from(b: u8) -> u64 {
    if b < 0xF0 { u64::from(b) * 3 } else { BIG[usize::from(b - 0xF0)] }
}

fn offset_to(v: u64) -> u8 {
    if let Some(i) = BIG.iter().position(|x| *x == v) {
        return 0xF0 + i as u8;
    }
    assert!(v % 3 == 0 && v / 3 < 0xF0, "offset {v} has no encoding");
    (v / 3) as u8
}

struct Reader<'a, 'b>(&'b mut Unstructured<'a>);

impl Reader<'_, '_> {
    fn byte(&mut self) -> u8 {
        u8::arbitrary(self.0).unwrap_or(0)
    }
    fn base(&mut self) -> Base {
        let b = self.byte();
        if b % 8 < 4 { Base::Root } else { Base::Slot(usize::from(b) % SLOTS) }
    }
    fn path(&mut self) -> PathSpec {
        let h = self.byte();
        let count = (h & 7) % 5;
        let components = (0..count).map(|_| self.byte() % COMPONENTS.len() as u8).collect();
        PathSpec { absolute: h & 8 != 0, components, trailing: h & 16 != 0 }
    }
    fn mode(&mut self) -> u32 {
        MODES[usize::from(self.byte()) % MODES.len()]
    }
    fn slot(&mut self) -> usize {
        usize::from(self.byte()) % SLOTS
    }
}

impl Op {
    fn decode(r: &mut Reader<'_, '_>) -> Op {
        let op = r.byte();
        let user = op & 0x10 != 0;
        let follow = op & 0x20 != 0;
        match op & 0xF {
            0 => Op::Open {
                user,
                base: r.base(),
                path: r.path(),
                flags: OpenFlags::from_byte(r.byte()),
                mode: r.mode(),
                slot: r.slot(),
            },
            1 => {
                let slot = r.slot();
                let offset = offset_from(r.byte());
                let len = usize::from(r.byte() % 48);
                let fill = r.byte();
                Op::Write { slot, offset, data: (0..len).map(|i| fill.wrapping_add(i as u8)).collect() }
            }
            2 => Op::Read { slot: r.slot(), offset: offset_from(r.byte()), len: usize::from(r.byte()) },
            3 => Op::Truncate { slot: r.slot(), size: offset_from(r.byte()) },
            4 => Op::Mkdir { user, base: r.base(), path: r.path(), mode: r.mode() },
            5 => Op::Rmdir { user, base: r.base(), path: r.path() },
            6 => Op::Unlink { user, base: r.base(), path: r.path() },
            7 => Op::Rename { user, base: r.base(), old: r.path(), new_base: r.base(), new: r.path() },
            8 => Op::Link { user, follow, base: r.base(), old: r.path(), new_base: r.base(), new: r.path() },
            9 => {
                let target = TARGETS[usize::from(r.byte()) % TARGETS.len()].to_string();
                Op::Symlink { user, target, base: r.base(), path: r.path() }
            }
            10 => Op::Readlink { user, base: r.base(), path: r.path() },
            11 => Op::Stat { user, follow, base: r.base(), path: r.path() },
            12 => Op::Chmod { user, follow, base: r.base(), path: r.path(), mode: r.mode() },
            13 => Op::Readdir { slot: r.slot() },
            14 => Op::Close { slot: r.slot() },
            _ => Op::Fstat { slot: r.slot() },
        }
    }

    /// The bytes that decode to this op (for hand-written seeds).
    pub fn encode(&self) -> Vec<u8> {
        fn base(b: Base) -> u8 {
            match b {
                Base::Root => 0,
                Base::Slot(s) => 4 + s as u8,
            }
        }
        fn path(p: &PathSpec) -> Vec<u8> {
            assert!(p.components.len() < 5);
            let mut out = vec![p.components.len() as u8 | u8::from(p.absolute) << 3 | u8::from(p.trailing) << 4];
            out.extend(&p.components);
            out
        }
        fn mode(m: u32) -> u8 {
            MODES.iter().position(|x| *x == m).expect("mode not in MODES") as u8
        }
        let flags = |kind: u8, user: bool, follow: bool| kind | u8::from(user) << 4 | u8::from(follow) << 5;
        let mut out = Vec::new();
        match self {
            Op::Open { user, base: b, path: p, flags: f, mode: m, slot } => {
                out.extend([flags(0, *user, false), base(*b)]);
                out.extend(path(p));
                out.extend([f.to_byte(), mode(*m), *slot as u8]);
            }
            Op::Write { slot, offset, data } => {
                let fill = data.first().copied().unwrap_or(0);
                assert!(data.iter().enumerate().all(|(i, b)| *b == fill.wrapping_add(i as u8)) && data.len() < 48);
                out.extend([1, *slot as u8, offset_to(*offset), data.len() as u8, fill]);
            }
            Op::Read { slot, offset, len } => out.extend([2, *slot as u8, offset_to(*offset), *len as u8]),
            Op::Truncate { slot, size } => out.extend([3, *slot as u8, offset_to(*size)]),
            Op::Mkdir { user, base: b, path: p, mode: m } => {
                out.extend([flags(4, *user, false), base(*b)]);
                out.extend(path(p));
                out.push(mode(*m));
            }
            Op::Rmdir { user, base: b, path: p }
            | Op::Unlink { user, base: b, path: p }
            | Op::Readlink { user, base: b, path: p } => {
                let kind = match self {
                    Op::Rmdir { .. } => 5,
                    Op::Unlink { .. } => 6,
                    _ => 10,
                };
                out.extend([flags(kind, *user, false), base(*b)]);
                out.extend(path(p));
            }
            Op::Stat { user, follow, base: b, path: p } => {
                out.extend([flags(11, *user, *follow), base(*b)]);
                out.extend(path(p));
            }
            Op::Rename { user, base: b, old, new_base, new } => {
                out.extend([flags(7, *user, false), base(*b)]);
                out.extend(path(old));
                out.push(base(*new_base));
                out.extend(path(new));
            }
            Op::Link { user, follow, base: b, old, new_base, new } => {
                out.extend([flags(8, *user, *follow), base(*b)]);
                out.extend(path(old));
                out.push(base(*new_base));
                out.extend(path(new));
            }
            Op::Symlink { user, target, base: b, path: p } => {
                let t = TARGETS.iter().position(|x| x == target).expect("target not in TARGETS") as u8;
                out.extend([flags(9, *user, false), t, base(*b)]);
                out.extend(path(p));
            }
            Op::Chmod { user, follow, base: b, path: p, mode: m } => {
                out.extend([flags(12, *user, *follow), base(*b)]);
                out.extend(path(p));
                out.push(mode(*m));
            }
            Op::Readdir { slot } => out.extend([13, *slot as u8]),
            Op::Close { slot } => out.extend([14, *slot as u8]),
            Op::Fstat { slot } => out.extend([15, *slot as u8]),
        }
        out
    }
}

impl<'a> Arbitrary<'a> for Input {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let mut ops = Vec::new();
        let mut r = Reader(u);
        while !r.0.is_empty() && ops.len() < MAX_OPS {
            ops.push(Op::decode(&mut r));
        }
        Ok(Input { ops })
    }

    fn arbitrary_take_rest(mut u: Unstructured<'a>) -> arbitrary::Result<Self> {
        Self::arbitrary(&mut u)
    }
}

impl Input {
    /// The bytes that decode to this input.
    pub fn encode(&self) -> Vec<u8> {
        self.ops.iter().flat_map(Op::encode).collect()
    }
}
