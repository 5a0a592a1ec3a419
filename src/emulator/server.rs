//! The emulator's HTTP side: the APIG delete call, faults, and the control API.

use super::body::EmuBody;
use super::conn::Conn;
use super::rules::{Action, Rule};
use super::state::{Decision, RecordedRequest, State, TokenCheck};
use crate::signing;
use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::header::HeaderValue;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::net::TcpListener;

/// Signatures dated further than this from the emulator's clock are refused (as APIG does).
pub const MAX_CLOCK_SKEW_SECS: i64 = 15 * 60;

pub struct ServerOptions {
    pub idle_close: Option<Duration>,
    pub tls: Option<tokio_rustls::TlsAcceptor>,
}

/// Why a request ends without an answer (hyper then drops the connection).
#[derive(Debug)]
pub(super) struct Abort;
impl std::fmt::Display for Abort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped on purpose")
    }
}
impl std::error::Error for Abort {}

pub(super) type Answer = Result<Response<EmuBody>, Abort>;

pub async fn accept_loop(listener: TcpListener, state: Arc<State>, options: Arc<ServerOptions>) {
    let connections = Arc::new(AtomicU64::new(1));
    loop {
        let Ok((stream, _)) = listener.accept().await else { continue };
        let _ = stream.set_nodelay(true);
        let id = connections.fetch_add(1, Ordering::Relaxed);
        let state = state.clone();
        let options = options.clone();
        tokio::spawn(async move {
            let (conn, reset) = Conn::new(stream, options.idle_close);
            match &options.tls {
                Some(acceptor) => {
                    if let Ok(tls) = acceptor.accept(conn).await {
                        let resumed =
                            tls.get_ref().1.handshake_kind() == Some(tokio_rustls::rustls::HandshakeKind::Resumed);
                        let counters = &state.counters;
                        let counter =
                            if resumed { &counters.tls_resumed_handshakes } else { &counters.tls_full_handshakes };
                        counter.fetch_add(1, Ordering::Relaxed);
                        serve(TokioIo::new(tls), state, reset, id).await;
                    }
                }
                None => serve(TokioIo::new(conn), state, reset, id).await,
            }
        });
    }
}

async fn serve<IO>(io: IO, state: Arc<State>, reset: Arc<AtomicBool>, connection: u64)
where
    IO: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let service = service_fn(move |req| {
        let state = state.clone();
        let reset = reset.clone();
        async move { handle(req, state, reset, connection).await }
    });
    let _ = http1::Builder::new().keep_alive(true).serve_connection(io, service).with_upgrades().await;
}

/// `CONNECT`: the emulator doubles as an HTTP proxy that tunnels to itself, so tests can
/// check what a client sends to its proxy (`Proxy-Authorization`) and through it.
fn tunnel(req: Request<Incoming>, state: Arc<State>, mut record: RecordedRequest) -> Answer {
    record.path = req.uri().to_string();
    record.outcome = "connect".into();
    let request_id = record.request_id.clone();
    let inner_state = state.clone();
    let connection = record.connection;
    tokio::spawn(async move {
        if let Ok(upgraded) = hyper::upgrade::on(req).await {
            let serve: std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> =
                Box::pin(serve(upgraded, inner_state, Arc::new(AtomicBool::new(false)), connection));
            serve.await;
        }
    });
    finish(&state, record, empty(200, &request_id, &state))
}

