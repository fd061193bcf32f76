//! The link state database of area 0 (RFC 2328 §12, §13.1, §13.2, §14).
//!
//! ```text
//!   Lsdb ── BTreeMap<LsaKey (type, Link State ID, advertising router), LsaEntry>
//!                                                   └─ Lsa as installed + install time
//! ```
//!
//! Ages are not decremented every second: an entry keeps the LSA as installed (its LS age
//! field at installation) and the instant of installation, and its current age is computed
//! from `now` (§14: "the LS age is incremented as the LSA is held in the database"). The
//! instance arms one timer per entry for the moment the LSA reaches MaxAge (or, for its own
//! LSAs, LSRefreshTime); when it fires the stored age is set to MaxAge, so code without a
//! `now` (the SPF's `LsdbView`) can tell MaxAge LSAs apart.
//!
//! The database is bounded: [`Lsdb::install`] refuses a new key once `max_lsas` keys are
//! held (the caller counts it); replacing an instance of a held key always works.

use std::cmp::Ordering;
use std::collections::{BTreeMap, btree_map};
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::lsa::{LsaHeader, LsaType, MAX_AGE};
use crate::{Lsa, LsaBody};

/// §B: LSRefreshTime, the interval at which a router re-originates its LSAs.
pub const LS_REFRESH_TIME: Duration = Duration::from_secs(1800);
/// §B: MinLSInterval, the shortest time between two originations of one LSA.
pub const MIN_LS_INTERVAL: Duration = Duration::from_secs(5);
/// §B: MinLSArrival, the shortest time between two accepted floodings of one LSA.
pub const MIN_LS_ARRIVAL: Duration = Duration::from_secs(1);
/// §B: MaxAgeDiff, the age difference beyond which the younger instance is more recent.
pub const MAX_AGE_DIFF: u16 = 900;
/// §12.1.6: InitialSequenceNumber.
pub const INITIAL_SEQUENCE_NUMBER: i32 = 0x8000_0001_u32 as i32;
/// §12.1.6: MaxSequenceNumber.
pub const MAX_SEQUENCE_NUMBER: i32 = 0x7fff_ffff;

/// The identity of an LSA (§12.1): LS type, Link State ID, Advertising Router.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct LsaKey {
    pub lsa_type: LsaType,
    pub link_state_id: Ipv4Addr,
    pub advertising_router: Ipv4Addr,
}

impl LsaKey {
    pub fn new(lsa_type: LsaType, link_state_id: Ipv4Addr, advertising_router: Ipv4Addr) -> Self {
        Self {
            lsa_type,
            link_state_id,
            advertising_router,
        }
    }

    pub fn of(header: &LsaHeader) -> Self {
        Self::new(header.lsa_type, header.link_state_id, header.advertising_router)
    }
}

/// §13.1: which of two instances of one LSA is more recent. `Greater` means `a` is. Both
/// headers must carry their current ages.
pub fn compare(a: &LsaHeader, b: &LsaHeader) -> Ordering {
    // "The LSA having the newer LS sequence number is more recent." (signed, §12.1.6)
    match a.sequence_number.cmp(&b.sequence_number) {
        Ordering::Equal => {}
        other => return other,
    }
    // "... the LSA having the larger LS checksum (as a 16-bit unsigned integer) is
    // considered more recent."
    match a.checksum.cmp(&b.checksum) {
        Ordering::Equal => {}
        other => return other,
    }
    // "... if only one of the instances has its LS age field set to MaxAge, the instance of
    // age MaxAge is considered to be more recent."
    match (a.age >= MAX_AGE, b.age >= MAX_AGE) {
        (true, false) => return Ordering::Greater,
        (false, true) => return Ordering::Less,
        _ => {}
    }
    // "... if the LS age fields of the two instances differ by more than MaxAgeDiff, the
    // instance having the smaller (younger) LS age is considered to be more recent."
    if a.age.abs_diff(b.age) > MAX_AGE_DIFF {
        return b.age.cmp(&a.age);
    }
    // "Else, the two instances are considered to be identical."
    Ordering::Equal
}

/// One LSA in the database.
#[derive(Debug, Clone)]
pub struct LsaEntry {
    /// The LSA as installed; its age field is the age at `installed`.
    lsa: Lsa,
    installed: Instant,
    /// Installed from a received Link State Update (MinLSArrival applies, §13 (5a)).
    pub(crate) from_flooding: bool,
}

