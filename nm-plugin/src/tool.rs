//! Support for the `nm-ike` command: TOML profiles, name resolution, event lines, logging.

use crate::i18n::trf;
use crate::settings::{AddrFamily, Settings};
use ike_core::engine::{
    AddressPool, Event, Identity, LocalAuth, RemoteAuth, ResponderConfig, SecretBytes, ServeConfig,
};
use ike_core::proposal::{self, Protocol};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::path::Path;
use std::time::Duration;

/// A profile file: `name`, `[data]` (vpn.data keys), `[secrets]` (vpn.secrets keys) and, for
/// `nm-ike respond`, a `[responder]` table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Connection name (default: the file name).
    pub name: Option<String>,
    /// vpn.data keys.
    #[serde(default)]
    pub data: BTreeMap<String, String>,
    /// vpn.secrets keys.
    #[serde(default)]
    pub secrets: BTreeMap<String, String>,
    /// Responder settings.
    pub responder: Option<ResponderProfile>,
}

/// What `nm-ike respond` serves.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponderProfile {
    /// Address to listen on.
    pub listen: IpAddr,
    /// Our identity.
    pub local_id: String,
    /// Identity required from initiators (any when absent).
    pub remote_id: Option<String>,
    /// Pre-shared key.
    pub psk: String,
    /// IKE proposals (default: modern set).
    pub ike: Option<String>,
    /// ESP proposals (default: modern set).
    pub esp: Option<String>,
    /// Our subnets.
    pub local_ts: String,
    /// Accepted initiator subnets (default: any).
    pub remote_ts: Option<String>,
    /// IPv4 address pool (CIDR or `first-last`).
    pub pool_v4: Option<String>,
    /// IPv6 address pool (CIDR).
    pub pool_v6: Option<String>,
    /// DNS servers to hand out.
    #[serde(default)]
    pub dns: Vec<IpAddr>,
    /// DNS domains to hand out (RFC 8598).
    #[serde(default)]
    pub domains: Vec<String>,
    /// Accept transport mode.
    #[serde(default)]
    pub allow_transport: bool,
    /// Seconds within which initiators must reauthenticate (AUTH_LIFETIME, RFC 4478); an IKE
    /// SA not replaced by then (plus a grace of a tenth, 10 s to 5 min) is deleted.
    pub auth_lifetime: Option<u64>,
}

