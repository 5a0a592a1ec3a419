//! What APIG says about certificates around the delete: a certificate of a listing and a domain
//! bound to one, read from the pages of `GET …/certificates`, `GET …/instances` and
//! `GET …/certificates/{id}/attached-domains` (`spec/lifecycle.md`). Plain data and its parsing:
//! no I/O here.

use crate::error::{Error, ErrorKind, Result};
use crate::time::unix_seconds;
use serde_json::Value;
use std::time::SystemTime;

/// A certificate's scope: every gateway of the project, or one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Usable by every gateway of the project (APIG's `type` `global`).
    Global,
    /// Usable by one gateway, [`Certificate::instance_id`] (APIG's `type` `instance`).
    Instance,
}

impl Scope {
    /// APIG's word for it: `global` or `instance`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Global => "global",
            Scope::Instance => "instance",
        }
    }
}

/// One certificate of a listing (never its PEM or key: APIG does not list them).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Certificate {
    /// The certificate id (what `delete_certificate` takes).
    pub id: String,
    /// Its name in APIG.
    pub name: String,
    /// The subject's common name.
    pub common_name: String,
    /// Subject alternative names (may be empty).
    pub san: Vec<String>,
    /// Global, or one gateway's.
    pub scope: Scope,
    /// The gateway of an instance certificate; `None` for a global one.
    pub instance_id: Option<String>,
    /// When it expires, in Unix seconds (APIG's `not_after`, parsed from RFC 3339; before 1970
    /// is negative).
    pub not_after: i64,
    /// `SHA256-RSA` and the like.
    pub signature_algorithm: String,
    /// `RSA`, `ECC` or `SM2`, from servers that say it.
    pub algorithm_type: Option<String>,
}

impl Certificate {
    /// Whether it has expired at `now`.
    pub fn expired_at(&self, now: SystemTime) -> bool {
        self.not_after <= unix_seconds(now)
    }

    /// Whether it has expired now.
    pub fn expired(&self) -> bool {
        self.expired_at(SystemTime::now())
    }
}

/// A domain name a certificate is bound to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct BoundDomain {
    /// The domain name (`url_domain`).
    pub domain: String,
    /// The domain's id.
    pub domain_id: String,
    /// The gateway it is served by.
    pub instance_id: String,
    /// Its API group.
    pub group_id: String,
    /// The API group's name.
    pub group_name: String,
}

/// One page of a listing: the total the server reports and the items of this page.
pub(crate) struct Page<T> {
    pub total: Option<u64>,
    pub items: Vec<T>,
}

/// A gateway's id from a page of `GET …/instances`.
pub(crate) fn parse_gateways(body: &[u8]) -> Result<Page<String>> {
    parse_page(body, "instances", "the gateway listing", |item| required(item, "id"))
}

/// A page of `GET …/certificates`.
pub(crate) fn parse_certificates(body: &[u8]) -> Result<Page<Certificate>> {
    parse_page(body, "certs", "the certificate listing", certificate)
}

/// A page of `GET …/certificates/{id}/attached-domains`.
pub(crate) fn parse_domains(body: &[u8]) -> Result<Page<BoundDomain>> {
    parse_page(body, "bound_domains", "the bound domains", |item| {
        Ok(BoundDomain {
            domain: required(item, "url_domain")?,
            domain_id: text(item, "id").unwrap_or_default(),
            instance_id: text(item, "instance_id").unwrap_or_default(),
            group_id: text(item, "api_group_id").unwrap_or_default(),
            group_name: text(item, "api_group_name").unwrap_or_default(),
        })
    })
}

/// Folds the entries of one domain on one gateway (custom inbound ports list a domain once per
/// port) into one, in the order they came.
pub(crate) fn fold_domains(domains: Vec<BoundDomain>) -> Vec<BoundDomain> {
    let mut seen = std::collections::HashSet::new();
    domains.into_iter().filter(|d| seen.insert((d.domain.clone(), d.instance_id.clone()))).collect()
}

fn parse_page<T>(
    body: &[u8],
    field: &str,
    what: &str,
    item: impl Fn(&serde_json::Map<String, Value>) -> std::result::Result<T, String>,
) -> Result<Page<T>> {
    let unusable = |why: String| Error::new(ErrorKind::Protocol, format!("{what} could not be read: {why}"));
    let value: Value = serde_json::from_slice(body).map_err(|e| unusable(format!("not JSON ({e})")))?;
    let list = value
        .get(field)
        .and_then(Value::as_array)
        .ok_or_else(|| unusable(format!("no \"{field}\" list in the answer")))?;
    let items = list
        .iter()
        .enumerate()
        .map(|(i, entry)| match entry.as_object() {
            Some(object) => item(object).map_err(|why| unusable(format!("entry {i}: {why}"))),
            None => Err(unusable(format!("entry {i} is not an object"))),
        })
        .collect::<Result<Vec<T>>>()?;
    Ok(Page { total: value.get("total").and_then(Value::as_u64), items })
}

