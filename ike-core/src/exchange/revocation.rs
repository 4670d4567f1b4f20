//! Revocation of the peer's certificates by certificate revocation lists (RFC 5280 §5, §6.3).
//!
//! rustls-webpki makes every decision while it validates the chain: which CRL is
//! authoritative for a certificate, the CRL's signature by the issuer's key, the issuer's
//! cRLSign key usage, the CRL's next update against the wall clock and whether the serial is
//! listed. This module gives it the configured CRLs with the policy of
//! [`Revocation::strict`], and names a revoked certificate (subject, serial, date and reason,
//! read with x509-cert) for the failure message.

use core::time::Duration;

use webpki::{
    BorrowedCertRevocationList, CertRevocationList, ExpirationPolicy, RevocationCheckDepth,
    RevocationOptions, RevocationOptionsBuilder, UnknownStatusPolicy,
};
use x509_cert::crl::CertificateList;
use x509_cert::der::Decode;
use x509_cert::ext::pkix::crl::CrlReason;
use x509_cert::Certificate;

use crate::api::{AuthBy, Failure, IkeError, Revocation};

/// The configured CRLs, parsed by rustls-webpki (borrowing the configuration's DER).
pub(crate) struct Crls<'a> {
    lists: Vec<CertRevocationList<'a>>,
    der: &'a [Vec<u8>],
    strict: bool,
}

/// Parses the configured CRLs; a CRL that does not parse is our configuration's fault.
pub(crate) fn parse(rev: &Revocation) -> Result<Crls<'_>, IkeError> {
    let lists = rev
        .crls
        .iter()
        .enumerate()
        .map(|(i, d)| {
            BorrowedCertRevocationList::from_der(d)
                .map(CertRevocationList::from)
                .map_err(|e| {
                    IkeError::state(format!(
                        "certificate revocation list {} is not usable: {e:?}",
                        i + 1
                    ))
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    if rev.strict && lists.is_empty() {
        return Err(IkeError::state(
            "strict revocation checking is configured without any certificate revocation list",
        ));
    }
    Ok(Crls {
        lists,
        der: &rev.crls,
        strict: rev.strict,
    })
}

impl<'a> Crls<'a> {
    /// Whether there is nothing to check with.
    pub(crate) fn is_empty(&self) -> bool {
        self.lists.is_empty()
    }

    /// Whether a missing or expired CRL fails the check.
    pub(crate) fn strict(&self) -> bool {
        self.strict
    }

    /// References for [`RevocationOptionsBuilder`].
    pub(crate) fn refs(&self) -> Vec<&CertRevocationList<'a>> {
        self.lists.iter().collect()
    }

    /// The failure for a revoked `chain`: its first certificate that a CRL of its issuer
    /// lists, with subject, serial, revocation date and reason (webpki says that the chain is
    /// revoked, not which certificate of it).
    pub(crate) fn revoked(&self, chain: &[&[u8]]) -> Failure {
        for cert in chain.iter().filter_map(|c| Certificate::from_der(c).ok()) {
            let tbs = &cert.tbs_certificate;
            for crl in self
                .der
                .iter()
                .filter_map(|d| CertificateList::from_der(d).ok())
            {
                if crl.tbs_cert_list.issuer != tbs.issuer {
                    continue;
                }
                let entry = crl
                    .tbs_cert_list
                    .revoked_certificates
                    .iter()
                    .flatten()
                    .find(|r| r.serial_number == tbs.serial_number);
                if let Some(r) = entry {
                    let reason = r
                        .crl_entry_extensions
                        .iter()
                        .flatten()
                        .find(|e| e.extn_id == CRL_REASON)
                        .and_then(|e| CrlReason::from_der(e.extn_value.as_bytes()).ok())
                        .map(|r| reason_name(r).to_string());
                    return Failure::CertificateRevoked {
                        subject: printable(&tbs.subject.to_string()),
                        serial: serial_hex(tbs.serial_number.as_bytes()),
                        issuer: printable(&tbs.issuer.to_string()),
                        revoked_at: r.revocation_date.to_string(),
                        reason,
                    };
                }
            }
        }
        Failure::AuthenticationFailed {
            by: AuthBy::Us,
            detail: "a certificate of the peer's chain is revoked".into(),
        }
    }
}

/// id-ce-cRLReasons (2.5.29.21).
const CRL_REASON: x509_cert::der::asn1::ObjectIdentifier =
    x509_cert::der::asn1::ObjectIdentifier::new_unwrap("2.5.29.21");

fn reason_name(r: CrlReason) -> &'static str {
    match r {
        CrlReason::Unspecified => "unspecified",
        CrlReason::KeyCompromise => "key compromise",
        CrlReason::CaCompromise => "CA compromise",
        CrlReason::AffiliationChanged => "affiliation changed",
        CrlReason::Superseded => "superseded",
        CrlReason::CessationOfOperation => "cessation of operation",
        CrlReason::CertificateHold => "certificate hold",
        CrlReason::RemoveFromCRL => "remove from CRL",
        CrlReason::PrivilegeWithdrawn => "privilege withdrawn",
        CrlReason::AaCompromise => "AA compromise",
    }
}

/// A serial number as `openssl x509 -serial` prints it: upper-case hex, no leading zero bytes.
fn serial_hex(bytes: &[u8]) -> String {
    let trimmed = match bytes.iter().position(|b| *b != 0) {
        Some(i) => bytes.get(i..).unwrap_or_default(),
        None => bytes
            .get(bytes.len().saturating_sub(1)..)
            .unwrap_or_default(),
    };
    trimmed.iter().map(|b| format!("{b:02X}")).collect()
}

/// Text from a certificate, with anything but printable ASCII shown as `?` (at most 256).
fn printable(s: &str) -> String {
    s.chars()
        .take(256)
        .map(|c| {
            if c == ' ' || c.is_ascii_graphic() {
                c
            } else {
                '?'
            }
        })
        .collect()
}

/// The options of one verification: strict (a missing or expired CRL is an error) or relaxed
/// (unknown status allowed, expired CRLs still consulted).
pub(crate) fn options<'a>(
    crls: &'a [&'a CertRevocationList<'a>],
    strict: bool,
) -> Option<RevocationOptions<'a>> {
    let b = RevocationOptionsBuilder::new(crls)
        .ok()?
        .with_depth(RevocationCheckDepth::Chain);
    Some(if strict {
        b.with_status_policy(UnknownStatusPolicy::Deny)
            .with_expiration_policy(ExpirationPolicy::Enforce)
            .build()
    } else {
        b.with_status_policy(UnknownStatusPolicy::Allow)
            .with_expiration_policy(ExpirationPolicy::Ignore)
            .build()
    })
}

