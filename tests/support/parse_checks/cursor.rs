//! Reads fixed-width values and byte runs from fuzz input, yielding zeros
//! once the input runs out, so every input decodes to something.

/// A read position in fuzz input.
pub struct Cursor<'a> {
    bytes: &'a [u8],
}

impl<'a> Cursor<'a> {
    /// Starts reading at the beginning of `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Cursor { bytes }
    }

    /// Whether nothing is left to read.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Up to `n` bytes (fewer if the input ends).
    pub fn take(&mut self, n: usize) -> &'a [u8] {
        let (head, tail) = self.bytes.split_at(n.min(self.bytes.len()));
        self.bytes = tail;
        head
    }

    /// The next byte, or 0.
    pub fn byte(&mut self) -> u8 {
        self.take(1).first().copied().unwrap_or(0)
    }

    /// The next 8 bytes as a little-endian `u64`, zero-padded.
    pub fn u64(&mut self) -> u64 {
        let mut raw = [0u8; 8];
        let got = self.take(8);
        raw[..got.len()].copy_from_slice(got);
        u64::from_le_bytes(raw)
    }

    /// The next 4 bytes as a little-endian `u32`, zero-padded.
    pub fn u32(&mut self) -> u32 {
        let mut raw = [0u8; 4];
        let got = self.take(4);
        raw[..got.len()].copy_from_slice(got);
        u32::from_le_bytes(raw)
    }

    /// The next 4 bytes as a little-endian `i32`, zero-padded.
    pub fn i32(&mut self) -> i32 {
        i32::from_le_bytes(self.u32().to_le_bytes())
    }
}
