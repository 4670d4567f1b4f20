//! A gateway address that never answered is left for the gateway's other address.

use super::*;

#[test]
fn no_answer_before_the_ike_sa_falls_back_to_the_other_address() {
    let other: std::net::IpAddr = "2001:db8::1".parse().unwrap();
    let s = Situation {
        fallback: Some(other),
        ..situation()
    };
    let mut t = Track::new(OWN, None);
    let a = on_event(&mut t, no_response(OWN), &s);
    assert!(a.iter().any(|x| matches!(x, Action::FallBack)), "{a:?}");
    assert!(stops(&a).is_empty(), "{a:?}");
    assert!(
        a.iter()
            .any(|x| matches!(x, Action::Log(_, m) if m.contains("2001:db8::1"))),
        "{a:?}"
    );
    // Without another address the attempt fails as before.
    let mut t = Track::new(OWN, None);
    let a = on_event(&mut t, no_response(OWN), &situation());
    assert!(!a.iter().any(|x| matches!(x, Action::FallBack)), "{a:?}");
    assert_eq!(stops(&a), [PluginFailure::ConnectFailed]);
}

#[test]
fn only_a_gateway_that_never_answered_is_left_for_its_other_address() {
    let s = Situation {
        fallback: Some("2001:db8::1".parse().unwrap()),
        ..situation()
    };
    // The gateway answered (the IKE SA was up): its address works, so no other is tried.
    let mut t = up_track();
    let a = on_event(&mut t, no_response(OWN), &s);
    assert!(!a.iter().any(|x| matches!(x, Action::FallBack)), "{a:?}");
    // It answered, but refused us: the other address would say the same.
    let mut t = Track::new(OWN, None);
    let refused = Event::Failed {
        sa: OWN,
        failure: Failure::AuthenticationFailed {
            by: AuthBy::Peer,
            detail: "AUTHENTICATION_FAILED".into(),
        },
    };
    let a = on_event(&mut t, refused, &s);
    assert!(!a.iter().any(|x| matches!(x, Action::FallBack)), "{a:?}");
    assert!(!stops(&a).is_empty(), "{a:?}");
}
