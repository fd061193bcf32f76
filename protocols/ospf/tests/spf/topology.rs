//! Synthetic OSPF areas: a model of routers, point-to-point links and LANs, and its encoding
//! as real Router- and Network-LSAs. Shared by the `spf` test target and the `spf` bench
//! (`#[path]`), so keep it free of test-only dependencies.
//!
//! Addressing: router i has the router ID 1.0.0.0 + i + 1 and the loopback 100.64.0.0 + i
//! (a /32 stub); point-to-point link k the /30 (or /31) 10.0.0.0 + 4k; LAN j the /24
//! 172.16.0.0 + 256j, member m at .m+1. Interface 1 of every router is its loopback, the
//! others are numbered from 2 in creation order.

#![allow(dead_code)]

use std::collections::HashMap;
use std::net::Ipv4Addr;

use okapi_ospf::lsa::{LsaHeader, LsaType, NetworkLsa, RouterLink, RouterLinkType, RouterLsa, RouterLsaFlags};
use okapi_ospf::spf::{Ipv4Prefix, LocalInterface, LsdbView};
use okapi_ospf::{Lsa, LsaBody, Options};

pub const LS_INFINITY: u16 = 0xFFFF;
pub const LOOPBACK_IFINDEX: u32 = 1;

/// A small deterministic generator (SplitMix64): reproducible from the seed alone.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in 0..n (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// Uniform in lo..=hi.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability percent/100.
    pub fn chance(&mut self, percent: u32) -> bool {
        self.below(100) < percent as usize
    }
}

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct Params {
    pub routers: usize,
    /// Point-to-point links beyond the random spanning tree (parallel links can happen).
    pub extra_links: usize,
    pub lans: usize,
    /// Members per LAN, inclusive range; a LAN of one member is a stub network.
    pub lan_size: (usize, usize),
    /// Link costs are drawn in 1..=max_cost (small values make equal-cost paths common).
    pub max_cost: u16,
    /// Percent of links whose two directions get different costs.
    pub asymmetric: u32,
    /// Percent of links (and LAN memberships) that one side leaves out of its LSA.
    pub one_way: u32,
    /// Percent of point-to-point links that are unnumbered (Link Data = ifindex).
    pub unnumbered: u32,
    /// Percent of /31 point-to-point links (among numbered ones).
    pub slash_31: u32,
    /// Percent of link directions with cost LSInfinity.
    pub infinity: u32,
}

impl Params {
    /// A benchmark area: a random connected graph of average degree 4 (2 links per router),
    /// one LAN of 3-6 routers per 20 routers, a /32 loopback per router, all links good.
    pub fn bench(routers: usize) -> Self {
        Self {
            routers,
            extra_links: routers + 1,
            lans: routers / 20,
            lan_size: (3, 6),
            max_cost: 100,
            asymmetric: 10,
            one_way: 0,
            unnumbered: 0,
            slash_31: 0,
            infinity: 0,
        }
    }
}

/// One end of a point-to-point link.
#[derive(Debug, Clone, Copy)]
pub struct End {
    pub router: usize,
    pub ifindex: u32,
    /// The interface address (the loopback for an unnumbered link).
    pub address: Ipv4Addr,
    pub cost: u16,
    /// False: this end leaves the link out of its Router-LSA (one-way link).
    pub advertised: bool,
}

#[derive(Debug, Clone)]
pub struct P2pLink {
    pub ends: [End; 2],
    pub subnet: Ipv4Prefix,
    pub unnumbered: bool,
}

#[derive(Debug, Clone, Copy)]
pub struct LanMember {
    pub router: usize,
    pub ifindex: u32,
    pub address: Ipv4Addr,
    pub cost: u16,
    /// The member's Router-LSA has the transit (or stub) link.
    pub advertised: bool,
    /// The Network-LSA lists the member.
    pub listed: bool,
}

#[derive(Debug, Clone)]
pub struct Lan {
    pub subnet: Ipv4Prefix,
    pub members: Vec<LanMember>,
    /// The index in `members` of the Designated Router (advertised and listed).
    pub dr: usize,
}

impl Lan {
    /// A LAN with a Network-LSA: two members or more. One member alone is a stub network.
    pub fn is_transit(&self) -> bool {
        self.members.len() >= 2
    }

    /// The Network-LSA's Link State ID: the DR's address.
    pub fn dr_address(&self) -> Ipv4Addr {
        self.members[self.dr].address
    }
}

#[derive(Debug, Clone)]
pub struct Topology {
    pub router_ids: Vec<Ipv4Addr>,
    /// The cost of each router's loopback /32 stub.
    pub loopback_costs: Vec<u16>,
    pub links: Vec<P2pLink>,
    pub lans: Vec<Lan>,
}

pub fn router_id(index: usize) -> Ipv4Addr {
    Ipv4Addr::from(0x0100_0001 + index as u32)
}

pub fn loopback(index: usize) -> Ipv4Addr {
    Ipv4Addr::from(0x6440_0000 + index as u32)
}

