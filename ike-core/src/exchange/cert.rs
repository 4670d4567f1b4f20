//! X.509 certificate authentication: CERT/CERTREQ payloads, chain validation with
//! rustls-webpki, RFC 4945 identity-to-certificate matching with x509-cert, and signature AUTH
//! through the crypto module (RFC 7427 digital signatures, RFC 4754 ECDSA, PKCS#1 v1.5).

use rustls_pki_types::{CertificateDer, DnsName, ServerName, UnixTime};
use x509_cert::der::{Decode, Encode};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::Certificate;

use super::revocation;
use crate::api::{AuthBy, Failure, Identity, IkeError, PeerName, Revocation};
use crate::crypto::auth::{
    choose_signature_scheme, sign_auth, verify_auth, SignatureAuth, SUPPORTED_SIGNATURE_HASHES,
};
use crate::crypto::{PrivateKeyDer, PublicKeyType, SigningKey};
use crate::ctx::Ctx;
use crate::ids::{cert_encoding, notify};
use crate::wire::{AuthPayload, CertPayload, CertReqPayload, NotifyPayload, Payload};

/// Most certificates accepted from a peer (end entity plus intermediates).
const MAX_PEER_CERTS: usize = 8;

/// Unix time in seconds for certificate validity checks: the wall clock the driver gave at
/// engine time zero plus the injected time. Without one the check cannot be made (our fault).
pub(crate) fn unix_now(ctx: &Ctx<'_>) -> Result<u64, IkeError> {
    ctx.cfg()
        .wall_clock_at_zero
        .map(|base| base.saturating_add(ctx.now().as_millis() / 1000))
        .ok_or_else(|| {
            IkeError::state(
                "no wall clock to check the peer's certificate validity \
                 (EngineConfig::wall_clock_at_zero / Engine::set_wall_clock)",
            )
        })
}

/// The SIGNATURE_HASH_ALGORITHMS notify we send (RFC 7427 §4).
pub(crate) fn signature_hashes_notify() -> Payload {
    let data = SUPPORTED_SIGNATURE_HASHES
        .iter()
        .flat_map(|h| h.to_be_bytes())
        .collect();
    Payload::Notify(NotifyPayload::new(notify::SIGNATURE_HASH_ALGORITHMS, data))
}

/// The hash algorithms of a received SIGNATURE_HASH_ALGORITHMS notify, if there is one.
pub(crate) fn peer_signature_hashes(p: &[Payload]) -> Option<Vec<u16>> {
    let n = super::msg::find_notify(p, notify::SIGNATURE_HASH_ALGORITHMS)?;
    Some(
        n.data
            .chunks_exact(2)
            .filter_map(|c| <[u8; 2]>::try_from(c).ok())
            .map(u16::from_be_bytes)
            .take(32)
            .collect(),
    )
}

/// SHA-1 of a certificate's SubjectPublicKeyInfo (CERTREQ authority hashes, RFC 7296 §3.7).
fn spki_sha1(cert_der: &[u8]) -> Option<Vec<u8>> {
    let spki = spki_of(cert_der).ok()?;
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, &spki);
    Some(d.as_ref().to_vec())
}

/// A CERTREQ payload naming these trust anchors (`None` when there are none).
pub(crate) fn certreq(anchors: &[Vec<u8>]) -> Option<Payload> {
    let data: Vec<u8> = anchors
        .iter()
        .filter_map(|a| spki_sha1(a))
        .flatten()
        .collect();
    if data.is_empty() {
        return None;
    }
    Some(Payload::CertReq(CertReqPayload {
        encoding: cert_encoding::X509_SIGNATURE,
        data,
    }))
}

/// CERT payloads for our chain (end entity first).
pub(crate) fn cert_payloads(chain: &[Vec<u8>]) -> Vec<Payload> {
    chain
        .iter()
        .map(|c| {
            Payload::Cert(CertPayload {
                encoding: cert_encoding::X509_SIGNATURE,
                data: c.clone(),
            })
        })
        .collect()
}

/// The DER SubjectPublicKeyInfo of a certificate.
pub(crate) fn spki_of(cert_der: &[u8]) -> Result<Vec<u8>, IkeError> {
    let cert =
        Certificate::from_der(cert_der).map_err(|e| bad_cert(format!("bad certificate: {e}")))?;
    cert.tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|e| bad_cert(format!("bad certificate key: {e}")))
}