async fn handle(req: Request<Incoming>, state: Arc<State>, reset: Arc<AtomicBool>, connection: u64) -> Answer {
    if req.uri().path().starts_with("/_emulator/") {
        return Ok(control(req, &state).await);
    }
    let seq = state.next_seq();
    let request_id = format!("emu-{seq:08}-{:08x}", connection.wrapping_mul(0x9e37_79b9) as u32);
    if let Some(rule) = state.take_path_rule(req.uri().path()) {
        // A rule by path: any service misbehaves (an identity service's 404 or 403, a stall…).
        let record = RecordedRequest {
            seq,
            connection,
            method: req.method().to_string(),
            path: req.uri().path().to_string(),
            project_id: None,
            certificate_id: None,
            auth: auth_kind(&req),
            headers: recorded_headers(&req),
            status: 0,
            outcome: String::new(),
            request_id: request_id.clone(),
        };
        if let Some(answer) = apply_rule(&state, record, &rule, &request_id, &reset).await {
            return answer;
        }
    }
    if super::identity::is_identity_path(req.uri().path()) {
        return Ok(super::identity::handle(req, &state, seq, connection, &request_id).await);
    }
    state.counters.apig_requests.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = req.uri().path().to_string();
    let segments: Vec<&str> = path.split('/').collect();
    let ids = match segments.as_slice() {
        ["", "v2", project, "apigw", "certificates", cert] if !project.is_empty() && !cert.is_empty() => {
            Some((project.to_string(), cert.to_string()))
        }
        _ => None,
    };
    let mut record = RecordedRequest {
        seq,
        connection,
        method: req.method().to_string(),
        path: path.clone(),
        project_id: ids.as_ref().map(|i| i.0.clone()),
        certificate_id: ids.as_ref().map(|i| i.1.clone()),
        auth: auth_kind(&req),
        headers: recorded_headers(&req),
        status: 0,
        outcome: String::new(),
        request_id: request_id.clone(),
    };
    if req.method() == Method::CONNECT {
        return tunnel(req, state, record);
    }
    if let Some(route) = super::lifecycle::route(req.method(), &segments) {
        return super::lifecycle::handle(req, &state, route, record, &reset).await;
    }
    let Some((project, cert)) = ids else {
        return finish(
            &state,
            record,
            apig_error(
                404,
                "APIG.0101",
                "The API does not exist or has not been published in an environment",
                &request_id,
                &state,
            ),
        );
    };
    if req.method() != Method::DELETE {
        return finish(&state, record, apig_error(405, "APIG.0106", "Method not allowed", &request_id, &state));
    }
    if let Some(rule) = state.take_rule(&project, &cert) {
        if let Some(answer) = apply_rule(&state, record.clone(), &rule, &request_id, &reset).await {
            return answer;
        }
    }
    if let Err(answer) = authenticate(&req, &state, &project, &request_id, signing::EMPTY_BODY_SHA256) {
        record.outcome = "unauthorized".into();
        return finish(&state, record, answer);
    }
    let answer = match state.delete(&project, &cert) {
        Decision::Deleted => {
            record.outcome = "deleted".into();
            empty(204, &request_id, &state)
        }
        Decision::NotFound => {
            record.outcome = "not_found".into();
            apig_error(404, "APIG.3021", &format!("The SSL certificate {cert} does not exist"), &request_id, &state)
        }
        Decision::Bound(domains) => {
            record.outcome = "bound".into();
            let msg = format!(
                "The SSL certificate {cert} is bound to domain names ({}) and cannot be deleted",
                domains.join(", ")
            );
            apig_error(403, super::state::BOUND_ERROR_CODE, &msg, &request_id, &state)
        }
    };
    finish(&state, record, answer)
}

pub(super) fn finish(state: &State, mut record: RecordedRequest, answer: Response<EmuBody>) -> Answer {
    record.status = answer.status().as_u16();
    if record.outcome.is_empty() {
        record.outcome = "answered".into();
    }
    state.record(record);
    Ok(answer)
}

/// What a matching rule makes of a request: an answer, or None for `pass` (answer normally).
pub(super) async fn apply_rule(
    state: &State,
    mut record: RecordedRequest,
    rule: &Rule,
    request_id: &str,
    reset: &AtomicBool,
) -> Option<Answer> {
    if rule.action == Action::Stall {
        // Logged now: a stalled request may never end while the test looks.
        record.outcome = "fault:stall".into();
        state.record(record);
        tokio::time::sleep(rule.delay).await;
        return Some(Err(Abort));
    }
    if !rule.delay.is_zero() {
        tokio::time::sleep(rule.delay).await;
    }
    (rule.action != Action::Pass).then(|| fault(state, record, rule, request_id, reset))
}

