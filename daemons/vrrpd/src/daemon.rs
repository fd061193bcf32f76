//! The main loop of okapi-vrrpd and what it does with the routers' outputs (see main.rs for
//! the picture).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use okapi_runtime::announce::{Announcer, parse_mac};
use okapi_runtime::daemon::{Context, Lifecycle};
use okapi_runtime::interfaces::InterfaceTable;
use okapi_runtime::netlink::{IpFamily, Netlink, NetlinkEvent};
use okapi_runtime::rawsock::{IPPROTO_VRRP, MAX_DATAGRAM, RawSocketV4, RawSocketV6};
use okapi_runtime::rejects::RejectLog;
use okapi_runtime::timer::PreciseTimer;
use okapi_runtime::vmac;
use okapi_vrrp::{Advertisement, Output, State, SyncGroup};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::accept::AcceptFilter;
use crate::config::VrrpdConfig;
use crate::control::{self, Query};
use crate::instance::{Instance, effective_priority, router_config, set_auth};
use crate::notify::{Notification, Notifier};
use crate::trackers::{REPORT_QUEUE, Report, Tracker};

/// RFC 5798 §5.1.1.2: the IPv4 multicast address of VRRP.
pub const VRRP_GROUP_V4: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 18);
/// RFC 5798 §5.1.2.2: the IPv6 multicast address of VRRP.
pub const VRRP_GROUP_V6: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12);
/// RFC 5798 §5.1.1.3 / §5.1.2.3: adverts are sent, and must arrive, with TTL (hop limit) 255.
const VRRP_TTL: u8 = 255;
/// IP precedence "internetwork control" (keepalived sends adverts with it too).
const TOS_INTERNETWORK_CONTROL: u8 = 0xc0;
const NETLINK_QUEUE: usize = 1_024;
/// How long stopping may take (priority-0 adverts, VIPs, macvlans, hooks).
const STOP_HOOKS_LIMIT: Duration = Duration::from_secs(5);
/// The priority of every instance of a drained node: below any peer's, so that the peers
/// preempt (RFC 5798 §6.4.2) and take the VIPs over before this node lets them go, but still
/// a candidate if no peer is left.
const DRAIN_PRIORITY: u8 = 1;
/// Refusals logged at debug level only: normal on a LAN with other virtual routers.
const QUIET_REJECTS: &[&str] = &["unknown-vrid"];

/// Socket-level counters and refusals the routers do not see, under `io` in `GET /vrrp`.
#[derive(Debug, Default)]
struct IoCounters {
    received: u64,
    sent: u64,
    send_errors: u64,
    receive_errors: u64,
    /// Refused before reaching an instance (decode errors, unknown VRID), by reason.
    rejected: BTreeMap<&'static str, u64>,
    announcements_sent: u64,
    announcement_errors: u64,
    address_errors: u64,
    last_error: Option<String>,
}

struct Daemon {
    config: VrrpdConfig,
    netlink: Netlink,
    links: InterfaceTable,
    instances: Vec<Instance>,
    trackers: BTreeMap<String, Tracker>,
    reports: mpsc::Sender<Report>,
    socket4: RawSocketV4,
    socket6: RawSocketV6,
    joined4: BTreeSet<u32>,
    joined6: BTreeSet<u32>,
    announcer: Option<Arc<Announcer>>,
    /// Gratuitous ARP / NA bursts in progress, by instance name.
    bursts: HashMap<String, JoinHandle<()>>,
    notifier: Notifier,
    rejects: RejectLog,
    io: IoCounters,
    /// Transitions to report to hooks and sync groups after the outputs are carried out.
    pending_transitions: Vec<(usize, State, State, String)>,
    /// The sync groups, with the indexes of their member instances.
    groups: Vec<(SyncGroup, Vec<usize>)>,
    /// Non-accept mode's nftables rules.
    accept: AcceptFilter,
    /// `okapi drain`: every instance at priority 1 until undrained.
    drained: bool,
}

