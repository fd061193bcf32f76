//! The kernel's links, addresses and routes as plain owned types, over rtnetlink.
//!
//! ```text
//!                  ┌─ Netlink (Clone; one request socket, its task on tokio) ───┐
//!  daemon, API ───►│ links()  addresses()  routes(RouteFilter)        dumps     │───► kernel
//!                  │ route_replace/route_delete  address_add/address_delete     │
//!                  └────────────────────────────────────────────────────────────┘
//!                  ┌─ Watcher (own socket: link, v4/v6 address, v4/v6 route) ───┐
//!  daemon ◄─next()─│ LinkChanged/LinkRemoved  AddressAdded/AddressRemoved       │◄─── kernel
//!                  │ RouteAdded/RouteRemoved                                    │
//!                  │ events lost (ENOBUFS, overrun, truncated datagram):        │
//!                  │   drop what is queued ─► re-dump ─► Resync{links,..}       │
//!                  └────────────────────────────────────────────────────────────┘
//! ```
//!
//! Everything that leaves this module is a plain owned type ([`Link`], [`Address`], [`Route`],
//! [`NetlinkEvent`]) the sans-IO protocol crates and the JSON API can use without knowing
//! netlink. Errors are [`NetlinkError`]s that say what was attempted, e.g.
//! `route replace 10.0.0.2/32 proto 188: File exists`.
//!
//! Facts of the pinned crates this module relies on:
//! - Route protocols are compared as `u8` (`RouteProtocol::Other(188)` is not `Ospf`).
//! - Dump requests carry an all-zero header: on a strict-check socket every non-zero header
//!   field becomes a kernel-side filter, so all filtering is done here, in user space.
//! - A lost multicast message shows up as `ENOBUFS` on the watch socket (or as an overrun
//!   payload); the only correct reaction is to re-dump everything.

use std::collections::VecDeque;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::fd::{AsFd, AsRawFd};
use std::time::Duration;

use futures::StreamExt;
use netlink_packet_core::{
    NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP, NLM_F_DUMP_INTR, NLM_F_EXCL, NLM_F_REPLACE, NLM_F_REQUEST, NetlinkHeader,
    NetlinkMessage, NetlinkPayload,
};
use netlink_packet_route::address::{AddressAttribute, AddressFlags, AddressHeaderFlags, AddressMessage};
use netlink_packet_route::link::{LinkAttribute, LinkFlags, LinkInfo, LinkMessage, State};
use netlink_packet_route::route::{
    RouteAddress, RouteAttribute, RouteFlags, RouteHeader, RouteMessage, RouteNextHop, RouteProtocol, RouteScope,
    RouteType, RouteVia,
};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use rtnetlink::sys::{AsyncSocket, Socket, SocketAddr, protocols::NETLINK_ROUTE};
use serde::{Deserialize, Serialize};
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

/// `rtm_protocol` of the routes okapi-ospfd installs.
pub const RTPROT_OSPF: u8 = 188;
/// `rtm_protocol` of the routes okapi-bgpd installs.
pub const RTPROT_BGP: u8 = 186;
/// The main routing table.
pub const RT_TABLE_MAIN: u32 = 254;
/// The local routing table (local and broadcast routes; not unicast, so not in [`Netlink::routes`]).
pub const RT_TABLE_LOCAL: u32 = 255;

/// Receive buffer asked for on both netlink sockets. Large enough for a burst of a full BGP
/// table's route notifications to be mostly absorbed; anything beyond is an overrun and a resync.
const RECEIVE_BUFFER_BYTES: usize = 8 * 1024 * 1024;
/// How long one request may wait for the kernel's next answer (a dump waits this per message).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest dump accepted: two full Internet tables with room to spare. Larger is an error, not OOM.
const MAX_DUMP_ENTRIES: usize = 4_000_000;
/// A dump the kernel marks interrupted (`NLM_F_DUMP_INTR`) is retried this many times in total.
const DUMP_ATTEMPTS: u32 = 4;
/// Most nexthops one route may carry, in either direction.
pub const MAX_NEXTHOPS: usize = 256;
/// The watch socket's datagram buffer; a longer datagram is reported truncated and resynced.
const WATCH_DATAGRAM_BYTES: usize = 64 * 1024;
/// Upper bound on stale datagrams discarded before a resync (the socket buffer holds fewer).
const MAX_DRAINED_DATAGRAMS: usize = 1 << 20;
/// A resync whose dumps keep failing is retried this many times, then the watcher ends.
const RESYNC_ATTEMPTS: u32 = 5;

// ───────────────────────────────────────── owned types ─────────────────────────────────────────

/// An IP address family, serialized as `"ipv4"` / `"ipv6"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum IpFamily {
    #[serde(rename = "ipv4")]
    V4,
    #[serde(rename = "ipv6")]
    V6,
}

impl IpFamily {
    pub fn of(address: &IpAddr) -> IpFamily {
        match address {
            IpAddr::V4(_) => IpFamily::V4,
            IpAddr::V6(_) => IpFamily::V6,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            IpFamily::V4 => "ipv4",
            IpFamily::V6 => "ipv6",
        }
    }

    /// 32 or 128.
    pub fn max_prefix_len(self) -> u8 {
        match self {
            IpFamily::V4 => 32,
            IpFamily::V6 => 128,
        }
    }

    fn unspecified(self) -> IpAddr {
        match self {
            IpFamily::V4 => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            IpFamily::V6 => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        }
    }

    fn address_family(self) -> AddressFamily {
        match self {
            IpFamily::V4 => AddressFamily::Inet,
            IpFamily::V6 => AddressFamily::Inet6,
        }
    }

    fn from_address_family(family: AddressFamily) -> Option<IpFamily> {
        match family {
            AddressFamily::Inet => Some(IpFamily::V4),
            AddressFamily::Inet6 => Some(IpFamily::V6),
            _ => None,
        }
    }
}

impl fmt::Display for IpFamily {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A network interface.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub ifindex: u32,
    pub name: String,
    /// `IFF_UP`: the administrator brought it up.
    pub admin_up: bool,
    /// RFC 2863 operational state, lower case: `up`, `down`, `lowerlayerdown`, `dormant`,
    /// `testing`, `notpresent` or `unknown` (loopback reports `unknown`).
    pub oper_state: String,
    /// 0 when the kernel did not say.
    pub mtu: u32,
    /// Link-layer address as `aa:bb:cc:dd:ee:ff`; `None` when the link has none.
    pub mac: Option<String>,
    /// `IFLA_INFO_KIND` (`veth`, `bridge`, `vlan`, ...); `None` for physical and loopback links.
    pub kind: Option<String>,
}

impl Link {
    /// Up and able to pass packets: administratively up, and operationally `up` or `unknown`
    /// (loopback and some virtual links never leave `unknown`).
    pub fn is_operational(&self) -> bool {
        self.admin_up && matches!(self.oper_state.as_str(), "up" | "unknown")
    }
}

/// An address assigned to an interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Address {
    pub ifindex: u32,
    /// The interface's own address (`IFA_LOCAL`, or `IFA_ADDRESS` when there is no local one).
    pub address: IpAddr,
    pub prefix_len: u8,
}

impl Address {
    pub fn family(&self) -> IpFamily {
        IpFamily::of(&self.address)
    }
}

/// One way out of a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct NextHop {
    /// `None` for a directly connected (device) nexthop. An IPv4 route may have an IPv6
    /// gateway (RFC 5549, `via inet6`).
    pub gateway: Option<IpAddr>,
    pub ifindex: Option<u32>,
    /// ECMP weight as `ip route` shows it, 1..=255 (the kernel stores weight - 1). Single
    /// nexthop routes read back with weight 1.
    pub weight: u8,
}

impl NextHop {
    /// A nexthop of weight 1.
    pub fn new(gateway: Option<IpAddr>, ifindex: Option<u32>) -> NextHop {
        NextHop {
            gateway,
            ifindex,
            weight: 1,
        }
    }
}

/// A unicast route. Routes of other types (local, broadcast, blackhole, unreachable, multicast)
/// and cached clones are not reported by dumps or events.
///
/// The kernel keys a route by `(table, destination/prefix_len, metric)`; a single-nexthop
/// route and an `RTA_MULTIPATH` route both come out with their hops in `nexthops`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Route {
    /// Network address; `0.0.0.0` / `::` with `prefix_len` 0 for a default route.
    pub destination: IpAddr,
    pub prefix_len: u8,
    pub table: u32,
    /// `rtm_protocol`: [`RTPROT_OSPF`], [`RTPROT_BGP`], 2 kernel, 3 boot, 4 static, ...
    pub protocol: u8,
    /// `RTA_PRIORITY`; daemons install their administrative distance here.
    pub metric: u32,
    pub nexthops: Vec<NextHop>,
}

impl Route {
    pub fn family(&self) -> IpFamily {
        IpFamily::of(&self.destination)
    }

    /// `10.0.0.0/24 proto 188`, plus ` table N` outside the main table: how errors name a route.
    pub fn describe(&self) -> String {
        let mut text = format!("{}/{} proto {}", self.destination, self.prefix_len, self.protocol);
        if self.table != RT_TABLE_MAIN {
            text.push_str(&format!(" table {}", self.table));
        }
        text
    }
}

