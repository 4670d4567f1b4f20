//! Entry points for the fuzz targets into crate-private conversions (only with the `fuzzing`
//! feature; not part of the supported API).

use crate::api::ReceivedConfig;
use crate::wire::{CpPayload, TrafficSelector};

/// The initiator's reading of a CFG_REPLY (what `Event::ConfigReceived` carries).
pub fn cp_parse_reply(c: &CpPayload) -> ReceivedConfig {
    crate::exchange::cp::parse_reply(c)
}

/// The host selectors of the addresses a CFG_REPLY assigns.
pub fn cp_assigned_hosts(c: &CpPayload) -> Vec<TrafficSelector> {
    crate::exchange::cp::assigned_hosts(c)
}
