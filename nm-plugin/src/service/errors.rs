//! D-Bus errors of the plugin interface, named like libnm's `NMVpnPluginError`
//! (`org.freedesktop.NetworkManager.VPN.Error.<nick>`), so NetworkManager recognises them
//! (it falls back from `ConnectInteractive` to `Connect` on `InteractiveNotSupported`).

/// An error reply of the `org.freedesktop.NetworkManager.VPN.Plugin` interface.
#[derive(Debug, zbus::DBusError)]
#[zbus(prefix = "org.freedesktop.NetworkManager.VPN.Error")]
pub enum PluginError {
    /// A D-Bus transport error.
    #[zbus(error)]
    ZBus(zbus::Error),
    /// Unspecified failure.
    Failed(String),
    /// A connection is already being started.
    StartingInProgress(String),
    /// A connection is already up.
    AlreadyStarted(String),
    /// The connection is already being stopped.
    StoppingInProgress(String),
    /// No connection is active.
    AlreadyStopped(String),
    /// The request does not fit the current state.
    WrongState(String),
    /// The arguments could not be parsed.
    BadArguments(String),
    /// The connection could not be started.
    LaunchFailed(String),
    /// The connection profile is invalid.
    InvalidConnection(String),
    /// Interactive secrets requests are not supported.
    InteractiveNotSupported(String),
}

impl PluginError {
    /// The full D-Bus error name.
    pub fn dbus_name(&self) -> String {
        use zbus::DBusError;
        self.name().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_libnm() {
        assert_eq!(
            PluginError::InvalidConnection(String::new()).dbus_name(),
            "org.freedesktop.NetworkManager.VPN.Error.InvalidConnection"
        );
        assert_eq!(
            PluginError::BadArguments(String::new()).dbus_name(),
            "org.freedesktop.NetworkManager.VPN.Error.BadArguments"
        );
        assert_eq!(
            PluginError::InteractiveNotSupported(String::new()).dbus_name(),
            "org.freedesktop.NetworkManager.VPN.Error.InteractiveNotSupported"
        );
        assert_eq!(
            PluginError::WrongState(String::new()).dbus_name(),
            "org.freedesktop.NetworkManager.VPN.Error.WrongState"
        );
    }
}
