//! Endpoints: parsing and checking the base URL, loopback detection, regions.

use crate::error::{Error, Result};
use std::net::Ipv4Addr;

/// A checked base URL such as `https://apig.cn-north-4.myhuaweicloud.com`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    https: bool,
    /// The host as written in the URL (IPv6 keeps its brackets), lower-cased.
    host: String,
    port: Option<u16>,
    /// A path prefix without trailing slash ("" for none), e.g. "/apig" behind a proxy.
    base_path: String,
}

/// Several endpoints, in order of preference: each parsed as [`Endpoint::parse`] does, and none
/// twice (the same scheme, host, port and path, however written).
pub fn parse_list(urls: &[&str], allow_insecure_http: bool) -> Result<Vec<Endpoint>> {
    let mut endpoints: Vec<Endpoint> = Vec::with_capacity(urls.len());
    for url in urls {
        let endpoint = Endpoint::parse(url, allow_insecure_http)?;
        if endpoints.contains(&endpoint) {
            return Err(Error::invalid(format!("endpoint {} is given twice", endpoint.origin_and_base())));
        }
        endpoints.push(endpoint);
    }
    Ok(endpoints)
}

impl Endpoint {
    /// Parses and checks `url`. Plain `http` is refused unless the host is loopback or
    /// `allow_insecure_http` is set: a token must not cross a network in clear text by accident.
    pub fn parse(url: &str, allow_insecure_http: bool) -> Result<Endpoint> {
        let bad = |why: &str| Error::invalid(format!("endpoint {:?} {why}", crate::text::printable(url, 200)));
        if url.is_empty() {
            return Err(Error::invalid("endpoint is empty"));
        }
        if url.len() > 2048 {
            return Err(Error::invalid("endpoint is longer than 2048 bytes"));
        }
        if let Some(c) = url.chars().find(|c| c.is_control() || c.is_whitespace() || !c.is_ascii()) {
            return Err(bad(&format!("contains {}", crate::text::describe_char(c))));
        }
        if url.contains('?') {
            return Err(bad("has a query string; give only scheme, host, optional port and path"));
        }
        if url.contains('#') {
            return Err(bad("has a fragment; give only scheme, host, optional port and path"));
        }
        let lower = url.to_ascii_lowercase();
        let (https, rest) = if let Some(rest) = lower.strip_prefix("https://") {
            (true, &url[url.len() - rest.len()..])
        } else if let Some(rest) = lower.strip_prefix("http://") {
            (false, &url[url.len() - rest.len()..])
        } else {
            return Err(bad("is not an http:// or https:// URL"));
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        if authority.contains('@') {
            return Err(bad("contains user information ('@'); credentials never go in the URL"));
        }
        let (host, port) = split_host_port(authority).map_err(|why| bad(&why))?;
        if let Some(segment) = path.split('/').find(|s| !s.is_empty() && (*s == "." || *s == ".." || s.contains('%'))) {
            return Err(bad(&format!("has a path segment {segment:?} that is not allowed")));
        }
        let endpoint = Endpoint {
            https,
            host: host.to_ascii_lowercase(),
            port,
            base_path: path.trim_end_matches('/').to_string(),
        };
        if !https && !allow_insecure_http && !endpoint.is_loopback() {
            return Err(bad(
                "uses plain http to a host that is not loopback; use https, or opt in with allow_insecure_http",
            ));
        }
        Ok(endpoint)
    }

    /// The endpoint of APIG in a region: any well-formed region id, not a closed table.
    pub fn for_region(region: &str) -> Result<Endpoint> {
        Endpoint::for_service(region, "apig")
    }

    /// The endpoint of a service (`apig`, `iam`) in a region: `https://{service}.{region}.{domain}`.
    pub fn for_service(region: &str, service: &str) -> Result<Endpoint> {
        check_region(region)?;
        // eu-west-101 is served from Huawei Cloud Europe's own domain.
        let domain = if region == "eu-west-101" { "myhuaweicloud.eu" } else { "myhuaweicloud.com" };
        Endpoint::parse(&format!("https://{service}.{region}.{domain}"), false)
    }

    #[cfg_attr(not(feature = "internals"), allow(dead_code))]
    pub fn is_https(&self) -> bool {
        self.https
    }

    /// The `Host` header value: the host, with `:port` when the URL names one.
    pub fn host_header(&self) -> String {
        match self.port {
            Some(port) => format!("{}:{port}", self.host),
            None => self.host.clone(),
        }
    }

    /// `scheme://host[:port][/base]` — what every request URL starts with.
    pub fn origin_and_base(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}{}", self.host_header(), self.base_path)
    }

    /// The path prefix (may be empty).
    pub fn base_path(&self) -> &str {
        &self.base_path
    }

    /// True for 127.0.0.0/8, ::1 and `localhost` itself.
    pub fn is_loopback(&self) -> bool {
        // Exactly `localhost`: a name under it (x.localhost) may be sent to DNS by the system's
        // resolver, and then clear text would go wherever DNS says.
        if self.host == "localhost" {
            return true;
        }
        if self.host == "[::1]" {
            return true;
        }
        self.host.parse::<Ipv4Addr>().map(|ip| ip.is_loopback()).unwrap_or(false)
    }

