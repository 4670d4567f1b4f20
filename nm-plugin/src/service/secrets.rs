//! The connection dictionary NetworkManager sends (`a{sa{sv}}`), the `vpn` setting's `data`
//! and `secrets` maps, and which secrets are still needed (`NeedSecrets`).

use super::messages;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use zbus::OwnedVariant;
use zeroize::Zeroize;

/// A connection as NetworkManager serialises it: setting name → property → value.
pub type ConnectionDict = HashMap<String, HashMap<String, OwnedVariant>>;

/// NetworkManager's setting name for VPN secrets, returned by `NeedSecrets`.
pub const VPN_SETTING: &str = "vpn";

/// Secret flag: the secret is owned by a user agent.
pub const FLAG_AGENT_OWNED: u64 = 1;
/// Secret flag: the secret is not saved and must be asked for each time.
pub const FLAG_NOT_SAVED: u64 = 2;
/// Secret flag: the secret is not required.
pub const FLAG_NOT_REQUIRED: u64 = 4;

/// The `vpn` setting's maps, with the connection's name. Secret values are wiped on drop and
/// never printed.
#[derive(Clone, Default)]
pub struct VpnMaps {
    /// vpn.data.
    pub data: BTreeMap<String, String>,
    /// vpn.secrets.
    pub secrets: BTreeMap<String, String>,
    /// `connection.id`, when present.
    pub id: Option<String>,
    /// `connection.uuid`, when present.
    pub uuid: Option<String>,
    /// `connection.permissions` (`user:NAME:` entries): non-empty for a private profile.
    pub permissions: Vec<String>,
}

impl fmt::Debug for VpnMaps {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VpnMaps")
            .field("data", &self.data)
            .field("secrets", &self.secrets.keys().collect::<Vec<_>>())
            .field("id", &self.id)
            .field("uuid", &self.uuid)
            .field("permissions", &self.permissions)
            .finish()
    }
}

impl Drop for VpnMaps {
    fn drop(&mut self) {
        for v in self.secrets.values_mut() {
            v.zeroize();
        }
    }
}

impl VpnMaps {
    /// Reads the maps from a connection dictionary.
    pub fn from_connection(conn: &ConnectionDict) -> Result<Self, String> {
        let vpn = conn.get(VPN_SETTING).ok_or_else(messages::no_vpn_setting)?;
        let map = |field: &str| -> Result<BTreeMap<String, String>, String> {
            match vpn.get(field) {
                None => Ok(BTreeMap::new()),
                Some(v) => {
                    let v = v
                        .try_clone()
                        .map_err(|_| messages::bad_vpn_setting(field))?;
                    BTreeMap::<String, String>::try_from(v)
                        .map_err(|_| messages::bad_vpn_setting(field))
                }
            }
        };
        let text = |setting: &str, key: &str| -> Option<String> {
            conn.get(setting)
                .and_then(|s| s.get(key))
                .and_then(|v| <&str>::try_from(v).ok())
                .map(str::to_string)
        };
        let permissions = match conn.get("connection").and_then(|s| s.get("permissions")) {
            None => Vec::new(),
            Some(v) => {
                let v = v.try_clone().map_err(|_| messages::bad_permissions())?;
                Vec::<String>::try_from(v).map_err(|_| messages::bad_permissions())?
            }
        };
        Ok(VpnMaps {
            data: map("data")?,
            secrets: map("secrets")?,
            id: text("connection", "id"),
            uuid: text("connection", "uuid"),
            permissions,
        })
    }

    /// The connection name for the engine and logs.
    pub fn name(&self) -> String {
        self.id.clone().unwrap_or_else(|| "nm-ike".to_string())
    }

    /// Takes secrets (and data, when given) from a later `NewSecrets` call: new values win.
    pub fn merge(&mut self, newer: &VpnMaps) {
        for (k, v) in &newer.data {
            self.data.insert(k.clone(), v.clone());
        }
        for (k, v) in &newer.secrets {
            if let Some(mut old) = self.secrets.insert(k.clone(), v.clone()) {
                old.zeroize();
            }
        }
    }

