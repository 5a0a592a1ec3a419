//! The client: a connection pool and the DELETE call with retries, backoff, an overall
//! deadline and clock-skew recovery.

use crate::auth::{Identity, Resolved};
use crate::builder::ClientBuilder;
use crate::credentials::Credentials;
use crate::endpoint::Endpoint;
use crate::error::{Error, ErrorKind, Result};
use crate::interrupt;
use crate::limits::LOG_TARGET;
use crate::ratelimit::{RateLimitState, RateLimiter, Wait};
use crate::retry;
use crate::signing;
use crate::time::unix_seconds;
use crate::transport;
use crate::validate;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

/// How a delete ended when it did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The server confirmed the deletion (2xx).
    Deleted,
    /// The certificate did not exist (404) and the caller said that is fine (`missing_ok`).
    AlreadyAbsent,
}

/// What a successful delete learned: how it ended and the answer that settled it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deletion {
    /// Deleted by this call, or already absent (with `missing_ok`).
    pub outcome: Outcome,
    /// The status the server answered: 2xx for [`Outcome::Deleted`] (204, or 200/202 from some
    /// front ends), 404 for [`Outcome::AlreadyAbsent`].
    pub http_status: u16,
    /// The answer's request id (`X-Request-Id`, else the body's), when it had one.
    pub request_id: Option<String>,
    /// HTTP attempts made, retries included.
    pub attempts: u32,
    /// Throttling answers the call met (429, 503 with `Retry-After`), each retried at the
    /// client's rate.
    pub throttled: u32,
}

/// Per-call options.
#[derive(Clone, Copy, Default)]
pub struct DeleteOptions<'a> {
    /// The project, when it differs from the client's (or the client has none).
    pub project_id: Option<&'a str>,
    /// Treat 404 as success ([`Outcome::AlreadyAbsent`]).
    pub missing_ok: bool,
    /// Asked every 50 ms at most while the call waits (for an answer, a connection or a
    /// backoff), and before each attempt is sent: `true` stops it with
    /// [`ErrorKind::Cancelled`]. Python checks for Ctrl-C here.
    pub interrupt: Option<&'a (dyn Fn() -> bool + Sync)>,
    /// A flag that stops the call once it is true, seen at every step (it costs one load):
    /// `AsyncClient` sets it when the awaiting task is cancelled.
    pub stop: Option<&'a std::sync::atomic::AtomicBool>,
    /// Detach every domain the certificate is bound to first (APIG's batch detach of the
    /// certificate), then delete. Without it, a refusal because of bound domains is
    /// [`ErrorKind::InUse`] with the domain names.
    pub detach_domains: bool,
}

impl std::fmt::Debug for DeleteOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeleteOptions")
            .field("project_id", &self.project_id)
            .field("missing_ok", &self.missing_ok)
            .field("detach_domains", &self.detach_domains)
            .field("interrupt", &self.interrupt.map(|_| "<fn>"))
            .field("stop", &self.stop)
            .finish()
    }
}

/// A client of APIG's delete-certificate call. Cheap to clone; `Send + Sync`: share one
/// between threads, its connection pool is thread-safe.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    /// Where requests go, in order of preference (one, unless failover was configured).
    targets: Vec<Target>,
    /// The target calls start at: the one that answered last.
    current: AtomicUsize,
    /// When calls left the first target, or a call last went back to try it (ms since `born`;
    /// meaningful while `current` is not 0).
    left_first_at: AtomicU64,
    /// How long calls stay away from the first target ([`BACK_TO_FIRST_AFTER`]; ms).
    back_to_first_ms: AtomicU64,
    born: Instant,
    project_id: Option<String>,
    identity: Identity,
    timeout: Duration,
    max_retries: u32,
    agent: ureq::Agent,
    /// Seconds to add to the local clock when signing, learned from the server (APIGW.0301).
    clock_offset: AtomicI64,
    /// How often `cancel` was called: a call stops when it changes while the call runs.
    cancels: AtomicU64,
    /// Set by `close`: no call starts any more.
    closed: AtomicBool,
    /// The sending rate under throttling, shared by every call ([`crate::ratelimit`]).
    limiter: RateLimiter,
}

/// How long, how often and how fast a client's calls may go.
pub(crate) struct Limits {
    pub timeout: Duration,
    pub max_retries: u32,
    pub max_rate: Option<f64>,
}

/// Where a call starts ([`Client::start_at`]).
#[derive(Clone, Copy)]
struct Start {
    /// The target of its first attempt.
    at: usize,
    /// The current target when it started.
    seen: usize,
}

