//! The instance's timers: one ordered queue of deadlines, keyed by [`TimerId`].
//!
//! The instance never reads a clock. It records deadlines here; the daemon asks
//! [`Instance::next_deadline`](crate::Instance::next_deadline), sleeps until then and feeds
//! [`Input::Tick`](crate::Input::Tick), which fires every timer due at `now`. Arming a timer
//! that is already armed moves it; both operations are O(log n).

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;
use std::time::Instant;

use serde::Serialize;

use crate::lsdb::LsaKey;

/// What a deadline is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TimerId {
    /// §9.5: send a Hello every HelloInterval.
    Hello { ifindex: u32 },
    /// §9.4: the Wait timer (RouterDeadInterval) of a broadcast interface.
    Wait { ifindex: u32 },
    /// §13.5: flush the delayed acknowledgments of an interface.
    DelayedAck { ifindex: u32 },
    /// §10.3: InactivityTimer (RouterDeadInterval without a Hello).
    Inactivity { ifindex: u32, neighbor: Ipv4Addr },
    /// §10.8: the master (and both sides in ExStart) retransmit the last DD.
    DdRetransmit { ifindex: u32, neighbor: Ipv4Addr },
    /// §10.8: the slave frees its last DD RouterDeadInterval after the exchange.
    DdHoldLast { ifindex: u32, neighbor: Ipv4Addr },
    /// §10.9: retransmit the Link State Request.
    LsrRetransmit { ifindex: u32, neighbor: Ipv4Addr },
    /// §13.6: retransmit the LSAs of the retransmission list.
    LsuRetransmit { ifindex: u32, neighbor: Ipv4Addr },
    /// §14: a received LSA reaches MaxAge; §12.4: an own LSA reaches LSRefreshTime.
    LsaAge(LsaKey),
    /// §12.4: an origination deferred by MinLSInterval.
    Originate(LsaKey),
    /// The SPF delay scheduler's next deadline (RFC 8405, kept by `spf::SpfDelay`).
    Spf,
}

#[derive(Debug, Default)]
pub(crate) struct Timers {
    by_id: BTreeMap<TimerId, Instant>,
    queue: BTreeSet<(Instant, TimerId)>,
}

impl Timers {
    /// Arms (or moves) `id` to fire at `at`.
    pub fn arm(&mut self, id: TimerId, at: Instant) {
        if let Some(old) = self.by_id.insert(id, at) {
            self.queue.remove(&(old, id));
        }
        self.queue.insert((at, id));
    }

    /// Arms `id` unless it is already armed (keeps the earlier deadline).
    pub fn arm_if_idle(&mut self, id: TimerId, at: Instant) {
        if !self.by_id.contains_key(&id) {
            self.arm(id, at);
        }
    }

    pub fn cancel(&mut self, id: TimerId) {
        if let Some(old) = self.by_id.remove(&id) {
            self.queue.remove(&(old, id));
        }
    }

    pub fn deadline(&self, id: TimerId) -> Option<Instant> {
        self.by_id.get(&id).copied()
    }

    pub fn next(&self) -> Option<Instant> {
        self.queue.first().map(|(at, _)| *at)
    }

    /// Removes and returns the earliest timer due at `now`.
    pub fn pop_due(&mut self, now: Instant) -> Option<TimerId> {
        let (at, id) = *self.queue.first()?;
        if at > now {
            return None;
        }
        self.queue.remove(&(at, id));
        self.by_id.remove(&id);
        Some(id)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn earliest_first_and_rearm_moves() {
        let start = Instant::now();
        let mut timers = Timers::default();
        timers.arm(TimerId::Hello { ifindex: 1 }, start + Duration::from_secs(10));
        timers.arm(TimerId::Spf, start + Duration::from_secs(5));
        timers.arm(TimerId::Hello { ifindex: 1 }, start + Duration::from_secs(1));
        assert_eq!(timers.next(), Some(start + Duration::from_secs(1)));
        assert_eq!(timers.pop_due(start), None);
        assert_eq!(
            timers.pop_due(start + Duration::from_secs(6)),
            Some(TimerId::Hello { ifindex: 1 })
        );
        assert_eq!(timers.pop_due(start + Duration::from_secs(6)), Some(TimerId::Spf));
        assert_eq!(timers.next(), None);
    }

    #[test]
    fn cancel_and_arm_if_idle() {
        let start = Instant::now();
        let mut timers = Timers::default();
        timers.arm_if_idle(TimerId::Spf, start + Duration::from_secs(1));
        timers.arm_if_idle(TimerId::Spf, start + Duration::from_secs(9));
        assert_eq!(timers.deadline(TimerId::Spf), Some(start + Duration::from_secs(1)));
        timers.cancel(TimerId::Spf);
        assert_eq!(timers.next(), None);
    }
}
