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
//!
//! The periodic work (reading `/proc/net/tcp`, the handovers' counters, retrying a table
//! that could not be removed) runs in a task of its own, a [`Survey`] at a time, so that the
//! main loop's adverts never wait for it.

use okapi_runtime::tcp_table;

use super::*;
use crate::handover::{self, Handover};

/// What a maintenance pass found, off the main loop.
#[derive(Debug, Default)]
pub(super) struct Survey {
    /// Open TCP connections on the announce prefixes of each drained non-Master instance,
    /// by instance name.
    open: Vec<(String, Result<usize, String>)>,
    /// Packets each handover table forwarded so far, by table name.
    forwarded: Vec<(String, Result<u64, String>)>,
    /// Tables that could not be removed before and are gone now.
    removed: Vec<String>,
}

impl Daemon {
    /// `POST /vrrp/drain`.
    pub(super) async fn drain(&mut self, drain: bool) -> Result<Value, okapi_runtime::control::ApiError> {
        if self.drained != drain {
            tracing::info!(drained = drain, "{}", if drain { "draining" } else { "undraining" });
            self.drained_at = drain.then(Instant::now);
            for instance in &mut self.instances {
                // Each keeps serving until a survey finds its connections gone.
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

    /// A transition out of Master: the handover ends; on a drained node the instance serves
    /// its connections (handed back by the new Master) before releasing, again.
    pub(super) async fn left_master(&mut self, index: usize) {
        if self.drained {
            self.instances[index].drain_serving = Some(0);
        }
        self.stop_handover(index, "left Master").await;
    }

    /// Every [`MAINTENANCE_INTERVAL`]: starts a survey when there is something to look at
    /// and none is running.
    pub(super) fn maintenance(&mut self) {
        if self.survey_running {
            return;
        }
        let draining: Vec<(String, Vec<(IpAddr, u8)>)> = self
            .instances
            .iter()
            .filter(|instance| self.drained && instance.drain_serving.is_some() && instance.state() != State::Master)
            .map(|instance| (instance.spec.name.clone(), instance.spec.announce_addresses.clone()))
            .collect();
        let tables: Vec<String> = self
            .instances
            .iter()
            .filter_map(|instance| instance.handover.as_ref().map(|handover| handover.table().to_string()))
            .collect();
        let stale = self.stale_handover_tables.clone();
        if draining.is_empty() && tables.is_empty() && stale.is_empty() {
            return;
        }
        self.survey_running = true;
        let report = self.surveys.clone();
        tokio::spawn(async move {
            let survey = survey(draining, tables, stale).await;
            let _ = report.send(survey).await;
        });
    }

    /// A survey's findings: release what a drained node no longer serves, end idle
    /// handovers, forget tables removed at last.
    pub(super) async fn apply_survey(&mut self, survey: Survey) {
        self.survey_running = false;
        let now = Instant::now();
        self.stale_handover_tables
            .retain(|table| !survey.removed.contains(table));
        for (name, open) in survey.open {
            if let Some(index) = self.instances.iter().position(|instance| instance.spec.name == name) {
                self.check_drain_release(index, open, now).await;
            }
        }
        for (table, packets) in survey.forwarded {
            let Some(index) = self.instances.iter().position(|instance| {
                instance
                    .handover
                    .as_ref()
                    .is_some_and(|handover| handover.table() == table)
            }) else {
                continue;
            };
            match packets {
                Ok(packets) => {
                    let idle = self.instances[index].handover.as_mut().is_some_and(|handover| {
                        handover.record_forwarded(packets, now);
                        handover.idle_for(now) >= self.config.handover_idle
                    });
                    if idle {
                        self.stop_handover(index, "idle").await;
                    }
                }
                Err(error) => {
                    self.handover_failed(index, "reading", error);
                    self.stop_handover(index, "its counter cannot be read").await;
                }
            }
        }
    }

    async fn check_drain_release(&mut self, index: usize, open: Result<usize, String>, now: Instant) {
        let instance = &self.instances[index];
        // Undrained, released or Master again since the survey began.
        if !self.drained || instance.drain_serving.is_none() || instance.state() == State::Master {
            return;
        }
        let open = open.unwrap_or_else(|error| {
            tracing::warn!(%error, "cannot read the TCP table: releasing the drained addresses");
            0
        });
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

    /// [`okapi_vrrp::Output::Handover`]: this instance preempts the live master `from`. Runs
    /// in the main loop on purpose: the forwarding must be in place before the advert and
    /// the gratuitous ARPs that follow it move the traffic.
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
            Err(error) => {
                // nft may have committed before it was killed: make sure the table goes.
                let table = handover::table_name(instance.spec.vrid, ifindex, from);
                self.handover_failed(index, "installing", error);
                self.stale_handover_tables.push(table);
            }
        }
    }

    pub(super) async fn stop_handover(&mut self, index: usize, why: &str) {
        let Some(handover) = self.instances[index].handover.take() else {
            return;
        };
        tracing::info!(instance = %self.instances[index].spec.name, from = %handover.from,
            forwarded_packets = handover.forwarded, "handover ended: {why}");
        self.remove_handover_table(handover.table().to_string()).await;
    }

    /// Removes a handover's table; a failure is counted, and the surveys retry it.
    pub(super) async fn remove_handover_table(&mut self, table: String) {
        if let Err(error) = handover::remove_table(&table).await {
            tracing::error!(%table, %error, "handover: removing the forwarding table failed");
            self.io.handover_errors += 1;
            self.io.last_error = Some(error);
            self.stale_handover_tables.push(table);
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

/// The work of one [`Survey`]: one read of the TCP table for every drained instance, one
/// `nft` run per handover and per table to remove.
async fn survey(draining: Vec<(String, Vec<(IpAddr, u8)>)>, tables: Vec<String>, stale: Vec<String>) -> Survey {
    let mut found = Survey::default();
    if !draining.is_empty() {
        let prefixes: Vec<(IpAddr, u8)> = draining.iter().flat_map(|(_, prefixes)| prefixes.clone()).collect();
        let read = tokio::task::spawn_blocking(move || tcp_table::connections_on(&prefixes))
            .await
            .map_err(|error| error.to_string())
            .and_then(|read| read.map_err(|error| error.to_string()));
        for (name, prefixes) in draining {
            let open = read.as_ref().map_err(Clone::clone).map(|connections| {
                connections
                    .iter()
                    .filter(|connection| {
                        connection.is_open()
                            && prefixes
                                .iter()
                                .any(|(prefix, len)| tcp_table::contains(*prefix, *len, connection.local.ip()))
                    })
                    .count()
            });
            found.open.push((name, open));
        }
    }
    for table in tables {
        let packets = handover::forwarded_packets(&table).await;
        found.forwarded.push((table, packets));
    }
    for table in stale {
        if handover::remove_table(&table).await.is_ok() {
            found.removed.push(table);
        }
    }
    found
}