/// One endpoint and what its requests are built from, once.
struct Target {
    endpoint: Endpoint,
    /// `scheme://host[:port][/base]/v2/`.
    url_prefix: String,
    host_header: String,
}

/// How long calls stay away from the first endpoint after they left it: then one call tries it
/// again while the others keep going to the endpoint that answered (a dead first endpoint costs
/// one failed connection per this period, not one per call).
pub const BACK_TO_FIRST_AFTER: Duration = Duration::from_secs(60);

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("endpoints", &self.endpoints())
            .field("project_id", &self.inner.project_id)
            .field("credentials", &self.inner.identity.describe())
            .field("timeout", &self.inner.timeout)
            .field("max_retries", &self.inner.max_retries)
            .finish()
    }
}

/// A failed attempt, with what the retry logic needs besides the error.
struct Failure {
    error: Error,
    retry_after: Option<Duration>,
    server_date: Option<SystemTime>,
    /// False when the failure came before APIG was asked (finding credentials or the project).
    reached_apig: bool,
    /// The request never left (no name, no connection, no TLS): another endpoint may be tried.
    unreachable: bool,
    /// APIG refused an AK/SK signature (APIGW.0301): maybe the clocks disagree.
    clock_skew: bool,
}

impl Failure {
    /// A gateway's throttling answer: 429, or 503 with a `Retry-After`.
    fn is_throttling(&self) -> bool {
        self.reached_apig
            && (self.error.kind() == ErrorKind::RateLimited
                || (self.error.http_status() == Some(503) && self.retry_after.is_some()))
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Failure {
        Failure {
            error,
            retry_after: None,
            server_date: None,
            reached_apig: false,
            unreachable: false,
            clock_skew: false,
        }
    }
}

impl Client {
    /// The options of a new client, all unset (see [`ClientBuilder`]).
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    pub(crate) fn new(
        endpoints: Vec<Endpoint>,
        project_id: Option<String>,
        identity: Identity,
        limits: Limits,
        agent: ureq::Agent,
    ) -> Client {
        let Limits { timeout, max_retries, max_rate } = limits;
        let targets = endpoints
            .into_iter()
            .map(|endpoint| Target {
                url_prefix: format!("{}/v2/", endpoint.origin_and_base()),
                host_header: endpoint.host_header(),
                endpoint,
            })
            .collect();
        Client {
            inner: Arc::new(Inner {
                targets,
                current: AtomicUsize::new(0),
                left_first_at: AtomicU64::new(0),
                back_to_first_ms: AtomicU64::new(BACK_TO_FIRST_AFTER.as_millis() as u64),
                born: Instant::now(),
                project_id,
                identity,
                timeout,
                max_retries,
                agent,
                clock_offset: AtomicI64::new(0),
                cancels: AtomicU64::new(0),
                closed: AtomicBool::new(false),
                limiter: RateLimiter::new(max_rate),
            }),
        }
    }

    /// The endpoint requests go to (the first, with several).
    pub fn endpoint(&self) -> String {
        self.inner.targets[0].endpoint.origin_and_base()
    }

    /// Every endpoint, in order of preference.
    pub fn endpoints(&self) -> Vec<String> {
        self.inner.targets.iter().map(|t| t.endpoint.origin_and_base()).collect()
    }

    /// The endpoint calls start at: the one that answered last (see
    /// [`ClientBuilder::endpoints`]; once a minute, one call tries the first again).
    pub fn current_endpoint(&self) -> String {
        self.inner.targets[self.inner.current.load(Ordering::Relaxed)].endpoint.origin_and_base()
    }

