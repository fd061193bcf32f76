//! RFC 3768 (VRRPv2) differences: Skew_Time in seconds, the interval from the configuration
//! only, mismatching intervals and authentication discarded.

use okapi_vrrp::{State, V2Auth, Version};

use crate::support::*;

const V2: Version = Version::V2;

#[test]
fn rfc3768_6_1_skew_is_in_seconds_and_the_interval_is_configured() {
    let (mut harness, _) = Harness::started(config(V2, 100, 300));
    // 3 * 3 s + 156/256 s.
    assert_eq!(harness.deadline(), Some(ns(9_609_375_000)));
    harness.receive(ms(1000), PEER, advert(V2, 200, 300));
    assert_eq!(harness.deadline(), Some(ms(1000) + ns(9_609_375_000)));
}

#[test]
fn rfc3768_7_1_interval_mismatch_is_discarded() {
    let (mut harness, _) = Harness::started(config(V2, 100, 100));
    let out = harness.receive(ms(1000), PEER, advert(V2, 200, 200));
    assert_eq!(rejected(&out), ["interval-mismatch"]);
    assert_eq!(harness.deadline(), Some(ns(3_609_375_000)), "not accepted");
}

#[test]
fn rfc3768_7_1_authentication_must_match() {
    let (mut harness, _) = Harness::started(config(V2, 100, 100));
    harness.router.set_v2_auth(V2Auth::simple_text(b"secret"));
    let mut ad = advert(V2, 200, 100);
    assert_eq!(rejected(&harness.receive(ms(10), PEER, ad.clone())), ["auth-mismatch"]);
    ad.v2_auth = Some(V2Auth::simple_text(b"other"));
    assert_eq!(rejected(&harness.receive(ms(20), PEER, ad.clone())), ["auth-mismatch"]);
    ad.v2_auth = Some(V2Auth::simple_text(b"secret"));
    assert!(rejected(&harness.receive(ms(30), PEER, ad)).is_empty());
    assert_eq!(harness.deadline(), Some(ms(30) + ns(3_609_375_000)));
}

#[test]
fn rfc3768_6_4_3_master_sends_v2_with_its_authentication() {
    let (mut harness, _) = Harness::started(config(V2, 255, 100));
    harness.router.set_v2_auth(V2Auth::simple_text(b"pw"));
    let out = harness.at(ms(1000), okapi_vrrp::Input::Tick);
    let Some(okapi_vrrp::Output::Send(ad)) = out.first() else {
        panic!("{out:?}")
    };
    assert_eq!(ad.version, V2);
    assert_eq!(ad.v2_auth, Some(V2Auth::simple_text(b"pw")));
    assert_eq!(harness.router.state(), State::Master);
}
