//! IKE identities (RFC 7296 §3.5) with strongSwan-like parsing.

use core::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::ids::id_type;

/// An IKE identity (IDi/IDr payload contents).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Identity {
    /// ID_IPV4_ADDR.
    Ipv4(Ipv4Addr),
    /// ID_IPV6_ADDR.
    Ipv6(Ipv6Addr),
    /// ID_FQDN.
    Fqdn(String),
    /// ID_RFC822_ADDR (e-mail).
    Email(String),
    /// ID_DER_ASN1_DN: a DER-encoded distinguished name.
    DerDn(Vec<u8>),
    /// ID_KEY_ID: opaque bytes.
    KeyId(Vec<u8>),
}

/// Error returned by [`Identity::parse`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid identity: {0}")]
pub struct IdentityParseError(pub String);

impl Identity {
    /// Parses an identity the way strongSwan does: an IP literal is an IP identity, text with
    /// an `@` after some text is an e-mail address, a leading `@` is an FQDN, `@#hex` is a
    /// KEY_ID, anything else is an FQDN.
    pub fn parse(s: &str) -> Result<Self, IdentityParseError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(IdentityParseError("empty identity".into()));
        }
        if let Ok(ip) = s.parse::<IpAddr>() {
            return Ok(Identity::from(ip));
        }
        if let Some(hex) = s.strip_prefix("@#") {
            return decode_hex(hex)
                .map(Identity::KeyId)
                .ok_or_else(|| IdentityParseError(format!("bad KEY_ID hex in {s:?}")));
        }
        if let Some(fqdn) = s.strip_prefix('@') {
            if fqdn.is_empty() {
                return Err(IdentityParseError("empty FQDN".into()));
            }
            return Ok(Identity::Fqdn(fqdn.to_string()));
        }
        if s.find('@').is_some_and(|i| i > 0) {
            return Ok(Identity::Email(s.to_string()));
        }
        Ok(Identity::Fqdn(s.to_string()))
    }

    /// The IANA ID type of this identity.
    pub fn id_type(&self) -> u8 {
        match self {
            Identity::Ipv4(_) => id_type::IPV4_ADDR,
            Identity::Ipv6(_) => id_type::IPV6_ADDR,
            Identity::Fqdn(_) => id_type::FQDN,
            Identity::Email(_) => id_type::RFC822_ADDR,
            Identity::DerDn(_) => id_type::DER_ASN1_DN,
            Identity::KeyId(_) => id_type::KEY_ID,
        }
    }

    /// The identification data as carried in the ID payload.
    pub fn data(&self) -> Vec<u8> {
        match self {
            Identity::Ipv4(a) => a.octets().to_vec(),
            Identity::Ipv6(a) => a.octets().to_vec(),
            Identity::Fqdn(s) | Identity::Email(s) => s.as_bytes().to_vec(),
            Identity::DerDn(b) | Identity::KeyId(b) => b.clone(),
        }
    }

    /// Builds an identity from an ID payload's type and data; `None` for unsupported types
    /// or malformed data.
    pub fn from_wire(ty: u8, data: &[u8]) -> Option<Self> {
        match ty {
            id_type::IPV4_ADDR => {
                let b: [u8; 4] = data.try_into().ok()?;
                Some(Identity::Ipv4(Ipv4Addr::from(b)))
            }
            id_type::IPV6_ADDR => {
                let b: [u8; 16] = data.try_into().ok()?;
                Some(Identity::Ipv6(Ipv6Addr::from(b)))
            }
            id_type::FQDN => Some(Identity::Fqdn(String::from_utf8(data.to_vec()).ok()?)),
            id_type::RFC822_ADDR => Some(Identity::Email(String::from_utf8(data.to_vec()).ok()?)),
            id_type::DER_ASN1_DN => Some(Identity::DerDn(data.to_vec())),
            id_type::KEY_ID => Some(Identity::KeyId(data.to_vec())),
            _ => None,
        }
    }

    /// Whether `self` (a configured identity) matches `other` (a received one). FQDN and
    /// e-mail comparisons ignore ASCII case.
    pub fn matches(&self, other: &Identity) -> bool {
        match (self, other) {
            (Identity::Fqdn(a), Identity::Fqdn(b)) | (Identity::Email(a), Identity::Email(b)) => {
                a.eq_ignore_ascii_case(b)
            }
            _ => self == other,
        }
    }
}

