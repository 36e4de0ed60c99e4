//! Finding and downloading a package's tarball. npm itself says where the
//! tarball is (so the user's registry configuration, mirrors included, is
//! honoured); the bytes are fetched here, with a progress bar, and checked
//! by the caller.

use std::io::{Read, Write};
use std::path::Path;
use std::process::Command;

use indicatif::{ProgressBar, ProgressStyle};

use crate::{NpmPackage, ProvisionError};

/// The tarball URL of `package`, as `npm view` reports it. The integrity npm
/// publishes must be the pinned one: a registry serving other bytes under
/// the same version is refused before anything is downloaded.
pub(crate) fn locate(package: &NpmPackage<'_>) -> Result<String, ProvisionError> {
    let locate_error = |reason: String| ProvisionError::Locate { package: package.id(), reason };
    let output = Command::new("npm")
        .args(["view", &package.id(), "dist.tarball", "dist.integrity", "--json"])
        .output()
        .map_err(|e| locate_error(format!("cannot run npm: {e}")))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let reason = stderr.lines().find(|l| l.contains("ERR")).unwrap_or("npm view failed").trim().to_string();
        return Err(locate_error(reason));
    }
    let view: serde_json::Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| locate_error(format!("unexpected output of npm view: {e}")))?;
    let field = |name: &str| view.get(name).and_then(|v| v.as_str()).map(str::to_string);
    let (Some(url), Some(integrity)) = (field("dist.tarball"), field("dist.integrity")) else {
        return Err(locate_error("npm view did not report dist.tarball and dist.integrity".into()));
    };
    if integrity != package.integrity {
        return Err(ProvisionError::Integrity {
            package: package.id(),
            what: "the registry's published tarball".into(),
            found: integrity,
            pinned: package.integrity.to_string(),
        });
    }
    Ok(url)
}

/// Downloads `url` to `dest` for package `id` (from `registry`, for the
/// message), showing a progress bar on a terminal and a line per stage
/// otherwise.
pub(crate) fn download(id: &str, registry: &str, url: &str, dest: &Path, quiet: bool) -> Result<(), ProvisionError> {
    let download_error = |reason: String| ProvisionError::Download { package: id.into(), url: url.into(), reason };
    // The system's trust store (with the user's own CAs), as npm and curl use.
    let tls = ureq::tls::TlsConfig::builder().root_certs(ureq::tls::RootCerts::PlatformVerifier).build();
    let agent: ureq::Agent = ureq::Agent::config_builder().tls_config(tls).build().into();
    let mut response = agent.get(url).call().map_err(|e| download_error(e.to_string()))?;
    let length = response.body().content_length();
    let bar = if quiet { ProgressBar::hidden() } else { ProgressBar::new(length.unwrap_or(0)) };
    if !quiet {
        let size = length.map_or_else(String::new, |n| format!(" ({:.1} MB)", n as f64 / 1e6));
        eprintln!("capsa: fetching {id}{size} from {registry}");
        if let Ok(style) = ProgressStyle::with_template("  {bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}") {
            bar.set_style(style);
        }
    }
    let mut reader = response.body_mut().as_reader();
    let mut file = std::fs::File::create(dest).map_err(|e| ProvisionError::io(dest, e))?;
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = reader.read(&mut buf).map_err(|e| download_error(e.to_string()))?;
        if n == 0 {
            break;
        }
        file.write_all(&buf[..n]).map_err(|e| ProvisionError::io(dest, e))?;
        bar.inc(n as u64);
    }
    bar.finish_and_clear();
    file.sync_all().map_err(|e| ProvisionError::io(dest, e))?;
    Ok(())
}
