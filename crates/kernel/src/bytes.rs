//! File contents shared between VMs without copying: bytes embedded in the
//! binary (`'static`) or a reference-counted buffer, optionally with their
//! sha256 when whoever built them knew it (so that running a module compiled
//! before needs neither to read nor to hash it).

use std::sync::Arc;

/// Immutable bytes, cheap to clone, never copied per VM.
#[derive(Clone)]
pub struct SharedBytes {
    data: Data,
    sha256: Option<[u8; 32]>,
}

#[derive(Clone)]
enum Data {
    Static(&'static [u8]),
    Counted(Arc<[u8]>),
}

impl SharedBytes {
    /// Bytes that live as long as the process (e.g. `include_bytes!`):
    /// nothing is copied or read until a guest reads them.
    pub fn from_static(bytes: &'static [u8]) -> Self {
        SharedBytes { data: Data::Static(bytes), sha256: None }
    }

    /// The same bytes, known to have this sha256 (the caller's promise).
    pub fn with_sha256(mut self, sha256: [u8; 32]) -> Self {
        self.sha256 = Some(sha256);
        self
    }

    /// The sha256 given by [`SharedBytes::with_sha256`], if any.
    pub fn sha256(&self) -> Option<[u8; 32]> {
        self.sha256
    }

    /// Whether these bytes stay at one address while anyone holds them and
    /// someone besides this handle does (a layer): then their address
    /// identifies them, and a digest computed once can be remembered by it.
    pub fn is_shared(&self) -> bool {
        match &self.data {
            Data::Static(_) => true,
            Data::Counted(bytes) => Arc::strong_count(bytes) > 1,
        }
    }
}

impl std::ops::Deref for SharedBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match &self.data {
            Data::Static(bytes) => bytes,
            Data::Counted(bytes) => bytes,
        }
    }
}

impl AsRef<[u8]> for SharedBytes {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

impl From<Arc<[u8]>> for SharedBytes {
    fn from(bytes: Arc<[u8]>) -> Self {
        SharedBytes { data: Data::Counted(bytes), sha256: None }
    }
}

impl From<Vec<u8>> for SharedBytes {
    fn from(bytes: Vec<u8>) -> Self {
        SharedBytes::from(Arc::<[u8]>::from(bytes))
    }
}

impl From<&'static [u8]> for SharedBytes {
    fn from(bytes: &'static [u8]) -> Self {
        SharedBytes::from_static(bytes)
    }
}

impl std::fmt::Debug for SharedBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.data {
            Data::Static(_) => "static",
            Data::Counted(_) => "counted",
        };
        write!(f, "SharedBytes({kind}, {} bytes)", self.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_bytes_are_not_copied() {
        static DATA: [u8; 4] = *b"\0asm";
        let bytes = SharedBytes::from_static(&DATA);
        assert!(std::ptr::eq(bytes.as_ptr(), DATA.as_ptr()));
        assert!(bytes.is_shared() && bytes.sha256().is_none());
        assert_eq!(bytes.clone().with_sha256([7; 32]).sha256(), Some([7; 32]));
    }

    #[test]
    fn counted_bytes_are_shared_once_held_twice() {
        let bytes = SharedBytes::from(b"abc".to_vec());
        assert!(!bytes.is_shared());
        let other = bytes.clone();
        assert!(bytes.is_shared() && other.is_shared());
        assert_eq!(&*other, b"abc");
    }
}
