//! EAP-MD5-Challenge (RFC 3748 §5.4): CHAP's MD5 response (RFC 1994 §4.1),
//! MD5(Identifier | secret | challenge). MD5 is not offered by aws-lc-rs; it comes from the
//! RustCrypto `md-5` crate, here and nowhere else.

use md5::{Digest, Md5};

/// The 16-octet response to `challenge` of the EAP request with `identifier`.
pub fn response(identifier: u8, password: &[u8], challenge: &[u8]) -> [u8; 16] {
    let mut h = Md5::new();
    h.update([identifier]);
    h.update(password);
    h.update(challenge);
    let mut out = [0u8; 16];
    out.copy_from_slice(h.finalize().as_slice());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn known_answers() {
        // Computed independently (Python's hashlib) over identifier | secret | challenge.
        let challenge: Vec<u8> = (0..16).collect();
        assert_eq!(
            response(0x2a, b"clientPass", &challenge).to_vec(),
            h("902768991decf7e13b5231be953c74d8")
        );
        assert_eq!(
            response(1, b"secret", &h("0123456789abcdef")).to_vec(),
            h("1541dc88f46c12336d84ffdaf8cc7dbe")
        );
    }
}
