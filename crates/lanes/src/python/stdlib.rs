//! What the install makes of the wheel's standard-library zip, once, so the
//! reactor finds what it needs and imports fast:
//!
//! - **matplotlib as files.** matplotlib finds its data (`matplotlibrc`,
//!   fonts, styles) next to its `__file__`, and the wheel keeps that data as
//!   a second archive inside the zip (`matplotlib/mpl-data.zip`), where no
//!   path reaches it. matplotlib's modules and that inner archive are
//!   unpacked to [`UNZIPPED`]; the start puts it on `sys.path` just before
//!   the zip. Its compiled parts are built into the reactor and are found by
//!   name, wherever the package's modules are.
//! - **The time-zone database as files**, at [`ZONEINFO`] (granted at
//!   `/usr/share/zoneinfo`, where dateutil and C programs look): without it
//!   `import pandas` makes dateutil parse every zone of its own tarball
//!   (about 0.2 s in a VM).
//! - **The zip stored, not deflated**: the same members, uncompressed, so an
//!   import reads its module instead of inflating it (the deflate took about
//!   a tenth of `import numpy, pandas`).
//!
//! The zip is the pinned wheel's (its sha256 was checked); every member is
//! still taken only as a plain relative name, only as a regular file.

use std::fs::File;
use std::io::{Cursor, Read};
use std::path::{Component, Path, PathBuf};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

use crate::LaneError;

/// Where matplotlib is unpacked, under the install (and under
/// [`super::PREFIX`] in a VM).
pub const UNZIPPED: &str = "lib/python3.15/unzipped";
/// Where the time-zone database is unpacked, under the install.
pub const ZONEINFO: &str = "share/zoneinfo";

/// The standard-library zip, under the install.
const ZIP: &str = "lib/python315.zip";
/// Written once everything else is in place.
const DONE: &str = "lib/python3.15/.prepared";
/// The package unpacked, as its prefix in the zip.
const PACKAGE: &str = "matplotlib/";
/// matplotlib's data, an archive inside the zip.
const DATA_ZIP: &str = "matplotlib/mpl-data.zip";
/// Where the data's members go, below [`UNZIPPED`].
const DATA_DIR: &str = "matplotlib/mpl-data";
/// A file matplotlib's data always holds.
const MATPLOTLIBRC: &str = "matplotlib/mpl-data/matplotlibrc";
/// The time-zone files, as their prefix in the zip (the `tzdata` package).
const TZDATA: &str = "tzdata/zoneinfo/";
/// The most the inner archive may hold, read into memory (it is 9.7 MB).
const MAX_DATA_ZIP: u64 = 64 << 20;