impl LsaEntry {
    pub fn lsa(&self) -> &Lsa {
        &self.lsa
    }

    pub fn installed(&self) -> Instant {
        self.installed
    }

    /// The current LS age (§14), at most MaxAge.
    pub fn age(&self, now: Instant) -> u16 {
        let stored = self.lsa.header().age;
        if stored >= MAX_AGE {
            return MAX_AGE;
        }
        let elapsed = now.saturating_duration_since(self.installed).as_secs();
        let age = u64::from(stored).saturating_add(elapsed);
        u16::try_from(age.min(u64::from(MAX_AGE))).unwrap_or(MAX_AGE)
    }

    /// The stored age is MaxAge (set when installed so, or when the age timer fired).
    pub fn is_max_age(&self) -> bool {
        self.lsa.header().age >= MAX_AGE
    }

    /// The header with the current age.
    pub fn header_at(&self, now: Instant) -> LsaHeader {
        let mut header = *self.lsa.header();
        header.age = self.age(now);
        header
    }

    /// The LSA with its current age plus `delay` seconds (InfTransDelay, §13.3), at most
    /// MaxAge: what goes into a Link State Update.
    pub fn lsa_for_flooding(&self, now: Instant, delay: u16) -> Lsa {
        let mut lsa = self.lsa.clone();
        let age = self.age(now);
        let age = if age >= MAX_AGE {
            MAX_AGE
        } else {
            age.saturating_add(delay).min(MAX_AGE)
        };
        lsa.set_age(age);
        lsa
    }

    /// When the entry reaches `age` seconds (None when already past it or MaxAge).
    pub fn reaches_age(&self, age: u16) -> Option<Instant> {
        let stored = self.lsa.header().age;
        if stored >= MAX_AGE || stored >= age {
            return None;
        }
        Some(self.installed + Duration::from_secs(u64::from(age - stored)))
    }
}

/// The database was full: a new LSA was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LsdbFull;

/// What an installation did (§13.2).
#[derive(Debug)]
pub struct Installed {
    /// The contents changed (or the LSA is new, or it appeared/disappeared through MaxAge):
    /// the routing table must be recalculated.
    pub changed: bool,
    pub previous: Option<LsaEntry>,
    /// The LS age installed (at most MaxAge) and when: the new entry's aging, without
    /// looking it up again.
    pub age: u16,
    pub at: Instant,
}

impl Installed {
    /// The new entry is at MaxAge.
    pub fn is_max_age(&self) -> bool {
        self.age >= MAX_AGE
    }

    /// When the new entry reaches `age` seconds, as [`LsaEntry::reaches_age`].
    pub fn reaches_age(&self, age: u16) -> Option<Instant> {
        if self.age >= MAX_AGE || self.age >= age {
            return None;
        }
        Some(self.at + Duration::from_secs(u64::from(age - self.age)))
    }
}

/// The area's link state database.
#[derive(Debug)]
pub struct Lsdb {
    entries: BTreeMap<LsaKey, LsaEntry>,
    max_lsas: usize,
}

impl Lsdb {
    pub fn new(max_lsas: usize) -> Self {
        Self {
            entries: BTreeMap::new(),
            max_lsas,
        }
    }

    pub fn set_max_lsas(&mut self, max_lsas: usize) {
        self.max_lsas = max_lsas;
    }

