//! A minimal, strict DER reader and writer for the few ASN.1 structures this layer touches:
//! AlgorithmIdentifier (RFC 5280, RFC 4055), the algorithm part of SubjectPublicKeyInfo and
//! ECDSA-Sig-Value (RFC 3279). Not a general ASN.1 library.

use super::error::CryptoError;

pub(crate) const TAG_INTEGER: u8 = 0x02;
pub(crate) const TAG_BIT_STRING: u8 = 0x03;
pub(crate) const TAG_NULL: u8 = 0x05;
pub(crate) const TAG_OID: u8 = 0x06;
pub(crate) const TAG_SEQUENCE: u8 = 0x30;

/// Tag of a constructed, context-specific `[n]` (EXPLICIT) field.
pub(crate) const fn tag_context(n: u8) -> u8 {
    0xa0 | n
}

fn err(what: &'static str) -> CryptoError {
    CryptoError::MalformedDer(what)
}

/// Reads consecutive TLVs from a byte slice.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Reader { data }
    }

    /// The bytes not read yet.
    pub(crate) fn rest(&self) -> &'a [u8] {
        self.data
    }

    pub(crate) fn peek_tag(&self) -> Option<u8> {
        self.data.first().copied()
    }

    /// Reads one TLV and returns (tag, value).
    pub(crate) fn read_any(&mut self) -> Result<(u8, &'a [u8]), CryptoError> {
        let (&tag, rest) = self.data.split_first().ok_or(err("unexpected end"))?;
        if tag & 0x1f == 0x1f {
            return Err(err("high tag numbers are not supported"));
        }
        let (&first, mut rest) = rest.split_first().ok_or(err("missing length"))?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let n = usize::from(first & 0x7f);
            if n == 0 {
                return Err(err("indefinite length"));
            }
            if n > 4 {
                return Err(err("length too large"));
            }
            let (len_bytes, after) = rest.split_at_checked(n).ok_or(err("truncated length"))?;
            rest = after;
            if len_bytes.first() == Some(&0) {
                return Err(err("non-minimal length"));
            }
            let mut len = 0usize;
            for &b in len_bytes {
                len = (len << 8) | usize::from(b);
            }
            if len < 0x80 {
                return Err(err("non-minimal length"));
            }
            len
        };
        let (value, after) = rest.split_at_checked(len).ok_or(err("truncated value"))?;
        self.data = after;
        Ok((tag, value))
    }

    /// Reads one TLV that must carry `tag` and returns its value.
    pub(crate) fn read(&mut self, tag: u8) -> Result<&'a [u8], CryptoError> {
        let (t, v) = self.read_any()?;
        if t != tag {
            return Err(err("unexpected tag"));
        }
        Ok(v)
    }

    /// Reads a TLV with `tag` if it is next; otherwise leaves the reader unchanged.
    pub(crate) fn read_optional(&mut self, tag: u8) -> Result<Option<&'a [u8]>, CryptoError> {
        if self.peek_tag() == Some(tag) {
            self.read(tag).map(Some)
        } else {
            Ok(None)
        }
    }

    /// Fails unless every byte was consumed.
    pub(crate) fn finish(&self) -> Result<(), CryptoError> {
        if self.data.is_empty() {
            Ok(())
        } else {
            Err(err("trailing data"))
        }
    }
}

/// Parses the content of a DER INTEGER that must be non-negative; returns the magnitude
/// without the leading zero octet.
pub(crate) fn unsigned_integer(value: &[u8]) -> Result<&[u8], CryptoError> {
    match value {
        [] => Err(err("empty INTEGER")),
        [first, ..] if first & 0x80 != 0 => Err(err("negative INTEGER")),
        [0, second, ..] if second & 0x80 == 0 => Err(err("non-minimal INTEGER")),
        [0, rest @ ..] if !rest.is_empty() => Ok(rest),
        _ => Ok(value),
    }
}

/// Parses a non-negative INTEGER content that fits in a u64.
pub(crate) fn small_unsigned(value: &[u8]) -> Result<u64, CryptoError> {
    let mag = unsigned_integer(value)?;
    if mag.len() > 8 {
        return Err(err("INTEGER too large"));
    }
    Ok(mag.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
}

/// Appends a TLV.
pub(crate) fn write_tlv(out: &mut Vec<u8>, tag: u8, value: &[u8]) {
    out.push(tag);
    let len = value.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = (len as u64).to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        let used = bytes.get(skip..).unwrap_or(&[]);
        out.push(0x80 | used.len() as u8);
        out.extend_from_slice(used);
    }
    out.extend_from_slice(value);
}

