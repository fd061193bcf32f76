//! The shortest-path calculation of one area (RFC 2328 §16.1), its next hops (§16.1.1), the
//! SPF back-off delay of RFC 8405 ([`delay`]) and the routing table with its diff
//! ([`route_table`]).
//!
//! ```text
//!   LsdbView (the area's LSDB) ──┐
//!   root router ID ──────────────┼──► calculate() ──► SpfResult { routes, routers, networks, stats }
//!   own interfaces (ifindex) ────┘                          │
//!                   previous RouteTable ──► diff(old, new) ─┴──► Vec<RouteChange> ──► kernel
//! ```
//!
//! Sans-IO and pure: [`calculate`] reads the LSDB through [`LsdbView`] and returns a new
//! result; the daemon times it, keeps the previous table and installs the [`diff`].
//!
//! # The calculation
//!
//! Stage 1 (§16.1 steps 1-3) is Dijkstra's algorithm over router and transit-network
//! vertices with a binary heap and lazy deletion (a vertex whose cost drops is pushed again;
//! stale heap entries are skipped), so a run is O((V + E) log V). Among candidates of equal
//! cost, networks come out before routers (§16.1 (3)), so that routers on a network inherit
//! its next hops. A vertex records the parents that reach it at its best cost and computes
//! its next hops (§16.1.1) when it joins the tree, once all those parents are in it:
//!
//! - the root's neighbor over a point-to-point link: the root's interface (from the link's
//!   Link Data: the interface address, or the ifindex of an unnumbered interface) and the
//!   neighbor's address taken from its own link back to the root (the one in the interface's
//!   subnet; a link whose side in the neighbor's LSA cannot be told apart is not used, see
//!   `p2p_gateway`); no gateway over an unnumbered link;
//! - a network the root is attached to: the root's interface, no gateway;
//! - a router on such a network: that interface and the router's address on the network
//!   (its transit link's Link Data);
//! - anything else: the next hops of its parents (inheritance), merged over equal-cost
//!   parents (ECMP).
//!
//! A link is used only if the far vertex links back (§16.1 (2)(b)): a router's
//! point-to-point link back, a Network-LSA listing the router, a router's transit link to the
//! network. Stage 2 (§16.1 step 5) then adds the stub links of the routers in the tree.
//!
//! Links with metric LSInfinity (0xFFFF) advertised by other routers are not followed, for
//! transit and stub links alike; the calculating router's own links are (as FRR does: a
//! router in RFC 6987 stub mode, which advertises 0xFFFF itself, still computes its routes).
//! RFC 6987 reads 0xFFFF as the largest usable cost; this follows FRR and the
//! unreachable-link meaning of 0xFFFF (draft-ietf-lsr-ospf-ls-link-infinity).
//!
//! Nothing in the LSDB can make the calculation panic: costs are u32 sums checked for
//! overflow (a path that would overflow is dropped), every LSA lookup and every field may be
//! missing or inconsistent, and the work is bounded by the size of the LSDB.
//!
//! Virtual links (type 4) are ignored: they matter only to the backbone's calculation of an
//! area border router (§16.3), which is not done here.

pub mod delay;
pub mod route_table;

#[cfg(test)]
mod tests;

use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap};
use std::net::Ipv4Addr;

use serde::Serialize;

use crate::lsa::{NetworkLsa, RouterLink, RouterLinkType, RouterLsa, RouterLsaFlags};

pub use delay::{SpfDelay, SpfDelayConfig, SpfDelayState, SpfDelayTimer, SpfRun};
pub use route_table::{Ipv4Prefix, NextHop, OspfRoute, PathType, RouteChange, RouteTable, diff};

/// The link metric that marks a link of another router as unusable (see the module docs).
pub const LS_INFINITY: u16 = 0xFFFF;

/// The LSAs of one area that the calculation reads. The LSDB implements it; lookups should
/// be cheap (a hash or B-tree lookup), as a run makes one per link.
pub trait LsdbView {
    /// The area's Router-LSA of `router_id` (LSID = advertising router), ignoring MaxAge ones.
    fn router_lsa(&self, router_id: Ipv4Addr) -> Option<&RouterLsa>;
    /// The area's Network-LSA with Link State ID `link_state_id` (the DR's interface
    /// address), with its advertising router, ignoring MaxAge ones.
    fn network_lsa(&self, link_state_id: Ipv4Addr) -> Option<(Ipv4Addr, &NetworkLsa)>;
}

