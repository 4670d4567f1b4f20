//! MS-CHAPv2 (RFC 2759) as EAP-MSCHAPv2 uses it, and its master session key (RFC 3079 §3,
//! laid out as strongSwan's eap-mschapv2 and Windows do: MasterReceiveKey | MasterSendKey |
//! 32 zero octets, 64 octets in all).
//!
//! MD4 (the NT password hash) and single DES (the challenge response) are not offered by
//! aws-lc-rs; they come from the RustCrypto `md4` and `des` crates, here and nowhere else
//! (as MD5 for EAP-MD5 does in [`super::eap_md5`]).
//! SHA-1 comes from aws-lc-rs. Every intermediate secret is zeroized when dropped.

use aws_lc_rs::digest;
use des::cipher::{BlockCipherEncrypt, KeyInit};
use md4::{Digest, Md4};
use zeroize::Zeroizing;

use super::error::CryptoError;
use super::secret::Secret;

/// Length of the authenticator and peer challenges.
pub const CHALLENGE_LEN: usize = 16;
/// Length of the NT-Response.
pub const NT_RESPONSE_LEN: usize = 24;
/// Length of the master session key handed to IKEv2 (RFC 7296 §2.16).
pub const MSK_LEN: usize = 64;

const MAGIC1: &[u8] = b"Magic server to client signing constant";
const MAGIC2: &[u8] = b"Pad to make it do more than one iteration";
const MASTER_MAGIC: &[u8] = b"This is the MPPE Master Key";
const CLIENT_SEND: &[u8] =
    b"On the client side, this is the send key; on the server side, it is the receive key.";
const CLIENT_RECEIVE: &[u8] =
    b"On the client side, this is the receive key; on the server side, it is the send key.";
const SHS_PAD1: [u8; 40] = [0; 40];
const SHS_PAD2: [u8; 40] = [0xf2; 40];

fn sha1(parts: &[&[u8]]) -> Zeroizing<Vec<u8>> {
    let mut ctx = digest::Context::new(&digest::SHA1_FOR_LEGACY_USE_ONLY);
    for p in parts {
        ctx.update(p);
    }
    Zeroizing::new(ctx.finish().as_ref().to_vec())
}

/// NtPasswordHash (RFC 2759 §8.3): MD4 of the password in UTF-16 little endian.
///
/// # Errors
/// [`CryptoError::InvalidInput`] when the password is not UTF-8.
pub fn nt_password_hash(password: &[u8]) -> Result<Secret, CryptoError> {
    let text = core::str::from_utf8(password)
        .map_err(|_| CryptoError::InvalidInput("the password is not UTF-8"))?;
    let mut unicode = Zeroizing::new(Vec::with_capacity(text.len() * 2));
    for unit in text.encode_utf16() {
        unicode.extend_from_slice(&unit.to_le_bytes());
    }
    Ok(md4_secret(&unicode))
}

fn md4_secret(data: &[u8]) -> Secret {
    let mut h = Md4::new();
    h.update(data);
    let out = h.finalize();
    Secret::from_slice(out.as_slice())
}

/// HashNtPasswordHash (RFC 2759 §8.4).
pub fn hash_nt_password_hash(password_hash: &Secret) -> Secret {
    md4_secret(password_hash.as_bytes())
}

/// ChallengeHash (RFC 2759 §8.2): the first 8 octets of SHA-1(PeerChallenge |
/// AuthenticatorChallenge | UserName). The user name is used without any domain part
/// (`DOMAIN\user` gives `user`), as Windows and strongSwan do.
pub fn challenge_hash(peer: &[u8; 16], authenticator: &[u8; 16], user_name: &[u8]) -> [u8; 8] {
    let user = match user_name.iter().rposition(|b| *b == b'\\') {
        Some(i) => user_name.get(i + 1..).unwrap_or_default(),
        None => user_name,
    };
    let d = sha1(&[peer, authenticator, user]);
    let mut out = [0u8; 8];
    out.copy_from_slice(d.get(..8).unwrap_or(&[0; 8]));
    out
}

