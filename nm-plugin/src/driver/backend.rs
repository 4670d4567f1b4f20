//! Which kernel backend a connection uses (`NM_IKE_KERNEL` for the service, `--kernel` for
//! `nm-ike`).
//!
//! Fail closed: `auto` (the default) means XFRM, and a kernel without ESP makes the connection
//! fail instead of falling back to the recording backend, which negotiates SAs without
//! installing them (NetworkManager would show the VPN connected while traffic leaves
//! unencrypted). The recording backend is chosen only by an explicit `record` (tests).

use std::fmt;

/// What the configuration asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendChoice {
    /// XFRM when the kernel has ESP, otherwise the connection fails.
    Auto,
    /// XFRM netlink.
    Xfrm,
    /// Record only: no data plane (tests).
    Record,
}

impl BackendChoice {
    /// Parses `auto` (also the empty value), `xfrm` or `record`.
    pub fn parse(value: &str) -> Result<Self, String> {
        match value.trim() {
            "" | "auto" => Ok(BackendChoice::Auto),
            "xfrm" => Ok(BackendChoice::Xfrm),
            "record" => Ok(BackendChoice::Record),
            other => Err(format!("{other:?} is not one of auto, xfrm, record")),
        }
    }
}

/// The backend a connection gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SAs, policies and routes in the kernel.
    Xfrm,
    /// Operations recorded only (explicit `record`).
    Record,
}

/// `auto` on a kernel without ESP: no backend can protect traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoEsp;

impl fmt::Display for NoEsp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the kernel has no ESP support (esp4/esp6 missing)")
    }
}

/// The backend for `choice` on a kernel that has ESP (`has_esp`) or not. Only an explicit
/// `record` gives the recording backend; `auto` without ESP is [`NoEsp`]. An explicit `xfrm`
/// is taken as asked (the kernel reports what it lacks when the first SA is installed).
pub fn resolve(choice: BackendChoice, has_esp: bool) -> Result<Backend, NoEsp> {
    match choice {
        BackendChoice::Auto if has_esp => Ok(Backend::Xfrm),
        BackendChoice::Auto => Err(NoEsp),
        BackendChoice::Xfrm => Ok(Backend::Xfrm),
        BackendChoice::Record => Ok(Backend::Record),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_without_esp_fails_closed() {
        assert_eq!(resolve(BackendChoice::Auto, false), Err(NoEsp));
        assert_eq!(resolve(BackendChoice::Auto, true), Ok(Backend::Xfrm));
    }

    #[test]
    fn record_only_when_asked() {
        for has_esp in [false, true] {
            assert_eq!(resolve(BackendChoice::Record, has_esp), Ok(Backend::Record));
            assert_eq!(resolve(BackendChoice::Xfrm, has_esp), Ok(Backend::Xfrm));
        }
    }

    #[test]
    fn parses_the_three_values() {
        assert_eq!(BackendChoice::parse(""), Ok(BackendChoice::Auto));
        assert_eq!(BackendChoice::parse(" auto "), Ok(BackendChoice::Auto));
        assert_eq!(BackendChoice::parse("xfrm"), Ok(BackendChoice::Xfrm));
        assert_eq!(BackendChoice::parse("record"), Ok(BackendChoice::Record));
        assert!(BackendChoice::parse("recording").is_err());
    }
}