impl Profile {
    /// Reads and parses a profile file.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// The connection name.
    pub fn name(&self, path: &Path) -> String {
        self.name.clone().unwrap_or_else(|| {
            path.file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "nm-ike".into())
        })
    }

    /// The validated settings; every problem is listed.
    pub fn settings(&self) -> Result<Settings, String> {
        Settings::from_maps(&self.data, &self.secrets).map_err(|errs| {
            errs.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        })
    }

    /// The responder configuration and the address to listen on.
    pub fn responder(&self) -> Result<(ResponderConfig, IpAddr), String> {
        let r = self
            .responder
            .as_ref()
            .ok_or("the profile has no [responder] table")?;
        let id = |key: &str, v: &str| Identity::parse(v).map_err(|e| format!("{key}: {e}"));
        let ts =
            |key: &str, v: &str| ike_core::ts::parse_ts_list(v).map_err(|e| format!("{key}: {e}"));
        let pool = |key: &str, v: &str| -> Result<AddressPool, String> {
            AddressPool::parse(v).map_err(|e| format!("{key}: {e}"))
        };
        let psk = SecretBytes::from_slice(r.psk.as_bytes());
        let cfg = ResponderConfig {
            name: self.name.clone().unwrap_or_else(|| "responder".into()),
            local_id: id("local_id", &r.local_id)?,
            remote_id: r
                .remote_id
                .as_deref()
                .map(|v| id("remote_id", v))
                .transpose()?,
            local_auth: LocalAuth::Psk(psk.clone()),
            remote_auth: RemoteAuth::Psk(psk),
            ike_proposals: match &r.ike {
                Some(s) => {
                    proposal::parse(Protocol::Ike, s)
                        .map_err(|e| format!("ike: {e}"))?
                        .0
                }
                None => proposal::default_ike().0,
            },
            esp_proposals: match &r.esp {
                Some(s) => {
                    proposal::parse(Protocol::Esp, s)
                        .map_err(|e| format!("esp: {e}"))?
                        .0
                }
                None => proposal::default_esp().0,
            },
            local_ts: ts("local_ts", &r.local_ts)?,
            remote_ts: ts(
                "remote_ts",
                r.remote_ts.as_deref().unwrap_or("0.0.0.0/0,::/0"),
            )?,
            allow_transport: r.allow_transport,
            serve: ServeConfig {
                pool_v4: r
                    .pool_v4
                    .as_deref()
                    .map(|v| pool("pool_v4", v))
                    .transpose()?,
                pool_v6: r
                    .pool_v6
                    .as_deref()
                    .map(|v| pool("pool_v6", v))
                    .transpose()?,
                dns: r.dns.clone(),
                domains: r.domains.clone(),
                subnets: Vec::new(),
            },
            ike_lifetime: Duration::from_secs(28_800),
            child_lifetime: Duration::from_secs(3_600),
            fragmentation: ike_core::engine::Fragmentation::Yes,
            fragment_size: 1280,
            dpd_delay: None,
            retransmit: ike_core::engine::RetransmitConfig::default(),
            auth_lifetime: match r.auth_lifetime {
                None => None,
                Some(s) if (1..=u64::from(u32::MAX)).contains(&s) => Some(Duration::from_secs(s)),
                Some(s) => {
                    return Err(format!(
                        "auth_lifetime: {s} s is not between 1 and {} seconds",
                        u32::MAX
                    ))
                }
            },
            // Our responder does not answer MOBIKE_SUPPORTED: `nm-ike respond` serves fixed lab
            // peers, and only the initiator side of MOBIKE is offered to users.
            mobike: false,
        };
        Ok((cfg, r.listen))
    }
}

/// Resolves the gateway to one socket address: the first the resolver returns, or with
/// `family` (`hostaddrfamily`) the first of that family. A host name without an address of
/// the family, or an address literal of the other family, is an error naming both.
pub fn resolve(host: &str, port: u16, family: Option<AddrFamily>) -> Result<SocketAddr, String> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return pick_address(host, [SocketAddr::new(ip, port)], family);
    }
    let addrs = (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve the gateway {host}: {e}"))?;
    pick_address(host, addrs, family)
}

/// The addresses of the gateway to try, in order: the one [`resolve`] picks, then, when
/// `family` (`hostaddrfamily`) is not set and `host` is a name with addresses of both
/// families, the first address of the other family (tried when the first does not answer).
/// An address literal or a set family gives one address.
pub fn resolve_candidates(
    host: &str,
    port: u16,
    family: Option<AddrFamily>,
) -> Result<Vec<SocketAddr>, String> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![pick_address(
            host,
            [SocketAddr::new(ip, port)],
            family,
        )?]);
    }
    let addrs: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve the gateway {host}: {e}"))?
        .collect();
    candidates(host, addrs, family)
}

/// [`resolve_candidates`] once the name has resolved to `addrs`.
pub fn candidates(
    host: &str,
    addrs: Vec<SocketAddr>,
    family: Option<AddrFamily>,
) -> Result<Vec<SocketAddr>, String> {
    let first = pick_address(host, addrs.iter().copied(), family)?;
    let mut out = vec![first];
    if family.is_none() {
        if let Some(other) = addrs.iter().find(|a| a.is_ipv4() != first.is_ipv4()) {
            out.push(*other);
        }
    }
    Ok(out)
}

