//! The calls around the delete (`spec/lifecycle.md`): listing a project's certificates over
//! every gateway, the domains a certificate is bound to, detaching them, and a delete that says
//! what a certificate is bound to when APIG refuses it — or detaches first. Each request runs
//! through the client's one request loop (retries, failover, credentials) and has the client's
//! timeout as its deadline.

use crate::certificates::{self, BoundDomain, Certificate, Page};
use crate::client::{CERTIFICATES, Client, DeleteOptions, Deletion, Method, Request};
use crate::error::{Error, ErrorKind, Result};
use crate::limits::LOG_TARGET;
use crate::validate;
use std::sync::atomic::AtomicBool;

/// The largest page APIG serves (its `limit` is 1–500): the fewest requests.
pub const PAGE_SIZE: u32 = 500;

/// How many bytes a page's answer may have: 500 certificates with their names are ~200 KB.
const PAGE_BYTES: u64 = 16 * 1024 * 1024;

/// A listing that has not ended after this many pages is not believed (a server that always
/// answers a full page would never end it).
const MAX_PAGES: u32 = 10_000;

/// APIG's "the gateway does not exist" (404).
const GATEWAY_NOT_FOUND: &str = "APIG.3030";

/// Options of a call that is not a delete.
#[derive(Clone, Copy, Default)]
pub struct CallOptions<'a> {
    /// The project, when it differs from the client's (or the client has none).
    pub project_id: Option<&'a str>,
    /// As [`DeleteOptions::interrupt`].
    pub interrupt: Option<&'a (dyn Fn() -> bool + Sync)>,
    /// As [`DeleteOptions::stop`].
    pub stop: Option<&'a AtomicBool>,
}

impl std::fmt::Debug for CallOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallOptions")
            .field("project_id", &self.project_id)
            .field("interrupt", &self.interrupt.map(|_| "<fn>"))
            .field("stop", &self.stop)
            .finish()
    }
}

/// What a listing of certificates keeps (passed to APIG, which filters).
#[derive(Debug, Clone, Copy, Default)]
pub struct ListFilter<'a> {
    /// One gateway (its certificates and the global ones) instead of every gateway.
    pub instance_id: Option<&'a str>,
    /// Certificates whose name contains this.
    pub name: Option<&'a str>,
    /// Certificates of this common name.
    pub common_name: Option<&'a str>,
}

impl Client {
    /// Every certificate of the client's project: one listing per gateway (APIG requires one),
    /// global certificates once, in pages of [`PAGE_SIZE`].
    pub fn list_certificates(&self) -> Result<Vec<Certificate>> {
        self.list_certificates_with(&ListFilter::default(), &CallOptions::default())
    }

    /// As [`Client::list_certificates`], filtered, in the project and with the stops of `options`.
    /// A project without any gateway has no certificate to list: the list is empty.
    pub fn list_certificates_with(
        &self,
        filter: &ListFilter<'_>,
        options: &CallOptions<'_>,
    ) -> Result<Vec<Certificate>> {
        if let Some(gateway) = filter.instance_id {
            validate::id("instance_id", gateway)?;
        }
        for (field, value) in [("name", filter.name), ("common_name", filter.common_name)] {
            if let Some(value) = value {
                validate::name(field, value)?;
            }
        }
        self.watched(options.interrupt, options.stop, || {
            let gateways = match filter.instance_id {
                Some(gateway) => vec![gateway.to_string()],
                None => self.gateways(options.project_id)?,
            };
            let mut seen = std::collections::HashSet::new();
            let mut all = Vec::new();
            for gateway in &gateways {
                let mut query = vec![("instance_id", gateway.clone())];
                query.extend(filter.name.map(|n| ("name", n.to_string())));
                query.extend(filter.common_name.map(|n| ("common_name", n.to_string())));
                let subject = format!("the certificates of gateway {gateway}");
                let listed = match self.pages("/apigw/certificates", query, &subject, options.project_id, |body| {
                    certificates::parse_certificates(body)
                }) {
                    Ok(listed) => listed,
                    // A gateway deleted since the gateways were listed has no certificate left;
                    // one the caller named is an error.
                    Err(e) if filter.instance_id.is_none() && e.error_code() == Some(GATEWAY_NOT_FOUND) => {
                        log::warn!(target: LOG_TARGET, "gateway {gateway} is gone since the gateways were listed: {e}");
                        continue;
                    }
                    Err(e) => return Err(e),
                };
                // A global certificate is in every gateway's listing.
                all.extend(listed.into_iter().filter(|c| seen.insert(c.id.clone())));
            }
            Ok(all)
        })
    }

