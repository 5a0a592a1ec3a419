//! The client: options checked once, a connection pool, and the DELETE call with
//! retries, backoff, an overall deadline and clock-skew recovery.

use crate::credentials::{self, Credentials, Secret};
use crate::endpoint::Endpoint;
use crate::error::{Error, ErrorKind, Result};
use crate::error_body;
use crate::retry;
use crate::signing;
use crate::transport::{self, TransportOptions};
use crate::validate;
use std::io::Read;
use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Default connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default deadline for a whole call, retries included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// Default number of retries after the first attempt.
pub const DEFAULT_MAX_RETRIES: u32 = 2;
/// How many bytes of an answer's body are read, at most.
pub const MAX_BODY_BYTES: u64 = 64 * 1024;
/// Longest timeout accepted (a day): anything longer is a mistake.
const MAX_TIMEOUT: Duration = Duration::from_secs(86_400);

/// How a delete ended when it did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The server confirmed the deletion (2xx).
    Deleted,
    /// The certificate did not exist (404) and the caller said that is fine (`missing_ok`).
    AlreadyAbsent,
}

/// Per-call options.
#[derive(Debug, Clone, Copy, Default)]
pub struct DeleteOptions<'a> {
    /// The project, when it differs from the client's (or the client has none).
    pub project_id: Option<&'a str>,
    /// Treat 404 as success ([`Outcome::AlreadyAbsent`]).
    pub missing_ok: bool,
}

/// Options for a [`Client`]. Nothing is checked until [`ClientBuilder::build`].
#[derive(Clone, Default)]
pub struct ClientBuilder {
    pub(crate) endpoint: Option<String>,
    pub(crate) region: Option<String>,
    pub(crate) project_id: Option<String>,
    pub(crate) token: Option<Secret>,
    pub(crate) ak: Option<String>,
    pub(crate) sk: Option<Secret>,
    pub(crate) security_token: Option<Secret>,
    connect_timeout: Option<Duration>,
    timeout: Option<Duration>,
    max_retries: Option<u32>,
    ca_file: Option<PathBuf>,
    verify: Option<bool>,
    proxy: Option<String>,
    allow_insecure_http: bool,
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("project_id", &self.project_id)
            .field("token", &self.token)
            .field("ak", &self.ak)
            .field("sk", &self.sk)
            .field("security_token", &self.security_token)
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("max_retries", &self.max_retries)
            .field("ca_file", &self.ca_file)
            .field("verify", &self.verify)
            .field("proxy", &self.proxy.as_ref().map(|_| "<set>"))
            .field("allow_insecure_http", &self.allow_insecure_http)
            .finish()
    }
}