/// One of the calculating router's own OSPF interfaces in the area, to turn the Link Data of
/// its own Router-LSA into an ifindex.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct LocalInterface {
    pub ifindex: u32,
    /// The interface address (for an unnumbered interface, the address it borrows).
    pub address: Ipv4Addr,
    pub prefix_len: u8,
    /// An unnumbered point-to-point interface: its link in the Router-LSA carries the ifindex
    /// as Link Data (A.4.2), and its neighbors are reached without a gateway.
    pub unnumbered: bool,
}

impl LocalInterface {
    /// A numbered interface.
    pub fn numbered(ifindex: u32, address: Ipv4Addr, prefix_len: u8) -> Self {
        Self {
            ifindex,
            address,
            prefix_len,
            unnumbered: false,
        }
    }

    /// An unnumbered point-to-point interface borrowing `address` (a /32).
    pub fn unnumbered(ifindex: u32, address: Ipv4Addr) -> Self {
        Self {
            ifindex,
            address,
            prefix_len: 32,
            unnumbered: true,
        }
    }

    /// The interface's subnet.
    pub fn prefix(&self) -> Ipv4Prefix {
        Ipv4Prefix::new(self.address, self.prefix_len)
    }
}

/// A router reachable in the area (kept for §16.2-16.4: area border and AS boundary routers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RouterRoute {
    pub cost: u32,
    pub nexthops: BTreeSet<NextHop>,
    /// The Router-LSA's flags: B (area border router), E (AS boundary router), V, ...
    pub flags: RouterLsaFlags,
}

/// A transit network in the shortest-path tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TransitNetwork {
    pub prefix: Ipv4Prefix,
    /// The Network-LSA's advertising router.
    pub designated_router: Ipv4Addr,
    pub cost: u32,
    pub nexthops: BTreeSet<NextHop>,
}

/// Counters of one run. The caller measures its duration.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SpfStats {
    /// Routers in the shortest-path tree, the root included (0: no Router-LSA of the root).
    pub router_vertices: usize,
    /// Transit networks in the tree.
    pub network_vertices: usize,
    /// Router and Network-LSA links examined.
    pub links: usize,
    /// Entries in the routing table.
    pub routes: usize,
}

/// The result of [`calculate`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SpfResult {
    /// The intra-area routes to networks: transit networks and stub links (host routes
    /// included), with canonical prefixes.
    pub routes: RouteTable,
    /// The routers reachable in the area, by router ID, the root excluded.
    pub routers: BTreeMap<Ipv4Addr, RouterRoute>,
    /// The transit networks in the tree, by Link State ID (the DR's address).
    pub networks: BTreeMap<Ipv4Addr, TransitNetwork>,
    pub stats: SpfStats,
}

/// Runs the intra-area shortest-path calculation (RFC 2328 §16.1) of the router `root`
/// over `lsdb`. `interfaces` are the root's OSPF interfaces in the area: a link of the root
/// that none of them matches is not used. Without a Router-LSA of the root the result is
/// empty.
pub fn calculate(lsdb: &impl LsdbView, root: Ipv4Addr, interfaces: &[LocalInterface]) -> SpfResult {
    let mut spf = Spf::new(lsdb, root, interfaces);
    spf.shortest_path_tree();
    spf.finish()
}

/// A vertex of the graph (§2.1): a router by its router ID, a transit network by the Link
/// State ID of its Network-LSA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum VertexId {
    Router(Ipv4Addr),
    Network(Ipv4Addr),
}

enum VertexLsa<'a> {
    Router(&'a RouterLsa),
    Network {
        designated_router: Ipv4Addr,
        lsa: &'a NetworkLsa,
        /// The attached routers, sorted and deduplicated, for the two-way check.
        attached: Vec<Ipv4Addr>,
    },
}

/// A next hop while the tree is built. `direct` marks the next hop of a network the root is
/// attached to: a router on that network is reached through its own address on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Hop {
    ifindex: u32,
    gateway: Option<Ipv4Addr>,
    direct: bool,
}

