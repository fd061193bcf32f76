//! Maintenance without a failed request: `okapi drain` / `okapi undrain`, and the handover
//! of a live master's connections to the Master that preempted it.
//!
//! A drain, on a balancer node that is Master:
//! 1. lower the priority to 1 ([`DRAIN_PRIORITY`]): the peer preempts it (RFC 5798 §6.4.2)
//!    while this node still holds the VIPs, so no request finds no master;
//! 2. the peer, seeing it preempted a live master, forwards the packets of connections it
//!    does not know to this node (`crate::handover`), which keeps its announce addresses
//!    and serves those connections to their end;
//! 3. release: once no TCP connection is left on the announce addresses (or
//!    `drain-timeout-ms` after the drain), the addresses go and with them the announcement
//!    (okapi-ospfd withdraws it).
//!
//! An undrain raises the priority again; this node preempts the peer, and the same handover
//! keeps the peer's connections alive.

use okapi_runtime::tcp_table;

use super::*;
use crate::handover::{self, Handover};

impl Daemon {
    /// `POST /vrrp/drain`.
    pub(super) async fn drain(&mut self, drain: bool) -> Result<Value, okapi_runtime::control::ApiError> {
        if self.drained != drain {
            tracing::info!(drained = drain, "{}", if drain { "draining" } else { "undraining" });
            self.drained_at = drain.then(Instant::now);
            for instance in &mut self.instances {
                // Each keeps serving until the maintenance pass finds its connections gone.
                instance.drain_serving = drain.then_some(0);
            }
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

    /// Every [`MAINTENANCE_INTERVAL`]: a drained node releases the announce addresses it no
    /// longer serves connections on; handovers read their counters and end when idle.
    pub(super) async fn maintenance(&mut self) {
        let now = Instant::now();
        for index in 0..self.instances.len() {
            if self.drained && self.instances[index].drain_serving.is_some() {
                self.check_drain_release(index, now).await;
            }
            if self.instances[index].handover.is_some() {
                self.poll_handover(index, now).await;
            }
        }
    }

    async fn check_drain_release(&mut self, index: usize, now: Instant) {
        let instance = &self.instances[index];
        // A Master is still where the traffic goes: it serves everything until preempted.
        if instance.state() == State::Master {
            return;
        }
        let addresses: Vec<IpAddr> = instance
            .spec
            .announce_addresses
            .iter()
            .map(|(address, _)| *address)
            .collect();
        let open = match tcp_table::connections_on(&addresses) {
            Ok(connections) => connections.iter().filter(|connection| connection.is_open()).count(),
            Err(error) => {
                tracing::warn!(%error, "cannot read the TCP table: releasing the drained addresses");
                0
            }
        };
        let timed_out = self
            .drained_at
            .is_some_and(|at| now.saturating_duration_since(at) >= self.config.drain_timeout);
        if open > 0 && !timed_out {
            self.instances[index].drain_serving = Some(open);
            return;
        }
        let instance = &mut self.instances[index];
        instance.drain_serving = None;
        if instance.announced {
            if open > 0 {
                tracing::warn!(instance = %instance.spec.name, connections = open,
                    "drain timeout: releasing the announce addresses with connections still open");
            } else {
                tracing::info!(instance = %instance.spec.name, "drained: no connection left, releasing the announce addresses");
            }
        }
        self.sync_announced(index).await;
    }

    /// [`okapi_vrrp::Output::Handover`]: this instance preempted the live master `from`.
    pub(super) async fn start_handover(&mut self, index: usize, from: IpAddr, now: Instant) {
        if self.config.handover_idle.is_zero() {
            return;
        }
        self.stop_handover(index, "a new handover").await;
        let instance = &self.instances[index];
        let Some(ifindex) = instance.ifindex else {
            return;
        };
        match Handover::start(&instance.spec, ifindex, from, now).await {
            Ok(Some(handover)) => {
                tracing::info!(instance = %instance.spec.name, %from, kept_local = handover.kept_local,
                    "handover: forwarding the old master's connections to it");
                self.instances[index].handover = Some(handover);
            }
            Ok(None) => {}
            Err(error) => self.handover_failed(index, "installing", error),
        }
    }

    pub(super) async fn stop_handover(&mut self, index: usize, why: &str) {
        let Some(handover) = self.instances[index].handover.take() else {
            return;
        };
        tracing::info!(instance = %self.instances[index].spec.name, from = %handover.from,
            forwarded_packets = handover.forwarded, "handover ended: {why}");
        if let Err(error) = handover.stop().await {
            self.handover_failed(index, "removing", error);
        }
    }

    async fn poll_handover(&mut self, index: usize, now: Instant) {
        let Some(handover) = self.instances[index].handover.as_mut() else {
            return;
        };
        let polled = handover.poll(now).await;
        let idle = handover.idle_for(now) >= self.config.handover_idle;
        if let Err(error) = polled {
            self.handover_failed(index, "reading", error);
            self.stop_handover(index, "its counter cannot be read").await;
        } else if idle {
            self.stop_handover(index, "idle").await;
        }
    }

    fn handover_failed(&mut self, index: usize, doing: &str, error: String) {
        tracing::error!(instance = %self.instances[index].spec.name, %error, "handover: {doing} the forwarding table failed");
        self.io.handover_errors += 1;
        self.io.last_error = Some(error);
    }

    /// At start, before any instance is Master.
    pub(super) async fn remove_leftover_handovers(&mut self) {
        match handover::remove_leftovers().await {
            Ok(0) => {}
            Ok(removed) => tracing::info!(removed, "removed handover tables left from an earlier run"),
            // Without announce addresses there is no handover to miss: no need for nft.
            Err(error)
                if self
                    .instances
                    .iter()
                    .all(|instance| instance.spec.announce_addresses.is_empty()) =>
            {
                tracing::debug!(%error, "cannot look for handover tables left from an earlier run");
            }
            Err(error) => tracing::warn!(%error, "cannot look for handover tables left from an earlier run"),
        }
    }
}