/// A fault of a certificate the peer sent: it fails the peer's authentication.
fn bad_cert(detail: String) -> IkeError {
    IkeError::refused(notify::AUTHENTICATION_FAILED, detail)
}

/// Loads our private key (PKCS#8 DER) and checks it belongs to our certificate. Every error
/// is ours (the configured credential).
pub(crate) fn load_key(chain: &[Vec<u8>], key: &[u8]) -> Result<Box<dyn SigningKey>, IkeError> {
    let k = crate::crypto::default_provider()
        .load_private_key(PrivateKeyDer::Pkcs8(key))
        .map_err(|e| IkeError::state(format!("private key: {e}")))?;
    let ee = chain
        .first()
        .ok_or_else(|| IkeError::state("empty certificate chain"))?;
    let spki = spki_of(ee).map_err(|e| IkeError::state(e.detail()))?;
    let ours = k
        .public_key_spki()
        .map_err(|e| IkeError::state(format!("private key: {e}")))?;
    if ours != spki {
        return Err(IkeError::state(
            "the private key does not belong to the certificate",
        ));
    }
    Ok(k)
}

/// Signs our AUTH. Without the peer's SIGNATURE_HASH_ALGORITHMS, ECDSA keys use the RFC 4754
/// methods; everything else uses RFC 7427 digital signatures.
pub(crate) fn sign(
    key: &dyn SigningKey,
    peer_hashes: Option<&[u16]>,
    prefer_pss: bool,
    octets: &[u8],
) -> Result<AuthPayload, IkeError> {
    let kt = key.key_type();
    let how = match (peer_hashes, kt) {
        (None, PublicKeyType::Ec(_)) => SignatureAuth::Rfc4754Ecdsa,
        (hashes, _) => SignatureAuth::DigitalSignature(
            choose_signature_scheme(kt, hashes.unwrap_or(&[]), prefer_pss).ok_or_else(|| {
                IkeError::state("the peer accepts no signature hash our key can use")
            })?,
        ),
    };
    let a =
        sign_auth(key, how, octets).map_err(|e| IkeError::crypto(format!("signing AUTH: {e}")))?;
    Ok(AuthPayload {
        method: a.method,
        data: a.data,
    })
}

/// EKU policy: no EKU, or one of id-kp-ipsecIKE, serverAuth, clientAuth, anyExtendedKeyUsage.
struct IkeEku;

const IPSEC_IKE: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x11];

const EKU_OK: [&[u8]; 4] = [
    IPSEC_IKE,
    &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01], // serverAuth
    &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02], // clientAuth
    &[0x55, 0x1d, 0x25, 0x00],                         // anyExtendedKeyUsage
];

impl webpki::ExtendedKeyUsageValidator for IkeEku {
    fn validate(&self, iter: webpki::KeyPurposeIdIter<'_, '_>) -> Result<(), webpki::Error> {
        let mut present = Vec::new();
        for id in iter {
            let id = id?;
            if EKU_OK
                .iter()
                .any(|oid| webpki::KeyPurposeId::new(oid) == id)
            {
                return Ok(());
            }
            present.push(id.to_decoded_oid());
        }
        if present.is_empty() {
            Ok(())
        } else {
            Err(webpki::Error::RequiredEkuNotFoundContext(
                webpki::RequiredEkuNotFoundContext {
                    required: webpki::KeyUsage::required(IPSEC_IKE),
                    present,
                },
            ))
        }
    }
}

fn describe(e: &webpki::Error) -> String {
    use webpki::Error as E;
    match e {
        E::UnknownIssuer => "it is not issued by a trusted certificate authority".into(),
        E::CertExpired { .. } => "it has expired".into(),
        E::CertNotValidYet { .. } => "it is not valid yet".into(),
        E::RequiredEkuNotFoundContext(_) => "its extended key usage does not allow IKE".into(),
        E::InvalidSignatureForPublicKey => "a signature in its chain is invalid".into(),
        other => format!("{other:?}"),
    }
}