/// Which routes [`Netlink::routes`] returns; every `None` matches everything. Applied in user
/// space, so it means the same on strict-check and legacy sockets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RouteFilter {
    pub protocol: Option<u8>,
    pub table: Option<u32>,
    pub family: Option<IpFamily>,
}

impl RouteFilter {
    /// Every unicast route of every table and family.
    pub fn all() -> RouteFilter {
        RouteFilter::default()
    }

    /// Only routes of this `rtm_protocol`.
    pub fn protocol(mut self, protocol: u8) -> RouteFilter {
        self.protocol = Some(protocol);
        self
    }

    /// Only routes of this table.
    pub fn table(mut self, table: u32) -> RouteFilter {
        self.table = Some(table);
        self
    }

    /// Only routes of this family.
    pub fn family(mut self, family: IpFamily) -> RouteFilter {
        self.family = Some(family);
        self
    }

    pub fn matches(&self, route: &Route) -> bool {
        self.protocol.is_none_or(|protocol| route.protocol == protocol)
            && self.table.is_none_or(|table| route.table == table)
            && self.family.is_none_or(|family| route.family() == family)
    }
}

/// A change the kernel announced. Apply them in order; after [`NetlinkEvent::Resync`] forget
/// everything known before and start from its contents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum NetlinkEvent {
    /// A link appeared or changed (state, MTU, address, name...). Carries the whole link.
    LinkChanged(Link),
    LinkRemoved {
        ifindex: u32,
        name: String,
    },
    AddressAdded(Address),
    AddressRemoved(Address),
    /// `RTM_NEWROUTE`: the route keyed by (table, destination, metric) now has these nexthops.
    RouteAdded(Route),
    /// `RTM_DELROUTE`. Note the kernel does not announce IPv4 routes it flushes because their
    /// interface went down: follow [`NetlinkEvent::LinkChanged`] for that.
    RouteRemoved(Route),
    /// Events were lost (socket overrun); this is the complete current state.
    Resync {
        links: Vec<Link>,
        addresses: Vec<Address>,
        routes: Vec<Route>,
    },
}

// ──────────────────────────────────────────── errors ───────────────────────────────────────────

/// What was attempted and why it failed, e.g. `route replace 10.0.0.2/32 proto 188: File exists`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetlinkError {
    operation: String,
    reason: String,
    errno: Option<i32>,
}

impl NetlinkError {
    fn new(operation: impl Into<String>, reason: impl Into<String>) -> NetlinkError {
        NetlinkError {
            operation: operation.into(),
            reason: reason.into(),
            errno: None,
        }
    }

    /// The kernel refused with `errno` (positive), optionally explaining itself (extended ack).
    fn refused(operation: impl Into<String>, errno: i32, explanation: Option<String>) -> NetlinkError {
        let description = nix::errno::Errno::from_raw(errno).desc();
        let reason = match explanation {
            Some(explanation) => format!("{description} ({explanation})"),
            None => description.to_string(),
        };
        NetlinkError {
            operation: operation.into(),
            reason,
            errno: Some(errno),
        }
    }

    /// What was attempted, e.g. `route replace 10.0.0.2/32 proto 188`.
    pub fn operation(&self) -> &str {
        &self.operation
    }

    /// Why it failed, e.g. `File exists`.
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// The errno the kernel answered with, if it was the kernel that refused.
    pub fn errno(&self) -> Option<i32> {
        self.errno
    }

    /// The thing to delete was not there (`ESRCH`, `ENOENT`, `EADDRNOTAVAIL`, `ENODEV`): a
    /// delete that finds nothing to delete has nothing to complain about.
    pub fn is_not_found(&self) -> bool {
        matches!(
            self.errno,
            Some(libc::ESRCH | libc::ENOENT | libc::EADDRNOTAVAIL | libc::ENODEV)
        )
    }

    /// `EEXIST`.
    pub fn is_already_present(&self) -> bool {
        self.errno == Some(libc::EEXIST)
    }
}

impl fmt::Display for NetlinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.operation, self.reason)
    }
}

impl std::error::Error for NetlinkError {}

/// The kernel's own explanation (`NLMSGERR_ATTR_MSG`) in an error message's extended ack, if
/// any. `flags` are the error message's netlink header flags; `payload` is what follows the
/// error code (the echoed request header, the request unless capped, then the ack TLVs).
fn extended_ack_message(flags: u16, payload: &[u8]) -> Option<String> {
    const NLM_F_CAPPED: u16 = 0x100;
    const NLM_F_ACK_TLVS: u16 = 0x200;
    const NLMSGERR_ATTR_MSG: u16 = 1;
    const NETLINK_HEADER_LEN: usize = 16;
    if flags & NLM_F_ACK_TLVS == 0 {
        return None;
    }
    let tlvs_start = if flags & NLM_F_CAPPED != 0 {
        NETLINK_HEADER_LEN
    } else {
        let echoed_len = u32::from_ne_bytes(payload.get(0..4)?.try_into().ok()?) as usize;
        align4(echoed_len)?
    };
    let mut tlvs = payload.get(tlvs_start..)?;
    while tlvs.len() >= 4 {
        let length = usize::from(u16::from_ne_bytes([tlvs[0], tlvs[1]]));
        let kind = u16::from_ne_bytes([tlvs[2], tlvs[3]]) & 0x3fff;
        if length < 4 || length > tlvs.len() {
            return None;
        }
        if kind == NLMSGERR_ATTR_MSG {
            let text = &tlvs[4..length];
            let text = text.split(|byte| *byte == 0).next().unwrap_or(text);
            let text = String::from_utf8_lossy(text).trim().to_string();
            return (!text.is_empty()).then_some(text);
        }
        tlvs = tlvs.get(align4(length)?..).unwrap_or(&[]);
    }
    None
}

fn align4(length: usize) -> Option<usize> {
    Some(length.checked_add(3)? & !3)
}

// ─────────────────────────────────────────── requests ──────────────────────────────────────────

/// A connection to the kernel's routing netlink. Cheap to clone; every clone shares one socket
/// whose connection task runs on the tokio runtime `connect` was called on, until the last clone
/// is dropped.
#[derive(Clone, Debug)]
pub struct Netlink {
    handle: rtnetlink::Handle,
}

