//! The HTTP transport: one configured ureq agent (a connection pool) per client,
//! and the mapping of transport failures to our error kinds.

use crate::error::{Error, ErrorKind, Result};
use std::io;
use std::sync::Arc;
use std::time::Duration;

/// What the agent is built from (everything per client, nothing per call).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransportOptions {
    pub connect_timeout: Duration,
    pub verify_tls: bool,
    pub ca_file: Option<std::path::PathBuf>,
    /// Explicit proxy URL; `None` means the environment (`HTTPS_PROXY`, `NO_PROXY`, …).
    pub proxy: Option<String>,
}

/// The TLS configuration every agent of a client shares (roots, session cache): built once.
pub type Tls = Arc<rustls::ClientConfig>;

/// Builds the TLS configuration of `options` (reads `ca_file`).
pub fn tls(options: &TransportOptions) -> Result<Tls> {
    crate::tls::client_config(options.verify_tls, options.ca_file.as_deref())
}

/// What every agent of ours has: error bodies read by us, no redirect followed, our
/// User-Agent.
fn base_config() -> ureq::config::ConfigBuilder<ureq::typestate::AgentScope> {
    ureq::Agent::config_builder()
        // We read and keep error bodies ourselves.
        .http_status_as_error(false)
        // A redirect is an error for this API; never carry credentials elsewhere.
        .max_redirects(0)
        .user_agent(crate::limits::USER_AGENT)
        .accept("application/json")
}

/// An agent for the services on the machine's own link (ECS metadata, CCE pod identity):
/// never through a proxy (the temporary keys must not pass one), short timeouts (such a
/// service answers at once or is not there).
pub fn build_local_agent(tls: &Tls) -> ureq::Agent {
    let config = base_config()
        .timeout_connect(Some(crate::limits::LINK_LOCAL_CONNECT_TIMEOUT))
        .timeout_recv_response(Some(crate::limits::LINK_LOCAL_READ_TIMEOUT))
        .timeout_recv_body(Some(crate::limits::LINK_LOCAL_READ_TIMEOUT))
        .proxy(None)
        .build();
    // Our resolver: its lookups wait in slices, so that a stop is seen there too.
    ureq::Agent::with_parts(config, connector(tls), crate::resolver::CachingResolver::default())
}

/// How many pools [`shared_pool`] keeps (one per set of transport options); beyond, the oldest
/// is let go (its clients keep it as long as they live).
const SHARED_POOLS: usize = 8;

/// The process-wide pool (agent) and TLS configuration of these transport options: clients with
/// the same options share connections and TLS sessions, so that one-shot calls in a loop reuse
/// them. A `ca_file` that changed on disk (size or time), or a proxy environment that changed,
/// gets a pool of its own; a bad `ca_file` is an error here and is never kept.
pub fn shared_pool(options: &TransportOptions) -> Result<(ureq::Agent, Tls)> {
    /// What makes two clients' pools the same: their options, and what the options point at
    /// as it is now (the CA file's size and time; the proxy environment, when no proxy is given).
    #[derive(PartialEq)]
    struct Key {
        options: TransportOptions,
        ca_file_stamp: Option<(u64, Option<std::time::SystemTime>)>,
        proxy_environment: Vec<Option<String>>,
    }
    struct Pool {
        key: Key,
        agent: ureq::Agent,
        tls: Tls,
    }
    static POOLS: std::sync::Mutex<Vec<Pool>> = std::sync::Mutex::new(Vec::new());
    let key = Key {
        options: options.clone(),
        ca_file_stamp: options
            .ca_file
            .as_deref()
            .and_then(|path| std::fs::metadata(path).ok())
            .map(|m| (m.len(), m.modified().ok())),
        proxy_environment: match options.proxy {
            Some(_) => Vec::new(),
            None => PROXY_ENVIRONMENT.iter().map(|name| std::env::var(name).ok()).collect(),
        },
    };
    // A panic elsewhere while the lock was held leaves the list itself intact.
    let pools = || crate::sync::lock(&POOLS);
    if let Some(pool) = pools().iter().find(|p| p.key == key) {
        return Ok((pool.agent.clone(), pool.tls.clone()));
    }
    let tls = tls(options)?;
    let agent = build_agent(options, &tls)?;
    let mut pools = pools();
    pools.retain(|p| p.key.options != *options);
    if pools.len() >= SHARED_POOLS {
        pools.remove(0);
    }
    pools.push(Pool { key, agent: agent.clone(), tls: tls.clone() });
    Ok((agent, tls))
}

