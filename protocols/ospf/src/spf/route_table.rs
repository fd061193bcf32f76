//! The OSPF routing table (RFC 2328 §11) that the SPF calculation fills, and the diff between
//! two tables so that only changes reach the kernel.
//!
//! A table is ordered by prefix (address, then length), so its iteration, its JSON and
//! [`diff`] are deterministic.

use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::collections::btree_map::{self, BTreeMap};
use std::fmt;
use std::net::Ipv4Addr;

use serde::{Serialize, Serializer};

/// An IPv4 prefix with its host bits cleared: two prefixes that cover the same addresses
/// compare equal.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ipv4Prefix {
    addr: Ipv4Addr,
    len: u8,
}

impl Ipv4Prefix {
    /// The prefix `addr/len` with the host bits of `addr` cleared; a length above 32 is
    /// taken as 32.
    pub fn new(addr: Ipv4Addr, len: u8) -> Self {
        let len = len.min(32);
        Self {
            addr: Ipv4Addr::from(u32::from(addr) & len_to_mask(len)),
            len,
        }
    }

    /// The prefix of `addr` under the network mask `mask` (a Router-LSA stub link's Link
    /// Data, a Network-LSA's mask). The length is the count of leading one bits of the mask,
    /// so a non-contiguous mask (invalid, but it arrives from the network) gives the longest
    /// contiguous prefix of it, as FRR's `ip_masklen` does.
    pub fn from_mask(addr: Ipv4Addr, mask: Ipv4Addr) -> Self {
        // leading_ones() of a u32 is at most 32: the cast cannot truncate.
        Self::new(addr, u32::from(mask).leading_ones() as u8)
    }

    pub fn addr(&self) -> Ipv4Addr {
        self.addr
    }

    pub fn prefix_len(&self) -> u8 {
        self.len
    }

    /// The network mask.
    pub fn mask(&self) -> Ipv4Addr {
        Ipv4Addr::from(len_to_mask(self.len))
    }

    /// True if `addr` is inside the prefix.
    pub fn contains(&self, addr: Ipv4Addr) -> bool {
        u32::from(addr) & len_to_mask(self.len) == u32::from(self.addr)
    }

    /// True for a /32.
    pub fn is_host(&self) -> bool {
        self.len == 32
    }
}

fn len_to_mask(len: u8) -> u32 {
    u32::MAX.checked_shl(32 - u32::from(len.min(32))).unwrap_or(0)
}

impl fmt::Display for Ipv4Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

impl fmt::Debug for Ipv4Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Serialize for Ipv4Prefix {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Where a packet to a destination leaves the calculating router (§16.1.1): an interface and,
/// unless the destination is on a network the router is attached to (or behind an unnumbered
/// point-to-point link), the address of the next router.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct NextHop {
    pub ifindex: u32,
    pub gateway: Option<Ipv4Addr>,
}

/// The path type of a routing table entry (§11), in order of preference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PathType {
    IntraArea,
    InterArea,
    Type1External,
    Type2External,
}

/// A routing table entry for a network (§11).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OspfRoute {
    /// The path's cost. A sum of 16-bit link costs, so it can exceed 65535.
    pub cost: u32,
    pub path_type: PathType,
    /// The equal-cost next hops (§16.1.1). Empty for a network of the calculating router's
    /// own that no [`LocalInterface`](super::LocalInterface) matches (a loopback address
    /// announced as a stub link).
    pub nexthops: BTreeSet<NextHop>,
    /// The routers whose LSAs gave the best paths: a stub link's router, a transit network's
    /// Designated Router (the Network-LSA's advertising router).
    pub advertising_routers: BTreeSet<Ipv4Addr>,
    /// True if one of the best paths is a network the calculating router is attached to
    /// (one of its own stub links, or a transit network it has an interface on): the kernel
    /// already has this route, so the daemon does not install it.
    pub connected: bool,
}

impl OspfRoute {
    /// True if the two entries forward alike: same next hops and same `connected` flag.
    /// The cost, path type and advertising routers do not reach the kernel (its metric is
    /// the administrative distance), so a change in them alone is not a change for [`diff`].
    pub fn same_forwarding(&self, other: &Self) -> bool {
        self.nexthops == other.nexthops && self.connected == other.connected
    }

    /// Adds an equal or better path to the entry (§16.1 stage 2 (4)): a smaller cost
    /// replaces the entry, an equal one adds its next hops and advertising routers, a larger
    /// one is ignored.
    pub fn merge(&mut self, other: Self) {
        match other.cost.cmp(&self.cost) {
            Ordering::Less => *self = other,
            Ordering::Equal => {
                self.nexthops.extend(other.nexthops);
                self.advertising_routers.extend(other.advertising_routers);
                self.connected |= other.connected;
            }
            Ordering::Greater => {}
        }
    }
}

/// Routing table entries by prefix.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct RouteTable {
    routes: BTreeMap<Ipv4Prefix, OspfRoute>,
}

impl RouteTable {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn get(&self, prefix: &Ipv4Prefix) -> Option<&OspfRoute> {
        self.routes.get(prefix)
    }