impl Netlink {
    /// Opens the request socket (8 MiB receive buffer, extended acks) and spawns its task.
    pub async fn connect() -> Result<Netlink, NetlinkError> {
        const OPERATION: &str = "netlink connect";
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(NetlinkError::new(OPERATION, "not called from a tokio runtime"));
        }
        let (mut connection, handle, unsolicited) =
            rtnetlink::new_connection().map_err(|error| NetlinkError::new(OPERATION, error.to_string()))?;
        // Nothing is subscribed on this socket; dropping the receiver makes the connection
        // discard anything unsolicited instead of queueing it without bound.
        drop(unsolicited);
        let socket = connection.socket_mut().socket_mut();
        raise_receive_buffer(socket, "request");
        if let Err(error) = socket.set_ext_ack(true).and_then(|()| socket.set_cap_ack(true)) {
            tracing::debug!(%error, "netlink extended acks unavailable; errors will be terser");
        }
        tokio::spawn(connection);
        Ok(Netlink { handle })
    }

    /// Every link.
    pub async fn links(&self) -> Result<Vec<Link>, NetlinkError> {
        let request = RouteNetlinkMessage::GetLink(LinkMessage::default());
        let answers = self.dump("link dump", request).await?;
        Ok(answers
            .iter()
            .filter_map(|answer| match answer {
                RouteNetlinkMessage::NewLink(message) => link_from_message(message),
                _ => None,
            })
            .collect())
    }

    /// Every IPv4 and IPv6 address of every link.
    pub async fn addresses(&self) -> Result<Vec<Address>, NetlinkError> {
        let request = RouteNetlinkMessage::GetAddress(AddressMessage::default());
        let answers = self.dump("address dump", request).await?;
        Ok(answers
            .iter()
            .filter_map(|answer| match answer {
                RouteNetlinkMessage::NewAddress(message) => address_from_message(message),
                _ => None,
            })
            .collect())
    }

    /// The unicast routes `filter` selects, from every table.
    pub async fn routes(&self, filter: RouteFilter) -> Result<Vec<Route>, NetlinkError> {
        // Only the family goes to the kernel (both socket modes honour it); every other header
        // field stays zero so that a strict-check socket does not filter on builder defaults.
        let mut message = RouteMessage::default();
        message.header.address_family = filter.family.map_or(AddressFamily::Unspec, IpFamily::address_family);
        let answers = self.dump("route dump", RouteNetlinkMessage::GetRoute(message)).await?;
        Ok(answers
            .iter()
            .filter_map(|answer| match answer {
                RouteNetlinkMessage::NewRoute(message) => route_from_message(message),
                _ => None,
            })
            .filter(|route| filter.matches(route))
            .collect())
    }

    /// Installs `route`, replacing the route with the same (table, destination, metric)
    /// (`NLM_F_REPLACE | NLM_F_CREATE`). Several nexthops make an ECMP (`RTA_MULTIPATH`) route.
    pub async fn route_replace(&self, route: &Route) -> Result<(), NetlinkError> {
        let operation = format!("route replace {}", route.describe());
        let message = route_message(route, RouteChange::Replace)
            .map_err(|reason| NetlinkError::new(operation.clone(), reason))?;
        self.acknowledged(
            operation,
            RouteNetlinkMessage::NewRoute(message),
            NLM_F_REPLACE | NLM_F_CREATE,
        )
        .await
    }

    /// Deletes the route keyed by `route`'s table, destination, protocol and metric, whatever
    /// its nexthops (all of an ECMP route's hops go). A route that is not there is an error for
    /// which [`NetlinkError::is_not_found`] holds.
    pub async fn route_delete(&self, route: &Route) -> Result<(), NetlinkError> {
        let operation = format!("route delete {}", route.describe());
        let message =
            route_message(route, RouteChange::Delete).map_err(|reason| NetlinkError::new(operation.clone(), reason))?;
        self.acknowledged(operation, RouteNetlinkMessage::DelRoute(message), 0)
            .await
    }

    /// Adds `address/prefix_len` to the interface (`NLM_F_CREATE | NLM_F_EXCL`: an address
    /// already there is an error for which [`NetlinkError::is_already_present`] holds). IPv6
    /// addresses are added without duplicate address detection (`IFA_F_NODAD`).
    pub async fn address_add(&self, ifindex: u32, address: IpAddr, prefix_len: u8) -> Result<(), NetlinkError> {
        let operation = format!("address add {address}/{prefix_len} ifindex {ifindex}");
        let message = address_message(ifindex, address, prefix_len)
            .map_err(|reason| NetlinkError::new(operation.clone(), reason))?;
        self.acknowledged(
            operation,
            RouteNetlinkMessage::NewAddress(message),
            NLM_F_CREATE | NLM_F_EXCL,
        )
        .await
    }

    /// Removes `address/prefix_len` from the interface.
    pub async fn address_delete(&self, ifindex: u32, address: IpAddr, prefix_len: u8) -> Result<(), NetlinkError> {
        let operation = format!("address delete {address}/{prefix_len} ifindex {ifindex}");
        let message = address_message(ifindex, address, prefix_len)
            .map_err(|reason| NetlinkError::new(operation.clone(), reason))?;
        self.acknowledged(operation, RouteNetlinkMessage::DelAddress(message), 0)
            .await
    }

    /// [`Netlink::watch`] with a task that forwards the events to a bounded channel of
    /// `queue` events (when full, the task waits and the kernel's socket buffer takes over; its
    /// overrun becomes a [`NetlinkEvent::Resync`]). Subscribe first, dump second: the events
    /// queued meanwhile bring the dump up to date. Abort the task to stop.
    pub fn watch_channel(
        &self,
        queue: usize,
    ) -> Result<(tokio::sync::mpsc::Receiver<NetlinkEvent>, tokio::task::JoinHandle<()>), NetlinkError> {
        let mut watcher = self.watch()?;
        let (sender, receiver) = tokio::sync::mpsc::channel(queue.max(1));
        let task = tokio::spawn(async move {
            while let Some(event) = watcher.next().await {
                if sender.send(event).await.is_err() {
                    break;
                }
            }
        });
        Ok((receiver, task))
    }

    /// Subscribes to link, IPv4/IPv6 address and IPv4/IPv6 route changes on a socket of its
    /// own. To start from a consistent state, subscribe first and dump second: events queued
    /// while the dump ran then bring the dump up to date.
    pub fn watch(&self) -> Result<Watcher, NetlinkError> {
        const OPERATION: &str = "netlink watch";
        let failed = |error: std::io::Error| NetlinkError::new(OPERATION, error.to_string());
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(NetlinkError::new(OPERATION, "not called from a tokio runtime"));
        }
        let mut socket = Socket::new(NETLINK_ROUTE).map_err(failed)?;
        let groups = [
            rtnetlink::MulticastGroup::Link,
            rtnetlink::MulticastGroup::Ipv4Ifaddr,
            rtnetlink::MulticastGroup::Ipv6Ifaddr,
            rtnetlink::MulticastGroup::Ipv4Route,
            rtnetlink::MulticastGroup::Ipv6Route,
        ]
        .iter()
        .fold(0u32, |mask, group| mask | (1 << (*group as u32 - 1)));
        socket.bind(&SocketAddr::new(0, groups)).map_err(failed)?;
        socket.set_non_blocking(true).map_err(failed)?;
        raise_receive_buffer(&socket, "watch");
        // SAFETY: `Socket` owns its descriptor, never swaps it and closes it only when dropped,
        // and the AsyncFd owns the Socket: the descriptor stays valid as long as it is registered.
        let socket = unsafe { AsyncFd::register_with_interest(socket, Interest::READABLE) }
            .map_err(|error| failed(error.into()))?;
        Ok(Watcher {
            socket,
            netlink: self.clone(),
            datagram: vec![0; WATCH_DATAGRAM_BYTES],
            pending: VecDeque::new(),
            resyncs: 0,
            undecodable: 0,
        })
    }

    /// Sends a dump request and collects the answers, retrying a dump the kernel marks
    /// inconsistent (`NLM_F_DUMP_INTR`, or an overrun). Also used by `vmac`.
    pub(crate) async fn dump(
        &self,
        operation: &'static str,
        request: RouteNetlinkMessage,
    ) -> Result<Vec<RouteNetlinkMessage>, NetlinkError> {
        let mut attempt = 1;
        loop {
            let mut message = NetlinkMessage::from(request.clone());
            message.header.flags = NLM_F_REQUEST | NLM_F_DUMP;
            let mut handle = self.handle.clone();
            let answers = handle
                .request(message)
                .map_err(|error| NetlinkError::new(operation, error.to_string()))?;
            let mut answers = std::pin::pin!(answers);
            let mut collected = Vec::new();
            let mut interrupted = false;
            loop {
                let answer = tokio::time::timeout(REQUEST_TIMEOUT, answers.next())
                    .await
                    .map_err(|_| NetlinkError::new(operation, "the kernel did not answer within 10 s"))?;
                let Some(answer) = answer else { break };
                if answer.header.flags & NLM_F_DUMP_INTR != 0 {
                    interrupted = true;
                }
                match answer.payload {
                    NetlinkPayload::InnerMessage(inner) => {
                        if collected.len() >= MAX_DUMP_ENTRIES {
                            return Err(NetlinkError::new(
                                operation,
                                format!("more than {MAX_DUMP_ENTRIES} entries"),
                            ));
                        }
                        collected.push(inner);
                    }
                    NetlinkPayload::Error(error) if error.code.is_some() => {
                        return Err(kernel_refusal(operation, &answer.header, &error));
                    }
                    NetlinkPayload::Overrun(_) => interrupted = true,
                    _ => {}
                }
            }
            if !interrupted {
                return Ok(collected);
            }
            if attempt >= DUMP_ATTEMPTS {
                tracing::warn!(
                    operation,
                    attempts = attempt,
                    "netlink dump stayed inconsistent; using the last one"
                );
                return Ok(collected);
            }
            tracing::debug!(
                operation,
                attempt,
                "netlink dump interrupted by a change; dumping again"
            );
            attempt += 1;
        }
    }

    /// Sends one change request with `NLM_F_ACK` and waits for the kernel's verdict. Also used
    /// by `vmac` (macvlan add, up, delete).
    pub(crate) async fn acknowledged(
        &self,
        operation: String,
        request: RouteNetlinkMessage,
        flags: u16,
    ) -> Result<(), NetlinkError> {
        let mut message = NetlinkMessage::from(request);
        message.header.flags = NLM_F_REQUEST | NLM_F_ACK | flags;
        let mut handle = self.handle.clone();
        let answers = handle
            .request(message)
            .map_err(|error| NetlinkError::new(operation.clone(), error.to_string()))?;
        let mut answers = std::pin::pin!(answers);
        loop {
            let answer = tokio::time::timeout(REQUEST_TIMEOUT, answers.next())
                .await
                .map_err(|_| NetlinkError::new(operation.clone(), "the kernel did not answer within 10 s"))?;
            // The connection closes the stream after the ack without forwarding it.
            let Some(answer) = answer else { return Ok(()) };
            if let NetlinkPayload::Error(error) = &answer.payload {
                if error.code.is_some() {
                    return Err(kernel_refusal(&operation, &answer.header, error));
                }
                return Ok(());
            }
        }
    }
}

fn kernel_refusal(operation: &str, header: &NetlinkHeader, error: &netlink_packet_core::ErrorMessage) -> NetlinkError {
    let errno = error.raw_code().checked_neg().unwrap_or(i32::MAX);
    NetlinkError::refused(operation, errno, extended_ack_message(header.flags, &error.header))
}

/// Asks for [`RECEIVE_BUFFER_BYTES`]: `SO_RCVBUFFORCE` (needs CAP_NET_ADMIN, ignores
/// `rmem_max`), else `SO_RCVBUF` (capped by `net.core.rmem_max`).
fn raise_receive_buffer(socket: &impl AsFd, which: &str) {
    use nix::sys::socket::{setsockopt, sockopt};
    if setsockopt(socket, sockopt::RcvBufForce, &RECEIVE_BUFFER_BYTES).is_ok() {
        return;
    }
    if let Err(error) = setsockopt(socket, sockopt::RcvBuf, &RECEIVE_BUFFER_BYTES) {
        tracing::warn!(%error, socket = which, "cannot raise the netlink receive buffer");
    }
}