/// Validates the peer's chain (end entity first) against the trust anchors at `now_secs`,
/// with revocation checked against the configured CRLs. Returns the end entity's DER
/// SubjectPublicKeyInfo, and what could not be checked for revocation when a relaxed check
/// accepted the chain without a current CRL.
pub(crate) fn validate(
    chain: &[&[u8]],
    anchors: &[Vec<u8>],
    revocation: &Revocation,
    now_secs: u64,
) -> Result<(Vec<u8>, Option<String>), Failure> {
    let (ee, rest) = chain
        .split_first()
        .ok_or_else(|| auth_failed("the peer sent no certificate".into()))?;
    let anchor_ders: Vec<CertificateDer<'_>> = anchors
        .iter()
        .map(|a| CertificateDer::from(a.as_slice()))
        .collect();
    let anchors: Vec<_> = anchor_ders
        .iter()
        .filter_map(|a| webpki::anchor_from_trusted_cert(a).ok())
        .collect();
    if anchors.is_empty() {
        return Err(IkeError::state("no usable trust anchor is configured").into());
    }
    let crls = revocation::parse(revocation).map_err(Failure::from)?;
    let crl_refs = crls.refs();
    let ee_der = CertificateDer::from(*ee);
    let cert = webpki::EndEntityCert::try_from(&ee_der)
        .map_err(|e| auth_failed(format!("the peer's certificate is malformed: {e:?}")))?;
    let intermediates: Vec<CertificateDer<'_>> =
        rest.iter().map(|c| CertificateDer::from(*c)).collect();
    let time = UnixTime::since_unix_epoch(core::time::Duration::from_secs(now_secs));
    let verify = |strict: bool| {
        cert.verify_for_usage(
            webpki::ALL_VERIFICATION_ALGS,
            &anchors,
            &intermediates,
            time,
            IkeEku,
            revocation::options(&crl_refs, strict),
            None,
        )
        .map(|_| ())
    };
    // Strict first; a relaxed check only when strict found just a missing or expired CRL, so
    // that what was not checked can be said.
    let mut unchecked = None;
    let mut result = verify(!crls.is_empty());
    if let Err(e) = &result {
        if !crls.strict() && revocation::is_unchecked(e) {
            unchecked = Some(format!(
                "the revocation of the peer's certificate was not checked completely: {}",
                revocation::describe(e)
            ));
            result = verify(false);
        }
    }
    match result {
        Ok(()) => {}
        Err(webpki::Error::CertRevoked) => return Err(crls.revoked(chain)),
        Err(e) if revocation::is_unchecked(&e) => {
            return Err(auth_failed(format!(
                "the peer's certificate is not trusted: its revocation cannot be checked \
                 (strict): {}",
                revocation::describe(&e)
            )))
        }
        Err(e) if revocation::is_crl_fault(&e) => {
            return Err(IkeError::state(revocation::describe(&e)).into());
        }
        Err(e) => {
            return Err(auth_failed(format!(
                "the peer's certificate is not trusted: {}",
                describe(&e)
            )))
        }
    }
    Ok((spki_of(ee).map_err(check_failed)?, unchecked))
}

/// Whether `id` is named by the certificate (RFC 4945 §3.1): FQDN, e-mail and IP identities
/// must appear as subjectAltName; a DN identity must equal the subject (or a directoryName).
pub(crate) fn id_matches(cert_der: &[u8], id: &Identity) -> Result<bool, IkeError> {
    let cert =
        Certificate::from_der(cert_der).map_err(|e| bad_cert(format!("bad certificate: {e}")))?;
    let subject = cert
        .tbs_certificate
        .subject
        .to_der()
        .map_err(|e| bad_cert(format!("bad certificate subject: {e}")))?;
    if let Identity::DerDn(dn) = id {
        if *dn == subject {
            return Ok(true);
        }
    }
    let san = match cert.tbs_certificate.get::<SubjectAltName>() {
        Ok(Some((_, san))) => san.0,
        Ok(None) => Vec::new(),
        Err(e) => return Err(bad_cert(format!("bad subjectAltName: {e}"))),
    };
    Ok(san.iter().any(|g| match (g, id) {
        (GeneralName::DnsName(n), Identity::Fqdn(f)) => n.as_str().eq_ignore_ascii_case(f),
        (GeneralName::Rfc822Name(n), Identity::Email(e)) => n.as_str().eq_ignore_ascii_case(e),
        (GeneralName::IpAddress(a), Identity::Ipv4(ip)) => a.as_bytes() == ip.octets(),
        (GeneralName::IpAddress(a), Identity::Ipv6(ip)) => a.as_bytes() == ip.octets(),
        (GeneralName::DirectoryName(n), Identity::DerDn(dn)) => n.to_der().is_ok_and(|d| d == *dn),
        _ => false,
    }))
}

