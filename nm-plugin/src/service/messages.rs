//! Every user-visible text of the service: D-Bus error replies (NetworkManager shows and logs
//! them) and the plain-language failure explanations written to the journal.
//!
//! Each text is a function and goes through gettext ([`crate::i18n`]), so callers never see
//! the translation machinery. Values interpolated here are never secrets.

use crate::i18n::{tr, trf};
use ike_core::engine::LocalFault;
use std::time::Duration;

/// The profile failed validation; `problems` are `key: what is wrong` lines.
pub fn profile_invalid(problems: &[String]) -> String {
    trf(
        "The VPN profile is invalid: {problems}",
        &[("problems", &problems.join("; "))],
    )
}

/// The connection dictionary has no `vpn` setting.
pub fn no_vpn_setting() -> String {
    tr("The connection has no vpn setting").to_string()
}

/// `connection.permissions` has the wrong D-Bus type.
pub fn bad_permissions() -> String {
    tr("The connection's permissions (connection.permissions) are not a list of strings (as)")
        .to_string()
}

/// The `vpn` setting's `field` is not an `a{ss}`.
pub fn bad_vpn_setting(field: &str) -> String {
    trf(
        "The vpn setting's {field} is not a string dictionary (a{ss})",
        &[("field", &field)],
    )
}

/// Connect was called while a connection is running.
pub fn wrong_state_connect(state: &str) -> String {
    trf(
        "Could not start the connection: the service is {state}",
        &[("state", &state)],
    )
}

/// NewSecrets was called while nothing waits for secrets.
pub fn not_waiting_for_secrets(state: &str) -> String {
    trf(
        "Could not accept new secrets: no connection is waiting for them (the service is {state})",
        &[("state", &state)],
    )
}

/// Disconnect while already disconnecting.
pub fn already_stopping() -> String {
    tr("The connection is already being stopped").to_string()
}

/// Disconnect while no connection is active.
pub fn already_stopped() -> String {
    tr("No VPN connection is active").to_string()
}

/// The gateway's name could not be resolved.
pub fn resolve_failed(detail: &str) -> String {
    trf("Cannot find the gateway: {detail}", &[("detail", &detail)])
}

/// No local address routes to the gateway.
pub fn no_route(gateway: &str, detail: &str) -> String {
    trf(
        "No route to the gateway {gateway}: {detail}",
        &[("gateway", &gateway), ("detail", &detail)],
    )
}

/// The gateway's address did not answer (or has no route): its address `next` of the other
/// family is tried.
pub fn fallback_address(next: std::net::IpAddr) -> String {
    trf(
        "Trying the gateway's other address {address}",
        &[("address", &next)],
    )
}

/// Another try to reach the gateway (`keyingtries`) in `secs` seconds: `round` of `rounds`
/// (0: no limit).
pub fn keying_try(round: u32, rounds: u32, secs: u64) -> String {
    if rounds == 0 {
        trf(
            "Trying the gateway again in {secs} s (try {try}; keyingtries=0: until NetworkManager gives up)",
            &[("secs", &secs), ("try", &round)],
        )
    } else {
        trf(
            "Trying the gateway again in {secs} s (try {try} of {tries}, keyingtries={tries})",
            &[("secs", &secs), ("try", &round), ("tries", &rounds)],
        )
    }
}

/// The IKE sockets could not be opened.
pub fn sockets_failed(detail: &str) -> String {
    trf(
        "Cannot open the IKE sockets: {detail}",
        &[("detail", &detail)],
    )
}

/// Disconnect arrived while the connection was being prepared.
pub fn cancelled() -> String {
    tr("The connection was cancelled while it was being started").to_string()
}

/// The engine refused the connection configuration.
pub fn engine_refused(detail: &str) -> String {
    trf(
        "The IKE connection could not be started: {detail}",
        &[("detail", &detail)],
    )
}

/// The prompt sent with SecretsRequired.
pub fn secrets_prompt(gateway: &str) -> String {
    trf(
        "A pre-shared key is needed to connect to the IPsec gateway {gateway}.",
        &[("gateway", &gateway)],
    )
}