    /// The gateway as the profile gives it (`right`), for the secrets prompt: the settings are
    /// parsed only once the secrets are there. Empty when absent.
    pub fn gateway(&self) -> &str {
        self.data.get("right").map_or("", String::as_str)
    }

    /// The secret flags of `secret` (`<secret>-flags` in vpn.data), 0 when absent or invalid.
    pub fn flags(&self, secret: &str) -> u64 {
        self.data
            .get(&format!("{secret}-flags"))
            .and_then(|v| v.trim().parse::<u64>().ok())
            .unwrap_or(0)
    }

    fn has_secret(&self, secret: &str) -> bool {
        self.secrets.get(secret).is_some_and(|v| !v.is_empty())
    }

    /// The secrets a connection attempt still needs.
    ///
    /// * `leftauth=eap-...` needs `password` unless its flags say "not required".
    /// * `authby=secret` (the default) needs `pskvalue` unless its flags say "not required".
    /// * Certificate authentication needs `leftkey-password` only when its flags say it is an
    ///   agent-owned or not-saved secret (there is a password the user must give) and it is
    ///   missing; with flags 0 the key is taken to be unencrypted.
    pub fn missing_secrets(&self) -> Vec<&'static str> {
        let authby = self
            .data
            .get("authby")
            .map(|s| s.trim())
            .unwrap_or("secret");
        let mut missing = Vec::new();
        let eap = self
            .data
            .get("leftauth")
            .is_some_and(|s| s.trim().starts_with("eap-"));
        if eap {
            if !self.has_secret("password") && self.flags("password") & FLAG_NOT_REQUIRED == 0 {
                missing.push("password");
            }
        } else if authby == "secret" {
            if !self.has_secret("pskvalue") && self.flags("pskvalue") & FLAG_NOT_REQUIRED == 0 {
                missing.push("pskvalue");
            }
        } else {
            let flags = self.flags("leftkey-password");
            if !self.has_secret("leftkey-password")
                && flags & FLAG_NOT_REQUIRED == 0
                && flags & (FLAG_AGENT_OWNED | FLAG_NOT_SAVED) != 0
            {
                missing.push("leftkey-password");
            }
        }
        missing
    }

    /// The `NeedSecrets` answer: the setting name when secrets are missing, "" otherwise.
    pub fn need_secrets(&self) -> &'static str {
        if self.missing_secrets().is_empty() {
            ""
        } else {
            VPN_SETTING
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zbus::Variant;

    fn maps(data: &[(&str, &str)], secrets: &[(&str, &str)]) -> VpnMaps {
        VpnMaps {
            data: data
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            secrets: secrets
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            id: None,
            uuid: None,
            permissions: Vec::new(),
        }
    }

    #[test]
    fn eap_password_is_needed_unless_present_or_not_required() {
        let eap = [("right", "gw"), ("leftauth", "eap-mschapv2")];
        assert_eq!(maps(&eap, &[]).missing_secrets(), vec!["password"]);
        assert_eq!(
            maps(&eap, &[("password", "pw")]).missing_secrets(),
            Vec::<&str>::new()
        );
        let not_required = [
            ("right", "gw"),
            ("leftauth", "eap-gtc"),
            ("password-flags", "4"),
        ];
        assert!(maps(&not_required, &[]).missing_secrets().is_empty());
    }

    #[test]
    fn psk_is_needed_unless_present_or_not_required() {
        assert_eq!(maps(&[("right", "gw")], &[]).need_secrets(), "vpn");
        assert_eq!(
            maps(&[("right", "gw"), ("authby", "secret")], &[]).missing_secrets(),
            vec!["pskvalue"]
        );
        assert_eq!(
            maps(&[("right", "gw")], &[("pskvalue", "s3cret")]).need_secrets(),
            ""
        );
        assert_eq!(
            maps(&[("right", "gw")], &[("pskvalue", "")]).need_secrets(),
            "vpn"
        );
        assert_eq!(
            maps(&[("right", "gw"), ("pskvalue-flags", "4")], &[]).need_secrets(),
            ""
        );
        assert_eq!(
            maps(&[("right", "gw"), ("pskvalue-flags", "6")], &[]).need_secrets(),
            ""
        );
        assert_eq!(
            maps(&[("right", "gw"), ("pskvalue-flags", "2")], &[]).need_secrets(),
            "vpn"
        );
        assert_eq!(
            maps(&[("right", "gw"), ("pskvalue-flags", "1")], &[]).need_secrets(),
            "vpn"
        );
    }

    #[test]
    fn certificates_need_a_password_only_when_flagged() {
        let cert = [("right", "gw"), ("authby", "rsasig")];
        assert_eq!(maps(&cert, &[]).need_secrets(), "");
        let mut flagged = cert.to_vec();
        flagged.push(("leftkey-password-flags", "2"));
        assert_eq!(
            maps(&flagged, &[]).missing_secrets(),
            vec!["leftkey-password"]
        );
        assert_eq!(
            maps(&flagged, &[("leftkey-password", "pw")]).need_secrets(),
            ""
        );
        let mut not_required = cert.to_vec();
        not_required.push(("leftkey-password-flags", "5"));
        assert_eq!(maps(&not_required, &[]).need_secrets(), "");
    }

    #[test]
    fn reads_the_vpn_setting_from_a_connection_dict() {
        let mut conn = ConnectionDict::new();
        let mut vpn = HashMap::new();
        let data: HashMap<String, String> = [("right".to_string(), "gw".to_string())].into();
        let secrets: HashMap<String, String> =
            [("pskvalue".to_string(), "s3cret".to_string())].into();
        vpn.insert("data".to_string(), OwnedVariant::from(data));
        vpn.insert("secrets".to_string(), OwnedVariant::from(secrets));
        vpn.insert(
            "service-type".to_string(),
            OwnedVariant::try_from(Variant::from("org.freedesktop.NetworkManager.ike")).unwrap(),
        );
        conn.insert("vpn".to_string(), vpn);
        let mut c = HashMap::new();
        c.insert(
            "id".to_string(),
            OwnedVariant::try_from(Variant::from("office")).unwrap(),
        );
        c.insert(
            "permissions".to_string(),
            OwnedVariant::try_from(Variant::from(vec!["user:alice:"])).unwrap(),
        );
        conn.insert("connection".to_string(), c);
        let m = VpnMaps::from_connection(&conn).unwrap();
        assert_eq!(m.permissions, vec!["user:alice:".to_string()]);
        assert_eq!(m.data.get("right").map(String::as_str), Some("gw"));
        assert_eq!(
            m.secrets.get("pskvalue").map(String::as_str),
            Some("s3cret")
        );
        assert_eq!(m.name(), "office");
        assert!(!format!("{m:?}").contains("s3cret"));

        assert!(VpnMaps::from_connection(&ConnectionDict::new()).is_err());
        let mut wrong = ConnectionDict::new();
        let mut vpn = HashMap::new();
        vpn.insert("data".to_string(), OwnedVariant::from(7u32));
        wrong.insert("vpn".to_string(), vpn);
        let e = VpnMaps::from_connection(&wrong).unwrap_err();
        assert!(e.contains("data"), "{e}");
    }

    #[test]
    fn merge_prefers_new_secrets() {
        let mut a = maps(&[("right", "gw")], &[("pskvalue", "old")]);
        a.merge(&maps(&[], &[("pskvalue", "new")]));
        assert_eq!(a.secrets.get("pskvalue").map(String::as_str), Some("new"));
        assert_eq!(a.data.get("right").map(String::as_str), Some("gw"));
    }
}