/// The X.509 certificates among the CERT payloads, in order (end entity first).
pub(crate) fn peer_chain(p: &[Payload]) -> Vec<&[u8]> {
    p.iter()
        .filter_map(|x| match x {
            Payload::Cert(c) if c.encoding == cert_encoding::X509_SIGNATURE => {
                Some(c.data.as_slice())
            }
            _ => None,
        })
        .take(MAX_PEER_CERTS)
        .collect()
}

/// Most names listed from a certificate in a failure message.
const MAX_LISTED_NAMES: usize = 16;

/// The DNS, IP and e-mail subjectAltNames of a certificate as `DNS:…`, `IP:…`, `email:…`
/// (non-printable characters shown as `?`), for messages.
pub(crate) fn presented_names(cert_der: &[u8]) -> Vec<String> {
    let Ok(cert) = Certificate::from_der(cert_der) else {
        return Vec::new();
    };
    let Ok(Some((_, san))) = cert.tbs_certificate.get::<SubjectAltName>() else {
        return Vec::new();
    };
    let printable = |s: &str| -> String {
        s.chars()
            .take(255)
            .map(|c| if c.is_ascii_graphic() { c } else { '?' })
            .collect()
    };
    san.0
        .iter()
        .filter_map(|g| match g {
            GeneralName::DnsName(n) => Some(format!("DNS:{}", printable(n.as_str()))),
            GeneralName::Rfc822Name(n) => Some(format!("email:{}", printable(n.as_str()))),
            GeneralName::IpAddress(a) => {
                let b = a.as_bytes();
                let ip = <[u8; 4]>::try_from(b)
                    .map(std::net::IpAddr::from)
                    .or_else(|_| <[u8; 16]>::try_from(b).map(std::net::IpAddr::from));
                Some(match ip {
                    Ok(ip) => format!("IP:{ip}"),
                    Err(_) => "IP:(malformed)".to_string(),
                })
            }
            _ => None,
        })
        .take(MAX_LISTED_NAMES)
        .collect()
}

/// Whether the end-entity certificate proves `want` the way a TLS client checks a server's
/// certificate (rustls-webpki's name check, RFC 6125): a host name must match a DNS
/// subjectAltName (ASCII case-insensitive; `*` only as the entire leftmost label, matching
/// exactly one label), an address must equal an IP subjectAltName. The common name is not used.
pub(crate) fn name_matches(cert_der: &[u8], want: &PeerName) -> Result<bool, IkeError> {
    let der = CertificateDer::from(cert_der);
    let cert = webpki::EndEntityCert::try_from(&der)
        .map_err(|e| bad_cert(format!("the peer's certificate is malformed: {e:?}")))?;
    let name = match want {
        PeerName::Fqdn(n) => ServerName::DnsName(
            DnsName::try_from(n.as_str())
                .map_err(|_| IkeError::state(format!("\"{n}\" is not a valid DNS name")))?
                .to_owned(),
        ),
        PeerName::Ip(ip) => ServerName::IpAddress((*ip).into()),
    };
    Ok(cert.verify_is_valid_for_subject_name(&name).is_ok())
}

/// What the peer's certificate must prove besides its chain.
pub(crate) struct CertChecks<'a> {
    /// The peer's IKE identity (IDi/IDr) and whether it must appear in the certificate.
    pub(crate) id: Option<(Option<&'a Identity>, bool)>,
    /// The host name or address the certificate must name.
    pub(crate) name: Option<&'a PeerName>,
    /// How its chain is checked for revocation.
    pub(crate) revocation: &'a Revocation,
}

fn auth_failed(detail: String) -> Failure {
    Failure::AuthenticationFailed {
        by: AuthBy::Us,
        detail,
    }
}

/// A certificate check that did not pass: the peer's certificate at fault rejects its
/// authentication; our own configuration at fault (no usable trust anchor, a peer name that
/// is no DNS name) is reported as ours.
fn check_failed(e: IkeError) -> Failure {
    match e {
        IkeError::Peer { detail, .. } => auth_failed(detail),
        local @ IkeError::Local { .. } => local.into(),
    }
}

