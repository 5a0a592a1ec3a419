//! The client's sending rate under throttling: one limiter per [`crate::Client`], shared by its
//! threads (the CLI's jobs, an `AsyncClient`'s workers).
//!
//! Until a gateway throttles (429, or 503 with `Retry-After`), it costs a call one atomic load
//! and one atomic add. The first throttling answer turns it on: requests then leave at a paced
//! rate, every call waiting for its slot. The rate starts from what the gateway admitted so far
//! and doubles every [`SLOW_START_DOUBLING`] until the next throttling answer; from then on each
//! throttling answer lowers it to [`BETA`] of the rate it was sent at, and it grows back along a
//! cubic (CUBIC's shape, as the AWS SDKs' adaptive mode): quickly at first, flat around the rate
//! that was throttled, then probing beyond it. A `Retry-After` holds every call of the client
//! until it has passed, and stretches the curve (a throttled request then costs a pause for all).
//! Answers to requests sent before the last reduction do not lower the rate again: they were
//! already counted. `max_rate` caps the rate, and turns the limiter on from the first call.

use crate::limits::LOG_TARGET;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// What the rate drops to after a throttling answer, as a share of the rate it was sent at.
pub const BETA: f64 = 0.9;
/// The cubic's scale (requests/s per s³), as CUBIC and the AWS SDKs' adaptive mode have it:
/// back at the throttled rate after (w_max·(1 − BETA)/C)^⅓ seconds, then probing beyond it.
/// A `Retry-After` divides it by 1 + 40·seconds (each throttled request then stalls every call:
/// the limit is approached far more slowly, a throttle every 15 s or so rather than every 5).
pub const CUBIC_C: f64 = 0.4;
/// After the first throttling answer, the rate doubles this often until the next one.
pub const SLOW_START_DOUBLING: Duration = Duration::from_millis(500);
/// The lowest rate (requests per second): even a gateway that throttles everything is asked
/// again, every two seconds.
pub const MIN_RATE: f64 = 0.5;
/// The lowest rate a slow start begins at (a lone call throttled at once is asked again within
/// half a second, as a backoff would).
pub const MIN_START_RATE: f64 = 2.0;
/// Throttling answers this soon after the rate was lowered are the same event (the gateway's
/// bucket is still empty): they do not lower it again.
pub const SAME_EVENT: Duration = Duration::from_millis(500);

/// The limiter's state, for monitoring (Python `Client.rate_limit`, C `apig_client_send_rate`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimitState {
    /// The rate requests leave at now (requests per second); None while unlimited (no gateway
    /// has throttled and no `max_rate` was set).
    pub rate: Option<f64>,
    /// Throttling answers seen by every call of the client.
    pub throttled: u64,
    /// How long calls are held by a `Retry-After` still (zero when they are not).
    pub paused_for: Duration,
}

pub(crate) struct RateLimiter {
    /// False until the first throttling answer (or with `max_rate`): `acquire` is one load then.
    active: AtomicBool,
    throttled: AtomicU64,
    successes: AtomicU64,
    born: Instant,
    state: Mutex<State>,
    /// Wakes the waiting calls when one took its turn or gave up its place.
    wake: std::sync::Condvar,
}

struct State {
    max_rate: Option<f64>,
    /// The rate when the curve (or the slow start) began.
    start_rate: f64,
    /// The rate that was throttled last: the curve's plateau.
    w_max: f64,
    /// When the rate was last lowered (the curve's origin); None before any throttling.
    reduced_at: Option<Instant>,
    slow_start: bool,
    /// The cubic's scale: [`CUBIC_C`], less after a `Retry-After`.
    c: f64,
    /// The pacing bucket: at most one request's worth, refilled at the rate (no bursts).
    tokens: f64,
    refilled: Instant,
    /// When requests left in the last second: the rate actually sent at.
    sends: std::collections::VecDeque<Instant>,
    /// When the limiter was turned on.
    since: Instant,
    /// When answers that were not throttling came, over the last two seconds (while on).
    oks: std::collections::VecDeque<Instant>,
    /// The answers that were not throttling at the last reduction, and when counting them
    /// started (after its `Retry-After`): what the gateway admitted since is its rate.
    successes_at: u64,
    count_from: Instant,
    paused_until: Option<Instant>,
    /// For the once-a-second log line: when, and the rate it said.
    last_log: Option<Instant>,
    logged_rate: f64,
    /// First come first served: the next ticket to hand out, the one whose turn it is, and the
    /// tickets of calls that gave up their place.
    next_ticket: u64,
    serving: u64,
    abandoned: std::collections::BTreeSet<u64>,
    /// Where the cubic starts: the reduction, or the end of its `Retry-After`.
    curve_from: Instant,
}

