//! A small checked byte reader and writer helpers.
//!
//! Every read is bounds-checked and returns [`WireError::Truncated`] instead of panicking.

use super::error::WireError;

/// Consumes a byte slice from the front; all reads are checked.
#[derive(Debug, Clone)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    /// A reader over `buf`.
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Self { buf }
    }

    /// Octets not yet consumed.
    pub(crate) fn remaining(&self) -> usize {
        self.buf.len()
    }

    /// True when everything was consumed.
    pub(crate) fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Takes the next `n` octets.
    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], WireError> {
        match self.buf.split_at_checked(n) {
            Some((head, tail)) => {
                self.buf = tail;
                Ok(head)
            }
            None => Err(WireError::Truncated {
                need: n,
                have: self.buf.len(),
            }),
        }
    }

    /// Takes the next `N` octets as an array.
    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N], WireError> {
        let have = self.buf.len();
        let s = self.take(N)?;
        <[u8; N]>::try_from(s).map_err(|_| WireError::Truncated { need: N, have })
    }

    /// Takes one octet.
    pub(crate) fn u8(&mut self) -> Result<u8, WireError> {
        let [b] = self.array::<1>()?;
        Ok(b)
    }

    /// Takes a big-endian `u16`.
    pub(crate) fn u16(&mut self) -> Result<u16, WireError> {
        Ok(u16::from_be_bytes(self.array::<2>()?))
    }

    /// Takes a big-endian `u32`.
    pub(crate) fn u32(&mut self) -> Result<u32, WireError> {
        Ok(u32::from_be_bytes(self.array::<4>()?))
    }

    /// Takes everything that is left.
    pub(crate) fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.buf)
    }

    /// Fails with [`WireError::TrailingData`] unless everything was consumed.
    pub(crate) fn finish(&self) -> Result<(), WireError> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(WireError::TrailingData {
                len: self.buf.len(),
            })
        }
    }
}

/// Converts a length to a `u16` field, or fails with [`WireError::Unencodable`].
pub(crate) fn len_u16(len: usize, what: &'static str) -> Result<u16, WireError> {
    u16::try_from(len).map_err(|_| WireError::Unencodable(what))
}

/// Converts a length or count to a `u8` field, or fails with [`WireError::Unencodable`].
pub(crate) fn len_u8(len: usize, what: &'static str) -> Result<u8, WireError> {
    u8::try_from(len).map_err(|_| WireError::Unencodable(what))
}

/// Appends a big-endian `u16`.
pub(crate) fn put_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_be_bytes());
}

/// Appends a big-endian `u32`.
pub(crate) fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_checked() {
        let mut r = Reader::new(&[1, 2, 3]);
        assert_eq!(r.u16().unwrap(), 0x0102);
        assert_eq!(r.u16(), Err(WireError::Truncated { need: 2, have: 1 }));
        assert_eq!(r.u8().unwrap(), 3);
        assert!(r.is_empty());
        assert_eq!(r.u32(), Err(WireError::Truncated { need: 4, have: 0 }));
        assert!(r.finish().is_ok());
        assert_eq!(
            r.take(usize::MAX),
            Err(WireError::Truncated {
                need: usize::MAX,
                have: 0
            })
        );
    }
}