/// Secrets are still missing after NewSecrets.
pub fn secrets_still_missing(keys: &[&str]) -> String {
    trf(
        "The VPN profile is invalid: {keys}: the secret is still missing",
        &[("keys", &keys.join(", "))],
    )
}

/// The connection did not come up within NetworkManager's usual time.
pub fn connect_timeout(secs: u64) -> String {
    trf(
        "The connection was not established within {secs} s; giving up",
        &[("secs", &secs)],
    )
}

/// No IKE or ESP proposal was acceptable. Each case is one whole text, so that translators
/// see complete sentences.
pub fn no_proposal(child: bool, ours: &[String], theirs: Option<&[String]>) -> String {
    let ours = ours.join(", ");
    match (child, theirs) {
        (false, Some(t)) if !t.is_empty() => trf(
            "The gateway accepted none of our IKE (phase 1) proposals. We offered: {ours}. The gateway offered: {theirs}. Set the ike key of the profile to algorithms the gateway accepts.",
            &[("ours", &ours), ("theirs", &t.join(", "))],
        ),
        (true, Some(t)) if !t.is_empty() => trf(
            "The gateway accepted none of our ESP (phase 2) proposals. We offered: {ours}. The gateway offered: {theirs}. Set the esp key of the profile to algorithms the gateway accepts.",
            &[("ours", &ours), ("theirs", &t.join(", "))],
        ),
        (false, _) => trf(
            "The gateway accepted none of our IKE (phase 1) proposals. We offered: {ours}. The gateway did not say which algorithms it accepts. Set the ike key of the profile to algorithms the gateway accepts.",
            &[("ours", &ours)],
        ),
        (true, _) => trf(
            "The gateway accepted none of our ESP (phase 2) proposals. We offered: {ours}. The gateway did not say which algorithms it accepts. Set the esp key of the profile to algorithms the gateway accepts.",
            &[("ours", &ours)],
        ),
    }
}

/// The gateway rejected our authentication (AUTHENTICATION_FAILED from the peer).
pub fn auth_rejected_by_gateway(detail: &str) -> String {
    trf(
        "The gateway rejected our authentication ({detail}): the pre-shared key or our identity (leftid) does not match the gateway's configuration.",
        &[("detail", &detail)],
    )
}

/// The gateway refused our EAP user name or password.
pub fn eap_refused(method: &str, detail: &str) -> String {
    if detail.is_empty() {
        trf(
            "The gateway refused the user name or password ({method}): check leftusername and the password.",
            &[("method", &method)],
        )
    } else {
        trf(
            "The gateway refused the user name or password ({method}: {detail}): check leftusername and the password.",
            &[("method", &method), ("detail", &detail)],
        )
    }
}

/// We could not authenticate the gateway.
pub fn auth_gateway_failed(detail: &str) -> String {
    trf(
        "The gateway could not be authenticated: {detail}. Check the pre-shared key and the gateway's identity (rightid).",
        &[("detail", &detail)],
    )
}

/// The gateway's certificate does not name the gateway we connect to.
pub fn certificate_name_mismatch(expected: &str, presented: &[String]) -> String {
    let names = if presented.is_empty() {
        tr("no DNS name or IP address").to_string()
    } else {
        presented.join(", ")
    };
    trf(
        "The gateway's certificate is not valid for \"{expected}\" (it names: {names}). Connect to a name or address the certificate names (right), or set rightid to the identity the gateway proves.",
        &[("expected", &expected), ("names", &names)],
    )
}

/// A CRL of `rightcrl` lists the gateway's certificate (or one of its chain).
pub fn certificate_revoked(
    subject: &str,
    serial: &str,
    issuer: &str,
    revoked_at: &str,
    reason: Option<&str>,
) -> String {
    let reason = reason.unwrap_or("-");
    trf(
        "The gateway's certificate \"{subject}\" (serial {serial}) has been revoked by \"{issuer}\" (at {revoked_at}, reason: {reason}), so it is refused. The gateway needs a new certificate.",
        &[
            ("subject", &subject),
            ("serial", &serial),
            ("issuer", &issuer),
            ("revoked_at", &revoked_at),
            ("reason", &reason),
        ],
    )
}