impl Hop {
    fn public(&self) -> NextHop {
        NextHop {
            ifindex: self.ifindex,
            gateway: self.gateway,
        }
    }

    fn inherited(&self) -> Self {
        Self { direct: false, ..*self }
    }
}

/// How a parent reaches a vertex at the vertex's current cost (§16.1.1).
#[derive(Debug, Clone, Copy)]
enum Via {
    /// The parent is the root: the next hop is known from the root's link.
    Root(Hop),
    /// The parent is a network and `gateway` the vertex's address on it: if the root is
    /// attached to the network, the next hop is `gateway` over that interface; otherwise
    /// the vertex inherits the network's next hops.
    Network { parent: usize, gateway: Ipv4Addr },
    /// At least one router between the root and the vertex: inherit the parent's next hops.
    Inherit(usize),
}

struct Vertex<'a> {
    id: VertexId,
    lsa: VertexLsa<'a>,
    /// The best cost found so far; `UNREACHED` until a path is found.
    cost: u32,
    in_tree: bool,
    /// The parents at `cost`.
    vias: Vec<Via>,
    /// Set when the vertex joins the tree: sorted, no duplicates.
    hops: Vec<Hop>,
}

const UNREACHED: u32 = u32::MAX;
/// Heap ranks: networks before routers at equal cost (§16.1 (3)).
const RANK_NETWORK: u8 = 0;
const RANK_ROUTER: u8 = 1;
/// The root is the first vertex created.
const ROOT: usize = 0;

struct Spf<'a, L> {
    lsdb: &'a L,
    root: Ipv4Addr,
    interfaces: &'a [LocalInterface],
    /// The root's numbered interfaces by address, and all of them by ifindex.
    by_address: HashMap<Ipv4Addr, &'a LocalInterface>,
    by_ifindex: HashMap<u32, &'a LocalInterface>,
    vertices: Vec<Vertex<'a>>,
    index: HashMap<VertexId, usize>,
    /// Candidates (§16.1 (3)): (cost, rank, vertex), stale entries skipped on pop.
    candidates: BinaryHeap<Reverse<(u32, u8, usize)>>,
    /// The vertices in the order they joined the tree.
    tree: Vec<usize>,
    links: usize,
}

impl<'a, L: LsdbView> Spf<'a, L> {
    fn new(lsdb: &'a L, root: Ipv4Addr, interfaces: &'a [LocalInterface]) -> Self {
        let mut by_address = HashMap::with_capacity(interfaces.len());
        let mut by_ifindex = HashMap::with_capacity(interfaces.len());
        for interface in interfaces {
            if !interface.unnumbered {
                by_address.entry(interface.address).or_insert(interface);
            }
            by_ifindex.entry(interface.ifindex).or_insert(interface);
        }
        Self {
            lsdb,
            root,
            interfaces,
            by_address,
            by_ifindex,
            vertices: Vec::new(),
            index: HashMap::new(),
            candidates: BinaryHeap::new(),
            tree: Vec::new(),
            links: 0,
        }
    }

    /// The vertex `id`, created on first use from its LSA; `None` if the LSDB has no LSA
    /// for it (§16.1 (2)(b)).
    fn vertex(&mut self, id: VertexId) -> Option<usize> {
        if let Some(&index) = self.index.get(&id) {
            return Some(index);
        }
        let lsa = match id {
            VertexId::Router(router_id) => VertexLsa::Router(self.lsdb.router_lsa(router_id)?),
            VertexId::Network(link_state_id) => {
                let (designated_router, lsa) = self.lsdb.network_lsa(link_state_id)?;
                let mut attached = lsa.attached_routers.clone();
                attached.sort_unstable();
                attached.dedup();
                VertexLsa::Network {
                    designated_router,
                    lsa,
                    attached,
                }
            }
        };
        let index = self.vertices.len();
        self.vertices.push(Vertex {
            id,
            lsa,
            cost: UNREACHED,
            in_tree: false,
            vias: Vec::new(),
            hops: Vec::new(),
        });
        self.index.insert(id, index);
        Some(index)
    }