/// Spreads 7 key octets over 8 DES key octets (the low bit of each is parity, ignored by
/// DES), RFC 2759 §8.6's DesEncrypt.
fn des_key(seven: &[u8]) -> Zeroizing<[u8; 8]> {
    let mut bits: u64 = 0;
    for b in seven.iter().take(7) {
        bits = (bits << 8) | u64::from(*b);
    }
    let mut k = Zeroizing::new([0u8; 8]);
    for (i, o) in k.iter_mut().enumerate() {
        let shift = 56 - 7 * (i + 1);
        // Seven key bits, then the (ignored) parity bit.
        *o = (((bits >> shift) & 0x7f) as u8) << 1;
    }
    zeroize::Zeroize::zeroize(&mut bits);
    k
}

/// ChallengeResponse (RFC 2759 §8.5): three DES encryptions of the challenge hash under the
/// zero-padded password hash.
///
/// # Errors
/// [`CryptoError::InvalidInput`] when the password hash is not 16 octets.
pub fn challenge_response(
    challenge: &[u8; 8],
    password_hash: &Secret,
) -> Result<[u8; NT_RESPONSE_LEN], CryptoError> {
    if password_hash.len() != 16 {
        return Err(CryptoError::InvalidInput("password hash length"));
    }
    let mut padded = Zeroizing::new([0u8; 21]);
    padded
        .get_mut(..16)
        .ok_or(CryptoError::InvalidInput("password hash length"))?
        .copy_from_slice(password_hash.as_bytes());
    let mut out = [0u8; NT_RESPONSE_LEN];
    for (key7, block) in padded.chunks(7).zip(out.chunks_mut(8)) {
        let key = des_key(key7);
        let cipher = des::Des::new_from_slice(key.as_slice())
            .map_err(|_| CryptoError::InvalidInput("DES key length"))?;
        let mut b = des::cipher::Block::<des::Des>::default();
        b.copy_from_slice(challenge);
        cipher.encrypt_block(&mut b);
        block.copy_from_slice(b.as_slice());
    }
    Ok(out)
}

/// GenerateNTResponse (RFC 2759 §8.1).
///
/// # Errors
/// As [`nt_password_hash`].
pub fn generate_nt_response(
    authenticator: &[u8; 16],
    peer: &[u8; 16],
    user_name: &[u8],
    password: &[u8],
) -> Result<[u8; NT_RESPONSE_LEN], CryptoError> {
    let ch = challenge_hash(peer, authenticator, user_name);
    challenge_response(&ch, &nt_password_hash(password)?)
}

/// GenerateAuthenticatorResponse (RFC 2759 §8.7): the 20 octets the server proves itself
/// with (sent as `S=` and 40 upper-case hex digits).
///
/// # Errors
/// As [`nt_password_hash`].
pub fn authenticator_response(
    password: &[u8],
    nt_response: &[u8; NT_RESPONSE_LEN],
    peer: &[u8; 16],
    authenticator: &[u8; 16],
    user_name: &[u8],
) -> Result<[u8; 20], CryptoError> {
    let hash_hash = hash_nt_password_hash(&nt_password_hash(password)?);
    let digest = sha1(&[hash_hash.as_bytes(), nt_response, MAGIC1]);
    let ch = challenge_hash(peer, authenticator, user_name);
    let d = sha1(&[&digest, &ch, MAGIC2]);
    let mut out = [0u8; 20];
    out.copy_from_slice(d.get(..20).unwrap_or(&[0; 20]));
    Ok(out)
}

/// GetMasterKey (RFC 3079 §3.4): 16 octets.
pub fn master_key(password_hash_hash: &Secret, nt_response: &[u8; NT_RESPONSE_LEN]) -> Secret {
    let d = sha1(&[password_hash_hash.as_bytes(), nt_response, MASTER_MAGIC]);
    Secret::from_slice(d.get(..16).unwrap_or_default())
}

/// GetAsymmetricStartKey (RFC 3079 §3.4) for a 16-octet key, from the client's side:
/// `send` true gives the client's send key (the server's receive key).
pub fn asymmetric_start_key(master: &Secret, send: bool) -> Secret {
    let magic = if send { CLIENT_SEND } else { CLIENT_RECEIVE };
    let d = sha1(&[master.as_bytes(), &SHS_PAD1, magic, &SHS_PAD2]);
    Secret::from_slice(d.get(..16).unwrap_or_default())
}