/// The gateway's certificate was accepted without a complete revocation check
/// (`crl-strict=no`).
pub fn revocation_unchecked(detail: &str) -> String {
    trf(
        "The gateway's certificate was accepted without a complete revocation check ({detail}); update rightcrl, or set crl-strict=yes to refuse such certificates.",
        &[("detail", &detail)],
    )
}

/// TS_UNACCEPTABLE.
pub fn ts_unacceptable() -> String {
    tr("The gateway refused the networks we asked to tunnel (traffic selectors): compare leftsubnet and rightsubnet with the gateway's configuration.").to_string()
}

/// IKEv1: no answer to our first Quick Mode message.
pub fn quick_mode_unanswered(ours: &[String]) -> String {
    trf(
        "The gateway accepts none of our Phase 2 proposals or networks: it did not answer our Quick Mode (IKEv1). We offered: {ours}. Compare esp, pfs, leftsubnet and rightsubnet with the gateway's configuration.",
        &[("ours", &ours.join(", "))],
    )
}

/// INTERNAL_ADDRESS_FAILURE.
pub fn internal_address_failure() -> String {
    tr("The gateway could not assign us a virtual address (its address pool may be exhausted or not configured).").to_string()
}

/// FAILED_CP_REQUIRED.
pub fn cp_required() -> String {
    tr("The gateway requires us to ask for a virtual address: set leftmodecfgclient=yes.")
        .to_string()
}

/// INVALID_KE_PAYLOAD without an acceptable group.
pub fn invalid_ke(group: u16) -> String {
    trf(
        "The gateway requires key exchange group {group}, which our IKE proposals do not allow: add it to the ike key of the profile.",
        &[("group", &group)],
    )
}

/// A measured wait in whole seconds, rounded: the engine's retransmission deadlines are in
/// whole milliseconds of its own clock, so a schedule of 1 s + 2 s can end 2.999 s after the
/// controller's clock started, which truncated would read "2 s".
fn whole_secs(d: Duration) -> u64 {
    d.as_millis()
        .saturating_add(500)
        .checked_div(1000)
        .map_or(0, |s| u64::try_from(s).unwrap_or(u64::MAX))
}

/// The gateway never answered.
pub fn no_response(gateway: &str, port: u16, tries: u32, waited: Duration) -> String {
    trf(
        "The gateway {gateway} did not answer on UDP port {port} ({tries} tries over {secs} s). Check the gateway address, and that firewalls let UDP ports 500 and 4500 through.",
        &[
            ("gateway", &gateway),
            ("port", &port),
            ("tries", &tries),
            ("secs", &whole_secs(waited)),
        ],
    )
}

/// ICMP port unreachable errors answered consecutive transmissions: the gateway host is there,
/// but no IKE daemon listens.
pub fn no_ike_service(gateway: &str, port: u16, count: u32, waited: Duration) -> String {
    trf(
        "No IKE service at the gateway {gateway}: it answered {count} of our messages in a row on UDP port {port} with an ICMP port unreachable (after {secs} s), so nothing listens there. Check that the gateway's IKE daemon is running and that the address is right.",
        &[
            ("gateway", &gateway),
            ("port", &port),
            ("count", &count),
            ("secs", &whole_secs(waited)),
        ],
    )
}

/// The gateway never answered, and ICMP port unreachable errors (not for consecutive
/// transmissions) came back meanwhile.
pub fn no_response_after_icmp(
    gateway: &str,
    port: u16,
    tries: u32,
    waited: Duration,
    icmp_port: u16,
    icmp_count: u32,
) -> String {
    trf(
        "The gateway {gateway} did not answer on UDP port {port} ({tries} tries over {secs} s). ICMP port unreachable errors for UDP port {icmp_port} came back for {count} of our messages: most likely no IKE service listens at the gateway (unless those errors were forged). Check that the gateway's IKE daemon is running and that the address is right.",
        &[
            ("gateway", &gateway),
            ("port", &port),
            ("tries", &tries),
            ("secs", &whole_secs(waited)),
            ("icmp_port", &icmp_port),
            ("count", &icmp_count),
        ],
    )
}

/// Another error notify from the gateway.
pub fn peer_notify(name: &str, code: u16) -> String {
    trf(
        "The gateway refused the connection with the error {name} ({code}).",
        &[("name", &name), ("code", &code)],
    )
}

