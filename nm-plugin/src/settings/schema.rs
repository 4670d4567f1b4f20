//! The single table of vpn.data and vpn.secrets keys: names, kinds, defaults and help texts.
//!
//! Everything that reads or writes a profile (the service, the editors, import/export and the
//! generated `nm-settings-ike(5)` man page) goes through this table. Key names follow
//! NetworkManager-libreswan wherever the meaning is the same, so a libreswan profile migrates by
//! changing `vpn.service-type`.

/// What values a key accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Host name or IP address.
    Host,
    /// IKE identity (`@fqdn`, `user@example.org`, an IP address, a DN, `@#hex` key id).
    Identity,
    /// `yes` or `no`.
    YesNo,
    /// One of a fixed list of words.
    Choice(&'static [&'static str]),
    /// A duration: seconds, or a number with `s`, `m`, `h` or `d`; within the bounds (seconds).
    Duration {
        /// Smallest accepted value in seconds.
        min: u64,
        /// Largest accepted value in seconds.
        max: u64,
    },
    /// A whole number within the bounds.
    Integer {
        /// Smallest accepted value.
        min: u64,
        /// Largest accepted value.
        max: u64,
    },
    /// A routing table number: 1 to 4294967294 except the kernel's reserved tables 253
    /// (default), 254 (main) and 255 (local), whose routes are not ours to manage.
    RouteTable,
    /// A routing rule priority: 1 to 32765, so the rule comes before the main table's rule
    /// (32766) and never replaces the local table's rule (0).
    RulePriority,
    /// IKE (Phase 1) proposals, Libreswan or strongSwan syntax.
    IkeProposals,
    /// ESP (Phase 2) proposals, Libreswan or strongSwan syntax.
    EspProposals,
    /// Comma-separated subnets (`10.0.0.0/8`, `2001:db8::/32`, addresses).
    Subnets,
    /// Protocol and port, `proto/port` (`17/1701`, `tcp/%any`).
    ProtoPort,
    /// Absolute path to a file.
    File,
    /// An XFRM mark, `value` or `value/mask` (decimal or `0x` hex); the value is not 0.
    Mark,
    /// A network interface name (1-15 characters: letters, digits, `_`, `-`, `.`).
    InterfaceName,
    /// A user name (EAP identity): 1 to 255 characters, as the gateway knows it.
    UserName,
    /// Secret text (a PSK or a password); never logged.
    Secret,
    /// A NetworkManager-libreswan key we accept but do not act on.
    Ignored,
    /// Our address (`left`): empty, `%defaultroute` or `%any` (routing chooses it), or an IP
    /// address.
    LocalAddress,
    /// Libreswan's several subnets, `{10.1.0.0/24,10.3.0.0/24}` (braces optional, commas or
    /// spaces between them).
    SubnetSet,
    /// One key exchange (Diffie-Hellman) group by name: `modp2048`, `ecp256`, `curve25519`,
    /// `dh14`, ...
    KeGroup,
    /// A raw public key of NetworkManager-libreswan: only `%cert` (the certificate's key).
    RsaSigKey,
    /// A NetworkManager-libreswan key refused whatever its value; the help text says what is
    /// missing and is the message.
    Unsupported,
}

/// Where a key name comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Same name and meaning as in NetworkManager-libreswan.
    Libreswan,
    /// A NetworkManager-ike key.
    Ike,
}

/// Whether a key lives in vpn.data or vpn.secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// vpn.data.
    Data,
    /// vpn.secrets (with a `<key>-flags` data key for the secret flags).
    Secret,
}

/// One key of the schema.
#[derive(Debug, Clone, Copy)]
pub struct Key {
    /// The key name in vpn.data / vpn.secrets.
    pub name: &'static str,
    /// Accepted values.
    pub kind: Kind,
    /// Default when the key is absent (documentation form), if any.
    pub default: Option<&'static str>,
    /// Where the name comes from.
    pub origin: Origin,
    /// vpn.data or vpn.secrets.
    pub place: Place,
    /// One-sentence help text in English (marked for gettext; see [`Key::localized_help`]).
    pub help: &'static str,
}

