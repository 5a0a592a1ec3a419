//! The calls around the delete (`spec/lifecycle.md`): listing a project's certificates over
//! every gateway, the domains a certificate is bound to, detaching them, and a delete that says
//! what a certificate is bound to when APIG refuses it — or detaches first. Each request runs
//! through the client's one request loop (retries, failover, credentials); the client's timeout
//! is the deadline of the whole call, all of its requests included.

use crate::certificates::{self, BoundDomain, Certificate, Page};
use crate::client::{CERTIFICATES, Client, DeleteOptions, Deletion, Method, Request};
use crate::error::{Error, ErrorKind, Result};
use crate::limits::LOG_TARGET;
use crate::validate;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

/// The largest page APIG serves (its `limit` is 1–500): the fewest requests.
pub const PAGE_SIZE: u32 = 500;

/// How many bytes a page's answer may have: 500 certificates with their names are ~200 KB.
const PAGE_BYTES: u64 = 16 * 1024 * 1024;

/// A listing that has not ended after this many pages is not believed (a server that always
/// answers a full page would never end it): 5 million entries.
const MAX_PAGES: u32 = 10_000;

/// The codes APIG documents for a refusal that is about permissions (`spec/errors.md`): such a
/// 403 is never a certificate in use, whatever it is bound to.
const PERMISSION_CODES: [&str; 2] = ["APIG.1005", "APIG.1115"];

