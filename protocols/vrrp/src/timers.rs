//! The timer arithmetic of RFC 5798 §6.1 (v3) and RFC 3768 §6.1 (v2), as `Duration`s with
//! nanosecond resolution: nothing is rounded to centiseconds or seconds, so at 10 ms
//! advertisements and priority 100 the Master_Down_Interval is 36.09 ms, not 30 or 40.

use std::time::Duration;

use crate::packet::Version;

/// A centisecond count as a `Duration`.
pub fn centiseconds(cs: u16) -> Duration {
    Duration::from_millis(u64::from(cs) * 10)
}

/// A `Duration` in centiseconds, fractional (for views).
pub fn as_centiseconds(duration: Duration) -> f64 {
    duration.as_secs_f64() * 100.0
}

/// Skew_Time for `priority`.
///
/// - v3, RFC 5798 §6.1: `((256 - Priority) * Master_Adver_Interval) / 256` centiseconds.
/// - v2, RFC 3768 §6.1: `(256 - Priority) / 256` seconds, whatever the interval.
pub fn skew_time(version: Version, priority: u8, master_adver_interval_cs: u16) -> Duration {
    let weight = 256 - u64::from(priority);
    match version {
        Version::V3 => Duration::from_nanos(u64::from(master_adver_interval_cs) * 10_000_000 * weight / 256),
        Version::V2 => Duration::from_nanos(1_000_000_000 * weight / 256),
    }
}

/// Master_Down_Interval: `3 * Master_Adver_Interval + Skew_Time` (RFC 5798 §6.1; RFC 3768
/// §6.1 with Advertisement_Interval).
pub fn master_down_interval(version: Version, priority: u8, master_adver_interval_cs: u16) -> Duration {
    centiseconds(master_adver_interval_cs) * 3 + skew_time(version, priority, master_adver_interval_cs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc5798_6_1_skew_and_master_down_at_10ms_100ms_1s() {
        // 156/256 of the interval.
        assert_eq!(skew_time(Version::V3, 100, 1), Duration::from_nanos(6_093_750));
        assert_eq!(
            master_down_interval(Version::V3, 100, 1),
            Duration::from_nanos(36_093_750)
        );
        assert_eq!(
            master_down_interval(Version::V3, 100, 10),
            Duration::from_nanos(360_937_500)
        );
        assert_eq!(
            master_down_interval(Version::V3, 100, 100),
            Duration::from_nanos(3_609_375_000)
        );
        assert_eq!(skew_time(Version::V3, 255, 100), Duration::from_nanos(3_906_250));
    }

    #[test]
    fn rfc3768_6_1_skew_is_in_seconds_whatever_the_interval() {
        assert_eq!(skew_time(Version::V2, 100, 100), Duration::from_nanos(609_375_000));
        assert_eq!(skew_time(Version::V2, 100, 300), Duration::from_nanos(609_375_000));
        assert_eq!(
            master_down_interval(Version::V2, 100, 300),
            Duration::from_nanos(9_609_375_000)
        );
    }
}
