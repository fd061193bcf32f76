//! Rate-limited logging of refused packets: at most one line per (interface, reason) per
//! [`LOG_INTERVAL`], saying how many were suppressed since the last line. Shared by the
//! daemons; each keeps its own counters (shown in the shell) and decides the log level.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// One line per interface and reason at most this often.
pub const LOG_INTERVAL: Duration = Duration::from_secs(10);
/// Entries kept at most; older ones are dropped when full (reasons are a fixed set, so this
/// only bounds a host with very many interfaces).
const MAX_ENTRIES: usize = 4_096;

#[derive(Debug, Clone, Copy)]
struct Entry {
    last_logged: Instant,
    suppressed: u64,
}

#[derive(Debug, Default)]
pub struct RejectLog {
    entries: HashMap<(u32, &'static str), Entry>,
}

/// A line to log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectLine {
    pub ifindex: u32,
    pub reason: &'static str,
    pub source: IpAddr,
    /// Refusals of this kind not logged since the previous line.
    pub suppressed: u64,
}

impl RejectLog {
    /// Records a refusal; returns the line to log, if one is due.
    pub fn note(&mut self, ifindex: u32, reason: &'static str, source: IpAddr, now: Instant) -> Option<RejectLine> {
        if let Some(entry) = self.entries.get_mut(&(ifindex, reason)) {
            if now.saturating_duration_since(entry.last_logged) < LOG_INTERVAL {
                entry.suppressed = entry.suppressed.saturating_add(1);
                return None;
            }
            let suppressed = entry.suppressed;
            *entry = Entry {
                last_logged: now,
                suppressed: 0,
            };
            return Some(RejectLine {
                ifindex,
                reason,
                source,
                suppressed,
            });
        }
        if self.entries.len() >= MAX_ENTRIES {
            self.entries
                .retain(|_, entry| now.saturating_duration_since(entry.last_logged) < LOG_INTERVAL);
            if self.entries.len() >= MAX_ENTRIES {
                return None;
            }
        }
        self.entries.insert(
            (ifindex, reason),
            Entry {
                last_logged: now,
                suppressed: 0,
            },
        );
        Some(RejectLine {
            ifindex,
            reason,
            source,
            suppressed: 0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_interface_and_reason_per_interval() {
        let mut log = RejectLog::default();
        let t0 = Instant::now();
        let source = IpAddr::from([10, 0, 12, 2]);
        assert!(log.note(2, "bad-digest", source, t0).is_some());
        assert!(log.note(2, "bad-digest", source, t0 + Duration::from_secs(1)).is_none());
        assert!(log.note(2, "bad-digest", source, t0 + Duration::from_secs(2)).is_none());
        assert!(log.note(3, "bad-digest", source, t0).is_some(), "another interface");
        assert!(
            log.note(2, "hello-interval-mismatch", source, t0).is_some(),
            "another reason"
        );
        let line = log.note(2, "bad-digest", source, t0 + LOG_INTERVAL).expect("due");
        assert_eq!(line.suppressed, 2);
        assert!(log.note(2, "bad-digest", source, t0 + LOG_INTERVAL).is_none());
    }
}
