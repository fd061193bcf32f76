//! A sleep that wakes at its deadline, not at the next millisecond.
//!
//! tokio's timer wheel has a resolution of one millisecond and rounds every deadline up to
//! the next tick, so a `sleep_until` wakes 0-1 ms late, plus the driver's own latency. That is
//! nothing for OSPF and most of the difference between a VRRP failover at the RFC's bound and
//! one that misses it at 10 ms adverts (Master_Down_Interval 36.1 ms). [`PreciseTimer`] is a
//! Linux timerfd on CLOCK_MONOTONIC (the clock of [`std::time::Instant`]) armed with the exact
//! remaining time and awaited through the tokio reactor.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Instant;

use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

/// One timerfd; each [`PreciseTimer::sleep_until`] re-arms it.
#[derive(Debug)]
pub struct PreciseTimer {
    fd: AsyncFd<OwnedFd>,
}

impl PreciseTimer {
    /// A non-blocking timerfd on CLOCK_MONOTONIC, registered with the current tokio runtime.
    pub fn new() -> io::Result<PreciseTimer> {
        // SAFETY: timerfd_create takes no pointers; a non-negative result is a new descriptor
        // that nothing else owns.
        let raw = unsafe { libc::timerfd_create(libc::CLOCK_MONOTONIC, libc::TFD_NONBLOCK | libc::TFD_CLOEXEC) };
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `raw` is a valid descriptor we own (just created).
        let owned = unsafe { OwnedFd::from_raw_fd(raw) };
        // SAFETY: the OwnedFd owns the descriptor and the AsyncFd owns the OwnedFd: the
        // descriptor stays open as long as it is registered.
        let fd = unsafe { AsyncFd::register_with_interest(owned, Interest::READABLE) }?;
        Ok(PreciseTimer { fd })
    }

    /// Returns at `deadline` (at once when it has passed). Cancel-safe: dropping the future
    /// leaves the timer armed, and the next call re-arms it.
    pub async fn sleep_until(&self, deadline: Instant) -> io::Result<()> {
        let now = Instant::now();
        if deadline <= now {
            return Ok(());
        }
        self.drain();
        let remaining = deadline - now;
        let value = libc::itimerspec {
            it_interval: libc::timespec { tv_sec: 0, tv_nsec: 0 },
            it_value: libc::timespec {
                tv_sec: libc::time_t::try_from(remaining.as_secs()).unwrap_or(libc::time_t::MAX),
                // At least 1 ns: an all-zero it_value disarms the timer.
                tv_nsec: libc::c_long::from(remaining.subsec_nanos().max(1)),
            },
        };
        // SAFETY: `value` is a valid itimerspec for the duration of the call; the old value is
        // not asked for (null).
        let set = unsafe { libc::timerfd_settime(self.fd.as_raw_fd(), 0, &value, std::ptr::null_mut()) };
        if set < 0 {
            return Err(io::Error::last_os_error());
        }
        loop {
            let mut guard = self.fd.readable().await?;
            match read_expirations(self.fd.get_ref()) {
                Ok(_) => return Ok(()),
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => guard.clear_ready(),
                Err(error) => return Err(error),
            }
        }
    }

    /// Reads away an expiration left by an earlier, abandoned sleep.
    fn drain(&self) {
        let _ = read_expirations(self.fd.get_ref());
    }
}

fn read_expirations(fd: &OwnedFd) -> io::Result<u64> {
    let mut count = [0u8; 8];
    // SAFETY: `count` is 8 writable bytes, what a timerfd read needs.
    let read = unsafe { libc::read(fd.as_raw_fd(), count.as_mut_ptr().cast(), count.len()) };
    if read == 8 {
        Ok(u64::from_ne_bytes(count))
    } else if read < 0 {
        Err(io::Error::last_os_error())
    } else {
        Err(io::Error::other("short read from a timerfd"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn wakes_at_the_deadline_not_a_millisecond_later() {
        let timer = PreciseTimer::new().unwrap();
        let mut lateness = Vec::new();
        for _ in 0..20 {
            let deadline = Instant::now() + Duration::from_micros(2_300);
            timer.sleep_until(deadline).await.unwrap();
            let woke = Instant::now();
            assert!(woke >= deadline, "woke before the deadline");
            lateness.push(woke - deadline);
        }
        lateness.sort();
        // The median wake-up is well under tokio's 1 ms tick (a loaded CI machine may delay
        // some, not most).
        assert!(lateness[10] < Duration::from_micros(700), "{lateness:?}");
    }

    #[tokio::test]
    async fn an_abandoned_sleep_does_not_wake_the_next_early() {
        let timer = PreciseTimer::new().unwrap();
        let abandoned = tokio::time::timeout(
            Duration::from_millis(2),
            timer.sleep_until(Instant::now() + Duration::from_millis(20)),
        )
        .await;
        assert!(abandoned.is_err());
        // The abandoned timer expires meanwhile: its expiration must not end the next sleep.
        tokio::time::sleep(Duration::from_millis(30)).await;
        let deadline = Instant::now() + Duration::from_millis(20);
        timer.sleep_until(deadline).await.unwrap();
        assert!(Instant::now() >= deadline);
        // A passed deadline returns at once.
        timer
            .sleep_until(Instant::now() - Duration::from_millis(1))
            .await
            .unwrap();
    }
}