    /// The vertex of router `router_id` and its Router-LSA, as [`vertex`](Self::vertex).
    fn router_vertex(&mut self, router_id: Ipv4Addr) -> Option<(usize, &'a RouterLsa)> {
        let w = self.vertex(VertexId::Router(router_id))?;
        match self.vertices.get(w) {
            Some(&Vertex {
                lsa: VertexLsa::Router(lsa),
                ..
            }) => Some((w, lsa)),
            _ => None,
        }
    }

    /// True if the vertex `id` is already in the tree (§16.1 (2)(c)), without creating it.
    fn in_tree(&self, id: VertexId) -> bool {
        self.index
            .get(&id)
            .and_then(|&index| self.vertices.get(index))
            .is_some_and(|vertex| vertex.in_tree)
    }

    /// §16.1 (2)(d): a path to `w` of cost `cost` through `via`.
    fn relax(&mut self, w: usize, cost: Option<u32>, via: Via) {
        let Some(cost) = cost.filter(|&cost| cost != UNREACHED) else {
            return;
        };
        let Some(vertex) = self.vertices.get_mut(w) else {
            return;
        };
        if vertex.in_tree {
            return;
        }
        match cost.cmp(&vertex.cost) {
            // A shorter path: it replaces the parents found so far.
            Ordering::Less => {
                vertex.cost = cost;
                vertex.vias.clear();
                vertex.vias.push(via);
                let rank = match vertex.id {
                    VertexId::Router(_) => RANK_ROUTER,
                    VertexId::Network(_) => RANK_NETWORK,
                };
                self.candidates.push(Reverse((cost, rank, w)));
            }
            // An equal-cost path: one more parent, whose next hops will be merged.
            Ordering::Equal => vertex.vias.push(via),
            Ordering::Greater => {}
        }
    }

    /// Stage 1: the shortest-path tree of routers and transit networks (§16.1 steps 1-3).
    fn shortest_path_tree(&mut self) {
        // (1) The root alone in the tree. It is vertex 0.
        let Some(root) = self.vertex(VertexId::Router(self.root)) else {
            return;
        };
        if let Some(vertex) = self.vertices.get_mut(root) {
            vertex.cost = 0;
        }
        self.candidates.push(Reverse((0, RANK_ROUTER, root)));
        // (3) The closest candidate joins the tree; then (2) its links are examined.
        while let Some(Reverse((cost, _, v))) = self.candidates.pop() {
            let Some(vertex) = self.vertices.get(v) else { continue };
            if vertex.in_tree || vertex.cost != cost {
                continue; // a stale entry: the vertex got cheaper, or already joined
            }
            let hops = self.next_hops(v);
            let Some(vertex) = self.vertices.get_mut(v) else {
                continue;
            };
            vertex.hops = hops;
            vertex.in_tree = true;
            let id = vertex.id;
            let router_lsa = match vertex.lsa {
                VertexLsa::Router(lsa) => Some(lsa),
                VertexLsa::Network { .. } => None,
            };
            let network_lsa = match vertex.lsa {
                VertexLsa::Network { lsa, .. } => Some(lsa),
                VertexLsa::Router(_) => None,
            };
            self.tree.push(v);
            match (id, router_lsa, network_lsa) {
                (VertexId::Router(router_id), Some(lsa), _) => self.router_links(v, router_id, lsa),
                (VertexId::Network(link_state_id), _, Some(lsa)) => self.network_links(v, link_state_id, lsa),
                _ => {}
            }
        }
    }