fn certificate(item: &serde_json::Map<String, Value>) -> std::result::Result<Certificate, String> {
    let id = required(item, "id")?;
    let not_after_text = required(item, "not_after")?;
    let not_after = crate::time::parse_timestamp(&not_after_text).map(unix_seconds).ok_or_else(|| {
        format!("not_after {:?} is not an RFC 3339 time", crate::text::printable(&not_after_text, 64))
    })?;
    let instance_id = text(item, "instance_id").filter(|g| !g.is_empty());
    // APIG says the scope twice: `type`, and `instance_id` "common" for a global one.
    let scope = match text(item, "type").as_deref() {
        Some("global") => Scope::Global,
        Some("instance") => Scope::Instance,
        _ if instance_id.as_deref() == Some("common") || instance_id.is_none() => Scope::Global,
        _ => Scope::Instance,
    };
    let san = match item.get("san") {
        Some(Value::Array(names)) => names.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        _ => Vec::new(),
    };
    Ok(Certificate {
        id,
        name: text(item, "name").unwrap_or_default(),
        common_name: text(item, "common_name").unwrap_or_default(),
        san,
        instance_id: if scope == Scope::Global { None } else { instance_id },
        scope,
        not_after,
        signature_algorithm: text(item, "signature_algorithm").unwrap_or_default(),
        algorithm_type: text(item, "algorithm_type").filter(|a| !a.is_empty()),
    })
}

fn text(item: &serde_json::Map<String, Value>, field: &str) -> Option<String> {
    item.get(field).and_then(Value::as_str).map(str::to_string)
}

fn required(item: &serde_json::Map<String, Value>, field: &str) -> std::result::Result<String, String> {
    text(item, field).filter(|v| !v.is_empty()).ok_or_else(|| format!("no \"{field}\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_of_certificates_in_every_time_form() {
        let body = br#"{"total":4,"size":4,"certs":[
            {"id":"a","name":"n","type":"global","instance_id":"common","common_name":"a.com","san":["a.com","b.com"],
             "not_after":"2021-04-26T09:03:30Z","signature_algorithm":"SHA256-RSA"},
            {"id":"b","type":"instance","instance_id":"gw","not_after":"2021-04-26T09:03:30.304004Z","algorithm_type":"ECC"},
            {"id":"c","type":"instance","instance_id":"gw","not_after":"2021-04-26T17:03:30+08:00"},
            {"id":"d","type":"instance","instance_id":"gw","not_after":"2021-04-26T04:03:30.5-05:00"}]}"#;
        let page = parse_certificates(body).unwrap();
        assert_eq!(page.total, Some(4));
        let times: Vec<i64> = page.items.iter().map(|c| c.not_after).collect();
        assert_eq!(times, vec![1_619_427_810; 4]);
        // A zero time (Go's) is a time, long expired, not an unreadable listing.
        let zero = parse_certificates(br#"{"certs":[{"id":"z","not_after":"0001-01-01T00:00:00Z"}]}"#).unwrap();
        assert_eq!(zero.items[0].not_after, -62_135_596_800);
        assert!(zero.items[0].expired());
        assert_eq!(page.items[0].scope, Scope::Global);
        assert_eq!(page.items[0].instance_id, None);
        assert_eq!(page.items[0].san, vec!["a.com", "b.com"]);
        assert_eq!(page.items[1].instance_id.as_deref(), Some("gw"));
        assert_eq!(page.items[1].algorithm_type.as_deref(), Some("ECC"));
        assert!(page.items[0].expired());
    }

    #[test]
    fn an_unreadable_entry_is_a_protocol_error_that_says_which() {
        let error = parse_certificates(br#"{"certs":[{"id":"a","not_after":"yesterday"}]}"#).err().unwrap();
        assert_eq!(error.kind(), ErrorKind::Protocol);
        assert!(error.message().contains("entry 0: not_after \"yesterday\""), "{}", error.message());
        assert!(parse_certificates(b"{}").err().unwrap().message().contains("no \"certs\" list"));
    }

    #[test]
    fn a_domain_on_several_ports_is_folded() {
        let d = |name: &str, gw: &str| BoundDomain {
            domain: name.into(),
            domain_id: "x".into(),
            instance_id: gw.into(),
            group_id: String::new(),
            group_name: String::new(),
        };
        let folded = fold_domains(vec![d("a", "g1"), d("a", "g1"), d("a", "g2"), d("b", "g1")]);
        let names: Vec<(&str, &str)> = folded.iter().map(|d| (d.domain.as_str(), d.instance_id.as_str())).collect();
        assert_eq!(names, vec![("a", "g1"), ("a", "g2"), ("b", "g1")]);
    }
}
