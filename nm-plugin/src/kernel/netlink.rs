//! A blocking netlink socket with request/acknowledgement handling.
//!
//! The driver calls the kernel layer synchronously, so one blocking socket per protocol is
//! enough: send a request with `NLM_F_ACK`, read until the acknowledgement (or `NLMSG_DONE` for
//! dumps), return the messages of that sequence number. Decoding goes through
//! [`decode_all`], which never panics: the upstream parsers index their buffers without
//! length checks, so every decode runs behind a length check and `catch_unwind`.

use netlink_packet_core::{
    NetlinkDeserializable, NetlinkHeader, NetlinkMessage, NetlinkPayload, NetlinkSerializable,
    NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST,
};
use netlink_sys::{Socket, SocketAddr};
use std::fmt::Debug;
use std::io;

/// Length of `struct nlmsghdr`.
const NLMSG_HDRLEN: usize = 16;

/// A blocking netlink socket of one protocol.
pub struct NlSocket {
    sock: Socket,
    seq: u32,
}

/// The answer to a request: the messages of its sequence number (without the ack).
pub type Replies<M> = Vec<NetlinkMessage<M>>;

impl NlSocket {
    /// Opens and binds a socket of `protocol` (`netlink_sys::protocols::NETLINK_XFRM`, ...).
    pub fn open(protocol: isize) -> io::Result<Self> {
        let mut sock = Socket::new(protocol)?;
        sock.bind_auto()?;
        sock.connect(&SocketAddr::new(0, 0))?;
        // Extended acks give the kernel's error text (e.g. "Requested AEAD algorithm not
        // found"); not fatal when unsupported.
        let _ = sock.set_ext_ack(true);
        Ok(NlSocket { sock, seq: 1 })
    }

    /// Opens a socket subscribed to multicast `groups` (bit numbers, e.g.
    /// `XFRMNLGRP_EXPIRE`), non-blocking, for [`NlSocket::poll`].
    pub fn subscribe(protocol: isize, groups: &[u32]) -> io::Result<Self> {
        let mut sock = Socket::new(protocol)?;
        sock.bind_auto()?;
        for g in groups {
            sock.add_membership(*g)?;
        }
        sock.set_non_blocking(true)?;
        Ok(NlSocket { sock, seq: 1 })
    }

    /// The raw file descriptor, for readiness polling by an event loop.
    pub fn as_raw_fd(&self) -> std::os::fd::RawFd {
        use std::os::fd::AsRawFd;
        self.sock.as_raw_fd()
    }

    /// Sends `payload` as a request (plus `extra_flags`, e.g. `NLM_F_DUMP`, `NLM_F_CREATE`)
    /// and collects the replies until the ack, an error or the end of the dump.
    pub fn request<M>(&mut self, payload: M, extra_flags: u16) -> io::Result<Replies<M>>
    where
        M: NetlinkSerializable + NetlinkDeserializable + Debug + Clone,
    {
        self.seq = self.seq.wrapping_add(1).max(1);
        let seq = self.seq;
        let buf = serialize(payload, NLM_F_REQUEST | NLM_F_ACK | extra_flags, seq);
        self.sock.send(&buf, 0)?;
        let dump = extra_flags & NLM_F_DUMP == NLM_F_DUMP;
        let mut out = Vec::new();
        loop {
            let (data, _) = self.sock.recv_from_full()?;
            for msg in decode_all::<M>(&data)? {
                if msg.header.sequence_number != seq {
                    continue;
                }
                match msg.payload {
                    NetlinkPayload::Error(ref e) => {
                        return match e.code {
                            None => Ok(out),
                            Some(_) => Err(e.to_io()),
                        };
                    }
                    NetlinkPayload::Done(_) => return Ok(out),
                    NetlinkPayload::Noop | NetlinkPayload::Overrun(_) => {}
                    _ => {
                        out.push(msg);
                        if !dump {
                            // Keep reading: the ack follows the reply.
                        }
                    }
                }
            }
        }
    }

    /// [`NlSocket::request`] for the kernel layer: the replies' inner messages only, and a
    /// failure as a [`KernelError`] that says `what` was being done.
    pub fn ask<M>(
        &mut self,
        payload: M,
        extra_flags: u16,
        what: &str,
    ) -> Result<Vec<M>, super::KernelError>
    where
        M: NetlinkSerializable + NetlinkDeserializable + Debug + Clone,
    {
        let replies = self
            .request(payload, extra_flags)
            .map_err(|e| super::KernelError::io(what, e))?;
        Ok(replies
            .into_iter()
            .filter_map(|m| match m.payload {
                NetlinkPayload::InnerMessage(x) => Some(x),
                _ => None,
            })
            .collect())
    }

