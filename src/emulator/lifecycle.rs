//! The calls around the delete, as APIG answers them (its API reference, the official SDK): the
//! project's gateways, the certificate listing (its mandatory `instance_id`, pages of at most
//! 500, the global certificates in every gateway's listing), a certificate's bound domains, and
//! the certificate-side batch detach with its `APIG.2000` for "nothing of it is bound".

use super::body::EmuBody;
use super::reply::{
    Abort, Answer, apig_error, apply_rule, authenticate, certificate_not_found, empty, finish, json_reply,
    split_query_pair,
};
use super::state::{Cert, RecordedRequest, State};
use crate::signing;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::{Method, Request};
use serde_json::{Value, json};
use std::sync::atomic::AtomicBool;

/// The largest page APIG serves.
const MAX_LIMIT: u64 = 500;
/// The page APIG serves when none is asked for.
const DEFAULT_LIMIT: u64 = 20;

/// A call of this module, with the ids of its path.
pub(super) enum Route {
    Gateways { project: String },
    Certificates { project: String },
    Domains { project: String, certificate: String },
    Detach { project: String, certificate: String },
}

/// The call `segments` (the path split at `/`) names, if it is one of ours.
pub(super) fn route(method: &Method, segments: &[&str]) -> Option<Route> {
    let p = |s: &str| (!s.is_empty()).then(|| s.to_string());
    match (method, segments) {
        (&Method::GET, ["", "v2", project, "apigw", "instances"]) => Some(Route::Gateways { project: p(project)? }),
        (&Method::GET, ["", "v2", project, "apigw", "certificates"]) => {
            Some(Route::Certificates { project: p(project)? })
        }
        (&Method::GET, ["", "v2", project, "apigw", "certificates", cert, "attached-domains"]) => {
            Some(Route::Domains { project: p(project)?, certificate: p(cert)? })
        }
        (&Method::POST, ["", "v2", project, "apigw", "certificates", cert, "domains", "detach"]) => {
            Some(Route::Detach { project: p(project)?, certificate: p(cert)? })
        }
        _ => None,
    }
}

/// Answers one call of this module: the fault rules first, then authentication (a detach's
/// signature covers its body), then the call.
pub(super) async fn handle(
    req: Request<Incoming>,
    state: &State,
    route: Route,
    mut record: RecordedRequest,
    reset: &AtomicBool,
) -> Answer {
    let request_id = record.request_id.clone();
    let (project, certificate) = match &route {
        Route::Gateways { project } | Route::Certificates { project } => (project.clone(), None),
        Route::Domains { project, certificate } | Route::Detach { project, certificate } => {
            (project.clone(), Some(certificate.clone()))
        }
    };
    record.project_id = Some(project.clone());
    record.certificate_id = certificate.clone();
    record.query = req.uri().query().unwrap_or_default().to_string();
    if let Some(rule) = state.take_rule(&project, certificate.as_deref().unwrap_or("")) {
        if let Some(answer) = apply_rule(state, record.clone(), &rule, &request_id, reset).await {
            return answer;
        }
    }
    if let Err(retry_after) = state.admit() {
        record.outcome = "throttled".into();
        return finish(state, record, super::reply::throttled(retry_after, &request_id, state));
    }
    let query = query_pairs(req.uri().query());
    let (parts, body) = req.into_parts();
    let Ok(body) = http_body_util::Limited::new(body, 1 << 20).collect().await else {
        return Err(Abort);
    };
    let body = body.to_bytes();
    record.body = String::from_utf8_lossy(&body).into_owned();
    let head = Request::from_parts(parts, ());
    if let Err(answer) = authenticate(&head, state, &project, &request_id, &signing::sha256_hex(&body)) {
        record.outcome = "unauthorized".into();
        return finish(state, record, answer);
    }
    let page = match page(&query) {
        Ok(page) => page,
        Err(msg) => return finish(state, record, apig_error(400, "APIG.2012", &msg, &request_id, state)),
    };
    let (outcome, answer) = match route {
        Route::Gateways { project } => {
            let gateways = state.gateways(&project);
            let shown: Vec<Value> = window(&gateways, page)
                .iter()
                .map(|id| {
                    json!({"id": id, "instance_name": format!("gateway-{id}"), "status": "Running",
                           "type": "apig", "spec": "BASIC", "project_id": project})
                })
                .collect();
            (
                "listed",
                json_reply(
                    200,
                    json!({"total": gateways.len(), "size": shown.len(), "instances": shown}),
                    &request_id,
                    state,
                ),
            )
        }
        Route::Certificates { project } => list_certificates(state, &project, &query, page, &request_id),
        Route::Domains { project, certificate } => match state.certificate(&project, &certificate) {
            None => ("not_found", certificate_not_found(&certificate, &request_id, state)),
            Some(cert) => {
                let wanted = lookup(&query, "url_domain");
                let bound: Vec<_> = cert.bindings.iter().filter(|b| wanted.is_none_or(|w| w == b.domain)).collect();
                let shown: Vec<Value> = window(&bound, page)
                    .iter()
                    .map(|b| {
                        json!({"url_domain": b.domain, "id": b.domain_id, "status": 3, "instance_id": b.instance_id,
                               "api_group_id": b.group_id, "api_group_name": b.group_name,
                               "min_ssl_version": "TLSv1.2", "ssl_id": "", "ssl_name": ""})
                    })
                    .collect();
                let body = json!({"total": bound.len(), "size": shown.len(), "bound_domains": shown});
                ("listed", json_reply(200, body, &request_id, state))
            }
        },
        Route::Detach { project, certificate } => detach(state, &project, &certificate, &body, &request_id),
    };
    record.outcome = outcome.into();
    finish(state, record, answer)
}

