//! The SPF back-off delay of RFC 8405: when to run the SPF calculation after IGP events.
//!
//! ```text
//!   IGP event ──► SpfDelay::event(now) ──► Some(deadline) when SPF_TIMER was armed
//!   daemon sleeps until SpfDelay::next_deadline()
//!   SpfDelay::poll(now) ──► Some(SpfRun) when SPF_TIMER fired: run SPF now
//! ```
//!
//! Sans-IO: the three timers of §4 (SPF_TIMER, LEARN_TIMER, HOLDDOWN_TIMER) are deadlines
//! kept here; the daemon owns the clock, sleeps until [`SpfDelay::next_deadline`] and calls
//! [`SpfDelay::poll`], which fires every timer that is due, in deadline order. An event
//! fires the timers already due before it is handled, so a late wake-up gives the same
//! result as a punctual one.
//!
//! The defaults are the example values of RFC 8405 §6, which FRR's `spf-delay-ietf` also
//! uses: INITIAL_SPF_DELAY 50 ms, SHORT_SPF_DELAY 200 ms, LONG_SPF_DELAY 5 s,
//! TIME_TO_LEARN_INTERVAL 500 ms, HOLDDOWN_INTERVAL 10 s.

use std::time::{Duration, Instant};

use serde::Serialize;

/// The RFC 8405 §6 parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SpfDelayConfig {
    /// INITIAL_SPF_DELAY: after the first event of a quiet period.
    pub initial_delay: Duration,
    /// SHORT_SPF_DELAY: for events during TIME_TO_LEARN_INTERVAL after the first one.
    pub short_delay: Duration,
    /// LONG_SPF_DELAY: for events after that, until HOLDDOWN_INTERVAL passes without one.
    pub long_delay: Duration,
    /// TIME_TO_LEARN_INTERVAL: how long SHORT_WAIT lasts.
    pub time_to_learn: Duration,
    /// HOLDDOWN_INTERVAL: the event-free time that brings the state machine back to QUIET.
    pub holddown: Duration,
}

impl Default for SpfDelayConfig {
    fn default() -> Self {
        Self {
            initial_delay: Duration::from_millis(50),
            short_delay: Duration::from_millis(200),
            long_delay: Duration::from_secs(5),
            time_to_learn: Duration::from_millis(500),
            holddown: Duration::from_secs(10),
        }
    }
}

/// The states of RFC 8405 §5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SpfDelayState {
    /// No event for HOLDDOWN_INTERVAL: the next one runs SPF after INITIAL_SPF_DELAY.
    Quiet,
    /// Within TIME_TO_LEARN_INTERVAL of the first event: SHORT_SPF_DELAY.
    ShortWait,
    /// Events kept coming: LONG_SPF_DELAY until HOLDDOWN_INTERVAL passes without one.
    LongWait,
}

/// The timers of RFC 8405 §4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SpfDelayTimer {
    SpfTimer,
    LearnTimer,
    HolddownTimer,
}

/// Returned by [`SpfDelay::poll`] when SPF_TIMER fired: run the SPF calculation now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpfRun {
    /// When SPF_TIMER was due (`now` may be later if the daemon woke up late).
    pub scheduled: Instant,
    /// The first IGP event since the previous run.
    pub first_event: Instant,
    /// The IGP events since the previous run, coalesced into this one.
    pub events: u32,
}

/// The SPF delay state machine of RFC 8405 §5.1.
#[derive(Debug, Clone)]
pub struct SpfDelay {
    config: SpfDelayConfig,
    state: SpfDelayState,
    spf_timer: Option<Instant>,
    learn_timer: Option<Instant>,
    holddown_timer: Option<Instant>,
    /// The first event and the number of events since the last SPF run.
    pending: Option<(Instant, u32)>,
    last_event: Option<Instant>,
}

impl Default for SpfDelay {
    fn default() -> Self {
        Self::new(SpfDelayConfig::default())
    }
}

impl SpfDelay {
    /// A state machine in QUIET with no timer armed.
    pub fn new(config: SpfDelayConfig) -> Self {
        Self {
            config,
            state: SpfDelayState::Quiet,
            spf_timer: None,
            learn_timer: None,
            holddown_timer: None,
            pending: None,
            last_event: None,
        }
    }

    pub fn config(&self) -> &SpfDelayConfig {
        &self.config
    }

    /// Changes the parameters; timers already armed keep their deadlines, the new values
    /// apply to the timers armed from now on.
    pub fn set_config(&mut self, config: SpfDelayConfig) {
        self.config = config;
    }