    /// The ids of the project's gateways (APIG instances).
    pub fn list_gateways_with(&self, options: &CallOptions<'_>) -> Result<Vec<String>> {
        self.watched(options.interrupt, options.stop, || self.gateways(options.project_id))
    }

    fn gateways(&self, project_id: Option<&str>) -> Result<Vec<String>> {
        let gateways =
            self.pages("/apigw/instances", Vec::new(), "the gateways", project_id, certificates::parse_gateways)?;
        if gateways.is_empty() {
            log::info!(target: LOG_TARGET, "the project has no gateway: no certificate to list");
        }
        Ok(gateways)
    }

    /// The domain names `certificate_id` is bound to (each domain once per gateway, however
    /// many ports it is served on).
    pub fn certificate_domains(&self, certificate_id: &str) -> Result<Vec<BoundDomain>> {
        self.certificate_domains_with(certificate_id, &CallOptions::default())
    }

    /// As [`Client::certificate_domains`], with the project and stops of `options`.
    pub fn certificate_domains_with(
        &self,
        certificate_id: &str,
        options: &CallOptions<'_>,
    ) -> Result<Vec<BoundDomain>> {
        validate::id("certificate_id", certificate_id)?;
        self.watched(options.interrupt, options.stop, || self.domains(certificate_id, options.project_id))
    }

    fn domains(&self, certificate_id: &str, project_id: Option<&str>) -> Result<Vec<BoundDomain>> {
        let path = format!("{CERTIFICATES}{certificate_id}/attached-domains");
        let subject = format!("the domains of certificate {certificate_id}");
        let domains = self.pages(&path, Vec::new(), &subject, project_id, certificates::parse_domains)?;
        Ok(certificates::fold_domains(domains))
    }