fn fault(state: &State, mut record: RecordedRequest, rule: &Rule, request_id: &str, reset: &AtomicBool) -> Answer {
    record.outcome = format!("fault:{:?}", rule.action).to_ascii_lowercase();
    match rule.action {
        Action::Reset | Action::Close | Action::Stall => {
            // (Stall is handled before the delay, in `handle`.)
            reset.store(rule.action == Action::Reset, Ordering::Relaxed);
            state.record(record);
            Err(Abort)
        }
        Action::Respond | Action::Pass => {
            let mut answer = response(rule.status, EmuBody::full(rule.body.clone()), request_id, state);
            add_headers(&mut answer, &rule.headers);
            finish(state, record, answer)
        }
        Action::Redirect => {
            let mut answer = response(rule.status, EmuBody::full(rule.body.clone()), request_id, state);
            add_headers(&mut answer, &[("Location".into(), rule.location.clone())]);
            add_headers(&mut answer, &rule.headers);
            finish(state, record, answer)
        }
        Action::Drip => {
            let body = if rule.body.is_empty() { vec![b'x'; 1024] } else { rule.body.clone() };
            let mut answer = response(rule.status, EmuBody::drip(body, rule.drip), request_id, state);
            add_headers(&mut answer, &rule.headers);
            finish(state, record, answer)
        }
        Action::Huge => {
            let mut answer = response(rule.status, EmuBody::huge(rule.body_bytes), request_id, state);
            add_headers(&mut answer, &rule.headers);
            finish(state, record, answer)
        }
    }
}

fn add_headers(answer: &mut Response<EmuBody>, headers: &[(String, String)]) {
    for (name, value) in headers {
        if let (Ok(n), Ok(v)) =
            (hyper::header::HeaderName::try_from(name.as_str()), HeaderValue::try_from(value.as_str()))
        {
            answer.headers_mut().insert(n, v);
        }
    }
}

/// Checks the token or the AK/SK signature; the error answer is what APIG would say.
// The refusal is the answer itself, built once per refused request of a test server: boxing it
// would buy nothing.
#[allow(clippy::result_large_err)]
pub(super) fn authenticate<B>(
    req: &Request<B>,
    state: &State,
    project: &str,
    request_id: &str,
    body_sha256: &str,
) -> Result<(), Response<EmuBody>> {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    if let Some(token) = header("x-auth-token") {
        return match state.token_check(token, project) {
            TokenCheck::Valid => Ok(()),
            TokenCheck::OtherProject => Err(apig_error(
                403,
                "APIG.1005",
                "No permissions to request this method (the token is for another project)",
                request_id,
                state,
            )),
            TokenCheck::Expired => Err(apig_error(
                401,
                "APIG.1002",
                "Incorrect token or token resolution failed (the token expired)",
                request_id,
                state,
            )),
            TokenCheck::Unknown => {
                Err(apig_error(401, "APIG.1002", "Incorrect token or token resolution failed", request_id, state))
            }
        };
    }
    if header("authorization").is_none() {
        return Err(apig_error(401, "APIG.1000", "Token is missing", request_id, state));
    }
    if let Err(why) = check_signature_of(req, state, body_sha256) {
        return Err(apig_error(
            401,
            "APIGW.0301",
            &format!("Incorrect IAM authentication information: {why}"),
            request_id,
            state,
        ));
    }
    if let Some(p) = header("x-project-id") {
        if p != project {
            return Err(apig_error(
                403,
                "APIG.1005",
                "No permissions to request this method (project mismatch)",
                request_id,
                state,
            ));
        }
    }
    Ok(())
}

/// Verifies an `SDK-HMAC-SHA256` signature (APIG's and IAM's): the key is known and, for
/// temporary keys, unexpired and sent with its security token; the date is within the
/// allowed skew; the signature matches. The error says why, never a secret.
pub(super) fn check_signature(req: &Request<Incoming>, state: &State) -> Result<(), &'static str> {
    check_signature_of(req, state, signing::EMPTY_BODY_SHA256)
}