/// Prepares the install's zip (see the module doc) unless it is.
///
/// # Errors
/// The zip is unreadable, holds a name that is not a plain relative path,
/// lacks matplotlib's data, or writing failed.
pub(crate) fn prepare(install: &Path) -> Result<(), LaneError> {
    let done = install.join(DONE);
    if done.is_file() {
        return Ok(());
    }
    let zip_path = install.join(ZIP);
    // Everything is made in a staging directory and moved into place, the
    // marker last: a half-done preparation is done again, never used.
    let staging = tempfile::Builder::new().prefix(".prepare-").tempdir_in(install).map_err(|e| io(install, e))?;
    let stage = staging.path();
    let stored = stage.join("python315.zip");
    let mut outer =
        ZipArchive::new(File::open(&zip_path).map_err(|e| io(&zip_path, e))?).map_err(|e| bad(&zip_path, &e))?;
    let out = File::create(&stored).map_err(|e| io(&stored, e))?;
    let mut writer = ZipWriter::new(out);
    let mut data = None;
    for index in 0..outer.len() {
        let mut member = outer.by_index(index).map_err(|e| bad(&zip_path, &e))?;
        let name = member.name().map_err(|e| bad(&zip_path, &e))?.into_owned();
        if !member.is_file() {
            continue;
        }
        let mut bytes = Vec::with_capacity(usize::try_from(member.size()).unwrap_or(0).min(MAX_DATA_ZIP as usize));
        member.by_ref().take(MAX_DATA_ZIP + 1).read_to_end(&mut bytes).map_err(|e| io(&zip_path, e))?;
        if bytes.len() as u64 > MAX_DATA_ZIP {
            return Err(bad(&zip_path, &format!("{name} is over {MAX_DATA_ZIP} bytes")));
        }
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Stored)
            .last_modified_time(member.last_modified().unwrap_or_default());
        writer.start_file(name.as_str(), options).map_err(|e| bad(&stored, &e))?;
        std::io::Write::write_all(&mut writer, &bytes).map_err(|e| io(&stored, e))?;
        if name == DATA_ZIP {
            data = Some(bytes);
        } else if name.starts_with(PACKAGE) {
            write_member(&zip_path, &bytes, &name, &stage.join("unzipped"))?;
        } else if let Some(zone) = name.strip_prefix(TZDATA) {
            write_member(&zip_path, &bytes, zone, &stage.join("zoneinfo"))?;
        }
    }
    writer.finish().map_err(|e| bad(&stored, &e))?;
    let Some(data) = data else { return Err(bad(&zip_path, &format!("it holds no {DATA_ZIP}"))) };
    let mut inner = ZipArchive::new(Cursor::new(data)).map_err(|e| bad(&zip_path, &e))?;
    let data_dir = stage.join("unzipped").join(DATA_DIR);
    for index in 0..inner.len() {
        let mut member = inner.by_index(index).map_err(|e| bad(&zip_path, &e))?;
        let name = member.name().map_err(|e| bad(&zip_path, &e))?.into_owned();
        if member.is_file() {
            let mut bytes = Vec::new();
            member.by_ref().take(MAX_DATA_ZIP + 1).read_to_end(&mut bytes).map_err(|e| io(&zip_path, e))?;
            write_member(&zip_path, &bytes, &name, &data_dir)?;
        }
    }
    if !stage.join("unzipped").join(MATPLOTLIBRC).is_file() {
        return Err(bad(&zip_path, &format!("{DATA_ZIP} holds no matplotlibrc")));
    }
    replace_dir(&stage.join("unzipped"), &install.join(UNZIPPED))?;
    replace_dir(&stage.join("zoneinfo"), &install.join(ZONEINFO))?;
    std::fs::rename(&stored, &zip_path).map_err(|e| io(&zip_path, e))?;
    std::fs::write(&done, b"").map_err(|e| io(&done, e))
}

/// Moves the staged directory `from` to `to`, replacing what a preparation
/// that did not finish left there. A stage with nothing in it (a zip
/// without time zones) leaves `to` absent.
fn replace_dir(from: &Path, to: &Path) -> Result<(), LaneError> {
    if to.exists() {
        std::fs::remove_dir_all(to).map_err(|e| io(to, e))?;
    }
    if !from.exists() {
        return Ok(());
    }
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
    }
    std::fs::rename(from, to).map_err(|e| io(to, e))
}

/// Writes one member to `name` below `dest`, refusing any name that is not
/// a plain relative path.
fn write_member(zip_path: &Path, bytes: &[u8], name: &str, dest: &Path) -> Result<(), LaneError> {
    let relative = Path::new(name);
    if name.is_empty() || !relative.components().all(|c| matches!(c, Component::Normal(_))) {
        return Err(bad(zip_path, &format!("refusing member {name:?}")));
    }
    let path: PathBuf = dest.join(relative);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
    }
    let mut out = File::create_new(&path).map_err(|e| io(&path, e))?;
    std::io::Write::write_all(&mut out, bytes).map_err(|e| io(&path, e))
}

fn io(path: &Path, error: std::io::Error) -> LaneError {
    LaneError::Io { path: path.to_path_buf(), reason: error.to_string() }
}

