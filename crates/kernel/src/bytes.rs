//! File contents shared between VMs without copying: bytes embedded in the
//! binary (`'static`), a reference-counted buffer, or a host file read on
//! first use, optionally with their sha256 when whoever built them knew it
//! (so that running a module compiled before needs neither to read nor to
//! hash it).

use std::sync::{Arc, OnceLock};

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
    Lazy(Arc<Lazy>),
}

/// Bytes read on first use: their length and first bytes are known now.
struct Lazy {
    len: usize,
    head: Vec<u8>,
    loaded: OnceLock<Arc<[u8]>>,
    load: Box<dyn Fn() -> std::io::Result<Vec<u8>> + Send + Sync>,
}

impl Lazy {
    fn bytes(&self) -> &[u8] {
        // A failed read yields no bytes: as a module, that fails to compile.
        self.loaded.get_or_init(|| (self.load)().map(Arc::from).unwrap_or_else(|_| Arc::from(&[][..])))
    }
}

impl SharedBytes {
    /// Bytes that live as long as the process (e.g. `include_bytes!`):
    /// nothing is copied or read until a guest reads them.
    pub fn from_static(bytes: &'static [u8]) -> Self {
        SharedBytes { data: Data::Static(bytes), sha256: None }
    }

    /// `len` bytes that `load` reads when someone first looks past `head`
    /// (their first bytes, read now): a host program whose digest is known
    /// is then never read while its compiled module is cached.
    pub fn lazy(
        len: usize,
        head: Vec<u8>,
        load: impl Fn() -> std::io::Result<Vec<u8>> + Send + Sync + 'static,
    ) -> Self {
        let lazy = Lazy { len, head, loaded: OnceLock::new(), load: Box::new(load) };
        SharedBytes { data: Data::Lazy(Arc::new(lazy)), sha256: None }
    }

    /// Their length, without reading lazy bytes.
    pub fn len(&self) -> usize {
        match &self.data {
            Data::Lazy(lazy) => lazy.len,
            Data::Static(bytes) => bytes.len(),
            Data::Counted(bytes) => bytes.len(),
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether they start with `prefix`, without reading lazy bytes when
    /// the prefix is within their known head.
    pub fn starts_with(&self, prefix: &[u8]) -> bool {
        match &self.data {
            Data::Lazy(lazy) if prefix.len() <= lazy.head.len() => lazy.head.starts_with(prefix),
            _ => (**self).starts_with(prefix),
        }
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
            // Held by the host-program cache, and read once at most.
            Data::Lazy(_) => true,
        }
    }
}

impl std::ops::Deref for SharedBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match &self.data {
            Data::Static(bytes) => bytes,
            Data::Counted(bytes) => bytes,
            Data::Lazy(lazy) => lazy.bytes(),
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
            Data::Lazy(_) => "lazy",
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
    fn lazy_bytes_are_read_once_and_only_when_looked_at() {
        let reads = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = reads.clone();
        let bytes = SharedBytes::lazy(8, b"\0asm".to_vec(), move || {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok(b"\0asm\x01\0\0\0".to_vec())
        });
        assert!(bytes.starts_with(b"\0asm") && bytes.len() == 8 && bytes.is_shared());
        assert_eq!(reads.load(std::sync::atomic::Ordering::SeqCst), 0);
        let other = bytes.clone();
        assert_eq!(&*bytes, b"\0asm\x01\0\0\0");
        assert_eq!(&*other, b"\0asm\x01\0\0\0");
        assert_eq!(reads.load(std::sync::atomic::Ordering::SeqCst), 1);
        let failing = SharedBytes::lazy(4, Vec::new(), || Err(std::io::Error::other("gone")));
        assert!(!failing.is_empty() && (*failing).is_empty());
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
