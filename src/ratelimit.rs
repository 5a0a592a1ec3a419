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
    /// For the once-a-second log line.
    last_log: Option<Instant>,
}

/// Why a call could not get its turn.
pub(crate) enum Wait {
    /// Its turn would come after the call's deadline.
    Deadline(f64),
    /// The call was stopped while it waited.
    Stopped,
}

impl RateLimiter {
    pub fn new(max_rate: Option<f64>) -> RateLimiter {
        let now = Instant::now();
        let rate = max_rate.unwrap_or(f64::INFINITY);
        RateLimiter {
            active: AtomicBool::new(max_rate.is_some()),
            throttled: AtomicU64::new(0),
            successes: AtomicU64::new(0),
            born: now,
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
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        crate::sync::lock(&self.state)
    }

    /// Waits for this request's turn (a paced slot, after any `Retry-After`), in slices that see
    /// a stop, never past `deadline`.
    pub fn acquire(&self, deadline: Instant) -> Result<(), Wait> {
        if !self.active.load(Ordering::Relaxed) {
            return Ok(());
        }
        loop {
            let wait = {
                let mut state = self.lock();
                let now = Instant::now();
                let rate = state.rate_at(now);
                if let Some(until) = state.paused_until.filter(|until| *until > now) {
                    // Held by a Retry-After: look again when it has passed.
                    until - now
                } else {
                    state.paused_until = None;
                    let refill = now.duration_since(state.refilled).as_secs_f64() * rate;
                    state.tokens = (state.tokens + refill).min(1.0);
                    state.refilled = now;
                    if state.tokens >= 1.0 {
                        state.tokens -= 1.0;
                        state.sent(now);
                        return Ok(());
                    }
                    // Look again when a token is due at the current rate (it may change meanwhile).
                    Duration::from_secs_f64((1.0 - state.tokens) / rate)
                }
            };
            if Instant::now() + wait > deadline {
                let rate = self.lock().rate_at(Instant::now());
                return Err(Wait::Deadline(rate));
            }
            if !crate::interrupt::sleep(wait) {
                return Err(Wait::Stopped);
            }
        }
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
        self.throttled.fetch_add(1, Ordering::Relaxed);
        let mut state = self.lock();
        let now = Instant::now();
        if let Some(after) = retry_after {
            let until = now + after;
            state.paused_until = Some(state.paused_until.map_or(until, |u| u.max(until)));
            // A throttled request costs a pause for every call: come back to the limit slowly.
            state.c = CUBIC_C / (1.0 + 40.0 * after.as_secs_f64());
        }
        let first = !self.active.load(Ordering::Relaxed) || state.reduced_at.is_none();
        if !first && state.reduced_at.is_some_and(|at| sent < at || now.duration_since(at) < SAME_EVENT) {
            // Sent before the rate was last lowered, or answered right after: the same event,
            // already answered for (the gateway's bucket is still empty).
            return;
        }
        let rate = if first {
            // Start from what the gateway admitted so far (over a second at least), then double.
            let elapsed = now.duration_since(self.born).as_secs_f64().max(1.0);
            let admitted = self.successes.load(Ordering::Relaxed) as f64 / elapsed;
            state.slow_start = true;
            state.w_max = admitted.max(MIN_START_RATE);
            state.start_rate = state.w_max;
            state.since = now;
            state.sends.clear();
            state.oks.clear();
            state.w_max
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
            state.start_rate
        };
        state.reduced_at = Some(now);
        state.successes_at = self.successes.load(Ordering::Relaxed);
        state.count_from = state.paused_until.map_or(now, |until| until.max(now));
        if let Some(cap) = state.max_rate {
            state.start_rate = state.start_rate.min(cap);
        }
        self.active.store(true, Ordering::Relaxed);
        let log_due = state.last_log.is_none_or(|at| now.duration_since(at) >= Duration::from_secs(1));
        if log_due {
            state.last_log = Some(now);
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
        let throttled = self.throttled.load(Ordering::Relaxed);
        if !self.active.load(Ordering::Relaxed) {
            return RateLimitState { rate: None, throttled, paused_for: Duration::ZERO };
        }
        let state = self.lock();
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
        let window = now.duration_since(self.since).as_secs_f64().clamp(0.25, 1.0);
        let recent = self.sends.iter().filter(|at| now.duration_since(**at).as_secs_f64() <= window).count();
        recent as f64 / window
    }

    /// The rate at `now`: the slow start's doubling, or the cubic back to (and past) `w_max`;
    /// never above twice the rate requests really leave at (a rate nobody uses is no
    /// information), capped by `max_rate`, never below [`MIN_RATE`].
    fn rate_at(&self, now: Instant) -> f64 {
        let rate = match self.reduced_at {
            None => self.start_rate,
            Some(at) => {
                let t = now.duration_since(at).as_secs_f64();
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
        let rate = match self.max_rate {
            Some(cap) => rate.min(cap),
            None => rate,
        };
        rate.max(MIN_RATE)
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
        (s.slow_start, s.w_max, s.start_rate, s.reduced_at) = (false, 50.0, 45.0, Some(at));
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
