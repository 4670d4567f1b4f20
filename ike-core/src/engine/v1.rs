//! The engine's IKEv1 connections ([`crate::ikev1`]): their table, and the dispatch of
//! datagrams, timers and kernel events to them. IKEv1 SAs share the engine's handles, output
//! queues and reqids with the IKEv2 ones.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::Arc;

use crate::api::{ConnectionConfig, IkeSaHandle, KernelRequest, Time};
use crate::ctx::Ctx;
use crate::ikev1::{self, State, V1Sa};
use crate::v1::wire::Header;

/// IKEv1 SAs by handle, by our cookie, and their kernel requests.
#[derive(Default)]
pub(super) struct V1Table {
    sas: BTreeMap<IkeSaHandle, V1Sa>,
    by_cookie: HashMap<[u8; 8], IkeSaHandle>,
    spi_requests: HashMap<KernelRequest, IkeSaHandle>,
}

/// Whether a datagram (marker removed) is ISAKMP version 1.
pub(super) fn is_v1(data: &[u8]) -> bool {
    data.get(17).is_some_and(|v| v >> 4 == 1)
}

impl V1Table {
    pub fn len(&self) -> usize {
        self.sas.len()
    }

    pub fn contains(&self, h: IkeSaHandle) -> bool {
        self.sas.contains_key(&h)
    }

    pub fn initiate(
        &mut self,
        ctx: &mut Ctx<'_>,
        handle: IkeSaHandle,
        conn: ConnectionConfig,
    ) -> Result<(), String> {
        let sa = ikev1::initiate(ctx, handle, Arc::new(conn))?;
        self.by_cookie.insert(sa.cky_i, handle);
        self.sas.insert(handle, sa);
        Ok(())
    }

    fn after(&mut self, handle: IkeSaHandle, out: ikev1::Outcome) {
        if let Some(r) = out.spi_request {
            self.spi_requests.insert(r, handle);
        }
        if self
            .sas
            .get(&handle)
            .is_some_and(|s| s.state == State::Dead)
        {
            if let Some(sa) = self.sas.remove(&handle) {
                self.by_cookie.remove(&sa.cky_i);
            }
            self.spi_requests.retain(|_, h| *h != handle);
        }
    }

    pub fn on_datagram(
        &mut self,
        ctx: &mut Ctx<'_>,
        local: SocketAddr,
        remote: SocketAddr,
        data: &[u8],
    ) {
        let Ok(h) = Header::parse(data) else {
            return;
        };
        let Some(&handle) = self.by_cookie.get(&h.spi_i) else {
            return;
        };
        let Some(sa) = self.sas.get_mut(&handle) else {
            return;
        };
        let out = ikev1::on_message(sa, ctx, local, remote, data);
        self.after(handle, out);
    }

    pub fn next_deadline(&self) -> Option<Time> {
        self.sas.values().filter_map(V1Sa::deadline).min()
    }

    pub fn due(&self, now: Time) -> Vec<IkeSaHandle> {
        self.sas
            .iter()
            .filter(|(_, s)| s.deadline().is_some_and(|t| t <= now))
            .map(|(h, _)| *h)
            .collect()
    }

    pub fn on_timer(&mut self, ctx: &mut Ctx<'_>, handle: IkeSaHandle) {
        if let Some(sa) = self.sas.get_mut(&handle) {
            ikev1::on_timer(sa, ctx);
        }
        self.after(handle, ikev1::Outcome::default());
    }

    /// `true` when the request was one of ours.
    pub fn on_spi(&mut self, ctx: &mut Ctx<'_>, request: KernelRequest, spi: u32) -> bool {
        let Some(handle) = self.spi_requests.remove(&request) else {
            return false;
        };
        if let Some(sa) = self.sas.get_mut(&handle) {
            ikev1::on_spi(sa, ctx, spi);
        }
        self.after(handle, ikev1::Outcome::default());
        true
    }

    /// `true` when the request was one of ours.
    pub fn on_op_failed(
        &mut self,
        ctx: &mut Ctx<'_>,
        request: KernelRequest,
        error: String,
    ) -> bool {
        let Some(handle) = self.spi_requests.remove(&request) else {
            return false;
        };
        if let Some(sa) = self.sas.get_mut(&handle) {
            ikev1::on_op_failed(sa, ctx, error);
        }
        self.after(handle, ikev1::Outcome::default());
        true
    }

    /// `true` when the SPI belonged to one of our IPsec SAs.
    pub fn on_expire(&mut self, ctx: &mut Ctx<'_>, spi: u32, hard: bool) -> bool {
        let found = self
            .sas
            .iter_mut()
            .find_map(|(h, sa)| ikev1::on_expire(sa, ctx, spi, hard).then_some(*h));
        if let Some(h) = found {
            self.after(h, ikev1::Outcome::default());
        }
        found.is_some()
    }

    pub fn close(&mut self, ctx: &mut Ctx<'_>, handle: IkeSaHandle) {
        if let Some(sa) = self.sas.get_mut(&handle) {
            ikev1::close(sa, ctx);
        }
        self.after(handle, ikev1::Outcome::default());
    }

    pub fn handles(&self) -> Vec<IkeSaHandle> {
        self.sas.keys().copied().collect()
    }

    pub fn cookies(&self, handle: IkeSaHandle) -> Option<([u8; 8], [u8; 8])> {
        self.sas.get(&handle).map(|s| (s.cky_i, s.cky_r))
    }
}
