//! Parsing the files a profile names: certificates (PEM or DER), a PKCS#8 private key (PEM or
//! DER) and PKCS#12 bundles, into DER; and the framing in which the reader child of a private
//! profile ([`super::files`]) returns that DER, so that the service (root) never parses a file
//! a user controls: it only decodes the frames.
//!
//! The same functions ([`certs`], [`key`], [`pkcs12`]) serve the child and the direct path
//! (system profiles). Their errors describe the content; callers add the key and file.

use crate::i18n::{tr, trf};
use ike_core::engine::SecretBytes;
use zeroize::Zeroizing;

/// What a file is read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// Certificates (`leftcert`, `rightca`): PEM with one or more `CERTIFICATE` blocks, or one
    /// DER certificate.
    Certs,
    /// A private key (`leftkey`): PEM `PRIVATE KEY` (unencrypted PKCS#8) or DER PKCS#8.
    Key,
    /// A PKCS#12 bundle (`leftpkcs12`) with its password.
    Pkcs12,
    /// Certificate revocation lists (`rightcrl`): PEM with one or more `X509 CRL` blocks, or
    /// one DER CRL (returned in [`Parsed::certs`]).
    Crls,
}

impl FileKind {
    /// The word naming the kind in the reader child's request.
    pub fn word(self) -> &'static str {
        match self {
            FileKind::Certs => "certs",
            FileKind::Key => "key",
            FileKind::Pkcs12 => "pkcs12",
            FileKind::Crls => "crls",
        }
    }

    /// The kind named by `word`.
    pub fn from_word(word: &str) -> Option<FileKind> {
        [
            FileKind::Certs,
            FileKind::Key,
            FileKind::Pkcs12,
            FileKind::Crls,
        ]
        .into_iter()
        .find(|k| k.word() == word)
    }
}

/// DER certificates and/or a PKCS#8 key taken from a file.
#[derive(Debug, Default)]
pub struct Parsed {
    /// Certificates, in file order (for PKCS#12: the key's chain, leaf first); for
    /// [`FileKind::Crls`] the CRLs.
    pub certs: Vec<Vec<u8>>,
    /// The private key (PKCS#8 DER), for [`FileKind::Key`] and [`FileKind::Pkcs12`].
    pub key: Option<SecretBytes>,
}

/// Parses `bytes` as `kind` (`password`: the PKCS#12 password; empty when unset).
pub fn parse(kind: FileKind, bytes: &[u8], password: &str) -> Result<Parsed, String> {
    match kind {
        FileKind::Certs => Ok(Parsed {
            certs: certs(bytes)?,
            key: None,
        }),
        FileKind::Crls => Ok(Parsed {
            certs: crls(bytes)?,
            key: None,
        }),
        FileKind::Key => Ok(Parsed {
            certs: Vec::new(),
            key: Some(key(bytes)?),
        }),
        FileKind::Pkcs12 => {
            let (certs, key) = pkcs12(bytes, password)?;
            Ok(Parsed {
                certs,
                key: Some(key),
            })
        }
    }
}

/// The length of the DER SEQUENCE that `bytes` must consist of exactly, if it does.
fn der_sequence(bytes: &[u8]) -> Option<usize> {
    let (&tag, rest) = bytes.split_first()?;
    if tag != 0x30 {
        return None;
    }
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let (num, rest) = rest.split_at(n);
        (
            num.iter().fold(0usize, |a, b| (a << 8) | usize::from(*b)),
            rest,
        )
    };
    (len == rest.len()).then_some(bytes.len())
}

fn pem_text(bytes: &[u8]) -> Option<&str> {
    std::str::from_utf8(bytes)
        .ok()
        .filter(|t| t.contains("-----BEGIN"))
}

/// Certificates from PEM (every `CERTIFICATE` block) or one DER certificate.
pub fn certs(bytes: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    if let Some(text) = pem_text(bytes) {
        let certs = ike_core::engine::load_pem_certs(text).map_err(|e| e.to_string())?;
        if certs.is_empty() {
            return Err(tr("holds no certificate").to_string());
        }
        return Ok(certs);
    }
    if der_sequence(bytes).is_none() {
        return Err(tr("is neither PEM nor a DER certificate").to_string());
    }
    Ok(vec![bytes.to_vec()])
}

/// Certificate revocation lists from PEM (every `X509 CRL` block) or one DER CRL. Their
/// content and signatures are checked by the engine.
pub fn crls(bytes: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    if let Some(text) = pem_text(bytes) {
        return ike_core::engine::load_pem_crls(text).map_err(|e| e.to_string());
    }
    if der_sequence(bytes).is_none() {
        return Err(tr("is neither PEM nor a DER certificate revocation list").to_string());
    }
    Ok(vec![bytes.to_vec()])
}