/// Why a call could not get its turn.
pub(crate) enum Wait {
    /// Its turn would come after the call's deadline, because of this.
    Deadline(Cause),
    /// The call was stopped while it waited.
    Stopped,
}

/// What holds calls back.
pub(crate) enum Cause {
    /// A `Retry-After` holds every call of the client.
    Paused,
    /// `max_rate` (the gateway has not throttled).
    MaxRate(f64),
    /// The rate found under throttling.
    Throttled(f64),
}

impl std::fmt::Display for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cause::Paused => f.write_str("a Retry-After holds every call of the client"),
            Cause::MaxRate(rate) => write!(f, "the client sends at most {rate:.1} requests/s (max_rate)"),
            Cause::Throttled(rate) => write!(f, "the gateway throttles, and the client sends {rate:.1} requests/s"),
        }
    }
}

/// A duration of `secs` seconds, whatever the float (NaN, negative, huge).
fn seconds(secs: f64) -> Duration {
    Duration::try_from_secs_f64(secs).unwrap_or(if secs > 0.0 { Duration::MAX } else { Duration::ZERO })
}

/// The longest a `Retry-After` holds every call of the client: a gateway asking for a day (a
/// quota used up) stops the calls that meet it, not the client for a day.
pub const MAX_PAUSE: Duration = Duration::from_secs(300);