impl ClientBuilder {
    /// The base URL, e.g. `https://apig.cn-north-4.myhuaweicloud.com`; wins over `region`.
    pub fn endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoint = Some(url.into());
        self
    }
    /// A region id such as `cn-north-4`; gives `https://apig.{region}.myhuaweicloud.com`
    /// (`HUAWEICLOUD_SDK_REGION_APIG_<REGION>` overrides).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }
    /// The default project for calls.
    pub fn project_id(mut self, id: impl Into<String>) -> Self {
        self.project_id = Some(id.into());
        self
    }
    /// Authenticate with an IAM token (`X-Auth-Token`).
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(Secret::new(token));
        self
    }
    /// Authenticate by signing with an access key pair.
    pub fn ak_sk(mut self, ak: impl Into<String>, sk: impl Into<String>) -> Self {
        self.ak = Some(ak.into());
        self.sk = Some(Secret::new(sk));
        self
    }
    /// The security token of temporary AK/SK credentials.
    pub fn security_token(mut self, token: impl Into<String>) -> Self {
        self.security_token = Some(Secret::new(token));
        self
    }
    /// Connect timeout (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }
    /// Deadline for a whole call, retries included (default 60 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }
    /// Retries after the first attempt (default 2; 0 disables).
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = Some(retries);
        self
    }
    /// Trust the CA certificates in this PEM file instead of the built-in roots.
    pub fn ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_file = Some(path.into());
        self
    }
    /// `false` disables TLS certificate verification (default `true`). Only for tests.
    pub fn verify(mut self, verify: bool) -> Self {
        self.verify = Some(verify);
        self
    }
    /// An explicit proxy URL; by default `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY` apply.
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.proxy = Some(url.into());
        self
    }
    /// Allow plain `http://` to a host that is not loopback (the token then travels in clear text).
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// Fills what is still unset from the environment and the credentials file, as the
    /// official SDKs name them (see [`crate::env`]). Explicit settings win.
    pub fn from_env(self) -> Result<Self> {
        crate::env::fill(self, &|name| std::env::var(name).ok())
    }

    /// Checks every option and builds the client. No I/O except reading `ca_file`.
    ///
    /// ```
    /// let err = apig::Client::builder().endpoint("http://apig.example.com").token("t").build().unwrap_err();
    /// assert_eq!(err.kind(), apig::ErrorKind::InvalidArgument);
    /// assert!(err.message().contains("plain http"));
    ///
    /// let err = apig::Client::builder().region("cn-north-4").token("t").ak_sk("AK", "SK").build().unwrap_err();
    /// assert!(err.message().starts_with("conflicting credentials"));
    ///
    /// let client = apig::Client::builder().region("eu-west-101").token("t").build()?;
    /// assert_eq!(client.endpoint(), "https://apig.eu-west-101.myhuaweicloud.eu");
    /// # Ok::<(), apig::Error>(())
    /// ```
    pub fn build(self) -> Result<Client> {
        let endpoint = match (&self.endpoint, &self.region) {
            (Some(url), _) => Endpoint::parse(url, self.allow_insecure_http)?,
            (None, Some(region)) => crate::env::region_endpoint(region, &|n| std::env::var(n).ok())?,
            (None, None) => return Err(Error::invalid("no endpoint: give endpoint or region")),
        };
        if let Some(project) = &self.project_id {
            validate::id("project_id", project)?;
        }
        let credentials = credentials::from_parts(
            self.token.map(|s| s.expose().to_string()),
            self.ak,
            self.sk.map(|s| s.expose().to_string()),
            self.security_token.map(|s| s.expose().to_string()),
        )?;
        credentials.validate()?;
        let connect_timeout = check_timeout("connect_timeout", self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT))?;
        let timeout = check_timeout("timeout", self.timeout.unwrap_or(DEFAULT_TIMEOUT))?;
        let max_retries = self.max_retries.unwrap_or(DEFAULT_MAX_RETRIES);
        if max_retries > 100 {
            return Err(Error::invalid("max_retries is over 100"));
        }
        if let Some(proxy) = &self.proxy {
            if proxy.is_empty() || proxy.chars().any(|c| c.is_control() || c.is_whitespace()) {
                return Err(Error::invalid("proxy is not a valid proxy URL"));
            }
        }
        let transport = TransportOptions {
            connect_timeout,
            verify_tls: self.verify.unwrap_or(true),
            ca_file: self.ca_file,
            proxy: self.proxy,
        };
        let agent = if transport == default_transport() {
            shared_agent()?.clone()
        } else {
            transport::build_agent(&transport)?
        };
        let url_prefix = format!("{}/v2/", endpoint.origin_and_base());
        let host_header = endpoint.host_header();
        Ok(Client {
            inner: Arc::new(Inner {
                endpoint,
                url_prefix,
                host_header,
                project_id: self.project_id,
                credentials,
                timeout,
                max_retries,
                agent,
                clock_offset: AtomicI64::new(0),
            }),
        })
    }
}

fn check_timeout(field: &str, value: Duration) -> Result<Duration> {
    if value.is_zero() || value > MAX_TIMEOUT {
        return Err(Error::invalid(format!("{field} must be more than 0 and at most 86400 seconds")));
    }
    Ok(value)
}

fn default_transport() -> TransportOptions {
    TransportOptions { connect_timeout: DEFAULT_CONNECT_TIMEOUT, verify_tls: true, ca_file: None, proxy: None }
}

/// One process-wide pool for every client with default transport options, so that
/// one-shot calls in a loop reuse connections.
fn shared_agent() -> Result<&'static ureq::Agent> {
    static AGENT: OnceLock<ureq::Agent> = OnceLock::new();
    if let Some(agent) = AGENT.get() {
        return Ok(agent);
    }
    let agent = transport::build_agent(&default_transport())?;
    Ok(AGENT.get_or_init(|| agent))
}

/// A client of APIG's delete-certificate call. Cheap to clone; `Send + Sync`: share one
/// between threads, its connection pool is thread-safe.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    endpoint: Endpoint,
    /// `scheme://host[:port][/base]/v2/`, built once.
    url_prefix: String,
    host_header: String,
    project_id: Option<String>,
    credentials: Credentials,
    timeout: Duration,
    max_retries: u32,
    agent: ureq::Agent,
    /// Seconds to add to the local clock when signing, learned from the server (APIGW.0301).
    clock_offset: AtomicI64,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("endpoint", &self.inner.endpoint.origin_and_base())
            .field("project_id", &self.inner.project_id)
            .field("credentials", &self.inner.credentials)
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
}

