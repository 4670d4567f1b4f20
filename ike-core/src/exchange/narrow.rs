//! Traffic selector narrowing (RFC 7296 §2.9), a small adapter over wire selectors.

use std::net::IpAddr;

use crate::wire::TrafficSelector;

fn intersect_one(a: &TrafficSelector, b: &TrafficSelector) -> Option<TrafficSelector> {
    if a.ts_type != b.ts_type {
        return None;
    }
    let proto = match (a.ip_protocol, b.ip_protocol) {
        (0, p) | (p, 0) => p,
        (p, q) if p == q => p,
        _ => return None,
    };
    let start: IpAddr = a.start_addr.max(b.start_addr);
    let end: IpAddr = a.end_addr.min(b.end_addr);
    if start > end {
        return None;
    }
    let (sp, ep) = if a.ports_opaque() || b.ports_opaque() {
        (u16::MAX, 0)
    } else {
        let sp = a.start_port.max(b.start_port);
        let ep = a.end_port.min(b.end_port);
        if sp > ep {
            return None;
        }
        (sp, ep)
    };
    Some(TrafficSelector {
        ts_type: a.ts_type,
        ip_protocol: proto,
        start_port: sp,
        end_port: ep,
        start_addr: start,
        end_addr: end,
    })
}

/// Intersection of the peer's proposed selectors with our configured ones.
pub(crate) fn narrow(
    proposed: &[TrafficSelector],
    ours: &[TrafficSelector],
) -> Vec<TrafficSelector> {
    let mut out = Vec::new();
    for p in proposed {
        for o in ours {
            if let Some(x) = intersect_one(p, o) {
                if !out.contains(&x) && out.len() < 64 {
                    out.push(x);
                }
            }
        }
    }
    out
}

/// Whether every selector in `narrowed` lies within some selector of `ours`.
pub(crate) fn is_subset(narrowed: &[TrafficSelector], ours: &[TrafficSelector]) -> bool {
    !narrowed.is_empty()
        && narrowed
            .iter()
            .all(|n| ours.iter().any(|o| intersect_one(n, o).as_ref() == Some(n)))
}