    /// Sets how long calls stay away from the first endpoint ([`BACK_TO_FIRST_AFTER`]): for
    /// this crate's tests, which cannot wait a minute.
    #[cfg(feature = "internals")]
    #[doc(hidden)]
    pub fn set_back_to_first_after(&self, after: Duration) {
        self.inner.back_to_first_ms.store(after.as_millis() as u64, Ordering::Relaxed);
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.inner.born.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Where a call starts, and the current target it saw: the target that answered last — or
    /// the first, for the one call that claims the try once the wait since calls left it has
    /// passed. The others go on where calls answer (a dead first endpoint is not rushed by every
    /// call at once), and the wait starts again from the claim (a try that never ends cannot
    /// block the next one).
    fn start_at(&self) -> Start {
        let current = self.inner.current.load(Ordering::Relaxed);
        let at = |at| Start { at, seen: current };
        if current == 0 {
            return at(0);
        }
        let left = self.inner.left_first_at.load(Ordering::Relaxed);
        let now = self.now_ms();
        if now.saturating_sub(left) < self.inner.back_to_first_ms.load(Ordering::Relaxed) {
            return at(current);
        }
        match self.inner.left_first_at.compare_exchange(left, now, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => at(0),
            Err(_) => at(current),
        }
    }

    /// Target `at` answered (with any status) a call that started as `start` says: when that is
    /// not the target calls started at, later calls start there. Called only for an answer: a
    /// target that never answered never becomes current. Only a call that moved changes the
    /// current target, and only from the one it saw: a call that answered where it started
    /// (one running beside a successful try of the first endpoint, or a slow answer from before
    /// a move) changes nothing.
    fn answered_from(&self, start: Start, at: usize) {
        if at != 0 && start.at == 0 {
            // The first was tried and could not be reached: the wait before the next try starts now.
            self.inner.left_first_at.store(self.now_ms(), Ordering::Relaxed);
        }
        if at == start.seen
            || self.inner.current.compare_exchange(start.seen, at, Ordering::Relaxed, Ordering::Relaxed).is_err()
        {
            return;
        }
        let endpoint = &self.inner.targets[at].endpoint;
        if at == 0 {
            log::info!(target: LOG_TARGET, "calls go to the first endpoint {endpoint} again");
        } else {
            log::info!(
                target: LOG_TARGET,
                "calls now go to {endpoint}; the first endpoint is tried again in {} s",
                self.inner.back_to_first_ms.load(Ordering::Relaxed) / 1000
            );
        }
    }

    /// The client's sending rate under throttling: the rate requests leave at (None while
    /// unlimited), the throttling answers seen, how long a `Retry-After` still holds calls.
    pub fn rate_limit(&self) -> RateLimitState {
        self.inner.limiter.state()
    }

    /// The client's default project, if any.
    pub fn project_id(&self) -> Option<&str> {
        self.inner.project_id.as_deref()
    }

    /// Deletes a certificate in the client's project.
    pub fn delete_certificate(&self, certificate_id: &str) -> Result<Outcome> {
        self.delete_certificate_with(certificate_id, &DeleteOptions::default())
    }

    /// A short name of the kind of credentials ("token", "ak/sk", "password", …).
    pub fn auth_kind(&self) -> &'static str {
        self.inner.identity.describe()
    }

    /// Deletes a certificate. Retries what is safe to retry, within the client's deadline.
    /// The first call finds what the client was not given: credentials from the `from_env`
    /// chain, an IAM token for a password, the project id through IAM.
    pub fn delete_certificate_with(&self, certificate_id: &str, options: &DeleteOptions<'_>) -> Result<Outcome> {
        self.delete_certificate_detailed(certificate_id, options).map(|d| d.outcome)
    }

    /// Stops every call of this client (and its clones) that is running now: each returns
    /// [`ErrorKind::Cancelled`] within 50 ms or so, its connection dropped, never half-read in
    /// the pool. Calls started afterwards are not affected. Thread-safe.
    pub fn cancel(&self) {
        self.inner.cancels.fetch_add(1, Ordering::SeqCst);
    }

    /// Closes the client (and its clones): the calls running now stop as with
    /// [`Client::cancel`], and every later call fails at once with [`ErrorKind::Cancelled`]
    /// without any I/O. Thread-safe; closing twice is fine.
    pub fn close(&self) {
        self.inner.closed.store(true, Ordering::SeqCst);
        self.cancel();
    }

    /// Whether [`Client::close`] was called.
    pub fn is_closed(&self) -> bool {
        self.inner.closed.load(Ordering::SeqCst)
    }

    /// As [`Client::delete_certificate_with`], and says which status settled it, with its
    /// request id and the number of attempts.
    pub fn delete_certificate_detailed(&self, certificate_id: &str, options: &DeleteOptions<'_>) -> Result<Deletion> {
        self.watched(options.interrupt, options.stop, || self.delete_refused_or_detached(certificate_id, options))
    }

    /// The deadline of a call that starts now: the client's timeout holds for the whole call, its
    /// retries and all of its requests (a listing's pages, a detach before a delete).
    pub(crate) fn deadline(&self) -> Instant {
        Instant::now() + self.inner.timeout
    }

    /// Runs `body` (one call of the API, of one request or several) under one watch: it stops
    /// at `cancel()`, `close()`, the caller's `interrupt` check or `stop` flag.
    pub(crate) fn watched<R>(
        &self,
        interrupt: Option<&(dyn Fn() -> bool + Sync)>,
        stop: Option<&AtomicBool>,
        body: impl FnOnce() -> Result<R>,
    ) -> Result<R> {
        let watch = interrupt::Watch::new(&self.inner.cancels, interrupt, stop);
        // After the watch: a `close()` that comes later is seen as a cancel.
        if self.inner.closed.load(Ordering::SeqCst) {
            return Err(Error::new(ErrorKind::Cancelled, "the client is closed: no call is made"));
        }
        interrupt::watching(&watch, body)
    }

