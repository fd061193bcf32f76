//! RFC 5798 §6.4.1-§6.4.3 (VRRPv3) transitions and §7.1 receive checks, one test each.

use std::time::Duration;

use okapi_vrrp::{Input, Output, State, Version};

use crate::support::*;

const V3: Version = Version::V3;

#[test]
fn rfc5798_6_4_1_startup_non_owner_goes_backup_with_master_down_timer() {
    let (harness, out) = Harness::started(v3(100));
    assert_eq!(transitions(&out), [(State::Initialize, State::Backup)]);
    assert!(sent(&out).is_empty());
    // Master_Down_Interval = 3 * 100 cs + (256 - 100) * 100 / 256 cs.
    assert_eq!(harness.deadline(), Some(ns(3_609_375_000)));
    assert_eq!(harness.router.master_down_interval(), ns(3_609_375_000));
    assert_eq!(harness.router.skew_time(), ns(609_375_000));
}

#[test]
fn rfc5798_6_4_1_startup_owner_goes_master_at_once() {
    let (harness, out) = Harness::started(v3(255));
    assert_eq!(kinds(&out), ["send", "add", "announce", "transition"]);
    assert_eq!(sent(&out), [255]);
    assert_eq!(transitions(&out), [(State::Initialize, State::Master)]);
    assert_eq!(harness.deadline(), Some(ms(1000)), "Adver_Timer");
}

#[test]
fn rfc5798_6_4_2_master_down_timer_fires_becomes_master() {
    let (mut harness, _) = Harness::started(v3(100));
    assert!(harness.at(ns(3_609_374_999), Input::Tick).is_empty(), "not yet due");
    let out = harness.at(ns(3_609_375_000), Input::Tick);
    assert_eq!(kinds(&out), ["send", "add", "announce", "transition"]);
    assert_eq!(sent(&out), [100]);
    assert_eq!(transitions(&out), [(State::Backup, State::Master)]);
    assert_eq!(
        harness.deadline(),
        Some(ns(4_609_375_000)),
        "Adver_Timer = Advertisement_Interval"
    );
}

#[test]
fn rfc5798_6_4_2_backup_priority_zero_sets_skew_time() {
    let (mut harness, _) = Harness::started(v3(100));
    let out = harness.receive(ms(1000), PEER, advert(V3, 0, 100));
    assert!(out.is_empty(), "{out:?}");
    assert_eq!(harness.deadline(), Some(ms(1000) + ns(609_375_000)));
    assert_eq!(harness.router.view(harness.start).counters.priority_zero_received, 1);
}

#[test]
fn rfc5798_6_4_2_backup_higher_priority_resets_timer_and_learns_interval() {
    let (mut harness, _) = Harness::started(v3(100));
    let out = harness.receive(ms(2000), PEER, advert(V3, 200, 50));
    // The interval differs from ours: reported, but learned (§6.4.2).
    assert_eq!(rejected(&out), ["interval-mismatch"]);
    // 3 * 50 cs + 156 * 50 / 256 cs.
    assert_eq!(harness.deadline(), Some(ms(2000) + ns(1_804_687_500)));
    let view = harness.router.view(harness.start + ms(2000));
    assert_eq!(view.master_adver_interval_cs, 50);
    assert_eq!(view.master_address, Some(ip(PEER)));
    assert_eq!(view.master_priority, Some(200));
}

#[test]
fn rfc5798_6_4_2_backup_equal_priority_resets_timer() {
    let (mut harness, _) = Harness::started(v3(100));
    harness.receive(ms(2000), PEER, advert(V3, 100, 100));
    assert_eq!(harness.deadline(), Some(ms(2000) + ns(3_609_375_000)));
}

#[test]
fn rfc5798_6_4_2_backup_preempt_discards_lower_priority() {
    let (mut harness, _) = Harness::started(v3(100));
    let out = harness.receive(ms(2000), PEER, advert(V3, 50, 100));
    assert!(out.is_empty());
    assert_eq!(harness.deadline(), Some(ns(3_609_375_000)), "timer untouched");
}