/// A malformed or unexpected message.
pub fn protocol_error(detail: &str) -> String {
    trf(
        "The IKE exchange with the gateway failed: {detail}.",
        &[("detail", &detail)],
    )
}

/// A fault of this computer, not of the gateway (`Failure::Local`): the random number generator,
/// our own cryptography, or a setting we cannot use (no wall clock for certificates, unusable
/// trust anchors).
pub fn local_fault(kind: LocalFault, detail: &str) -> String {
    let what = match kind {
        LocalFault::Rng => tr("the random number generator failed"),
        LocalFault::Crypto => tr("a cryptographic operation failed"),
        _ => tr("the configuration or state of this computer does not allow it"),
    };
    trf(
        "The connection failed on this computer, not at the gateway: {what} ({detail}).",
        &[("what", &what), ("detail", &detail)],
    )
}

/// The gateway deleted the IKE SA.
pub fn deleted_by_gateway() -> String {
    tr("The gateway closed the connection.").to_string()
}

/// Liveness checks (DPD) went unanswered (`Failure::PeerDead`).
pub fn peer_dead(gateway: &str, silent_for: Duration) -> String {
    trf(
        "The gateway {gateway} stopped answering: no answer to liveness checks for {secs} s (DPD).",
        &[("gateway", &gateway), ("secs", &silent_for.as_secs())],
    )
}

/// The IKE SA reached its lifetime (`Failure::IkeLifetimeExpired`): rekeying turned off, or
/// every rekey failed.
pub fn ike_lifetime_expired(rekey_disabled: bool) -> String {
    if rekey_disabled {
        tr("The IKE SA reached the end of its lifetime (ikelifetime) and was not renewed because rekeying is turned off (rekey=no).").to_string()
    } else {
        tr("The IKE SA reached the end of its lifetime (ikelifetime) because rekeying it with the gateway failed.").to_string()
    }
}

/// IKEv1: the IPsec SA reached its lifetime; IKEv1 SAs are not rekeyed yet.
pub fn ipsec_lifetime_expired() -> String {
    tr("The IPsec SA reached the end of its lifetime (salifetime) and was not renewed: rekeying IKEv1 SAs is not supported yet. Connect again, or raise salifetime on both ends.").to_string()
}

/// The gateway's authentication lifetime ended before a reauthentication succeeded
/// (`Failure::AuthLifetimeExpired`): how many were tried, and why the last one failed.
pub fn auth_lifetime_expired(attempts: u32, last: Option<&str>) -> String {
    match (attempts, last) {
        (0, _) => tr("The gateway's authentication lifetime (AUTH_LIFETIME) ended before the connection could be authenticated again.").to_string(),
        (n, None) => trf(
            "The gateway's authentication lifetime (AUTH_LIFETIME) ended before the gateway answered the reauthentication of the connection ({attempts} attempt(s)).",
            &[("attempts", &n)],
        ),
        (n, Some(last)) => trf(
            "The gateway's authentication lifetime (AUTH_LIFETIME) ended and authenticating the connection again did not succeed ({attempts} attempt(s)); the last failure: {last}",
            &[("attempts", &n), ("last", &last)],
        ),
    }
}

/// One reauthentication failed (`Failure::ReauthFailed`); the tunnel stays and it is tried
/// again.
pub fn reauth_failed(attempt: u32, cause: &str) -> String {
    trf(
        "authenticating the connection again as the gateway asked (AUTH_LIFETIME) failed (attempt {attempt}), it is tried again until the authentication lifetime ends: {cause}",
        &[("attempt", &attempt), ("cause", &cause)],
    )
}

/// A reauthentication got other virtual addresses (`Failure::VirtualAddressChanged`).
pub fn virtual_address_changed(held: &str, offered: &str) -> String {
    trf(
        "the gateway assigned {offered} when the connection was authenticated again, not the address {held} it holds; the connection keeps {held} and does not switch addresses under NetworkManager",
        &[("held", &held), ("offered", &offered)],
    )
}

