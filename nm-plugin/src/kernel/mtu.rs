//! The MTU inside a policy-based tunnel: the path MTU towards the gateway minus what the
//! negotiated ESP transform adds.
//!
//! An inner packet of `L` octets becomes, in tunnel mode: outer IP header (20 / 40), UDP
//! header when encapsulated (8), ESP header (SPI and sequence number, 8), IV, the payload
//! padded so that payload + 2 trailer octets (pad length, next header) is a multiple of the
//! cipher's block size (at least 4, RFC 4303 §2.4), and the ICV. [`tunnel_mtu`] gives the
//! largest `L` whose packet fits the path MTU.
//!
//! Decision: the MTU is put on our table-2749 routes (`RTAX_MTU`), not sent to
//! NetworkManager. A policy-based VPN has no tunnel device: NetworkManager applies the VPN's
//! IP configuration (and an `mtu` from the `Config` dictionary) to the parent device, so the
//! LAN device's MTU would drop for all its traffic, not just the tunnel's. The route's MTU
//! applies to exactly the traffic we route into the tunnel. Route-based tunnels already give
//! NetworkManager their interface's MTU.

use ike_core::engine::EspCipher;

/// The lowest MTU put on a route (IPv6's minimum link MTU): a smaller path is left to PMTU
/// discovery rather than a route that breaks IPv6.
pub const MIN_ROUTE_MTU: u32 = 1280;

/// The shape of an ESP transform that matters for its size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EspShape {
    /// IV length in octets.
    pub iv: u32,
    /// Cipher block size the padded payload is a multiple of (at least 4).
    pub block: u32,
    /// ICV length in octets.
    pub icv: u32,
}

impl EspShape {
    /// The shape of a negotiated cipher: AEADs (GCM, ChaCha20-Poly1305) have an 8-octet IV
    /// and 4-octet alignment; CBC has an IV and block of the cipher's block size (16 for AES,
    /// 8 for 3DES, [`super::esp_alg::encr_iv_block`]); the ICV is the (truncated) tag length.
    pub fn of(cipher: &EspCipher) -> Self {
        match cipher {
            EspCipher::Aead { icv_bits, .. } => EspShape {
                iv: 8,
                block: 4,
                icv: icv_bits / 8,
            },
            EspCipher::Separate {
                encr_id,
                trunc_bits,
                ..
            } => {
                let (iv, block) = super::esp_alg::encr_iv_block(*encr_id);
                EspShape {
                    iv,
                    block,
                    icv: trunc_bits / 8,
                }
            }
        }
    }
}

/// The largest inner packet that fits a path MTU of `path_mtu` through ESP of `shape` in
/// tunnel mode, with an IPv6 (`outer_v6`) or IPv4 outer header, UDP-encapsulated (`encap`)
/// or not. 0 when nothing fits.
pub fn tunnel_mtu(path_mtu: u32, outer_v6: bool, encap: bool, shape: EspShape) -> u32 {
    let outer = if outer_v6 { 40 } else { 20 };
    let udp = if encap { 8 } else { 0 };
    let block = shape.block.max(4);
    let room = path_mtu
        .saturating_sub(outer + udp + 8)
        .saturating_sub(shape.iv)
        .saturating_sub(shape.icv);
    // The padded payload (inner packet + padding + 2 trailer octets) must fit `room`.
    (room / block * block).saturating_sub(2)
}

/// [`tunnel_mtu`] for a route: `None` when it would be below [`MIN_ROUTE_MTU`].
pub fn route_mtu(path_mtu: u32, outer_v6: bool, encap: bool, shape: EspShape) -> Option<u32> {
    let m = tunnel_mtu(path_mtu, outer_v6, encap, shape);
    (m >= MIN_ROUTE_MTU).then_some(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ike_core::engine::SecretBytes;

    const GCM16: EspShape = EspShape {
        iv: 8,
        block: 4,
        icv: 16,
    };

    #[test]
    fn table() {
        let cbc_sha256 = EspShape {
            iv: 16,
            block: 16,
            icv: 16,
        };
        // (path MTU, IPv6 outer, UDP encapsulation, shape, inner MTU)
        let cases = [
            // 1500 - 20 - 8 (ESP) - 8 (IV) - 16 (ICV) = 1448 (a multiple of 4) - 2.
            (1500, false, false, GCM16, 1446),
            // 8 octets of UDP less.
            (1500, false, true, GCM16, 1438),
            // 1500 - 20 - 8 - 16 - 16 = 1440 = 90 blocks of 16, - 2.
            (1500, false, false, cbc_sha256, 1438),
            // With UDP: 1432 rounds down to 1424, - 2.
            (1500, false, true, cbc_sha256, 1422),
            // IPv6 outer: 20 octets more of header.
            (1500, true, false, GCM16, 1426),
            (1500, true, true, GCM16, 1418),
            // CBC over IPv6: 1500 - 40 - 8 - 16 - 16 = 1420 rounds down to 1408, - 2.
            (1500, true, false, cbc_sha256, 1406),
            // A 1400-octet path (PPPoE, another tunnel), UDP-encapsulated GCM: 1400 - 20 - 8
            // - 8 - 8 - 16 = 1340, - 2.
            (1400, false, true, GCM16, 1338),
            // Too small for anything.
            (40, false, true, GCM16, 0),
        ];
        for (path, v6, encap, shape, want) in cases {
            assert_eq!(
                tunnel_mtu(path, v6, encap, shape),
                want,
                "{path} v6={v6} encap={encap} {shape:?}"
            );
        }
    }

    #[test]
    fn the_inner_packet_fits_and_one_more_octet_does_not() {
        let total = |inner: u32, shape: EspShape| {
            let padded = (inner + 2).div_ceil(shape.block) * shape.block;
            20 + 8 + 8 + shape.iv + padded + shape.icv
        };
        let cbc = EspShape {
            iv: 16,
            block: 16,
            icv: 12,
        };
        for shape in [GCM16, cbc] {
            let m = tunnel_mtu(1500, false, true, shape);
            assert!(total(m, shape) <= 1500);
            assert!(total(m + 1, shape) > 1500);
        }
    }

    #[test]
    fn shapes_of_negotiated_ciphers() {
        let key = || SecretBytes::new(vec![0; 16]);
        let gcm = EspCipher::Aead {
            transform_id: 20,
            key: key(),
            icv_bits: 128,
        };
        assert_eq!(EspShape::of(&gcm), GCM16);
        let cbc = EspCipher::Separate {
            encr_id: 12,
            encr_key: key(),
            integ_id: 12,
            integ_key: key(),
            trunc_bits: 128,
        };
        assert_eq!(
            EspShape::of(&cbc),
            EspShape {
                iv: 16,
                block: 16,
                icv: 16
            }
        );
    }

    #[test]
    fn a_route_mtu_is_never_below_the_ipv6_minimum() {
        assert_eq!(route_mtu(1500, false, true, GCM16), Some(1438));
        assert_eq!(route_mtu(1300, true, true, GCM16), None);
    }
}
