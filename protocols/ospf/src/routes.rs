//! From the LSDB to routes: the LSDB seen by the SPF calculation ([`LsdbView`]), SPF runs
//! scheduled by the RFC 8405 delay ([`SpfDelay`](crate::spf::SpfDelay)), and the route
//! changes returned as [`Output::RoutesChanged`].
//!
//! ```text
//!   LSDB change (§13.2 contents changed, MaxAge, flush) ──► SpfDelay::event(now)
//!   Tick at the delay's deadline ──► SpfDelay::poll ──► spf::calculate ──► diff(old, new)
//!                                                               └──► Output::RoutesChanged
//! ```

use std::net::Ipv4Addr;
use std::time::Instant;

use crate::LsaBody;
use crate::instance::{Instance, Output};
use crate::interface::InterfaceState;
use crate::lsa::{LsaType, NetworkLsa, RouterLsa};
use crate::lsdb::{LsaKey, Lsdb};
use crate::spf::{self, LocalInterface, LsdbView};
use crate::timers::TimerId;

impl LsdbView for Lsdb {
    fn router_lsa(&self, router_id: Ipv4Addr) -> Option<&RouterLsa> {
        match self.live_body(&LsaKey::new(LsaType::ROUTER, router_id, router_id)) {
            Some(LsaBody::Router(router)) => Some(router),
            _ => None,
        }
    }

    fn network_lsa(&self, link_state_id: Ipv4Addr) -> Option<(Ipv4Addr, &NetworkLsa)> {
        self.with_id(LsaType::NETWORK, link_state_id)
            .filter(|(_, entry)| !entry.is_max_age())
            .find_map(|(key, entry)| match entry.lsa().body() {
                LsaBody::Network(network) => Some((key.advertising_router, network)),
                _ => None,
            })
    }
}

impl Instance {
    /// The LSDB changed in a way that matters to routes: tell the SPF delay.
    pub(crate) fn lsdb_changed(&mut self, now: Instant) {
        self.lsdb_changes = self.lsdb_changes.saturating_add(1);
        self.spf_delay.event(now);
    }

    /// Keeps the Spf timer at the delay's next deadline.
    pub(crate) fn sync_spf_timer(&mut self) {
        match self.spf_delay.next_deadline() {
            Some(deadline) => self.timers.arm(TimerId::Spf, deadline),
            None => self.timers.cancel(TimerId::Spf),
        }
    }

    pub(crate) fn spf_timer(&mut self, now: Instant) {
        if self.spf_delay.poll(now).is_some() {
            self.run_spf(now);
        }
        self.sync_spf_timer();
    }

    /// §16.1: runs the calculation and reports the route changes.
    pub(crate) fn run_spf(&mut self, now: Instant) {
        let interfaces: Vec<LocalInterface> = self
            .interfaces
            .values()
            .filter(|interface| !matches!(interface.state, InterfaceState::Down | InterfaceState::Loopback))
            .filter_map(|interface| {
                interface
                    .address
                    .map(|(address, len)| LocalInterface::numbered(interface.ifindex(), address, len))
            })
            .collect();
        let result = spf::calculate(&self.lsdb, self.config.router_id, &interfaces);
        let changes = spf::diff(&self.spf.routes, &result.routes);
        self.spf = result;
        self.spf_runs = self.spf_runs.saturating_add(1);
        self.last_spf = Some(now);
        if !changes.is_empty() {
            self.out.push(Output::RoutesChanged(changes));
        }
    }
}