/// As [`check_signature`], for a request whose body has this SHA-256 (hex).
pub(super) fn check_signature_of<B>(req: &Request<B>, state: &State, body_sha256: &str) -> Result<(), &'static str> {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    let authorization = header("authorization").ok_or("the Authorization header is missing")?;
    let parsed = signing::parse_authorization(authorization).ok_or("unsupported authorization header")?;
    let key = state.secret_key(parsed.access).ok_or("unknown access key")?;
    if !parsed.signed_headers.contains(&"host") || !parsed.signed_headers.contains(&"x-sdk-date") {
        return Err("host and x-sdk-date must be signed");
    }
    if header("x-security-token").is_some() && !parsed.signed_headers.contains(&"x-security-token") {
        return Err("x-security-token must be signed");
    }
    if let Some(expected) = &key.security_token {
        if header("x-security-token") != Some(expected.as_str()) {
            return Err("the security token does not belong to this access key");
        }
        if key.expires_at.is_some_and(|t| state.now_unix_f64() >= t) {
            state.counters.expired_uses.fetch_add(1, Ordering::Relaxed);
            return Err("the temporary credentials expired");
        }
    }
    let date = header("x-sdk-date").ok_or("x-sdk-date is missing")?;
    let signed_at = signing::parse_sdk_date(date).ok_or("x-sdk-date is malformed")?;
    if (signed_at - state.now_unix()).abs() > MAX_CLOCK_SKEW_SECS {
        return Err("signature expired (check the clock)");
    }
    let mut headers: Vec<(&str, &str)> = Vec::new();
    for name in &parsed.signed_headers {
        headers.push((name, header(name).ok_or("a signed header is missing")?));
    }
    let query: Vec<(String, String)> = req
        .uri()
        .query()
        .map(|q| q.split('&').filter(|p| !p.is_empty()).map(split_query_pair).collect())
        .unwrap_or_default();
    let query_refs: Vec<(&str, &str)> = query.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let input = signing::SigningInput {
        method: req.method().as_str(),
        path: req.uri().path(),
        query: &query_refs,
        headers: &headers,
        body_sha256,
    };
    let expected = signing::signature(&key.sk, &signing::string_to_sign(&signing::canonical_request(&input), date));
    if expected != parsed.signature {
        return Err("verify aksk signature fail");
    }
    Ok(())
}

pub(super) fn split_query_pair(pair: &str) -> (String, String) {
    let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
    (decode(k), decode(v))
}

/// Form-style decoding of a query component: `+` is a space, then `%XX` escapes.
fn decode(s: &str) -> String {
    String::from_utf8_lossy(&signing::percent_decode(&s.replace('+', " "))).into_owned()
}

pub(super) fn auth_kind<B>(req: &Request<B>) -> &'static str {
    if req.headers().contains_key("x-auth-token") {
        "token"
    } else if req.headers().contains_key("authorization") {
        "aksk"
    } else {
        "none"
    }
}

/// The headers as received, with secret values replaced.
pub(super) fn recorded_headers<B>(req: &Request<B>) -> Vec<(String, String)> {
    req.headers()
        .iter()
        .map(|(name, value)| {
            let value = match name.as_str() {
                "x-auth-token" | "x-security-token" | "x-metadata-token" => "<redacted>".to_string(),
                // Pod identity's Authorization is a bearer secret; AK/SK's is a signature.
                "authorization" if !value.as_bytes().starts_with(signing::ALGORITHM.as_bytes()) => {
                    "<redacted>".to_string()
                }
                _ => String::from_utf8_lossy(value.as_bytes()).into_owned(),
            };
            (name.as_str().to_string(), value)
        })
        .collect()
}

pub(super) fn response(status: u16, body: EmuBody, request_id: &str, state: &State) -> Response<EmuBody> {
    let mut answer = Response::new(body);
    *answer.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    let headers = answer.headers_mut();
    if let Ok(v) = HeaderValue::try_from(request_id) {
        headers.insert("x-request-id", v);
    }
    // The emulator's own clock (which tests may set off), as a gateway's Date would be.
    let now = UNIX_EPOCH + Duration::from_secs(state.now_unix().max(0) as u64);
    if let Ok(v) = HeaderValue::try_from(httpdate::fmt_http_date(now)) {
        headers.insert("date", v);
    }
    answer
}

pub(super) fn empty(status: u16, request_id: &str, state: &State) -> Response<EmuBody> {
    response(status, EmuBody::empty(), request_id, state)
}

pub(super) fn apig_error(status: u16, code: &str, msg: &str, request_id: &str, state: &State) -> Response<EmuBody> {
    let body = json!({"error_code": code, "error_msg": msg, "request_id": request_id}).to_string();
    let mut answer = response(status, EmuBody::full(body), request_id, state);
    answer.headers_mut().insert("content-type", HeaderValue::from_static("application/json"));
    answer
}

fn json_answer(status: u16, value: Value) -> Response<EmuBody> {
    let mut answer = Response::new(EmuBody::full(value.to_string()));
    *answer.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::OK);
    answer.headers_mut().insert("content-type", HeaderValue::from_static("application/json"));
    answer
}

