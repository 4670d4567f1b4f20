//! NetworkManager's VPN service states and plugin failure reasons
//! (`NMVpnServiceState`, `NMVpnPluginFailure` in `nm-vpn-dbus-interface.h`).

/// The state of the VPN service, as reported by the `State` property and `StateChanged`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[repr(u32)]
pub enum ServiceState {
    /// Unknown.
    Unknown = 0,
    /// Exported on the bus, no connection attempted yet.
    #[default]
    Init = 1,
    /// Shutting down (unused by NetworkManager).
    Shutdown = 2,
    /// Connecting.
    Starting = 3,
    /// Connected; the configuration was sent.
    Started = 4,
    /// Disconnecting.
    Stopping = 5,
    /// Disconnected.
    Stopped = 6,
}

impl ServiceState {
    /// The D-Bus value.
    pub fn code(self) -> u32 {
        self as u32
    }

    /// A lower-case name for logs.
    pub fn name(self) -> &'static str {
        match self {
            ServiceState::Unknown => "unknown",
            ServiceState::Init => "init",
            ServiceState::Shutdown => "shutdown",
            ServiceState::Starting => "starting",
            ServiceState::Started => "started",
            ServiceState::Stopping => "stopping",
            ServiceState::Stopped => "stopped",
        }
    }
}

/// Why a connection failed, as sent in the `Failure` signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum PluginFailure {
    /// Authentication failed (NetworkManager reports "login failed").
    LoginFailed = 0,
    /// The connection could not be established or was lost.
    ConnectFailed = 1,
    /// The IP configuration was unusable.
    BadIpConfig = 2,
}

impl PluginFailure {
    /// The D-Bus value.
    pub fn code(self) -> u32 {
        self as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_networkmanager() {
        let states = [
            (ServiceState::Unknown, 0),
            (ServiceState::Init, 1),
            (ServiceState::Shutdown, 2),
            (ServiceState::Starting, 3),
            (ServiceState::Started, 4),
            (ServiceState::Stopping, 5),
            (ServiceState::Stopped, 6),
        ];
        for (s, c) in states {
            assert_eq!(s.code(), c);
        }
        assert_eq!(PluginFailure::LoginFailed.code(), 0);
        assert_eq!(PluginFailure::ConnectFailed.code(), 1);
        assert_eq!(PluginFailure::BadIpConfig.code(), 2);
    }
}