impl Key {
    /// The help text in the user's language (English when there is no translation).
    pub fn localized_help(&self) -> &'static str {
        tr(self.help)
    }
}

const fn data(
    name: &'static str,
    kind: Kind,
    default: Option<&'static str>,
    origin: Origin,
    help: &'static str,
) -> Key {
    Key {
        name,
        kind,
        default,
        origin,
        place: Place::Data,
        help,
    }
}

const fn secret(name: &'static str, origin: Origin, help: &'static str) -> Key {
    Key {
        name,
        kind: Kind::Secret,
        default: None,
        origin,
        place: Place::Secret,
        help,
    }
}

use crate::i18n::{tr, tr_noop};
use Origin::{Ike, Libreswan as Ls};

/// Accepted `ikev2` values (Libreswan's); `never`/`no` mean IKEv1, the others IKEv2.
pub const IKEV2_VALUES: &[&str] = &["never", "no", "permit", "propose", "yes", "insist"];
/// Accepted `authby` values.
pub const AUTHBY_VALUES: &[&str] = &["secret", "rsasig", "ecdsa", "cert"];
/// Accepted `leftauth` values: EAP methods (strongSwan's names).
pub const LEFTAUTH_VALUES: &[&str] = &["eap-mschapv2", "eap-gtc", "eap-md5"];
/// Accepted `fragmentation` values.
pub const FRAGMENTATION_VALUES: &[&str] = &["yes", "no", "force"];
/// Accepted `dpdaction` values.
pub const DPDACTION_VALUES: &[&str] = &["clear", "hold", "restart"];
/// Accepted `type` values.
pub const TYPE_VALUES: &[&str] = &["tunnel", "transport"];
/// Accepted `encapsulation` values.
pub const ENCAPSULATION_VALUES: &[&str] = &["auto", "yes", "no"];
/// Values of `nic-offload`.
pub const NIC_OFFLOAD_VALUES: &[&str] = &["no", "yes", "auto"];
/// Accepted address family values.
pub const FAMILY_VALUES: &[&str] = &["ipv4", "ipv6"];
/// Accepted `nm-connect-mode` values.
pub const CONNECT_MODE_VALUES: &[&str] = &["up", "ondemand"];

const DAY: u64 = 86_400;

/// The routing tables the kernel reserves (253 default, 254 main, 255 local); `route-table`
/// refuses them, and 0 (unspecified).
pub const RESERVED_ROUTE_TABLES: &[u64] = &[0, 253, 254, 255];
/// The largest `route-table`.
pub const MAX_ROUTE_TABLE: u64 = 4_294_967_294;
/// The priority of the main table's rule (`32766: from all lookup main`); our rule must come
/// before it.
pub const MAIN_RULE_PRIORITY: u64 = 32_766;