    /// The DELETE itself, one request (with its retries).
    pub(crate) fn delete(
        &self,
        certificate_id: &str,
        options: &DeleteOptions<'_>,
        deadline: Instant,
    ) -> Result<Deletion> {
        validate::id("certificate_id", certificate_id)?;
        let subject = format!("certificate {certificate_id}");
        let request = Request {
            method: Method::Delete,
            path: format!("{CERTIFICATES}{certificate_id}"),
            query: Vec::new(),
            body: None,
            subject: &subject,
            absent_ok: options.missing_ok,
            body_limit: crate::limits::MAX_BODY_BYTES,
        };
        let reply = self.exchange(&request, options.project_id, deadline)?;
        let outcome = if reply.status == 404 { Outcome::AlreadyAbsent } else { Outcome::Deleted };
        Ok(Deletion {
            outcome,
            http_status: reply.status,
            request_id: reply.request_id,
            attempts: reply.attempts,
            throttled: reply.throttled,
        })
    }

    /// Sends `request` to the project `project_id` (else the client's), with everything a call
    /// of this client does: credentials found and renewed, retries of what is safe to retry,
    /// failover, the clock-skew re-sign, all by `deadline` (the call's: [`Client::deadline`]). A
    /// 2xx answer (or APIG's 404 with `absent_ok`) is the reply; anything else is the error. Runs
    /// under the caller's watch ([`interrupt::watching`]).
    pub(crate) fn exchange(&self, request: &Request<'_>, project_id: Option<&str>, deadline: Instant) -> Result<Reply> {
        let given = project_id.or(self.inner.project_id.as_deref());
        if let Some(project_id) = given {
            validate::id("project_id", project_id)?;
        }
        self.inner.identity.check_project(given)?;
        let mut throttled = 0u32;
        match self.exchange_loop(request, given, deadline, &mut throttled) {
            Ok(mut reply) => {
                reply.throttled = throttled;
                Ok(reply)
            }
            Err(error) => Err(error.with_throttled(throttled)),
        }
    }