// ─────────────────────────────────────────── watcher ───────────────────────────────────────────

/// Kernel change notifications, one [`NetlinkEvent`] at a time. Memory is bounded by one
/// datagram's worth of events; the kernel socket buffer (8 MiB) absorbs bursts, and whatever it
/// cannot absorb becomes a [`NetlinkEvent::Resync`].
pub struct Watcher {
    socket: AsyncFd<Socket>,
    netlink: Netlink,
    datagram: Vec<u8>,
    pending: VecDeque<NetlinkEvent>,
    resyncs: u64,
    undecodable: u64,
}

/// What one read of the watch socket gave.
enum Datagram {
    /// This many bytes of messages in the buffer.
    Messages(usize),
    /// Messages were lost; the reason, for the log.
    Lost(String),
}

impl Watcher {
    /// The next change, or `None` once the watcher cannot go on (the socket failed, or a resync
    /// could not dump the kernel's state); the reason is logged.
    pub async fn next(&mut self) -> Option<NetlinkEvent> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Some(event);
            }
            let length = match self.receive().await {
                Ok(Datagram::Messages(length)) => length,
                Ok(Datagram::Lost(reason)) => return self.resync(&reason).await,
                Err(error) => {
                    tracing::error!(%error, "netlink watch socket failed; no more interface and route events");
                    return None;
                }
            };
            let bytes = self.datagram.get(..length).unwrap_or(&[]);
            let decoded = decode_datagram(bytes, &mut self.pending);
            if decoded.undecodable > 0 {
                self.undecodable += u64::from(decoded.undecodable);
                tracing::warn!(
                    undecodable_total = self.undecodable,
                    "skipped netlink notifications that could not be decoded"
                );
            }
            if decoded.overrun {
                return self.resync("the kernel reported an overrun").await;
            }
        }
    }

    /// How many times events were lost and the state re-dumped.
    pub fn resyncs(&self) -> u64 {
        self.resyncs
    }

    async fn receive(&mut self) -> std::io::Result<Datagram> {
        loop {
            let mut ready = self.socket.readable().await?;
            let buffer = &mut self.datagram;
            match ready.try_io(|socket| receive_datagram(socket.get_ref(), buffer)) {
                Ok(Ok(length)) if length > buffer.len() => {
                    return Ok(Datagram::Lost(format!(
                        "a {length}-byte notification did not fit the {}-byte buffer",
                        buffer.len()
                    )));
                }
                Ok(Ok(length)) => return Ok(Datagram::Messages(length)),
                Ok(Err(error)) if error.raw_os_error() == Some(libc::ENOBUFS) => {
                    return Ok(Datagram::Lost("socket receive buffer overrun (ENOBUFS)".to_string()));
                }
                Ok(Err(error)) if error.kind() == std::io::ErrorKind::Interrupted => continue,
                Ok(Err(error)) => return Err(error),
                Err(_would_block) => continue,
            }
        }
    }

    /// Throws away what is queued (older than the dump about to be taken, and with a gap in
    /// it), dumps everything, and returns it as a Resync.
    async fn resync(&mut self, reason: &str) -> Option<NetlinkEvent> {
        self.resyncs += 1;
        tracing::warn!(
            resyncs = self.resyncs,
            "netlink events lost ({reason}); re-dumping links, addresses and routes"
        );
        self.pending.clear();
        self.drain();
        let mut delay = Duration::from_millis(100);
        for attempt in 1..=RESYNC_ATTEMPTS {
            match self.dump_everything().await {
                Ok((links, addresses, routes)) => {
                    return Some(NetlinkEvent::Resync {
                        links,
                        addresses,
                        routes,
                    });
                }
                Err(error) if attempt < RESYNC_ATTEMPTS => {
                    tracing::warn!(%error, attempt, "netlink resync failed; retrying");
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                }
                Err(error) => {
                    tracing::error!(%error, "netlink resync failed; no more interface and route events");
                }
            }
        }
        None
    }

    async fn dump_everything(&self) -> Result<(Vec<Link>, Vec<Address>, Vec<Route>), NetlinkError> {
        let links = self.netlink.links().await?;
        let addresses = self.netlink.addresses().await?;
        let routes = self.netlink.routes(RouteFilter::all()).await?;
        Ok((links, addresses, routes))
    }

    fn drain(&mut self) {
        let socket = self.socket.get_ref();
        for _ in 0..MAX_DRAINED_DATAGRAMS {
            match receive_datagram(socket, &mut self.datagram) {
                Ok(_) => {}
                Err(error) if error.raw_os_error() == Some(libc::ENOBUFS) => {}
                Err(_) => break,
            }
        }
    }

    /// Test hook: a tiny receive buffer makes overruns easy to provoke.
    #[cfg(test)]
    fn shrink_receive_buffer(&self, bytes: usize) {
        use nix::sys::socket::{setsockopt, sockopt};
        setsockopt(self.socket.get_ref(), sockopt::RcvBufForce, &bytes).expect("SO_RCVBUFFORCE");
    }
}

/// One non-blocking read; returns the datagram's full length, which exceeds `buffer.len()`
/// when it was truncated (`MSG_TRUNC`).
fn receive_datagram(socket: &Socket, buffer: &mut [u8]) -> std::io::Result<usize> {
    use nix::sys::socket::{MsgFlags, recv};
    recv(socket.as_raw_fd(), buffer, MsgFlags::MSG_TRUNC | MsgFlags::MSG_DONTWAIT).map_err(std::io::Error::from)
}

#[derive(Debug, Default, PartialEq, Eq)]
struct Decoded {
    /// An `NLMSG_OVERRUN` was in the datagram: events were lost.
    overrun: bool,
    /// Messages skipped because they could not be parsed.
    undecodable: u32,
}

/// Appends the events of one datagram (one or more netlink messages) to `events`.
fn decode_datagram(datagram: &[u8], events: &mut VecDeque<NetlinkEvent>) -> Decoded {
    const HEADER_LEN: usize = 16;
    let mut decoded = Decoded::default();
    let mut rest = datagram;
    while rest.len() >= HEADER_LEN {
        let length = u32::from_ne_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        if length < HEADER_LEN || length > rest.len() {
            decoded.undecodable += 1;
            break;
        }
        match NetlinkMessage::<RouteNetlinkMessage>::deserialize(&rest[..length]) {
            Ok(message) => match message.payload {
                NetlinkPayload::InnerMessage(inner) => events.extend(event_from_message(inner)),
                NetlinkPayload::Overrun(_) => decoded.overrun = true,
                _ => {}
            },
            Err(error) => {
                tracing::debug!(%error, "undecodable netlink notification");
                decoded.undecodable += 1;
            }
        }
        rest = align4(length).and_then(|next| rest.get(next..)).unwrap_or(&[]);
    }
    decoded
}

// ───────────────────────────────────── message conversions ─────────────────────────────────────

fn event_from_message(message: RouteNetlinkMessage) -> Option<NetlinkEvent> {
    match message {
        RouteNetlinkMessage::NewLink(link) => link_from_message(&link).map(NetlinkEvent::LinkChanged),
        RouteNetlinkMessage::DelLink(link) => link_from_message(&link).map(|link| NetlinkEvent::LinkRemoved {
            ifindex: link.ifindex,
            name: link.name,
        }),
        RouteNetlinkMessage::NewAddress(address) => address_from_message(&address).map(NetlinkEvent::AddressAdded),
        RouteNetlinkMessage::DelAddress(address) => address_from_message(&address).map(NetlinkEvent::AddressRemoved),
        RouteNetlinkMessage::NewRoute(route) => route_from_message(&route).map(NetlinkEvent::RouteAdded),
        RouteNetlinkMessage::DelRoute(route) => route_from_message(&route).map(NetlinkEvent::RouteRemoved),
        _ => None,
    }
}

/// A link message as a [`Link`]; `None` for bridge-port messages (`AF_BRIDGE`), which describe
/// a port's bridge membership, not the link (their `RTM_DELLINK` does not remove the link).
fn link_from_message(message: &LinkMessage) -> Option<Link> {
    if message.header.interface_family == AddressFamily::Bridge {
        return None;
    }
    let mut link = Link {
        ifindex: message.header.index,
        name: String::new(),
        admin_up: message.header.flags.contains(LinkFlags::Up),
        oper_state: "unknown".to_string(),
        mtu: 0,
        mac: None,
        kind: None,
    };
    for attribute in &message.attributes {
        match attribute {
            LinkAttribute::IfName(name) => link.name = name.clone(),
            LinkAttribute::Mtu(mtu) => link.mtu = *mtu,
            LinkAttribute::OperState(state) => link.oper_state = oper_state_name(*state).to_string(),
            LinkAttribute::Address(bytes) if !bytes.is_empty() => link.mac = Some(format_link_address(bytes)),
            LinkAttribute::LinkInfo(infos) => {
                for info in infos {
                    if let LinkInfo::Kind(kind) = info {
                        link.kind = Some(kind.to_string());
                    }
                }
            }
            _ => {}
        }
    }
    Some(link)
}

