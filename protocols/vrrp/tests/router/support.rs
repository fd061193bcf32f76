//! A router under test, fed inputs at instants relative to a start.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use okapi_vrrp::{Advertisement, Input, Output, RouterConfig, State, V2Auth, Version, VirtualRouter};

pub fn ip(text: &str) -> IpAddr {
    text.parse().expect("an address")
}

pub const VIP: &str = "192.0.2.100";
pub const PEER: &str = "192.0.2.2";
pub const LOCAL: &str = "192.0.2.1";

pub fn config(version: Version, priority: u8, interval_cs: u16) -> RouterConfig {
    RouterConfig {
        vrid: 7,
        version,
        priority,
        advert_interval_cs: interval_cs,
        preempt: true,
        preempt_delay: Duration::ZERO,
        accept_mode: false,
        addresses: vec![ip(VIP)],
    }
}

pub fn v3(priority: u8) -> RouterConfig {
    config(Version::V3, priority, 100)
}

pub fn advert(version: Version, priority: u8, interval_cs: u16) -> Advertisement {
    Advertisement {
        version,
        vrid: 7,
        priority,
        interval_cs,
        v2_auth: (version == Version::V2).then_some(V2Auth::NONE),
        addresses: vec![ip(VIP)],
    }
}

pub fn ms(value: u64) -> Duration {
    Duration::from_millis(value)
}

pub fn ns(value: u64) -> Duration {
    Duration::from_nanos(value)
}

pub struct Harness {
    pub router: VirtualRouter,
    pub start: Instant,
}

impl Harness {
    pub fn new(config: RouterConfig) -> Harness {
        let start = Instant::now();
        let mut router = VirtualRouter::new(config, start);
        router.handle(Input::LocalAddress(Some(ip(LOCAL))), start);
        Harness { router, start }
    }

    /// A started router (Startup at 0).
    pub fn started(config: RouterConfig) -> (Harness, Vec<Output>) {
        let mut harness = Harness::new(config);
        let out = harness.at(Duration::ZERO, Input::Startup);
        (harness, out)
    }

    /// A router that became Master by its Master_Down_Timer; returns the instant.
    pub fn master(config: RouterConfig) -> (Harness, Duration) {
        let (mut harness, _) = Harness::started(config);
        let due = harness.deadline().expect("Master_Down_Timer");
        harness.at(due, Input::Tick);
        assert_eq!(harness.router.state(), State::Master);
        (harness, due)
    }

    pub fn at(&mut self, offset: Duration, input: Input) -> Vec<Output> {
        self.router.handle(input, self.start + offset)
    }

    pub fn receive(&mut self, offset: Duration, source: &str, ad: Advertisement) -> Vec<Output> {
        self.at(
            offset,
            Input::Advertisement {
                source: ip(source),
                ttl: 255,
                advertisement: ad,
            },
        )
    }

    /// The next deadline as an offset from the start.
    pub fn deadline(&self) -> Option<Duration> {
        self.router.next_deadline().map(|at| at - self.start)
    }
}

pub fn transitions(out: &[Output]) -> Vec<(State, State)> {
    out.iter()
        .filter_map(|output| match output {
            Output::Transition { from, to, .. } => Some((*from, *to)),
            _ => None,
        })
        .collect()
}

/// The priorities of the advertisements sent.
pub fn sent(out: &[Output]) -> Vec<u8> {
    out.iter()
        .filter_map(|output| match output {
            Output::Send(ad) => Some(ad.priority),
            _ => None,
        })
        .collect()
}

pub fn rejected(out: &[Output]) -> Vec<&'static str> {
    out.iter()
        .filter_map(|output| match output {
            Output::Rejected { reason } => Some(*reason),
            _ => None,
        })
        .collect()
}

/// The outputs without their payloads, to compare sequences.
pub fn kinds(out: &[Output]) -> Vec<&'static str> {
    out.iter()
        .map(|output| match output {
            Output::Send(_) => "send",
            Output::AddAddresses => "add",
            Output::RemoveAddresses => "remove",
            Output::Announce => "announce",
            Output::Handover { .. } => "handover",
            Output::Transition { .. } => "transition",
            Output::Rejected { .. } => "rejected",
        })
        .collect()
}
