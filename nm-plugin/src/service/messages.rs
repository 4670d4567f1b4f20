//! Every user-visible text of the service: D-Bus error replies (NetworkManager shows and logs
//! them) and the plain-language failure explanations written to the journal.
//!
//! Each text is a function so that translation (gettext) can be wired in here later without
//! touching the callers. Values interpolated here are never secrets.

use std::time::Duration;

/// The profile failed validation; `problems` are `key: what is wrong` lines.
pub fn profile_invalid(problems: &[String]) -> String {
    format!("The VPN profile is invalid: {}", problems.join("; "))
}

/// The connection dictionary has no `vpn` setting.
pub fn no_vpn_setting() -> String {
    "The connection has no vpn setting".to_string()
}

/// A part of the `vpn` setting has the wrong D-Bus type.
pub fn bad_vpn_setting(field: &str) -> String {
    format!("The vpn setting's {field} is not a string dictionary (a{{ss}})")
}

/// Connect was called while a connection is running.
pub fn wrong_state_connect(state: &str) -> String {
    format!("Could not start the connection: the service is {state}")
}

/// NewSecrets was called while nothing waits for secrets.
pub fn not_waiting_for_secrets(state: &str) -> String {
    format!(
        "Could not accept new secrets: no connection is waiting for them (the service is {state})"
    )
}

/// Disconnect while already disconnecting.
pub fn already_stopping() -> String {
    "The connection is already being stopped".to_string()
}

/// Disconnect while no connection is active.
pub fn already_stopped() -> String {
    "No VPN connection is active".to_string()
}

/// The gateway's name could not be resolved.
pub fn resolve_failed(detail: &str) -> String {
    format!("Cannot find the gateway: {detail}")
}

/// No local address routes to the gateway.
pub fn no_route(gateway: &str, detail: &str) -> String {
    format!("No route to the gateway {gateway}: {detail}")
}

/// The IKE sockets could not be opened.
pub fn sockets_failed(detail: &str) -> String {
    format!("Cannot open the IKE sockets: {detail}")
}

/// Disconnect arrived while the connection was being prepared.
pub fn cancelled() -> String {
    "The connection was cancelled while it was being started".to_string()
}

/// The engine refused the connection configuration.
pub fn engine_refused(detail: &str) -> String {
    format!("The IKE connection could not be started: {detail}")
}

/// The prompt sent with SecretsRequired.
pub fn secrets_prompt(gateway: &str) -> String {
    format!("A pre-shared key is needed to connect to the IPsec gateway {gateway}.")
}

/// Secrets are still missing after NewSecrets.
pub fn secrets_still_missing(keys: &[&str]) -> String {
    format!(
        "The VPN profile is invalid: {}: the secret is still missing",
        keys.join(", ")
    )
}

/// The connection did not come up within NetworkManager's usual time.
pub fn connect_timeout(secs: u64) -> String {
    format!("The connection was not established within {secs} s; giving up")
}

/// No IKE or ESP proposal was acceptable.
pub fn no_proposal(child: bool, ours: &[String], theirs: Option<&[String]>) -> String {
    let (what, key) = if child {
        ("ESP (phase 2)", "esp")
    } else {
        ("IKE (phase 1)", "ike")
    };
    let mut s = format!(
        "The gateway accepted none of our {what} proposals. We offered: {}.",
        ours.join(", ")
    );
    match theirs {
        Some(t) if !t.is_empty() => {
            s.push_str(&format!(" The gateway offered: {}.", t.join(", ")));
        }
        _ => s.push_str(" The gateway did not say which algorithms it accepts."),
    }
    s.push_str(&format!(
        " Set the {key} key of the profile to algorithms the gateway accepts."
    ));
    s
}

/// The gateway rejected our authentication (AUTHENTICATION_FAILED from the peer).
pub fn auth_rejected_by_gateway(detail: &str) -> String {
    format!(
        "The gateway rejected our authentication ({detail}): the pre-shared key or our identity \
         (leftid) does not match the gateway's configuration."
    )
}

/// We could not authenticate the gateway.
pub fn auth_gateway_failed(detail: &str) -> String {
    format!(
        "The gateway could not be authenticated: {detail}. Check the pre-shared key and the \
         gateway's identity (rightid)."
    )
}

/// TS_UNACCEPTABLE.
pub fn ts_unacceptable() -> String {
    "The gateway refused the networks we asked to tunnel (traffic selectors): compare \
     leftsubnet and rightsubnet with the gateway's configuration."
        .to_string()
}

/// INTERNAL_ADDRESS_FAILURE.
pub fn internal_address_failure() -> String {
    "The gateway could not assign us a virtual address (its address pool may be exhausted or \
     not configured)."
        .to_string()
}

/// FAILED_CP_REQUIRED.
pub fn cp_required() -> String {
    "The gateway requires us to ask for a virtual address: set leftmodecfgclient=yes.".to_string()
}

/// INVALID_KE_PAYLOAD without an acceptable group.
pub fn invalid_ke(group: u16) -> String {
    format!(
        "The gateway requires key exchange group {group}, which our IKE proposals do not allow: \
         add it to the ike key of the profile."
    )
}

/// The gateway never answered.
pub fn no_response(gateway: &str, port: u16, tries: u32, waited: Duration) -> String {
    format!(
        "The gateway {gateway} did not answer on UDP port {port} ({tries} tries over {} s). \
         Check the gateway address, and that firewalls let UDP ports 500 and 4500 through.",
        waited.as_secs()
    )
}

/// Another error notify from the gateway.
pub fn peer_notify(name: &str, code: u16) -> String {
    format!("The gateway refused the connection with the error {name} ({code}).")
}

/// A malformed or unexpected message.
pub fn protocol_error(detail: &str) -> String {
    format!("The IKE exchange with the gateway failed: {detail}.")
}

/// The gateway deleted the IKE SA.
pub fn deleted_by_gateway() -> String {
    "The gateway closed the connection.".to_string()
}

/// The gateway removed the IPsec SA but kept the IKE SA.
pub fn child_removed() -> String {
    "The gateway removed the IPsec tunnel.".to_string()
}

/// A kernel operation failed.
pub fn kernel_failed(detail: &str) -> String {
    format!("Installing the IPsec state in the kernel failed: {detail}.")
}

/// The connection task ended without a reported reason.
pub fn ended_unexpectedly() -> String {
    "The IKE connection ended unexpectedly.".to_string()
}

/// NetworkManager reported a failure through SetFailure.
pub fn set_failure(reason: &str) -> String {
    format!("NetworkManager reported a bad IP configuration: {reason}")
}