    /// The loop of [`Client::exchange`]; `throttled` counts the throttling answers it met.
    fn exchange_loop(
        &self,
        request: &Request<'_>,
        given: Option<&str>,
        deadline: Instant,
        throttled: &mut u32,
    ) -> Result<Reply> {
        let subject = request.subject;
        // The last throttling answer: the call's error if its deadline comes before its turn.
        let mut last_throttle: Option<Error> = None;

        let mut attempts = 0u32;
        let mut retries = 0u32;
        let mut resigned = false;
        let mut reauthenticated = false;
        let mut earlier_may_have_acted = false;
        let mut identity_failed = false;
        // Failover: the target of this attempt, and why each target of this round (every
        // endpoint once, from where the call started) could not be reached.
        let targets = self.inner.targets.len();
        let mut start = self.start_at();
        let mut at = start.at;
        let mut unreachable: Vec<String> = Vec::new();
        loop {
            if interrupt::cancelled() {
                return Err(cancelled(attempts));
            }
            let offset = self.inner.clock_offset.load(Ordering::Relaxed);
            // A retry after an identity failure asks the service again rather than taking the
            // failure another call shared.
            let failure = match self.inner.identity.resolve(given, deadline, offset, identity_failed) {
                Err(error) => Failure::from(error),
                // The caller's check (Ctrl-C), once per attempt: a stop that came while the call
                // waited for credentials is seen before anything is sent.
                Ok(_) if interrupt::should_stop() => return Err(cancelled(attempts)),
                Ok(resolved) => {
                    // Its turn under the client's sending rate (nothing to wait for unless a
                    // gateway throttled).
                    match self.inner.limiter.acquire(deadline) {
                        Ok(()) => {}
                        Err(Wait::Stopped) => return Err(cancelled(attempts)),
                        Err(Wait::Deadline(cause)) => {
                            let why = format!("the call's deadline comes before its turn: {cause}");
                            return Err(match last_throttle.take() {
                                Some(error) => {
                                    let message = format!("{}; {why}", error.message());
                                    error.with_message(message)
                                }
                                None => Error::new(ErrorKind::Timeout, why),
                            }
                            .with_attempts(attempts));
                        }
                    }
                    attempts += 1;
                    log::debug!(
                        target: LOG_TARGET,
                        "{subject} of project {}: attempt {attempts} with {}, {:.3} s left of the deadline",
                        resolved.project_id,
                        auth_name(&resolved.credentials),
                        deadline.saturating_duration_since(Instant::now()).as_secs_f64()
                    );
                    let sent = Instant::now();
                    let result = self.attempt(&self.inner.targets[at], &resolved, request, deadline);
                    log_attempt(&resolved, request, attempts, sent.elapsed(), &result);
                    let answered = match &result {
                        Ok(_) => true,
                        Err(f) => f.error.http_status().is_some(),
                    };
                    if answered {
                        self.answered_from(start, at);
                    }
                    let throttling = result.as_ref().err().is_some_and(Failure::is_throttling);
                    if answered && !throttling {
                        self.inner.limiter.on_success();
                    }
                    match result {
                        Ok(mut reply) => {
                            reply.attempts = attempts;
                            return Ok(reply);
                        }
                        // Throttled: the client's rate goes down, and the request waits for its
                        // turn at that rate — retried within the deadline, never counted against
                        // max_retries (the rate is still being found).
                        Err(f) if throttling => {
                            *throttled += 1;
                            // A 503 may come from a proxy after the gateway acted (a 429 never).
                            earlier_may_have_acted |= f.error.http_status() == Some(503);
                            self.inner.limiter.on_throttle(sent, f.retry_after);
                            log::debug!(target: LOG_TARGET, "{subject}: throttled, sent again at the client's rate: {}", f.error.message());
                            last_throttle = Some(f.error);
                            // An endpoint answered: the round of unreachable ones is over.
                            unreachable.clear();
                            continue;
                        }
                        // A refused signature from a clock far off is re-signed first (below);
                        // only then are the keys themselves suspect.
                        Err(f)
                            if f.error.kind() == ErrorKind::Unauthorized
                                && !reauthenticated
                                && !(f.clock_skew && !resigned && far_off(f.server_date))
                                && self.inner.identity.refused(&resolved) =>
                        {
                            // IAM invalidates tokens early (password or permission changes), and
                            // temporary keys can be revoked: new ones, once.
                            log::warn!(
                                target: LOG_TARGET,
                                "APIG refused {}; getting new ones",
                                auth_name(&resolved.credentials)
                            );
                            reauthenticated = true;
                            continue;
                        }
                        Err(f) => f,
                    }
                }
            };
            identity_failed = !failure.reached_apig;
            let mut error = failure.error;
            if failure.unreachable && targets > 1 {
                unreachable.push(error.message().to_string());
                if unreachable.len() < targets {
                    // Nothing was sent: the next endpoint, at once, within the same deadline.
                    let next = (at + 1) % targets;
                    log::warn!(
                        target: LOG_TARGET,
                        "{}: trying the next endpoint, {}",
                        error.message(),
                        self.inner.targets[next].endpoint
                    );
                    at = next;
                    continue;
                }
                let message = format!("no endpoint could be reached: {}", unreachable.join("; "));
                error = error.with_message(message);
                unreachable.clear();
                // A retry starts a new round where calls start now.
                start = self.start_at();
                at = start.at;
            }
            // The round ended elsewhere (an answer, the deadline, a failure after sending): the
            // endpoints it could not reach before are part of the story, said last if this error
            // is the call's. (Not for a failure to get credentials: that is not the endpoints'.)
            let before_it = std::mem::take(&mut unreachable).join("; ");
            let tell = |error: Error| match before_it.as_str() {
                "" => error,
                _ if !failure.reached_apig => error,
                before_it => {
                    let message = format!("{}; before it: {before_it}", error.message());
                    error.with_message(message)
                }
            };
            // Only APIG's own 404 says anything about the certificate.
            if error.kind() == ErrorKind::NotFound && failure.reached_apig {
                if request.absent_ok {
                    let request_id = error.request_id().map(str::to_string);
                    return Ok(Reply { status: 404, request_id, body: Vec::new(), attempts, throttled: 0 });
                }
                if earlier_may_have_acted && request.method == Method::Delete {
                    let message = format!(
                        "{}; an earlier attempt of this call may have reached the server and deleted it \
                         (pass missing_ok to treat not-found as success)",
                        error.message()
                    );
                    return Err(tell(error.with_message(message)).with_attempts(attempts));
                }
                return Err(tell(error).with_attempts(attempts));
            }
            if reauthenticated && error.kind() == ErrorKind::Unauthorized && failure.reached_apig {
                let message = format!("{}; refused again with credentials fetched anew", error.message());
                return Err(tell(error.with_message(message)).with_attempts(attempts));
            }
            // The signature was refused and the server's clock is far from ours: re-sign once
            // with the server's clock. (When the clocks agree, the keys are wrong: no retry.)
            if !resigned && failure.clock_skew {
                if let Some(server_date) = failure.server_date.filter(|d| far_off(Some(*d))) {
                    log::warn!(
                        target: LOG_TARGET,
                        "the signature was refused and the server's clock is {} s from ours: signing again with its clock",
                        skew_seconds(server_date)
                    );
                    resigned = true;
                    self.learn_clock(server_date);
                    continue;
                }
            }
            if resigned && failure.clock_skew {
                // The attempt's own message already says how far the clocks are apart.
                let message = format!("{}; refused again after re-signing with the server's clock", error.message());
                return Err(tell(error.with_message(message)).with_attempts(attempts));
            }
            if !retry::is_retryable(&error) || retries >= self.inner.max_retries {
                return Err(tell(error).with_attempts(attempts));
            }
            let wait = failure.retry_after.unwrap_or_else(|| retry::backoff(retries + 1));
            let remaining = deadline.saturating_duration_since(Instant::now());
            if wait >= remaining {
                // Waiting would pass the deadline: the last real answer is the error.
                return Err(tell(error).with_attempts(attempts));
            }
            earlier_may_have_acted |= failure.reached_apig && !failure.unreachable && retry::may_have_acted(&error);
            retries += 1;
            log::warn!(
                target: LOG_TARGET,
                "retrying {subject} in {:.3} s (retry {retries} of {}{}): {}",
                wait.as_secs_f64(),
                self.inner.max_retries,
                if failure.retry_after.is_some() { ", as Retry-After asks" } else { "" },
                error.message()
            );
            if !interrupt::sleep(wait) {
                return Err(cancelled(attempts));
            }
        }
    }