/// An unencrypted PKCS#8 private key from PEM (`PRIVATE KEY`) or DER.
pub fn key(bytes: &[u8]) -> Result<SecretBytes, String> {
    if let Some(text) = pem_text(bytes) {
        let block = ike_core::crypto::pem::pem_to_der(text).map_err(|e| e.to_string())?;
        if block.label != "PRIVATE KEY" {
            return Err(trf(
                "holds a \"{label}\"; an unencrypted PKCS#8 \"PRIVATE KEY\" is needed (convert with: openssl pkcs8 -topk8 -nocrypt)",
                &[("label", &block.label)],
            ));
        }
        return Ok(SecretBytes::from_slice(&block.der));
    }
    if der_sequence(bytes).is_none() {
        return Err(tr("is neither PEM nor a DER PKCS#8 private key").to_string());
    }
    Ok(SecretBytes::from_slice(bytes))
}

/// Our certificate chain (leaf first) and PKCS#8 key from a PKCS#12 file.
pub fn pkcs12(bytes: &[u8], password: &str) -> Result<(Vec<Vec<u8>>, SecretBytes), String> {
    use p12_keystore::{KeyStore, KeyStoreEntry, Pkcs12ImportPolicy};
    let store =
        KeyStore::from_pkcs12(bytes, password, Pkcs12ImportPolicy::Strict).map_err(|e| {
            trf(
                "cannot be opened ({error}); is leftkey-password right?",
                &[("error", &e)],
            )
        })?;
    let chain = store
        .entries()
        .find_map(|(_, e)| match e {
            KeyStoreEntry::PrivateKeyChain(c) => Some(c),
            _ => None,
        })
        .ok_or_else(|| tr("holds no private key with its certificate").to_string())?;
    let certs: Vec<Vec<u8>> = chain.certs().iter().map(|c| c.as_der().to_vec()).collect();
    if certs.is_empty() {
        return Err(tr("holds no certificate for its key").to_string());
    }
    Ok((certs, SecretBytes::from_slice(chain.key().as_der())))
}

/// The first bytes of the reader child's output.
pub const FRAME_MAGIC: &[u8; 8] = b"NMIKEF1\n";
const TAG_CERT: u8 = b'C';
const TAG_KEY: u8 = b'K';

/// Frames `parsed` for the reader child's stdout: the magic, then records of a tag byte
/// (`C` certificate, `K` key), a 32-bit big-endian length and the DER bytes.
pub fn encode(parsed: &Parsed) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(FRAME_MAGIC.to_vec());
    let mut push = |tag: u8, der: &[u8]| {
        out.push(tag);
        out.extend_from_slice(&u32::try_from(der.len()).unwrap_or(u32::MAX).to_be_bytes());
        out.extend_from_slice(der);
    };
    for c in &parsed.certs {
        push(TAG_CERT, c);
    }
    if let Some(k) = &parsed.key {
        push(TAG_KEY, k.expose());
    }
    out
}

