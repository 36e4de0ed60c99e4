//! Who is calling: tenants, their tokens and their quotas.
//!
//! Tokens are never stored, only their sha256: from `CAPSA_TOKEN` (one
//! tenant, `default`), from a tokens file (TOML, one `[[tenant]]` per
//! tenant with `name`, `token_sha256` and its quotas), or, with neither, a
//! token the server generates and writes 0600 to `DATA_DIR/token`.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// What one tenant may hold at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Quotas {
    /// Sandboxes, live or paused.
    pub sandboxes: usize,
    /// Commands running at once across its sandboxes.
    pub concurrent_execs: usize,
    /// The sum of its sandboxes' memory limits, in bytes.
    pub memory: u64,
    /// The sum of its sandboxes' disk limits, in bytes.
    pub disk: u64,
}

impl Default for Quotas {
    fn default() -> Self {
        // Memory and disk are sums of limits (reservations), not use: the
        // defaults let 1000 sandboxes at the default limits fit.
        Quotas { sandboxes: 1000, concurrent_execs: 64, memory: 1 << 40, disk: 1 << 40 }
    }
}

/// One tenant.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Tenant {
    /// Its name (sandboxes are its own under it).
    pub name: String,
    /// Its quotas.
    pub quotas: Quotas,
}

/// Where the tokens come from.
#[derive(Debug, Clone)]
pub enum TokenSource {
    /// One token, for tenant `default` (`CAPSA_TOKEN`).
    Token(String),
    /// A tokens file (`--tokens FILE`).
    File(PathBuf),
    /// Generate one and write it to the data dir (nothing configured).
    Generate,
    /// No tokens at all: nothing over HTTP is authorized (`capsa mcp` over
    /// stdio, whose caller is the local user).
    None,
}

/// Why the tenants could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The tokens file cannot be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the host said.
        source: std::io::Error,
    },
    /// The tokens file is not valid.
    #[error("{path}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// No randomness for a token.
    #[error("cannot generate a token: {0}")]
    Random(String),
}

/// The tenants by the sha256 of their token.
#[derive(Debug)]
pub struct Tenants {
    by_digest: HashMap<[u8; 32], Tenant>,
    /// Where a generated token was written, to tell the operator.
    pub generated: Option<PathBuf>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokensFile {
    #[serde(default)]
    tenant: Vec<TenantEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TenantEntry {
    name: String,
    token_sha256: String,
    #[serde(default)]
    quotas: Quotas,
}

impl Tenants {
    /// Loads the tenants from `source`; a generated token goes to
    /// `data_dir/token` (kept across restarts).
    ///
    /// # Errors
    /// The tokens file is unreadable or invalid, or the token cannot be
    /// written.
    pub fn load(source: &TokenSource, data_dir: &Path) -> Result<Tenants, AuthError> {
        let mut by_digest = HashMap::new();
        let mut generated = None;
        let default = |name: &str| Tenant { name: name.into(), quotas: Quotas::default() };
        match source {
            TokenSource::Token(token) => {
                by_digest.insert(digest(token), default("default"));
            }
            TokenSource::File(path) => {
                let invalid = |message: String| AuthError::Invalid { path: path.clone(), message };
                let text =
                    std::fs::read_to_string(path).map_err(|source| AuthError::Io { path: path.clone(), source })?;
                let file: TokensFile = toml::from_str(&text).map_err(|err| invalid(err.to_string()))?;
                for entry in file.tenant {
                    let mut hash = [0u8; 32];
                    hex::decode_to_slice(&entry.token_sha256, &mut hash)
                        .map_err(|_| invalid(format!("tenant {}: token_sha256 is not 64 hex digits", entry.name)))?;
                    if entry.name.is_empty() || entry.name.len() > 64 {
                        return Err(invalid("a tenant's name must be 1 to 64 characters".into()));
                    }
                    by_digest.insert(hash, Tenant { name: entry.name, quotas: entry.quotas });
                }
                if by_digest.is_empty() {
                    return Err(invalid("no [[tenant]] entries".into()));
                }
            }
            TokenSource::None => {}
            TokenSource::Generate => {
                let path = data_dir.join("token");
                let token = match std::fs::read_to_string(&path) {
                    Ok(token) => token.trim().to_string(),
                    Err(_) => write_new_token(&path)?,
                };
                by_digest.insert(digest(&token), default("default"));
                generated = Some(path);
            }
        }
        Ok(Tenants { by_digest, generated })
    }

    /// The tenant whose token this is.
    pub fn find(&self, token: &str) -> Option<&Tenant> {
        self.by_digest.get(&digest(token))
    }
}

/// The hex sha256 of a token, as a tokens file holds it.
pub fn token_sha256(token: &str) -> String {
    hex::encode(digest(token))
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// A random token written 0600 to `path`.
fn write_new_token(path: &Path) -> Result<String, AuthError> {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes).map_err(|err| AuthError::Random(err.to_string()))?;
    let token = hex::encode(bytes);
    let io = |source| AuthError::Io { path: path.into(), source };
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode_0600().open(path).map_err(io)?;
    writeln!(file, "{token}").map_err(io)?;
    file.sync_all().map_err(io)?;
    Ok(token)
}

/// `OpenOptions` with mode 0600 on creation.
trait Mode0600 {
    fn mode_0600(&mut self) -> &mut Self;
}

impl Mode0600 for std::fs::OpenOptions {
    fn mode_0600(&mut self) -> &mut Self {
        use std::os::unix::fs::OpenOptionsExt;
        self.mode(0o600)
    }
}