fn bad(zip_path: &Path, error: &dyn std::fmt::Display) -> LaneError {
    LaneError::Io { path: zip_path.to_path_buf(), reason: format!("cannot unpack: {error}") }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = ZipWriter::new(Cursor::new(Vec::new()));
        for (name, bytes) in members {
            out.start_file(*name, SimpleFileOptions::default()).unwrap();
            out.write_all(bytes).unwrap();
        }
        out.finish().unwrap().into_inner()
    }

    fn install_with(members: &[(&str, &[u8])]) -> tempfile::TempDir {
        let install = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(install.path().join("lib")).unwrap();
        std::fs::write(install.path().join(ZIP), zip_of(members)).unwrap();
        install
    }

    #[test]
    fn matplotlib_and_time_zones_become_files_and_the_zip_is_stored() {
        let data = zip_of(&[("matplotlibrc", b"backend: Agg\n"), ("fonts/ttf/a.ttf", b"font")]);
        let install = install_with(&[
            ("os.pyc", b"stdlib"),
            ("matplotlib/__init__.pyc", b"init"),
            ("matplotlib/backends/__init__.pyc", b"backends"),
            (DATA_ZIP, &data),
            ("tzdata/__init__.pyc", b"tz"),
            ("tzdata/zoneinfo/Europe/Paris", b"TZif"),
        ]);
        prepare(install.path()).unwrap();
        let unzipped = install.path().join(UNZIPPED);
        assert_eq!(std::fs::read(unzipped.join("matplotlib/__init__.pyc")).unwrap(), b"init");
        assert_eq!(std::fs::read(unzipped.join(MATPLOTLIBRC)).unwrap(), b"backend: Agg\n");
        assert_eq!(std::fs::read(unzipped.join("matplotlib/mpl-data/fonts/ttf/a.ttf")).unwrap(), b"font");
        assert!(!unzipped.join("os.pyc").exists() && !unzipped.join(DATA_ZIP).exists());
        assert_eq!(std::fs::read(install.path().join(ZONEINFO).join("Europe/Paris")).unwrap(), b"TZif");
        let mut zip = ZipArchive::new(File::open(install.path().join(ZIP)).unwrap()).unwrap();
        assert_eq!(zip.len(), 6, "every member is kept");
        let mut os = zip.by_name("os.pyc").unwrap();
        assert_eq!(os.compression(), CompressionMethod::Stored);
        let mut text = String::new();
        os.read_to_string(&mut text).unwrap();
        assert_eq!(text, "stdlib");
        drop(os);
        // Done once: a second call finds the work done.
        prepare(install.path()).unwrap();
        assert_eq!(std::fs::read_dir(install.path()).unwrap().count(), 2, "lib, share and nothing staged");
    }

    #[test]
    fn a_name_that_climbs_out_is_refused_and_nothing_is_left() {
        let data = zip_of(&[("matplotlibrc", b"x"), ("../../escaped", b"x")]);
        let before = zip_of(&[("matplotlib/__init__.pyc", b"init"), (DATA_ZIP, &data)]);
        let install = install_with(&[("matplotlib/__init__.pyc", b"init"), (DATA_ZIP, &data)]);
        let error = prepare(install.path()).unwrap_err();
        assert!(error.to_string().contains("refusing member"), "{error}");
        assert!(!install.path().join(UNZIPPED).exists() && !install.path().join(DONE).exists());
        assert_eq!(std::fs::read_dir(install.path()).unwrap().count(), 1, "the staging directory is removed");
        assert_eq!(std::fs::read(install.path().join(ZIP)).unwrap(), before, "the zip is untouched");
        assert!(!install.path().join("escaped").exists());
    }

    #[test]
    fn a_zip_without_matplotlibs_data_is_refused() {
        let install = install_with(&[("matplotlib/__init__.pyc", b"init")]);
        let error = prepare(install.path()).unwrap_err();
        assert!(error.to_string().contains("holds no matplotlib/mpl-data.zip"), "{error}");
    }
}