#[test]
fn rfc5798_6_4_2_preempting_a_live_master_reports_a_handover_first() {
    // The master keeps advertising at a lower priority (a drain): its adverts are discarded,
    // the Master_Down_Timer fires, and the new Master names the old one before its advert
    // and its gratuitous ARPs move the traffic.
    let (mut harness, _) = Harness::started(v3(100));
    harness.receive(ms(1000), PEER, advert(V3, 150, 100));
    harness.receive(ms(2000), PEER, advert(V3, 1, 100));
    harness.receive(ms(3000), PEER, advert(V3, 1, 100));
    let due = harness.deadline().expect("Master_Down_Timer");
    assert_eq!(due, ms(1000) + ns(3_609_375_000), "set by the last accepted advert");
    let out = harness.at(due, Input::Tick);
    assert_eq!(kinds(&out), ["handover", "send", "add", "announce", "transition"]);
    assert!(out.contains(&Output::Handover { from: ip(PEER) }));
}

#[test]
fn rfc5798_6_4_2_a_silent_or_resigning_master_is_no_handover() {
    // Silent: the master died; nothing to hand over.
    let (mut harness, _) = Harness::started(v3(100));
    harness.receive(ms(1000), PEER, advert(V3, 150, 100));
    let due = harness.deadline().expect("timer");
    assert_eq!(
        kinds(&harness.at(due, Input::Tick)),
        ["send", "add", "announce", "transition"]
    );
    // Outranked once, then a priority-0 advert (it resigned, e.g. its tracker failed).
    let (mut harness, _) = Harness::started(v3(100));
    harness.receive(ms(1000), PEER, advert(V3, 50, 100));
    harness.receive(ms(1100), PEER, advert(V3, 0, 100));
    let due = harness.deadline().expect("Skew_Time");
    assert_eq!(
        kinds(&harness.at(due, Input::Tick)),
        ["send", "add", "announce", "transition"]
    );
    // Outranked, then a higher-priority advert reset the timer: that master is the one alive.
    let (mut harness, _) = Harness::started(v3(100));
    harness.receive(ms(1000), PEER, advert(V3, 50, 100));
    harness.receive(ms(1100), "192.0.2.3", advert(V3, 200, 100));
    let due = harness.deadline().expect("timer");
    assert_eq!(
        kinds(&harness.at(due, Input::Tick)),
        ["send", "add", "announce", "transition"]
    );
}

#[test]
fn rfc5798_6_4_2_backup_no_preempt_accepts_lower_priority() {
    let mut config = v3(100);
    config.preempt = false;
    let (mut harness, _) = Harness::started(config);
    harness.receive(ms(2000), PEER, advert(V3, 50, 100));
    assert_eq!(harness.deadline(), Some(ms(2000) + ns(3_609_375_000)));
}

#[test]
fn keepalived_preempt_delay_accepts_lower_priority_until_it_has_passed() {
    let mut config = v3(100);
    config.preempt_delay = Duration::from_secs(5);
    let (mut harness, _) = Harness::started(config);
    harness.receive(ms(4000), PEER, advert(V3, 50, 100));
    assert_eq!(
        harness.deadline(),
        Some(ms(4000) + ns(3_609_375_000)),
        "within the delay: accepted"
    );
    harness.receive(ms(5000), PEER, advert(V3, 50, 100));
    assert_eq!(
        harness.deadline(),
        Some(ms(4000) + ns(3_609_375_000)),
        "after it: discarded"
    );
}

#[test]
fn rfc5798_6_4_2_backup_shutdown_goes_initialize_silently() {
    let (mut harness, _) = Harness::started(v3(100));
    let out = harness.at(ms(10), Input::Shutdown);
    assert_eq!(kinds(&out), ["transition"]);
    assert_eq!(transitions(&out), [(State::Backup, State::Initialize)]);
    assert_eq!(harness.deadline(), None);
}

#[test]
fn rfc5798_6_4_3_master_adver_timer_sends_and_rearms() {
    let (mut harness, became) = Harness::master(v3(100));
    let out = harness.at(became + ms(1000), Input::Tick);
    assert_eq!(kinds(&out), ["send"]);
    assert_eq!(harness.deadline(), Some(became + ms(2000)));
    // A late tick keeps the cadence.
    harness.at(became + ms(2300), Input::Tick);
    assert_eq!(harness.deadline(), Some(became + ms(3000)));
}

