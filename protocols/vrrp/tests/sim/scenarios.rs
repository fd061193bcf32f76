//! The scenarios. Expected instants are computed from RFC 5798 §6.1 by hand in each test.

use std::time::Duration;

use okapi_vrrp::{Input, State, Version};

use crate::hub::{Hub, config};

const V3: Version = Version::V3;

fn ns(value: u64) -> Duration {
    Duration::from_nanos(value)
}

fn secs(value: u64) -> Duration {
    Duration::from_secs(value)
}

/// Two routers, priorities 150 and 100, started together.
fn pair(version: Version, interval_cs: u16) -> Hub {
    let mut hub = Hub::new(vec![
        config(version, 150, interval_cs),
        config(version, 100, interval_cs),
    ]);
    hub.start_all();
    hub
}

#[test]
fn election_the_higher_priority_wins_after_its_master_down_interval() {
    let mut hub = pair(V3, 100);
    hub.run_until(secs(10));
    assert_eq!((hub.state(0), hub.state(1)), (State::Master, State::Backup));
    // 3 * 1 s + 106/256 s: router 0's Master_Down_Timer fires first.
    assert_eq!(hub.entered(0, State::Master), Some(ns(3_414_062_500)));
    assert_eq!(hub.entered(1, State::Master), None);
    assert_eq!(hub.announces(0), 1);
    let view = hub.router(1).view(std::time::Instant::now());
    assert_eq!(view.master_address, Some(crate::hub::ip("192.0.2.1")));
}

#[test]
fn equal_priorities_elect_the_greater_address() {
    let mut hub = Hub::new(vec![config(V3, 100, 100), config(V3, 100, 100), config(V3, 100, 100)]);
    hub.start_all();
    hub.run_until(secs(10));
    // All three time out together; §6.4.3 leaves 192.0.2.3 as the only Master.
    assert_eq!(hub.masters(), 1);
    assert_eq!(hub.state(2), State::Master);
}

/// Master crash at `interval_cs`: the backup (priority 100) takes over exactly one
/// Master_Down_Interval after the last advertisement it heard.
fn crash_failover(interval_cs: u16, expected_down_interval: Duration) {
    let mut hub = pair(V3, interval_cs);
    let settle = Duration::from_millis(u64::from(interval_cs) * 10 * 10);
    hub.run_until(settle);
    assert_eq!(hub.state(0), State::Master, "{interval_cs} cs");
    let crash_at = hub.elapsed() + Duration::from_millis(u64::from(interval_cs) * 10 / 2);
    hub.run_until(crash_at);
    hub.crash(0);
    hub.run_for(settle);
    assert_eq!(hub.state(1), State::Master, "{interval_cs} cs");
    let last = hub.last_advert(0, crash_at).expect("router 0 advertised");
    let takeover = hub.entered(1, State::Master).expect("router 1 took over");
    assert_eq!(takeover - last, expected_down_interval, "{interval_cs} cs");
}

#[test]
fn master_crash_fails_over_in_master_down_interval_at_10ms() {
    // 3 * 10 ms + 156/256 * 10 ms.
    crash_failover(1, ns(36_093_750));
}

#[test]
fn master_crash_fails_over_in_master_down_interval_at_100ms() {
    crash_failover(10, ns(360_937_500));
}

#[test]
fn master_crash_fails_over_in_master_down_interval_at_1s() {
    crash_failover(100, ns(3_609_375_000));
}

#[test]
fn graceful_shutdown_hands_over_within_skew_time() {
    for interval_cs in [1, 10, 100] {
        let mut hub = pair(V3, interval_cs);
        hub.run_until(secs(10));
        let stop = hub.elapsed();
        hub.input(0, Input::Shutdown);
        hub.run_for(secs(10));
        let takeover = hub.entered(1, State::Master).expect("router 1 took over");
        // Skew_Time = 156/256 of the interval.
        let skew = Duration::from_nanos(u64::from(interval_cs) * 10_000_000 * 156 / 256);
        assert_eq!(takeover - stop, skew, "{interval_cs} cs");
        assert_eq!(hub.state(0), State::Initialize);
    }
}

#[test]
fn preempt_on_a_higher_priority_router_takes_over() {
    let mut hub = Hub::new(vec![config(V3, 150, 100), config(V3, 100, 100)]);
    hub.input(1, Input::Startup);
    hub.run_until(secs(10));
    assert_eq!(hub.state(1), State::Master);
    hub.input(0, Input::Startup);
    hub.run_for(secs(10));
    assert_eq!((hub.state(0), hub.state(1)), (State::Master, State::Backup));
    // Router 0 discards the lower-priority adverts (§6.4.2) and preempts when its own
    // Master_Down_Timer fires.
    assert_eq!(hub.entered(0, State::Master), Some(secs(10) + ns(3_414_062_500)));
    assert_eq!(hub.entered(1, State::Backup), hub.entered(0, State::Master));
}