fn oper_state_name(state: State) -> &'static str {
    match state {
        State::Up => "up",
        State::Down => "down",
        State::LowerLayerDown => "lowerlayerdown",
        State::Dormant => "dormant",
        State::Testing => "testing",
        State::NotPresent => "notpresent",
        _ => "unknown",
    }
}

/// `aa:bb:cc:dd:ee:ff`.
fn format_link_address(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn address_from_message(message: &AddressMessage) -> Option<Address> {
    let family = IpFamily::from_address_family(message.header.family)?;
    let mut local = None;
    let mut peer = None;
    for attribute in &message.attributes {
        match attribute {
            AddressAttribute::Local(address) => local = Some(*address),
            AddressAttribute::Address(address) => peer = Some(*address),
            _ => {}
        }
    }
    let address = local.or(peer).filter(|address| IpFamily::of(address) == family)?;
    Some(Address {
        ifindex: message.header.index,
        address,
        prefix_len: message.header.prefix_len,
    })
}

fn route_address(address: &RouteAddress) -> Option<IpAddr> {
    match address {
        RouteAddress::Inet(address) => Some(IpAddr::V4(*address)),
        RouteAddress::Inet6(address) => Some(IpAddr::V6(*address)),
        _ => None,
    }
}

fn via_address(via: &RouteVia) -> Option<IpAddr> {
    match via {
        RouteVia::Inet(address) => Some(IpAddr::V4(*address)),
        RouteVia::Inet6(address) => Some(IpAddr::V6(*address)),
        _ => None,
    }
}

/// The gateway of a nexthop's attributes (`RTA_GATEWAY`, or `RTA_VIA` for RFC 5549).
fn gateway_of(attributes: &[RouteAttribute]) -> Option<IpAddr> {
    attributes.iter().find_map(|attribute| match attribute {
        RouteAttribute::Gateway(address) => route_address(address),
        RouteAttribute::Via(via) => via_address(via),
        _ => None,
    })
}

/// A unicast route message as a [`Route`]; `None` for other route types, cached clones and
/// non-IP families.
fn route_from_message(message: &RouteMessage) -> Option<Route> {
    let header = &message.header;
    if header.kind != RouteType::Unicast || header.flags.contains(RouteFlags::Cloned) {
        return None;
    }
    let family = IpFamily::from_address_family(header.address_family)?;
    let mut route = Route {
        destination: family.unspecified(),
        prefix_len: header.destination_prefix_length,
        table: u32::from(header.table),
        protocol: u8::from(header.protocol),
        metric: 0,
        nexthops: Vec::new(),
    };
    let mut output_interface = None;
    let mut multipath = None;
    for attribute in &message.attributes {
        match attribute {
            RouteAttribute::Destination(address) => route.destination = route_address(address)?,
            RouteAttribute::Table(table) => route.table = *table,
            RouteAttribute::Priority(metric) => route.metric = *metric,
            RouteAttribute::Oif(ifindex) => output_interface = Some(*ifindex),
            RouteAttribute::MultiPath(hops) => multipath = Some(hops),
            _ => {}
        }
    }
    route.nexthops = match multipath {
        Some(hops) => hops
            .iter()
            .take(MAX_NEXTHOPS)
            .map(|hop| NextHop {
                gateway: gateway_of(&hop.attributes),
                ifindex: (hop.interface_index != 0).then_some(hop.interface_index),
                weight: hop.hops.saturating_add(1),
            })
            .collect(),
        None => {
            let gateway = gateway_of(&message.attributes);
            if gateway.is_some() || output_interface.is_some() {
                vec![NextHop::new(gateway, output_interface)]
            } else {
                Vec::new()
            }
        }
    };
    Some(route)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RouteChange {
    Replace,
    Delete,
}

/// The `RTM_NEWROUTE` / `RTM_DELROUTE` message for `route`, the way iproute2 builds it: table
/// in the header when it fits and always in `RTA_TABLE`; scope link for an IPv4 route whose only
/// nexthop is a device; a delete names the route's key and leaves scope as a wildcard.
fn route_message(route: &Route, change: RouteChange) -> Result<RouteMessage, String> {
    let family = route.family();
    if route.prefix_len > family.max_prefix_len() {
        return Err(format!(
            "prefix length {} is longer than {} bits",
            route.prefix_len,
            family.max_prefix_len()
        ));
    }
    let mut message = RouteMessage::default();
    message.header.address_family = family.address_family();
    message.header.destination_prefix_length = route.prefix_len;
    message.header.protocol = RouteProtocol::from(route.protocol);
    message.header.kind = RouteType::Unicast;
    message.header.table = u8::try_from(route.table).unwrap_or(RouteHeader::RT_TABLE_UNSPEC);
    let attributes = &mut message.attributes;
    attributes.push(RouteAttribute::Table(route.table));
    if route.prefix_len > 0 || !route.destination.is_unspecified() {
        attributes.push(RouteAttribute::Destination(RouteAddress::from(route.destination)));
    }
    attributes.push(RouteAttribute::Priority(route.metric));

    if change == RouteChange::Delete {
        message.header.scope = RouteScope::NoWhere;
        return Ok(message);
    }
    match route.nexthops.as_slice() {
        [] => return Err("a route needs at least one nexthop".to_string()),
        hops if hops.len() > MAX_NEXTHOPS => {
            return Err(format!("{} nexthops, at most {MAX_NEXTHOPS}", hops.len()));
        }
        [hop] => {
            check_nexthop(hop, 0)?;
            if let Some(gateway) = hop.gateway {
                attributes.push(gateway_attribute(family, gateway)?);
            }
            if let Some(ifindex) = hop.ifindex {
                attributes.push(RouteAttribute::Oif(ifindex));
            }
            message.header.scope = if family == IpFamily::V4 && hop.gateway.is_none() {
                RouteScope::Link
            } else {
                RouteScope::Universe
            };
        }
        hops => {
            let mut multipath = Vec::with_capacity(hops.len());
            for (position, hop) in hops.iter().enumerate() {
                check_nexthop(hop, position)?;
                let mut entry = RouteNextHop::default();
                entry.hops = hop.weight.saturating_sub(1);
                entry.interface_index = hop.ifindex.unwrap_or(0);
                if let Some(gateway) = hop.gateway {
                    entry.attributes.push(gateway_attribute(family, gateway)?);
                }
                multipath.push(entry);
            }
            attributes.push(RouteAttribute::MultiPath(multipath));
            message.header.scope = RouteScope::Universe;
        }
    }
    Ok(message)
}

fn check_nexthop(hop: &NextHop, position: usize) -> Result<(), String> {
    if hop.gateway.is_none() && hop.ifindex.is_none() {
        return Err(format!(
            "nexthop {} has neither a gateway nor an interface",
            position + 1
        ));
    }
    if hop.ifindex == Some(0) {
        return Err(format!("nexthop {} has interface index 0", position + 1));
    }
    Ok(())
}

fn gateway_attribute(family: IpFamily, gateway: IpAddr) -> Result<RouteAttribute, String> {
    match (family, gateway) {
        (IpFamily::V4, IpAddr::V4(_)) | (IpFamily::V6, IpAddr::V6(_)) => {
            Ok(RouteAttribute::Gateway(RouteAddress::from(gateway)))
        }
        (IpFamily::V4, IpAddr::V6(gateway)) => Ok(RouteAttribute::Via(RouteVia::Inet6(gateway))),
        (IpFamily::V6, IpAddr::V4(gateway)) => Err(format!("an IPv6 route cannot have the IPv4 gateway {gateway}")),
    }
}

fn address_message(ifindex: u32, address: IpAddr, prefix_len: u8) -> Result<AddressMessage, String> {
    let family = IpFamily::of(&address);
    if prefix_len > family.max_prefix_len() {
        return Err(format!(
            "prefix length {prefix_len} is longer than {} bits",
            family.max_prefix_len()
        ));
    }
    if ifindex == 0 {
        return Err("interface index 0".to_string());
    }
    Ok(match address {
        IpAddr::V4(address) => rtnetlink::AddressMessageBuilder::<Ipv4Addr>::new()
            .index(ifindex)
            .address(address, prefix_len)
            .build(),
        IpAddr::V6(address) => {
            let mut message = rtnetlink::AddressMessageBuilder::<Ipv6Addr>::new()
                .index(ifindex)
                .address(address, prefix_len)
                .build();
            // No duplicate address detection: the IPv6 addresses daemons add are VIPs moving
            // between nodes, which a new VRRP Master must answer for at once; DAD would hold
            // them tentative for a second, or fail when a crashed node still has one.
            message.header.flags |= AddressHeaderFlags::Nodad;
            message.attributes.push(AddressAttribute::Flags(AddressFlags::Nodad));
            message
        }
    })
}

// ──────────────────────────────────────── test support ─────────────────────────────────────────

/// Private network namespaces for the root tests of this crate, and the few link operations
/// they need that daemons never do.
#[cfg(test)]
pub(crate) mod testing {
    use std::future::Future;
    use std::time::Duration;

    use futures::StreamExt;
    use netlink_packet_route::link::LinkMessage;

    /// For a test thread that plays a second host: moves the thread into a new network
    /// namespace, hands that namespace to the test (`namespace`), waits until the test has
    /// moved `peer` in (`arrived`), gives it `address` (when some) and brings it up.
    pub(crate) fn become_second_host(
        peer: &str,
        address: Option<(std::net::IpAddr, u8)>,
        namespace: std::sync::mpsc::Sender<std::os::fd::OwnedFd>,
        arrived: &std::sync::mpsc::Receiver<()>,
    ) {
        nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNET).expect("unshare(CLONE_NEWNET)");
        let fd = std::fs::File::open("/proc/thread-self/ns/net").expect("namespace fd");
        namespace.send(fd.into()).expect("send namespace");
        arrived.recv_timeout(Duration::from_secs(10)).expect("peer moved in");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime");
        runtime.block_on(async {
            let netlink = super::Netlink::connect().await.expect("connect");
            let index = netlink.link_index(peer).await;
            if let Some((address, len)) = address {
                netlink.address_add(index, address, len).await.expect("address");
            }
            netlink.set_link_up(index).await;
        });
    }

    use super::Netlink;

    /// Runs `test` on a thread of its own inside a network namespace made for it: the namespace
    /// (and every link created in it) vanishes with the thread; the host's is never touched.
    /// Without root, prints one line and returns.
    pub(crate) fn in_private_netns<F, Fut>(name: &str, test: F)
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = ()>,
    {
        if !nix::unistd::geteuid().is_root() {
            eprintln!("skipped {name}: needs root (network namespaces)");
            return;
        }
        let outcome = std::thread::Builder::new()
            .name(name.to_string())
            .spawn(move || {
                nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNET).expect("unshare(CLONE_NEWNET)");
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("tokio runtime");
                runtime.block_on(async {
                    tokio::time::timeout(Duration::from_secs(60), test())
                        .await
                        .expect("test timed out")
                });
            })
            .expect("spawn test thread")
            .join();
        if let Err(panic) = outcome {
            std::panic::resume_unwind(panic);
        }
    }

    /// Writes a sysctl of the calling thread's network namespace.
    pub(crate) fn sysctl(path: &str, value: &str) {
        std::fs::write(format!("/proc/sys/{path}"), value).unwrap_or_else(|error| panic!("sysctl {path}: {error}"));
    }

    impl Netlink {
        pub(crate) async fn set_link_up(&self, ifindex: u32) {
            let message = rtnetlink::LinkUnspec::new_with_index(ifindex).up().build();
            self.handle
                .link()
                .change(message)
                .execute()
                .await
                .unwrap_or_else(|error| panic!("link {ifindex} up: {error}"));
        }

        /// Creates the veth pair `name`/`peer`, brings both ends up and returns their indexes.
        pub(crate) async fn create_veth_pair(&self, name: &str, peer: &str) -> (u32, u32) {
            let message: LinkMessage = rtnetlink::LinkVeth::new(name, peer).build();
            self.handle
                .link()
                .add(message)
                .execute()
                .await
                .unwrap_or_else(|error| panic!("create veth {name}/{peer}: {error}"));
            let name_index = self.link_index(name).await;
            let peer_index = self.link_index(peer).await;
            self.set_link_up(name_index).await;
            self.set_link_up(peer_index).await;
            (name_index, peer_index)
        }

        pub(crate) async fn link_index(&self, name: &str) -> u32 {
            let mut links = self.handle.link().get().match_name(name).execute();
            let link = links
                .next()
                .await
                .unwrap_or_else(|| panic!("no link {name}"))
                .unwrap_or_else(|error| panic!("link {name}: {error}"));
            link.header.index
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{in_private_netns, sysctl};
    use super::*;
    use netlink_packet_route::link::{InfoKind, LinkHeader};

    fn v4(text: &str) -> IpAddr {
        text.parse().expect("test address")
    }

    fn ospf_route(destination: &str, prefix_len: u8, nexthops: Vec<NextHop>) -> Route {
        Route {
            destination: v4(destination),
            prefix_len,
            table: RT_TABLE_MAIN,
            protocol: RTPROT_OSPF,
            metric: 110,
            nexthops,
        }
    }

    #[test]
    fn route_protocols_compare_as_numbers() {
        assert_ne!(RouteProtocol::Other(188), RouteProtocol::Ospf);
        assert_eq!(u8::from(RouteProtocol::Other(188)), u8::from(RouteProtocol::Ospf));
        let mut message = RouteMessage::default();
        message.header.address_family = AddressFamily::Inet;
        message.header.kind = RouteType::Unicast;
        message.header.protocol = RouteProtocol::Ospf;
        assert_eq!(route_from_message(&message).map(|route| route.protocol), Some(188));
    }

    #[test]
    fn single_nexthop_route_round_trips() {
        let route = ospf_route("10.1.2.0", 24, vec![NextHop::new(Some(v4("10.0.0.2")), Some(3))]);
        let message = route_message(&route, RouteChange::Replace).expect("valid route");
        assert_eq!(message.header.scope, RouteScope::Universe);
        assert_eq!(message.header.table, 254);
        assert_eq!(u8::from(message.header.protocol), 188);
        assert!(message.attributes.contains(&RouteAttribute::Priority(110)));
        assert!(message.attributes.contains(&RouteAttribute::Oif(3)));
        assert_eq!(route_from_message(&message), Some(route));
    }

    #[test]
    fn ecmp_route_becomes_multipath_and_back() {
        let mut second = NextHop::new(Some(v4("10.0.1.2")), Some(4));
        second.weight = 3;
        let route = ospf_route(
            "10.9.0.0",
            16,
            vec![NextHop::new(Some(v4("10.0.0.2")), Some(3)), second],
        );
        let message = route_message(&route, RouteChange::Replace).expect("valid route");
        let multipath = message
            .attributes
            .iter()
            .find_map(|attribute| match attribute {
                RouteAttribute::MultiPath(hops) => Some(hops.clone()),
                _ => None,
            })
            .expect("RTA_MULTIPATH");
        assert_eq!(multipath.len(), 2);
        assert_eq!((multipath[1].hops, multipath[1].interface_index), (2, 4));
        assert!(
            !message
                .attributes
                .iter()
                .any(|a| matches!(a, RouteAttribute::Gateway(_)))
        );
        assert_eq!(route_from_message(&message), Some(route));
    }

    #[test]
    fn device_route_has_link_scope_and_large_tables_use_rta_table() {
        let mut route = ospf_route("192.0.2.0", 24, vec![NextHop::new(None, Some(7))]);
        route.table = 1000;
        let message = route_message(&route, RouteChange::Replace).expect("valid route");
        assert_eq!(message.header.scope, RouteScope::Link);
        assert_eq!(message.header.table, RouteHeader::RT_TABLE_UNSPEC);
        assert!(message.attributes.contains(&RouteAttribute::Table(1000)));
        assert_eq!(route_from_message(&message), Some(route));
    }

    #[test]
    fn ipv4_route_with_ipv6_gateway_uses_via() {
        let gateway: IpAddr = "fe80::1".parse().expect("address");
        let route = ospf_route("10.0.0.0", 8, vec![NextHop::new(Some(gateway), Some(2))]);
        let message = route_message(&route, RouteChange::Replace).expect("valid route");
        assert!(
            message
                .attributes
                .iter()
                .any(|a| matches!(a, RouteAttribute::Via(RouteVia::Inet6(_))))
        );
        assert_eq!(route_from_message(&message), Some(route));
    }

    #[test]
    fn default_route_has_no_destination_attribute() {
        let route = ospf_route("0.0.0.0", 0, vec![NextHop::new(Some(v4("10.0.0.1")), None)]);
        let message = route_message(&route, RouteChange::Replace).expect("valid route");
        assert!(
            !message
                .attributes
                .iter()
                .any(|a| matches!(a, RouteAttribute::Destination(_)))
        );
        assert_eq!(route_from_message(&message), Some(route));
    }

    #[test]
    fn delete_names_the_key_only() {
        let route = ospf_route("10.1.2.0", 24, vec![NextHop::new(Some(v4("10.0.0.2")), Some(3))]);
        let message = route_message(&route, RouteChange::Delete).expect("valid route");
        assert_eq!(message.header.scope, RouteScope::NoWhere);
        assert!(
            !message
                .attributes
                .iter()
                .any(|a| matches!(a, RouteAttribute::Gateway(_) | RouteAttribute::Oif(_)))
        );
        assert!(message.attributes.contains(&RouteAttribute::Priority(110)));
    }

    #[test]
    fn invalid_routes_are_refused_before_the_kernel_sees_them() {
        let no_hops = ospf_route("10.0.0.0", 8, vec![]);
        assert!(route_message(&no_hops, RouteChange::Replace).is_err());
        let too_long = ospf_route("10.0.0.0", 33, vec![NextHop::new(None, Some(1))]);
        assert!(route_message(&too_long, RouteChange::Replace).is_err());
        let empty_hop = ospf_route("10.0.0.0", 8, vec![NextHop::new(None, None)]);
        assert!(route_message(&empty_hop, RouteChange::Replace).is_err());
        let mut v6 = ospf_route("10.0.0.0", 8, vec![NextHop::new(Some(v4("10.0.0.1")), None)]);
        v6.destination = "2001:db8::".parse().expect("address");
        assert!(route_message(&v6, RouteChange::Replace).is_err());
        let many = ospf_route("10.0.0.0", 8, vec![NextHop::new(None, Some(1)); MAX_NEXTHOPS + 1]);
        assert!(route_message(&many, RouteChange::Replace).is_err());
    }

    #[test]
    fn non_unicast_and_cloned_routes_are_not_routes() {
        let mut message = RouteMessage::default();
        message.header.address_family = AddressFamily::Inet;
        message.header.kind = RouteType::Local;
        assert_eq!(route_from_message(&message), None);
        message.header.kind = RouteType::Unicast;
        message.header.flags = RouteFlags::Cloned;
        assert_eq!(route_from_message(&message), None);
        message.header.flags = RouteFlags::empty();
        message.header.address_family = AddressFamily::Mpls;
        assert_eq!(route_from_message(&message), None);
    }

    #[test]
    fn route_filter_selects_protocol_table_and_family() {
        let route = ospf_route("10.0.0.0", 8, vec![]);
        assert!(RouteFilter::all().matches(&route));
        assert!(
            RouteFilter::all()
                .protocol(188)
                .table(254)
                .family(IpFamily::V4)
                .matches(&route)
        );
        assert!(!RouteFilter::all().protocol(186).matches(&route));
        assert!(!RouteFilter::all().table(100).matches(&route));
        assert!(!RouteFilter::all().family(IpFamily::V6).matches(&route));
    }

    fn link_message(index: u32, name: &str) -> LinkMessage {
        let mut message = LinkMessage::default();
        message.header = LinkHeader {
            index,
            flags: LinkFlags::Up | LinkFlags::Broadcast,
            ..LinkHeader::default()
        };
        message.attributes = vec![
            LinkAttribute::IfName(name.to_string()),
            LinkAttribute::Mtu(1500),
            LinkAttribute::OperState(State::LowerLayerDown),
            LinkAttribute::Address(vec![0x02, 0x00, 0x5e, 0x10, 0xab, 0x0c]),
            LinkAttribute::LinkInfo(vec![LinkInfo::Kind(InfoKind::Veth)]),
        ];
        message
    }

    #[test]
    fn link_conversion() {
        let link = link_from_message(&link_message(4, "veth0")).expect("a link");
        assert_eq!(
            link,
            Link {
                ifindex: 4,
                name: "veth0".into(),
                admin_up: true,
                oper_state: "lowerlayerdown".into(),
                mtu: 1500,
                mac: Some("02:00:5e:10:ab:0c".into()),
                kind: Some("veth".into()),
            }
        );
        assert!(!link.is_operational());
        let mut bridge_port = link_message(4, "veth0");
        bridge_port.header.interface_family = AddressFamily::Bridge;
        assert_eq!(link_from_message(&bridge_port), None);
        let mut bare = LinkMessage::default();
        bare.header.index = 1;
        let bare = link_from_message(&bare).expect("a link");
        assert_eq!((bare.oper_state.as_str(), bare.mac, bare.kind), ("unknown", None, None));
    }

    #[test]
    fn address_conversion_prefers_the_local_address() {
        let mut message = AddressMessage::default();
        message.header.family = AddressFamily::Inet;
        message.header.index = 3;
        message.header.prefix_len = 32;
        message.attributes = vec![
            AddressAttribute::Address(v4("10.0.0.9")),
            AddressAttribute::Local(v4("10.0.0.1")),
        ];
        assert_eq!(
            address_from_message(&message),
            Some(Address {
                ifindex: 3,
                address: v4("10.0.0.1"),
                prefix_len: 32
            })
        );
        let built = address_message(5, "2001:db8::1".parse().expect("address"), 64).expect("valid");
        let address = address_from_message(&built).expect("an address");
        assert_eq!(
            (address.ifindex, address.prefix_len, address.family()),
            (5, 64, IpFamily::V6)
        );
        assert!(address_message(5, v4("10.0.0.1"), 33).is_err());
        assert!(address_message(0, v4("10.0.0.1"), 24).is_err());
    }

    fn serialized(message: RouteNetlinkMessage) -> Vec<u8> {
        let mut message = NetlinkMessage::from(message);
        message.finalize();
        let mut bytes = vec![0; message.buffer_len()];
        message.serialize(&mut bytes);
        bytes
    }

    #[test]
    fn datagrams_decode_to_events_in_order() {
        let route = ospf_route("10.1.0.0", 16, vec![NextHop::new(Some(v4("10.0.0.2")), Some(3))]);
        let mut datagram = serialized(RouteNetlinkMessage::NewLink(link_message(4, "veth0")));
        datagram.extend(serialized(RouteNetlinkMessage::NewAddress(
            address_message(4, v4("10.0.0.1"), 24).expect("valid"),
        )));
        datagram.extend(serialized(RouteNetlinkMessage::DelRoute(
            route_message(&route, RouteChange::Replace).expect("valid"),
        )));
        datagram.extend(serialized(RouteNetlinkMessage::DelLink(link_message(4, "veth0"))));
        let mut events = VecDeque::new();
        assert_eq!(decode_datagram(&datagram, &mut events), Decoded::default());
        let events: Vec<_> = events.into_iter().collect();
        assert_eq!(events.len(), 4, "{events:?}");
        assert!(matches!(&events[0], NetlinkEvent::LinkChanged(link) if link.name == "veth0"));
        assert_eq!(
            events[1],
            NetlinkEvent::AddressAdded(Address {
                ifindex: 4,
                address: v4("10.0.0.1"),
                prefix_len: 24
            })
        );
        assert_eq!(events[2], NetlinkEvent::RouteRemoved(route));
        assert_eq!(
            events[3],
            NetlinkEvent::LinkRemoved {
                ifindex: 4,
                name: "veth0".into()
            }
        );
    }

    #[test]
    fn odd_datagrams_are_counted_not_fatal() {
        let mut events = VecDeque::new();
        // Length field shorter than a header, then longer than the datagram.
        let mut bad = vec![0u8; 20];
        bad[0] = 8;
        assert_eq!(decode_datagram(&bad, &mut events).undecodable, 1);
        bad[0] = 200;
        assert_eq!(decode_datagram(&bad, &mut events).undecodable, 1);
        assert_eq!(decode_datagram(&[1, 2, 3], &mut events), Decoded::default());
        // An overrun message.
        let mut overrun = vec![0u8; 16];
        overrun[0] = 16;
        overrun[4] = 4; // NLMSG_OVERRUN
        assert!(decode_datagram(&overrun, &mut events).overrun);
        assert!(events.is_empty());
    }

    #[test]
    fn events_serialize_with_a_tag() {
        let event = NetlinkEvent::LinkRemoved {
            ifindex: 4,
            name: "veth0".into(),
        };
        assert_eq!(
            serde_json::to_value(&event).expect("json"),
            serde_json::json!({"event": "link_removed", "ifindex": 4, "name": "veth0"})
        );
    }

    #[test]
    fn errors_say_what_was_attempted() {
        let route = ospf_route("10.0.0.2", 32, vec![]);
        let error = NetlinkError::refused(format!("route replace {}", route.describe()), libc::EEXIST, None);
        assert_eq!(error.to_string(), "route replace 10.0.0.2/32 proto 188: File exists");
        assert!(error.is_already_present());
        let error = NetlinkError::refused("route delete x", libc::ESRCH, Some("no such route".into()));
        assert_eq!(error.to_string(), "route delete x: No such process (no such route)");
        assert!(error.is_not_found());
    }

    #[test]
    fn extended_ack_messages_are_found_and_odd_ones_ignored() {
        const CAPPED_WITH_TLVS: u16 = 0x100 | 0x200;
        let mut payload = vec![0u8; 16]; // echoed request header
        let text = b"Nexthop device is not up\0";
        let length = (4 + text.len()) as u16;
        payload.extend(length.to_ne_bytes());
        payload.extend(1u16.to_ne_bytes());
        payload.extend(text);
        assert_eq!(
            extended_ack_message(CAPPED_WITH_TLVS, &payload).as_deref(),
            Some("Nexthop device is not up")
        );
        assert_eq!(extended_ack_message(0x100, &payload), None);
        assert_eq!(extended_ack_message(CAPPED_WITH_TLVS, &payload[..18]), None);
        let mut lying = payload.clone();
        lying[16] = 0xff;
        lying[17] = 0xff;
        assert_eq!(extended_ack_message(CAPPED_WITH_TLVS, &lying), None);
        // Not capped: the request is echoed whole; its length comes from the echoed header.
        let mut uncapped = vec![0u8; 24];
        uncapped[0] = 24;
        uncapped.extend_from_slice(&payload[16..]);
        assert_eq!(
            extended_ack_message(0x200, &uncapped).as_deref(),
            Some("Nexthop device is not up")
        );
    }

    // ───────────── root tests, each in a network namespace of its own ─────────────

    async fn until<T>(what: &str, mut probe: impl AsyncFnMut() -> Option<T>) -> T {
        for _ in 0..100 {
            if let Some(value) = probe().await {
                return value;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("timed out waiting for {what}");
    }

    /// Reads events until `wanted` matches one, returning everything seen.
    async fn watch_for(watcher: &mut Watcher, what: &str, wanted: impl Fn(&NetlinkEvent) -> bool) -> Vec<NetlinkEvent> {
        let mut seen = Vec::new();
        loop {
            let event = tokio::time::timeout(Duration::from_secs(5), watcher.next())
                .await
                .unwrap_or_else(|_| panic!("no event {what}; saw {seen:?}"))
                .expect("watcher ended");
            let done = wanted(&event);
            seen.push(event);
            if done {
                return seen;
            }
        }
    }

    #[test]
    fn netns_links_addresses_and_their_events() {
        in_private_netns("netns_links_addresses_and_their_events", || async {
            let netlink = Netlink::connect().await.expect("connect");
            let mut watcher = netlink.watch().expect("watch");
            netlink.set_link_up(1).await;
            sysctl("net/ipv6/conf/default/accept_dad", "0");
            let (veth0, veth1) = netlink.create_veth_pair("veth0", "veth1").await;

            let links = netlink.links().await.expect("links");
            let lo = links.iter().find(|link| link.ifindex == 1).expect("lo");
            assert_eq!((lo.name.as_str(), lo.kind.as_deref(), lo.admin_up), ("lo", None, true));
            let veth = links.iter().find(|link| link.ifindex == veth0).expect("veth0");
            assert_eq!((veth.name.as_str(), veth.kind.as_deref()), ("veth0", Some("veth")));
            assert!(veth.mac.as_ref().is_some_and(|mac| mac.len() == 17), "{veth:?}");
            assert!(veth.admin_up);
            watch_for(
                &mut watcher,
                "veth0 changed",
                |event| matches!(event, NetlinkEvent::LinkChanged(link) if link.ifindex == veth0),
            )
            .await;

            let v4_address = Address {
                ifindex: veth0,
                address: v4("10.0.0.1"),
                prefix_len: 24,
            };
            let v6_address = Address {
                ifindex: veth1,
                address: "2001:db8::1".parse().expect("address"),
                prefix_len: 64,
            };
            for address in [v4_address, v6_address] {
                netlink
                    .address_add(address.ifindex, address.address, address.prefix_len)
                    .await
                    .expect("address add");
            }
            let addresses = netlink.addresses().await.expect("addresses");
            assert!(addresses.contains(&v4_address), "{addresses:?}");
            assert!(addresses.contains(&v6_address), "{addresses:?}");
            watch_for(&mut watcher, "10.0.0.1 added", |event| {
                *event == NetlinkEvent::AddressAdded(v4_address)
            })
            .await;
            watch_for(&mut watcher, "2001:db8::1 added", |event| {
                *event == NetlinkEvent::AddressAdded(v6_address)
            })
            .await;

            let again = netlink
                .address_add(veth0, v4("10.0.0.1"), 24)
                .await
                .expect_err("duplicate");
            assert!(again.is_already_present(), "{again}");
            // The kernel's extended ack may add its own explanation in parentheses.
            assert!(
                again
                    .to_string()
                    .starts_with(&format!("address add 10.0.0.1/24 ifindex {veth0}: File exists")),
                "{again}"
            );

            netlink
                .address_delete(veth0, v4("10.0.0.1"), 24)
                .await
                .expect("address delete");
            watch_for(&mut watcher, "10.0.0.1 removed", |event| {
                *event == NetlinkEvent::AddressRemoved(v4_address)
            })
            .await;
            assert!(!netlink.addresses().await.expect("addresses").contains(&v4_address));
            let gone = netlink
                .address_delete(veth0, v4("10.0.0.1"), 24)
                .await
                .expect_err("already gone");
            assert!(gone.is_not_found(), "{gone}");
        });
    }

    #[test]
    fn netns_routes_replace_ecmp_and_delete() {
        in_private_netns("netns_routes_replace_ecmp_and_delete", || async {
            let netlink = Netlink::connect().await.expect("connect");
            let mut watcher = netlink.watch().expect("watch");
            netlink.set_link_up(1).await;
            let (veth0, veth1) = netlink.create_veth_pair("veth0", "veth1").await;
            netlink.address_add(veth0, v4("10.0.0.1"), 24).await.expect("address");
            netlink.address_add(veth1, v4("10.0.1.1"), 24).await.expect("address");
            let ospf = RouteFilter::all().protocol(RTPROT_OSPF);
            // Wait for the connected routes (the interfaces' carrier comes up asynchronously).
            until("connected routes", async || {
                let routes = netlink
                    .routes(RouteFilter::all().family(IpFamily::V4))
                    .await
                    .expect("routes");
                let connected = routes.iter().filter(|route| route.protocol == 2).count();
                (connected >= 2).then_some(())
            })
            .await;

            let single = ospf_route("10.9.9.0", 24, vec![NextHop::new(Some(v4("10.0.0.2")), Some(veth0))]);
            netlink.route_replace(&single).await.expect("route replace");
            assert_eq!(netlink.routes(ospf).await.expect("routes"), vec![single.clone()]);
            watch_for(&mut watcher, "single route added", |event| {
                *event == NetlinkEvent::RouteAdded(single.clone())
            })
            .await;

            let ecmp = ospf_route(
                "10.8.8.0",
                24,
                vec![
                    NextHop::new(Some(v4("10.0.0.2")), Some(veth0)),
                    NextHop::new(Some(v4("10.0.1.2")), Some(veth1)),
                ],
            );
            netlink.route_replace(&ecmp).await.expect("ecmp replace");
            let mut routes = netlink.routes(ospf).await.expect("routes");
            routes.sort_by_key(|route| route.destination);
            assert_eq!(routes, vec![ecmp.clone(), single.clone()]);
            watch_for(&mut watcher, "ecmp route added", |event| {
                *event == NetlinkEvent::RouteAdded(ecmp.clone())
            })
            .await;

            // Replace: same key, new nexthop; still one route.
            let moved = ospf_route("10.9.9.0", 24, vec![NextHop::new(Some(v4("10.0.1.3")), Some(veth1))]);
            netlink.route_replace(&moved).await.expect("replace again");
            let routes = netlink.routes(ospf.table(RT_TABLE_MAIN)).await.expect("routes");
            assert!(routes.contains(&moved) && !routes.contains(&single), "{routes:?}");
            assert_eq!(routes.len(), 2);

            // IPv6, with a link-local gateway.
            let v6 = Route {
                destination: "2001:db8:99::".parse().expect("address"),
                prefix_len: 64,
                table: RT_TABLE_MAIN,
                protocol: RTPROT_OSPF,
                metric: 110,
                nexthops: vec![NextHop::new(Some("fe80::2".parse().expect("address")), Some(veth0))],
            };
            netlink.route_replace(&v6).await.expect("v6 replace");
            assert_eq!(
                netlink.routes(ospf.family(IpFamily::V6)).await.expect("routes"),
                vec![v6.clone()]
            );

            // The kernel's refusals name the route.
            let unreachable = ospf_route("10.7.0.0", 16, vec![NextHop::new(Some(v4("192.0.2.1")), None)]);
            let error = netlink
                .route_replace(&unreachable)
                .await
                .expect_err("no route to the gateway");
            assert!(
                error
                    .to_string()
                    .starts_with("route replace 10.7.0.0/16 proto 188: Network is unreachable"),
                "{error}"
            );

            for route in [&moved, &ecmp, &v6] {
                netlink.route_delete(route).await.expect("route delete");
            }
            watch_for(
                &mut watcher,
                "ecmp route removed",
                |event| matches!(event, NetlinkEvent::RouteRemoved(route) if route.destination == ecmp.destination),
            )
            .await;
            assert_eq!(netlink.routes(ospf).await.expect("routes"), vec![]);
            let error = netlink.route_delete(&ecmp).await.expect_err("already gone");
            assert!(error.is_not_found(), "{error}");
        });
    }

    #[test]
    fn netns_overrun_becomes_a_resync() {
        in_private_netns("netns_overrun_becomes_a_resync", || async {
            let netlink = Netlink::connect().await.expect("connect");
            let (veth0, _) = netlink.create_veth_pair("veth0", "veth1").await;
            let mut watcher = netlink.watch().expect("watch");
            watcher.shrink_receive_buffer(4096);
            let added: Vec<Address> = (1..=200u8)
                .map(|host| Address {
                    ifindex: veth0,
                    address: IpAddr::V4(Ipv4Addr::new(10, 20, 0, host)),
                    prefix_len: 32,
                })
                .collect();
            for address in &added {
                netlink
                    .address_add(address.ifindex, address.address, address.prefix_len)
                    .await
                    .expect("address add");
            }
            let seen = watch_for(&mut watcher, "a resync", |event| {
                matches!(event, NetlinkEvent::Resync { .. })
            })
            .await;
            let Some(NetlinkEvent::Resync { links, addresses, .. }) = seen.last() else {
                unreachable!("watch_for returns the matching event last")
            };
            assert!(links.iter().any(|link| link.ifindex == veth0));
            assert!(added.iter().all(|address| addresses.contains(address)));
            assert_eq!(watcher.resyncs(), 1);
        });
    }
}
