//! The simulated LAN: routers, a virtual clock, and a log of what each router did.

use std::collections::VecDeque;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use okapi_vrrp::{Advertisement, Input, Output, RouterConfig, State, Version, VirtualRouter};

pub fn ip(text: &str) -> IpAddr {
    text.parse().expect("an address")
}

pub fn config(version: Version, priority: u8, interval_cs: u16) -> RouterConfig {
    RouterConfig {
        vrid: 10,
        version,
        priority,
        advert_interval_cs: interval_cs,
        preempt: true,
        preempt_delay: Duration::ZERO,
        accept_mode: false,
        addresses: vec![ip("198.51.100.10")],
    }
}

/// Something a router did, at an offset from the start.
#[derive(Clone, Debug)]
pub struct Event {
    pub at: Duration,
    pub router: usize,
    pub output: Output,
}

struct Node {
    router: VirtualRouter,
    address: IpAddr,
    /// Crashed: neither ticks nor receives.
    up: bool,
}

pub struct Hub {
    nodes: Vec<Node>,
    start: Instant,
    now: Instant,
    pub log: Vec<Event>,
}

impl Hub {
    /// Routers at 192.0.2.1, .2, ... (not started).
    pub fn new(configs: Vec<RouterConfig>) -> Hub {
        let start = Instant::now();
        let nodes = configs
            .into_iter()
            .enumerate()
            .map(|(index, config)| {
                let address = IpAddr::from([192, 0, 2, index as u8 + 1]);
                let mut router = VirtualRouter::new(config, start);
                router.handle(Input::LocalAddress(Some(address)), start);
                Node {
                    router,
                    address,
                    up: true,
                }
            })
            .collect();
        Hub {
            nodes,
            start,
            now: start,
            log: Vec::new(),
        }
    }

    pub fn elapsed(&self) -> Duration {
        self.now - self.start
    }

    pub fn state(&self, router: usize) -> State {
        self.nodes[router].router.state()
    }

    pub fn router(&self, router: usize) -> &VirtualRouter {
        &self.nodes[router].router
    }

    /// Feeds `input` to a router now and delivers what follows.
    pub fn input(&mut self, router: usize, input: Input) {
        let out = self.nodes[router].router.handle(input, self.now);
        self.deliver(router, out);
    }

    pub fn start_all(&mut self) {
        for router in 0..self.nodes.len() {
            self.input(router, Input::Startup);
        }
    }

    /// The router stops dead: no priority 0, no more ticks or receptions.
    pub fn crash(&mut self, router: usize) {
        self.nodes[router].up = false;
    }

    /// Runs the timers until `offset` from the start (inclusive).
    pub fn run_until(&mut self, offset: Duration) {
        let end = self.start + offset;
        loop {
            let next = self
                .nodes
                .iter()
                .filter(|node| node.up)
                .filter_map(|node| node.router.next_deadline())
                .min();
            match next {
                Some(next) if next <= end => {
                    self.now = self.now.max(next);
                    // Every router whose timer is due fires before any packet is delivered:
                    // simultaneous timeouts send simultaneously (their packets cross).
                    let mut fired = Vec::new();
                    for (router, node) in self.nodes.iter_mut().enumerate() {
                        if node.up && node.router.next_deadline().is_some_and(|at| at <= self.now) {
                            fired.push((router, node.router.handle(Input::Tick, self.now)));
                        }
                    }
                    for (router, out) in fired {
                        self.deliver(router, out);
                    }
                }
                _ => break,
            }
        }
        self.now = self.now.max(end);
    }

    pub fn run_for(&mut self, duration: Duration) {
        let until = self.elapsed() + duration;
        self.run_until(until);
    }

    /// Logs the outputs; every Send goes through the codec to every other live router.
    fn deliver(&mut self, router: usize, out: Vec<Output>) {
        let mut queue: VecDeque<(usize, Output)> = out.into_iter().map(|output| (router, output)).collect();
        while let Some((from, output)) = queue.pop_front() {
            self.log.push(Event {
                at: self.elapsed(),
                router: from,
                output: output.clone(),
            });
            let Output::Send(ad) = output else { continue };
            if !self.nodes[from].up {
                continue;
            }
            let source = self.nodes[from].address;
            let group = ip("224.0.0.18");
            let bytes = ad.encode(source, group).expect("routers send valid advertisements");
            let decoded = Advertisement::decode(&bytes, source, group).expect("and they decode");
            for to in 0..self.nodes.len() {
                if to == from || !self.nodes[to].up {
                    continue;
                }
                let input = Input::Advertisement {
                    source,
                    ttl: 255,
                    advertisement: decoded.clone(),
                };
                let replies = self.nodes[to].router.handle(input, self.now);
                queue.extend(replies.into_iter().map(|output| (to, output)));
            }
        }
    }

    /// When `router` last entered `state`.
    pub fn entered(&self, router: usize, state: State) -> Option<Duration> {
        self.log
            .iter()
            .rev()
            .find(|event| {
                event.router == router && matches!(event.output, Output::Transition { to, .. } if to == state)
            })
            .map(|event| event.at)
    }

    /// When `router` last sent an advertisement (with priority > 0) at or before `before`.
    pub fn last_advert(&self, router: usize, before: Duration) -> Option<Duration> {
        self.log
            .iter()
            .rev()
            .find(|event| {
                event.router == router
                    && event.at <= before
                    && matches!(&event.output, Output::Send(ad) if ad.priority > 0)
            })
            .map(|event| event.at)
    }

    /// How many routers are Master.
    pub fn masters(&self) -> usize {
        self.nodes
            .iter()
            .filter(|node| node.up && node.router.state() == State::Master)
            .count()
    }

    /// (router, Announce) events: gratuitous ARPs asked for.
    pub fn announces(&self, router: usize) -> usize {
        self.log
            .iter()
            .filter(|event| event.router == router && event.output == Output::Announce)
            .count()
    }
}