/// Returns a TLV as a new vector.
pub(crate) fn tlv(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len() + 6);
    write_tlv(&mut out, tag, value);
    out
}

/// Encodes an unsigned big-endian magnitude as INTEGER content (minimal, non-negative).
pub(crate) fn unsigned_integer_content(magnitude: &[u8]) -> Vec<u8> {
    let skip = magnitude.iter().take_while(|&&b| b == 0).count();
    let mag = magnitude.get(skip..).unwrap_or(&[]);
    let mut out = Vec::with_capacity(mag.len() + 1);
    match mag.first() {
        None => out.push(0),
        Some(b) if b & 0x80 != 0 => {
            out.push(0);
            out.extend_from_slice(mag);
        }
        Some(_) => out.extend_from_slice(mag),
    }
    out
}

/// Converts a DER ECDSA-Sig-Value into the fixed-width r||s form of RFC 4754 §7.
pub(crate) fn ecdsa_der_to_fixed(der: &[u8], scalar_len: usize) -> Result<Vec<u8>, CryptoError> {
    let mut outer = Reader::new(der);
    let seq = outer.read(TAG_SEQUENCE)?;
    outer.finish()?;
    let mut inner = Reader::new(seq);
    let r = unsigned_integer(inner.read(TAG_INTEGER)?)?;
    let s = unsigned_integer(inner.read(TAG_INTEGER)?)?;
    inner.finish()?;
    let mut out = vec![0u8; scalar_len * 2];
    for (i, part) in [r, s].into_iter().enumerate() {
        let part = match part {
            [0] => &[][..],
            p => p,
        };
        if part.len() > scalar_len {
            return Err(err("ECDSA scalar too large"));
        }
        let end = (i + 1) * scalar_len;
        let start = end - part.len();
        out.get_mut(start..end)
            .ok_or(err("ECDSA scalar too large"))?
            .copy_from_slice(part);
    }
    Ok(out)
}

/// Converts a fixed-width r||s signature into a DER ECDSA-Sig-Value.
#[cfg(test)]
pub(crate) fn ecdsa_fixed_to_der(fixed: &[u8]) -> Result<Vec<u8>, CryptoError> {
    if fixed.is_empty() || !fixed.len().is_multiple_of(2) {
        return Err(err("odd-length fixed ECDSA signature"));
    }
    let (r, s) = fixed.split_at(fixed.len() / 2);
    let mut body = Vec::with_capacity(fixed.len() + 8);
    write_tlv(&mut body, TAG_INTEGER, &unsigned_integer_content(r));
    write_tlv(&mut body, TAG_INTEGER, &unsigned_integer_content(s));
    Ok(tlv(TAG_SEQUENCE, &body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_forms() {
        let long = vec![7u8; 300];
        let enc = tlv(TAG_SEQUENCE, &long);
        assert_eq!(&enc[..4], &[0x30, 0x82, 0x01, 0x2c]);
        let mut r = Reader::new(&enc);
        assert_eq!(r.read(TAG_SEQUENCE).unwrap(), &long[..]);
        assert!(r.finish().is_ok());
        // non-minimal long form
        assert!(Reader::new(&[0x30, 0x81, 0x05, 1, 2, 3, 4, 5])
            .read_any()
            .is_err());
        // indefinite
        assert!(Reader::new(&[0x30, 0x80, 0, 0]).read_any().is_err());
        // truncated
        assert!(Reader::new(&[0x30, 0x05, 1]).read_any().is_err());
    }

    #[test]
    fn integers() {
        assert_eq!(small_unsigned(&[0x20]).unwrap(), 32);
        assert_eq!(small_unsigned(&[0x00, 0x80]).unwrap(), 128);
        assert!(small_unsigned(&[0x80]).is_err());
        assert!(small_unsigned(&[0x00, 0x01]).is_err());
        assert!(small_unsigned(&[1; 9]).is_err());
        assert_eq!(unsigned_integer_content(&[0, 0, 0x80]), vec![0, 0x80]);
        assert_eq!(unsigned_integer_content(&[0, 0]), vec![0]);
    }

    #[test]
    fn ecdsa_conversion_round_trip() {
        let mut fixed = vec![0u8; 64];
        fixed[0] = 0x80;
        fixed[31] = 1;
        fixed[63] = 2;
        let der = ecdsa_fixed_to_der(&fixed).unwrap();
        assert_eq!(ecdsa_der_to_fixed(&der, 32).unwrap(), fixed);
        assert!(ecdsa_der_to_fixed(&der, 16).is_err());
    }
}