#[test]
fn rfc5798_6_4_3_master_shutdown_sends_priority_zero() {
    let (mut harness, became) = Harness::master(v3(100));
    let out = harness.at(became + ms(10), Input::Shutdown);
    assert_eq!(kinds(&out), ["send", "remove", "transition"]);
    assert_eq!(sent(&out), [0]);
    assert_eq!(transitions(&out), [(State::Master, State::Initialize)]);
    assert_eq!(harness.deadline(), None);
}

#[test]
fn rfc5798_6_4_3_master_priority_zero_received_sends_at_once() {
    let (mut harness, became) = Harness::master(v3(100));
    let out = harness.receive(became + ms(300), PEER, advert(V3, 0, 100));
    assert_eq!(sent(&out), [100]);
    assert_eq!(harness.deadline(), Some(became + ms(1300)));
}

#[test]
fn rfc5798_6_4_3_master_higher_priority_goes_backup() {
    let (mut harness, became) = Harness::master(v3(100));
    let out = harness.receive(became + ms(300), PEER, advert(V3, 101, 100));
    assert_eq!(kinds(&out), ["remove", "transition"]);
    assert_eq!(transitions(&out), [(State::Master, State::Backup)]);
    assert_eq!(harness.deadline(), Some(became + ms(300) + ns(3_609_375_000)));
}

#[test]
fn rfc5798_6_4_3_master_equal_priority_greater_address_wins() {
    let (mut harness, became) = Harness::master(v3(100));
    // 192.0.2.0 < 192.0.2.1 (local): discarded.
    assert!(
        harness
            .receive(became + ms(100), "192.0.2.0", advert(V3, 100, 100))
            .is_empty()
    );
    assert_eq!(harness.router.state(), State::Master);
    // 192.0.2.2 > 192.0.2.1: backs off.
    let out = harness.receive(became + ms(200), PEER, advert(V3, 100, 100));
    assert_eq!(transitions(&out), [(State::Master, State::Backup)]);
}

#[test]
fn rfc5798_6_4_3_master_discards_lower_priority() {
    let (mut harness, became) = Harness::master(v3(100));
    assert!(harness.receive(became + ms(100), PEER, advert(V3, 99, 100)).is_empty());
    assert_eq!(harness.deadline(), Some(became + ms(1000)));
}

#[test]
fn rfc5798_7_1_receive_checks_reject_with_a_reason() {
    let (mut harness, _) = Harness::started(v3(100));
    let ttl = harness.at(
        ms(1),
        Input::Advertisement {
            source: ip(PEER),
            ttl: 254,
            advertisement: advert(V3, 200, 100),
        },
    );
    assert_eq!(rejected(&ttl), ["bad-ttl"]);
    assert_eq!(
        rejected(&harness.receive(ms(2), PEER, advert(Version::V2, 200, 100))),
        ["version-mismatch"]
    );
    let mut other_vrid = advert(V3, 200, 100);
    other_vrid.vrid = 8;
    assert_eq!(rejected(&harness.receive(ms(3), PEER, other_vrid)), ["vrid-mismatch"]);
    let mut six = advert(V3, 200, 100);
    six.addresses = vec![ip("2001:db8::1")];
    assert_eq!(rejected(&harness.receive(ms(4), "fe80::2", six)), ["family-mismatch"]);
    let mut other_list = advert(V3, 200, 100);
    other_list.addresses.push(ip("192.0.2.101"));
    assert_eq!(
        rejected(&harness.receive(ms(5), PEER, other_list.clone())),
        ["address-list-mismatch"]
    );
    assert_eq!(
        rejected(&harness.receive(ms(6), PEER, advert(V3, 200, 0))),
        ["bad-interval"]
    );
    assert_eq!(harness.deadline(), Some(ns(3_609_375_000)), "nothing was accepted");
    // The owner's advertisement is accepted whatever its list (§7.1).
    other_list.priority = 255;
    assert!(rejected(&harness.receive(ms(7), PEER, other_list)).is_empty());
    assert_eq!(
        harness.deadline(),
        Some(ms(7) + ns(3_609_375_000)),
        "Skew_Time uses the local priority"
    );
    let view = harness.router.view(harness.start + ms(7));
    assert_eq!(view.counters.adverts_received, 7);
    assert_eq!(view.counters.rejected["bad-ttl"], 1);
    assert_eq!(view.counters.rejected["auth-mismatch"], 0);
}

