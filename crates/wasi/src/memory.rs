//! Checked access to a guest's linear memory. Every pointer and length comes
//! from the guest, so every access is bounds-checked; a bad pointer is a
//! [`BadPointer`] error, which the adapter turns into a trap.

/// A guest pointer or length that does not fit in linear memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("guest pointer out of bounds: {len} bytes at {ptr:#x}")]
pub struct BadPointer {
    /// The pointer.
    pub ptr: u32,
    /// The length that was accessed.
    pub len: u64,
}

/// A view of linear memory for the duration of one host call.
pub struct GuestMemory<'a> {
    bytes: &'a mut [u8],
}

impl<'a> GuestMemory<'a> {
    /// Wraps linear memory.
    pub fn new(bytes: &'a mut [u8]) -> Self {
        GuestMemory { bytes }
    }

    fn range(&self, ptr: u32, len: u64) -> Result<std::ops::Range<usize>, BadPointer> {
        let bad = BadPointer { ptr, len };
        let start = usize::try_from(ptr).map_err(|_| bad)?;
        let len = usize::try_from(len).map_err(|_| bad)?;
        let end = start.checked_add(len).ok_or(bad)?;
        if end > self.bytes.len() {
            return Err(bad);
        }
        Ok(start..end)
    }

    /// Borrows `len` bytes at `ptr`.
    ///
    /// # Errors
    /// [`BadPointer`] if the range is not inside memory.
    pub fn slice(&self, ptr: u32, len: u32) -> Result<&[u8], BadPointer> {
        let range = self.range(ptr, u64::from(len))?;
        Ok(&self.bytes[range])
    }

    /// Mutably borrows `len` bytes at `ptr`.
    ///
    /// # Errors
    /// [`BadPointer`] if the range is not inside memory.
    pub fn slice_mut(&mut self, ptr: u32, len: u32) -> Result<&mut [u8], BadPointer> {
        let range = self.range(ptr, u64::from(len))?;
        Ok(&mut self.bytes[range])
    }

    /// Copies `data` to `ptr`.
    ///
    /// # Errors
    /// [`BadPointer`] if it does not fit.
    pub fn write_bytes(&mut self, ptr: u32, data: &[u8]) -> Result<(), BadPointer> {
        let len = u32::try_from(data.len()).map_err(|_| BadPointer { ptr, len: data.len() as u64 })?;
        self.slice_mut(ptr, len)?.copy_from_slice(data);
        Ok(())
    }

    /// Reads a little-endian `u32`.
    ///
    /// # Errors
    /// [`BadPointer`].
    pub fn read_u32(&self, ptr: u32) -> Result<u32, BadPointer> {
        let mut raw = [0u8; 4];
        raw.copy_from_slice(self.slice(ptr, 4)?);
        Ok(u32::from_le_bytes(raw))
    }

    /// Reads a little-endian `u64`.
    ///
    /// # Errors
    /// [`BadPointer`].
    pub fn read_u64(&self, ptr: u32) -> Result<u64, BadPointer> {
        let mut raw = [0u8; 8];
        raw.copy_from_slice(self.slice(ptr, 8)?);
        Ok(u64::from_le_bytes(raw))
    }

    /// Reads a byte.
    ///
    /// # Errors
    /// [`BadPointer`].
    pub fn read_u8(&self, ptr: u32) -> Result<u8, BadPointer> {
        Ok(self.slice(ptr, 1)?[0])
    }

    /// Reads a little-endian `u16`.
    ///
    /// # Errors
    /// [`BadPointer`].
    pub fn read_u16(&self, ptr: u32) -> Result<u16, BadPointer> {
        let mut raw = [0u8; 2];
        raw.copy_from_slice(self.slice(ptr, 2)?);
        Ok(u16::from_le_bytes(raw))
    }

    /// Writes a little-endian `u32`.
    ///
    /// # Errors
    /// [`BadPointer`].
    pub fn write_u32(&mut self, ptr: u32, value: u32) -> Result<(), BadPointer> {
        self.write_bytes(ptr, &value.to_le_bytes())
    }

    /// Writes a little-endian `u64`.
    ///
    /// # Errors
    /// [`BadPointer`].
    pub fn write_u64(&mut self, ptr: u32, value: u64) -> Result<(), BadPointer> {
        self.write_bytes(ptr, &value.to_le_bytes())
    }

    /// Reads an (iovec/ciovec) array: `count` pairs of (ptr, len) at `ptr`.
    ///
    /// # Errors
    /// [`BadPointer`] for the array itself (buffers are checked when used).
    pub fn read_iovecs(&self, ptr: u32, count: u32) -> Result<Vec<(u32, u32)>, BadPointer> {
        let bytes = self.slice(ptr, count.checked_mul(8).ok_or(BadPointer { ptr, len: u64::from(count) * 8 })?)?;
        Ok(bytes
            .chunks_exact(8)
            .map(|pair| {
                let buf = u32::from_le_bytes([pair[0], pair[1], pair[2], pair[3]]);
                let len = u32::from_le_bytes([pair[4], pair[5], pair[6], pair[7]]);
                (buf, len)
            })
            .collect())
    }
}
