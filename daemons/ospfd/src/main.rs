//! okapi-ospfd: the OSPFv2 daemon. A thin binary: the protocol is okapi-ospf's sans-IO
//! [`Instance`], everything that touches the OS is okapi-runtime's. One task owns the
//! instance and feeds it:
//!
//! ```text
//!               ┌──────────────────────── main loop (owns Instance) ────────────────────────┐
//!  raw socket ─►│ packet ─► Input::Packet                                                    │─► send (IP_PKTINFO:
//!  (proto 89)   │ sleep_until(next_deadline) ─► Input::Tick                                  │   ifindex, source)
//!  netlink ────►│ link/address event ─► links::apply ─► InterfaceUp/Down, AddressAdded/...  │─► Fib (route task):
//!  watch task   │   names re-resolved ─► Input::ConfigChanged                                │   replace/delete
//!  lifecycle ──►│ SIGHUP ─► ConfigChanged; SIGTERM ─► stop (routes removed unless kept)     │   proto 188
//!  control ────►│ query ─► view at the instance's now ─► oneshot reply                       │─► multicast joins,
//!               └────────────────────────────────────────────────────────────────────────────┘   rejected-log
//! ```
//!
//! One raw socket serves every interface: with `IP_MULTICAST_ALL` off it receives only the
//! groups joined (224.0.0.5 on every OSPF interface that is not passive, 224.0.0.6 where the
//! interface is DR or Backup) plus unicast to our addresses, and `IP_PKTINFO` tells the
//! arrival interface and picks the departure one. One socket per interface would add
//! nothing but descriptors and `SO_BINDTODEVICE` races when interfaces come and go.

mod config;
mod control;
mod fib;
mod links;

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use okapi_ospf::instance::{ALL_D_ROUTERS, ALL_SPF_ROUTERS};
use okapi_ospf::interface::InterfaceState;
use okapi_ospf::{Input, Instance, Output};
use okapi_runtime::daemon::{self, Context, DaemonSpec, Lifecycle};
use okapi_runtime::interfaces::InterfaceTable;
use okapi_runtime::netlink::{IpFamily, NetlinkEvent, RT_TABLE_MAIN, RTPROT_OSPF, RouteFilter};
use okapi_runtime::rawsock::{IPPROTO_OSPF, MAX_DATAGRAM, RawSocketV4, ReceivedV4};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::config::OspfdConfig;
use crate::fib::Fib;
use okapi_runtime::rejects::RejectLog;

const SPEC: DaemonSpec = DaemonSpec {
    name: "okapi-ospfd",
    table: "ospf",
};

/// Netlink events waiting for the main loop at most; when full, the watcher waits and the
/// kernel's socket buffer takes over (its overrun becomes a resync).
const NETLINK_QUEUE: usize = 1_024;
/// IP precedence "internetwork control", as OSPF packets carry it (RFC 2328 A.1).
const TOS_INTERNETWORK_CONTROL: u8 = 0xc0;
/// How long removing our routes may take on stop.
const STOP_LIMIT: Duration = Duration::from_secs(30);
/// Refusals that happen in normal operation while adjacencies and interfaces change state
/// (a packet that arrives just before its interface is up or just after it left the
/// configuration, a flood racing the database exchange): logged at debug level, counted like
/// the others.
const TRANSIENT_REJECTS: &[&str] = &[
    "interface-down",
    "unknown-interface",
    "neighbor-state",
    "unknown-neighbor",
];
/// Send and receive errors are logged at most this often.
const IO_LOG_INTERVAL: Duration = Duration::from_secs(10);

fn main() -> ExitCode {
    daemon::main(SPEC, run)
}

/// Socket-level counters, shown under `io` in `GET /ospf`.
#[derive(Debug, Default)]
struct IoCounters {
    sent: u64,
    send_errors: u64,
    receive_errors: u64,
    truncated: u64,
    last_send_error: Option<String>,
    last_logged: Option<Instant>,
}