/// APIG's batch detach: "no valid domain name" — nothing of it is bound (any more).
const NOTHING_TO_DETACH: &str = "APIG.2000";

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
    /// A project without any gateway has no certificate to list: the list is empty. A gateway
    /// that cannot be listed fails the call (a clean-up must not miss certificates), but for one
    /// deleted since the gateways were listed.
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
            let deadline = self.deadline();
            let gateways = match filter.instance_id {
                Some(gateway) => vec![gateway.to_string()],
                None => self.gateways(options.project_id, deadline)?,
            };
            let mut seen = std::collections::HashSet::new();
            let mut all = Vec::new();
            for gateway in &gateways {
                let mut query = vec![("instance_id", gateway.clone())];
                query.extend(filter.name.map(|n| ("name", n.to_string())));
                query.extend(filter.common_name.map(|n| ("common_name", n.to_string())));
                let subject = format!("the certificates of gateway {}", crate::text::printable(gateway, 64));
                let listed = match self.pages(
                    "/apigw/certificates",
                    query,
                    &subject,
                    options.project_id,
                    deadline,
                    certificates::parse_certificates,
                ) {
                    Ok(listed) => listed,
                    // A gateway deleted since the gateways were listed has no certificate left;
                    // one the caller named is an error.
                    Err(e) if filter.instance_id.is_none() && e.error_code() == Some(GATEWAY_NOT_FOUND) => {
                        log::warn!(target: LOG_TARGET, "{subject}: the gateway is gone since the gateways were listed: {e}");
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
        self.watched(options.interrupt, options.stop, || self.gateways(options.project_id, self.deadline()))
    }

    fn gateways(&self, project_id: Option<&str>, deadline: Instant) -> Result<Vec<String>> {
        let gateways = self.pages(
            "/apigw/instances",
            Vec::new(),
            "the gateways",
            project_id,
            deadline,
            certificates::parse_gateways,
        )?;
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
        self.watched(options.interrupt, options.stop, || {
            self.domains(certificate_id, options.project_id, self.deadline())
        })
    }

    fn domains(&self, certificate_id: &str, project_id: Option<&str>, deadline: Instant) -> Result<Vec<BoundDomain>> {
        let path = format!("{CERTIFICATES}{certificate_id}/attached-domains");
        let subject = format!("the domains of certificate {certificate_id}");
        let domains = self.pages(&path, Vec::new(), &subject, project_id, deadline, certificates::parse_domains)?;
        Ok(certificates::fold_domains(domains))
    }

    /// Every page of a listing at `path`: `offset` and `limit` added to `query`, up to the total
    /// the server reports (without one, until a page is short). A page longer than asked, or one
    /// that repeats the page before it (a server that ignores `offset`), is an unusable answer.
    fn pages<T: PartialEq>(
        &self,
        path: &str,
        query: Vec<(&'static str, String)>,
        subject: &str,
        project_id: Option<&str>,
        deadline: Instant,
        parse: impl Fn(&[u8]) -> Result<Page<T>>,
    ) -> Result<Vec<T>> {
        let mut all: Vec<T> = Vec::new();
        let mut last_page_start = 0;
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
            let reply = self.exchange(&request, project_id, deadline)?;
            let unusable = |why: String| {
                let message = format!("{subject}: page {} (offset {offset}): {why}", page + 1);
                Error::new(ErrorKind::Protocol, message)
            };
            let Page { total, items } = parse(&reply.body).map_err(|e| unusable(e.message().to_string()))?;
            let got = items.len();
            if got > PAGE_SIZE as usize {
                return Err(unusable(format!("{got} entries where at most {PAGE_SIZE} were asked for")));
            }
            if got > 0 && page > 0 && all.len() - last_page_start == got && all[last_page_start..] == items[..] {
                return Err(unusable("the same entries as the page before (the server ignores offset)".into()));
            }
            last_page_start = all.len();
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
    /// the gateways it is bound on). When the detach is not known to have worked — APIG's "no
    /// valid domain name" (400 `APIG.2000`, also its generic parameter error), a concurrent
    /// write (500 `APIG.3500`), an answer lost after sending — the bindings are asked for again:
    /// nothing bound is success, anything else the detach's error.
    fn detach(
        &self,
        certificate_id: &str,
        domains: &[BoundDomain],
        project_id: Option<&str>,
        deadline: Instant,
    ) -> Result<()> {
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
            in_short(by_name.iter().map(|(n, _)| *n))
        );
        let error = match self.exchange(&request, project_id, deadline) {
            Ok(_) => return Ok(()),
            Err(e) => e,
        };
        let unsure = (error.http_status() == Some(400) && error.error_code() == Some(NOTHING_TO_DETACH))
            || (error.http_status() == Some(500) && error.error_code() == Some("APIG.3500"))
            || (error.http_status().is_none() && crate::retry::may_have_acted(&error));
        if unsure {
            if let Ok(left) = self.domains(certificate_id, project_id, deadline) {
                if left.is_empty() {
                    log::info!(target: LOG_TARGET, "certificate {certificate_id}: nothing is bound any more ({error})");
                    return Ok(());
                }
            }
        }
        let message = format!("detaching the domains of certificate {certificate_id}: {}", error.message());
        Err(error.with_message(message))
    }

    /// The delete of [`Client::delete_certificate_detailed`], within one deadline: with
    /// `detach_domains`, the bound domains are looked up and detached first; a refusal (403)
    /// is explained when the certificate turns out to be bound.
    pub(crate) fn delete_refused_or_detached(
        &self,
        certificate_id: &str,
        options: &DeleteOptions<'_>,
    ) -> Result<Deletion> {
        validate::id("certificate_id", certificate_id)?;
        let deadline = self.deadline();
        let mut detached = false;
        if options.detach_domains {
            match self.domains(certificate_id, options.project_id, deadline) {
                Ok(domains) if domains.is_empty() => {}
                Ok(domains) => {
                    self.detach(certificate_id, &domains, options.project_id, deadline)?;
                    detached = true;
                }
                // APIG does not know the certificate: the delete says so (missing_ok included).
                // A caller who may delete but not look bindings up gets the delete's own answer.
                Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::Forbidden) => {
                    log::debug!(target: LOG_TARGET, "certificate {certificate_id}: bindings not looked up: {e}");
                }
                Err(e) => {
                    let message = format!("looking up the domains to detach: {}", e.message());
                    return Err(e.with_message(message));
                }
            }
        }
        match self.delete(certificate_id, options, deadline) {
            Err(refusal) if refusal.kind() == ErrorKind::Forbidden && refusal.http_status() == Some(403) => {
                let error = self.explain_refusal(certificate_id, options.project_id, refusal, deadline);
                if detached {
                    let message = format!("{}; its domains were detached before the delete", error.message());
                    return Err(error.with_message(message));
                }
                Err(error)
            }
            other => other,
        }
    }

    /// APIG refused the delete (403): if the certificate is bound, the refusal becomes
    /// [`ErrorKind::InUse`] with the domain names. APIG's code for it is undocumented, so the
    /// bindings are asked for, whatever the code — but for the codes APIG documents as a lack of
    /// permission. When the question is refused too, fails, or finds nothing bound, the refusal
    /// stands as it was (a stop while asking is a stop).
    fn explain_refusal(
        &self,
        certificate_id: &str,
        project_id: Option<&str>,
        refusal: Error,
        deadline: Instant,
    ) -> Error {
        if refusal.error_code().is_some_and(|code| PERMISSION_CODES.contains(&code)) {
            return refusal;
        }
        log::debug!(target: LOG_TARGET, "APIG refused to delete certificate {certificate_id}: asking what it is bound to");
        match self.domains(certificate_id, project_id, deadline) {
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
            Err(e) if e.kind() == ErrorKind::Cancelled => e,
            Err(e) => {
                log::debug!(target: LOG_TARGET, "the bound domains of {certificate_id} could not be listed: {e}");
                refusal
            }
        }
    }
}

/// Names for a log line: the first few, printable, and how many more.
fn in_short<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let names: Vec<&str> = names.collect();
    let mut shown: Vec<String> = names.iter().take(10).map(|n| crate::text::printable(n, 100)).collect();
    if names.len() > 10 {
        shown.push(format!("and {} more", names.len() - 10));
    }
    shown.join(", ")
}