    pub fn max_lsas(&self) -> usize {
        self.max_lsas
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn get(&self, key: &LsaKey) -> Option<&LsaEntry> {
        self.entries.get(key)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&LsaKey, &LsaEntry)> {
        self.entries.iter()
    }

    /// Every entry of one LS type and Link State ID (any advertising router).
    pub fn with_id(&self, lsa_type: LsaType, link_state_id: Ipv4Addr) -> impl Iterator<Item = (&LsaKey, &LsaEntry)> {
        let low = LsaKey::new(lsa_type, link_state_id, Ipv4Addr::UNSPECIFIED);
        let high = LsaKey::new(lsa_type, link_state_id, Ipv4Addr::BROADCAST);
        self.entries.range(low..=high)
    }

    /// Would installing `key` be refused for lack of room?
    pub fn is_full_for(&self, key: &LsaKey) -> bool {
        !self.entries.contains_key(key) && self.entries.len() >= self.max_lsas
    }

    /// §13.2: installs `lsa` (its age field being its age at `now`), replacing any other
    /// instance. `from_flooding` marks LSAs received in a Link State Update.
    pub fn install(&mut self, mut lsa: Lsa, now: Instant, from_flooding: bool) -> Result<Installed, LsdbFull> {
        let key = LsaKey::of(lsa.header());
        if lsa.header().age > MAX_AGE {
            lsa.set_age(MAX_AGE);
        }
        let age = lsa.header().age;
        let entry = LsaEntry {
            lsa,
            installed: now,
            from_flooding,
        };
        // One search of the tree: replace in place, or add if there is room.
        let full = self.entries.len() >= self.max_lsas;
        let (changed, previous) = match self.entries.entry(key) {
            btree_map::Entry::Occupied(mut occupied) => {
                let changed = contents_differ(occupied.get(), &entry);
                (changed, Some(occupied.insert(entry)))
            }
            btree_map::Entry::Vacant(_) if full => return Err(LsdbFull),
            btree_map::Entry::Vacant(vacant) => {
                vacant.insert(entry);
                (true, None)
            }
        };
        Ok(Installed {
            changed,
            previous,
            age,
            at: now,
        })
    }

    /// Sets the stored age of an entry to MaxAge (it reached it, or premature aging §14.1).
    /// Returns false when there is no such entry.
    pub fn set_max_age(&mut self, key: &LsaKey, now: Instant) -> bool {
        match self.entries.get_mut(key) {
            Some(entry) => {
                entry.lsa.set_age(MAX_AGE);
                entry.installed = now;
                true
            }
            None => false,
        }
    }

    pub fn remove(&mut self, key: &LsaKey) -> Option<LsaEntry> {
        self.entries.remove(key)
    }

    /// The body of an entry that is not MaxAge.
    pub fn live_body(&self, key: &LsaKey) -> Option<&LsaBody> {
        self.entries
            .get(key)
            .filter(|entry| !entry.is_max_age())
            .map(|entry| entry.lsa.body())
    }
}

/// §13.2: "the contents of the new LSA should be compared to the old instance ... If there
/// is no difference, there is no need to recalculate the routing table." The LS age (except
/// a change to or from MaxAge), sequence number and checksum are not contents.
fn contents_differ(old: &LsaEntry, new: &LsaEntry) -> bool {
    let (a, b) = (old.lsa.header(), new.lsa.header());
    a.options != b.options
        || old.is_max_age() != new.is_max_age()
        || a.length != b.length
        || old.lsa.body() != new.lsa.body()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Options;
    use crate::lsa::{NetworkLsa, RouterLsa, RouterLsaFlags};

    fn header(seq: i32, age: u16) -> LsaHeader {
        LsaHeader {
            age,
            options: Options::E,
            lsa_type: LsaType::ROUTER,
            link_state_id: Ipv4Addr::new(1, 1, 1, 1),
            advertising_router: Ipv4Addr::new(1, 1, 1, 1),
            sequence_number: seq,
            checksum: 0,
            length: 0,
        }
    }

    fn router_lsa(seq: i32, age: u16, links: usize) -> Lsa {
        let body = RouterLsa {
            flags: RouterLsaFlags::empty(),
            reserved: 0,
            links: (0..links)
                .map(|index| crate::lsa::RouterLink {
                    link_id: Ipv4Addr::new(10, 0, index as u8, 0),
                    link_data: Ipv4Addr::new(255, 255, 255, 0),
                    link_type: crate::lsa::RouterLinkType::STUB,
                    metric: 10,
                    tos_metrics: vec![],
                })
                .collect(),
        };
        Lsa::new(header(seq, age), LsaBody::Router(body)).unwrap()
    }

    #[test]
    fn rfc2328_13_1_higher_sequence_is_more_recent() {
        assert_eq!(compare(&header(5, 0), &header(4, 0)), Ordering::Greater);
        assert_eq!(
            compare(&header(INITIAL_SEQUENCE_NUMBER, 0), &header(MAX_SEQUENCE_NUMBER, 0)),
            Ordering::Less
        );
    }

    #[test]
    fn rfc2328_13_1_larger_checksum_is_more_recent() {
        let (mut a, b) = (header(5, 0), header(5, 0));
        a.checksum = 0xff00;
        assert_eq!(compare(&a, &b), Ordering::Greater);
        assert_eq!(compare(&b, &a), Ordering::Less);
    }

    #[test]
    fn rfc2328_13_1_max_age_is_more_recent() {
        assert_eq!(compare(&header(5, MAX_AGE), &header(5, 10)), Ordering::Greater);
        assert_eq!(compare(&header(5, 10), &header(5, MAX_AGE)), Ordering::Less);
    }

    #[test]
    fn rfc2328_13_1_younger_by_more_than_max_age_diff_is_more_recent() {
        assert_eq!(compare(&header(5, 10), &header(5, 911)), Ordering::Greater);
        assert_eq!(compare(&header(5, 10), &header(5, 910)), Ordering::Equal);
        assert_eq!(compare(&header(5, 1000), &header(5, 10)), Ordering::Less);
    }

    #[test]
    fn rfc2328_14_age_is_computed_from_install_time() {
        let start = Instant::now();
        let mut lsdb = Lsdb::new(10);
        lsdb.install(router_lsa(INITIAL_SEQUENCE_NUMBER, 100, 1), start, true)
            .unwrap();
        let key = LsaKey::new(LsaType::ROUTER, Ipv4Addr::new(1, 1, 1, 1), Ipv4Addr::new(1, 1, 1, 1));
        let entry = lsdb.get(&key).unwrap();
        assert_eq!(entry.age(start + Duration::from_secs(50)), 150);
        assert_eq!(entry.age(start + Duration::from_secs(5000)), MAX_AGE);
        assert_eq!(entry.reaches_age(MAX_AGE), Some(start + Duration::from_secs(3500)));
        assert_eq!(
            entry
                .lsa_for_flooding(start + Duration::from_secs(3499), 5)
                .header()
                .age,
            MAX_AGE
        );
        assert!(!entry.is_max_age());
        assert!(lsdb.set_max_age(&key, start));
        assert!(lsdb.get(&key).unwrap().is_max_age());
        assert_eq!(lsdb.live_body(&key), None);
    }

    #[test]
    fn rfc2328_13_2_contents_change_flags_spf() {
        let start = Instant::now();
        let mut lsdb = Lsdb::new(10);
        assert!(
            lsdb.install(router_lsa(INITIAL_SEQUENCE_NUMBER, 0, 1), start, false)
                .unwrap()
                .changed
        );
        // A refresh (new sequence number, same body) is not a change.
        assert!(
            !lsdb
                .install(router_lsa(INITIAL_SEQUENCE_NUMBER + 1, 0, 1), start, false)
                .unwrap()
                .changed
        );
        assert!(
            lsdb.install(router_lsa(INITIAL_SEQUENCE_NUMBER + 2, 0, 2), start, false)
                .unwrap()
                .changed
        );
        // Going to MaxAge is a change.
        assert!(
            lsdb.install(router_lsa(INITIAL_SEQUENCE_NUMBER + 2, MAX_AGE, 2), start, false)
                .unwrap()
                .changed
        );
    }

    #[test]
    fn lsdb_is_bounded() {
        let start = Instant::now();
        let mut lsdb = Lsdb::new(1);
        lsdb.install(router_lsa(INITIAL_SEQUENCE_NUMBER, 0, 1), start, false)
            .unwrap();
        let network = Lsa::new(
            LsaHeader {
                lsa_type: LsaType::NETWORK,
                ..header(INITIAL_SEQUENCE_NUMBER, 0)
            },
            LsaBody::Network(NetworkLsa {
                network_mask: Ipv4Addr::new(255, 255, 255, 0),
                attached_routers: vec![],
            }),
        )
        .unwrap();
        assert_eq!(lsdb.install(network, start, false).unwrap_err(), LsdbFull);
        // Replacing a held key still works.
        assert!(
            lsdb.install(router_lsa(INITIAL_SEQUENCE_NUMBER + 1, 0, 1), start, false)
                .is_ok()
        );
        assert_eq!(lsdb.len(), 1);
    }
}