    /// The entries in prefix order.
    pub fn iter(&self) -> btree_map::Iter<'_, Ipv4Prefix, OspfRoute> {
        self.routes.iter()
    }

    pub fn len(&self) -> usize {
        self.routes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }

    /// Sets the entry of `prefix`, returning the previous one.
    pub fn insert(&mut self, prefix: Ipv4Prefix, route: OspfRoute) -> Option<OspfRoute> {
        self.routes.insert(prefix, route)
    }

    pub fn remove(&mut self, prefix: &Ipv4Prefix) -> Option<OspfRoute> {
        self.routes.remove(prefix)
    }

    /// Adds a path to `prefix`, keeping the cheapest and merging equal-cost ones
    /// ([`OspfRoute::merge`]).
    pub fn merge(&mut self, prefix: Ipv4Prefix, route: OspfRoute) {
        match self.routes.entry(prefix) {
            btree_map::Entry::Vacant(entry) => {
                entry.insert(route);
            }
            btree_map::Entry::Occupied(mut entry) => entry.get_mut().merge(route),
        }
    }

    pub fn into_inner(self) -> BTreeMap<Ipv4Prefix, OspfRoute> {
        self.routes
    }
}

impl<'a> IntoIterator for &'a RouteTable {
    type Item = (&'a Ipv4Prefix, &'a OspfRoute);
    type IntoIter = btree_map::Iter<'a, Ipv4Prefix, OspfRoute>;

    fn into_iter(self) -> Self::IntoIter {
        self.routes.iter()
    }
}

impl FromIterator<(Ipv4Prefix, OspfRoute)> for RouteTable {
    fn from_iter<I: IntoIterator<Item = (Ipv4Prefix, OspfRoute)>>(iter: I) -> Self {
        Self {
            routes: iter.into_iter().collect(),
        }
    }
}

/// One difference between two routing tables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "change", rename_all = "kebab-case")]
pub enum RouteChange {
    /// A prefix only the new table has.
    Add { prefix: Ipv4Prefix, route: OspfRoute },
    /// A prefix both tables have, whose forwarding changed ([`OspfRoute::same_forwarding`]).
    /// The old entry is given so that the daemon can tell, for example, a route that stops
    /// being connected (install it) from one that becomes connected (delete it).
    Replace {
        prefix: Ipv4Prefix,
        old: OspfRoute,
        new: OspfRoute,
    },
    /// A prefix only the old table has.
    Remove { prefix: Ipv4Prefix, route: OspfRoute },
}

impl RouteChange {
    pub fn prefix(&self) -> Ipv4Prefix {
        match self {
            Self::Add { prefix, .. } | Self::Replace { prefix, .. } | Self::Remove { prefix, .. } => *prefix,
        }
    }
}