/// The variables ureq reads for a proxy from the environment.
const PROXY_ENVIRONMENT: [&str; 8] =
    ["ALL_PROXY", "all_proxy", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"];

pub fn build_agent(options: &TransportOptions, tls: &Tls) -> Result<ureq::Agent> {
    let proxy = match &options.proxy {
        Some(url) => Some(ureq::Proxy::new(url).map_err(|_| {
            Error::invalid(
                "proxy is not a valid proxy URL (http:// or https://; escape special characters in credentials)",
            )
        })?),
        None => ureq::Proxy::try_from_env(),
    };
    if let Some(proxy) = &proxy {
        // Never a silent direct connection where the user named a proxy.
        if !matches!(proxy.protocol(), ureq::ProxyProtocol::Http | ureq::ProxyProtocol::Https) {
            let whence =
                if options.proxy.is_some() { "proxy" } else { "the proxy of the environment (ALL_PROXY, HTTPS_PROXY)" };
            return Err(Error::invalid(format!("{whence} is a SOCKS proxy: not supported; use an HTTP(S) proxy")));
        }
    }
    let config = base_config()
        .timeout_connect(Some(options.connect_timeout))
        .proxy(proxy)
        .max_idle_connections_per_host(64)
        .max_idle_connections(64)
        .build();
    Ok(ureq::Agent::with_parts(config, connector(tls), crate::resolver::CachingResolver::default()))
}

/// ureq's proxy connector, then ours: TCP (a cheaper liveness check, see [`crate::tcp`]), slices
/// (every read waits in slices, so that a call can be stopped, see [`crate::interrupt`]: below
/// TLS, so that the handshake is sliced too), TLS (one configuration per client, see
/// [`crate::tls`]). The proxy's own connection runs through the same chain, so its CONNECT
/// answer is awaited in slices as well.
fn connector(tls: &Tls) -> impl ureq::unversioned::transport::Connector {
    use ureq::unversioned::transport::{ConnectProxyConnector, Connector};
    ().chain(ConnectProxyConnector::default())
        .chain(crate::tcp::TcpConnector)
        .chain(crate::interrupt::Interruptible)
        .chain(crate::tls::TlsConnector { config: tls.clone() })
}

/// Maps a ureq failure to our kinds, by type (never by searching its text), keeping it as
/// the error's `source()`. The message never contains a secret: ureq's errors describe
/// transport events, not our headers. A failure of a type not known here is reported as a
/// connection failure that is never retried.
pub fn map_error(err: ureq::Error) -> Error {
    let mut unclassified = false;
    let (kind, what) = match &err {
        ureq::Error::Timeout(t) => (ErrorKind::Timeout, describe_timeout(*t).to_string()),
        ureq::Error::HostNotFound => (ErrorKind::Connect, "host not found (DNS)".to_string()),
        ureq::Error::ConnectionFailed => (ErrorKind::Connect, "connection failed".to_string()),
        ureq::Error::Io(e) => {
            let (kind, what, known) = io_kind(e);
            unclassified = !known;
            (kind, what)
        }
        ureq::Error::Rustls(e) => (ErrorKind::Tls, format!("TLS failed: {e}")),
        ureq::Error::Tls(e) => (ErrorKind::Tls, format!("TLS failed: {e}")),
        ureq::Error::Pem(_) => (ErrorKind::Tls, "TLS failed: bad PEM".to_string()),
        ureq::Error::TlsRequired => (ErrorKind::Tls, "TLS required".to_string()),
        ureq::Error::ConnectProxyFailed(e) => (ErrorKind::Connect, format!("proxy CONNECT failed: {e}")),
        ureq::Error::InvalidProxyUrl => (ErrorKind::InvalidArgument, "invalid proxy URL".to_string()),
        ureq::Error::BodyStalled => (ErrorKind::Timeout, "the answer stalled".to_string()),
        ureq::Error::BodyExceedsLimit(n) => (ErrorKind::Protocol, format!("the answer exceeds {n} bytes")),
        ureq::Error::LargeResponseHeader(a, b) => {
            (ErrorKind::Protocol, format!("the answer's headers are too large ({a} > {b} bytes)"))
        }
        ureq::Error::TooManyRedirects | ureq::Error::RedirectFailed => {
            (ErrorKind::Protocol, "unexpected redirect".to_string())
        }
        ureq::Error::Protocol(e) => (ErrorKind::Protocol, format!("malformed answer: {e}")),
        ureq::Error::BadUri(_) | ureq::Error::Http(_) => {
            (ErrorKind::Internal, format!("request could not be built: {err}"))
        }
        // ureq::Error is non-exhaustive: anything new is reported, never hidden, never retried.
        other => {
            unclassified = true;
            (ErrorKind::Connect, format!("transport error: {other}"))
        }
    };
    let error = Error::new(kind, what).with_source(err);
    if unclassified { error.unclassified() } else { error }
}

/// Whether a failure came before any byte of the request left: the name did not resolve, no
/// connection could be made (refused, unreachable, connect timeout), a proxy refused the tunnel,
/// or TLS failed (its handshake completes while connecting). An I/O failure counts only when our
/// connectors marked it so ([`crate::unsent`]), never by its kind alone. Such a failure may move
/// a call to another endpoint; anything later never does (the request may have acted). A stop
/// is never one.
pub fn never_sent(err: &ureq::Error) -> bool {
    match err {
        ureq::Error::Timeout(t) => matches!(t, ureq::Timeout::Connect | ureq::Timeout::Resolve),
        ureq::Error::HostNotFound | ureq::Error::ConnectionFailed | ureq::Error::ConnectProxyFailed(_) => true,
        // Returned by our TLS connector before the handshake (a bad server name, no TLS where needed).
        ureq::Error::Rustls(_) | ureq::Error::Tls(_) | ureq::Error::TlsRequired => true,
        ureq::Error::Io(e) => {
            let inner = e.get_ref().map(|inner| inner as &(dyn std::error::Error + 'static));
            let stopped = inner.is_some_and(|inner| find_in_chain::<crate::interrupt::Stopped>(inner).is_some());
            !stopped && crate::unsent::is_marked(e)
        }
        _ => false,
    }
}

fn describe_timeout(t: ureq::Timeout) -> &'static str {
    match t {
        ureq::Timeout::Connect => "connect timed out (connect_timeout)",
        ureq::Timeout::Resolve => "DNS resolution timed out",
        ureq::Timeout::RecvResponse | ureq::Timeout::PerRead => "timed out waiting for the answer (timeout)",
        ureq::Timeout::RecvBody => "timed out reading the answer's body (timeout)",
        ureq::Timeout::SendRequest | ureq::Timeout::SendBody | ureq::Timeout::PerWrite => {
            "timed out sending the request (timeout)"
        }
        // Global and per-call: the call's overall deadline.
        _ => "the call's deadline passed before the answer was complete (timeout)",
    }
}

/// The first error of type `T` in the chain that starts at `e`.
fn find_in_chain<'a, T: std::error::Error + 'static>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a T> {
    let mut current = Some(e);
    while let Some(error) = current {
        if let Some(found) = error.downcast_ref::<T>() {
            return Some(found);
        }
        current = error.source();
    }
    None
}

/// The kind of an I/O failure, its description, and whether its type is known (a failure
/// of an unknown type is never retried).
fn io_kind(e: &io::Error) -> (ErrorKind, String, bool) {
    let inner = e.get_ref().map(|inner| inner as &(dyn std::error::Error + 'static));
    if inner.is_some_and(|inner| find_in_chain::<crate::interrupt::Stopped>(inner).is_some()) {
        return (ErrorKind::Cancelled, "the call was cancelled while it waited".to_string(), true);
    }
    if let Some(tls) = inner.and_then(find_in_chain::<rustls::Error>) {
        return (ErrorKind::Tls, format!("TLS failed: {tls}"), true);
    }
    use io::ErrorKind as K;
    match e.kind() {
        K::TimedOut | K::WouldBlock => (ErrorKind::Timeout, format!("I/O timed out: {e}"), true),
        K::ConnectionRefused => (ErrorKind::Connect, "connection refused".to_string(), true),
        K::ConnectionReset => (ErrorKind::Connect, "connection reset by peer".to_string(), true),
        K::ConnectionAborted => (ErrorKind::Connect, "connection aborted".to_string(), true),
        K::UnexpectedEof => (ErrorKind::Connect, "connection closed before a complete answer".to_string(), true),
        K::BrokenPipe => (ErrorKind::Connect, "connection closed while sending".to_string(), true),
        K::NotConnected | K::HostUnreachable | K::NetworkUnreachable | K::NetworkDown | K::AddrNotAvailable => {
            (ErrorKind::Connect, format!("I/O error: {e}"), true)
        }
        _ => (ErrorKind::Connect, format!("I/O error: {e}"), false),
    }
}