    fn is_clock_skew(credentials: &Credentials, error: &Error) -> bool {
        Identity::is_aksk(credentials) && error.http_status() == Some(401) && error.error_code() == Some("APIGW.0301")
    }

    fn learn_clock(&self, server_date: SystemTime) {
        self.inner.clock_offset.store(skew_seconds(server_date), Ordering::Relaxed);
    }

    /// One HTTP exchange; a 2xx gives the reply (its `attempts` set by the caller).
    fn attempt(
        &self,
        target: &Target,
        resolved: &Resolved,
        call: &Request<'_>,
        deadline: Instant,
    ) -> std::result::Result<Reply, Failure> {
        let project_id = resolved.project_id.as_str();
        // Built by hand: this runs for every call, and format! costs a few thousand instructions.
        let mut url = String::with_capacity(target.url_prefix.len() + project_id.len() + call.path.len() + 2);
        for part in [target.url_prefix.as_str(), project_id, call.path.as_str()] {
            url.push_str(part);
        }
        // The query as it is signed: each name and value RFC 3986-encoded.
        for (i, (name, value)) in call.query.iter().enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            url.push_str(&signing::encode(name.as_bytes()));
            url.push('=');
            url.push_str(&signing::encode(value.as_bytes()));
        }
        let url = url.as_str();
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Err(Error::new(ErrorKind::Timeout, "the call's deadline passed before an answer came").into());
        }
        let mut headers: Vec<(&str, &str)> = Vec::with_capacity(6);
        let authorization;
        let date;
        match resolved.credentials.as_ref() {
            Credentials::Token(token) => headers.push(("X-Auth-Token", token.expose())),
            Credentials::AkSk { ak, sk, security_token } => {
                let now = unix_seconds(SystemTime::now()) + self.inner.clock_offset.load(Ordering::Relaxed);
                date = signing::sdk_date(now);
                headers.extend([
                    ("Host", target.host_header.as_str()),
                    ("X-Project-Id", project_id),
                    ("X-Sdk-Date", &date),
                ]);
                if let Some(st) = security_token {
                    headers.push(("X-Security-Token", st.expose()));
                }
                let path = format!("{}/v2/{project_id}{}", target.endpoint.base_path(), call.path);
                let query: Vec<(&str, &str)> = call.query.iter().map(|(k, v)| (*k, v.as_str())).collect();
                let body_sha256 = call.body.as_deref().map(signing::sha256_hex);
                let input = signing::SigningInput {
                    method: call.method.as_str(),
                    path: &path,
                    query: &query,
                    headers: &headers,
                    body_sha256: body_sha256.as_deref().unwrap_or(signing::EMPTY_BODY_SHA256),
                };
                authorization = signing::authorization(ak, sk.expose(), &date, &input);
                headers.push(("Authorization", &authorization));
            }
        }
        fn with<B>(mut request: ureq::RequestBuilder<B>, headers: &[(&str, &str)]) -> ureq::RequestBuilder<B> {
            for (name, value) in headers {
                request = request.header(*name, *value);
            }
            request
        }
        let agent = &self.inner.agent;
        let timeout = Some(remaining);
        let response = match (call.method, call.body.as_deref()) {
            (Method::Delete, _) => with(agent.delete(url).config().timeout_global(timeout).build(), &headers).call(),
            (Method::Get, _) => with(agent.get(url).config().timeout_global(timeout).build(), &headers).call(),
            (Method::Post, body) => with(agent.post(url).config().timeout_global(timeout).build(), &headers)
                .header("Content-Type", "application/json;charset=UTF-8")
                .send(body.unwrap_or_default()),
        };
        let response = response.map_err(|e| {
            let unreachable = transport::never_sent(&e);
            // Say where: an operator reading "connection refused" wants to know to what.
            let error = transport::map_error(e);
            let message = format!("{} ({})", error.message(), target.endpoint);
            Failure { reached_apig: true, unreachable, ..Failure::from(error.with_message(message)) }
        })?;
        // The body of a success is read too (a DELETE's is ignored): that lets the connection be reused.
        // A listing's page may be large; an error body is read as every error body is.
        let limit = if response.status().is_success() { call.body_limit } else { crate::limits::MAX_BODY_BYTES };
        let mut answer = crate::answer::read_up_to(response, limit);
        if answer.is_success() {
            let failed = |error: Error| {
                let message = format!("{} ({})", error.message(), target.endpoint);
                Failure { reached_apig: true, ..Failure::from(error.with_message(message)) }
            };
            // Only a GET's body is used: a DELETE's or a POST's is read to reuse the connection.
            if call.method == Method::Get {
                if let Err(error) = &answer.body {
                    return Err(failed(error.clone()));
                }
                if answer.cut {
                    let why = format!("the answer is larger than {} bytes", call.body_limit);
                    return Err(failed(answer.unusable(call.subject, &why)));
                }
            }
            let body = std::mem::replace(&mut answer.body, Ok(Vec::new())).unwrap_or_default();
            return Ok(Reply { status: answer.status, request_id: answer.request_id, body, attempts: 0, throttled: 0 });
        }
        let retry_after = answer.retry_after.as_deref().and_then(|v| retry::parse_retry_after(v, SystemTime::now()));
        let server_date = answer.date.as_deref().and_then(|v| httpdate::parse_http_date(v).ok());
        let mut secrets = resolved.credentials.secrets();
        secrets.extend(self.inner.identity.password());
        let mut error = answer.error(None, &secrets);
        let clock_skew = Self::is_clock_skew(&resolved.credentials, &error);
        if clock_skew {
            let hint = match server_date.map(skew_seconds) {
                None => "check the local clock (the server sent no Date to correct it) and the AK/SK".to_string(),
                Some(skew) if skew.abs() < SKEW_WORTH_RESIGNING => {
                    format!("the clocks agree within {} s, so check the AK/SK", skew.abs())
                }
                Some(skew) if skew > 0 => format!("the local clock is {skew} s behind the server's"),
                Some(skew) => format!("the local clock is {} s ahead of the server's", -skew),
            };
            let message = format!("{}; {hint}", error.message());
            error = error.with_message(message);
        }
        Err(Failure { error, retry_after, server_date, reached_apig: true, unreachable: false, clock_skew })
    }
}