    /// True for 169.254.0.0/16 and fe80::/10: addresses that never leave the machine's own link.
    pub fn is_link_local(&self) -> bool {
        if let Ok(ip) = self.host.parse::<Ipv4Addr>() {
            return ip.is_link_local();
        }
        let bare = self.host.trim_start_matches('[').trim_end_matches(']');
        // A zone index (fe80::1%eth0, written %25 in URLs) is not part of the address.
        let bare = bare.split('%').next().unwrap_or(bare);
        bare.parse::<std::net::Ipv6Addr>().is_ok_and(|ip| (ip.segments()[0] & 0xffc0) == 0xfe80)
    }

    /// Refuses plain `http` to a host that is neither loopback nor (with `link_local_too`)
    /// link-local, unless `allow_insecure_http`: identity endpoints hand out or receive secrets.
    pub fn check_local_http(self, name: &str, link_local_too: bool, allow_insecure_http: bool) -> Result<Endpoint> {
        let local = self.is_loopback() || (link_local_too && self.is_link_local());
        if self.https || local || allow_insecure_http {
            return Ok(self);
        }
        let allowed = if link_local_too { "loopback or link-local (169.254.0.0/16, fe80::/10)" } else { "loopback" };
        Err(crate::error::Error::invalid(format!(
            "{name}: plain http to {} would carry secrets in clear text across the network: plain http is \
             allowed only to {allowed} hosts; use https, or opt in with allow_insecure_http",
            self.host
        )))
    }
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.origin_and_base())
    }
}

fn split_host_port(authority: &str) -> std::result::Result<(&str, Option<u16>), String> {
    let (host, port) = if authority.starts_with('[') {
        let end = authority.find(']').ok_or("has an unterminated IPv6 address")?;
        let host = &authority[..=end];
        if host[1..end].parse::<std::net::Ipv6Addr>().is_err() {
            return Err("has an invalid IPv6 address".into());
        }
        match &authority[end + 1..] {
            "" => (host, None),
            rest => (host, Some(rest.strip_prefix(':').ok_or("has junk after the IPv6 address")?)),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err("has no host".into());
    }
    if !host.starts_with('[') && !host.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_')
    {
        return Err("has a host with characters outside A-Z a-z 0-9 - . _".into());
    }
    let port = match port {
        None => None,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 && !p.starts_with('+') => Some(n),
            _ => return Err(format!("has an invalid port {p:?}")),
        },
    };
    Ok((host, port))
}

/// A region id such as `cn-north-4`: lower-case letters, digits and single dashes,
/// starting with letters, at most 64 characters.
pub fn check_region(region: &str) -> Result<()> {
    let well_formed = !region.is_empty()
        && region.len() <= 64
        && region.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && region.as_bytes()[0].is_ascii_lowercase()
        && !region.ends_with('-')
        && !region.contains("--")
        && region.contains('-');
    if well_formed {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "region {:?} is not a region id like \"cn-north-4\" (lower-case letters, digits, dashes)",
            crate::text::printable(region, 80)
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_https_and_loopback_http() {
        let e = Endpoint::parse("https://apig.cn-north-4.myhuaweicloud.com", false).unwrap();
        assert_eq!(e.host_header(), "apig.cn-north-4.myhuaweicloud.com");
        let e = Endpoint::parse("http://127.0.0.1:8080/", false).unwrap();
        assert_eq!(e.origin_and_base(), "http://127.0.0.1:8080");
        assert!(Endpoint::parse("http://[::1]:9/", false).unwrap().is_loopback());
        assert!(Endpoint::parse("HTTP://LocalHost:9", false).unwrap().is_loopback());
        let e = Endpoint::parse("https://gw.example.com:8443/apig/", false).unwrap();
        assert_eq!(e.origin_and_base(), "https://gw.example.com:8443/apig");
    }

    #[test]
    fn refuses_bad_endpoints() {
        for bad in [
            "",
            "ftp://x",
            "apig.example.com",
            "https://",
            "https://:443",
            "https://h?x=1",
            "https://h#f",
            "https://user:pw@h",
            "https://h:0",
            "https://h:99999",
            "https://h:abc",
            "https://h h",
            "https://h/a/../b",
            "https://[::1",
            "http://10.0.0.1",
            "http://example.com",
        ] {
            let e = Endpoint::parse(bad, false).unwrap_err();
            assert!(e.message().starts_with("endpoint"), "{bad}: {}", e.message());
        }
        assert!(Endpoint::parse("http://example.com", true).is_ok());
        let e = Endpoint::parse("https://user:secretpw@h", false).unwrap_err();
        assert!(e.message().contains("user information"));
    }

    #[test]
    fn regions() {
        assert_eq!(
            Endpoint::for_region("cn-north-4").unwrap().origin_and_base(),
            "https://apig.cn-north-4.myhuaweicloud.com"
        );
        assert_eq!(
            Endpoint::for_region("eu-west-101").unwrap().origin_and_base(),
            "https://apig.eu-west-101.myhuaweicloud.eu"
        );
        assert!(Endpoint::for_region("zz-new-99").is_ok());
        for bad in ["", "CN-north-4", "cn_north", "cn", "-cn-1", "cn--1", "cn-1-", "cn-north-4.evil.com"] {
            assert!(Endpoint::for_region(bad).is_err(), "{bad}");
        }
    }
}
