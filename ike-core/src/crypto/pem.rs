//! A small PEM (RFC 7468) to DER decoder for private keys and certificates.
//!
//! Base64 characters are decoded arithmetically, without table lookups indexed by secret
//! data, so decoding a private key does not leak it through the cache.

use zeroize::Zeroizing;

use super::error::CryptoError;

/// One decoded PEM block.
#[derive(Clone)]
pub struct PemBlock {
    /// The label between `-----BEGIN ` and `-----`, e.g. `PRIVATE KEY`.
    pub label: String,
    /// The decoded DER bytes (zeroized on drop).
    pub der: Zeroizing<Vec<u8>>,
}

impl core::fmt::Debug for PemBlock {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PemBlock")
            .field("label", &self.label)
            .field("der_len", &self.der.len())
            .finish()
    }
}

/// Decodes the first PEM block in `text` (text before it, such as OpenSSL's "Bag Attributes",
/// is ignored; RFC 7468 explanatory headers are not supported).
///
/// # Errors
/// [`CryptoError::InvalidPem`] if no well-formed block is found.
pub fn pem_to_der(text: &str) -> Result<PemBlock, CryptoError> {
    const BEGIN: &str = "-----BEGIN ";
    let start = text
        .find(BEGIN)
        .ok_or(CryptoError::InvalidPem("no BEGIN line"))?;
    let after_begin = text
        .get(start + BEGIN.len()..)
        .ok_or(CryptoError::InvalidPem("no BEGIN line"))?;
    let label_end = after_begin
        .find("-----")
        .ok_or(CryptoError::InvalidPem("unterminated BEGIN line"))?;
    let label = after_begin
        .get(..label_end)
        .ok_or(CryptoError::InvalidPem("unterminated BEGIN line"))?;
    let body_and_rest = after_begin
        .get(label_end + 5..)
        .ok_or(CryptoError::InvalidPem("unterminated BEGIN line"))?;
    let end_marker = format!("-----END {label}-----");
    let body_end = body_and_rest
        .find(&end_marker)
        .ok_or(CryptoError::InvalidPem("no matching END line"))?;
    let body = body_and_rest
        .get(..body_end)
        .ok_or(CryptoError::InvalidPem("no matching END line"))?;
    if body.contains(':') {
        return Err(CryptoError::InvalidPem(
            "encrypted or header-carrying PEM is not supported",
        ));
    }
    let der = base64_decode(body)?;
    Ok(PemBlock {
        label: label.to_string(),
        der,
    })
}

/// Decodes one base64 character in constant time; returns 0xff for "not base64".
fn decode_char(c: u8) -> u8 {
    let c = i16::from(c);
    // Each term is (value + 1) when c is in its range, else 0.
    let in_range = |lo: i16, hi: i16| -> i16 { ((lo - 1 - c) & (c - hi - 1)) >> 8 };
    let mut v: i16 = -1;
    v += in_range(0x41, 0x5a) & (c - 0x41 + 1); // A-Z -> 0..25
    v += in_range(0x61, 0x7a) & (c - 0x61 + 26 + 1); // a-z -> 26..51
    v += in_range(0x30, 0x39) & (c - 0x30 + 52 + 1); // 0-9 -> 52..61
    v += in_range(0x2b, 0x2b) & (62 + 1); // +
    v += in_range(0x2f, 0x2f) & (63 + 1); // /
    (v & 0xff) as u8
}

fn base64_decode(body: &str) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let mut chars: Zeroizing<Vec<u8>> = Zeroizing::new(Vec::with_capacity(body.len()));
    for &b in body.as_bytes() {
        if !b.is_ascii_whitespace() {
            chars.push(b);
        }
    }
    let pad = chars.iter().rev().take_while(|&&b| b == b'=').count();
    if pad > 2 || !chars.len().is_multiple_of(4) {
        return Err(CryptoError::InvalidPem("bad base64 length"));
    }
    let data_len = chars.len() - pad;
    let data = chars.get(..data_len).unwrap_or(&[]);
    let mut out: Zeroizing<Vec<u8>> = Zeroizing::new(Vec::with_capacity(data_len / 4 * 3 + 3));
    let mut invalid = 0u8;
    for chunk in data.chunks(4) {
        let mut acc: u32 = 0;
        for (i, &c) in chunk.iter().enumerate() {
            let d = decode_char(c);
            invalid |= d >> 7; // 0xff sets the top bit
            acc |= u32::from(d & 0x3f) << (18 - 6 * i as u32);
        }
        let bytes = acc.to_be_bytes();
        let take = match chunk.len() {
            4 => 3,
            3 => 2,
            2 => 1,
            _ => {
                invalid = 1;
                0
            }
        };
        out.extend_from_slice(bytes.get(1..1 + take).unwrap_or(&[]));
    }
    if invalid != 0 {
        return Err(CryptoError::InvalidPem("invalid base64 character"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_all_alphabet() {
        for (i, c) in b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
            .iter()
            .enumerate()
        {
            assert_eq!(usize::from(decode_char(*c)), i);
        }
        for c in [b'=', b'-', b' ', b'@', b'[', b'`', b'{', 0u8, 0xff] {
            assert_eq!(decode_char(c), 0xff);
        }
    }

    #[test]
    fn decodes_block() {
        let pem = "junk\n-----BEGIN TEST-----\naGVs\nbG8=\n-----END TEST-----\n";
        let b = pem_to_der(pem).unwrap();
        assert_eq!(b.label, "TEST");
        assert_eq!(&b.der[..], b"hello");
        assert!(pem_to_der("-----BEGIN X-----\naGVsbG8*\n-----END X-----").is_err());
        assert!(pem_to_der("-----BEGIN X-----\naGVsbG8=\n-----END Y-----").is_err());
    }
}
