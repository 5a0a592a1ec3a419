//! Name resolution for the transport. ureq resolves the host before every call, even when a
//! pooled connection will be reused. We skip the lookup for IP literals and keep names for a
//! short while, so a reused connection costs no lookup and no thread. A lookup runs on a
//! thread of its own while the call waits for it in slices: Ctrl-C and `cancel()` stop the
//! wait (the lookup itself, which the system cannot abort, ends on its own and is dropped).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

/// Resolves `host:port` on a thread of its own, waiting in slices for it within `timeout`.
fn lookup(
    host: &str,
    port: u16,
    timeout: &NextTimeout,
    family: ureq::config::IpFamily,
) -> Result<ResolvedSocketAddrs, ureq::Error> {
    use std::net::ToSocketAddrs;
    let (send, receive) = std::sync::mpsc::channel();
    let name = (host.to_string(), port);
    std::thread::Builder::new()
        .name("apig-resolve".into())
        .spawn(move || {
            // The receiver may be gone (the call stopped or timed out): nothing to tell then.
            let _ = send.send(name.to_socket_addrs().map(|addrs| addrs.collect::<Vec<_>>()));
        })
        .map_err(ureq::Error::Io)?;
    let started = Instant::now();
    let limit = (!timeout.after.is_not_happening()).then(|| *timeout.after);
    let addrs = loop {
        let wait = match limit {
            Some(limit) => {
                let left = limit.saturating_sub(started.elapsed());
                if left.is_zero() {
                    return Err(ureq::Error::Timeout(ureq::Timeout::Resolve));
                }
                left.min(crate::interrupt::SLICE)
            }
            None => crate::interrupt::SLICE,
        };
        match receive.recv_timeout(wait) {
            // The system's lookup failed: the name is not known (or DNS is unreachable).
            Ok(result) => break result.map_err(|_| ureq::Error::HostNotFound)?,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                if crate::interrupt::should_stop() {
                    return Err(ureq::Error::Io(crate::interrupt::stopped_io_error()));
                }
            }
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return Err(ureq::Error::HostNotFound),
        }
    };
    let mut out = ResolvedSocketAddrs::from_fn(|_| SocketAddr::new(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED), 0));
    for addr in family.keep_wanted(addrs.into_iter()).take(16) {
        out.push(addr);
    }
    if out.is_empty() { Err(ureq::Error::HostNotFound) } else { Ok(out) }
}

/// How long a name's addresses are reused (short: DNS changes must be seen soon).
const TTL: Duration = Duration::from_secs(30);
/// Names kept at most (a client talks to one or two hosts).
const MAX_ENTRIES: usize = 64;

#[derive(Debug, Default)]
pub struct CachingResolver {
    inner: DefaultResolver,
    cache: Mutex<HashMap<String, (Instant, Vec<SocketAddr>)>>,
}

impl Resolver for CachingResolver {
    fn resolve(&self, uri: &Uri, config: &Config, timeout: NextTimeout) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let (Some(authority), Some(scheme)) = (uri.authority(), uri.scheme_str()) else {
            return self.inner.resolve(uri, config, timeout);
        };
        let port = authority.port_u16().unwrap_or(if scheme == "https" { 443 } else { 80 });
        let host = authority.host().trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = host.parse::<IpAddr>() {
            let mut out = self.empty();
            out.push(SocketAddr::new(ip, port));
            return Ok(out);
        }
        let key = format!("{host}:{port}");
        if let Some((at, addrs)) = crate::sync::lock(&self.cache).get(&key) {
            if at.elapsed() < TTL {
                let mut out = self.empty();
                addrs.iter().for_each(|a| out.push(*a));
                return Ok(out);
            }
        }
        let resolved = lookup(host, port, &timeout, config.ip_family())?;
        let mut cache = crate::sync::lock(&self.cache);
        if cache.len() >= MAX_ENTRIES {
            cache.retain(|_, (at, _)| at.elapsed() < TTL);
        }
        if cache.len() < MAX_ENTRIES {
            cache.insert(key, (Instant::now(), resolved.iter().copied().collect()));
        }
        Ok(resolved)
    }
}