/// One line per attempt: what was asked, what came back, how long it took. Nothing secret:
/// the path and query hold ids and names, messages are scrubbed, request ids are the server's.
fn log_attempt(
    resolved: &Resolved,
    call: &Request<'_>,
    attempt: u32,
    took: Duration,
    result: &std::result::Result<Reply, Failure>,
) {
    if !log::log_enabled!(target: LOG_TARGET, log::Level::Info) {
        return;
    }
    // Values may come from the server (a gateway id): printable and bounded in a log line.
    let query: Vec<String> =
        call.query.iter().map(|(k, v)| format!("{k}={}", crate::text::printable(v, 100))).collect();
    let query = if query.is_empty() { String::new() } else { format!("?{}", query.join("&")) };
    let request = format!("{} /v2/{}{}{query}", call.method.as_str(), resolved.project_id, call.path);
    let ms = took.as_secs_f64() * 1000.0;
    match result {
        Ok(reply) => log::info!(
            target: LOG_TARGET,
            "{request} -> {} in {ms:.1} ms (attempt {attempt}, request id {})",
            reply.status,
            reply.request_id.as_deref().unwrap_or("-")
        ),
        Err(f) => log::info!(
            target: LOG_TARGET,
            "{request} -> {} in {ms:.1} ms (attempt {attempt}, request id {}): {}",
            f.error.http_status().map_or_else(|| f.error.kind().name().to_string(), |s| s.to_string()),
            f.error.request_id().unwrap_or("-"),
            f.error.message()
        ),
    }
}

