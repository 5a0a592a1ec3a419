//! The emulator's HTTP side: connections, routing, the APIG delete call, and the control API
//! (what every call answers with and checks is in `reply.rs`).

use super::body::EmuBody;
use super::conn::Conn;
use super::reply::{
    Answer, apig_error, apply_rule, auth_kind, authenticate, certificate_not_found, empty, finish, recorded_headers,
};
use super::rules::Rule;
use super::state::{Decision, RecordedRequest, State};
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
use std::time::Duration;
use tokio::net::TcpListener;

pub struct ServerOptions {
    pub idle_close: Option<Duration>,
    pub tls: Option<tokio_rustls::TlsAcceptor>,
}

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
            query: req.uri().query().unwrap_or_default().to_string(),
            body: String::new(),
            at_ms: state.uptime_ms(),
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
        query: String::new(),
        body: String::new(),
        at_ms: state.uptime_ms(),
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
    if let Err(retry_after) = state.admit() {
        record.outcome = "throttled".into();
        return finish(&state, record, super::reply::throttled(retry_after, &request_id, &state));
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
            certificate_not_found(&cert, &request_id, &state)
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
        (&Method::PUT, ["throttle"]) => {
            let throttle = super::throttle::Throttle::from_json(&parse()?).map_err(|e| (400, e))?;
            let shown = throttle.to_json();
            state.set_throttle(Some(throttle));
            Ok(shown)
        }
        (&Method::DELETE, ["throttle"]) => {
            state.set_throttle(None);
            Ok(json!({}))
        }
        (&Method::GET, ["throttle"]) => Ok(state.throttle().map_or(Value::Null, |t| t.to_json())),
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
