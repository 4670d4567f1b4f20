//! The `org.freedesktop.NetworkManager.VPN.Plugin` interface at
//! `/org/freedesktop/NetworkManager/VPN/Plugin`.

use super::controller::Controller;
use super::dicts::VarDict;
use super::errors::PluginError;
use super::secrets::ConnectionDict;
use std::collections::HashMap;
use std::sync::Arc;
use zbus::object_server::SignalEmitter;
use zbus::OwnedVariant;

/// The object NetworkManager talks to; all logic lives in the [`Controller`].
pub struct Plugin {
    ctrl: Arc<Controller>,
}

impl Plugin {
    /// The interface object of `ctrl`.
    pub fn new(ctrl: Arc<Controller>) -> Self {
        Plugin { ctrl }
    }
}

#[zbus::interface(name = "org.freedesktop.NetworkManager.VPN.Plugin")]
impl Plugin {
    /// Connect without interactive secrets requests.
    async fn connect(&self, connection: ConnectionDict) -> Result<(), PluginError> {
        self.ctrl.connect(connection, false).await
    }

    /// Connect; may emit SecretsRequired and wait for NewSecrets.
    #[zbus(name = "ConnectInteractive")]
    async fn connect_interactive(
        &self,
        connection: ConnectionDict,
        details: HashMap<String, OwnedVariant>,
    ) -> Result<(), PluginError> {
        drop(details);
        self.ctrl.connect(connection, true).await
    }

    /// The setting whose secrets are missing ("vpn"), or "" when none are needed.
    #[zbus(name = "NeedSecrets")]
    async fn need_secrets(&self, settings: ConnectionDict) -> Result<String, PluginError> {
        self.ctrl.need_secrets(&settings)
    }

    /// Secrets asked for with SecretsRequired.
    #[zbus(name = "NewSecrets")]
    async fn new_secrets(&self, connection: ConnectionDict) -> Result<(), PluginError> {
        self.ctrl.new_secrets(connection).await
    }

    /// Close the connection.
    async fn disconnect(&self) -> Result<(), PluginError> {
        self.ctrl.disconnect().await
    }

    /// Generic configuration from a helper; re-emitted as Config.
    #[zbus(name = "SetConfig")]
    async fn set_config(&self, config: VarDict) {
        self.ctrl.set_config(config);
    }

    /// IPv4 configuration from a helper; re-emitted as Ip4Config.
    #[zbus(name = "SetIp4Config")]
    async fn set_ip4_config(&self, config: VarDict) {
        self.ctrl.set_ip4_config(config);
    }

    /// IPv6 configuration from a helper; re-emitted as Ip6Config.
    #[zbus(name = "SetIp6Config")]
    async fn set_ip6_config(&self, config: VarDict) {
        self.ctrl.set_ip6_config(config);
    }

    /// NetworkManager could not apply the configuration.
    #[zbus(name = "SetFailure")]
    async fn set_failure(&self, reason: String) {
        self.ctrl.set_failure(&reason).await;
    }

    /// The service state (NMVpnServiceState).
    #[zbus(property, name = "State")]
    fn state(&self) -> u32 {
        self.ctrl.state().code()
    }

    /// The service state changed.
    #[zbus(signal, name = "StateChanged")]
    pub async fn emit_state_changed(emitter: &SignalEmitter<'_>, state: u32) -> zbus::Result<()>;

    /// Secrets are needed to go on (only after ConnectInteractive).
    #[zbus(signal, name = "SecretsRequired")]
    pub async fn emit_secrets_required(
        emitter: &SignalEmitter<'_>,
        message: &str,
        secrets: &[String],
    ) -> zbus::Result<()>;

    /// Generic configuration.
    #[zbus(signal, name = "Config")]
    pub async fn emit_config(emitter: &SignalEmitter<'_>, config: &VarDict) -> zbus::Result<()>;

    /// IPv4 configuration.
    #[zbus(signal, name = "Ip4Config")]
    pub async fn emit_ip4_config(
        emitter: &SignalEmitter<'_>,
        ip4config: &VarDict,
    ) -> zbus::Result<()>;

    /// IPv6 configuration.
    #[zbus(signal, name = "Ip6Config")]
    pub async fn emit_ip6_config(
        emitter: &SignalEmitter<'_>,
        ip6config: &VarDict,
    ) -> zbus::Result<()>;

    /// A banner to show.
    #[zbus(signal, name = "LoginBanner")]
    pub async fn emit_login_banner(emitter: &SignalEmitter<'_>, banner: &str) -> zbus::Result<()>;

    /// The connection failed (NMVpnPluginFailure).
    #[zbus(signal, name = "Failure")]
    pub async fn emit_failure(emitter: &SignalEmitter<'_>, reason: u32) -> zbus::Result<()>;
}