fn auth_name(credentials: &Credentials) -> &'static str {
    match credentials {
        Credentials::Token(_) => "a token",
        Credentials::AkSk { security_token: Some(_), .. } => "temporary AK/SK",
        Credentials::AkSk { .. } => "AK/SK",
    }
}

fn cancelled(attempts: u32) -> Error {
    Error::new(ErrorKind::Cancelled, "the call was cancelled while it waited").with_attempts(attempts)
}

/// A gateway refuses signatures about 15 minutes off its clock; a skew over 5 minutes
/// is worth a re-sign (anything less cannot explain the refusal).
const SKEW_WORTH_RESIGNING: i64 = 5 * 60;

/// The part of the call's path between the project id and the certificate id.
pub(crate) const CERTIFICATES: &str = "/apigw/certificates/";

/// The HTTP method of a request of ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Get,
    Post,
    Delete,
}

impl Method {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Delete => "DELETE",
        }
    }
}

/// One request of APIG's API, relative to a project: `/v2/{project_id}{path}?{query}`.
pub(crate) struct Request<'a> {
    pub method: Method,
    /// What follows the project id: `/apigw/certificates/{id}`.
    pub path: String,
    /// The query pairs, decoded (encoded once, as they are signed).
    pub query: Vec<(&'static str, String)>,
    /// A JSON body (a POST's).
    pub body: Option<Vec<u8>>,
    /// What it is about, for logs and messages: "certificate X".
    pub subject: &'a str,
    /// APIG's 404 is an answer (status 404, no body), not an error: `missing_ok`.
    pub absent_ok: bool,
    /// How much of a successful answer's body is read; a larger one is unusable (but for a
    /// DELETE, whose body is read only to reuse the connection).
    pub body_limit: u64,
}

/// The answer to a [`Request`]: 2xx, or 404 with `absent_ok`.
pub(crate) struct Reply {
    pub status: u16,
    pub request_id: Option<String>,
    pub body: Vec<u8>,
    /// HTTP attempts made, retries included.
    pub attempts: u32,
    /// Throttling answers among them.
    pub throttled: u32,
}

/// Whether the server's clock (its `Date`, if it sent one) is far enough from ours to explain a
/// refused signature.
fn far_off(server_date: Option<SystemTime>) -> bool {
    server_date.is_some_and(|d| skew_seconds(d).abs() >= SKEW_WORTH_RESIGNING)
}

/// How far the server's clock (from its `Date`) is ahead of ours, in seconds.
fn skew_seconds(server_date: SystemTime) -> i64 {
    unix_seconds(server_date) - unix_seconds(SystemTime::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_endpoints() -> Client {
        Client::builder()
            .endpoints(["https://a.example", "https://b.example"])
            .project_id("0123456789abcdef0123456789abcdef")
            .token("t")
            .build()
            .unwrap()
    }

    #[test]
    fn a_call_answering_where_it_started_does_not_undo_a_successful_try_of_the_first() {
        let client = two_endpoints();
        // Calls moved to the second endpoint; the wait has passed.
        let first_call = client.start_at();
        client.answered_from(first_call, 1);
        assert_eq!(client.inner.current.load(Ordering::Relaxed), 1);
        client.inner.back_to_first_ms.store(0, Ordering::Relaxed);
        let probe = client.start_at();
        assert_eq!(probe.at, 0, "one call tries the first again");
        client.inner.back_to_first_ms.store(60_000, Ordering::Relaxed);
        let beside = client.start_at();
        assert_eq!(beside.at, 1, "the others go on where calls answer");
        // The first answers the probe; the call beside it answers from the second afterwards.
        client.answered_from(probe, 0);
        client.answered_from(beside, 1);
        assert_eq!(client.inner.current.load(Ordering::Relaxed), 0, "calls are back on the first");
        // A slow answer from the second that started before the move changes nothing either.
        client.answered_from(Start { at: 1, seen: 1 }, 1);
        assert_eq!(client.current_endpoint(), "https://a.example");
    }

    #[test]
    fn a_failed_try_of_the_first_keeps_calls_where_they_were_and_restarts_the_wait() {
        let client = two_endpoints();
        client.answered_from(client.start_at(), 1);
        client.inner.back_to_first_ms.store(0, Ordering::Relaxed);
        let probe = client.start_at();
        assert_eq!((probe.at, probe.seen), (0, 1));
        client.inner.back_to_first_ms.store(60_000, Ordering::Relaxed);
        client.answered_from(probe, 1);
        assert_eq!(client.inner.current.load(Ordering::Relaxed), 1);
        assert_eq!(client.start_at().at, 1, "the next try waits a whole period again");
    }
}