impl Topology {
    pub fn generate(params: &Params, seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let n = params.routers.max(1);
        let mut next_ifindex = vec![LOOPBACK_IFINDEX + 1; n];
        let mut take_ifindex = |router: usize| {
            let ifindex = next_ifindex[router];
            next_ifindex[router] += 1;
            ifindex
        };
        let cost = |rng: &mut Rng| -> u16 {
            if rng.chance(params.infinity) {
                LS_INFINITY
            } else {
                rng.range(1, usize::from(params.max_cost.max(1))) as u16
            }
        };
        let mut topology = Topology {
            router_ids: (0..n).map(router_id).collect(),
            loopback_costs: (0..n).map(|_| rng.range(0, 3) as u16).collect(),
            links: Vec::new(),
            lans: Vec::new(),
        };
        // A random spanning tree, then extra links.
        let mut pairs: Vec<(usize, usize)> = (1..n).map(|i| (i, rng.below(i))).collect();
        for _ in 0..params.extra_links {
            let (a, b) = (rng.below(n), rng.below(n));
            if a != b {
                pairs.push((a, b));
            }
        }
        for (a, b) in pairs {
            let k = topology.links.len() as u32;
            let base = 0x0A00_0000 + 4 * k;
            let unnumbered = rng.chance(params.unnumbered);
            let slash_31 = !unnumbered && rng.chance(params.slash_31);
            let (prefix_len, first) = if slash_31 { (31, base) } else { (30, base + 1) };
            let cost_ab = cost(&mut rng);
            let cost_ba = if rng.chance(params.asymmetric) {
                cost(&mut rng)
            } else {
                cost_ab
            };
            let one_way = rng.chance(params.one_way).then(|| rng.below(2));
            let ends = [(a, first, cost_ab), (b, first + 1, cost_ba)];
            let ends = [0, 1].map(|side| {
                let (router, address, cost) = ends[side];
                End {
                    router,
                    ifindex: take_ifindex(router),
                    address: if unnumbered {
                        loopback(router)
                    } else {
                        Ipv4Addr::from(address)
                    },
                    cost,
                    advertised: one_way != Some(side),
                }
            });
            topology.links.push(P2pLink {
                ends,
                subnet: Ipv4Prefix::new(Ipv4Addr::from(base), prefix_len),
                unnumbered,
            });
        }
        for j in 0..params.lans {
            let size = rng.range(params.lan_size.0, params.lan_size.1).clamp(1, n.min(250));
            let mut routers: Vec<usize> = Vec::with_capacity(size);
            while routers.len() < size {
                let router = rng.below(n);
                if !routers.contains(&router) {
                    routers.push(router);
                }
            }
            let base = 0xAC10_0000 + 256 * j as u32;
            let dr = rng.below(size);
            let members = routers
                .iter()
                .enumerate()
                .map(|(m, &router)| {
                    let broken = m != dr && size >= 2 && rng.chance(params.one_way);
                    let advertised = !broken || rng.chance(50);
                    LanMember {
                        router,
                        ifindex: take_ifindex(router),
                        address: Ipv4Addr::from(base + m as u32 + 1),
                        cost: cost(&mut rng),
                        advertised,
                        listed: !broken || !advertised,
                    }
                })
                .collect();
            topology.lans.push(Lan {
                subnet: Ipv4Prefix::new(Ipv4Addr::from(base), 24),
                members,
                dr,
            });
        }
        topology
    }

    pub fn len(&self) -> usize {
        self.router_ids.len()
    }

    /// The Router-LSA body of router `r` (RFC 2328 §12.4.1).
    pub fn router_lsa(&self, r: usize) -> RouterLsa {
        let mut links = Vec::new();
        for link in &self.links {
            for side in 0..2 {
                let (end, other) = (&link.ends[side], &link.ends[1 - side]);
                if end.router != r || !end.advertised {
                    continue;
                }
                // §12.4.1.1: the point-to-point link, then (numbered) its subnet as a stub.
                links.push(RouterLink {
                    link_id: self.router_ids[other.router],
                    link_data: if link.unnumbered {
                        Ipv4Addr::from(end.ifindex)
                    } else {
                        end.address
                    },
                    link_type: RouterLinkType::POINT_TO_POINT,
                    metric: end.cost,
                    tos_metrics: Vec::new(),
                });
                if !link.unnumbered {
                    links.push(stub(link.subnet, end.cost));
                }
            }
        }
        for lan in &self.lans {
            for member in lan
                .members
                .iter()
                .filter(|member| member.router == r && member.advertised)
            {
                // §12.4.1.2: a transit link if the network has a DR with adjacencies,
                // a stub link otherwise.
                links.push(if lan.is_transit() {
                    RouterLink {
                        link_id: lan.dr_address(),
                        link_data: member.address,
                        link_type: RouterLinkType::TRANSIT,
                        metric: member.cost,
                        tos_metrics: Vec::new(),
                    }
                } else {
                    stub(lan.subnet, member.cost)
                });
            }
        }
        links.push(stub(Ipv4Prefix::new(loopback(r), 32), self.loopback_costs[r]));
        RouterLsa {
            flags: RouterLsaFlags::empty(),
            reserved: 0,
            links,
        }
    }

