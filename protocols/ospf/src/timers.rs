//! The instance's timers: one queue of deadlines, keyed by [`TimerId`].
//!
//! The instance never reads a clock. It records deadlines here; the daemon asks
//! [`Instance::next_deadline`](crate::Instance::next_deadline), sleeps until then and feeds
//! [`Input::Tick`](crate::Input::Tick), which fires every timer due at `now`.
//!
//! ```text
//!   by_id: HashMap<TimerId, (deadline, generation)>   the truth: one deadline per timer
//!   queue: BinaryHeap<(deadline, TimerId, generation)> min-heap; an entry whose generation
//!                                                      is not the timer's current one is stale
//! ```
//!
//! Arming a timer that is already armed moves it: the map is updated and a new entry pushed;
//! the old entry goes stale and is dropped when it reaches the top. Arming a timer for the
//! deadline it already has does nothing. So `arm`, `cancel` and `pop_due` are O(log n) with
//! small constants (one hash lookup, one heap push), which matters with a timer per LSA (the
//! age timers of a 10,000-LSA database are re-armed on every installation). The top of the
//! heap is kept live after every operation, so [`Timers::next`] is a peek. Stale entries
//! are bounded: when they outnumber the live ones (plus a slack), the heap is rebuilt.

use std::cmp::Reverse;
use std::collections::hash_map::Entry;
use std::collections::{BinaryHeap, HashMap};
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

/// Stale heap entries tolerated beyond the number of live timers before a rebuild.
const STALE_SLACK: usize = 64;

#[derive(Debug, Default)]
pub(crate) struct Timers {
    /// The deadline of every armed timer and the generation of its live heap entry.
    by_id: HashMap<TimerId, (Instant, u64)>,
    queue: BinaryHeap<Reverse<(Instant, TimerId, u64)>>,
    generation: u64,
}

impl Timers {
    /// Arms (or moves) `id` to fire at `at`.
    pub fn arm(&mut self, id: TimerId, at: Instant) {
        let generation = self.generation + 1;
        match self.by_id.entry(id) {
            // Already armed for `at`: nothing to do.
            Entry::Occupied(occupied) if occupied.get().0 == at => {}
            // Moved: its old heap entry goes stale.
            Entry::Occupied(mut occupied) => {
                occupied.insert((at, generation));
                self.generation = generation;
                self.queue.push(Reverse((at, id, generation)));
                self.tidy_after(id);
            }
            Entry::Vacant(vacant) => {
                vacant.insert((at, generation));
                self.generation = generation;
                self.queue.push(Reverse((at, id, generation)));
            }
        }
    }

    /// Arms `id` unless it is already armed (keeps the earlier deadline).
    pub fn arm_if_idle(&mut self, id: TimerId, at: Instant) {
        if !self.by_id.contains_key(&id) {
            self.arm(id, at);
        }
    }

    pub fn cancel(&mut self, id: TimerId) {
        if self.by_id.remove(&id).is_some() {
            self.tidy_after(id);
        }
    }

    pub fn deadline(&self, id: TimerId) -> Option<Instant> {
        self.by_id.get(&id).map(|(deadline, _)| *deadline)
    }

    pub fn next(&self) -> Option<Instant> {
        self.queue.peek().map(|Reverse((at, _, _))| *at)
    }

    /// Removes and returns the earliest timer due at `now`.
    pub fn pop_due(&mut self, now: Instant) -> Option<TimerId> {
        let Reverse((at, id, _)) = *self.queue.peek()?;
        if at > now {
            return None;
        }
        self.queue.pop();
        self.by_id.remove(&id);
        self.tidy();
        Some(id)
    }

    fn is_live(&self, entry: &(Instant, TimerId, u64)) -> bool {
        let (_, id, generation) = entry;
        self.by_id.get(id).is_some_and(|(_, live)| live == generation)
    }