    /// §16.1 (2) for a router vertex `v`: its point-to-point and transit links.
    fn router_links(&mut self, v: usize, router_id: Ipv4Addr, lsa: &'a RouterLsa) {
        let is_root = v == ROOT;
        let Some(cost) = self.vertices.get(v).map(|vertex| vertex.cost) else {
            return;
        };
        for link in &lsa.links {
            self.links += 1;
            if link.metric == LS_INFINITY && !is_root {
                continue;
            }
            let link_cost = cost.checked_add(u32::from(link.metric));
            match link.link_type {
                RouterLinkType::POINT_TO_POINT => {
                    let id = VertexId::Router(link.link_id);
                    if link.link_id == router_id || self.in_tree(id) {
                        continue;
                    }
                    let Some((w, w_lsa)) = self.router_vertex(link.link_id) else {
                        continue;
                    };
                    // (b) The neighbor must have a point-to-point link back.
                    let mut back = w_lsa
                        .links
                        .iter()
                        .filter(|back| back.link_type == RouterLinkType::POINT_TO_POINT && back.link_id == router_id)
                        .peekable();
                    if back.peek().is_none() {
                        continue;
                    }
                    let via = if is_root {
                        let Some(interface) = self.root_p2p_interface(link) else {
                            continue;
                        };
                        let Some(gateway) = self.p2p_gateway(interface, back) else {
                            continue;
                        };
                        Via::Root(Hop {
                            ifindex: interface.ifindex,
                            gateway,
                            direct: false,
                        })
                    } else {
                        Via::Inherit(v)
                    };
                    self.relax(w, link_cost, via);
                }
                RouterLinkType::TRANSIT => {
                    let id = VertexId::Network(link.link_id);
                    if self.in_tree(id) {
                        continue;
                    }
                    let Some(w) = self.vertex(id) else { continue };
                    // (b) The Network-LSA must list this router.
                    let listed = match self.vertices.get(w) {
                        Some(Vertex {
                            lsa: VertexLsa::Network { attached, .. },
                            ..
                        }) => attached.binary_search(&router_id).is_ok(),
                        _ => false,
                    };
                    if !listed {
                        continue;
                    }
                    let via = if is_root {
                        // The root's interface on the network: its address is the Link Data.
                        let Some(interface) = self.by_address.get(&link.link_data) else {
                            continue;
                        };
                        Via::Root(Hop {
                            ifindex: interface.ifindex,
                            gateway: None,
                            direct: true,
                        })
                    } else {
                        Via::Inherit(v)
                    };
                    self.relax(w, link_cost, via);
                }
                // Stub links: stage 2. Virtual links: §16.3, not done here. Others: unknown.
                _ => {}
            }
        }
    }

    /// §16.1 (2) for a network vertex `v`: its attached routers, at no cost.
    fn network_links(&mut self, v: usize, link_state_id: Ipv4Addr, lsa: &'a NetworkLsa) {
        let Some(cost) = self.vertices.get(v).map(|vertex| vertex.cost) else {
            return;
        };
        for &router_id in &lsa.attached_routers {
            self.links += 1;
            let id = VertexId::Router(router_id);
            if self.in_tree(id) {
                continue;
            }
            let Some((w, w_lsa)) = self.router_vertex(router_id) else {
                continue;
            };
            // (b) The router must have a transit link back to the network; its Link Data is
            // its address on the network, the next hop if the root is attached (§16.1.1).
            for back in &w_lsa.links {
                if back.link_type == RouterLinkType::TRANSIT && back.link_id == link_state_id {
                    let via = Via::Network {
                        parent: v,
                        gateway: back.link_data,
                    };
                    self.relax(w, Some(cost), via);
                }
            }
        }
    }