/// The first of `addrs` (what `host` resolved to) of `family`, or the first at all without
/// one.
pub fn pick_address(
    host: &str,
    addrs: impl IntoIterator<Item = SocketAddr>,
    family: Option<AddrFamily>,
) -> Result<SocketAddr, String> {
    let mut addrs = addrs.into_iter().peekable();
    if addrs.peek().is_none() {
        return Err(format!("the gateway {host} has no address"));
    }
    let Some(family) = family else {
        return addrs
            .next()
            .ok_or_else(|| format!("the gateway {host} has no address"));
    };
    addrs.find(|a| family.matches(a.ip())).ok_or_else(|| {
        if host.parse::<IpAddr>().is_ok() {
            trf(
                "right: the address {host} is not an {family} address, as hostaddrfamily={family} requires",
                &[("host", &host), ("family", &family.name())],
            )
        } else {
            trf(
                "the gateway {host} has no {family} address (hostaddrfamily={family})",
                &[("host", &host), ("family", &family.name())],
            )
        }
    })
}

fn ts_list(list: &[ike_core::wire::TrafficSelector]) -> String {
    list.iter()
        .map(|t| {
            let cidrs = ike_core::ts::range_to_cidrs(t.start_addr, t.end_addr);
            let mut s = cidrs
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("+");
            if t.ip_protocol != 0 {
                s.push_str(&format!(
                    "[{}/{}-{}]",
                    t.ip_protocol, t.start_port, t.end_port
                ));
            }
            s
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Eight octets (an IKE SPI) as 16 lower-case hex digits, as `swanctl --list-sas` shows them.
fn hex8(b: &[u8; 8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// One machine-readable line per event (`KIND key=value ...`).
pub fn event_line(ev: &Event) -> String {
    match ev {
        Event::IkeSaUp { name, proposal, local, remote, nat, encap, remote_id, .. } => format!(
            "IKE_SA_UP name={name} proposal={proposal} local={local} remote={remote} \
             nat_local={} nat_remote={} encap={encap} remote_id={remote_id}",
            nat.local_behind, nat.remote_behind
        ),
        Event::ChildSaUp { child, proposal, local_ts, remote_ts, spi_in, spi_out, mode, udp_encap, .. } => format!(
            "CHILD_SA_UP child={child} proposal={proposal} local_ts={} remote_ts={} spi_in={spi_in:08x} \
             spi_out={spi_out:08x} mode={mode:?} encap={}",
            ts_list(local_ts),
            ts_list(remote_ts),
            udp_encap.is_some()
        ),
        Event::ConfigReceived { config, .. } => format!(
            "CONFIG addresses={} dns={} domains={}",
            config
                .addresses_v4
                .iter()
                .chain(&config.addresses_v6)
                .map(|a| format!("{}/{}", a.addr, a.prefix))
                .collect::<Vec<_>>()
                .join(","),
            config.dns_v4.iter().chain(&config.dns_v6).map(ToString::to_string).collect::<Vec<_>>().join(","),
            config.domains.join(",")
        ),
        Event::IkeSaRekeyed { spi_i, spi_r, initiator, collision, .. } => format!(
            "IKE_SA_REKEYED spi_i={} spi_r={} initiator={initiator} collision={collision}",
            hex8(spi_i),
            hex8(spi_r)
        ),
        Event::IkeSaReauthenticated { old_spis, spis, proposal, .. } => format!(
            "IKE_SA_REAUTHENTICATED spi_i={} spi_r={} old_spi_i={} old_spi_r={} proposal={proposal}",
            hex8(&spis.0),
            hex8(&spis.1),
            hex8(&old_spis.0),
            hex8(&old_spis.1)
        ),
        Event::ChildSaDown { child, spi_in, rekeyed, .. } => {
            format!("CHILD_SA_DOWN child={child} spi_in={spi_in:08x} rekeyed={rekeyed}")
        }
        Event::IkeSaMoved { local, remote, nat, encap, .. } => format!(
            "IKE_SA_MOVED local={local} remote={remote} nat_local={} nat_remote={} encap={encap}",
            nat.local_behind, nat.remote_behind
        ),
        Event::IkeSaDown { reason, .. } => format!("IKE_SA_DOWN reason={reason:?}"),
        Event::Failed { failure, .. } => format!("FAILED {failure}"),
        Event::ExchangeFailed { failure, .. } => format!("EXCHANGE_FAILED {failure}"),
        Event::RevocationUnchecked { detail, .. } => format!("REVOCATION_UNCHECKED {detail}"),
    }
}

/// Logs to stderr; `NM_IKE_LOG` (an env-filter) overrides the level.
pub fn init_logging(debug: bool) {
    let default = if debug { "debug" } else { "info" };
    let filter = tracing_subscriber::EnvFilter::try_from_env("NM_IKE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addrs() -> Vec<SocketAddr> {
        vec![
            "[2001:db8::1]:500".parse().unwrap(),
            "192.0.2.1:500".parse().unwrap(),
            "192.0.2.2:500".parse().unwrap(),
        ]
    }

    #[test]
    fn hostaddrfamily_picks_the_gateway_s_address() {
        let host = "vpn.example.org";
        assert_eq!(
            pick_address(host, addrs(), None).unwrap(),
            "[2001:db8::1]:500".parse().unwrap()
        );
        assert_eq!(
            pick_address(host, addrs(), Some(AddrFamily::V4)).unwrap(),
            "192.0.2.1:500".parse().unwrap()
        );
        assert_eq!(
            pick_address(host, addrs(), Some(AddrFamily::V6)).unwrap(),
            "[2001:db8::1]:500".parse().unwrap()
        );
        let only_v4 = addrs().into_iter().skip(1);
        let e = pick_address(host, only_v4, Some(AddrFamily::V6)).unwrap_err();
        assert!(
            e.contains("vpn.example.org") && e.contains("ipv6") && e.contains("hostaddrfamily"),
            "{e}"
        );
        assert!(pick_address(host, [], None).is_err());
    }

    #[test]
    fn a_name_with_both_families_gives_the_other_family_as_the_fallback() {
        let host = "vpn.example.org";
        let both = candidates(host, addrs(), None).unwrap();
        assert_eq!(
            both,
            [
                "[2001:db8::1]:500".parse::<SocketAddr>().unwrap(),
                "192.0.2.1:500".parse().unwrap()
            ]
        );
        let v4_first: Vec<SocketAddr> = addrs().into_iter().rev().collect();
        assert_eq!(
            candidates(host, v4_first, None).unwrap(),
            [
                "192.0.2.2:500".parse::<SocketAddr>().unwrap(),
                "[2001:db8::1]:500".parse().unwrap()
            ]
        );
        // One family only, or hostaddrfamily set: no fallback.
        let only_v4: Vec<SocketAddr> = addrs().into_iter().skip(1).collect();
        assert_eq!(candidates(host, only_v4, None).unwrap().len(), 1);
        assert_eq!(
            candidates(host, addrs(), Some(AddrFamily::V4)).unwrap(),
            ["192.0.2.1:500".parse::<SocketAddr>().unwrap()]
        );
        assert_eq!(
            resolve_candidates("2001:db8::7", 500, None).unwrap(),
            ["[2001:db8::7]:500".parse::<SocketAddr>().unwrap()]
        );
    }

    #[test]
    fn a_literal_gateway_address_of_the_other_family_is_refused() {
        let e = resolve("192.0.2.1", 500, Some(AddrFamily::V6)).unwrap_err();
        assert!(e.contains("192.0.2.1") && e.contains("ipv6"), "{e}");
        assert_eq!(
            resolve("192.0.2.1", 500, Some(AddrFamily::V4)).unwrap(),
            "192.0.2.1:500".parse().unwrap()
        );
        assert_eq!(
            resolve("2001:db8::7", 4500, None).unwrap(),
            "[2001:db8::7]:4500".parse().unwrap()
        );
    }
}
