//! The one place the runtime takes authority from the host: granted
//! directories ([`fs`]), granted stdio ([`stdio`]) and the granted network
//! ([`net`]). Every use of ambient authority and every host socket in capsa
//! is beneath this module, so every grant can be found here; what could
//! not be granted is a [`GrantError`] naming the grant, never a command
//! line's flag (the CLI names its own flags).

pub(crate) mod fs;
pub(crate) mod net;
pub(crate) mod stdio;
mod tls;

use std::path::PathBuf;

use capsa_kernel::KernelError;

use crate::config::Publish;

pub use stdio::Stream;

/// A grant that could not be honoured.
#[derive(Debug, thiserror::Error)]
pub enum GrantError {
    /// A host directory could not be opened.
    #[error("directory {}: {source}", host.display())]
    Dir {
        /// The host directory as given.
        host: PathBuf,
        /// The host's error.
        source: std::io::Error,
    },
    /// The file given as stdin could not be opened.
    #[error("stdin file {}: {source}", path.display())]
    Stdin {
        /// The file.
        path: PathBuf,
        /// The host's error.
        source: std::io::Error,
    },
    /// A file given as stdout or stderr could not be created.
    #[error("{stream} file {}: {source}", path.display())]
    Output {
        /// Which stream.
        stream: Stream,
        /// The file.
        path: PathBuf,
        /// The host's error.
        source: std::io::Error,
    },
    /// A published port could not be listened on.
    #[error("port 127.0.0.1:{} for the guest's port {}: {source}", publish.host_port, publish.guest_port)]
    Publish {
        /// The grant.
        publish: Publish,
        /// The host's error.
        source: std::io::Error,
    },
    /// The directories cannot make one filesystem (a relative or repeated
    /// guest path, a mount point under a file).
    #[error("the VM's filesystem cannot be built: {0}")]
    Layout(KernelError),
    /// A granted directory could not be preopened.
    #[error("preopen {guest}: {source}")]
    Preopen {
        /// Its guest path.
        guest: String,
        /// The kernel's error.
        source: KernelError,
    },
    /// The fd limit cannot even hold stdio and the preopens.
    #[error("the fd limit is too small for stdio and preopens: {0}")]
    FdLimit(KernelError),
    /// A host directory granted as `/` and the VM's own filesystem.
    #[error("a host directory granted as `/` and the VM's own filesystem cannot both be `/`")]
    TwoRoots,
}
