//! Moving an IKE SA and its Child SAs to new addresses (MOBIKE, RFC 4555; NAT mapping
//! changes, RFC 7296 §2.23): the kernel side of a move and its event. The exchange that
//! decides a move is [`crate::exchange::mobike`].

use std::net::SocketAddr;

use crate::api::{Event, KernelOp, UdpEncap};
use crate::ctx::Ctx;
use crate::natt::NATT_PORT;

use super::IkeSa;

impl IkeSa {
    /// The outbound UDP encapsulation of this IKE SA's Child SAs (ours, then the peer's port).
    pub fn child_encap(&self) -> Option<UdpEncap> {
        self.encap.then(|| UdpEncap {
            sport: NATT_PORT,
            dport: self.remote.port(),
        })
    }

    /// Moves every Child SA to the IKE SA's current addresses and encapsulation
    /// ([`KernelOp::MigrateSa`] for each that differs) and reports [`Event::IkeSaMoved`]
    /// (also when no Child SA had to move, so the driver learns the new endpoints).
    pub fn move_children(&mut self, ctx: &mut Ctx<'_>) {
        let (local, remote, encap) = (self.local.ip(), self.remote.ip(), self.child_encap());
        for c in &mut self.children {
            if c.local == local && c.remote == remote && c.encap == encap {
                continue;
            }
            let request = ctx.next_request();
            ctx.kernel(KernelOp::MigrateSa {
                request,
                reqid: c.reqid,
                spi_in: c.spi_in,
                spi_out: c.spi_out,
                mode: c.mode,
                local_ts: c.local_ts.clone(),
                remote_ts: c.remote_ts.clone(),
                old_local: c.local,
                old_remote: c.remote,
                new_local: local,
                new_remote: remote,
                encap,
            });
            c.local = local;
            c.remote = remote;
            c.encap = encap;
        }
        if !self.shell {
            ctx.event(Event::IkeSaMoved {
                sa: self.handle,
                local: SocketAddr::new(local, self.local_port()),
                remote: self.remote,
                nat: self.nat,
                encap: self.encap,
            });
        }
    }
}