/// The changes that turn `old` into `new`, in prefix order (one change per prefix at most).
/// Entries that forward alike ([`OspfRoute::same_forwarding`]) give no change. Linear in the
/// size of both tables.
pub fn diff(old: &RouteTable, new: &RouteTable) -> Vec<RouteChange> {
    let mut changes = Vec::new();
    let mut old_iter = old.iter().peekable();
    let mut new_iter = new.iter().peekable();
    loop {
        let order = match (old_iter.peek(), new_iter.peek()) {
            (None, None) => break,
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some((old_prefix, _)), Some((new_prefix, _))) => old_prefix.cmp(new_prefix),
        };
        match order {
            Ordering::Less => {
                if let Some((prefix, route)) = old_iter.next() {
                    changes.push(RouteChange::Remove {
                        prefix: *prefix,
                        route: route.clone(),
                    });
                }
            }
            Ordering::Greater => {
                if let Some((prefix, route)) = new_iter.next() {
                    changes.push(RouteChange::Add {
                        prefix: *prefix,
                        route: route.clone(),
                    });
                }
            }
            Ordering::Equal => {
                if let (Some((prefix, old_route)), Some((_, new_route))) = (old_iter.next(), new_iter.next())
                    && !old_route.same_forwarding(new_route)
                {
                    changes.push(RouteChange::Replace {
                        prefix: *prefix,
                        old: old_route.clone(),
                        new: new_route.clone(),
                    });
                }
            }
        }
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prefix(s: &str) -> Ipv4Prefix {
        let (addr, len) = s.split_once('/').unwrap();
        Ipv4Prefix::new(addr.parse().unwrap(), len.parse().unwrap())
    }

    fn route(cost: u32, nexthops: &[(u32, Option<&str>)]) -> OspfRoute {
        OspfRoute {
            cost,
            path_type: PathType::IntraArea,
            nexthops: nexthops
                .iter()
                .map(|(ifindex, gateway)| NextHop {
                    ifindex: *ifindex,
                    gateway: gateway.map(|g| g.parse().unwrap()),
                })
                .collect(),
            advertising_routers: BTreeSet::new(),
            connected: false,
        }
    }

    #[test]
    fn prefixes_are_canonical() {
        assert_eq!(prefix("10.1.2.3/24").to_string(), "10.1.2.0/24");
        assert_eq!(prefix("10.1.2.3/0").to_string(), "0.0.0.0/0");
        assert_eq!(prefix("10.1.2.3/40").to_string(), "10.1.2.3/32");
        assert_eq!(
            Ipv4Prefix::from_mask("192.168.7.9".parse().unwrap(), "255.255.252.0".parse().unwrap()),
            prefix("192.168.4.0/22")
        );
        // A non-contiguous mask: its leading ones.
        assert_eq!(
            Ipv4Prefix::from_mask("10.20.30.40".parse().unwrap(), "255.0.255.0".parse().unwrap()),
            prefix("10.0.0.0/8")
        );
        assert_eq!(prefix("10.1.2.0/24").mask(), Ipv4Addr::new(255, 255, 255, 0));
        assert!(prefix("10.1.2.0/24").contains("10.1.2.200".parse().unwrap()));
        assert!(!prefix("10.1.2.0/24").contains("10.1.3.1".parse().unwrap()));
        assert!(prefix("0.0.0.0/0").contains("1.2.3.4".parse().unwrap()));
        assert_eq!(
            serde_json::to_string(&prefix("10.0.0.1/32")).unwrap(),
            "\"10.0.0.1/32\""
        );
    }

    #[test]
    fn merge_keeps_the_cheapest_and_joins_equal_costs() {
        let mut table = RouteTable::new();
        table.merge(prefix("10.0.0.0/24"), route(20, &[(1, Some("10.1.0.2"))]));
        table.merge(prefix("10.0.0.0/24"), route(20, &[(2, Some("10.2.0.2"))]));
        table.merge(prefix("10.0.0.0/24"), route(30, &[(3, Some("10.3.0.2"))]));
        assert_eq!(
            table.get(&prefix("10.0.0.0/24")),
            Some(&route(20, &[(1, Some("10.1.0.2")), (2, Some("10.2.0.2"))]))
        );
        table.merge(prefix("10.0.0.0/24"), route(10, &[(3, Some("10.3.0.2"))]));
        assert_eq!(
            table.get(&prefix("10.0.0.0/24")),
            Some(&route(10, &[(3, Some("10.3.0.2"))]))
        );
    }

    #[test]
    fn diff_reports_adds_replaces_and_removes_in_prefix_order() {
        let old: RouteTable = [
            (prefix("10.0.0.0/24"), route(10, &[(1, Some("10.1.0.2"))])),
            (prefix("10.0.1.0/24"), route(10, &[(1, Some("10.1.0.2"))])),
            (prefix("10.0.2.0/24"), route(10, &[(1, Some("10.1.0.2"))])),
            (prefix("10.0.3.0/24"), route(10, &[(1, Some("10.1.0.2"))])),
        ]
        .into_iter()
        .collect();
        let new: RouteTable = [
            // Same next hops, other cost: not a forwarding change.
            (prefix("10.0.0.0/24"), route(15, &[(1, Some("10.1.0.2"))])),
            // 10.0.1.0/24 removed.
            (
                prefix("10.0.2.0/24"),
                route(10, &[(1, Some("10.1.0.2")), (2, Some("10.2.0.2"))]),
            ),
            (prefix("10.0.3.0/24"), route(10, &[(1, Some("10.1.0.2"))])),
            (prefix("10.0.3.0/25"), route(10, &[(2, Some("10.2.0.2"))])),
            (prefix("9.0.0.0/8"), route(10, &[(2, None)])),
        ]
        .into_iter()
        .collect();
        let changes = diff(&old, &new);
        let summary: Vec<(String, &str)> = changes
            .iter()
            .map(|change| {
                let kind = match change {
                    RouteChange::Add { .. } => "add",
                    RouteChange::Replace { .. } => "replace",
                    RouteChange::Remove { .. } => "remove",
                };
                (change.prefix().to_string(), kind)
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("9.0.0.0/8".to_string(), "add"),
                ("10.0.1.0/24".to_string(), "remove"),
                ("10.0.2.0/24".to_string(), "replace"),
                ("10.0.3.0/25".to_string(), "add"),
            ]
        );
        let RouteChange::Replace {
            old: before,
            new: after,
            ..
        } = &changes[2]
        else {
            panic!("not a replace: {:?}", changes[2]);
        };
        assert_eq!(before.nexthops.len(), 1);
        assert_eq!(after.nexthops.len(), 2);
        assert!(diff(&new, &new).is_empty());
        assert_eq!(diff(&RouteTable::new(), &new).len(), new.len());
        assert!(
            diff(&old, &RouteTable::new())
                .iter()
                .all(|change| matches!(change, RouteChange::Remove { .. }))
        );
    }

    #[test]
    fn diff_sees_the_connected_flag() {
        let old: RouteTable = [(prefix("10.0.0.0/24"), route(10, &[(1, None)]))].into_iter().collect();
        let mut connected = route(10, &[(1, None)]);
        connected.connected = true;
        let new: RouteTable = [(prefix("10.0.0.0/24"), connected)].into_iter().collect();
        assert!(matches!(diff(&old, &new)[..], [RouteChange::Replace { .. }]));
    }
}