    /// Opens an rtnetlink (`NETLINK_ROUTE`) socket for routes, rules and links.
    pub fn open_route() -> Result<Self, super::KernelError> {
        Self::open(netlink_sys::protocols::NETLINK_ROUTE)
            .map_err(|e| super::KernelError::io("cannot open the rtnetlink socket", e))
    }

    /// Reads every datagram already queued (non-blocking sockets), each with the netlink port
    /// id of its sender (0: the kernel); an empty list when none.
    pub fn poll_datagrams(&mut self) -> io::Result<Vec<(u32, Vec<u8>)>> {
        let mut out = Vec::new();
        loop {
            match self.sock.recv_from_full() {
                Ok((data, from)) => {
                    if data.is_empty() {
                        return Ok(out);
                    }
                    out.push((from.port_number(), data));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(out),
                Err(e) => return Err(e),
            }
        }
    }

    /// Reads every message the **kernel** sent that is already queued (see
    /// [`from_kernel`]); an empty list when none.
    pub fn poll<M>(&mut self) -> io::Result<Vec<NetlinkMessage<M>>>
    where
        M: NetlinkDeserializable + Debug,
    {
        Ok(from_kernel(self.poll_datagrams()?))
    }
}

/// The messages of the datagrams (sender port id, bytes) that the kernel sent (port id 0).
/// A multicast group can also carry datagrams from processes allowed to send to it; those
/// are dropped, as are datagrams that do not decode (both logged at debug).
pub fn from_kernel<M>(datagrams: Vec<(u32, Vec<u8>)>) -> Vec<NetlinkMessage<M>>
where
    M: NetlinkDeserializable + Debug,
{
    let mut out = Vec::new();
    for (pid, data) in datagrams {
        if pid != 0 {
            tracing::debug!(
                "netlink: dropped a message sent by process port {pid}, not the kernel"
            );
            continue;
        }
        match decode_all::<M>(&data) {
            Ok(m) => out.extend(m),
            Err(e) => tracing::debug!("netlink: dropped an undecodable message: {e}"),
        }
    }
    out
}

/// Serializes one request with the given flags and sequence number.
pub fn serialize<M>(payload: M, flags: u16, seq: u32) -> Vec<u8>
where
    M: NetlinkSerializable + Debug,
{
    let mut header = NetlinkHeader::default();
    header.flags = flags;
    header.sequence_number = seq;
    let mut msg = NetlinkMessage::new(header, NetlinkPayload::InnerMessage(payload));
    msg.finalize();
    let mut buf = vec![0u8; msg.buffer_len()];
    msg.serialize(&mut buf);
    buf
}

/// Splits a datagram into netlink messages and decodes each; never panics.
pub fn decode_all<M>(data: &[u8]) -> io::Result<Vec<NetlinkMessage<M>>>
where
    M: NetlinkDeserializable + Debug,
{
    let mut out = Vec::new();
    let mut rest = data;
    while rest.len() >= NLMSG_HDRLEN {
        let len = rest
            .get(0..4)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map(u32::from_ne_bytes)
            .unwrap_or(0) as usize;
        if len < NLMSG_HDRLEN || len > rest.len() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "netlink message length {len} invalid ({} bytes left)",
                    rest.len()
                ),
            ));
        }
        let (one, tail) = rest.split_at(len);
        out.push(decode_one::<M>(one)?);
        let aligned = (len + 3) & !3;
        rest = tail.get(aligned - len..).unwrap_or(&[]);
    }
    Ok(out)
}

/// Decodes exactly one netlink message; parser panics become `InvalidData` errors.
pub fn decode_one<M>(one: &[u8]) -> io::Result<NetlinkMessage<M>>
where
    M: NetlinkDeserializable + Debug,
{
    let owned = one.to_vec();
    let r = std::panic::catch_unwind(move || NetlinkMessage::<M>::deserialize(&owned));
    match r {
        Ok(Ok(m)) => Ok(m),
        Ok(Err(e)) => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("cannot decode netlink message: {e}"),
        )),
        Err(_) => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "cannot decode netlink message (truncated attribute)",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netlink_packet_xfrm::{ExpireMessage, XfrmMessage};

    #[test]
    fn only_the_kernel_s_messages_count() {
        let expire = serialize(XfrmMessage::Expire(ExpireMessage::default()), 0, 0);
        // Port id 0 is the kernel; any other sender is a process (even a privileged one).
        let got = from_kernel::<XfrmMessage>(vec![
            (0, expire.clone()),
            (4242, expire.clone()),
            (0, vec![0xff; 7]),
            (0, expire),
        ]);
        assert_eq!(got.len(), 2);
        assert!(from_kernel::<XfrmMessage>(vec![(1, vec![])]).is_empty());
    }
}
