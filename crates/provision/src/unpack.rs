//! Unpacking archives into a directory. The `tar` crate refuses entries that
//! would land outside the destination (absolute paths, `..`), so a hostile
//! archive cannot write elsewhere; permissions are not carried over.

use std::io::Read;
use std::path::Path;

use crate::ProvisionError;

/// Unpacks a gzip-compressed tar file into `dest` (created).
///
/// # Errors
/// If the archive cannot be read or an entry cannot be written.
pub fn unpack_tgz(tarball: &Path, dest: &Path) -> Result<(), ProvisionError> {
    let file = std::fs::File::open(tarball).map_err(|e| ProvisionError::io(tarball, e))?;
    unpack_reader(flate2::read::GzDecoder::new(file), tarball, dest)
}

/// Unpacks an uncompressed tar file into `dest` (created).
///
/// # Errors
/// If the archive cannot be read or an entry cannot be written.
pub fn unpack_tar(archive: &Path, dest: &Path) -> Result<(), ProvisionError> {
    let file = std::fs::File::open(archive).map_err(|e| ProvisionError::io(archive, e))?;
    unpack_reader(file, archive, dest)
}

fn unpack_reader(reader: impl Read, archive: &Path, dest: &Path) -> Result<(), ProvisionError> {
    std::fs::create_dir_all(dest).map_err(|e| ProvisionError::io(dest, e))?;
    let mut tar = tar::Archive::new(reader);
    tar.set_preserve_permissions(false);
    tar.set_preserve_mtime(false);
    tar.unpack(dest).map_err(|e| ProvisionError::io(archive, format!("cannot unpack: {e}")))
}