impl From<IpAddr> for Identity {
    fn from(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(a) => Identity::Ipv4(a),
            IpAddr::V6(a) => Identity::Ipv6(a),
        }
    }
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    let s = s.strip_prefix("0x").unwrap_or(s);
    if s.is_empty() || !s.len().is_multiple_of(2) {
        return None;
    }
    let bytes = s.as_bytes();
    bytes
        .chunks(2)
        .map(|c| {
            let hi = (*c.first()? as char).to_digit(16)?;
            let lo = (*c.get(1)? as char).to_digit(16)?;
            u8::try_from(hi * 16 + lo).ok()
        })
        .collect()
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Identity::Ipv4(a) => write!(f, "{a}"),
            Identity::Ipv6(a) => write!(f, "{a}"),
            Identity::Fqdn(s) => {
                if s.contains('@') || s.parse::<IpAddr>().is_ok() {
                    write!(f, "@{s}")
                } else {
                    write!(f, "{s}")
                }
            }
            Identity::Email(s) => write!(f, "{s}"),
            Identity::DerDn(b) => {
                write!(f, "asn1dn:#")?;
                b.iter().try_for_each(|x| write!(f, "{x:02x}"))
            }
            Identity::KeyId(b) => {
                write!(f, "@#")?;
                b.iter().try_for_each(|x| write!(f, "{x:02x}"))
            }
        }
    }
}

/// The name or address a peer's certificate must prove, as a TLS client checks a server's
/// certificate against the host it connects to: a host name against the certificate's DNS
/// subjectAltNames (RFC 6125: case-insensitive, a wildcard only as the whole leftmost label),
/// an address against its IP subjectAltNames. The subject's common name is never used.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PeerName {
    /// A DNS host name (without a trailing dot).
    Fqdn(String),
    /// An IPv4 or IPv6 address.
    Ip(IpAddr),
}

impl PeerName {
    /// The gateway as written in a profile: an IP literal is an address, anything else a
    /// host name (ASCII case and one trailing dot are dropped).
    ///
    /// # Errors
    /// An empty name, or one that is not a valid DNS host name.
    pub fn parse(s: &str) -> Result<Self, IdentityParseError> {
        let s = s.trim();
        if let Ok(ip) = s.parse::<IpAddr>() {
            return Ok(PeerName::Ip(ip));
        }
        let name = s.strip_suffix('.').unwrap_or(s).to_ascii_lowercase();
        if rustls_pki_types::DnsName::try_from(name.as_str()).is_err() || name.contains('*') {
            return Err(IdentityParseError(format!(
                "\"{s}\" is neither an IP address nor a DNS host name"
            )));
        }
        Ok(PeerName::Fqdn(name))
    }
}

impl fmt::Display for PeerName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PeerName::Fqdn(n) => write!(f, "{n}"),
            PeerName::Ip(a) => write!(f, "{a}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_forms() {
        assert_eq!(
            Identity::parse("192.0.2.1").unwrap(),
            Identity::Ipv4("192.0.2.1".parse().unwrap())
        );
        assert_eq!(
            Identity::parse("2001:db8::1").unwrap().id_type(),
            id_type::IPV6_ADDR
        );
        assert_eq!(
            Identity::parse("a@b.c").unwrap(),
            Identity::Email("a@b.c".into())
        );
        assert_eq!(
            Identity::parse("@vpn.example").unwrap(),
            Identity::Fqdn("vpn.example".into())
        );
        assert_eq!(
            Identity::parse("@#0aff").unwrap(),
            Identity::KeyId(vec![0x0a, 0xff])
        );
        assert_eq!(
            Identity::parse("host.example").unwrap(),
            Identity::Fqdn("host.example".into())
        );
        assert!(Identity::parse("@#0g").is_err());
        assert!(Identity::parse("").is_err());
    }

    #[test]
    fn display_round_trips() {
        for s in [
            "192.0.2.1",
            "a@b.c",
            "host.example",
            "@#0aff",
            "2001:db8::1",
        ] {
            let id = Identity::parse(s).unwrap();
            assert_eq!(Identity::parse(&id.to_string()).unwrap(), id, "{s}");
        }
    }

    #[test]
    fn peer_names() {
        assert_eq!(
            PeerName::parse("VPN.Example.com.").unwrap(),
            PeerName::Fqdn("vpn.example.com".into())
        );
        assert_eq!(
            PeerName::parse("192.0.2.1").unwrap(),
            PeerName::Ip("192.0.2.1".parse().unwrap())
        );
        assert_eq!(
            PeerName::parse("2001:db8::1").unwrap().to_string(),
            "2001:db8::1"
        );
        for bad in ["", "*.example.com", "a b", "host..example", "-"] {
            assert!(PeerName::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn wire_round_trip() {
        for s in [
            "192.0.2.1",
            "a@b.c",
            "host.example",
            "@#0aff",
            "2001:db8::1",
        ] {
            let id = Identity::parse(s).unwrap();
            assert_eq!(Identity::from_wire(id.id_type(), &id.data()).unwrap(), id);
        }
        assert!(Identity::from_wire(id_type::IPV4_ADDR, &[1, 2, 3]).is_none());
    }
}