/// The IKE SA was reauthenticated: the new IKE SA's SPIs and proposal.
pub fn reauthenticated(spi_i: &str, spi_r: &str, proposal: &str) -> String {
    trf(
        "Connection authenticated again as the gateway asked (AUTH_LIFETIME): new IKE SA {spi_i}_i {spi_r}_r ({proposal}); the old one is deleted",
        &[("spi_i", &spi_i), ("spi_r", &spi_r), ("proposal", &proposal)],
    )
}

/// MOBIKE moved the connection to a new path (`Event::IkeSaMoved`): our endpoint, the
/// gateway's, and whether ESP is UDP-encapsulated now.
pub fn moved(local: &str, remote: &str, encap: bool) -> String {
    let how = if encap {
        tr("ESP is UDP-encapsulated")
    } else {
        tr("ESP is not encapsulated")
    };
    trf(
        "The connection moved to a new path without a new IKE SA (MOBIKE): from {local} to the gateway at {remote}; {how}",
        &[("local", &local), ("remote", &remote), ("how", &how)],
    )
}

/// Our address changed and the IKE SA could not move (`Failure::PathChanged`).
pub fn path_changed(offered: bool) -> String {
    if offered {
        tr("This computer's address towards the gateway changed, and the gateway does not support MOBIKE, so the connection could not move to the new path; it needs a new IKE SA (with dpdaction=restart it is established again by itself).").to_string()
    } else {
        tr("This computer's address towards the gateway changed, and MOBIKE is off (mobike=no), so the connection could not move to the new path; it needs a new IKE SA (with dpdaction=restart it is established again by itself). Set mobike=yes to keep it across address changes.").to_string()
    }
}

/// A NAT was detected while UDP encapsulation is off (`Failure::NatWithoutEncapsulation`).
pub fn nat_without_encapsulation(local_behind: bool) -> String {
    let side = if local_behind {
        tr("this computer is behind a NAT")
    } else {
        tr("the gateway is behind a NAT")
    };
    trf(
        "A NAT is in the way ({side}), but encapsulation=no forbids the UDP encapsulation of ESP that passes it; set encapsulation=auto (the default) or yes.",
        &[("side", &side)],
    )
}

/// dpdaction=restart: the connection was lost and is established again after `delay`; the
/// tunnel's traffic stays blocked meanwhile.
pub fn restarting(delay: Duration) -> String {
    trf(
        "dpdaction=restart: connecting to the gateway again in {secs} s; the tunnel's traffic stays blocked until it is back.",
        &[("secs", &delay.as_secs())],
    )
}

/// dpdaction=restart or hold (`action`): initiating the connection again failed at once.
pub fn restart_failed(action: &str, detail: &str) -> String {
    trf(
        "dpdaction={action}: connecting again failed: {detail}",
        &[("action", &action), ("detail", &detail)],
    )
}

/// dpdaction=restart or hold (`action`): the connection is up again. `same_address`: the
/// gateway gave the addresses NetworkManager has; `no_address`: none was asked for or given
/// (site to site).
pub fn restarted(same_address: bool, no_address: bool, action: &str) -> String {
    if same_address && no_address {
        trf(
            "The connection to the gateway is up again (dpdaction={action}).",
            &[("action", &action)],
        )
    } else if same_address {
        trf(
            "The connection to the gateway is up again (dpdaction={action}), with the same address.",
            &[("action", &action)],
        )
    } else {
        trf("The connection to the gateway is up again (dpdaction={action}), with a new configuration from the gateway; NetworkManager is given it.", &[("action", &action)])
    }
}

/// dpdaction=hold: the connection was lost; it is held until traffic wants out.
pub fn holding() -> String {
    tr("dpdaction=hold: the tunnel's traffic stays blocked; the connection is established again when traffic wants to go through it.").to_string()
}

/// dpdaction=hold: an attempt to establish the connection again failed; the next one waits
/// for traffic and at least `backoff`.
pub fn hold_failed(backoff: Duration) -> String {
    trf(
        "dpdaction=hold: connecting to the gateway again failed; the next attempt waits for traffic and at least {secs} s. The tunnel's traffic stays blocked.",
        &[("secs", &backoff.as_secs())],
    )
}