/// `GET …/certificates`: one gateway's certificates and the global ones, filtered, by id.
fn list_certificates(
    state: &State,
    project: &str,
    query: &[(String, String)],
    page: Page,
    request_id: &str,
) -> (&'static str, hyper::Response<EmuBody>) {
    let Some(gateway) = lookup(query, "instance_id") else {
        let msg = "The request parameters must be specified, parameterName:instance_id";
        return ("bad_request", apig_error(400, "APIG.2001", msg, request_id, state));
    };
    if !state.gateways(project).iter().any(|g| g == gateway) {
        let msg = format!("The instance does not exist;id:{gateway}");
        return ("not_found", apig_error(404, "APIG.3030", &msg, request_id, state));
    }
    let matches = |cert: &Cert| {
        lookup(query, "name").is_none_or(|n| cert.meta.name.contains(n))
            && lookup(query, "common_name").is_none_or(|n| cert.meta.common_name == n)
            && lookup(query, "signature_algorithm").is_none_or(|a| cert.meta.signature_algorithm == a)
            && lookup(query, "type")
                .is_none_or(|t| t == if cert.meta.instance_id.is_some() { "instance" } else { "global" })
    };
    let listed: Vec<(String, Cert)> = state.listed(project, gateway).into_iter().filter(|(_, c)| matches(c)).collect();
    let shown: Vec<Value> = window(&listed, page).iter().map(|(id, c)| cert_json(project, id, c)).collect();
    ("listed", json_reply(200, json!({"total": listed.len(), "size": shown.len(), "certs": shown}), request_id, state))
}

/// A certificate as the listing shows it.
fn cert_json(project: &str, id: &str, cert: &Cert) -> Value {
    let m = &cert.meta;
    let mut value = json!({
        "id": id, "name": m.name, "project_id": project,
        "type": if m.instance_id.is_some() { "instance" } else { "global" },
        "instance_id": m.instance_id.as_deref().unwrap_or("common"),
        "common_name": m.common_name, "san": m.san, "not_after": m.not_after,
        "signature_algorithm": m.signature_algorithm, "is_has_trusted_root_ca": false,
        "create_time": "2025-08-26T07:27:06.304004Z", "update_time": "2025-08-26T07:27:06.304004Z",
    });
    if let Some(algorithm) = &m.algorithm_type {
        value["algorithm_type"] = json!(algorithm);
    }
    value
}

/// `POST …/domains/detach`: every listed domain detached (from the gateways named, when named);
/// 400 `APIG.2000` when none of them was bound.
fn detach(
    state: &State,
    project: &str,
    certificate: &str,
    body: &[u8],
    request_id: &str,
) -> (&'static str, hyper::Response<EmuBody>) {
    let bad = |msg: &str| ("bad_request", apig_error(400, "APIG.2012", msg, request_id, state));
    let Ok(value) = serde_json::from_slice::<Value>(body) else { return bad("The request body is not JSON") };
    let Some(domains) = value.get("domains").and_then(Value::as_array).filter(|d| !d.is_empty()) else {
        return bad("Invalid parameter value,parameterName:domains");
    };
    let mut wanted = Vec::new();
    for entry in domains {
        let Some(domain) = entry.get("domain").and_then(Value::as_str) else {
            return bad("Invalid parameter value,parameterName:domain");
        };
        let instance_ids: Option<Vec<String>> = entry
            .get("instance_ids")
            .and_then(Value::as_array)
            .map(|ids| ids.iter().filter_map(|i| i.as_str().map(str::to_string)).collect());
        wanted.push((domain.to_string(), instance_ids));
    }
    if state.certificate(project, certificate).is_none() {
        return ("not_found", certificate_not_found(certificate, request_id, state));
    }
    let mut detached = 0;
    for (domain, instance_ids) in &wanted {
        detached += state.detach(project, certificate, domain, instance_ids.as_deref()).unwrap_or(0);
    }
    if detached == 0 {
        let msg = "There is no valid domain name";
        return ("nothing_bound", apig_error(400, "APIG.2000", msg, request_id, state));
    }
    ("detached", empty(204, request_id, state))
}

/// `offset` and `limit` as asked (limit 1–500, default 20).
#[derive(Clone, Copy)]
struct Page {
    offset: u64,
    limit: u64,
}

/// The page `query` asks for, or why it is not one (APIG's 400 `APIG.2012` message).
fn page(query: &[(String, String)]) -> Result<Page, String> {
    let number = |name: &str, default: u64, range: std::ops::RangeInclusive<u64>| match lookup(query, name) {
        None => Ok(default),
        Some(v) => v
            .parse::<u64>()
            .ok()
            .filter(|n| range.contains(n))
            .ok_or_else(|| format!("Invalid parameter value,parameterName:{name}")),
    };
    Ok(Page {
        offset: number("offset", 0, 0..=u64::from(u32::MAX))?,
        limit: number("limit", DEFAULT_LIMIT, 1..=MAX_LIMIT)?,
    })
}

/// The items of one page.
fn window<T>(items: &[T], page: Page) -> &[T] {
    let start = (page.offset as usize).min(items.len());
    let end = start.saturating_add(page.limit as usize).min(items.len());
    &items[start..end]
}

fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    query.unwrap_or_default().split('&').filter(|p| !p.is_empty()).map(split_query_pair).collect()
}

fn lookup<'a>(query: &'a [(String, String)], name: &str) -> Option<&'a str> {
    query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}