    /// Every page of a listing at `path`: `offset` and `limit` added to `query`, until a page is
    /// short or the reported total is reached.
    fn pages<T>(
        &self,
        path: &str,
        query: Vec<(&'static str, String)>,
        subject: &str,
        project_id: Option<&str>,
        parse: impl Fn(&[u8]) -> Result<Page<T>>,
    ) -> Result<Vec<T>> {
        let mut all = Vec::new();
        for page in 0..MAX_PAGES {
            let offset = all.len();
            let mut paged = query.clone();
            paged.push(("offset", offset.to_string()));
            paged.push(("limit", PAGE_SIZE.to_string()));
            let request = Request {
                method: Method::Get,
                path: path.to_string(),
                query: paged,
                body: None,
                subject,
                absent_ok: false,
                body_limit: PAGE_BYTES,
            };
            let reply = self.exchange(&request, project_id)?;
            let Page { total, items } = parse(&reply.body).map_err(|e| {
                let message = format!("{} (page {}, {subject})", e.message(), page + 1);
                e.with_message(message)
            })?;
            let got = items.len();
            all.extend(items);
            // Up to the total the server reports (a server that serves smaller pages than asked
            // is still read to the end); without one, until a page is short.
            let end = match total {
                Some(total) => all.len() as u64 >= total,
                None => got < PAGE_SIZE as usize,
            };
            if end || got == 0 {
                return Ok(all);
            }
        }
        Err(Error::new(
            ErrorKind::Protocol,
            format!("{subject}: the listing did not end after {MAX_PAGES} pages of {PAGE_SIZE}"),
        ))
    }

    /// Detaches `domains` from `certificate_id` with one batch detach (each domain name with
    /// the gateways it is bound on). APIG's "no valid domain name" (400 `APIG.2000`: nothing of
    /// it is bound any more, maybe by an earlier attempt of ours) is success.
    fn detach(&self, certificate_id: &str, domains: &[BoundDomain], project_id: Option<&str>) -> Result<()> {
        let mut by_name: Vec<(&str, Vec<&str>)> = Vec::new();
        for d in domains {
            match by_name.iter_mut().find(|(name, _)| *name == d.domain) {
                Some((_, gateways)) => gateways.push(&d.instance_id),
                None => by_name.push((&d.domain, vec![&d.instance_id])),
            }
        }
        let entries: Vec<serde_json::Value> = by_name
            .iter()
            .map(|(name, gateways)| {
                let gateways: Vec<&str> = gateways.iter().copied().filter(|g| !g.is_empty()).collect();
                if gateways.is_empty() {
                    serde_json::json!({ "domain": name })
                } else {
                    serde_json::json!({ "domain": name, "instance_ids": gateways })
                }
            })
            .collect();
        let body = serde_json::to_vec(&serde_json::json!({ "domains": entries }))
            .map_err(|e| Error::new(ErrorKind::Internal, format!("the detach body could not be written: {e}")))?;
        let subject = format!("the domains of certificate {certificate_id}");
        let request = Request {
            method: Method::Post,
            path: format!("{CERTIFICATES}{certificate_id}/domains/detach"),
            query: Vec::new(),
            body: Some(body),
            subject: &subject,
            absent_ok: false,
            body_limit: crate::limits::MAX_BODY_BYTES,
        };
        log::info!(
            target: LOG_TARGET,
            "detaching {} domain name(s) from certificate {certificate_id}: {}",
            by_name.len(),
            by_name.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
        );
        match self.exchange(&request, project_id) {
            Ok(_) => Ok(()),
            Err(e) if e.http_status() == Some(400) && e.error_code() == Some("APIG.2000") => {
                log::info!(target: LOG_TARGET, "certificate {certificate_id}: nothing left to detach (APIG.2000)");
                Ok(())
            }
            Err(e) => {
                let message = format!("detaching the domains of certificate {certificate_id}: {}", e.message());
                Err(e.with_message(message))
            }
        }
    }

    /// The delete of [`Client::delete_certificate_detailed`]: with `detach_domains`, the bound
    /// domains are looked up and detached first; a refusal (403) is explained when the
    /// certificate turns out to be bound.
    pub(crate) fn delete_refused_or_detached(
        &self,
        certificate_id: &str,
        options: &DeleteOptions<'_>,
    ) -> Result<Deletion> {
        validate::id("certificate_id", certificate_id)?;
        if options.detach_domains {
            match self.domains(certificate_id, options.project_id) {
                Ok(domains) if domains.is_empty() => {}
                Ok(domains) => self.detach(certificate_id, &domains, options.project_id)?,
                // APIG does not know the certificate: the delete says so (missing_ok included).
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                Err(e) => {
                    let message = format!("looking up the domains to detach: {}", e.message());
                    return Err(e.with_message(message));
                }
            }
        }
        match self.delete(certificate_id, options) {
            Err(refusal) if refusal.kind() == ErrorKind::Forbidden && refusal.http_status() == Some(403) => {
                Err(self.explain_refusal(certificate_id, options.project_id, refusal))
            }
            other => other,
        }
    }

    /// APIG refused the delete (403): if the certificate is bound, the refusal becomes
    /// [`ErrorKind::InUse`] with the domain names. APIG's code for it is undocumented, so the
    /// bindings are asked for, whatever the code; when that is refused too, fails, or finds
    /// nothing bound, the refusal stands as it was.
    fn explain_refusal(&self, certificate_id: &str, project_id: Option<&str>, refusal: Error) -> Error {
        log::debug!(target: LOG_TARGET, "APIG refused to delete certificate {certificate_id}: asking what it is bound to");
        match self.domains(certificate_id, project_id) {
            Ok(domains) if !domains.is_empty() => {
                let mut names: Vec<String> = Vec::new();
                for d in domains {
                    if !names.contains(&d.domain) {
                        names.push(d.domain);
                    }
                }
                refusal.into_in_use(certificate_id, names)
            }
            Ok(_) => refusal,
            Err(e) => {
                log::debug!(target: LOG_TARGET, "the bound domains of {certificate_id} could not be listed: {e}");
                refusal
            }
        }
    }
}