    pub fn state(&self) -> SpfDelayState {
        self.state
    }

    /// The deadline of a timer, if armed.
    pub fn deadline(&self, timer: SpfDelayTimer) -> Option<Instant> {
        match timer {
            SpfDelayTimer::SpfTimer => self.spf_timer,
            SpfDelayTimer::LearnTimer => self.learn_timer,
            SpfDelayTimer::HolddownTimer => self.holddown_timer,
        }
    }

    /// When the daemon must call [`poll`](Self::poll) next: the earliest armed timer.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.next_due().map(|(deadline, _)| deadline)
    }

    /// The time of the last IGP event.
    pub fn last_event(&self) -> Option<Instant> {
        self.last_event
    }

    /// An IGP event that requires an SPF calculation (RFC 8405 §5.1 transitions 1, 2 and
    /// 4). Timers due by `now` fire first; an SPF run they would trigger is still reported
    /// by the next [`poll`](Self::poll). Returns SPF_TIMER's deadline when this event armed
    /// it, `None` when it was already armed (this event joins the pending run).
    pub fn event(&mut self, now: Instant) -> Option<Instant> {
        let due = self.fire_due_timers(now, false);
        self.last_event = Some(now);
        self.pending = Some(match self.pending {
            Some((first, events)) => (first, events.saturating_add(1)),
            None => (now, 1),
        });
        let armed = match self.state {
            // Transition 1: IGP event while in QUIET.
            SpfDelayState::Quiet => {
                let armed = self.start_spf_timer(now, self.config.initial_delay);
                self.learn_timer = Some(now + self.config.time_to_learn);
                self.holddown_timer = Some(now + self.config.holddown);
                self.state = SpfDelayState::ShortWait;
                armed
            }
            // Transition 2: IGP event while in SHORT_WAIT.
            SpfDelayState::ShortWait => {
                self.holddown_timer = Some(now + self.config.holddown);
                self.start_spf_timer(now, self.config.short_delay)
            }
            // Transition 4: IGP event while in LONG_WAIT.
            SpfDelayState::LongWait => {
                self.holddown_timer = Some(now + self.config.holddown);
                self.start_spf_timer(now, self.config.long_delay)
            }
        };
        // A run that fell due before this event is still reported by the next poll().
        if due && self.spf_timer.is_none() {
            self.spf_timer = Some(now);
        }
        armed
    }

    /// Fires every timer due by `now`, in deadline order. Returns `Some` when SPF_TIMER
    /// fired (transitions 7, 8 and 9): the daemon runs the SPF calculation now.
    pub fn poll(&mut self, now: Instant) -> Option<SpfRun> {
        let scheduled = self.spf_timer.unwrap_or(now);
        if !self.fire_due_timers(now, true) {
            return None;
        }
        let (first_event, events) = self.pending.take().unwrap_or((scheduled, 0));
        Some(SpfRun {
            scheduled,
            first_event,
            events,
        })
    }

    /// Starts SPF_TIMER with `delay` unless it is running; returns its new deadline.
    fn start_spf_timer(&mut self, now: Instant, delay: Duration) -> Option<Instant> {
        if self.spf_timer.is_some() {
            return None;
        }
        let deadline = now + delay;
        self.spf_timer = Some(deadline);
        Some(deadline)
    }

    fn next_due(&self) -> Option<(Instant, SpfDelayTimer)> {
        [
            (self.spf_timer, SpfDelayTimer::SpfTimer),
            (self.learn_timer, SpfDelayTimer::LearnTimer),
            (self.holddown_timer, SpfDelayTimer::HolddownTimer),
        ]
        .into_iter()
        .filter_map(|(deadline, timer)| deadline.map(|deadline| (deadline, timer)))
        .min()
    }

    /// Fires the due timers in deadline order (ties: SPF_TIMER, LEARN_TIMER, then
    /// HOLDDOWN_TIMER). With `fire_spf` false SPF_TIMER is left armed, so that poll()
    /// reports it. Returns true if SPF_TIMER was due. At most three timers: bounded.
    fn fire_due_timers(&mut self, now: Instant, fire_spf: bool) -> bool {
        let mut spf_due = false;
        for _ in 0..3 {
            let next = [
                (self.spf_timer.filter(|_| !spf_due), SpfDelayTimer::SpfTimer),
                (self.learn_timer, SpfDelayTimer::LearnTimer),
                (self.holddown_timer, SpfDelayTimer::HolddownTimer),
            ]
            .into_iter()
            .filter_map(|(deadline, timer)| deadline.map(|deadline| (deadline, timer)))
            .min();
            let Some((deadline, timer)) = next else { break };
            if deadline > now {
                break;
            }
            match timer {
                SpfDelayTimer::SpfTimer => {
                    spf_due = true;
                    if fire_spf {
                        self.spf_timer_fired();
                    }
                }
                SpfDelayTimer::LearnTimer => self.learn_timer_fired(),
                SpfDelayTimer::HolddownTimer => self.holddown_timer_fired(),
            }
        }
        spf_due
    }

    /// Transitions 7, 8 and 9: SPF_TIMER expiration while in QUIET, SHORT_WAIT or LONG_WAIT:
    /// compute SPF (the caller's job) and remain in the current state.
    fn spf_timer_fired(&mut self) {
        self.spf_timer = None;
    }

    /// Transition 3: LEARN_TIMER expiration: go to LONG_WAIT.
    fn learn_timer_fired(&mut self) {
        self.learn_timer = None;
        if self.state == SpfDelayState::ShortWait {
            self.state = SpfDelayState::LongWait;
        }
    }

    /// Transition 5: HOLDDOWN_TIMER expiration while in LONG_WAIT: go to QUIET.
    /// Transition 6: HOLDDOWN_TIMER expiration while in SHORT_WAIT: deactivate LEARN_TIMER
    /// and go to QUIET.
    fn holddown_timer_fired(&mut self) {
        self.holddown_timer = None;
        self.learn_timer = None;
        self.state = SpfDelayState::Quiet;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    /// One step of a scenario: at `at` ms, an input, then the expected state and timers
    /// (deadlines in ms from the start; `None` = not armed).
    struct Step {
        at: u64,
        input: Input,
        state: SpfDelayState,
        spf: Option<u64>,
        learn: Option<u64>,
        holddown: Option<u64>,
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Input {
        /// An IGP event; `Some(ms)`: it must arm SPF_TIMER for that time.
        Event(Option<u64>),
        /// poll(); true: SPF must run.
        Poll(bool),
    }

    use Input::{Event, Poll};
    use SpfDelayState::{LongWait, Quiet, ShortWait};

    fn step(at: u64, input: Input, state: SpfDelayState, timers: [Option<u64>; 3]) -> Step {
        let [spf, learn, holddown] = timers;
        Step {
            at,
            input,
            state,
            spf,
            learn,
            holddown,
        }
    }

    fn run(name: &str, config: SpfDelayConfig, steps: &[Step]) {
        let start = Instant::now();
        let t = |ms: u64| start + Duration::from_millis(ms);
        let mut delay = SpfDelay::new(config);
        for (i, step) in steps.iter().enumerate() {
            let now = t(step.at);
            match step.input {
                Event(armed) => assert_eq!(delay.event(now), armed.map(t), "{name}: step {i}: event's SPF deadline"),
                Poll(run) => assert_eq!(delay.poll(now).is_some(), run, "{name}: step {i}: SPF run"),
            }
            assert_eq!(delay.state(), step.state, "{name}: step {i}: state");
            assert_eq!(
                delay.deadline(SpfDelayTimer::SpfTimer),
                step.spf.map(t),
                "{name}: step {i}: SPF_TIMER"
            );
            assert_eq!(
                delay.deadline(SpfDelayTimer::LearnTimer),
                step.learn.map(t),
                "{name}: step {i}: LEARN_TIMER"
            );
            assert_eq!(
                delay.deadline(SpfDelayTimer::HolddownTimer),
                step.holddown.map(t),
                "{name}: step {i}: HOLDDOWN_TIMER"
            );
            let next = [step.spf, step.learn, step.holddown].into_iter().flatten().min().map(t);
            assert_eq!(delay.next_deadline(), next, "{name}: step {i}: next deadline");
        }
    }

    /// One table row per transition of RFC 8405 §5.1, each brought about from the start
    /// (defaults: initial 50 ms, short 200 ms, long 5 s, learn 500 ms, holddown 10 s).
    #[test]
    fn rfc8405_section_5_1_transitions() {
        let defaults = SpfDelayConfig::default();
        // Transition 6 needs a holddown shorter than the learning time, transition 7 a
        // long delay beyond the holddown: with the defaults neither can happen.
        let short_holddown = SpfDelayConfig {
            holddown: Duration::from_millis(300),
            ..defaults
        };
        let long_delay = SpfDelayConfig {
            long_delay: Duration::from_secs(20),
            ..defaults
        };
        let cases: &[(&str, SpfDelayConfig, &[Step])] = &[
            (
                "Transition 1: IGP event while in QUIET: SPF_TIMER = INITIAL_SPF_DELAY, \
                 LEARN_TIMER, HOLDDOWN_TIMER, to SHORT_WAIT",
                defaults,
                &[step(0, Event(Some(50)), ShortWait, [Some(50), Some(500), Some(10_000)])],
            ),
            (
                "Transition 2: IGP event while in SHORT_WAIT: HOLDDOWN_TIMER reset, SPF_TIMER \
                 kept if running, else SHORT_SPF_DELAY",
                defaults,
                &[
                    step(0, Event(Some(50)), ShortWait, [Some(50), Some(500), Some(10_000)]),
                    step(10, Event(None), ShortWait, [Some(50), Some(500), Some(10_010)]),
                    step(50, Poll(true), ShortWait, [None, Some(500), Some(10_010)]),
                    step(100, Event(Some(300)), ShortWait, [Some(300), Some(500), Some(10_100)]),
                ],
            ),
            (
                "Transition 3: LEARN_TIMER expiration: to LONG_WAIT",
                defaults,
                &[
                    step(0, Event(Some(50)), ShortWait, [Some(50), Some(500), Some(10_000)]),
                    step(50, Poll(true), ShortWait, [None, Some(500), Some(10_000)]),
                    step(499, Poll(false), ShortWait, [None, Some(500), Some(10_000)]),
                    step(500, Poll(false), LongWait, [None, None, Some(10_000)]),
                ],
            ),
            (
                "Transition 4: IGP event while in LONG_WAIT: HOLDDOWN_TIMER reset, SPF_TIMER \
                 = LONG_SPF_DELAY unless running",
                defaults,
                &[
                    step(0, Event(Some(50)), ShortWait, [Some(50), Some(500), Some(10_000)]),
                    step(50, Poll(true), ShortWait, [None, Some(500), Some(10_000)]),
                    step(500, Poll(false), LongWait, [None, None, Some(10_000)]),
                    step(600, Event(Some(5_600)), LongWait, [Some(5_600), None, Some(10_600)]),
                    step(700, Event(None), LongWait, [Some(5_600), None, Some(10_700)]),
                ],
            ),
            (
                "Transition 5: HOLDDOWN_TIMER expiration while in LONG_WAIT: to QUIET",
                defaults,
                &[
                    step(0, Event(Some(50)), ShortWait, [Some(50), Some(500), Some(10_000)]),
                    step(50, Poll(true), ShortWait, [None, Some(500), Some(10_000)]),
                    step(500, Poll(false), LongWait, [None, None, Some(10_000)]),
                    step(9_999, Poll(false), LongWait, [None, None, Some(10_000)]),
                    step(10_000, Poll(false), Quiet, [None, None, None]),
                    // QUIET again: the next event gets INITIAL_SPF_DELAY (transition 1).
                    step(
                        10_100,
                        Event(Some(10_150)),
                        ShortWait,
                        [Some(10_150), Some(10_600), Some(20_100)],
                    ),
                ],
            ),
            (
                "Transition 6: HOLDDOWN_TIMER expiration while in SHORT_WAIT: LEARN_TIMER \
                 deactivated, to QUIET",
                short_holddown,
                &[
                    step(0, Event(Some(50)), ShortWait, [Some(50), Some(500), Some(300)]),
                    step(50, Poll(true), ShortWait, [None, Some(500), Some(300)]),
                    step(300, Poll(false), Quiet, [None, None, None]),
                    step(400, Event(Some(450)), ShortWait, [Some(450), Some(900), Some(700)]),
                ],
            ),
            (
                "Transition 7: SPF_TIMER expiration while in QUIET: compute SPF, stay",
                long_delay,
                &[
                    step(0, Event(Some(50)), ShortWait, [Some(50), Some(500), Some(10_000)]),
                    step(50, Poll(true), ShortWait, [None, Some(500), Some(10_000)]),
                    step(500, Poll(false), LongWait, [None, None, Some(10_000)]),
                    step(600, Event(Some(20_600)), LongWait, [Some(20_600), None, Some(10_600)]),
                    step(10_600, Poll(false), Quiet, [Some(20_600), None, None]),
                    step(20_600, Poll(true), Quiet, [None, None, None]),
                ],
            ),
            (
                "Transition 8: SPF_TIMER expiration while in SHORT_WAIT: compute SPF, stay",
                defaults,
                &[
                    step(0, Event(Some(50)), ShortWait, [Some(50), Some(500), Some(10_000)]),
                    step(49, Poll(false), ShortWait, [Some(50), Some(500), Some(10_000)]),
                    step(50, Poll(true), ShortWait, [None, Some(500), Some(10_000)]),
                    step(51, Poll(false), ShortWait, [None, Some(500), Some(10_000)]),
                ],
            ),
            (
                "Transition 9: SPF_TIMER expiration while in LONG_WAIT: compute SPF, stay",
                defaults,
                &[
                    step(0, Event(Some(50)), ShortWait, [Some(50), Some(500), Some(10_000)]),
                    step(50, Poll(true), ShortWait, [None, Some(500), Some(10_000)]),
                    step(500, Poll(false), LongWait, [None, None, Some(10_000)]),
                    step(600, Event(Some(5_600)), LongWait, [Some(5_600), None, Some(10_600)]),
                    step(5_600, Poll(true), LongWait, [None, None, Some(10_600)]),
                ],
            ),
        ];
        for (name, config, steps) in cases {
            run(name, *config, steps);
        }
    }

    /// A late wake-up fires the timers in deadline order: SPF (50 ms), LEARN (500 ms),
    /// HOLDDOWN (10 s) all at once end in QUIET with one SPF run.
    #[test]
    fn late_poll_fires_every_due_timer_in_order() {
        let start = Instant::now();
        let mut delay = SpfDelay::default();
        delay.event(start);
        let run = delay.poll(start + 60 * 1000 * MS).expect("SPF run");
        assert_eq!(run.scheduled, start + 50 * MS);
        assert_eq!(delay.state(), Quiet);
        assert_eq!(delay.next_deadline(), None);
    }

    /// An event after a missed SPF deadline: the due run is reported by the next poll, and
    /// the event does not postpone it.
    #[test]
    fn event_after_a_missed_deadline_keeps_the_run() {
        let start = Instant::now();
        let mut delay = SpfDelay::default();
        delay.event(start);
        assert_eq!(delay.event(start + 70 * MS), None);
        let run = delay.poll(start + 70 * MS).expect("SPF run");
        assert_eq!(run.events, 2);
        assert_eq!(run.first_event, start);
        assert_eq!(delay.state(), ShortWait);
    }

    /// Events are coalesced: the run reports how many and when the first one came.
    #[test]
    fn a_run_reports_the_events_it_covers() {
        let start = Instant::now();
        let mut delay = SpfDelay::default();
        delay.event(start);
        delay.event(start + 10 * MS);
        delay.event(start + 20 * MS);
        let run = delay.poll(start + 50 * MS).expect("SPF run");
        assert_eq!(
            (run.first_event, run.events, run.scheduled),
            (start, 3, start + 50 * MS)
        );
        assert_eq!(delay.last_event(), Some(start + 20 * MS));
        assert_eq!(delay.event(start + 100 * MS), Some(start + 300 * MS));
        let run = delay.poll(start + 300 * MS).expect("SPF run");
        assert_eq!((run.first_event, run.events), (start + 100 * MS, 1));
    }

    /// A storm: one run at 50 ms, SHORT_SPF_DELAY runs during the learning time, then
    /// LONG_SPF_DELAY runs, and QUIET 10 s after the last event.
    #[test]
    fn event_storm_backs_off() {
        let start = Instant::now();
        let mut delay = SpfDelay::default();
        let mut runs = Vec::new();
        let mut now = start;
        // An event every 20 ms for 12 s, polling every ms.
        while now < start + Duration::from_secs(12) {
            if (now - start).as_millis() % 20 == 0 {
                delay.event(now);
            }
            if let Some(run) = delay.poll(now) {
                runs.push((run.scheduled - start).as_millis());
            }
            now += MS;
        }
        assert_eq!(runs[..3], [50, 260, 480], "INITIAL then SHORT delays: {runs:?}");
        assert_eq!(runs[3], 5_500, "LONG_SPF_DELAY once LEARN_TIMER expired: {runs:?}");
        assert_eq!(runs[4], 10_520);
        assert_eq!(delay.state(), LongWait);
        // Silence: 10 s after the last event (11 980 ms), back to QUIET.
        while now <= start + Duration::from_millis(21_980) {
            if let Some(run) = delay.poll(now) {
                runs.push((run.scheduled - start).as_millis());
            }
            now += MS;
        }
        assert_eq!(runs.len(), 6, "{runs:?}");
        assert_eq!(runs[5], 15_540);
        assert_eq!(delay.state(), Quiet);
        assert_eq!(delay.next_deadline(), None);
    }
}