/// dpdaction=hold: traffic wants to go through the held tunnel.
pub fn hold_traffic() -> String {
    tr("dpdaction=hold: traffic wants to go through the tunnel; connecting to the gateway again.")
        .to_string()
}

/// `nm-ike up` refuses dpdaction=hold: holding a lost connection is the service's.
pub fn hold_needs_service() -> String {
    tr("dpdaction=hold is carried out by nm-ike-service (through NetworkManager); nm-ike up cannot hold a lost connection. Use dpdaction=clear or restart in this profile.").to_string()
}

/// The gateway removed the IPsec SA but kept the IKE SA.
pub fn child_removed() -> String {
    tr("The gateway removed the IPsec tunnel.").to_string()
}

/// A kernel operation failed.
pub fn kernel_failed(detail: &str) -> String {
    trf(
        "Installing the IPsec state in the kernel failed: {detail}.",
        &[("detail", &detail)],
    )
}

/// The connection task ended without a reported reason.
pub fn ended_unexpectedly() -> String {
    tr("The IKE connection ended unexpectedly.").to_string()
}

/// NetworkManager reported a failure through SetFailure.
pub fn set_failure(reason: &str) -> String {
    trf(
        "NetworkManager reported a bad IP configuration: {reason}",
        &[("reason", &reason)],
    )
}

/// The kernel has no ESP (`NM_IKE_KERNEL=auto`): connections fail instead of running without
/// protection.
pub fn no_esp() -> String {
    tr("The kernel has no ESP support (esp4/esp6 missing): load the modules with \"modprobe esp4 esp6 xfrm_user\", or, in a container, on the host; IPsec cannot protect traffic without them.").to_string()
}

/// An exchange on the established IKE SA failed (e.g. a refused rekey); the tunnel stays.
pub fn exchange_failed_tunnel_stays(cause: &str) -> String {
    trf(
        "A rekey (or another exchange) with the gateway failed; the tunnel stays up with its current keys until they expire: {cause}",
        &[("cause", &cause)],
    )
}

/// A value of the gateway's configuration reply failed its check and is dropped; `value` is
/// already escaped for display.
pub fn ignored_from_gateway(attribute: &str, value: &str, problem: &str) -> String {
    trf(
        "Ignoring {attribute} {value} from the gateway: {problem}",
        &[
            ("attribute", &attribute),
            ("value", &value),
            ("problem", &problem),
        ],
    )
}

/// Why a DNS domain from the gateway is dropped.
pub fn not_a_dns_name() -> String {
    tr("not a DNS name (letters, digits and hyphens in dot-separated labels of at most 63 characters, 253 in all)").to_string()
}

/// Why a DNS server address from the gateway is dropped.
pub fn not_a_server_address() -> String {
    tr("not a usable server address (unspecified, loopback, multicast or broadcast)").to_string()
}

/// Why a pushed subnet (INTERNAL_IP4_SUBNET / INTERNAL_IP6_SUBNET) is not routed: its prefix
/// length is longer than the address.
pub fn subnet_bad_prefix() -> String {
    tr("the prefix length is longer than the address").to_string()
}

/// Why a pushed subnet is not routed: it lies outside the negotiated remote networks.
pub fn subnet_outside_selectors() -> String {
    tr("it is outside the networks the IPsec SA protects, so traffic routed to it would leave unencrypted").to_string()
}

/// Why a pushed subnet is not routed: the gateway pushed more than `max`.
pub fn subnet_too_many(max: usize) -> String {
    trf("only the first {max} subnets are routed", &[("max", &max)])
}

/// Why a virtual address from the gateway is dropped.
pub fn not_a_host_address() -> String {
    tr("not a usable address for this host (unspecified, loopback, multicast or broadcast)")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wait_is_named_in_rounded_seconds() {
        // 1 s + 2 s of retransmissions that ended a millisecond early on the engine's clock.
        let m = no_response("gw", 500, 2, Duration::from_millis(2_999));
        assert!(m.contains("(2 tries over 3 s)"), "{m}");
        let m = no_response("gw", 500, 4, Duration::from_millis(15_400));
        assert!(m.contains("over 15 s"), "{m}");
        assert_eq!(whole_secs(Duration::from_millis(499)), 0);
    }
}