#[test]
fn rfc5798_7_1_the_owner_discards_advertisements() {
    let (mut harness, _) = Harness::started(v3(255));
    let out = harness.receive(ms(100), PEER, advert(V3, 255, 100));
    assert_eq!(rejected(&out), ["local-owner"]);
    assert_eq!(harness.router.state(), State::Master);
}

#[test]
fn effective_priority_is_used_for_skew_and_adverts() {
    let (mut harness, became) = Harness::master(v3(100));
    harness.at(became, Input::EffectivePriority(60));
    let out = harness.at(became + ms(1000), Input::Tick);
    assert_eq!(sent(&out), [60]);
    // A peer at 80 now preempts us.
    let out = harness.receive(became + ms(1100), PEER, advert(V3, 80, 100));
    assert_eq!(transitions(&out), [(State::Master, State::Backup)]);
    // Skew_Time with priority 60: 196/256 s.
    assert_eq!(harness.router.skew_time(), ns(765_625_000));
    let view = harness.router.view(harness.start);
    assert_eq!((view.configured_priority, view.effective_priority), (100, 60));
}

#[test]
fn fault_from_master_sends_priority_zero_and_stays_silent() {
    let (mut harness, became) = Harness::master(v3(100));
    let out = harness.at(became + ms(10), Input::Fault(Some("eth0 down".into())));
    assert_eq!(kinds(&out), ["send", "remove", "transition"]);
    assert_eq!(sent(&out), [0]);
    assert_eq!(transitions(&out), [(State::Master, State::Fault)]);
    assert_eq!(harness.deadline(), None);
    assert!(harness.at(became + ms(5000), Input::Tick).is_empty());
    assert!(harness.receive(became + ms(5000), PEER, advert(V3, 0, 100)).is_empty());
    assert_eq!(
        harness.router.view(harness.start).fault_reason.as_deref(),
        Some("eth0 down")
    );
    // Leaving Fault: Initialize, then the Startup logic.
    let out = harness.at(became + ms(6000), Input::Fault(None));
    assert_eq!(
        transitions(&out),
        [(State::Fault, State::Initialize), (State::Initialize, State::Backup)]
    );
    assert_eq!(harness.deadline(), Some(became + ms(6000) + ns(3_609_375_000)));
}

#[test]
fn fault_before_startup_waits_for_both() {
    let mut harness = Harness::new(v3(100));
    harness.at(ms(0), Input::Fault(Some("link".into())));
    assert!(
        transitions(&harness.at(ms(1), Input::Startup)).is_empty(),
        "stays in Fault"
    );
    let out = harness.at(ms(2), Input::Fault(None));
    assert_eq!(transitions(&out).last(), Some(&(State::Initialize, State::Backup)));
}

#[test]
fn force_backup_from_master_sends_priority_zero() {
    let (mut harness, became) = Harness::master(v3(100));
    let out = harness.at(became + ms(10), Input::ForceBackup("sync group".into()));
    assert_eq!(kinds(&out), ["send", "remove", "transition"]);
    assert_eq!(sent(&out), [0]);
    assert_eq!(transitions(&out), [(State::Master, State::Backup)]);
    assert_eq!(harness.deadline(), Some(became + ms(10) + ns(3_609_375_000)));
    assert!(
        harness
            .at(became + ms(20), Input::ForceBackup("again".into()))
            .is_empty()
    );
}

#[test]
fn reconfigure_master_with_new_addresses_re_announces() {
    let (mut harness, became) = Harness::master(v3(100));
    let mut config = v3(100);
    config.addresses.push(ip("192.0.2.101"));
    let out = harness.router.reconfigure(config, harness.start + became + ms(10));
    assert_eq!(kinds(&out), ["remove", "add", "announce", "send"]);
    let restart = harness.router.reconfigure(
        super::support::config(Version::V2, 100, 100),
        harness.start + became + ms(20),
    );
    assert_eq!(
        transitions(&restart),
        [(State::Master, State::Initialize), (State::Initialize, State::Backup)]
    );
}