impl From<Error> for Failure {
    fn from(error: Error) -> Failure {
        Failure { error, retry_after: None, server_date: None }
    }
}

impl Client {
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The endpoint requests go to.
    pub fn endpoint(&self) -> String {
        self.inner.endpoint.origin_and_base()
    }

    /// The client's default project, if any.
    pub fn project_id(&self) -> Option<&str> {
        self.inner.project_id.as_deref()
    }

    /// Deletes a certificate in the client's project.
    pub fn delete_certificate(&self, certificate_id: &str) -> Result<Outcome> {
        self.delete_certificate_with(certificate_id, &DeleteOptions::default())
    }

    /// Deletes a certificate. Retries what is safe to retry, within the client's deadline.
    pub fn delete_certificate_with(&self, certificate_id: &str, options: &DeleteOptions<'_>) -> Result<Outcome> {
        let project_id = options.project_id.or(self.inner.project_id.as_deref()).ok_or_else(|| {
            Error::invalid("project_id is missing: give it to the client or to the call")
        })?;
        validate::id("project_id", project_id)?;
        validate::id("certificate_id", certificate_id)?;
        let started = Instant::now();
        let deadline = started + self.inner.timeout;
        let path_tail = format!("{project_id}/apigw/certificates/{certificate_id}");
        let url = format!("{}{}", self.inner.url_prefix, path_tail);
        let path = format!("{}/v2/{}", self.inner.endpoint.base_path(), path_tail);

        let mut attempts = 0u32;
        let mut retries = 0u32;
        let mut resigned = false;
        let mut earlier_may_have_acted = false;
        loop {
            attempts += 1;
            let failure = match self.attempt(&url, &path, project_id, deadline) {
                Ok(()) => return Ok(Outcome::Deleted),
                Err(f) => f,
            };
            let error = failure.error;
            if error.kind() == ErrorKind::NotFound {
                if options.missing_ok {
                    return Ok(Outcome::AlreadyAbsent);
                }
                if earlier_may_have_acted {
                    let message = format!(
                        "{}; an earlier attempt of this call may have reached the server and deleted it \
                         (pass missing_ok to treat not-found as success)",
                        error.message()
                    );
                    return Err(error.with_message(message).with_attempts(attempts));
                }
                return Err(error.with_attempts(attempts));
            }
            // The signature was refused and the server's clock is far from ours: re-sign once
            // with the server's clock. (When the clocks agree, the keys are wrong: no retry.)
            if !resigned && self.is_clock_skew(&error) {
                if let Some(server_date) = failure.server_date.filter(|d| skew_seconds(*d).abs() >= SKEW_WORTH_RESIGNING) {
                    resigned = true;
                    self.learn_clock(server_date);
                    continue;
                }
            }
            if resigned && self.is_clock_skew(&error) {
                let skew = self.inner.clock_offset.load(Ordering::Relaxed);
                let message = format!(
                    "{}; the signature was refused as expired even after re-signing with the server's clock \
                     (local clock is {skew} s off the server's)",
                    error.message()
                );
                return Err(error.with_message(message).with_attempts(attempts));
            }
            if !retry::is_retryable(&error) || retries >= self.inner.max_retries {
                return Err(error.with_attempts(attempts));
            }
            let wait = failure.retry_after.unwrap_or_else(|| retry::backoff(retries + 1));
            let remaining = deadline.saturating_duration_since(Instant::now());
            if wait >= remaining {
                // Waiting would pass the deadline: the last real answer is the error.
                return Err(error.with_attempts(attempts));
            }
            earlier_may_have_acted |= retry::may_have_acted(&error);
            retries += 1;
            std::thread::sleep(wait);
        }
    }

    fn is_clock_skew(&self, error: &Error) -> bool {
        matches!(self.inner.credentials, Credentials::AkSk { .. })
            && error.http_status() == Some(401)
            && error.error_code() == Some("APIGW.0301")
    }

    fn learn_clock(&self, server_date: SystemTime) {
        self.inner.clock_offset.store(skew_seconds(server_date), Ordering::Relaxed);
    }