/// The control API (`/_emulator/…`): seed certificates, credentials, rules; read the log.
async fn control(req: Request<Incoming>, state: &State) -> Response<EmuBody> {
    let method = req.method().clone();
    let path = req.uri().path().trim_end_matches('/').to_string();
    let body = match http_body_util::Limited::new(req.into_body(), 1 << 20).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return json_answer(413, json!({"error": "control body over 1 MiB"})),
    };
    match control_action(&method, &path, &body, state) {
        Ok(value) => json_answer(200, value),
        Err((status, msg)) => json_answer(status, json!({ "error": msg })),
    }
}

pub(crate) fn control_action(method: &Method, path: &str, body: &Bytes, state: &State) -> Result<Value, (u16, String)> {
    let parse = || -> Result<Value, (u16, String)> {
        if body.is_empty() {
            return Ok(json!({}));
        }
        serde_json::from_slice(body).map_err(|e| (400, format!("body is not JSON: {e}")))
    };
    let segments: Vec<&str> = path.trim_start_matches("/_emulator/").split('/').collect();
    if let Some(result) = super::identity::control(state, method, &segments, &parse()?) {
        return result;
    }
    match (method, segments.as_slice()) {
        (&Method::GET, ["requests"]) => Ok(Value::Array(state.requests().iter().map(|r| r.to_json()).collect())),
        (&Method::DELETE, ["requests"]) => {
            state.clear_requests();
            Ok(json!({}))
        }
        (&Method::GET, ["projects", project, "certificates"]) => Ok(json!(state.certificates(project))),
        (&Method::PUT, ["projects", project, "certificates", cert]) => {
            let (meta, bindings) = super::seed::certificate(cert, &parse()?).map_err(|e| (400, e))?;
            state.put_certificate(project, cert, meta, bindings);
            Ok(json!({}))
        }
        (&Method::GET, ["projects", project, "certificates", cert, "bindings"]) => {
            match state.certificate(project, cert) {
                None => Err((404, format!("no certificate {cert} in project {project}"))),
                Some(c) => Ok(Value::Array(
                    c.bindings
                        .iter()
                        .map(|b| {
                            json!({"domain": b.domain, "domain_id": b.domain_id, "instance_id": b.instance_id,
                                   "group_id": b.group_id, "group_name": b.group_name})
                        })
                        .collect(),
                )),
            }
        }
        (&Method::GET, ["projects", project, "gateways"]) => Ok(json!(state.gateways(project))),
        (&Method::PUT, ["projects", project, "gateways", gateway]) => {
            state.add_gateway(project, gateway);
            Ok(json!({}))
        }
        (&Method::GET, ["rules"]) => Ok(Value::Array(state.rules().iter().map(Rule::to_json).collect())),
        (&Method::POST, ["rules"]) => {
            let value = parse()?;
            let items = match value {
                Value::Array(items) => items,
                single => vec![single],
            };
            let rules: Result<Vec<Rule>, String> = items.iter().map(Rule::from_json).collect();
            for rule in rules.map_err(|e| (400, e))? {
                state.push_rule(rule);
            }
            Ok(json!({}))
        }
        (&Method::DELETE, ["rules"]) => {
            state.clear_rules();
            Ok(json!({}))
        }
        (&Method::POST, ["tokens"]) => match parse()?.get("token").and_then(Value::as_str) {
            Some(token) => {
                state.add_token(token);
                Ok(json!({}))
            }
            None => Err((400, "give {\"token\": \"...\"}".into())),
        },
        (&Method::POST, ["keys"]) => {
            let value = parse()?;
            match (value.get("ak").and_then(Value::as_str), value.get("sk").and_then(Value::as_str)) {
                (Some(ak), Some(sk)) => {
                    state.add_key(ak, sk);
                    Ok(json!({}))
                }
                _ => Err((400, "give {\"ak\": \"...\", \"sk\": \"...\"}".into())),
            }
        }
        (&Method::PUT, ["clock"]) => match parse()?.get("offset_s").and_then(Value::as_i64) {
            Some(offset) => {
                state.set_clock_offset(offset);
                Ok(json!({}))
            }
            None => Err((400, "give {\"offset_s\": seconds}".into())),
        },
        _ => Err((404, format!("no control endpoint {method} {path}"))),
    }
}

pub fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}