impl RateLimiter {
    pub fn new(max_rate: Option<f64>) -> RateLimiter {
        let now = Instant::now();
        let rate = max_rate.unwrap_or(f64::INFINITY);
        RateLimiter {
            active: AtomicBool::new(max_rate.is_some()),
            throttled: AtomicU64::new(0),
            successes: AtomicU64::new(0),
            born: now,
            wake: std::sync::Condvar::new(),
            state: Mutex::new(State {
                max_rate,
                start_rate: rate,
                w_max: rate,
                reduced_at: None,
                slow_start: false,
                c: CUBIC_C,
                tokens: 1.0,
                refilled: now,
                sends: std::collections::VecDeque::new(),
                oks: std::collections::VecDeque::new(),
                since: now,
                successes_at: 0,
                count_from: now,
                paused_until: None,
                last_log: None,
                logged_rate: 0.0,
                next_ticket: 0,
                serving: 0,
                abandoned: std::collections::BTreeSet::new(),
                curve_from: now,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        crate::sync::lock(&self.state)
    }

    /// Waits for this request's turn (a paced slot, after any `Retry-After`), first come first
    /// served, in slices that see a stop; gives up at once when its turn would come after
    /// `deadline`.
    pub fn acquire(&self, deadline: Instant) -> Result<(), Wait> {
        if !self.active.load(Ordering::Relaxed) {
            return Ok(());
        }
        let mut state = self.lock();
        let ticket = state.next_ticket;
        state.next_ticket += 1;
        let mut rate_log = None;
        let result = loop {
            let now = Instant::now();
            let rate = state.rate_at(now);
            let ahead = ticket.saturating_sub(state.serving) as f64;
            let paused = state.paused_until.filter(|until| *until > now);
            if paused.is_none() {
                state.paused_until = None;
            }
            let refill = now.saturating_duration_since(state.refilled).as_secs_f64() * rate;
            state.tokens = (state.tokens + refill).min(1.0);
            state.refilled = now;
            // When this call's turn comes at the earliest: after the pause, and after the calls
            // ahead of it, one per interval.
            let from = paused.unwrap_or(now);
            let due = seconds((ahead + 1.0 - state.tokens).max(0.0) / rate);
            if from.checked_add(due).is_none_or(|turn| turn > deadline) {
                let why = if paused.is_some() {
                    Cause::Paused
                } else if state.reduced_at.is_none() {
                    Cause::MaxRate(rate)
                } else {
                    Cause::Throttled(rate)
                };
                break Err(Wait::Deadline(why));
            }
            if ahead == 0.0 && paused.is_none() && state.tokens >= 1.0 {
                state.tokens -= 1.0;
                state.serving += 1;
                state.sent(now);
                rate_log = state.rate_change_to_log(now, rate);
                break Ok(());
            }
            // Sleep until this call may be next (or, behind others, a slice), then look again:
            // the rate, the pause and the queue may all have changed.
            let wait = if ahead == 0.0 { from.saturating_duration_since(now) + due } else { crate::interrupt::SLICE };
            let (guard, _) = self
                .wake
                .wait_timeout(state, wait.min(crate::interrupt::SLICE))
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            drop(guard);
            // The caller's check (Ctrl-C) runs without the limiter's lock.
            let stop = crate::interrupt::should_stop();
            state = self.lock();
            if stop {
                break Err(Wait::Stopped);
            }
        };
        if result.is_err() {
            // Its place in the queue is given up: the calls behind it move up.
            state.abandon(ticket);
        }
        drop(state);
        self.wake.notify_all();
        if let Some(rate) = rate_log {
            log::info!(target: LOG_TARGET, "the client now sends at {rate:.1} requests/s (the gateway throttles)");
        }
        result
    }

    /// An answer that was not a throttling one.
    pub fn on_success(&self) {
        self.successes.fetch_add(1, Ordering::Relaxed);
        if self.active.load(Ordering::Relaxed) {
            let mut state = self.lock();
            let now = Instant::now();
            state.oks.push_back(now);
            forget(&mut state.oks, now, Duration::from_secs(2));
        }
    }

    /// A throttling answer to a request sent at `sent`, with its `Retry-After`.
    pub fn on_throttle(&self, sent: Instant, retry_after: Option<Duration>) {
        let mut state = self.lock();
        self.throttled.fetch_add(1, Ordering::Relaxed);
        let now = Instant::now();
        let retry_after = retry_after.map(|after| after.min(MAX_PAUSE));
        match retry_after {
            Some(after) => {
                let until = now + after;
                state.paused_until = Some(state.paused_until.map_or(until, |u| u.max(until)));
                // A throttled request costs a pause for every call: come back to the limit slowly.
                state.c = CUBIC_C / (1.0 + 40.0 * after.as_secs_f64());
            }
            None => state.c = CUBIC_C,
        }
        let first = !self.active.load(Ordering::Relaxed) || state.reduced_at.is_none();
        if !first && state.reduced_at.is_some_and(|at| sent < at || now.duration_since(at) < SAME_EVENT) {
            // Sent before the rate was last lowered, or answered right after: the same event,
            // already answered for (the gateway's bucket is still empty).
            return;
        }
        if first {
            // Start from what the gateway admitted so far (over a second at least), then double.
            let elapsed = now.duration_since(self.born).as_secs_f64().max(1.0);
            let admitted = self.successes.load(Ordering::Relaxed) as f64 / elapsed;
            state.slow_start = true;
            state.w_max = admitted.max(MIN_START_RATE);
            state.start_rate = state.w_max;
            state.since = now;
            state.sends.clear();
            state.oks.clear();
        } else {
            // The curve's plateau: what the gateway admitted since the last reduction (both
            // times its bucket was empty, so that is its rate) — but after the slow start, or
            // within a second, the rate requests really left at.
            let current = state.rate_at(now);
            let window = now.saturating_duration_since(state.count_from).as_secs_f64();
            let successes = self.successes.load(Ordering::Relaxed);
            let active_for = now.duration_since(state.since).as_secs_f64();
            // Admitted over the last second (or since turned on): the gateway's rate plus what
            // its bucket held; over the time since the last reduction: its rate, or less when
            // requests went slower than it for a while. Whichever is more.
            let recent = state.oks.iter().filter(|at| now.duration_since(**at) <= Duration::from_secs(1)).count()
                as f64
                / active_for.clamp(0.25, 1.0);
            let mut admitted = recent;
            if !state.slow_start && window >= 1.0 {
                admitted = admitted.max(successes.saturating_sub(state.successes_at) as f64 / window);
            }
            let current = if active_for >= 0.5 { current.min(admitted.max(MIN_START_RATE)) } else { current };
            state.slow_start = false;
            state.w_max = current;
            state.start_rate = (current * BETA).max(MIN_RATE);
        }
        state.reduced_at = Some(now);
        state.curve_from = state.paused_until.map_or(now, |until| until.max(now));
        state.successes_at = self.successes.load(Ordering::Relaxed);
        state.count_from = state.paused_until.map_or(now, |until| until.max(now));
        if let Some(cap) = state.max_rate {
            state.start_rate = state.start_rate.min(cap);
        }
        self.active.store(true, Ordering::Relaxed);
        let rate = state.rate_at(now);
        let log_due = state.last_log.is_none_or(|at| now.duration_since(at) >= Duration::from_secs(1));
        if log_due {
            state.last_log = Some(now);
            state.logged_rate = rate;
        }
        drop(state);
        self.wake.notify_all();
        // Logged without the limiter's lock: a log handler may call back into the client.
        if log_due {
            log::info!(
                target: LOG_TARGET,
                "the gateway throttles ({} throttling answers so far): sending at {rate:.1} requests/s{}",
                self.throttled.load(Ordering::Relaxed),
                retry_after.map(|a| format!(", every call held {:.1} s (Retry-After)", a.as_secs_f64())).unwrap_or_default()
            );
        }
    }

    /// What the limiter is doing, for monitoring.
    pub fn state(&self) -> RateLimitState {
        // Read under the lock that on_throttle counts under: never a throttle without its rate.
        let state = self.lock();
        let throttled = self.throttled.load(Ordering::Relaxed);
        if !self.active.load(Ordering::Relaxed) {
            return RateLimitState { rate: None, throttled, paused_for: Duration::ZERO };
        }
        let now = Instant::now();
        let paused_for = state.paused_until.map_or(Duration::ZERO, |until| until.saturating_duration_since(now));
        RateLimitState { rate: Some(state.rate_at(now)), throttled, paused_for }
    }
}

/// Drops the times older than `keep`, and any beyond 10,000 (a max_rate of 100,000/s keeps a
/// tenth of a second): bounded whatever the rate.
fn forget(times: &mut std::collections::VecDeque<Instant>, now: Instant, keep: Duration) {
    while times.front().is_some_and(|at| now.duration_since(*at) > keep) || times.len() > 10_000 {
        times.pop_front();
    }
}

impl State {
    /// The call holding `ticket` gave up its place: the queue moves past it.
    fn abandon(&mut self, ticket: u64) {
        if ticket == self.serving {
            self.serving += 1;
        } else if ticket > self.serving {
            self.abandoned.insert(ticket);
        }
        while self.abandoned.remove(&self.serving) {
            self.serving += 1;
        }
    }

    /// The rate to log now, if it changed by a tenth since the last line and that was a second
    /// ago or more (the line itself is written without the lock).
    fn rate_change_to_log(&mut self, now: Instant, rate: f64) -> Option<f64> {
        let due = self.last_log.is_none_or(|at| now.duration_since(at) >= Duration::from_secs(1));
        if due && (rate - self.logged_rate).abs() > 0.1 * self.logged_rate.max(1.0) {
            self.last_log = Some(now);
            self.logged_rate = rate;
            return Some(rate);
        }
        None
    }

    /// A request leaves now.
    fn sent(&mut self, now: Instant) {
        self.sends.push_back(now);
        self.forget(now);
    }

    fn forget(&mut self, now: Instant) {
        forget(&mut self.sends, now, Duration::from_secs(1));
    }

    /// The rate requests left at over the last second (or since the limiter was turned on).
    fn measured(&self, now: Instant) -> f64 {
        let window = now.saturating_duration_since(self.since).as_secs_f64().clamp(0.25, 1.0);
        // The times are in order: the first one within the window, found by bisection.
        let first = self.sends.partition_point(|at| now.saturating_duration_since(*at).as_secs_f64() > window);
        (self.sends.len() - first) as f64 / window
    }

    /// The rate at `now`: the slow start's doubling, or the cubic back to (and past) `w_max`;
    /// never above twice the rate requests really leave at (a rate nobody uses is no
    /// information), capped by `max_rate`, never below [`MIN_RATE`].
    fn rate_at(&self, now: Instant) -> f64 {
        let rate = match self.reduced_at {
            None => self.start_rate,
            Some(_) => {
                let t = now.saturating_duration_since(self.curve_from).as_secs_f64();
                if self.slow_start {
                    self.start_rate * 2f64.powf(t / SLOW_START_DOUBLING.as_secs_f64())
                } else {
                    // w(t) = C·(t − K)³ + w_max: the start rate at t = 0, w_max at K.
                    let k = ((self.w_max - self.start_rate).max(0.0) / self.c).cbrt();
                    self.c * (t - k).powi(3) + self.w_max
                }
            }
        };
        let rate = match self.reduced_at {
            Some(_) => rate.min(2.0 * self.measured(now).max(self.start_rate)),
            None => rate,
        };
        // The floor first, then the operator's cap (a max_rate below the floor is kept).
        let rate = if rate.is_nan() { MIN_RATE } else { rate.max(MIN_RATE) };
        match self.max_rate {
            Some(cap) => rate.min(cap),
            None => rate,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unthrottled_it_is_off_and_costs_nothing_to_ask() {
        let limiter = RateLimiter::new(None);
        assert!(limiter.acquire(Instant::now()).is_ok());
        assert_eq!(limiter.state(), RateLimitState { rate: None, throttled: 0, paused_for: Duration::ZERO });
    }

    #[test]
    fn a_throttle_turns_it_on_from_what_was_admitted_and_one_event_lowers_it_once() {
        let limiter = RateLimiter::new(None);
        for _ in 0..100 {
            limiter.on_success();
        }
        let sent = Instant::now();
        limiter.on_throttle(sent, None);
        let state = limiter.state();
        assert_eq!(state.throttled, 1);
        // 100 answers within the first second: 100 requests/s to start from.
        assert!((state.rate.unwrap() - 100.0).abs() < 5.0, "{state:?}");
        // The answers to requests sent before, and those right after (the gateway's bucket is
        // still empty), change nothing; they are counted.
        limiter.on_throttle(sent, None);
        limiter.on_throttle(Instant::now(), None);
        assert!((limiter.state().rate.unwrap() - state.rate.unwrap()).abs() < 10.0);
        assert_eq!(limiter.state().throttled, 3);
    }

    #[test]
    fn the_curve_climbs_back_to_the_throttled_rate_then_probes_beyond() {
        let limiter = RateLimiter::new(None);
        limiter.on_throttle(Instant::now(), None);
        let mut s = limiter.lock();
        let at = Instant::now();
        (s.slow_start, s.w_max, s.start_rate, s.reduced_at, s.curve_from) = (false, 50.0, 45.0, Some(at), at);
        // As if 50 requests a second left (the rate is never above twice what is sent).
        for i in 0..50 {
            s.sends.push_back(at + Duration::from_millis(i * 20));
        }
        let k = Duration::from_secs_f64(((s.w_max - s.start_rate) / s.c).cbrt());
        let rate = |t: Duration| s.rate_at(at + t);
        assert!((rate(Duration::ZERO) - 45.0).abs() < 1e-6);
        assert!(rate(k / 2) > 45.0 && rate(k / 2) < 50.0, "climbing back");
        assert!((rate(k) - 50.0).abs() < 1e-6, "back at the throttled rate");
        assert!(rate(k + Duration::from_millis(500)) > 50.0, "then probing beyond it");
    }

    #[test]
    fn retry_after_holds_every_call_and_max_rate_caps() {
        let limiter = RateLimiter::new(Some(5.0));
        assert_eq!(limiter.state().rate, Some(5.0));
        limiter.on_throttle(Instant::now(), Some(Duration::from_secs(30)));
        assert!(limiter.state().paused_for > Duration::from_secs(29));
        // Its turn would come after a deadline 1 s away: it does not wait.
        assert!(matches!(limiter.acquire(Instant::now() + Duration::from_secs(1)), Err(Wait::Deadline(_))));
        assert!(limiter.state().rate.unwrap() <= 5.0);
    }
}

#[cfg(test)]
mod queue_tests {
    use super::*;

    #[test]
    fn calls_take_their_turns_in_order_and_a_call_giving_up_moves_the_queue() {
        let limiter = RateLimiter::new(Some(1000.0));
        let mut s = limiter.lock();
        s.next_ticket = 3;
        s.abandon(1);
        assert_eq!(s.serving, 0, "ticket 0 is still being served");
        s.abandon(0);
        assert_eq!(s.serving, 2, "0 gave up, 1 had already: 2 is next");
        drop(s);
        // A huge Retry-After is bounded, and cannot overflow the clock.
        limiter.on_throttle(Instant::now(), Some(Duration::from_secs(u64::MAX / 2)));
        assert!(limiter.state().paused_for <= MAX_PAUSE);
        // A max_rate below the floor is kept.
        let slow = RateLimiter::new(Some(0.1));
        assert_eq!(slow.state().rate, Some(0.1));
    }
}
