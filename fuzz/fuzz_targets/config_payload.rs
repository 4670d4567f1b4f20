//! The configuration payload (RFC 7296 §3.15): `CpPayload::parse` of the payload body, its
//! re-encoding, and the initiator's conversion of a CFG_REPLY into the `ReceivedConfig` that
//! `Event::ConfigReceived` hands to the service (addresses, netmask, DNS servers, RFC 8598
//! domains, subnets) and into the host selectors of the assigned addresses.
//!
//! Invariants: no panic; what parses re-encodes to the same bytes' meaning (parse(emit(x)) ==
//! x); every converted address has a prefix within its family's length; the lists stay
//! bounded by the attributes present.
#![no_main]

use ike_core::fuzzing::{cp_assigned_hosts, cp_parse_reply};
use ike_core::wire::CpPayload;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(cp) = CpPayload::parse(data) else {
        return;
    };
    let mut out = Vec::new();
    if cp.emit(&mut out).is_ok() {
        assert_eq!(CpPayload::parse(&out).ok().as_ref(), Some(&cp));
    }
    let r = cp_parse_reply(&cp);
    for a in &r.addresses_v4 {
        assert!(a.addr.is_ipv4() && a.prefix <= 32, "{a:?}");
    }
    for a in &r.addresses_v6 {
        assert!(a.addr.is_ipv6() && a.prefix <= 128, "{a:?}");
    }
    for (net, p) in &r.subnets {
        assert!(*p <= if net.is_ipv4() { 32 } else { 128 });
    }
    let n = cp.attrs.len();
    assert!(r.addresses_v4.len() + r.addresses_v6.len() + r.subnets.len() <= n);
    assert!(r.dns_v4.len() + r.dns_v6.len() + r.domains.len() <= n);
    let hosts = cp_assigned_hosts(&cp);
    assert_eq!(hosts.len(), r.addresses_v4.len() + r.addresses_v6.len());
    for h in hosts {
        assert_eq!(h.start_addr, h.end_addr);
    }
});