    /// The root's interface of a point-to-point link: by address, or by ifindex for an
    /// unnumbered one (its Link Data is the ifindex, A.4.2).
    fn root_p2p_interface(&self, link: &RouterLink) -> Option<&'a LocalInterface> {
        if let Some(interface) = self.by_address.get(&link.link_data) {
            return Some(interface);
        }
        self.by_ifindex
            .get(&u32::from(link.link_data))
            .copied()
            .filter(|interface| interface.unnumbered)
    }

    /// §16.1.1: the next hop of the root's point-to-point link over `interface`, from the
    /// neighbor's point-to-point links back to the root (`back`, at least one). `None` if
    /// the link cannot be used; `Some(None)` for no gateway.
    ///
    /// Over an unnumbered interface there is no gateway. Otherwise the gateway is the
    /// neighbor's Link Data in the interface's subnet. Failing that (a /32 interface
    /// addressed peer to peer, or mismatched subnets, which p2p Hellos do not check), the
    /// one link back whose address is in none of the root's subnets; with none, or several,
    /// the link is not used: the neighbor's side of this link is not in its LSA (a link
    /// back of a parallel link is in the subnet of that link's interface).
    fn p2p_gateway<'l>(
        &self,
        interface: &LocalInterface,
        back: impl Iterator<Item = &'l RouterLink>,
    ) -> Option<Option<Ipv4Addr>> {
        if interface.unnumbered {
            return Some(None);
        }
        let subnet = interface.prefix();
        let mut fallback = None;
        let mut candidates = 0usize;
        for link in back {
            let address = link.link_data;
            if subnet.contains(address) && address != interface.address {
                return Some(Some(address));
            }
            let on_our_subnets = self
                .interfaces
                .iter()
                .any(|other| !other.unnumbered && other.prefix().contains(address));
            if !on_our_subnets && !is_ifindex_like(address) {
                candidates += 1;
                fallback = Some(address);
            }
        }
        if candidates == 1 { Some(fallback) } else { None }
    }

    /// §16.1.1: the next hops of `w`, from the parents that reach it at its cost.
    fn next_hops(&self, w: usize) -> Vec<Hop> {
        let mut hops = Vec::new();
        let Some(vertex) = self.vertices.get(w) else {
            return hops;
        };
        for via in &vertex.vias {
            match *via {
                Via::Root(hop) => hops.push(hop),
                Via::Inherit(parent) => {
                    if let Some(parent) = self.vertices.get(parent) {
                        hops.extend(parent.hops.iter().map(Hop::inherited));
                    }
                }
                Via::Network { parent, gateway } => {
                    let Some(parent) = self.vertices.get(parent) else {
                        continue;
                    };
                    // The parent network's interfaces of the root (normally one): the one(s)
                    // whose subnet holds the gateway, or all of them if none does.
                    let on_subnet = |hop: &Hop| {
                        self.by_ifindex
                            .get(&hop.ifindex)
                            .is_some_and(|interface| interface.prefix().contains(gateway))
                    };
                    let any_on_subnet = parent.hops.iter().any(|hop| hop.direct && on_subnet(hop));
                    for hop in &parent.hops {
                        if !hop.direct {
                            hops.push(hop.inherited());
                        } else if !any_on_subnet || on_subnet(hop) {
                            hops.push(Hop {
                                ifindex: hop.ifindex,
                                gateway: Some(gateway),
                                direct: false,
                            });
                        }
                    }
                }
            }
        }
        hops.sort_unstable();
        hops.dedup();
        hops
    }

    /// The routing table from the tree, then stage 2: the stub links (§16.1 step 5).
    ///
    /// Every path to a prefix is first a small [`Candidate`]; they are sorted by prefix and
    /// cost, and only the cheapest of each prefix become a routing table entry (§16.1 stage 2
    /// (4): a smaller cost wins, equal costs join). This builds one entry per prefix instead
    /// of one per path, and the table in one go.
    fn finish(self) -> SpfResult {
        // Sized once: a path per stub link and transit network at most (every link of the
        // tree's LSAs was counted in `links`).
        let mut candidates: Vec<Candidate> = Vec::with_capacity(self.links + self.tree.len());
        let mut routers = Vec::with_capacity(self.tree.len());
        let mut networks = Vec::new();
        for (order, &v) in self.tree.iter().enumerate() {
            let Some(vertex) = self.vertices.get(v) else { continue };
            match (vertex.id, &vertex.lsa) {
                (
                    VertexId::Network(link_state_id),
                    VertexLsa::Network {
                        designated_router, lsa, ..
                    },
                ) => {
                    // §16.1 (4): the transit network's routing table entry.
                    let prefix = Ipv4Prefix::from_mask(link_state_id, lsa.network_mask);
                    candidates.push(Candidate {
                        prefix,
                        cost: vertex.cost,
                        order,
                        vertex: v,
                        kind: CandidateKind::Network,
                    });
                    networks.push((
                        link_state_id,
                        TransitNetwork {
                            prefix,
                            designated_router: *designated_router,
                            cost: vertex.cost,
                            nexthops: vertex.hops.iter().map(Hop::public).collect(),
                        },
                    ));
                }
                (VertexId::Router(router_id), VertexLsa::Router(lsa)) => {
                    self.stub_links(v, order, vertex.cost, lsa, &mut candidates);
                    if v != ROOT {
                        routers.push((
                            router_id,
                            RouterRoute {
                                cost: vertex.cost,
                                nexthops: vertex.hops.iter().map(Hop::public).collect(),
                                flags: lsa.flags,
                            },
                        ));
                    }
                }
                _ => {}
            }
        }
        // Same prefix together, cheapest first, ties in tree order.
        candidates.sort_unstable_by_key(|candidate| (candidate.prefix, candidate.cost, candidate.order));
        let mut routes = Vec::with_capacity(candidates.len());
        let mut rest = candidates.as_slice();
        while let Some(best) = rest.first() {
            let same_prefix = rest.iter().take_while(|other| other.prefix == best.prefix).count();
            let (group, after) = rest.split_at(same_prefix);
            rest = after;
            let cheapest = group.iter().take_while(|other| other.cost == best.cost);
            routes.push((best.prefix, self.route(best.cost, cheapest)));
        }
        let routes: RouteTable = routes.into_iter().collect();
        SpfResult {
            stats: SpfStats {
                router_vertices: routers.len() + usize::from(!self.tree.is_empty()),
                network_vertices: networks.len(),
                links: self.links,
                routes: routes.len(),
            },
            routes,
            routers: routers.into_iter().collect(),
            networks: networks.into_iter().collect(),
        }
    }

    /// §16.1 step 5 for one router of the tree: its stub links, at the router's cost plus the
    /// link's (LSInfinity excluded but for the root's own).
    fn stub_links(&self, v: usize, order: usize, cost: u32, lsa: &RouterLsa, candidates: &mut Vec<Candidate>) {
        let is_root = v == ROOT;
        for link in &lsa.links {
            if link.link_type != RouterLinkType::STUB || (link.metric == LS_INFINITY && !is_root) {
                continue;
            }
            let Some(cost) = cost.checked_add(u32::from(link.metric)) else {
                continue;
            };
            candidates.push(Candidate {
                prefix: Ipv4Prefix::from_mask(link.link_id, link.link_data),
                cost,
                order,
                vertex: v,
                kind: if is_root {
                    CandidateKind::RootStub
                } else {
                    CandidateKind::Stub
                },
            });
        }
    }

    /// The routing table entry from its equal-cost best paths. A stub network of a router
    /// goes through the router's next hops; one of the root's is directly connected, through
    /// the root's numbered interfaces whose subnet it is (none for a stub network no
    /// interface is on, such as a loopback address the daemon does not list); a transit
    /// network has its own next hops and is connected if the root is attached to it.
    fn route<'c>(&self, cost: u32, paths: impl Iterator<Item = &'c Candidate>) -> OspfRoute {
        let mut route = OspfRoute {
            cost,
            path_type: PathType::IntraArea,
            nexthops: BTreeSet::new(),
            advertising_routers: BTreeSet::new(),
            connected: false,
        };
        for path in paths {
            let Some(vertex) = self.vertices.get(path.vertex) else {
                continue;
            };
            match (path.kind, vertex.id, &vertex.lsa) {
                (CandidateKind::Network, _, VertexLsa::Network { designated_router, .. }) => {
                    route.nexthops.extend(vertex.hops.iter().map(Hop::public));
                    route.advertising_routers.insert(*designated_router);
                    route.connected |= vertex.hops.iter().any(|hop| hop.direct);
                }
                (CandidateKind::Stub, VertexId::Router(router_id), _) => {
                    route.nexthops.extend(vertex.hops.iter().map(Hop::public));
                    route.advertising_routers.insert(router_id);
                }
                (CandidateKind::RootStub, VertexId::Router(router_id), _) => {
                    route.nexthops.extend(
                        self.interfaces
                            .iter()
                            .filter(|interface| !interface.unnumbered && interface.prefix() == path.prefix)
                            .map(|interface| NextHop {
                                ifindex: interface.ifindex,
                                gateway: None,
                            }),
                    );
                    route.advertising_routers.insert(router_id);
                    route.connected = true;
                }
                _ => {}
            }
        }
        route
    }
}

/// One path to a prefix found by the calculation, before the paths are merged.
struct Candidate {
    prefix: Ipv4Prefix,
    cost: u32,
    /// The vertex's position in the tree, for a deterministic order among equals.
    order: usize,
    vertex: usize,
    kind: CandidateKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CandidateKind {
    /// The transit network `vertex`.
    Network,
    /// A stub link of the router `vertex`.
    Stub,
    /// A stub link of the root.
    RootStub,
}

/// True for an address of 0.0.0.0/8: the Link Data of an unnumbered link (an ifindex),
/// never a next hop.
fn is_ifindex_like(address: Ipv4Addr) -> bool {
    address.octets()[0] == 0
}