/// Verifies the peer's certificate-based AUTH: chain (with revocation), identity or name,
/// signature. Returns what could not be checked for revocation, if anything (a relaxed check).
pub(crate) fn verify_peer(
    p: &[Payload],
    checks: &CertChecks<'_>,
    anchors: &[Vec<u8>],
    now_secs: u64,
    auth: &AuthPayload,
    octets: &[u8],
) -> Result<Option<String>, Failure> {
    if auth.method == crate::ids::auth_method::PSK {
        return Err(auth_failed(
            "the peer authenticated with a pre-shared key, a certificate is required".into(),
        ));
    }
    let chain = peer_chain(p);
    let (spki, unchecked) = validate(&chain, anchors, checks.revocation, now_secs)?;
    let ee = chain
        .first()
        .ok_or_else(|| auth_failed("the peer sent no certificate".into()))?;
    if let Some((peer_id, true)) = checks.id {
        let id = peer_id.ok_or_else(|| auth_failed("the peer's identity is malformed".into()))?;
        if !id_matches(ee, id).map_err(check_failed)? {
            return Err(auth_failed(format!(
                "the peer's identity {id} is not contained in its certificate"
            )));
        }
    }
    if let Some(want) = checks.name {
        if !name_matches(ee, want).map_err(check_failed)? {
            return Err(Failure::CertificateNameMismatch {
                expected: want.to_string(),
                presented: presented_names(ee),
            });
        }
    }
    verify_auth(
        crate::crypto::default_provider(),
        auth.method,
        &auth.data,
        &spki,
        octets,
    )
    .map(|_| unchecked)
    .map_err(|e| auth_failed(format!("the peer's signature does not verify: {e}")))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::ids::auth_method;

    fn file(name: &str) -> Vec<u8> {
        let p = format!("{}/tests/vectors/certs/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(p).unwrap()
    }

    fn key(name: &str) -> Box<dyn SigningKey> {
        load_key(
            &[file(&format!("{name}.der"))],
            &file(&format!("{name}.key.der")),
        )
        .unwrap()
    }

    #[test]
    fn signature_method_follows_the_peer_announcement() {
        let ec = key("client_p256");
        let a = sign(ec.as_ref(), None, false, b"octets").unwrap();
        assert_eq!(a.method, auth_method::ECDSA_256);
        assert_eq!(a.data.len(), 64);
        let a = sign(ec.as_ref(), Some(&[2, 3, 4]), false, b"octets").unwrap();
        assert_eq!(a.method, auth_method::DIGITAL_SIGNATURE);
        let ec384 = key("server_p384");
        let a = sign(ec384.as_ref(), None, false, b"octets").unwrap();
        assert_eq!(a.method, auth_method::ECDSA_384);
        let rsa = key("server_rsa");
        let pkcs1 = sign(rsa.as_ref(), None, false, b"octets").unwrap();
        let pss = sign(rsa.as_ref(), Some(&[2]), true, b"octets").unwrap();
        assert_eq!(pkcs1.method, auth_method::DIGITAL_SIGNATURE);
        assert_eq!(pss.method, auth_method::DIGITAL_SIGNATURE);
        assert_ne!(
            pkcs1.data[..20],
            pss.data[..20],
            "different AlgorithmIdentifiers"
        );
        // A peer accepting only SHA-1 leaves nothing for Ed25519.
        assert!(sign(key("client_ed25519").as_ref(), Some(&[1]), false, b"x").is_err());
        // Every one of them verifies against the certificate's key.
        for (k, a) in [
            ("client_p256", sign(ec.as_ref(), None, false, b"m").unwrap()),
            ("server_rsa", pss),
        ] {
            let spki = spki_of(&file(&format!("{k}.der"))).unwrap();
            let m: &[u8] = if k == "server_rsa" { b"octets" } else { b"m" };
            verify_auth(
                crate::crypto::default_provider(),
                a.method,
                &a.data,
                &spki,
                m,
            )
            .unwrap();
        }
    }

    #[test]
    fn identities_in_certificates() {
        let c = file("server_p384.der");
        let yes = ["@server.example", "@SERVER.example", "198.51.100.20"];
        for id in yes {
            assert!(
                id_matches(&c, &Identity::parse(id).unwrap()).unwrap(),
                "{id}"
            );
        }
        for id in ["@other.example", "198.51.100.21", "server@example"] {
            assert!(
                !id_matches(&c, &Identity::parse(id).unwrap()).unwrap(),
                "{id}"
            );
        }
        let subject = Certificate::from_der(&c)
            .unwrap()
            .tbs_certificate
            .subject
            .to_der()
            .unwrap();
        assert!(id_matches(&c, &Identity::DerDn(subject)).unwrap());
        assert!(id_matches(&c, &Identity::DerDn(vec![0x30, 0])).is_ok_and(|m| !m));
        assert!(id_matches(b"garbage", &Identity::Fqdn("x".into())).is_err());
    }

    fn names(file_name: &str) -> Vec<u8> {
        file(&format!("names/{file_name}"))
    }

    fn name_ok(cert: &[u8], want: &str) -> bool {
        name_matches(cert, &PeerName::parse(want).unwrap()).unwrap()
    }

    #[test]
    fn gateway_name_must_be_a_dns_subject_alt_name() {
        let c = file("server_rsa.der"); // DNS:server.example
        assert!(name_ok(&c, "server.example"));
        assert!(name_ok(&c, "SERVER.Example."), "case and trailing dot");
        for no in [
            "vpn.example.com",
            "example",
            "a.server.example",
            "198.51.100.20",
        ] {
            assert!(!name_ok(&c, no), "{no}");
        }
        let other = names("other.der");
        assert!(!name_ok(&other, "vpn.example.com"), "the CN is never used");
        assert!(PeerName::parse("admin@example.org").is_err());
        assert!(!name_ok(&names("cn_only.der"), "vpn.example.com"));
    }

    #[test]
    fn gateway_address_must_be_an_ip_subject_alt_name() {
        let p384 = file("server_p384.der"); // DNS:server.example, IP:198.51.100.20
        assert!(name_ok(&p384, "198.51.100.20"));
        assert!(!name_ok(&p384, "198.51.100.21"));
        // An address is never matched against DNS names, even one that spells it.
        assert!(!name_ok(&file("server_rsa.der"), "198.51.100.20"));
        let v6 = names("ipv6.der"); // IP:2001:db8::5, DNS:VPN.Example.COM
        assert!(name_ok(&v6, "2001:db8::5"));
        assert!(name_ok(&v6, "2001:0db8:0:0::5"));
        assert!(!name_ok(&v6, "2001:db8::6"));
        assert!(
            name_ok(&v6, "vpn.example.com"),
            "DNS SANs compare without case"
        );
    }

    #[test]
    fn wildcards_cover_exactly_one_leftmost_label() {
        let w = names("wildcard.der"); // DNS:*.example.com
        assert!(name_ok(&w, "vpn.example.com"));
        assert!(name_ok(&w, "VPN.EXAMPLE.COM"));
        for no in ["example.com", "a.vpn.example.com", "vpn.example.org"] {
            assert!(!name_ok(&w, no), "{no}");
        }
        // A partial-label wildcard (`v*.example.com`) matches nothing.
        let p = names("partial_wildcard.der");
        assert!(!name_ok(&p, "vpn.example.com"));
        assert!(!name_ok(&p, "v.example.com"));
    }

    #[test]
    fn presented_names_are_listed_for_the_message() {
        assert_eq!(
            presented_names(&names("other.der")),
            [
                "DNS:other.example.org",
                "IP:192.0.2.1",
                "email:admin@example.org"
            ]
        );
        assert_eq!(
            presented_names(&names("ipv6.der")),
            ["IP:2001:db8::5", "DNS:VPN.Example.COM"]
        );
        assert!(presented_names(&names("cn_only.der")).is_empty());
        assert!(presented_names(b"junk").is_empty());
        assert!(name_matches(b"junk", &PeerName::Fqdn("a.example".into())).is_err());
    }

    #[test]
    fn certreq_names_the_anchor_keys() {
        let Some(Payload::CertReq(r)) = certreq(&[file("ca.der"), file("int.der")]) else {
            panic!("no CERTREQ");
        };
        assert_eq!(r.data.len(), 40);
        assert!(certreq(&[]).is_none());
        assert!(certreq(&[b"junk".to_vec()]).is_none());
    }

    #[test]
    fn key_must_match_certificate() {
        assert!(load_key(&[file("client_p256.der")], &file("wrong_san.key.der")).is_err());
        assert!(load_key(&[], &file("wrong_san.key.der")).is_err());
        assert!(load_key(&[file("client_p256.der")], b"not a key").is_err());
    }
}