#[test]
fn preempt_off_the_lower_priority_master_stays() {
    let mut high = config(V3, 150, 100);
    high.preempt = false;
    let mut hub = Hub::new(vec![high, config(V3, 100, 100)]);
    hub.input(1, Input::Startup);
    hub.run_until(secs(10));
    hub.input(0, Input::Startup);
    hub.run_for(secs(30));
    assert_eq!((hub.state(0), hub.state(1)), (State::Backup, State::Master));
}

#[test]
fn preempt_delay_holds_preemption_back() {
    let mut high = config(V3, 150, 100);
    high.preempt_delay = secs(20);
    let mut hub = Hub::new(vec![high, config(V3, 100, 100)]);
    hub.input(1, Input::Startup);
    hub.run_until(secs(10));
    hub.input(0, Input::Startup);
    hub.run_for(secs(19));
    assert_eq!(hub.state(0), State::Backup, "within the delay");
    hub.run_for(secs(10));
    assert_eq!(hub.state(0), State::Master, "after it");
    let took = hub.entered(0, State::Master).expect("took over");
    // The last advert accepted is before 10 s + 20 s; then one Master_Down_Interval.
    assert!(took > secs(30) && took <= secs(30) + ns(3_414_062_500), "{took:?}");
}

#[test]
fn the_owner_takes_over_at_once() {
    let mut hub = Hub::new(vec![config(V3, 255, 100), config(V3, 100, 100)]);
    hub.input(1, Input::Startup);
    hub.run_until(secs(10));
    hub.input(0, Input::Startup);
    assert_eq!(
        hub.entered(0, State::Master),
        Some(secs(10)),
        "§6.4.1: no Master_Down_Timer"
    );
    assert_eq!(hub.state(1), State::Backup, "§6.4.3: 255 > 100");
    hub.run_for(secs(10));
    assert_eq!(hub.masters(), 1);
}

#[test]
fn effective_priority_drop_makes_the_peer_preempt() {
    let mut hub = pair(V3, 10);
    hub.run_until(secs(2));
    assert_eq!(hub.state(0), State::Master);
    let drop_at = hub.elapsed();
    hub.input(0, Input::EffectivePriority(50));
    hub.run_for(secs(2));
    assert_eq!((hub.state(0), hub.state(1)), (State::Backup, State::Master));
    // Router 1 last accepted an advert at priority 150 at or before the drop; its timer
    // then runs out (the 50s are discarded).
    let last_high = hub.last_advert(0, drop_at).expect("advertised");
    assert_eq!(hub.entered(1, State::Master), Some(last_high + ns(360_937_500)));
}

#[test]
fn fault_on_the_master_hands_over_within_skew_time() {
    let mut hub = pair(V3, 100);
    hub.run_until(secs(10));
    hub.input(0, Input::Fault(Some("tracked interface down".into())));
    hub.run_for(secs(10));
    assert_eq!((hub.state(0), hub.state(1)), (State::Fault, State::Master));
    assert_eq!(hub.entered(1, State::Master), Some(secs(10) + ns(609_375_000)));
    // Fault cleared: router 0 comes back as Backup and preempts.
    hub.input(0, Input::Fault(None));
    hub.run_for(secs(10));
    assert_eq!((hub.state(0), hub.state(1)), (State::Master, State::Backup));
}

#[test]
fn v2_election_crash_and_graceful_shutdown() {
    let mut hub = pair(Version::V2, 100);
    hub.run_until(secs(10));
    // RFC 3768 §6.1: 3 * 1 s + 106/256 s.
    assert_eq!(hub.entered(0, State::Master), Some(ns(3_414_062_500)));
    let crash_at = secs(10) + Duration::from_millis(500);
    hub.run_until(crash_at);
    hub.crash(0);
    hub.run_for(secs(10));
    let last = hub.last_advert(0, crash_at).expect("advertised");
    assert_eq!(
        hub.entered(1, State::Master).map(|at| at - last),
        Some(ns(3_609_375_000))
    );

    let mut hub = pair(Version::V2, 300);
    hub.run_until(secs(30));
    hub.input(0, Input::Shutdown);
    hub.run_for(secs(10));
    // Skew_Time is in seconds whatever the interval: 156/256 s.
    assert_eq!(hub.entered(1, State::Master), Some(secs(30) + ns(609_375_000)));
}

#[test]
fn one_master_over_a_long_run_at_10ms() {
    let mut hub = pair(V3, 1);
    hub.run_until(secs(60));
    assert_eq!(hub.masters(), 1);
    let transitions = hub
        .log
        .iter()
        .filter(|event| matches!(event.output, okapi_vrrp::Output::Transition { .. }))
        .count();
    assert_eq!(transitions, 3, "startup x2, one election");
}