    /// One HTTP exchange.
    fn attempt(&self, url: &str, path: &str, project_id: &str, deadline: Instant) -> std::result::Result<(), Failure> {
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Err(Error::new(ErrorKind::Timeout, "the call's deadline passed before an answer came").into());
        }
        let request = self.inner.agent.delete(url).config().timeout_global(Some(remaining)).build();
        let request = match &self.inner.credentials {
            Credentials::Token(token) => request.header("X-Auth-Token", token.expose()),
            Credentials::AkSk { ak, sk, security_token } => {
                let now = unix_seconds(SystemTime::now()) + self.inner.clock_offset.load(Ordering::Relaxed);
                let date = signing::sdk_date(now);
                let mut signed: Vec<(&str, &str)> = vec![
                    ("Host", &self.inner.host_header),
                    ("X-Project-Id", project_id),
                    ("X-Sdk-Date", &date),
                ];
                if let Some(st) = security_token {
                    signed.push(("X-Security-Token", st.expose()));
                }
                let input = signing::SigningInput {
                    method: "DELETE",
                    path,
                    query: &[],
                    headers: &signed,
                    body_sha256: signing::EMPTY_BODY_SHA256,
                };
                let authorization = signing::authorization(ak, sk.expose(), &date, &input);
                let mut request = request.header("Authorization", &authorization);
                for (name, value) in &signed {
                    request = request.header(*name, *value);
                }
                request
            }
        };
        let mut response = request.call().map_err(|e| Failure::from(transport::map_error(e)))?;
        let status = response.status().as_u16();
        let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
        let request_id = header("x-request-id");
        let retry_after = header("retry-after").and_then(|v| retry::parse_retry_after(&v, SystemTime::now()));
        let server_date = header("date").and_then(|v| httpdate::parse_http_date(&v).ok());
        let location = header("location");
        let body = read_bounded(response.body_mut());
        if (200..300).contains(&status) {
            // The body of a success is ignored; reading it lets the connection be reused.
            return Ok(());
        }
        let secrets = self.inner.credentials.secrets();
        let body = match body {
            Ok(body) => body,
            Err(e) => {
                let mut error = transport::map_error(e);
                let kind = error.kind();
                let message = format!("HTTP {status}, then reading the body failed: {}", error.message());
                error = Error::from_answer(kind, status, error_body::parse(b"", request_id)).with_message(message);
                return Err(Failure { error, retry_after, server_date });
            }
        };
        let mut parsed = error_body::parse(&body, request_id);
        for field in [&mut parsed.error_code, &mut parsed.error_msg, &mut parsed.request_id, &mut parsed.excerpt] {
            if let Some(text) = field.as_mut() {
                *text = credentials::scrub(text, &secrets);
            }
        }
        let mut error = if (300..400).contains(&status) {
            let to = location.map(|l| credentials::scrub(&error_body::printable(&l, 200), &secrets));
            let message = format!(
                "HTTP {status}: unexpected redirect{}; redirects are never followed (check the endpoint)",
                to.map(|l| format!(" to {l}")).unwrap_or_default()
            );
            Error::from_answer(ErrorKind::Protocol, status, parsed).with_message(message)
        } else {
            Error::from_answer(ErrorKind::from_http_status(status), status, parsed)
        };
        if self.is_clock_skew(&error) {
            let hint = match server_date.map(skew_seconds) {
                None => "check the local clock (the server sent no Date to correct it) and the AK/SK".to_string(),
                Some(skew) if skew.abs() < SKEW_WORTH_RESIGNING => {
                    format!("the clocks agree within {} s, so check the AK/SK", skew.abs())
                }
                Some(skew) => format!("the local clock is {skew} s behind the server's"),
            };
            let message = format!("{}; {hint}", error.message());
            error = error.with_message(message);
        }
        Err(Failure { error, retry_after, server_date })
    }
}

/// Reads at most [`MAX_BODY_BYTES`]; a larger body is cut, never buffered whole.
fn read_bounded(body: &mut ureq::Body) -> std::result::Result<Vec<u8>, ureq::Error> {
    let mut out = Vec::new();
    let reader = body.with_config().limit(u64::MAX).reader();
    reader.take(MAX_BODY_BYTES).read_to_end(&mut out).map_err(ureq::Error::from)?;
    Ok(out)
}

/// A gateway refuses signatures about 15 minutes off its clock; a skew over 5 minutes
/// is worth a re-sign (anything less cannot explain the refusal).
const SKEW_WORTH_RESIGNING: i64 = 5 * 60;

/// How far the server's clock (from its `Date`) is ahead of ours, in seconds.
fn skew_seconds(server_date: SystemTime) -> i64 {
    unix_seconds(server_date) - unix_seconds(SystemTime::now())
}

fn unix_seconds(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    }
}