struct Daemon {
    config: OspfdConfig,
    config_path: String,
    instance: Instance,
    /// The links and addresses as the instance was told.
    links: InterfaceTable,
    socket: RawSocketV4,
    fib: Fib,
    /// Multicast groups joined, by (group, ifindex).
    joined: BTreeSet<(Ipv4Addr, u32)>,
    /// Interfaces where we are DR or Backup (they join AllDRouters).
    designated: BTreeSet<u32>,
    /// The address each OSPF interface runs on: the source of what it sends.
    sources: BTreeMap<u32, Ipv4Addr>,
    rejects: RejectLog,
    crypto_sequence_start: u32,
    ttl: Option<u8>,
    multicast_interface: Option<u32>,
    io: IoCounters,
}

async fn run(mut context: Context<OspfdConfig>) -> Result<(), String> {
    let netlink = context.netlink.clone();
    // Subscribe first, dump second: events queued meanwhile bring the dump up to date.
    let (mut events, watch_task) = netlink
        .watch_channel(NETLINK_QUEUE)
        .map_err(|error| error.to_string())?;
    let links = netlink.links().await.map_err(|error| error.to_string())?;
    let addresses = netlink.addresses().await.map_err(|error| error.to_string())?;
    let table = InterfaceTable::from_dump(links, addresses);
    let existing = netlink
        .routes(
            RouteFilter::all()
                .protocol(RTPROT_OSPF)
                .table(RT_TABLE_MAIN)
                .family(IpFamily::V4),
        )
        .await
        .map_err(|error| error.to_string())?;

    let config = context.config.clone();
    let grace = config.max_dead_interval() + fib::GRACE_MARGIN;
    let fib = Fib::start(netlink.clone(), existing, config.distance, grace);

    let socket = RawSocketV4::open(IPPROTO_OSPF).map_err(|error| format!("raw socket (IP protocol 89): {error}"))?;
    if let Err(error) = socket.set_tos(TOS_INTERNETWORK_CONTROL) {
        tracing::warn!(%error, "cannot set IP_TOS on the OSPF socket");
    }

    // D.4.3: the cryptographic sequence number must not go down across restarts.
    let crypto_sequence_start = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| u32::try_from(elapsed.as_secs()).unwrap_or(u32::MAX));
    let now = Instant::now();
    let (instance, outputs) = Instance::new(
        config.protocol_config(&InterfaceTable::new(), crypto_sequence_start),
        now,
    );
    let mut daemon = Daemon {
        config_path: context.config_path.display().to_string(),
        config,
        instance,
        links: InterfaceTable::new(),
        socket,
        fib,
        joined: BTreeSet::new(),
        designated: BTreeSet::new(),
        sources: BTreeMap::new(),
        rejects: RejectLog::default(),
        crypto_sequence_start,
        ttl: None,
        multicast_interface: None,
        io: IoCounters::default(),
    };
    daemon.carry_out(outputs, now).await;
    // The dump, as if every link and address had just appeared (the Fib has the routes).
    daemon
        .apply_links(&NetlinkEvent::Resync {
            links: table.iter().map(|interface| interface.link.clone()).collect(),
            addresses: table
                .iter()
                .flat_map(|interface| interface.addresses.iter().copied())
                .collect(),
            routes: Vec::new(),
        })
        .await;
    daemon.warn_unresolved();
    tracing::info!(
        router_id = %daemon.config.router_id,
        interfaces = daemon.config.interfaces.len(),
        distance = daemon.config.distance,
        "OSPF running"
    );

    let (control_tx, mut control_rx) = mpsc::channel(control::QUEUE);
    control::register(&context.router, control_tx);

    let mut buffer = vec![0u8; MAX_DATAGRAM];
    let mut watching = true;
    loop {
        let deadline = daemon.instance.next_deadline();
        let sleep = async move {
            match deadline {
                Some(at) => tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            received = daemon.socket.recv(&mut buffer) => match received {
                Ok(received) => daemon.packet(&buffer, received).await,
                Err(error) => {
                    daemon.io.receive_errors += 1;
                    tracing::warn!(%error, "receiving on the OSPF socket failed");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            },
            () = sleep => daemon.handle(Input::Tick).await,
            event = events.recv(), if watching => match event {
                Some(event) => daemon.netlink_event(event).await,
                None => {
                    watching = false;
                    tracing::error!("netlink watch ended: interface and address changes are no longer followed");
                }
            },
            lifecycle = context.lifecycle.recv() => match lifecycle {
                Some(Lifecycle::Reload(config)) => daemon.reload(config).await,
                Some(Lifecycle::Stop) | None => break,
            },
            Some(request) = control_rx.recv() => {
                let answer = daemon.answer(&request.query);
                let _ = request.reply.send(answer);
            }
        }
    }
    watch_task.abort();
    // §14.1: our LSAs flushed, so that the neighbors route around us now rather than after
    // the dead interval (sent before the routes go).
    daemon.handle(Input::Shutdown).await;
    let keep = daemon.config.keep_routes_on_stop;
    tracing::info!(keep_routes = keep, "stopping");
    daemon.fib.stop(keep, STOP_LIMIT).await;
    Ok(())
}

impl Daemon {
    async fn handle(&mut self, input: Input) {
        let now = Instant::now();
        let outputs = self.instance.handle(input, now);
        self.carry_out(outputs, now).await;
    }

    async fn packet(&mut self, buffer: &[u8], received: ReceivedV4) {
        if received.truncated {
            // Never with a MAX_DATAGRAM buffer; counted and logged all the same.
            self.io.truncated += 1;
            self.log_rejected(received.ifindex, received.source, "truncated-datagram", Instant::now());
            return;
        }
        let input = Input::Packet {
            ifindex: received.ifindex,
            source: received.source,
            destination: received.destination,
            ttl: received.ttl.unwrap_or(0),
            bytes: Bytes::copy_from_slice(received.payload(buffer)),
        };
        self.handle(input).await;
    }

    fn interface_name(&self, ifindex: u32) -> String {
        self.links.get(ifindex).map_or_else(
            || format!("ifindex {ifindex}"),
            |interface| interface.name().to_string(),
        )
    }

    async fn carry_out(&mut self, outputs: Vec<Output>, now: Instant) {
        let mut interfaces_changed = false;
        for output in outputs {
            match output {
                Output::Send {
                    ifindex,
                    destination,
                    ttl,
                    bytes,
                } => self.send(ifindex, destination, ttl, &bytes).await,
                Output::RoutesChanged(changes) => {
                    tracing::debug!(changes = changes.len(), "routing table changed");
                    self.fib.apply(&changes);
                }
                Output::NeighborChanged {
                    ifindex,
                    router_id,
                    address,
                    from,
                    to,
                    event,
                } => tracing::info!(
                    interface = %self.interface_name(ifindex),
                    neighbor = %router_id,
                    %address,
                    "neighbor {} -> {} ({event:?})",
                    from.name(),
                    to.name()
                ),
                Output::InterfaceChanged {
                    ifindex,
                    from,
                    to,
                    event,
                } => {
                    tracing::info!(
                        interface = %self.interface_name(ifindex),
                        "interface {from:?} -> {to:?} ({event:?})"
                    );
                    if matches!(to, InterfaceState::DR | InterfaceState::Backup) {
                        self.designated.insert(ifindex);
                    } else {
                        self.designated.remove(&ifindex);
                    }
                    interfaces_changed = true;
                }
                Output::Rejected {
                    ifindex,
                    source,
                    reason,
                } => self.log_rejected(ifindex, source, reason, now),
            }
        }
        if interfaces_changed {
            self.refresh_sources(now);
            self.sync_memberships();
        }
    }

    /// Logs a refused packet (the counter is the caller's), at most one line per interface
    /// and reason per [`okapi_runtime::rejects::LOG_INTERVAL`].
    fn log_rejected(&mut self, ifindex: u32, source: Ipv4Addr, reason: &'static str, now: Instant) {
        let Some(line) = self.rejects.note(ifindex, reason, source.into(), now) else {
            return;
        };
        let interface = self.interface_name(ifindex);
        let suppressed = line.suppressed;
        if TRANSIENT_REJECTS.contains(&reason) {
            tracing::debug!(%interface, %source, suppressed, "packet refused: {reason}");
        } else {
            tracing::warn!(%interface, %source, suppressed, "packet refused: {reason}");
        }
    }

    async fn send(&mut self, ifindex: u32, destination: Ipv4Addr, ttl: u8, bytes: &[u8]) {
        if self.ttl != Some(ttl) {
            let set = self
                .socket
                .set_multicast_ttl(ttl)
                .and_then(|()| self.socket.set_unicast_ttl(ttl));
            match set {
                Ok(()) => self.ttl = Some(ttl),
                Err(error) => tracing::warn!(%error, ttl, "cannot set the TTL of the OSPF socket"),
            }
        }
        if destination.is_multicast() && self.multicast_interface != Some(ifindex) {
            // IP_PKTINFO below picks the interface already; IP_MULTICAST_IF keeps the
            // socket's default in step for any path that ignores it.
            match self.socket.set_multicast_interface(ifindex) {
                Ok(()) => self.multicast_interface = Some(ifindex),
                Err(error) => tracing::debug!(%error, ifindex, "IP_MULTICAST_IF"),
            }
        }
        let source = self.sources.get(&ifindex).copied();
        match self.socket.send_from(bytes, source, destination, ifindex).await {
            Ok(_) => self.io.sent += 1,
            Err(error) => {
                self.io.send_errors += 1;
                let message = format!(
                    "sending {} bytes to {destination} on {}: {error}",
                    bytes.len(),
                    self.interface_name(ifindex)
                );
                let now = Instant::now();
                if self
                    .io
                    .last_logged
                    .is_none_or(|at| now.saturating_duration_since(at) >= IO_LOG_INTERVAL)
                {
                    tracing::warn!(errors = self.io.send_errors, "{message}");
                    self.io.last_logged = Some(now);
                }
                self.io.last_send_error = Some(message);
            }
        }
    }

    /// The address each OSPF interface runs on (the source of what it sends).
    fn refresh_sources(&mut self, now: Instant) {
        self.sources = self
            .instance
            .interfaces_view(now)
            .into_iter()
            .filter_map(|view| Some((view.ifindex, view.address?)))
            .collect();
    }

    /// Joins AllSPFRouters on every OSPF interface that exists and is not passive, and
    /// AllDRouters where we are DR or Backup; leaves what is no longer wanted. A join that
    /// fails is retried at the next change.
    fn sync_memberships(&mut self) {
        let mut wanted = BTreeSet::new();
        for spec in self.config.interfaces.iter().filter(|spec| !spec.passive) {
            if let Some(link) = self.links.by_name(&spec.name) {
                wanted.insert((ALL_SPF_ROUTERS, link.ifindex()));
                if self.designated.contains(&link.ifindex()) {
                    wanted.insert((ALL_D_ROUTERS, link.ifindex()));
                }
            }
        }
        let leave: Vec<(Ipv4Addr, u32)> = self.joined.difference(&wanted).copied().collect();
        for (group, ifindex) in leave {
            if let Err(error) = self.socket.leave_multicast(group, ifindex) {
                tracing::debug!(%error, %group, ifindex, "leaving a multicast group");
            }
            self.joined.remove(&(group, ifindex));
        }
        let join: Vec<(Ipv4Addr, u32)> = wanted.difference(&self.joined).copied().collect();
        for (group, ifindex) in join {
            match self.socket.join_multicast(group, ifindex) {
                Ok(()) => {
                    tracing::debug!(%group, interface = %self.interface_name(ifindex), "joined");
                    self.joined.insert((group, ifindex));
                }
                Err(error) => tracing::warn!(
                    %error,
                    %group,
                    interface = %self.interface_name(ifindex),
                    "cannot join the multicast group; retrying at the next change"
                ),
            }
        }
    }

    async fn netlink_event(&mut self, event: NetlinkEvent) {
        match &event {
            NetlinkEvent::RouteRemoved(route) if route.protocol == RTPROT_OSPF && route.table == RT_TABLE_MAIN => {
                self.fib.route_removed(route);
                return;
            }
            NetlinkEvent::RouteAdded(_) | NetlinkEvent::RouteRemoved(_) => return,
            NetlinkEvent::LinkRemoved { ifindex, .. } => {
                // The kernel dropped the link's memberships and flushed its routes.
                self.joined.retain(|(_, joined)| joined != ifindex);
                self.designated.remove(ifindex);
                self.fib.link_down(*ifindex);
            }
            NetlinkEvent::LinkChanged(link) if !link.is_operational() => self.fib.link_down(link.ifindex),
            NetlinkEvent::Resync { routes, .. } => self.fib.resync(routes),
            _ => {}
        }
        self.apply_links(&event).await;
    }

    /// Tells the instance what a link or address event (or a whole dump) changed, then
    /// re-resolves the configured interface names.
    async fn apply_links(&mut self, event: &NetlinkEvent) {
        let resync = matches!(event, NetlinkEvent::Resync { .. });
        let inputs = links::apply(&mut self.links, event);
        if resync {
            // Interfaces that vanished while events were lost.
            let present: BTreeSet<u32> = self.links.iter().map(|interface| interface.ifindex()).collect();
            self.joined.retain(|(_, ifindex)| present.contains(ifindex));
            self.designated.retain(|ifindex| present.contains(ifindex));
        }
        for input in inputs {
            self.handle(input).await;
        }
        self.apply_config().await;
    }

    /// Re-resolves interface names and hands the instance its configuration if it changed.
    async fn apply_config(&mut self) {
        let wanted = self.config.protocol_config(&self.links, self.crypto_sequence_start);
        if &wanted != self.instance.config() {
            self.handle(Input::ConfigChanged(Box::new(wanted))).await;
        }
        self.refresh_sources(Instant::now());
        self.sync_memberships();
    }

    async fn reload(&mut self, config: OspfdConfig) {
        self.fib.set_distance(config.distance);
        self.config = config;
        self.apply_config().await;
        self.warn_unresolved();
        tracing::info!(router_id = %self.config.router_id, "configuration applied");
    }

    fn unresolved(&self) -> Vec<String> {
        self.config
            .interfaces
            .iter()
            .filter(|spec| self.links.by_name(&spec.name).is_none())
            .map(|spec| spec.name.clone())
            .collect()
    }

    fn warn_unresolved(&self) {
        for name in self.unresolved() {
            tracing::warn!(interface = %name, "configured interface does not exist; OSPF starts on it when it appears");
        }
    }

    fn answer(&self, query: &control::Query) -> Result<Value, okapi_runtime::control::ApiError> {
        control::answer(&self.instance, query, Instant::now(), || {
            let groups: Vec<Value> = self
                .joined
                .iter()
                .map(|(group, ifindex)| json!({"group": group, "interface": self.interface_name(*ifindex)}))
                .collect();
            json!({
                "kernel": self.fib.stats(),
                "io": {
                    "sent": self.io.sent,
                    "send_errors": self.io.send_errors,
                    "last_send_error": self.io.last_send_error,
                    "receive_errors": self.io.receive_errors,
                    "truncated": self.io.truncated,
                    "multicast_groups": groups,
                },
                "unresolved_interfaces": self.unresolved(),
                "config_file": self.config_path,
                "keep_routes_on_stop": self.config.keep_routes_on_stop,
            })
        })
    }
}