/// Every key we know, in the order the man page lists them.
pub const KEYS: &[Key] = &[
    data("right", Kind::Host, None, Ls, tr_noop("The gateway: host name or IP address (required).")),
    data("rightid", Kind::Identity, None, Ls, tr_noop("The gateway's IKE identity; by default its IP address or, with certificates, the host name or address in right, which its certificate must name (DNS or IP subjectAltName).")),
    data("leftid", Kind::Identity, None, Ls, tr_noop("Our IKE identity; by default our IP address or the subject of our certificate.")),
    data("authby", Kind::Choice(AUTHBY_VALUES), Some("secret"), Ls, tr_noop("How we authenticate: secret (pre-shared key) or a certificate (rsasig, ecdsa and cert all mean certificate).")),
    data("leftauth", Kind::Choice(LEFTAUTH_VALUES), None, Ike, tr_noop("How we authenticate when it differs from authby, as strongSwan writes it: eap-mschapv2 (user name and password, EAP-MSCHAPv2), eap-gtc (a password or one-time code, EAP-GTC) or eap-md5 (user name and password, EAP-MD5, which does not prove the gateway knows the password), RFC 7296 §2.16. The gateway then authenticates with its certificate (rightca, rightid, the name in right, as for authby=cert), and authby may only be left out or name certificates.")),
    data("leftusername", Kind::UserName, None, Ls, tr_noop("Our user name for EAP (leftauth=eap-...), sent as the EAP identity; our IKE identity stays leftid.")),
    data("leftcert", Kind::File, None, Ls, tr_noop("Our certificate (PEM or DER file); for authby=cert.")),
    data("leftkey", Kind::File, None, Ike, tr_noop("The private key of our certificate (PEM or DER PKCS#8 file).")),
    data("leftpkcs12", Kind::File, None, Ike, tr_noop("A PKCS#12 file with our certificate, key and chain, instead of leftcert and leftkey.")),
    data("leftrsasigkey", Kind::RsaSigKey, None, Ls, tr_noop("Only %cert, what we always do: our public key is the one of our certificate; raw RSA keys are not supported, use certificates.")),
    data("rightrsasigkey", Kind::RsaSigKey, None, Ls, tr_noop("Only %cert, what we always do: the gateway's public key is the one of its certificate; raw RSA keys are not supported, use certificates.")),
    data("rightca", Kind::File, None, Ike, tr_noop("CA certificate(s) to trust for the gateway (PEM file); by default the system trust store.")),
    data("rightcrl", Kind::File, None, Ike, tr_noop("Certificate revocation lists (CRLs) of the CAs in rightca and of the gateway's intermediate CAs (a PEM file with one or more X509 CRL blocks, or one DER CRL): a gateway certificate that one of them lists is refused, naming the certificate. Each CRL must be signed by its CA; nothing is fetched, so keep the file current. Only with certificate authentication.")),
    data("crl-strict", Kind::YesNo, Some("no"), Ike, tr_noop("As Libreswan's crl-strict: with yes, every certificate of the gateway's chain must be covered by an unexpired CRL from rightcrl, or the connection is refused; with no, a missing or expired CRL is logged as a warning and the certificate accepted unless a CRL, even an expired one, lists it. yes needs rightcrl.")),
    data("require-id-on-certificate", Kind::YesNo, Some("yes"), Ls, tr_noop("Require the gateway's identity (rightid) to appear in its certificate (RFC 4945); no is allowed only together with rightca.")),
    data("ikev2", Kind::Choice(IKEV2_VALUES), Some("insist"), Ls, tr_noop("IKE version: never or no use IKEv1 (Main Mode with a pre-shared key, then Quick Mode; ike and esp in Libreswan's IKEv1 form such as aes256-sha2_256;modp2048); every other value means IKEv2. With IKEv1 these are not supported yet and are refused: Aggressive Mode, XAUTH and EAP (leftauth, leftusername), MOBIKE, Mode Config (leftmodecfgclient, which then defaults to no), certificates, IKE fragmentation, narrowing (defaults to no), several subnets, additional key exchanges (RFC 9370), and rekeying (rekey defaults to no: the connection ends when the IKE or IPsec SA lifetime ends).")),
    data("aggrmode", Kind::YesNo, Some("no"), Ls, tr_noop("IKEv1 Aggressive Mode: not supported yet, so only no is accepted.")),
    data("ike", Kind::IkeProposals, None, Ls, tr_noop("Phase 1 (IKE) proposals, e.g. aes_gcm256-sha2_512;dh19 or aes256-sha384-modp1536; a post-quantum hybrid adds an additional key exchange (RFC 9370, over IKE_INTERMEDIATE), e.g. aes256gcm16-prfsha384-x25519-ke1_mlkem768 or aes_gcm256-sha2_384-dh31;addke1=ml_kem_768; default: modern algorithms.")),
    data("esp", Kind::EspProposals, None, Ls, tr_noop("Phase 2 (ESP) proposals, e.g. aes_gcm256 or aes128-sha1;modp1024; additional key exchanges (RFC 9370, used when Child SAs are rekeyed) need a PFS group, e.g. aes256gcm16-x25519-ke1_mlkem768; default: modern algorithms.")),
    data("pfs", Kind::YesNo, Some("yes"), Ls, tr_noop("Perfect forward secrecy for Child SAs (a key exchange in Phase 2).")),
    data("dhgroup", Kind::KeGroup, None, Ls, tr_noop("The key exchange group of Phase 1 (modp2048, ecp256, curve25519, ...): the default IKE algorithms with only this group; not together with ike, which names its groups itself.")),
    data("pfsgroup", Kind::KeGroup, None, Ls, tr_noop("The key exchange group of Phase 2 (perfect forward secrecy): the default ESP algorithms with this group; not together with esp, which names its groups itself, nor with pfs=no.")),
    data("ikelifetime", Kind::Duration { min: 60, max: DAY }, Some("8h"), Ls, tr_noop("Lifetime of the IKE SA before rekeying.")),
    data("salifetime", Kind::Duration { min: 60, max: DAY }, Some("1h"), Ls, tr_noop("Lifetime of a Child (IPsec) SA before rekeying.")),
    data("ipsec-max-bytes", Kind::Integer { min: 0, max: 1 << 62 }, Some("0"), Ike, tr_noop("Rekey a Child SA after this many bytes in either direction (the kernel's hard limit; rekeying starts at about 90 %); 0 means no limit.")),
    data("ipsec-max-packets", Kind::Integer { min: 0, max: 1 << 62 }, Some("0"), Ike, tr_noop("Rekey a Child SA after this many packets in either direction, like ipsec-max-bytes; 0 means no limit.")),
    data("nic-offload", Kind::Choice(NIC_OFFLOAD_VALUES), Some("no"), Ike, tr_noop("ESP crypto offload to the network card: yes or auto ask the kernel for it and fall back to software when the device cannot (yes logs a warning), no never asks.")),
    data("rekey", Kind::YesNo, Some("yes"), Ls, tr_noop("Rekey the IKE SA and the IPsec SAs before their lifetimes end; with no, an SA that reaches its lifetime ends, and when the IKE SA ends the connection ends. Either way, a gateway that sets an authentication lifetime (AUTH_LIFETIME, RFC 4478) gets a new IKE SA before it ends (reauthentication, the old one deleted once the new one carries the traffic); if that fails until the lifetime ends, the connection ends.")),
    data("left", Kind::LocalAddress, Some("%defaultroute"), Ls, tr_noop("Our address: %defaultroute, %any or empty let the routing table choose our address towards the gateway; an IP address must be that address (connecting from another address is not supported yet).")),
    data("leftsubnet", Kind::Subnets, None, Ls, tr_noop("Local networks to protect (site-to-site); by default our (virtual) address.")),
    data("rightsubnet", Kind::Subnets, Some("0.0.0.0/0"), Ls, tr_noop("Remote networks reachable through the tunnel; 0.0.0.0/0 sends all traffic. Left at its default, the subnets the gateway pushes (INTERNAL_IP4_SUBNET/INTERNAL_IP6_SUBNET) are routed instead of everything of their address family (split include).")),
    data("leftsubnets", Kind::SubnetSet, None, Ls, tr_noop("Several local networks, e.g. {10.1.0.0/24,10.3.0.0/24}, instead of leftsubnet; one Child SA carries them all.")),
    data("rightsubnets", Kind::SubnetSet, None, Ls, tr_noop("Several remote networks, e.g. {10.2.0.0/24,10.4.0.0/24}, instead of rightsubnet; one Child SA carries them all.")),
    data("leftprotoport", Kind::ProtoPort, None, Ls, tr_noop("Restrict the tunnel to a local protocol/port, e.g. 17/1701.")),
    data("rightprotoport", Kind::ProtoPort, None, Ls, tr_noop("Restrict the tunnel to a remote protocol/port, e.g. 17/%any.")),
    data("narrowing", Kind::YesNo, Some("yes"), Ls, tr_noop("Accept traffic selectors the gateway narrows to a subset of ours.")),
    data("type", Kind::Choice(TYPE_VALUES), Some("tunnel"), Ls, tr_noop("IPsec mode: tunnel, or transport (host to host).")),
    data("leftmodecfgclient", Kind::YesNo, Some("yes"), Ls, tr_noop("Ask the gateway for a virtual address, DNS servers and domains (configuration payload).")),
    data("hostaddrfamily", Kind::Choice(FAMILY_VALUES), None, Ls, tr_noop("Address family of the gateway address: a host name is resolved to an address of this family (an error when it has none), and an address written in right must be of it; by default the first address the resolver returns, and when that address does not answer before the IKE SA is up (or has no route) and the name also has an address of the other family, nm-ike-service tries that address (nm-ike up tries the first only).")),
    data("clientaddrfamily", Kind::Choice(FAMILY_VALUES), None, Ls, tr_noop("Address family of the virtual address to request (with leftmodecfgclient=yes); by default IPv4 and/or IPv6 as the gateway's address and rightsubnet suggest.")),
    data("fragmentation", Kind::Choice(FRAGMENTATION_VALUES), Some("yes"), Ls, tr_noop("IKE fragmentation (RFC 7383): yes, no, or force.")),
    data("mobike", Kind::YesNo, Some("no"), Ls, tr_noop("MOBIKE (RFC 4555): offer it to the gateway, so that when this computer's address towards the gateway changes (another network, an uplink going down) the connection moves there without a new IKE SA, keeping its virtual address, DNS and routes. Without it (or when the gateway does not support it) such a change ends the IKE SA: with dpdaction=restart or hold a new one is set up from the new address, otherwise the connection ends. Not with vti-interface.")),
    data("dpddelay", Kind::Duration { min: 0, max: DAY }, Some("0"), Ls, tr_noop("Send a liveness check after this much silence; 0 disables dead peer detection.")),
    data("dpdtimeout", Kind::Duration { min: 1, max: DAY }, Some("150s"), Ls, tr_noop("With dead peer detection on (dpddelay above 0): the gateway counts as dead when a liveness check stays unanswered this long; it may be shorter than dpddelay.")),
    data("dpdaction", Kind::Choice(DPDACTION_VALUES), Some("clear"), Ls, tr_noop("What to do when the gateway stops answering liveness checks: clear ends the connection; restart keeps it, blocks its traffic and connects again (1 s, 2 s, 4 s ... apart, never more than dpddelay or 30 s) until it is up or disconnected, asking for the same address; hold keeps it and blocks its traffic too, but connects again only when traffic wants to go through the tunnel (the kernel reports the first blocked packet), asking for the same address; after a failed attempt it waits for traffic again and the same backoff.")),
    data("ipsec-interface", Kind::Integer { min: 1, max: 65_535 }, None, Ls, tr_noop("Route-based tunnel: XFRM interface id (the interface is named ipsec<N>).")),
    data("mark", Kind::Mark, None, Ike, tr_noop("Mark-based route-based tunnel (with vti-interface): the XFRM mark of the SAs and policies, value or value/mask, as in the OCI guide; distinct marks let two tunnels run at once.")),
    data("vti-interface", Kind::InterfaceName, None, Ike, tr_noop("Mark-based route-based tunnel: the VTI device to create, keyed with mark, through which the remote networks are routed.")),
    data("nat-keepalive", Kind::Duration { min: 0, max: 3600 }, Some("20s"), Ike, tr_noop("Behind a NAT, send a NAT-keepalive (RFC 3948) after this long without sending to the gateway, so the NAT keeps the mapping; 0 turns it off. On Linux 6.11 and later the kernel sends them for the tunnel's ESP SAs (XFRMA_NAT_KEEPALIVE_INTERVAL); on older kernels, or when the kernel does not take it, the service sends them. Libreswan and strongSwan set it for all connections, so an export keeps it only as a # nm-ike: comment.")),
    data("encapsulation", Kind::Choice(ENCAPSULATION_VALUES), Some("auto"), Ike, tr_noop("UDP encapsulation of ESP: auto (when a NAT is detected), yes (always, as OCI asks), or no (never: a NAT on the path ends the connection with an error).")),
    data("rightport", Kind::Integer { min: 1, max: 65_535 }, Some("500"), Ike, tr_noop("The gateway's IKE UDP port.")),
    data("route-table", Kind::RouteTable, Some("2749"), Ike, tr_noop("Routing table for the tunnel's routes (TunnelVision defence).")),
    data("route-rule-priority", Kind::RulePriority, Some("2749"), Ike, tr_noop("Priority of the routing rule that sends traffic to the tunnel's table.")),
    data("retransmit-timeout", Kind::Duration { min: 1, max: 60 }, Some("1s"), Ike, tr_noop("Time before the first retransmission of an IKE request; it doubles on each try.")),
    data("retransmit-tries", Kind::Integer { min: 1, max: 10 }, Some("4"), Ike, tr_noop("Transmissions of each IKE request (the first included) before the gateway counts as not answering; with the defaults that is after 15 s.")),
    data("keyingtries", Kind::Integer { min: 0, max: 100 }, Some("1"), Ls, tr_noop("How many times nm-ike-service tries to establish the connection before the activation fails. A try goes to each of the gateway's addresses in turn (see hostaddrfamily); another try follows only when the gateway did not answer (no answer within the retransmissions, or ICMP errors saying nothing listens), never after it refused us. 0: until NetworkManager gives up (vpn.timeout). nm-ike up tries once.")),
    data("nm-connect-mode", Kind::Choice(CONNECT_MODE_VALUES), Some("up"), Ls, tr_noop("Connect at once (up); connecting on demand (ondemand) is not supported yet and is refused.")),
    data("leftsendcert", Kind::Ignored, None, Ls, tr_noop("Accepted for compatibility; we always send our certificate.")),
    data("rightcert", Kind::Unsupported, None, Ls, tr_noop("pinning the gateway's certificate is not supported yet; remove rightcert and set rightca to the CA that issued the gateway's certificate.")),
    data("leftxauthusername", Kind::Unsupported, None, Ls, tr_noop("XAUTH user names are not supported yet (IKEv1 works with a pre-shared key only); remove leftxauthusername.")),
    data("vendor", Kind::Ignored, None, Ls, tr_noop("Accepted for compatibility; no vendor quirks are needed for IKEv2.")),
    data("nm-auto-defaults", Kind::Ignored, None, Ls, tr_noop("Accepted for compatibility.")),
    data("Domain", Kind::Ignored, None, Ls, tr_noop("Accepted for compatibility (NetworkManager-libreswan shows it but does not use it).")),
    data("pskinputmodes", Kind::Ignored, None, Ls, tr_noop("Accepted for compatibility.")),
    data("xauthpasswordinputmodes", Kind::Ignored, None, Ls, tr_noop("Accepted for compatibility.")),
    secret("pskvalue", Ls, tr_noop("The pre-shared key (authby=secret).")),
    secret("leftkey-password", Ike, tr_noop("Password of the private key or PKCS#12 file.")),
    secret("password", Ike, tr_noop("The EAP password (or one-time code) of leftusername; asked for when it is not saved.")),
    Key {
        name: "xauthpassword",
        kind: Kind::Unsupported,
        default: None,
        origin: Ls,
        place: Place::Secret,
        help: tr_noop("XAUTH passwords are not supported yet (IKEv1 works with a pre-shared key only); remove xauthpassword."),
    },
];

/// Finds a key by name (vpn.data or vpn.secrets).
pub fn key(name: &str) -> Option<&'static Key> {
    KEYS.iter().find(|k| k.name == name)
}

/// The closest known key name to `name`, for "did you mean" hints.
pub fn suggest(name: &str) -> Option<&'static str> {
    KEYS.iter()
        .map(|k| {
            (
                strsim::levenshtein(&name.to_ascii_lowercase(), &k.name.to_ascii_lowercase()),
                k.name,
            )
        })
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, n)| n)
}
