//! Unit tests of [`super::super`]: what `dpdaction` (clear, restart, hold) does when the
//! gateway stops answering, and what a restart tells NetworkManager.

use super::*;

fn warnings(a: &[Action]) -> Vec<String> {
    a.iter()
        .filter_map(|x| match x {
            Action::Log(Level::Warn, m) => Some(m.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn dpdaction_clear_ends_the_connection_saying_the_gateway_stopped_answering() {
    let mut t = up_track();
    let a = on_event(&mut t, peer_dead(OWN), &situation());
    assert_eq!(stops(&a), vec![PluginFailure::ConnectFailed]);
    assert!(!a.iter().any(|x| matches!(x, Action::Restart)));
    let w = warnings(&a);
    assert!(
        w.iter()
            .any(|m| m.contains("stopped answering") && m.contains("30 s")),
        "{w:?}"
    );
}

#[test]
fn dpdaction_restart_keeps_the_connection_and_initiates_it_again() {
    let mut t = up_restart_track();
    let s = situation();
    let a = on_event(&mut t, peer_dead(OWN), &s);
    assert!(stops(&a).is_empty(), "{a:?}");
    assert!(a.iter().any(|x| matches!(x, Action::Restart)), "{a:?}");
    assert!(
        warnings(&a).iter().any(|m| m.contains("stopped answering")),
        "{a:?}"
    );
    // Late events of the lost SA change nothing.
    let a = on_event(
        &mut t,
        Event::IkeSaDown {
            sa: OWN,
            reason: DownReason::Failed(Failure::PeerDead {
                silent_for: Duration::from_secs(30),
            }),
        },
        &s,
    );
    assert!(stops(&a).is_empty() && !a.iter().any(|x| matches!(x, Action::Restart)));
    // Initiated again: the gateway is still away, so it is tried again.
    let new = IkeSaHandle(2);
    t.reinitiated(new);
    let a = on_event(&mut t, no_response(new), &s);
    assert!(stops(&a).is_empty(), "{a:?}");
    assert!(a.iter().any(|x| matches!(x, Action::Restart)), "{a:?}");
    // Then it answers and gives the same address: NetworkManager's configuration stays.
    let newer = IkeSaHandle(3);
    t.reinitiated(newer);
    let a = come_up(&mut t, newer, 0x2000, &s);
    assert!(a.iter().any(|x| matches!(x, Action::Restarted)), "{a:?}");
    assert!(
        !a.iter().any(|x| matches!(x, Action::SendConfig(_))),
        "{a:?}"
    );
    assert!(!t.restarting && t.up);
}

#[test]
fn dpdaction_hold_keeps_the_connection_like_restart_and_says_hold() {
    let s = situation();
    let mut t = Track::new(OWN, None).with_hold(true);
    assert!(t.restart && t.hold);
    come_up(&mut t, OWN, 0x1000, &s);
    // Dead gateway: kept (NetworkManager stays activated, the policies stay).
    let a = on_event(&mut t, peer_dead(OWN), &s);
    assert!(stops(&a).is_empty(), "{a:?}");
    assert!(a.iter().any(|x| matches!(x, Action::Restart)), "{a:?}");
    // An attempt that fails is held again.
    let new = IkeSaHandle(2);
    t.reinitiated(new);
    let a = on_event(&mut t, no_response(new), &s);
    assert!(stops(&a).is_empty(), "{a:?}");
    assert!(a.iter().any(|x| matches!(x, Action::Restart)), "{a:?}");
    // A stranger's failure during the hold changes nothing.
    let a = on_event(&mut t, peer_dead(IkeSaHandle(99)), &s);
    assert!(stops(&a).is_empty() && !a.iter().any(|x| matches!(x, Action::Restart)));
    // Up again with the same address: the log names hold, NetworkManager's view stays.
    let newer = IkeSaHandle(3);
    t.reinitiated(newer);
    let a = come_up(&mut t, newer, 0x2000, &s);
    assert!(a.iter().any(|x| matches!(x, Action::Restarted)), "{a:?}");
    assert!(!a.iter().any(|x| matches!(x, Action::SendConfig(_))));
    assert!(
        a.iter().any(|x| matches!(x, Action::Log(Level::Info, m)
            if m.contains("up again (dpdaction=hold), with the same address"))),
        "{a:?}"
    );
}

/// Seed 001: a site-to-site connection (no virtual address) that comes back says so, without
/// claiming "the same address".
#[test]
fn a_site_to_site_restart_names_no_address() {
    let s = situation();
    let mut t = Track::new(OWN, None).with_restart(true);
    on_event(&mut t, ike_up(OWN), &s);
    on_event(&mut t, child_up(OWN, 0x1000), &s);
    let a = on_event(&mut t, peer_dead(OWN), &s);
    assert!(a.iter().any(|x| matches!(x, Action::Restart)), "{a:?}");
    let new = IkeSaHandle(2);
    t.reinitiated(new);
    on_event(&mut t, ike_up(new), &s);
    let a = on_event(&mut t, child_up(new, 0x2000), &s);
    assert!(a.iter().any(|x| matches!(x, Action::Restarted)), "{a:?}");
    let info: Vec<&String> = a
        .iter()
        .filter_map(|x| match x {
            Action::Log(Level::Info, m) if m.contains("up again") => Some(m),
            _ => None,
        })
        .collect();
    assert_eq!(
        info,
        ["The connection to the gateway is up again (dpdaction=restart)."],
        "{a:?}"
    );
}

#[test]
fn a_restart_with_a_new_address_gives_networkmanager_the_new_configuration() {
    let mut t = up_restart_track();
    let s = situation();
    on_event(&mut t, peer_dead(OWN), &s);
    let new = IkeSaHandle(2);
    t.reinitiated(new);
    on_event(&mut t, ike_up(new), &s);
    on_event(
        &mut t,
        Event::ConfigReceived {
            sa: new,
            config: config_with("10.9.0.77"),
        },
        &s,
    );
    let a = on_event(&mut t, child_up(new, 0x2000), &s);
    assert!(a.iter().any(|x| matches!(x, Action::Restarted)), "{a:?}");
    assert!(
        a.iter().any(|x| matches!(x, Action::SendConfig(_))),
        "{a:?}"
    );
    assert_eq!(
        t.sent.as_ref().map(|c| c.addresses_v4[0].addr),
        Some("10.9.0.77".parse().unwrap())
    );
}

#[test]
fn restart_leaves_deliberate_ends_and_first_failures_alone() {
    let s = situation();
    // The gateway deleted the IKE SA (an administrator's disconnect): the connection ends.
    let mut t = up_restart_track();
    let a = on_event(
        &mut t,
        Event::IkeSaDown {
            sa: OWN,
            reason: DownReason::DeletedByPeer,
        },
        &s,
    );
    assert_eq!(stops(&a), vec![PluginFailure::ConnectFailed]);
    // rekey=no: the IKE SA's end is the connection's end.
    let mut t = up_restart_track();
    let expired = Event::Failed {
        sa: OWN,
        failure: Failure::IkeLifetimeExpired {
            rekey_disabled: true,
        },
    };
    assert_eq!(
        stops(&on_event(&mut t, expired, &s)),
        vec![PluginFailure::ConnectFailed]
    );
    // Rekeys failed until the IKE SA expired: restarted like a dead gateway.
    let mut t = up_restart_track();
    let failed_rekeys = Event::Failed {
        sa: OWN,
        failure: Failure::IkeLifetimeExpired {
            rekey_disabled: false,
        },
    };
    let a = on_event(&mut t, failed_rekeys, &s);
    assert!(a.iter().any(|x| matches!(x, Action::Restart)), "{a:?}");
    // Reauthentications failed until the gateway's authentication lifetime ended: the same.
    let mut t = up_restart_track();
    let failed_reauths = Event::Failed {
        sa: OWN,
        failure: Failure::AuthLifetimeExpired {
            attempts: 2,
            last: None,
        },
    };
    let a = on_event(&mut t, failed_reauths, &s);
    assert!(a.iter().any(|x| matches!(x, Action::Restart)), "{a:?}");
    // A first connection that never came up fails as usual.
    let mut t = Track::new(OWN, None).with_restart(true);
    let a = on_event(&mut t, no_response(OWN), &s);
    assert_eq!(stops(&a), vec![PluginFailure::ConnectFailed]);
}
