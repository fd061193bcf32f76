//! The main loop of okapi-vrrpd (see main.rs for the picture): the daemon's state, the
//! select loop, packets in, the routers' outputs dispatched, transitions reported.
//!
//! | module | job |
//! |---|---|
//! | `outputs` | adverts, VIPs, announce addresses, gratuitous ARP / NA |
//! | `readiness` | interfaces, virtual MACs, multicast, trackers, sync groups; netlink and tracker events |
//! | `lifecycle` | reload and stop |
//! | `maintenance` | drain and undrain, handover of a live master's connections |
//! | `answers` | the control API's answers |

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

mod answers;
mod lifecycle;
mod maintenance;
mod outputs;
mod readiness;

use readiness::group_inputs;

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
const QUIET_REJECTS: &[&str] = &["unknown-vrid", "own-advert"];
/// Receive errors in a row after which the loop pauses 1 ms (a socket in a failing state must
/// not spin the loop).
const RECEIVE_ERRORS_BEFORE_PAUSE: u64 = 100;
/// How often a drained node counts the connections it still serves, and a handover reads
/// its counter, in a task of their own (nothing is done when neither is under way).
const MAINTENANCE_INTERVAL: Duration = Duration::from_millis(500);

/// Socket-level counters and refusals the routers do not see, under `io` in `GET /vrrp`.
#[derive(Debug, Default)]
struct IoCounters {
    received: u64,
    sent: u64,
    send_errors: u64,
    receive_errors: u64,
    receive_errors_in_a_row: u64,
    /// Refused before reaching an instance (decode errors, unknown VRID), by reason.
    rejected: BTreeMap<&'static str, u64>,
    announcements_sent: u64,
    announcement_errors: u64,
    address_errors: u64,
    /// Handover tables that could not be installed, read or removed.
    handover_errors: u64,
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
    /// When the drain began (`drain-timeout-ms` counts from it).
    drained_at: Option<Instant>,
    /// Where surveys report (see `maintenance`); one runs at a time.
    surveys: mpsc::Sender<maintenance::Survey>,
    survey_running: bool,
    /// Handover tables whose removal failed: retried by the surveys.
    stale_handover_tables: Vec<String>,
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
    let (surveys, mut survey_rx) = mpsc::channel::<maintenance::Survey>(1);
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
        drained_at: None,
        surveys,
        survey_running: false,
        stale_handover_tables: Vec::new(),
    };
    daemon.start_trackers();
    for spec in daemon.config.instances.clone() {
        daemon.instances.push(Instance::new(spec, now));
    }
    daemon.build_groups();
    daemon.remove_leftover_vips().await;
    daemon.remove_leftover_handovers().await;
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
    let mut maintenance = tokio::time::interval(MAINTENANCE_INTERVAL);
    maintenance.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
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
            _ = maintenance.tick() => daemon.maintenance(),
            Some(survey) = survey_rx.recv() => daemon.apply_survey(survey).await,
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

    /// Counted and logged at most once per [`okapi_runtime::rejects::LOG_INTERVAL`]; a socket
    /// that keeps failing gets a 1 ms pause only after many errors in a row, since the loop's
    /// timers run at centisecond scale.
    async fn receive_error(&mut self, error: std::io::Error) {
        self.io.receive_errors += 1;
        self.io.receive_errors_in_a_row += 1;
        let now = Instant::now();
        if let Some(line) = self
            .rejects
            .note(0, "receive-error", IpAddr::V4(Ipv4Addr::UNSPECIFIED), now)
        {
            tracing::warn!(%error, suppressed = line.suppressed, "receiving on a VRRP socket failed");
        }
        if self.io.receive_errors_in_a_row >= RECEIVE_ERRORS_BEFORE_PAUSE {
            self.io.receive_errors_in_a_row = 0;
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
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
        self.io.receive_errors_in_a_row = 0;
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
            self.reject(datagram.ifindex, datagram.source, "own-advert", now);
            return;
        }
        // With unicast peers, only they may speak for the virtual router (keepalived's
        // check_unicast_src): anyone else on the link is refused.
        let peers = &self.instances[index].spec.unicast_peers;
        if !peers.is_empty() && !peers.contains(&datagram.source) {
            self.reject(datagram.ifindex, datagram.source, "not-a-peer", now);
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
                Output::Handover { from } => self.start_handover(index, from, now).await,
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
                    if from == State::Master {
                        self.left_master(index).await;
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
}