    /// The Network-LSA body of a transit LAN (§12.4.2).
    pub fn network_lsa(&self, lan: &Lan) -> NetworkLsa {
        NetworkLsa {
            network_mask: lan.subnet.mask(),
            attached_routers: lan
                .members
                .iter()
                .filter(|member| member.listed)
                .map(|member| self.router_ids[member.router])
                .collect(),
        }
    }

    /// Router `r`'s OSPF interfaces, as the daemon would give them to `calculate`.
    pub fn interfaces(&self, r: usize) -> Vec<LocalInterface> {
        let mut interfaces = vec![LocalInterface::numbered(LOOPBACK_IFINDEX, loopback(r), 32)];
        for link in &self.links {
            for end in link.ends.iter().filter(|end| end.router == r) {
                interfaces.push(if link.unnumbered {
                    LocalInterface::unnumbered(end.ifindex, end.address)
                } else {
                    LocalInterface::numbered(end.ifindex, end.address, link.subnet.prefix_len())
                });
            }
        }
        for lan in &self.lans {
            for member in lan.members.iter().filter(|member| member.router == r) {
                interfaces.push(LocalInterface::numbered(
                    member.ifindex,
                    member.address,
                    lan.subnet.prefix_len(),
                ));
            }
        }
        interfaces
    }

    /// The whole area as real LSAs: built with `Lsa::new` (length and checksum computed),
    /// encoded, and decoded back.
    pub fn lsdb(&self) -> MapLsdb {
        let header = |lsa_type: LsaType, link_state_id: Ipv4Addr, advertising_router: Ipv4Addr| LsaHeader {
            age: 1,
            options: Options::E,
            lsa_type,
            link_state_id,
            advertising_router,
            sequence_number: 0x8000_0001u32 as i32,
            checksum: 0,
            length: 0,
        };
        let round_trip = |lsa: Lsa| {
            let decoded = Lsa::decode(&lsa.to_bytes()).expect("a generated LSA decodes");
            assert_eq!(decoded, lsa, "encode then decode is the identity");
            decoded
        };
        let mut lsdb = MapLsdb::default();
        for r in 0..self.len() {
            let id = self.router_ids[r];
            let lsa = Lsa::new(header(LsaType::ROUTER, id, id), LsaBody::Router(self.router_lsa(r)))
                .expect("a valid Router-LSA");
            lsdb.insert(round_trip(lsa));
        }
        for lan in self.lans.iter().filter(|lan| lan.is_transit()) {
            let dr = self.router_ids[lan.members[lan.dr].router];
            let lsa = Lsa::new(
                header(LsaType::NETWORK, lan.dr_address(), dr),
                LsaBody::Network(self.network_lsa(lan)),
            )
            .expect("a valid Network-LSA");
            lsdb.insert(round_trip(lsa));
        }
        lsdb
    }
}

fn stub(subnet: Ipv4Prefix, metric: u16) -> RouterLink {
    RouterLink {
        link_id: subnet.addr(),
        link_data: subnet.mask(),
        link_type: RouterLinkType::STUB,
        metric,
        tos_metrics: Vec::new(),
    }
}

/// An area's LSAs in hash maps, as an LSDB would hold them.
#[derive(Debug, Default)]
pub struct MapLsdb {
    routers: HashMap<Ipv4Addr, Lsa>,
    networks: HashMap<Ipv4Addr, Lsa>,
}

impl MapLsdb {
    pub fn insert(&mut self, lsa: Lsa) {
        let id = lsa.header().link_state_id;
        match lsa.body() {
            LsaBody::Router(_) => self.routers.insert(id, lsa),
            LsaBody::Network(_) => self.networks.insert(id, lsa),
            _ => None,
        };
    }

    pub fn remove_router(&mut self, id: Ipv4Addr) -> Option<Lsa> {
        self.routers.remove(&id)
    }

    pub fn lsa_count(&self) -> usize {
        self.routers.len() + self.networks.len()
    }
}

impl LsdbView for MapLsdb {
    fn router_lsa(&self, router_id: Ipv4Addr) -> Option<&RouterLsa> {
        match self.routers.get(&router_id)? {
            lsa if lsa.header().age >= okapi_ospf::lsa::MAX_AGE => None,
            lsa => match lsa.body() {
                LsaBody::Router(router) => Some(router),
                _ => None,
            },
        }
    }

    fn network_lsa(&self, link_state_id: Ipv4Addr) -> Option<(Ipv4Addr, &NetworkLsa)> {
        let lsa = self.networks.get(&link_state_id)?;
        if lsa.header().age >= okapi_ospf::lsa::MAX_AGE {
            return None;
        }
        match lsa.body() {
            LsaBody::Network(network) => Some((lsa.header().advertising_router, network)),
            _ => None,
        }
    }
}
