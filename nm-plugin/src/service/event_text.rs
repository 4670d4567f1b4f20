//! The words of the service's log lines about engine events: IKE SA rekeys, traffic
//! selectors and configuration replies (kept apart from the event-to-action logic in
//! [`super::events`]).

use ike_core::engine::ReceivedConfig;

/// The log line of an IKE SA rekey: the new SPIs, whose rekey it was, and whether both
/// ends rekeyed at once (RFC 7296 §2.8.2).
pub(super) fn ike_rekey_line(
    spi_i: &[u8; 8],
    spi_r: &[u8; 8],
    initiator: bool,
    collision: bool,
) -> String {
    let hex = hex8;
    let by = if initiator { "us" } else { "the gateway" };
    let how = if collision {
        format!("; both ends rekeyed at once, the nonces kept the IKE SA made by {by}")
    } else {
        format!(" by {by}")
    };
    format!(
        "IKE SA rekeyed{how}: SPIs {}_i {}_r",
        hex(spi_i),
        hex(spi_r)
    )
}

/// An IKE SPI as 16 hex digits.
pub(super) fn hex8(b: &[u8; 8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub(super) fn ts_text(list: &[ike_core::wire::TrafficSelector]) -> String {
    list.iter()
        .flat_map(|t| ike_core::ts::range_to_cidrs(t.start_addr, t.end_addr))
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// A one-line summary of the configuration payload reply.
pub fn describe_config(c: &ReceivedConfig) -> String {
    let addrs: Vec<String> = c
        .addresses_v4
        .iter()
        .chain(&c.addresses_v6)
        .map(|a| format!("{}/{}", a.addr, a.prefix))
        .collect();
    let dns: Vec<String> = c
        .dns_v4
        .iter()
        .chain(&c.dns_v6)
        .map(ToString::to_string)
        .collect();
    let list = |v: Vec<String>| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.join(",")
        }
    };
    format!(
        "address {}, DNS {}, domains {}",
        list(addrs),
        list(dns),
        list(c.domains.clone())
    )
}