/// Decodes the reader child's output (only the framing; the DER is not parsed here).
pub fn decode(bytes: &[u8]) -> Result<Parsed, String> {
    let bad = || tr("the file reader's answer is malformed").to_string();
    let mut rest = bytes.strip_prefix(FRAME_MAGIC.as_slice()).ok_or_else(bad)?;
    let mut parsed = Parsed::default();
    while let Some((&tag, r)) = rest.split_first() {
        let len: [u8; 4] = r.get(..4).and_then(|l| l.try_into().ok()).ok_or_else(bad)?;
        let len = usize::try_from(u32::from_be_bytes(len)).map_err(|_| bad())?;
        let body = r.get(4..).ok_or_else(bad)?;
        let der = body.get(..len).ok_or_else(bad)?;
        match tag {
            TAG_CERT => parsed.certs.push(der.to_vec()),
            TAG_KEY if parsed.key.is_none() => parsed.key = Some(SecretBytes::from_slice(der)),
            _ => return Err(bad()),
        }
        rest = body.get(len..).ok_or_else(bad)?;
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CERT_DER: &[u8] = &[0x30, 0x03, 0x02, 0x01, 0x05];

    fn pem(label: &str, der: &[u8]) -> String {
        use std::fmt::Write as _;
        // Minimal base64 for the test (standard alphabet, padded).
        const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut b64 = String::new();
        for chunk in der.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |a, (i, b)| a | (u32::from(*b) << (16 - 8 * i)));
            for i in 0..4 {
                if i <= chunk.len() {
                    b64.push(char::from(A[((n >> (18 - 6 * i)) & 63) as usize]));
                } else {
                    b64.push('=');
                }
            }
        }
        let mut s = String::new();
        let _ = write!(s, "-----BEGIN {label}-----\n{b64}\n-----END {label}-----\n");
        s
    }

    #[test]
    fn crls_from_pem_or_der() {
        let two = format!(
            "{}{}",
            pem("X509 CRL", CERT_DER),
            pem("X509 CRL", &[0x30, 0])
        );
        assert_eq!(
            crls(two.as_bytes()).unwrap(),
            [CERT_DER.to_vec(), vec![0x30, 0]]
        );
        assert_eq!(crls(CERT_DER).unwrap(), [CERT_DER.to_vec()]);
        // A certificate file is not a CRL file, nor is anything else.
        assert!(crls(pem("CERTIFICATE", CERT_DER).as_bytes()).is_err());
        assert!(crls(b"garbage").is_err());
        let p = parse(FileKind::Crls, CERT_DER, "").unwrap();
        assert_eq!(p.certs, [CERT_DER.to_vec()]);
        assert!(p.key.is_none());
        assert_eq!(FileKind::from_word("crls"), Some(FileKind::Crls));
    }

    #[test]
    fn framing_round_trips() {
        let p = Parsed {
            certs: vec![CERT_DER.to_vec(), vec![0x30, 0x00]],
            key: Some(SecretBytes::from_slice(&[0x30, 0x01, 0x00])),
        };
        let back = decode(&encode(&p)).unwrap();
        assert_eq!(back.certs, p.certs);
        assert_eq!(back.key.unwrap().expose(), &[0x30, 0x01, 0x00]);
        let empty = decode(&encode(&Parsed::default())).unwrap();
        assert!(empty.certs.is_empty() && empty.key.is_none());
    }

    #[test]
    fn malformed_frames_are_refused() {
        let good = encode(&Parsed {
            certs: vec![CERT_DER.to_vec()],
            key: None,
        });
        for bad in [
            &b""[..],
            &b"-----BEGIN CERTIFICATE-----"[..],
            &good[..good.len() - 1],
            &good[..FRAME_MAGIC.len() + 3],
        ] {
            assert!(decode(bad).unwrap_err().contains("malformed"), "{bad:?}");
        }
        let mut two_keys = encode(&Parsed {
            certs: Vec::new(),
            key: Some(SecretBytes::from_slice(b"k")),
        })
        .to_vec();
        two_keys.extend_from_slice(&[TAG_KEY, 0, 0, 0, 1, b'k']);
        assert!(decode(&two_keys).is_err());
        let mut unknown = good.to_vec();
        unknown.extend_from_slice(&[b'X', 0, 0, 0, 0]);
        assert!(decode(&unknown).is_err());
    }

    #[test]
    fn pem_and_der_certificates_and_keys() {
        let text = format!(
            "{}{}",
            pem("CERTIFICATE", CERT_DER),
            pem("CERTIFICATE", &[0x30, 0x00])
        );
        assert_eq!(certs(text.as_bytes()).unwrap().len(), 2);
        assert_eq!(certs(CERT_DER).unwrap(), vec![CERT_DER.to_vec()]);
        let k = pem("PRIVATE KEY", &[0x30, 0x01, 0x00]);
        assert_eq!(key(k.as_bytes()).unwrap().expose(), &[0x30, 0x01, 0x00]);
        let rsa = pem("RSA PRIVATE KEY", &[0x30, 0x00]);
        assert!(key(rsa.as_bytes()).unwrap_err().contains("PKCS#8"));
    }

    #[test]
    fn garbage_gives_a_clear_error() {
        let e =
            certs(b"-----BEGIN CERTIFICATE-----\n!!!not base64!!!\n-----END CERTIFICATE-----\n")
                .unwrap_err();
        assert!(!e.is_empty(), "{e}");
        assert!(certs(b"hello world")
            .unwrap_err()
            .contains("neither PEM nor a DER"));
        assert!(certs(&[0x30, 0x05, 0x01]).is_err(), "a truncated DER");
        assert!(key(b"\x00\x01garbage")
            .unwrap_err()
            .contains("neither PEM nor a DER"));
        assert!(pkcs12(b"garbage", "pw")
            .unwrap_err()
            .contains("leftkey-password"));
        assert!(certs(pem("PRIVATE KEY", &[0x30, 0x00]).as_bytes()).is_err());
    }
}
