//! Unit-test helpers: two instances on a point-to-point link, pumped by hand, and packets
//! crafted as if sent by the second one.

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::config::{Config, InterfaceConfig};
use crate::instance::{ALL_SPF_ROUTERS, BACKBONE, Input, Instance, Output};
use crate::lsa::{LsaHeader, LsaType, RouterLink, RouterLinkType, RouterLsa, RouterLsaFlags};
use crate::neighbor::NeighborState;
use crate::packet::{Md5Keys, Packet, PacketAuth, PacketBody};
use crate::{Lsa, LsaBody, Options};

pub const A: Ipv4Addr = Ipv4Addr::new(1, 1, 1, 1);
pub const B: Ipv4Addr = Ipv4Addr::new(2, 2, 2, 2);
pub const A_ADDRESS: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
pub const B_ADDRESS: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);
pub const IFINDEX: u32 = 2;

/// A router-LSA of `advertising_router` with one stub link per entry of `stubs`.
pub fn router_lsa(advertising_router: Ipv4Addr, sequence: i32, age: u16, stubs: &[Ipv4Addr]) -> Lsa {
    let header = LsaHeader {
        age,
        options: Options::E,
        lsa_type: LsaType::ROUTER,
        link_state_id: advertising_router,
        advertising_router,
        sequence_number: sequence,
        checksum: 0,
        length: 0,
    };
    let links = stubs
        .iter()
        .map(|stub| RouterLink {
            link_id: *stub,
            link_data: Ipv4Addr::BROADCAST,
            link_type: RouterLinkType::STUB,
            metric: 1,
            tos_metrics: vec![],
        })
        .collect();
    Lsa::new(
        header,
        LsaBody::Router(RouterLsa {
            flags: RouterLsaFlags::empty(),
            reserved: 0,
            links,
        }),
    )
    .unwrap()
}

/// `body` as a packet from `router_id` (area 0, no authentication).
pub fn encode_as(router_id: Ipv4Addr, body: PacketBody) -> Bytes {
    Packet {
        router_id,
        area_id: BACKBONE,
        auth: PacketAuth::Null,
        body,
        trailer: Bytes::new(),
    }
    .encode(&Md5Keys::new())
    .unwrap()
}

/// `bytes` received on [`IFINDEX`] from B's address, sent to AllSPFRouters with TTL 1.
pub fn from_b(bytes: Bytes) -> Input {
    Input::Packet {
        ifindex: IFINDEX,
        source: B_ADDRESS,
        destination: ALL_SPF_ROUTERS,
        ttl: 1,
        bytes,
    }
}

/// The refusal reasons in `outputs`.
pub fn rejected(outputs: &[Output]) -> Vec<&'static str> {
    outputs
        .iter()
        .filter_map(|output| match output {
            Output::Rejected { reason, .. } => Some(*reason),
            _ => None,
        })
        .collect()
}

/// The packets in `outputs`, decoded, with their destinations.
pub fn sent(outputs: &[Output]) -> Vec<(Ipv4Addr, Packet)> {
    outputs
        .iter()
        .filter_map(|output| match output {
            Output::Send { destination, bytes, .. } => Some((*destination, Packet::decode(bytes).unwrap())),
            _ => None,
        })
        .collect()
}

/// The LSAs of the Link State Updates among `packets`.
pub fn updates(packets: &[(Ipv4Addr, Packet)]) -> Vec<Lsa> {
    packets
        .iter()
        .filter_map(|(_, packet)| match &packet.body {
            PacketBody::LinkStateUpdate(update) => Some(update.lsas.clone()),
            _ => None,
        })
        .flatten()
        .collect()
}

/// A and B on a point-to-point link (hello 1 s, dead 4 s, retransmit 2 s), Full.
pub struct Pair {
    pub a: Instance,
    pub b: Instance,
    pub now: Instant,
}