    /// After `id` was moved or cancelled: only its old entry can have gone stale, so the
    /// top needs tidying only if it is that entry.
    fn tidy_after(&mut self, id: TimerId) {
        if self.queue.peek().is_some_and(|Reverse((_, top, _))| *top == id) {
            self.tidy();
        } else {
            self.compact();
        }
    }

    /// Drops stale entries from the top (so that `next` is a peek), and rebuilds the heap
    /// when stale entries dominate.
    fn tidy(&mut self) {
        while let Some(Reverse(top)) = self.queue.peek() {
            if self.is_live(top) {
                break;
            }
            self.queue.pop();
        }
        self.compact();
    }

    /// Rebuilds the heap from the live timers when stale entries outnumber them.
    fn compact(&mut self) {
        if self.queue.len() > 2 * self.by_id.len() + STALE_SLACK {
            let mut live: Vec<Reverse<(Instant, TimerId, u64)>> = self
                .by_id
                .iter()
                .map(|(id, (at, generation))| Reverse((*at, *id, *generation)))
                .collect();
            // The heap's layout must not depend on the map's (random) iteration order.
            live.sort_unstable();
            self.queue = BinaryHeap::from(live);
        }
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

    #[test]
    fn stale_entries_are_bounded() {
        let start = Instant::now();
        let mut timers = Timers::default();
        for round in 0..10_000u64 {
            // An inactivity timer pushed later on every Hello: each re-arm leaves a stale entry.
            timers.arm(
                TimerId::Inactivity {
                    ifindex: 2,
                    neighbor: Ipv4Addr::new(1, 1, 1, 1),
                },
                start + Duration::from_secs(40 + round),
            );
            timers.arm(TimerId::Hello { ifindex: 2 }, start + Duration::from_secs(1 + round));
        }
        assert!(timers.queue.len() <= 2 * 2 + STALE_SLACK + 1, "{}", timers.queue.len());
        assert_eq!(timers.next(), Some(start + Duration::from_secs(10_000)));
    }

    /// Against a plain ordered set of (deadline, id), the queue before this one: the same
    /// timers fire in the same order.
    #[test]
    fn fires_like_an_ordered_set() {
        use std::collections::{BTreeMap, BTreeSet};
        let start = Instant::now();
        let mut timers = Timers::default();
        let mut model: BTreeMap<TimerId, Instant> = BTreeMap::new();
        let mut seed = 7u64;
        let mut random = |n: u64| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) % n
        };
        let mut now = start;
        for _ in 0..20_000 {
            let id = match random(4) {
                0 => TimerId::Hello {
                    ifindex: random(5) as u32,
                },
                1 => TimerId::LsuRetransmit {
                    ifindex: random(3) as u32,
                    neighbor: Ipv4Addr::from(random(4) as u32),
                },
                2 => TimerId::Spf,
                _ => TimerId::Wait {
                    ifindex: random(2) as u32,
                },
            };
            let at = now + Duration::from_millis(random(5_000));
            match random(5) {
                0 => {
                    timers.cancel(id);
                    model.remove(&id);
                }
                1 => {
                    timers.arm_if_idle(id, at);
                    model.entry(id).or_insert(at);
                }
                2 => {
                    now += Duration::from_millis(random(2_000));
                    loop {
                        let expected = model
                            .iter()
                            .map(|(id, at)| (*at, *id))
                            .collect::<BTreeSet<_>>()
                            .first()
                            .copied()
                            .filter(|(at, _)| *at <= now);
                        assert_eq!(timers.pop_due(now), expected.map(|(_, id)| id));
                        let Some((_, id)) = expected else { break };
                        model.remove(&id);
                    }
                }
                _ => {
                    timers.arm(id, at);
                    model.insert(id, at);
                }
            }
            assert_eq!(timers.next(), model.values().min().copied());
            assert_eq!(timers.deadline(id), model.get(&id).copied());
        }
    }
}
