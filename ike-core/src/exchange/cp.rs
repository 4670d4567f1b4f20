//! Configuration payload (RFC 7296 §3.15, RFC 8598): requests, serving from pools, replies.

use std::net::IpAddr;

use crate::api::{
    AssignedAddress, IkeError, IkeSaHandle, ReceivedConfig, RequestConfig, ServeConfig,
};
use crate::ctx::leases::Leases;
use crate::ids::{cfg_attr, cfg_type, notify};
use crate::wire::{CfgAttribute, CpPayload, TrafficSelector};

/// The initiator's CFG_REQUEST.
pub(crate) fn request(r: &RequestConfig) -> CpPayload {
    let mut attrs = Vec::new();
    if r.ipv4 {
        attrs.push(match r.prefer_v4 {
            Some(a) => CfgAttribute {
                attr_type: cfg_attr::INTERNAL_IP4_ADDRESS,
                value: a.octets().to_vec(),
            },
            None => CfgAttribute::request(cfg_attr::INTERNAL_IP4_ADDRESS),
        });
    }
    if r.ipv6 {
        attrs.push(match r.prefer_v6 {
            Some(a) => {
                let mut value = a.octets().to_vec();
                value.push(128);
                CfgAttribute {
                    attr_type: cfg_attr::INTERNAL_IP6_ADDRESS,
                    value,
                }
            }
            None => CfgAttribute::request(cfg_attr::INTERNAL_IP6_ADDRESS),
        });
    }
    if r.dns {
        if r.ipv4 || !r.ipv6 {
            attrs.push(CfgAttribute::request(cfg_attr::INTERNAL_IP4_DNS));
        }
        if r.ipv6 {
            attrs.push(CfgAttribute::request(cfg_attr::INTERNAL_IP6_DNS));
        }
        attrs.push(CfgAttribute::request(cfg_attr::INTERNAL_DNS_DOMAIN));
    }
    CpPayload {
        cfg_type: cfg_type::REQUEST,
        attrs,
    }
}

/// Serves a CFG_REQUEST for the IKE SA `sa`, leasing its addresses from the engine's pools;
/// `Err` when an address was requested but none can be given (no pool, or it is exhausted).
pub(crate) fn serve(
    leases: &mut Leases,
    sa: IkeSaHandle,
    peer: &str,
    s: &ServeConfig,
    req: &CpPayload,
) -> Result<CpPayload, IkeError> {
    let no_pool = || IkeError::refused(notify::INTERNAL_ADDRESS_FAILURE, "no address pool");
    let exhausted = || IkeError::refused(notify::INTERNAL_ADDRESS_FAILURE, "no address left");
    if req.cfg_type != cfg_type::REQUEST {
        return Ok(CpPayload {
            cfg_type: cfg_type::REPLY,
            attrs: Vec::new(),
        });
    }
    let wants = |t: u16| req.attrs.iter().any(|a| a.attr_type == t);
    leases.note_peer(sa, peer);
    let mut attrs = Vec::new();
    if wants(cfg_attr::INTERNAL_IP4_ADDRESS) {
        let p = s.pool_v4.as_ref().ok_or_else(no_pool)?;
        let asked = requested(req, cfg_attr::INTERNAL_IP4_ADDRESS)
            .and_then(|w| leases.lease_requested(sa, p, w, peer));
        let Ok(IpAddr::V4(a)) = asked.map_or_else(|| leases.lease(sa, p), Ok) else {
            return Err(exhausted());
        };
        attrs.push(CfgAttribute {
            attr_type: cfg_attr::INTERNAL_IP4_ADDRESS,
            value: a.octets().to_vec(),
        });
        let mask = u32::MAX
            .checked_shl(32 - u32::from(p.prefix.min(32)))
            .unwrap_or(0);
        attrs.push(CfgAttribute {
            attr_type: cfg_attr::INTERNAL_IP4_NETMASK,
            value: mask.to_be_bytes().to_vec(),
        });
    }
    if wants(cfg_attr::INTERNAL_IP6_ADDRESS) {
        let p = s.pool_v6.as_ref().ok_or_else(no_pool)?;
        let asked = requested(req, cfg_attr::INTERNAL_IP6_ADDRESS)
            .and_then(|w| leases.lease_requested(sa, p, w, peer));
        let Ok(IpAddr::V6(a)) = asked.map_or_else(|| leases.lease(sa, p), Ok) else {
            return Err(exhausted());
        };
        let mut v = a.octets().to_vec();
        v.push(p.prefix.min(128));
        attrs.push(CfgAttribute {
            attr_type: cfg_attr::INTERNAL_IP6_ADDRESS,
            value: v,
        });
    }
    for d in &s.dns {
        match d {
            IpAddr::V4(a) if wants(cfg_attr::INTERNAL_IP4_DNS) => attrs.push(CfgAttribute {
                attr_type: cfg_attr::INTERNAL_IP4_DNS,
                value: a.octets().to_vec(),
            }),
            IpAddr::V6(a) if wants(cfg_attr::INTERNAL_IP6_DNS) => attrs.push(CfgAttribute {
                attr_type: cfg_attr::INTERNAL_IP6_DNS,
                value: a.octets().to_vec(),
            }),
            _ => {}
        }
    }
    if wants(cfg_attr::INTERNAL_DNS_DOMAIN) {
        for d in &s.domains {
            attrs.push(CfgAttribute {
                attr_type: cfg_attr::INTERNAL_DNS_DOMAIN,
                value: d.as_bytes().to_vec(),
            });
        }
    }
    for (net, prefix) in &s.subnets {
        match net {
            IpAddr::V4(a) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from((*prefix).min(32)))
                    .unwrap_or(0);
                let mut v = a.octets().to_vec();
                v.extend_from_slice(&mask.to_be_bytes());
                attrs.push(CfgAttribute {
                    attr_type: cfg_attr::INTERNAL_IP4_SUBNET,
                    value: v,
                });
            }
            IpAddr::V6(a) => {
                let mut v = a.octets().to_vec();
                v.push(*prefix);
                attrs.push(CfgAttribute {
                    attr_type: cfg_attr::INTERNAL_IP6_SUBNET,
                    value: v,
                });
            }
        }
    }
    Ok(CpPayload {
        cfg_type: cfg_type::REPLY,
        attrs,
    })
}