pub async fn run(mut context: Context<VrrpdConfig>) -> Result<(), String> {
    let netlink = context.netlink.clone();
    // Subscribe first, dump second: events queued meanwhile bring the dump up to date.
    let (mut events, watch_task) = netlink
        .watch_channel(NETLINK_QUEUE)
        .map_err(|error| error.to_string())?;
    let links = netlink.links().await.map_err(|error| error.to_string())?;
    let addresses = netlink.addresses().await.map_err(|error| error.to_string())?;
    let links = InterfaceTable::from_dump(links, addresses);

    let socket4 = RawSocketV4::open(IPPROTO_VRRP).map_err(|error| format!("raw socket (IP protocol 112): {error}"))?;
    socket4
        .set_ttl(VRRP_TTL)
        .map_err(|error| format!("IPv4 TTL 255 on the VRRP socket: {error}"))?;
    if let Err(error) = socket4.set_tos(TOS_INTERNETWORK_CONTROL) {
        tracing::warn!(%error, "cannot set IP_TOS on the VRRP socket");
    }
    let socket6 =
        RawSocketV6::open(IPPROTO_VRRP).map_err(|error| format!("raw IPv6 socket (next header 112): {error}"))?;
    let announcer = match Announcer::open() {
        Ok(announcer) => Some(Arc::new(announcer)),
        Err(error) => {
            tracing::error!(%error, "cannot open the gratuitous ARP / NA sockets: new masters will not announce themselves");
            None
        }
    };
    let (reports, mut report_rx) = mpsc::channel::<Report>(REPORT_QUEUE);
    let now = Instant::now();
    let mut daemon = Daemon {
        config: context.config.clone(),
        netlink: netlink.clone(),
        links,
        instances: Vec::new(),
        trackers: BTreeMap::new(),
        reports,
        socket4,
        socket6,
        joined4: BTreeSet::new(),
        joined6: BTreeSet::new(),
        announcer,
        bursts: HashMap::new(),
        notifier: Notifier::start(),
        rejects: RejectLog::default(),
        io: IoCounters::default(),
        pending_transitions: Vec::new(),
        groups: Vec::new(),
        accept: AcceptFilter::default(),
        drained: false,
    };
    daemon.start_trackers();
    for spec in daemon.config.instances.clone() {
        daemon.instances.push(Instance::new(spec, now));
    }
    daemon.build_groups();
    daemon.remove_leftover_vips().await;
    daemon
        .accept
        .prepare(daemon.config.instances.iter().any(|spec| !spec.accept))
        .await;
    daemon.refresh_all().await;
    tracing::info!(
        instances = daemon.instances.len(),
        trackers = daemon.trackers.len(),
        "VRRP running"
    );

    let (control_tx, mut control_rx) = mpsc::channel(control::QUEUE);
    control::register(&context.router, control_tx);

    let timer = PreciseTimer::new().map_err(|error| format!("timerfd: {error}"))?;
    let mut buffer4 = vec![0u8; MAX_DATAGRAM];
    let mut buffer6 = vec![0u8; MAX_DATAGRAM];
    let mut watching = true;
    loop {
        let deadline = daemon.next_deadline();
        let timer = &timer;
        let sleep = async move {
            match deadline {
                // VRRP timers are centiseconds apart at 10 ms adverts: a timerfd, not tokio's
                // millisecond wheel (see okapi_runtime::timer).
                Some(at) => {
                    if let Err(error) = timer.sleep_until(at).await {
                        tracing::warn!(%error, "timerfd failed; falling back to tokio's timer");
                        tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await;
                    }
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            biased;
            () = sleep => daemon.tick().await,
            received = daemon.socket4.recv(&mut buffer4) => match received {
                Ok(received) => {
                    let payload = received.payload(&buffer4);
                    let datagram = Datagram {
                        source: IpAddr::V4(received.source),
                        destination: IpAddr::V4(received.destination),
                        ifindex: received.ifindex,
                        ttl: received.ttl.unwrap_or(0),
                        truncated: received.truncated,
                    };
                    daemon.packet(payload, datagram).await;
                }
                Err(error) => daemon.receive_error(error).await,
            },
            received = daemon.socket6.recv(&mut buffer6) => match received {
                Ok(received) => {
                    let payload = received.payload(&buffer6);
                    let datagram = Datagram {
                        source: IpAddr::V6(received.source),
                        destination: IpAddr::V6(received.destination),
                        ifindex: received.ifindex,
                        ttl: received.hop_limit.unwrap_or(0),
                        truncated: received.truncated,
                    };
                    daemon.packet(payload, datagram).await;
                }
                Err(error) => daemon.receive_error(error).await,
            },
            Some(report) = report_rx.recv() => daemon.tracker_report(report).await,
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
                let answer = match request.query {
                    Query::Drain { drain } => daemon.drain(drain).await,
                    ref query => daemon.answer(query),
                };
                let _ = request.reply.send(answer);
            }
        }
    }
    watch_task.abort();
    daemon.stop().await;
    Ok(())
}

/// What the sockets say about a datagram.
#[derive(Debug, Clone, Copy)]
struct Datagram {
    source: IpAddr,
    destination: IpAddr,
    ifindex: u32,
    ttl: u8,
    truncated: bool,
}

impl Daemon {
    fn next_deadline(&self) -> Option<Instant> {
        self.instances
            .iter()
            .filter_map(|instance| instance.router.next_deadline())
            .min()
    }

    async fn tick(&mut self) {
        let now = Instant::now();
        for index in 0..self.instances.len() {
            let due = self.instances[index]
                .router
                .next_deadline()
                .is_some_and(|deadline| deadline <= now);
            if due {
                let outputs = self.instances[index].router.handle(okapi_vrrp::Input::Tick, now);
                self.carry_out(index, outputs, now).await;
            }
        }
        self.after_transitions().await;
    }

    async fn receive_error(&mut self, error: std::io::Error) {
        self.io.receive_errors += 1;
        tracing::warn!(%error, "receiving on a VRRP socket failed");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    fn reject(&mut self, ifindex: u32, source: IpAddr, reason: &'static str, now: Instant) {
        *self.io.rejected.entry(reason).or_default() += 1;
        self.log_rejected(ifindex, source, reason, now);
    }

    fn log_rejected(&mut self, ifindex: u32, source: IpAddr, reason: &'static str, now: Instant) {
        let Some(line) = self.rejects.note(ifindex, reason, source, now) else {
            return;
        };
        let interface = self
            .links
            .get(ifindex)
            .map_or_else(|| ifindex.to_string(), |link| link.name().to_string());
        let suppressed = line.suppressed;
        if QUIET_REJECTS.contains(&reason) {
            tracing::debug!(%interface, %source, suppressed, "VRRP packet refused: {reason}");
        } else {
            tracing::warn!(%interface, %source, suppressed, "VRRP packet refused: {reason}");
        }
    }

    async fn packet(&mut self, payload: &[u8], datagram: Datagram) {
        let now = Instant::now();
        self.io.received += 1;
        if datagram.truncated {
            self.reject(datagram.ifindex, datagram.source, "truncated-datagram", now);
            return;
        }
        let advertisement = match Advertisement::decode(payload, datagram.source, datagram.destination) {
            Ok(advertisement) => advertisement,
            Err(error) => {
                self.reject(datagram.ifindex, datagram.source, error.reason(), now);
                return;
            }
        };
        let ipv6 = datagram.source.is_ipv6();
        let found = self.instances.iter().position(|instance| {
            instance.spec.vrid == advertisement.vrid
                && instance.is_ipv6() == ipv6
                && (instance.ifindex == Some(datagram.ifindex) || instance.vmac_ifindex == Some(datagram.ifindex))
        });
        let Some(index) = found else {
            // RFC 5798 §7.1: "MUST verify that the VRID is configured on the receiving
            // interface [...] If the above check fails, the receiver MUST discard the packet".
            self.reject(datagram.ifindex, datagram.source, "unknown-vrid", now);
            return;
        };
        // Our own adverts, looped back through a macvlan or a bridge: not a peer.
        if self.instances[index].local_address == Some(datagram.source) {
            return;
        }
        let outputs = self.instances[index].advertisement(datagram.source, datagram.ttl, advertisement, now);
        // The router's refusals are of this packet: logged with its sender.
        let (refused, outputs): (Vec<Output>, Vec<Output>) = outputs
            .into_iter()
            .partition(|output| matches!(output, Output::Rejected { .. }));
        for output in refused {
            if let Output::Rejected { reason } = output {
                self.log_rejected(datagram.ifindex, datagram.source, reason, now);
            }
        }
        self.carry_out(index, outputs, now).await;
        self.after_transitions().await;
    }

    async fn carry_out(&mut self, index: usize, outputs: Vec<Output>, now: Instant) {
        for output in outputs {
            match output {
                Output::Send(advertisement) => self.send(index, &advertisement).await,
                Output::AddAddresses => self.add_vips(index).await,
                Output::RemoveAddresses => self.remove_vips(index).await,
                Output::Announce => self.announce(index),
                Output::Transition { from, to, reason } => {
                    let instance = &mut self.instances[index];
                    instance.record(from, to, &reason, now);
                    tracing::info!(
                        instance = %instance.spec.name,
                        vrid = instance.spec.vrid,
                        interface = %instance.spec.interface,
                        priority = instance.effective_priority,
                        "{from:?} -> {to:?}: {reason}"
                    );
                    if to != State::Master
                        && let Some(burst) = self.bursts.remove(&instance.spec.name)
                    {
                        burst.abort();
                    }
                    self.pending_transitions.push((index, from, to, reason));
                }
                Output::Rejected { reason } => {
                    let source = self.instances[index]
                        .local_address
                        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
                    let ifindex = self.instances[index].ifindex.unwrap_or(0);
                    self.log_rejected(ifindex, source, reason, now);
                }
            }
        }
    }

    /// Hooks, sync groups and announce addresses, once the outputs that caused the
    /// transitions are carried out.
    async fn after_transitions(&mut self) {
        while !self.pending_transitions.is_empty() {
            let transitions = std::mem::take(&mut self.pending_transitions);
            for (index, from, to, reason) in transitions {
                self.notify(index, from, to, &reason);
                self.follow_sync_group(index, from, to).await;
            }
        }
        for index in 0..self.instances.len() {
            self.sync_announced(index).await;
        }
    }

    /// The announce addresses of an instance are on their interface while it is Master, or
    /// Backup on a node that is not drained; compared with what the kernel has (so leftovers
    /// of an earlier run go, and missing ones come back).
    async fn sync_announced(&mut self, index: usize) {
        let instance = &self.instances[index];
        if instance.spec.announce_addresses.is_empty() {
            return;
        }
        // A drained Master keeps announcing until the peer has taken the VIPs over (it still
        // receives the traffic until then).
        let wanted = match instance.state() {
            State::Master => true,
            State::Backup => !self.drained,
            State::Initialize | State::Fault => false,
        };
        let interface = instance.spec.announce_interface.clone();
        let Some(link) = self.links.by_name(&interface) else {
            if wanted {
                tracing::warn!(%interface, "announce-interface missing: nothing announced");
            }
            return;
        };
        let present = |address: &(IpAddr, u8)| {
            link.addresses
                .iter()
                .any(|have| have.address == address.0 && have.prefix_len == address.1)
        };
        // Wanted: the missing ones to add; not wanted: the present ones to delete.
        let changes: Vec<(IpAddr, u8)> = instance
            .spec
            .announce_addresses
            .iter()
            .filter(|address| present(address) != wanted)
            .copied()
            .collect();
        let ifindex = link.ifindex();
        let changed = !changes.is_empty();
        let to_add = if wanted { changes.clone() } else { Vec::new() };
        let to_delete = if wanted { Vec::new() } else { changes };
        for (address, len) in to_add {
            if let Err(error) = self.netlink.address_add(ifindex, address, len).await
                && !error.is_already_present()
            {
                self.io.address_errors += 1;
                tracing::error!(%error, "adding an announce address failed");
            }
        }
        self.delete_addresses(&interface, &to_delete).await;
        if changed {
            tracing::info!(instance = %self.instances[index].spec.name, announced = wanted, "announce addresses");
        }
        self.instances[index].announced = wanted;
    }

    /// Removes `addresses` from the interface `name` (those that are not there are fine).
    async fn delete_addresses(&mut self, name: &str, addresses: &[(IpAddr, u8)]) {
        let Some(ifindex) = self.links.by_name(name).map(|link| link.ifindex()) else {
            return;
        };
        for (address, len) in addresses {
            if let Err(error) = self.netlink.address_delete(ifindex, *address, *len).await
                && !error.is_not_found()
            {
                self.io.address_errors += 1;
                tracing::error!(%error, "removing an address failed");
            }
        }
    }

    fn notify(&self, index: usize, from: State, to: State, reason: &str) {
        // Leaving Fault passes through Initialize on the way to Backup or Master: one step
        // of the state machine, not a stop; keepalived's scripts would read it as STOP.
        if from == State::Fault && to == State::Initialize {
            return;
        }
        let instance = &self.instances[index];
        let vips: Vec<String> = instance.spec.vips().iter().map(ToString::to_string).collect();
        let base = Notification {
            program: String::new(),
            kind: "instance",
            name: instance.spec.name.clone(),
            instance: instance.spec.name.clone(),
            vrid: instance.spec.vrid,
            interface: instance.spec.interface.clone(),
            ipv6: instance.is_ipv6(),
            old_state: format!("{from:?}"),
            new_state: format!("{to:?}"),
            reason: reason.to_string(),
            priority: instance.effective_priority,
            vips,
        };
        if let Some(program) = instance.spec.notify.as_ref().or(self.config.notify.as_ref()) {
            self.notifier.notify(Notification {
                program: program.clone(),
                ..base.clone()
            });
        }
        if let Some(group) = self.config.group_of(&instance.spec.name)
            && let Some(program) = &group.notify
        {
            self.notifier.notify(Notification {
                program: program.clone(),
                kind: "group",
                name: group.name.clone(),
                ..base
            });
        }
    }

    /// keepalived's sync groups (okapi_vrrp::SyncGroup): the members of a group follow a
    /// member that falls back: a fault puts the others in Fault until every member's own
    /// fault has cleared; a Master that becomes Backup takes the group's other Masters to
    /// Backup (with priority 0, so the peer takes over at once).
    async fn follow_sync_group(&mut self, index: usize, from: State, to: State) {
        let Some((group, member)) = self.group_of(index) else {
            return;
        };
        let inputs = self.groups[group].0.on_transition(member, from, to);
        self.feed_all(group_inputs(Some((group, member)), inputs, &self.groups))
            .await;
    }

    async fn send(&mut self, index: usize, advertisement: &Advertisement) {
        let instance = &self.instances[index];
        let (Some(source), Some(ifindex)) = (instance.local_address, instance.send_ifindex()) else {
            return;
        };
        let destinations: Vec<IpAddr> = if instance.spec.unicast_peers.is_empty() {
            vec![if instance.is_ipv6() {
                IpAddr::V6(VRRP_GROUP_V6)
            } else {
                IpAddr::V4(VRRP_GROUP_V4)
            }]
        } else {
            instance.spec.unicast_peers.clone()
        };
        for destination in destinations {
            let bytes = match advertisement.encode(source, destination) {
                Ok(bytes) => bytes,
                Err(error) => {
                    self.io.send_errors += 1;
                    self.io.last_error = Some(format!("encoding an advert: {error}"));
                    continue;
                }
            };
            let sent = match (source, destination) {
                (IpAddr::V4(source), IpAddr::V4(destination)) => {
                    self.socket4.send_from(&bytes, Some(source), destination, ifindex).await
                }
                (IpAddr::V6(source), IpAddr::V6(destination)) => {
                    self.socket6.send_from(&bytes, Some(source), destination, ifindex).await
                }
                _ => continue,
            };
            match sent {
                Ok(_) => self.io.sent += 1,
                Err(error) => {
                    self.io.send_errors += 1;
                    if self.io.last_error.as_deref() != Some(&error.to_string()) {
                        tracing::warn!(%error, %destination, "sending a VRRP advert failed");
                    }
                    self.io.last_error = Some(error.to_string());
                }
            }
        }
    }

    async fn add_vips(&mut self, index: usize) {
        let Some(ifindex) = self.instances[index].vip_ifindex() else {
            return;
        };
        for (address, len) in self.instances[index].spec.addresses.clone() {
            if let Err(error) = self.netlink.address_add(ifindex, address, len).await
                && !error.is_already_present()
            {
                self.io.address_errors += 1;
                tracing::error!(%error, "adding a virtual address failed");
            }
        }
        self.instances[index].vips_installed = true;
        let spec = &self.instances[index].spec;
        // §6.4.3: a non-owner Master in non-accept mode does not accept traffic to its VIPs.
        if !spec.accept && spec.priority != okapi_vrrp::router::PRIORITY_OWNER {
            let vips = spec.vips();
            self.accept.set(&vips, true).await;
        }
    }

    async fn remove_vips(&mut self, index: usize) {
        if !self.instances[index].spec.accept {
            let vips = self.instances[index].spec.vips();
            self.accept.set(&vips, false).await;
        }
        let Some(ifindex) = self.instances[index].vip_ifindex() else {
            self.instances[index].vips_installed = false;
            return;
        };
        for (address, len) in self.instances[index].spec.addresses.clone() {
            if let Err(error) = self.netlink.address_delete(ifindex, address, len).await
                && !error.is_not_found()
            {
                self.io.address_errors += 1;
                tracing::error!(%error, "removing a virtual address failed");
            }
        }
        self.instances[index].vips_installed = false;
    }

    /// RFC 5798 §6.4.1/§6.4.2: a new Master broadcasts a gratuitous ARP (IPv4) or an
    /// unsolicited Neighbor Advertisement (IPv6) for each VIP; `garp-count` times,
    /// `garp-interval-ms` apart, in a task that stops when the instance leaves Master.
    fn announce(&mut self, index: usize) {
        let Some(announcer) = self.announcer.clone() else {
            return;
        };
        let instance = &self.instances[index];
        let Some(ifindex) = instance.send_ifindex() else {
            return;
        };
        let mac = if instance.vmac_ifindex.is_some() {
            Some(vmac::vmac_address(instance.spec.vrid, instance.is_ipv6()))
        } else {
            self.links
                .get(ifindex)
                .and_then(|link| link.link.mac.as_deref())
                .and_then(parse_mac)
        };
        let Some(mac) = mac else {
            tracing::warn!(instance = %instance.spec.name, "no MAC address on the interface: no gratuitous ARP");
            return;
        };
        let source6 = self.link_local(instance.ifindex.unwrap_or(0));
        let vips = instance.spec.vips();
        let count = self.config.garp_count;
        let interval = self.config.garp_interval;
        let name = instance.spec.name.clone();
        if count == 0 {
            return;
        }
        // Sent at once from here (the first burst is what matters for failover time); the
        // repeats from a task.
        let (sent, errors) = send_announcements(&announcer, ifindex, mac, &vips, source6);
        self.io.announcements_sent += sent;
        self.io.announcement_errors += errors;
        if count > 1 {
            let task = tokio::spawn(async move {
                for _ in 1..count {
                    tokio::time::sleep(interval).await;
                    send_announcements(&announcer, ifindex, mac, &vips, source6);
                }
            });
            if let Some(previous) = self.bursts.insert(name, task) {
                previous.abort();
            }
        }
    }

    fn link_local(&self, ifindex: u32) -> Option<Ipv6Addr> {
        self.links
            .get(ifindex)?
            .addresses_of(IpFamily::V6)
            .find_map(|address| match address.address {
                IpAddr::V6(v6) if is_link_local(v6) => Some(v6),
                _ => None,
            })
    }

    // ─────────────────────────────── readiness ───────────────────────────────

    fn start_trackers(&mut self) {
        let now = Instant::now();
        for spec in self.config.trackers.clone() {
            let mut tracker = Tracker::start(spec, self.reports.clone());
            if let Some(name) = tracker.interface().map(str::to_string) {
                tracker.set_link(self.links.by_name(&name).map(|link| link.is_operational()), now);
            }
            self.trackers.insert(tracker.spec.name.clone(), tracker);
        }
    }

    /// The sync groups of the configuration, over the current instances.
    fn build_groups(&mut self) {
        self.groups = self
            .config
            .sync_groups
            .iter()
            .map(|group| {
                let members: Vec<usize> = group
                    .instances
                    .iter()
                    .filter_map(|name| self.instances.iter().position(|instance| &instance.spec.name == name))
                    .collect();
                let names = members
                    .iter()
                    .map(|index| self.instances[*index].spec.name.clone())
                    .collect();
                (SyncGroup::with_member_names(group.name.clone(), names), members)
            })
            .collect();
    }

    /// Removes VIPs of ours found on the interfaces at start (left by a crash): no instance
    /// is Master yet.
    async fn remove_leftover_vips(&mut self) {
        for index in 0..self.instances.len() {
            let instance = &self.instances[index];
            // An address owner's VIPs are the interface's own addresses (RFC 5798 §6.1).
            if instance.spec.priority == okapi_vrrp::router::PRIORITY_OWNER {
                continue;
            }
            let mut names = vec![instance.spec.interface.clone()];
            if instance.spec.vmac {
                names.push(instance.spec.vmac_name());
            }
            for name in names {
                let Some(link) = self.links.by_name(&name) else {
                    continue;
                };
                let ifindex = link.ifindex();
                let present: Vec<(IpAddr, u8)> = link
                    .addresses
                    .iter()
                    .filter(|address| instance.spec.vips().contains(&address.address))
                    .map(|address| (address.address, address.prefix_len))
                    .collect();
                for (address, len) in present {
                    tracing::info!(%address, interface = %name, "removing a virtual address left from an earlier run");
                    if let Err(error) = self.netlink.address_delete(ifindex, address, len).await {
                        tracing::warn!(%error, "removing a leftover virtual address failed");
                    }
                }
            }
        }
    }

    async fn refresh_all(&mut self) {
        for index in 0..self.instances.len() {
            self.refresh(index).await;
        }
        // After the refresh: it may have created a macvlan.
        self.sync_multicast();
        self.after_transitions().await;
    }

    /// Re-evaluates an instance against the interfaces and trackers and tells its router.
    async fn refresh(&mut self, index: usize) {
        let now = Instant::now();
        let (interface_fault, ifindex, local_address) = self.interface_state(index);
        self.instances[index].ifindex = ifindex;
        self.instances[index].local_address = local_address;
        let mut fault = interface_fault;
        if fault.is_none() && self.instances[index].spec.vmac {
            fault = self.ensure_vmac(index).await.err();
        }
        let mut tracks = Vec::new();
        for track in &self.instances[index].spec.track {
            let up = self.trackers.get(&track.name).is_some_and(Tracker::is_up);
            if track.weight.is_none() && !up && fault.is_none() {
                fault = Some(format!("tracker {} down", track.name));
            }
            tracks.push((track.weight, up));
        }
        let drained = self.drained;
        let instance = &mut self.instances[index];
        instance.fault = fault;
        instance.effective_priority = if drained {
            DRAIN_PRIORITY
        } else {
            effective_priority(instance.spec.priority, &tracks)
        };
        let (outputs, fault_change) = instance.sync(now);
        self.carry_out(index, outputs, now).await;
        if let Some(fault) = fault_change {
            let inputs = match self.group_of(index) {
                Some((group, member)) => self.groups[group].0.member_fault(member, fault),
                None => vec![(index, okapi_vrrp::Input::Fault(fault))],
            };
            self.feed_all(group_inputs(self.group_of(index), inputs, &self.groups))
                .await;
        }
    }

    /// The sync group of instance `index` and its position in it.
    fn group_of(&self, index: usize) -> Option<(usize, usize)> {
        self.groups.iter().enumerate().find_map(|(group, (_, members))| {
            members
                .iter()
                .position(|member| *member == index)
                .map(|position| (group, position))
        })
    }

    /// Feeds inputs to instances (by index), carrying out what they cause.
    async fn feed_all(&mut self, inputs: Vec<(usize, okapi_vrrp::Input)>) {
        let now = Instant::now();
        for (index, input) in inputs {
            let Some(instance) = self.instances.get_mut(index) else {
                continue;
            };
            let mut outputs = instance.router.handle(input, now);
            outputs.extend(instance.start_if_due(now));
            self.carry_out(index, outputs, now).await;
        }
    }

    /// The interface's fault (missing, down, no address), ifindex and primary address.
    fn interface_state(&self, index: usize) -> (Option<String>, Option<u32>, Option<IpAddr>) {
        let spec = &self.instances[index].spec;
        let Some(link) = self.links.by_name(&spec.interface) else {
            return (Some(format!("interface {} missing", spec.interface)), None, None);
        };
        let ifindex = Some(link.ifindex());
        let vips = spec.vips();
        // RFC 5798 §5.1.1.1 (IPv4: the primary address of the interface) and §5.1.2.1 (IPv6:
        // the link-local address of the interface).
        let local = if spec.is_ipv6() {
            self.link_local(link.ifindex()).map(IpAddr::V6)
        } else {
            link.addresses_of(IpFamily::V4)
                .map(|address| address.address)
                .find(|address| !vips.contains(address))
        };
        if !link.is_operational() {
            return (Some(format!("interface {} down", spec.interface)), ifindex, local);
        }
        if local.is_none() {
            let what = if spec.is_ipv6() { "IPv6 link-local" } else { "IPv4" };
            return (Some(format!("no {what} address on {}", spec.interface)), ifindex, None);
        }
        (None, ifindex, local)
    }

    async fn ensure_vmac(&mut self, index: usize) -> Result<(), String> {
        let instance = &self.instances[index];
        let name = instance.spec.vmac_name();
        let Some(parent) = instance.ifindex else {
            return Err("no parent interface for the virtual MAC".into());
        };
        if let Some(existing) = self.links.by_name(&name)
            && Some(existing.ifindex()) == instance.vmac_ifindex
        {
            return Ok(());
        }
        let mac = vmac::vmac_address(instance.spec.vrid, instance.is_ipv6());
        match vmac::ensure_vmac(&self.netlink, &name, parent, mac).await {
            Ok(ifindex) => {
                self.instances[index].vmac_ifindex = Some(ifindex);
                Ok(())
            }
            Err(error) => {
                tracing::error!(%error, vmac = %name, "cannot create the virtual MAC interface");
                self.instances[index].vmac_ifindex = None;
                Err(format!("virtual MAC {name}: {error}"))
            }
        }
    }

    /// Joins the VRRP group on each interface with a multicast instance.
    fn sync_multicast(&mut self) {
        let mut want4 = BTreeSet::new();
        let mut want6 = BTreeSet::new();
        for instance in &self.instances {
            if !instance.spec.unicast_peers.is_empty() {
                continue;
            }
            // With a virtual MAC, the peer's adverts come from the same MAC as our macvlan,
            // and the kernel hands such frames to the macvlan alone (private mode): listen on
            // both (keepalived does too).
            let parent = self.links.by_name(&instance.spec.interface).map(|link| link.ifindex());
            for ifindex in parent.into_iter().chain(instance.vmac_ifindex) {
                if instance.is_ipv6() {
                    want6.insert(ifindex);
                } else {
                    want4.insert(ifindex);
                }
            }
        }
        for ifindex in want4.difference(&self.joined4.clone()) {
            match self.socket4.join_multicast(VRRP_GROUP_V4, *ifindex) {
                Ok(()) => {
                    self.joined4.insert(*ifindex);
                }
                Err(error) => tracing::warn!(%error, ifindex, "joining 224.0.0.18 failed"),
            }
        }
        for ifindex in self.joined4.difference(&want4).copied().collect::<Vec<_>>() {
            let _ = self.socket4.leave_multicast(VRRP_GROUP_V4, ifindex);
            self.joined4.remove(&ifindex);
        }
        for ifindex in want6.difference(&self.joined6.clone()) {
            match self.socket6.join_multicast(VRRP_GROUP_V6, *ifindex) {
                Ok(()) => {
                    self.joined6.insert(*ifindex);
                }
                Err(error) => tracing::warn!(%error, ifindex, "joining ff02::12 failed"),
            }
        }
        for ifindex in self.joined6.difference(&want6).copied().collect::<Vec<_>>() {
            let _ = self.socket6.leave_multicast(VRRP_GROUP_V6, ifindex);
            self.joined6.remove(&ifindex);
        }
    }

    async fn netlink_event(&mut self, event: NetlinkEvent) {
        let removed_ifindex = match &event {
            NetlinkEvent::LinkRemoved { ifindex, .. } => Some(*ifindex),
            _ => None,
        };
        if !self.links.apply(&event) {
            return;
        }
        if let Some(ifindex) = removed_ifindex {
            // A vanished interface takes its memberships with it.
            self.joined4.remove(&ifindex);
            self.joined6.remove(&ifindex);
            for instance in &mut self.instances {
                if instance.vmac_ifindex == Some(ifindex) {
                    instance.vmac_ifindex = None;
                }
            }
        }
        let now = Instant::now();
        for tracker in self.trackers.values_mut() {
            if let Some(name) = tracker.interface().map(str::to_string) {
                let up = self.links.by_name(&name).map(|link| link.is_operational());
                if tracker.set_link(up, now) {
                    tracing::info!(tracker = %tracker.spec.name, up = tracker.is_up(), "tracked interface changed");
                }
            }
        }
        self.refresh_all().await;
    }

    async fn tracker_report(&mut self, report: Report) {
        let now = Instant::now();
        let Some(tracker) = self.trackers.get_mut(&report.tracker) else {
            return;
        };
        if !tracker.record(&report.outcome, now) {
            return;
        }
        let up = tracker.is_up();
        if up {
            tracing::info!(tracker = %report.tracker, "tracker up");
        } else {
            tracing::warn!(tracker = %report.tracker, outcome = %report.outcome.view(), "tracker down");
        }
        let affected: Vec<usize> = self
            .instances
            .iter()
            .enumerate()
            .filter(|(_, instance)| instance.spec.track.iter().any(|track| track.name == report.tracker))
            .map(|(index, _)| index)
            .collect();
        for index in affected {
            self.refresh(index).await;
        }
        self.after_transitions().await;
    }

    // ─────────────────────────────── reload, stop ───────────────────────────────

    async fn reload(&mut self, config: VrrpdConfig) {
        let now = Instant::now();
        // Trackers: restarted when their definition changed.
        let mut old_trackers = std::mem::take(&mut self.trackers);
        for spec in config.trackers.clone() {
            let kept = old_trackers.remove(&spec.name).filter(|tracker| tracker.spec == spec);
            let mut tracker = kept.unwrap_or_else(|| Tracker::start(spec.clone(), self.reports.clone()));
            if let Some(name) = tracker.interface().map(str::to_string) {
                tracker.set_link(self.links.by_name(&name).map(|link| link.is_operational()), now);
            }
            self.trackers.insert(spec.name.clone(), tracker);
        }
        drop(old_trackers);

        // Instances: kept (reconfigured) when their identity is the same, else stopped and
        // started again.
        let mut old: Vec<Instance> = std::mem::take(&mut self.instances);
        let mut kept: Vec<Instance> = Vec::new();
        for spec in config.instances.clone() {
            let same = old.iter().position(|instance| {
                instance.spec.interface == spec.interface
                    && instance.spec.vrid == spec.vrid
                    && instance.spec.is_ipv6() == spec.is_ipv6()
                    && instance.spec.vmac == spec.vmac
                    && instance.spec.addresses == spec.addresses
                    && instance.spec.version == spec.version
            });
            match same {
                Some(position) => {
                    let mut instance = old.remove(position);
                    // Announce addresses the new configuration drops go now; the ones it adds
                    // come with the next sync.
                    let dropped: Vec<(IpAddr, u8)> = instance
                        .spec
                        .announce_addresses
                        .iter()
                        .filter(|address| !spec.announce_addresses.contains(address))
                        .copied()
                        .collect();
                    let interface = instance.spec.announce_interface.clone();
                    self.delete_addresses(&interface, &dropped).await;
                    instance.spec = spec;
                    kept.push(instance);
                }
                None => kept.push(Instance::new(spec, now)),
            }
        }
        // Gone or changed beyond reconfiguration: shut down (priority 0, VIPs removed), with
        // their hooks; their sync groups are going too.
        self.instances = old;
        let groups = std::mem::take(&mut self.groups);
        for index in 0..self.instances.len() {
            self.shutdown(index, now).await;
        }
        self.after_transitions().await;
        self.groups = groups;
        for instance in std::mem::take(&mut self.instances) {
            if instance.spec.vmac
                && !kept
                    .iter()
                    .any(|other| other.spec.vmac && other.spec.vmac_name() == instance.spec.vmac_name())
                && let Err(error) = vmac::remove_vmac(&self.netlink, &instance.spec.vmac_name()).await
            {
                tracing::warn!(%error, "removing a virtual MAC interface failed");
            }
        }
        self.instances = kept;
        self.config = config;
        let non_accept = self.config.instances.iter().any(|spec| !spec.accept);
        self.accept.prepare(non_accept).await;
        for index in 0..self.instances.len() {
            let spec = self.instances[index].spec.clone();
            let priority = self.instances[index].effective_priority;
            let outputs = self.instances[index]
                .router
                .reconfigure(router_config(&spec, priority), now);
            set_auth(&mut self.instances[index].router, &spec);
            self.carry_out(index, outputs, now).await;
        }
        self.build_groups();
        // The groups start afresh: tell them the faults their members already have.
        let mut inputs = Vec::new();
        for index in 0..self.instances.len() {
            if let (Some(fault), Some((group, member))) = (self.instances[index].fault.clone(), self.group_of(index)) {
                let group_inputs_now = self.groups[group].0.member_fault(member, Some(fault));
                inputs.extend(group_inputs(Some((group, member)), group_inputs_now, &self.groups));
            }
        }
        self.feed_all(inputs).await;
        self.refresh_all().await;
        tracing::info!(instances = self.instances.len(), "configuration reloaded");
    }

    async fn shutdown(&mut self, index: usize, now: Instant) {
        let outputs = self.instances[index].router.handle(okapi_vrrp::Input::Shutdown, now);
        self.carry_out(index, outputs, now).await;
        if self.instances[index].vips_installed {
            self.remove_vips(index).await;
        }
        self.sync_announced(index).await;
    }

    /// RFC 5798 §6.4.3 Shutdown: Masters send priority 0 so that a Backup takes over after
    /// Skew_Time; VIPs removed; macvlans removed; hooks told.
    async fn stop(&mut self) {
        let now = Instant::now();
        tracing::info!("stopping");
        for index in 0..self.instances.len() {
            self.shutdown(index, now).await;
        }
        self.after_transitions().await;
        for instance in &self.instances {
            if instance.spec.vmac
                && let Err(error) = vmac::remove_vmac(&self.netlink, &instance.spec.vmac_name()).await
            {
                tracing::warn!(%error, "removing a virtual MAC interface failed");
            }
        }
        for (_, burst) in self.bursts.drain() {
            burst.abort();
        }
        self.trackers.clear();
        self.accept.remove().await;
        self.notifier.drain(STOP_HOOKS_LIMIT).await;
    }

    // ─────────────────────────────── control ───────────────────────────────

    /// `POST /vrrp/drain`: maintenance without a refused request. Lowering the priority
    /// (instead of leaving Master) keeps the VIPs here while the peer's Master_Down timer
    /// runs out; the peer then becomes Master and its advert makes this node Backup.
    async fn drain(&mut self, drain: bool) -> Result<Value, okapi_runtime::control::ApiError> {
        if self.drained != drain {
            tracing::info!(drained = drain, "{}", if drain { "draining" } else { "undraining" });
        }
        self.drained = drain;
        self.refresh_all().await;
        let instances: Vec<Value> = self
            .instances
            .iter()
            .map(|instance| {
                json!({
                    "name": instance.spec.name,
                    "vrid": instance.spec.vrid,
                    "state": format!("{:?}", instance.state()),
                    "effective_priority": instance.effective_priority,
                })
            })
            .collect();
        Ok(json!({ "drained": self.drained, "instances": instances }))
    }

    fn answer(&self, query: &Query) -> Result<Value, okapi_runtime::control::ApiError> {
        let now = Instant::now();
        let vrid = match query {
            Query::Vrrp { vrid } => vrid,
            Query::Drain { .. } => &None,
        };
        let instances: Vec<Value> = self
            .instances
            .iter()
            .filter(|instance| vrid.is_none_or(|vrid| instance.spec.vrid == vrid))
            .map(|instance| {
                let trackers: Vec<Value> = instance
                    .spec
                    .track
                    .iter()
                    .map(|track| {
                        json!({
                            "name": track.name,
                            "weight": track.weight,
                            "effect": match track.weight {
                                None => "fault".to_string(),
                                Some(weight) if weight < 0 => format!("priority {weight} while down"),
                                Some(weight) => format!("priority +{weight} while up"),
                            },
                            "up": self.trackers.get(&track.name).is_some_and(Tracker::is_up),
                        })
                    })
                    .collect();
                let interface = self.links.by_name(&instance.spec.interface).map(|link| link.name());
                instance.view(interface, Value::Array(trackers), now)
            })
            .collect();
        if let Some(vrid) = vrid
            && instances.is_empty()
        {
            return Err(okapi_runtime::control::ApiError::not_found(format!(
                "no VRRP instance has VRID {vrid}"
            )));
        }
        let trackers: Vec<Value> = self.trackers.values().map(|tracker| tracker.view(now)).collect();
        let groups: Vec<Value> = self
            .config
            .sync_groups
            .iter()
            .map(|group| {
                json!({
                    "name": group.name,
                    "instances": group.instances,
                    "states": group.instances.iter().map(|member| {
                        self.instances
                            .iter()
                            .find(|instance| &instance.spec.name == member)
                            .map(|instance| format!("{:?}", instance.state()))
                    }).collect::<Vec<_>>(),
                })
            })
            .collect();
        Ok(json!({
            "instances": instances,
            "trackers": trackers,
            "sync_groups": groups,
            "garp_count": self.config.garp_count,
            "garp_interval_ms": self.config.garp_interval.as_millis(),
            "io": {
                "received": self.io.received,
                "sent": self.io.sent,
                "send_errors": self.io.send_errors,
                "receive_errors": self.io.receive_errors,
                "rejected": self.io.rejected,
                "announcements_sent": self.io.announcements_sent,
                "announcement_errors": self.io.announcement_errors,
                "address_errors": self.io.address_errors,
                "nftables_errors": self.accept.errors,
                "nftables_last_error": self.accept.last_error,
                "last_error": self.io.last_error,
            },
            "hooks": self.notifier.view(),
            "drained": self.drained,
        }))
    }
}

/// A sync group's inputs (by member position) as inputs by instance index.
fn group_inputs(
    group: Option<(usize, usize)>,
    inputs: Vec<(usize, okapi_vrrp::Input)>,
    groups: &[(SyncGroup, Vec<usize>)],
) -> Vec<(usize, okapi_vrrp::Input)> {
    match group {
        None => inputs,
        Some((group, _)) => inputs
            .into_iter()
            .filter_map(|(member, input)| Some((*groups[group].1.get(member)?, input)))
            .collect(),
    }
}

fn is_link_local(address: Ipv6Addr) -> bool {
    address.segments()[0] & 0xffc0 == 0xfe80
}

/// One round of announcements for `vips`; (sent, errors).
fn send_announcements(
    announcer: &Announcer,
    ifindex: u32,
    mac: [u8; 6],
    vips: &[IpAddr],
    source6: Option<Ipv6Addr>,
) -> (u64, u64) {
    let (mut sent, mut errors) = (0, 0);
    for vip in vips {
        let result = match vip {
            IpAddr::V4(v4) => announcer.gratuitous_arp(ifindex, mac, *v4),
            IpAddr::V6(v6) => announcer.unsolicited_na(ifindex, mac, *v6, source6),
        };
        match result {
            Ok(()) => sent += 1,
            Err(error) => {
                errors += 1;
                tracing::debug!(%error, %vip, "announcement failed");
            }
        }
    }
    (sent, errors)
}
