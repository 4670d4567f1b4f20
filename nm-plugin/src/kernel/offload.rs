//! ESP crypto offload to the network device (`XFRMA_OFFLOAD_DEV`), with a software fallback.
//!
//! When a profile asks for it (`nic-offload=yes|auto`), each SA is installed with an offload
//! request for the device that carries the tunnel's outer packets (the route towards the
//! peer). Kernels differ in how they answer a device that cannot offload: some refuse the SA
//! (`EOPNOTSUPP`/`EINVAL`), others install it without offload. We therefore retry a refused SA
//! without the request, and read every offloaded SA back to see whether the kernel kept the
//! offload, so the log always tells which SAs run in hardware.

use ike_core::engine::Direction;
use netlink_packet_xfrm::{UserOffloadDev, XfrmAttrs, XFRM_OFFLOAD_INBOUND, XFRM_OFFLOAD_IPV6};

/// Whether and how to ask for NIC offload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Offload {
    /// Never ask.
    #[default]
    No,
    /// Ask; a device that cannot offload is a warning.
    Yes,
    /// Ask; a device that cannot offload is only a debug message.
    Auto,
}

impl From<crate::settings::NicOffload> for Offload {
    fn from(n: crate::settings::NicOffload) -> Self {
        match n {
            crate::settings::NicOffload::No => Offload::No,
            crate::settings::NicOffload::Yes => Offload::Yes,
            crate::settings::NicOffload::Auto => Offload::Auto,
        }
    }
}

/// The `XFRMA_OFFLOAD_DEV` attribute for an SA of `direction` on device `ifindex`.
pub fn attribute(ifindex: u32, direction: Direction, ipv6_outer: bool) -> XfrmAttrs {
    let mut flags = 0;
    if direction == Direction::In {
        flags |= XFRM_OFFLOAD_INBOUND;
    }
    if ipv6_outer {
        flags |= XFRM_OFFLOAD_IPV6;
    }
    XfrmAttrs::OffloadDevice(UserOffloadDev {
        ifindex: i32::try_from(ifindex).unwrap_or(0),
        flags,
    })
}

/// The offload device in an SA's attributes (as the kernel reports it back), if any.
pub fn device_of(nlas: &[XfrmAttrs]) -> Option<u32> {
    nlas.iter().find_map(|a| match a {
        XfrmAttrs::OffloadDevice(d) => u32::try_from(d.ifindex).ok().filter(|i| *i != 0),
        _ => None,
    })
}

/// Removes an offload request from an SA message's attributes (the fallback).
pub fn strip(nlas: &mut Vec<XfrmAttrs>) {
    nlas.retain(|a| !matches!(a, XfrmAttrs::OffloadDevice(_)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use netlink_packet_core::NlaBuffer;
    use netlink_packet_core::{Emitable, Parseable};

    #[test]
    fn attribute_round_trips_with_direction_and_family_flags() {
        for (dir, v6, flags) in [
            (Direction::Out, false, 0),
            (Direction::In, false, XFRM_OFFLOAD_INBOUND),
            (
                Direction::In,
                true,
                XFRM_OFFLOAD_INBOUND | XFRM_OFFLOAD_IPV6,
            ),
        ] {
            let a = attribute(7, dir, v6);
            let mut buf = vec![0u8; a.buffer_len()];
            a.emit(&mut buf);
            let back = XfrmAttrs::parse(&NlaBuffer::new(&buf[..])).unwrap();
            assert_eq!(
                back,
                XfrmAttrs::OffloadDevice(UserOffloadDev { ifindex: 7, flags })
            );
            assert_eq!(device_of(std::slice::from_ref(&back)), Some(7));
        }
        let mut nlas = vec![attribute(3, Direction::Out, false)];
        strip(&mut nlas);
        assert!(nlas.is_empty());
        assert_eq!(device_of(&nlas), None);
    }
}