/// The EAP-MSCHAPv2 MSK: MasterReceiveKey | MasterSendKey | 32 zero octets, where (as in
/// strongSwan and Windows) the first half is the key of the client-send magic and the second
/// that of the client-receive magic; both sides compute the same 64 octets.
///
/// # Errors
/// As [`nt_password_hash`].
pub fn msk(password: &[u8], nt_response: &[u8; NT_RESPONSE_LEN]) -> Result<Secret, CryptoError> {
    let hash_hash = hash_nt_password_hash(&nt_password_hash(password)?);
    let master = master_key(&hash_hash, nt_response);
    let mut out = Zeroizing::new(Vec::with_capacity(MSK_LEN));
    out.extend_from_slice(asymmetric_start_key(&master, true).as_bytes());
    out.extend_from_slice(asymmetric_start_key(&master, false).as_bytes());
    out.resize(MSK_LEN, 0);
    Ok(Secret::from_slice(&out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn a16(s: &str) -> [u8; 16] {
        h(s).try_into().unwrap()
    }

    // RFC 2759 §9.2, "Examples of DES Key Generation" / the worked example.
    const USER: &[u8] = b"User";
    const PASSWORD: &[u8] = b"clientPass";
    const AUTH_CHALLENGE: &str = "5B 5D 7C 7D 7B 3F 2F 3E 3C 2C 60 21 32 26 26 28";
    const PEER_CHALLENGE: &str = "21 40 23 24 25 5E 26 2A 28 29 5F 2B 3A 33 7C 7E";
    const NT_RESPONSE: &str =
        "82 30 9E CD 8D 70 8B 5E A0 8F AA 39 81 CD 83 54 42 33 11 4A 3D 85 D6 DF";

    #[test]
    fn rfc2759_worked_example() {
        let auth = a16(AUTH_CHALLENGE);
        let peer = a16(PEER_CHALLENGE);
        assert_eq!(
            challenge_hash(&peer, &auth, USER).to_vec(),
            h("D0 2E 43 86 BC E9 12 26")
        );
        let hash = nt_password_hash(PASSWORD).unwrap();
        assert_eq!(
            hash.as_bytes(),
            h("44 EB BA 8D 53 12 B8 D6 11 47 44 11 F5 69 89 AE")
        );
        assert_eq!(
            hash_nt_password_hash(&hash).as_bytes(),
            h("41 C0 0C 58 4B D2 D9 1C 40 17 A2 A1 2F A5 9F 3F")
        );
        let nt = generate_nt_response(&auth, &peer, USER, PASSWORD).unwrap();
        assert_eq!(nt.to_vec(), h(NT_RESPONSE));
        let s = authenticator_response(PASSWORD, &nt, &peer, &auth, USER).unwrap();
        assert_eq!(s.to_vec(), h("407A5589115FD0D6209F510FE9C04566932CDA56"));
        // A domain in the user name is not part of the challenge hash.
        assert_eq!(
            challenge_hash(&peer, &auth, b"EXAMPLE\\User"),
            challenge_hash(&peer, &auth, USER)
        );
    }

    #[test]
    fn rfc3079_master_and_start_keys() {
        let nt: [u8; 24] = h(NT_RESPONSE).try_into().unwrap();
        let hh = hash_nt_password_hash(&nt_password_hash(PASSWORD).unwrap());
        let master = master_key(&hh, &nt);
        // RFC 3079 §3.5.3 (128-bit keys).
        assert_eq!(
            master.as_bytes(),
            h("FD EC E3 71 7A 8C 83 8C B3 88 E5 27 AE 3C DD 31")
        );
        // The RFC's SendStartKey128 is the server's send key: the client's receive key.
        assert_eq!(
            asymmetric_start_key(&master, false).as_bytes(),
            h("8B 7C DC 14 9B 99 3A 1B A1 18 CB 15 3F 56 DC CB")
        );
        let msk = msk(PASSWORD, &nt).unwrap();
        assert_eq!(msk.len(), MSK_LEN);
        assert_eq!(
            msk.as_bytes().get(16..32).unwrap(),
            h("8B 7C DC 14 9B 99 3A 1B A1 18 CB 15 3F 56 DC CB")
        );
        assert_eq!(
            msk.as_bytes().get(..16).unwrap(),
            asymmetric_start_key(&master, true).as_bytes()
        );
        assert_ne!(msk.as_bytes().get(..16), msk.as_bytes().get(16..32));
        assert!(msk.as_bytes().get(32..).unwrap().iter().all(|b| *b == 0));
    }

    #[test]
    fn non_utf8_password_is_refused() {
        assert!(nt_password_hash(&[0xff, 0xfe]).is_err());
    }
}