fn config(router_id: Ipv4Addr) -> Config {
    let mut interface = InterfaceConfig::new(IFINDEX, "eth0").point_to_point();
    interface.hello_interval = 1;
    interface.dead_interval = 4;
    interface.retransmit_interval = 2;
    Config::new(router_id).interface(interface)
}

impl Pair {
    pub fn full() -> Self {
        let now = Instant::now();
        let (a, _) = Instance::new(config(A), now);
        let (b, _) = Instance::new(config(B), now);
        let mut pair = Self { a, b, now };
        for (to_a, address) in [(true, A_ADDRESS), (false, B_ADDRESS)] {
            let inputs = [
                Input::AddressAdded {
                    ifindex: IFINDEX,
                    address,
                    prefix_len: 30,
                },
                Input::InterfaceUp {
                    ifindex: IFINDEX,
                    mtu: 1500,
                },
            ];
            for input in inputs {
                pair.input(to_a, input);
            }
        }
        for _ in 0..100 {
            if pair.a.neighbor_state(IFINDEX, B) == Some(NeighborState::Full)
                && pair.b.neighbor_state(IFINDEX, A) == Some(NeighborState::Full)
            {
                // Let the acknowledgments of the initial floods go out.
                pair.advance(Duration::from_secs(6));
                return pair;
            }
            pair.advance(Duration::from_millis(100));
        }
        panic!("the pair did not reach Full");
    }

    /// Feeds an input to A (`to_a`) or B and delivers everything that follows, at `now`.
    /// Returns A's outputs.
    pub fn input(&mut self, to_a: bool, input: Input) -> Vec<Output> {
        let mut queue = vec![(to_a, input)];
        let mut from_a = Vec::new();
        while !queue.is_empty() {
            let mut next = Vec::new();
            for (to_a, input) in queue {
                let instance = if to_a { &mut self.a } else { &mut self.b };
                let outputs = instance.handle(input, self.now);
                for output in &outputs {
                    if let Output::Send { destination, bytes, .. } = output {
                        next.push((
                            !to_a,
                            Input::Packet {
                                ifindex: IFINDEX,
                                source: if to_a { A_ADDRESS } else { B_ADDRESS },
                                destination: *destination,
                                ttl: 1,
                                bytes: bytes.clone(),
                            },
                        ));
                    }
                }
                if to_a {
                    from_a.extend(outputs);
                }
            }
            queue = next;
        }
        from_a
    }

    /// Advances time by `duration`, firing both instances' timers and delivering packets.
    pub fn advance(&mut self, duration: Duration) -> Vec<Output> {
        let end = self.now + duration;
        let mut from_a = Vec::new();
        loop {
            let next = [self.a.next_deadline(), self.b.next_deadline()]
                .into_iter()
                .flatten()
                .min()
                .filter(|at| *at <= end);
            let Some(at) = next else { break };
            self.now = self.now.max(at);
            from_a.extend(self.input(true, Input::Tick));
            self.input(false, Input::Tick);
        }
        self.now = end;
        from_a
    }

    /// Delivers `body` to A as if B had sent it (not passed on to B); returns A's outputs.
    pub fn send_as_b(&mut self, body: PacketBody) -> Vec<Output> {
        self.deliver_to_a(encode_as(B, body))
    }

    /// Delivers `bytes` to A as if B had sent them (not passed on to B); returns A's outputs.
    pub fn deliver_to_a(&mut self, bytes: Bytes) -> Vec<Output> {
        self.a.handle(from_b(bytes), self.now)
    }

    /// Fires A's timers up to `duration` from now without delivering anything to B.
    pub fn advance_a_alone(&mut self, duration: Duration) -> Vec<Output> {
        let end = self.now + duration;
        let mut outputs = Vec::new();
        while let Some(at) = self.a.next_deadline().filter(|at| *at <= end) {
            self.now = self.now.max(at);
            outputs.extend(self.a.handle(Input::Tick, self.now));
        }
        self.now = end;
        outputs
    }
}