/// The address a CFG_REQUEST asks for in attribute `ty` (a value of 4 octets for IPv4, 16
/// plus a prefix length for IPv6), if any.
fn requested(req: &CpPayload, ty: u16) -> Option<IpAddr> {
    let a = req.attrs.iter().find(|a| a.attr_type == ty)?;
    match ty {
        cfg_attr::INTERNAL_IP4_ADDRESS => a.ipv4().map(IpAddr::V4),
        _ => a.ipv6_prefix().map(|(ip, _)| IpAddr::V6(ip)),
    }
}

/// Reads a CFG_REPLY.
pub(crate) fn parse_reply(c: &CpPayload) -> ReceivedConfig {
    let mut r = ReceivedConfig::default();
    let mut v4_prefix = 32u8;
    for a in &c.attrs {
        if a.attr_type == cfg_attr::INTERNAL_IP4_NETMASK {
            if let Some(m) = a.ipv4() {
                v4_prefix = u8::try_from(u32::from(m).count_ones()).unwrap_or(32);
            }
        }
    }
    for a in &c.attrs {
        match a.attr_type {
            cfg_attr::INTERNAL_IP4_ADDRESS => {
                if let Some(ip) = a.ipv4() {
                    r.addresses_v4.push(AssignedAddress {
                        addr: IpAddr::V4(ip),
                        prefix: v4_prefix,
                    });
                }
            }
            cfg_attr::INTERNAL_IP6_ADDRESS => {
                if let Some((ip, p)) = a.ipv6_prefix() {
                    r.addresses_v6.push(AssignedAddress {
                        addr: IpAddr::V6(ip),
                        prefix: p,
                    });
                }
            }
            cfg_attr::INTERNAL_IP4_DNS => r.dns_v4.extend(a.ipv4().map(IpAddr::V4)),
            cfg_attr::INTERNAL_IP6_DNS => r.dns_v6.extend(a.ipv6().map(IpAddr::V6)),
            cfg_attr::INTERNAL_DNS_DOMAIN => {
                if let Ok(s) = String::from_utf8(a.value.clone()) {
                    if !s.is_empty() && r.domains.len() < 64 {
                        r.domains.push(s);
                    }
                }
            }
            cfg_attr::INTERNAL_IP4_SUBNET => {
                if let Some((net, mask)) = a.ipv4_subnet() {
                    r.subnets.push((
                        IpAddr::V4(net),
                        u8::try_from(u32::from(mask).count_ones()).unwrap_or(32),
                    ));
                }
            }
            cfg_attr::INTERNAL_IP6_SUBNET => {
                if let Some((net, p)) = a.ipv6_prefix() {
                    r.subnets.push((IpAddr::V6(net), p));
                }
            }
            _ => {}
        }
    }
    r
}

/// Host selectors (/32, /128) of the addresses a CFG_REPLY assigns.
pub(crate) fn assigned_hosts(reply: &CpPayload) -> Vec<TrafficSelector> {
    let r = parse_reply(reply);
    r.addresses_v4
        .iter()
        .chain(&r.addresses_v6)
        .map(|a| TrafficSelector::from_range(a.addr, a.addr))
        .collect()
}

#[cfg(test)]
mod request_tests {
    use super::*;

    #[test]
    fn a_preferred_address_is_sent_as_the_attribute_value() {
        let r = RequestConfig {
            ipv4: true,
            ipv6: true,
            prefer_v4: Some("10.1.2.3".parse().unwrap()),
            prefer_v6: Some("2001:db8::5".parse().unwrap()),
            ..RequestConfig::default()
        };
        let cp = request(&r);
        let v4 = cp
            .attrs
            .iter()
            .find(|a| a.attr_type == cfg_attr::INTERNAL_IP4_ADDRESS)
            .unwrap();
        assert_eq!(v4.value, vec![10, 1, 2, 3]);
        let v6 = cp
            .attrs
            .iter()
            .find(|a| a.attr_type == cfg_attr::INTERNAL_IP6_ADDRESS)
            .unwrap();
        assert_eq!(v6.value.len(), 17);
        assert_eq!(v6.value[16], 128);
        // Without a preference the attributes are empty (any address).
        let cp = request(&RequestConfig {
            ipv4: true,
            ..RequestConfig::default()
        });
        assert!(cp.attrs[0].value.is_empty());
    }
}