#[test]
fn view_serializes_every_field() {
    let (harness, became) = Harness::master(v3(100));
    let json = serde_json::to_value(harness.router.view(harness.start + became + ms(250))).expect("serializes");
    assert_eq!(json["state"], "Master");
    assert_eq!(json["version"], 3);
    assert_eq!(json["transitions"], 2);
    assert_eq!(json["last_transition"]["from"], "Backup");
    assert_eq!(json["last_transition"]["seconds_ago"], 0.25);
    assert_eq!(json["timer_due_ms"], 750.0);
    assert_eq!(json["skew_time_cs"], 60.9375);
    assert_eq!(json["master_down_interval_cs"], 360.9375);
    assert_eq!(json["counters"]["adverts_sent"], 1);
    assert!(json["counters"]["rejected"]["bad-ttl"].is_number());
    let _: &Output = &Output::Announce;
}

#[test]
fn rfc5798_6_1_an_owner_restored_to_255_in_backup_takes_over_at_once() {
    // An owner lowered by a tracker (or a drain) was preempted by the peer; its priority comes
    // back to 255. §6.1: the owner always preempts; §7.1: it discards every advertisement from
    // then on, so waiting for the Master_Down_Timer only counts the peer's adverts as refused.
    let (mut harness, _) = Harness::started(v3(255));
    harness.at(ms(10), Input::EffectivePriority(200));
    let out = harness.receive(ms(20), PEER, advert(V3, 254, 100));
    assert_eq!(transitions(&out), [(State::Master, State::Backup)]);
    let out = harness.at(ms(30), Input::EffectivePriority(255));
    assert_eq!(kinds(&out), ["send", "add", "announce", "transition"]);
    assert_eq!(sent(&out), [255]);
    assert_eq!(transitions(&out), [(State::Backup, State::Master)]);
    assert_eq!(harness.deadline(), Some(ms(30) + ms(1000)), "Adver_Timer");
    // A non-owner raised by a tracker stays within the Backup rules.
    let (mut harness, _) = Harness::started(v3(100));
    assert!(transitions(&harness.at(ms(10), Input::EffectivePriority(150))).is_empty());
    assert_eq!(harness.router.state(), State::Backup);
}

#[test]
fn reconfigure_that_restarts_a_router_in_fault_keeps_it_in_fault() {
    // The fault is the daemon's (a tracker, the interface): only Fault(None) may end it.
    let (mut harness, became) = Harness::master(v3(100));
    harness.at(became + ms(10), Input::Fault(Some("eth0 down".into())));
    let out = harness.router.reconfigure(
        super::support::config(Version::V2, 100, 100),
        harness.start + became + ms(20),
    );
    assert!(transitions(&out).is_empty(), "{out:?}");
    assert!(sent(&out).is_empty(), "silent in Fault: {out:?}");
    assert_eq!(harness.router.state(), State::Fault);
    assert_eq!(harness.deadline(), None);
    let view = harness.router.view(harness.start);
    assert_eq!(view.fault_reason.as_deref(), Some("eth0 down"));
    assert_eq!(view.version, Version::V2);
    // Leaving Fault runs the Startup logic with the new configuration (v2: 1 s + 156/256 s).
    let out = harness.at(became + ms(30), Input::Fault(None));
    assert_eq!(
        transitions(&out),
        [(State::Fault, State::Initialize), (State::Initialize, State::Backup)]
    );
    assert_eq!(harness.deadline(), Some(became + ms(30) + ns(3_609_375_000)));
}

#[test]
fn an_oversized_preempt_delay_does_not_panic() {
    // RouterConfig is public: a library user's Duration::MAX must not overflow `now + delay`.
    let mut config = v3(100);
    config.preempt_delay = Duration::MAX;
    assert!(!config.problems().is_empty(), "reported as a problem");
    let (mut harness, out) = Harness::started(config);
    assert_eq!(transitions(&out), [(State::Initialize, State::Backup)]);
    // Still held back: a lower-priority Master keeps resetting the Master_Down_Timer.
    harness.receive(ms(1000), PEER, advert(V3, 50, 100));
    assert_eq!(harness.deadline(), Some(ms(1000) + ns(3_609_375_000)));
    let view = harness.router.view(harness.start);
    assert!(view.preempt_delay_remaining > 0.0);
}