/// Whether the error says a CRL was missing or expired (what a relaxed check tolerates).
pub(crate) fn is_unchecked(e: &webpki::Error) -> bool {
    matches!(
        e,
        webpki::Error::UnknownRevocationStatus | webpki::Error::CrlExpired { .. }
    )
}

/// Whether the error is about a configured CRL itself (our configuration's fault).
pub(crate) fn is_crl_fault(e: &webpki::Error) -> bool {
    use webpki::Error as E;
    #[allow(deprecated)]
    let r = matches!(
        e,
        E::InvalidCrlSignatureForPublicKey
            | E::IssuerNotCrlSigner
            | E::InvalidCrlNumber
            | E::UnsupportedCrlVersion
            | E::UnsupportedDeltaCrl
            | E::UnsupportedIndirectCrl
            | E::UnsupportedRevocationReason
            | E::UnsupportedRevocationReasonsPartitioning
            | E::UnsupportedCrlIssuingDistributionPoint
            | E::UnsupportedCrlSignatureAlgorithm
            | E::UnsupportedCrlSignatureAlgorithmContext(_)
            | E::UnsupportedCrlSignatureAlgorithmForPublicKey
            | E::UnsupportedCrlSignatureAlgorithmForPublicKeyContext(_)
    );
    r
}

/// Words for a missing or expired CRL, or a CRL fault.
pub(crate) fn describe(e: &webpki::Error) -> String {
    use webpki::Error as E;
    match e {
        E::UnknownRevocationStatus => {
            "no certificate revocation list of its issuer is configured".into()
        }
        E::CrlExpired { next_update, .. } => {
            let at = x509_cert::der::DateTime::from_unix_duration(Duration::from_secs(
                next_update.as_secs(),
            ))
            .map(|d| d.to_string())
            .unwrap_or_else(|_| "(date out of range)".into());
            format!("the certificate revocation list of its issuer expired at {at}")
        }
        E::InvalidCrlSignatureForPublicKey => {
            "a configured certificate revocation list is not signed by the CA it names".into()
        }
        E::IssuerNotCrlSigner => {
            "the CA of a configured certificate revocation list may not sign CRLs".into()
        }
        other => format!("a configured certificate revocation list is not usable: {other:?}"),
    }
}

#[cfg(test)]
#[path = "revocation_tests.rs"]
mod tests;
