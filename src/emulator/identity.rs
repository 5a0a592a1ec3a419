//! The emulator's identity services, on the same port as its APIG side: IAM (project
//! listing, password tokens, federated identity: ID token → token → temporary keys), the ECS
//! metadata service (session tokens, the agency's
//! temporary keys) and CCE pod identity. What they issue, the APIG side accepts until it
//! expires. Wire formats as the official SDKs send and read them.

use super::body::EmuBody;
use super::reply::{check_signature, json_reply, recorded_headers, response, split_query_pair};
use super::state::{Key, RecordedRequest, State};
use crate::auth::wire::format_timestamp;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::header::HeaderValue;
use hyper::{Method, Request, Response};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, UNIX_EPOCH};

/// The region whose project IAM knows unless told otherwise...
pub const DEFAULT_REGION: &str = "cn-north-4";
/// ...and that project's id.
pub const DEFAULT_PROJECT_ID: &str = "0123456789abcdef0123456789abcdef";
/// The IAM user IAM knows unless told otherwise: the account (domain) name...
pub const DEFAULT_DOMAIN: &str = "emulator-domain";
/// ...the user name...
pub const DEFAULT_USER: &str = "emulator-user";
/// ...and the password.
pub const DEFAULT_PASSWORD: &str = "emulator-password";
/// What pod identity expects in `Authorization` unless told otherwise.
pub const DEFAULT_POD_TOKEN: &str = "emulator-pod-token";
/// Where pod identity answers (give `{url}{POD_PATH}` as `HC_CONTAINER_CREDENTIALS_FULL_URI`).
pub const POD_PATH: &str = "/pod-identity/v1/credentials";
/// IAM's exchange of an ID token (header `X-Idp-Id`) for an unscoped token...
pub const ID_TOKEN_PATH: &str = "/v3.0/OS-AUTH/id-token/tokens";
/// ...and of a token for temporary keys.
pub const SECURITY_TOKENS_PATH: &str = "/v3.0/OS-CREDENTIAL/securitytokens";
const NO_AGENCY: &str = "Please configure Cloud Service Agency first";

/// How the metadata service behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetadataMode {
    /// Session tokens required (`PUT …/api/token`), as current services do.
    Normal,
    /// An older service: the token call answers 404, the key is given without one.
    OldService,
    /// The instance has no agency: the key call says "Please configure Cloud Service Agency first".
    NoAgency,
}

impl MetadataMode {
    /// `normal`, `old` (or `old-service`), `no-agency` (or `no_agency`).
    pub fn parse(text: &str) -> Option<MetadataMode> {
        match text {
            "normal" => Some(MetadataMode::Normal),
            "old" | "old-service" => Some(MetadataMode::OldService),
            "no-agency" | "no_agency" => Some(MetadataMode::NoAgency),
            _ => None,
        }
    }
}

pub struct IdentityStore {
    /// (name, id) of the projects IAM lists.
    pub projects: Vec<(String, String)>,
    /// (domain, user, password) IAM accepts.
    pub users: Vec<(String, String, String)>,
    pub token_lifetime: Duration,
    /// Lifetime of the temporary keys of the metadata service and pod identity.
    pub credential_lifetime: Duration,
    pub metadata_mode: MetadataMode,
    pub sessions: Vec<String>,
    pub pod_token: String,
    /// The identity providers IAM knows: (IdP id, the ID token it accepts now).
    pub idps: Vec<(String, String)>,
    /// The tokens issued for ID tokens, (token, expires at): they buy temporary keys.
    pub federated_tokens: Vec<(String, f64)>,
}

impl Default for IdentityStore {
    fn default() -> Self {
        IdentityStore {
            projects: vec![(DEFAULT_REGION.into(), DEFAULT_PROJECT_ID.into())],
            users: vec![(DEFAULT_DOMAIN.into(), DEFAULT_USER.into(), DEFAULT_PASSWORD.into())],
            token_lifetime: Duration::from_secs(86_400),
            credential_lifetime: Duration::from_secs(3600),
            metadata_mode: MetadataMode::Normal,
            sessions: Vec::new(),
            pod_token: DEFAULT_POD_TOKEN.into(),
            idps: Vec::new(),
            federated_tokens: Vec::new(),
        }
    }
}

pub fn is_identity_path(path: &str) -> bool {
    matches!(
        path,
        "/v3/projects"
            | "/v3/auth/tokens"
            | "/meta-data/latest/api/token"
            | "/openstack/latest/securitykey"
            | POD_PATH
            | ID_TOKEN_PATH
            | SECURITY_TOKENS_PATH
    )
}

/// A random-looking string, unique in the process (tokens and keys the emulator issues).
fn random_hex() -> String {
    use std::hash::{BuildHasher, Hasher};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    format!("{:016x}", h.finish())
}

pub async fn handle(
    req: Request<Incoming>,
    state: &State,
    seq: u64,
    connection: u64,
    request_id: &str,
) -> Response<EmuBody> {
    let path = req.uri().path().to_string();
    let mut record = RecordedRequest {
        seq,
        connection,
        method: req.method().to_string(),
        path: match req.uri().query() {
            Some(q) => format!("{path}?{q}"),
            None => path.clone(),
        },
        project_id: None,
        certificate_id: None,
        auth: if req.headers().contains_key("authorization") { "aksk" } else { "none" },
        headers: recorded_headers(&req),
        status: 0,
        outcome: String::new(),
        request_id: request_id.to_string(),
        query: String::new(),
        body: String::new(),
        at_ms: state.uptime_ms(),
    };
    let (outcome, answer) = match (req.method().clone(), path.as_str()) {
        (Method::GET, "/v3/projects") => list_projects(&req, state, request_id),
        (Method::POST, "/v3/auth/tokens") => token(req, state, request_id).await,
        (Method::PUT, "/meta-data/latest/api/token") => session_token(state, request_id),
        (Method::GET, "/openstack/latest/securitykey") => security_key(&req, state, request_id),
        (Method::POST, POD_PATH) => pod_credentials(&req, state, request_id),
        (Method::POST, ID_TOKEN_PATH) => id_token(req, state, request_id).await,
        (Method::POST, SECURITY_TOKENS_PATH) => security_tokens(req, state, request_id).await,
        _ => ("method_not_allowed", text(405, "method not allowed", request_id, state)),
    };
    record.outcome = outcome.into();
    record.status = answer.status().as_u16();
    state.record(record);
    answer
}

fn json_response(status: u16, body: Value, request_id: &str, state: &State) -> Response<EmuBody> {
    let mut answer = json_reply(status, body, request_id, state);
    // IAM's own request id header.
    if let Ok(v) = HeaderValue::try_from(request_id) {
        answer.headers_mut().insert("x-iam-trace-id", v);
    }
    answer
}

fn text(status: u16, body: &str, request_id: &str, state: &State) -> Response<EmuBody> {
    response(status, EmuBody::full(body.to_string()), request_id, state)
}

/// IAM's error shape.
fn iam_error(status: u16, message: &str, title: &str, request_id: &str, state: &State) -> Response<EmuBody> {
    json_response(status, json!({"error": {"code": status, "message": message, "title": title}}), request_id, state)
}

fn timestamp(unix: f64) -> String {
    format_timestamp(UNIX_EPOCH + Duration::from_secs_f64(unix.max(0.0)))
}

fn list_projects(req: &Request<Incoming>, state: &State, request_id: &str) -> (&'static str, Response<EmuBody>) {
    state.counters.iam_projects.fetch_add(1, Ordering::Relaxed);
    if let Err(why) = check_signature(req, state) {
        let message = format!("The request you have made requires authentication. ({why})");
        return ("unauthorized", iam_error(401, &message, "Unauthorized", request_id, state));
    }
    let name =
        req.uri().query().and_then(|q| q.split('&').map(split_query_pair).find(|(k, _)| k == "name").map(|(_, v)| v));
    let identity = crate::sync::lock(&state.identity);
    let projects: Vec<Value> = identity
        .projects
        .iter()
        .filter(|(n, _)| name.as_deref().is_none_or(|want| want == n))
        .map(|(n, id)| {
            json!({"id": id, "name": n, "domain_id": "emulatordomainid", "parent_id": "emulatordomainid",
                   "enabled": true, "is_domain": false, "description": "",
                   "links": {"self": format!("/v3/projects/{id}")}})
        })
        .collect();
    let body = json!({"links": {"self": "/v3/projects", "previous": null, "next": null}, "projects": projects});
    ("projects", json_response(200, body, request_id, state))
}

async fn token(req: Request<Incoming>, state: &State, request_id: &str) -> (&'static str, Response<EmuBody>) {
    state.counters.iam_tokens.fetch_add(1, Ordering::Relaxed);
    let bad = |msg: &str| ("bad_request", iam_error(400, msg, "Bad Request", request_id, state));
    let Ok(body) = http_body_util::Limited::new(req.into_body(), 1 << 20).collect().await else {
        return bad("The request body is too large");
    };
    let Ok(body) = serde_json::from_slice::<Value>(&body.to_bytes()) else {
        return bad("The request body is not JSON");
    };
    let user = body.pointer("/auth/identity/password/user").cloned().unwrap_or(Value::Null);
    let field = |v: &Value, p: &str| v.pointer(p).and_then(Value::as_str).map(str::to_string);
    let (Some(name), Some(password), Some(domain)) =
        (field(&user, "/name"), field(&user, "/password"), field(&user, "/domain/name"))
    else {
        return bad("The request body has no password identity");
    };
    let identity = crate::sync::lock(&state.identity);
    if !identity.users.iter().any(|(d, u, p)| *d == domain && *u == name && *p == password) {
        drop(identity);
        return (
            "unauthorized",
            iam_error(401, "The username or password is wrong.", "Unauthorized", request_id, state),
        );
    }
    let scope = body.pointer("/auth/scope/project").cloned().unwrap_or(Value::Null);
    let project = match (field(&scope, "/id"), field(&scope, "/name")) {
        (Some(id), _) => identity.projects.iter().find(|(_, i)| *i == id).cloned(),
        (None, Some(n)) => identity.projects.iter().find(|(pn, _)| *pn == n).cloned(),
        (None, None) => None,
    };
    let lifetime = identity.token_lifetime;
    drop(identity);
    let Some((project_name, project_id)) = project else {
        return bad("The project in the scope does not exist");
    };
    let now = state.now_unix_f64();
    let expires = now + lifetime.as_secs_f64();
    let token = format!("MIIemu{}{}", random_hex(), random_hex());
    state.issue_token(&token, &project_id, expires);
    let body = json!({"token": {
        "expires_at": timestamp(expires), "issued_at": timestamp(now), "methods": ["password"],
        "project": {"id": project_id, "name": project_name, "domain": {"id": "emulatordomainid", "name": domain}},
        "user": {"id": "emulatoruserid", "name": name, "domain": {"id": "emulatordomainid", "name": domain}},
        "roles": [{"id": "0", "name": "apig_adm"}]}});
    let mut answer = json_response(201, body, request_id, state);
    if let Ok(v) = HeaderValue::try_from(token) {
        answer.headers_mut().insert("x-subject-token", v);
    }
    ("token", answer)
}

/// A JSON request body, or IAM's 400.
async fn json_body(req: Request<Incoming>) -> Result<Value, &'static str> {
    let body = match http_body_util::Limited::new(req.into_body(), 1 << 20).collect().await {
        Ok(body) => body,
        Err(e) if e.is::<http_body_util::LengthLimitError>() => return Err("The request body is too large"),
        Err(_) => return Err("The request body could not be read"),
    };
    serde_json::from_slice::<Value>(&body.to_bytes()).map_err(|_| "The request body is not JSON")
}

/// `POST /v3.0/OS-AUTH/id-token/tokens`: the ID token of a registered IdP (`X-Idp-Id`) for an
/// unscoped token, in `X-Subject-Token` of a 201.
async fn id_token(req: Request<Incoming>, state: &State, request_id: &str) -> (&'static str, Response<EmuBody>) {
    state.counters.iam_id_tokens.fetch_add(1, Ordering::Relaxed);
    let idp = req.headers().get("x-idp-id").and_then(|v| v.to_str().ok()).map(str::to_string);
    let body = match json_body(req).await {
        Ok(body) => body,
        Err(why) => return ("bad_request", iam_error(400, why, "Bad Request", request_id, state)),
    };
    let Some(given) = body.pointer("/auth/id_token/id").and_then(Value::as_str) else {
        return (
            "bad_request",
            iam_error(400, "The request body has no auth.id_token.id", "Bad Request", request_id, state),
        );
    };
    let identity = crate::sync::lock(&state.identity);
    let Some((idp, accepted)) = idp.and_then(|idp| identity.idps.iter().find(|(i, _)| *i == idp).cloned()) else {
        drop(identity);
        let answer = json_response(
            404,
            json!({"error_code": "IAM.0004", "error_msg": "The identity provider does not exist."}),
            request_id,
            state,
        );
        return ("no_idp", answer);
    };
    let lifetime = identity.token_lifetime;
    drop(identity);
    if given != accepted {
        let answer = json_response(
            401,
            json!({"error_code": "IAM.0101", "error_msg": "The id_token is invalid or expired."}),
            request_id,
            state,
        );
        return ("unauthorized", answer);
    }
    let now = state.now_unix_f64();
    let expires = now + lifetime.as_secs_f64();
    let token = format!("MIIemu{}{}", random_hex(), random_hex());
    {
        // Expired tokens are let go: a long-running emulator keeps only the live ones.
        let mut identity = crate::sync::lock(&state.identity);
        identity.federated_tokens.retain(|(_, expires)| *expires > now);
        identity.federated_tokens.push((token.clone(), expires));
    }
    let body = json!({"token": {
        "expires_at": timestamp(expires), "issued_at": timestamp(now), "methods": ["mapped"],
        "user": {"id": "emulatorfederateduser", "name": format!("{idp}-user"),
                 "OS-FEDERATION": {"identity_provider": {"id": idp}, "protocol": {"id": "oidc"}}}}});
    let mut answer = json_response(201, body, request_id, state);
    if let Ok(v) = HeaderValue::try_from(token) {
        answer.headers_mut().insert("x-subject-token", v);
    }
    ("token", answer)
}

/// `POST /v3.0/OS-CREDENTIAL/securitytokens` with a token issued for an ID token: temporary
/// keys, living `duration_seconds` (900..=86400) or the emulator's credential lifetime if shorter.
async fn security_tokens(req: Request<Incoming>, state: &State, request_id: &str) -> (&'static str, Response<EmuBody>) {
    state.counters.iam_security_tokens.fetch_add(1, Ordering::Relaxed);
    let bad = |msg: &str| ("bad_request", iam_error(400, msg, "Bad Request", request_id, state));
    let body = match json_body(req).await {
        Ok(body) => body,
        Err(why) => return bad(why),
    };
    if body.pointer("/auth/identity/methods") != Some(&json!(["token"])) {
        return bad("auth.identity.methods must be [\"token\"]");
    }
    let Some(token) = body.pointer("/auth/identity/token/id").and_then(Value::as_str) else {
        return bad("The request body has no auth.identity.token.id");
    };
    let duration = match body.pointer("/auth/identity/token/duration_seconds") {
        None => 900.0,
        Some(d) => match d.as_u64().filter(|d| (900..=86_400).contains(d)) {
            Some(d) => d as f64,
            None => return bad("duration_seconds must be an integer from 900 to 86400"),
        },
    };
    let now = state.now_unix_f64();
    let identity = crate::sync::lock(&state.identity);
    if !identity.federated_tokens.iter().any(|(t, expires)| t == token && *expires > now) {
        drop(identity);
        let message = "The request you have made requires authentication.";
        return ("unauthorized", iam_error(401, message, "Unauthorized", request_id, state));
    }
    let lifetime = identity.credential_lifetime.min(Duration::from_secs_f64(duration));
    drop(identity);
    let (ak, sk, st, expires) = issue_keys(state, lifetime);
    let body =
        json!({"credential": {"access": ak, "secret": sk, "securitytoken": st, "expires_at": timestamp(expires)}});
    ("credentials", json_response(201, body, request_id, state))
}

fn session_token(state: &State, request_id: &str) -> (&'static str, Response<EmuBody>) {
    state.counters.metadata_session_tokens.fetch_add(1, Ordering::Relaxed);
    let mut identity = crate::sync::lock(&state.identity);
    if identity.metadata_mode == MetadataMode::OldService {
        drop(identity);
        return ("not_found", text(404, "Not Found", request_id, state));
    }
    let token = format!("emu-session-{}", random_hex());
    identity.sessions.push(token.clone());
    drop(identity);
    ("session_token", text(200, &token, request_id, state))
}

fn security_key(req: &Request<Incoming>, state: &State, request_id: &str) -> (&'static str, Response<EmuBody>) {
    state.counters.metadata_credentials.fetch_add(1, Ordering::Relaxed);
    let identity = crate::sync::lock(&state.identity);
    let session = req.headers().get("x-metadata-token").and_then(|v| v.to_str().ok());
    if identity.metadata_mode != MetadataMode::OldService
        && !session.is_some_and(|s| identity.sessions.iter().any(|t| t == s))
    {
        drop(identity);
        return (
            "unauthorized",
            text(401, "Unauthorized: the metadata session token is missing or expired", request_id, state),
        );
    }
    if identity.metadata_mode == MetadataMode::NoAgency {
        drop(identity);
        return ("no_agency", json_response(404, json!({"error": NO_AGENCY}), request_id, state));
    }
    let lifetime = identity.credential_lifetime;
    drop(identity);
    let (ak, sk, st, expires) = issue_keys(state, lifetime);
    let body =
        json!({"credential": {"access": ak, "secret": sk, "securitytoken": st, "expires_at": timestamp(expires)}});
    ("credentials", json_response(200, body, request_id, state))
}

fn pod_credentials(req: &Request<Incoming>, state: &State, request_id: &str) -> (&'static str, Response<EmuBody>) {
    state.counters.pod_credentials.fetch_add(1, Ordering::Relaxed);
    let identity = crate::sync::lock(&state.identity);
    let given = req.headers().get("authorization").and_then(|v| v.to_str().ok());
    if given != Some(identity.pod_token.as_str()) {
        drop(identity);
        return (
            "unauthorized",
            json_response(
                401,
                json!({"error_code": "CCE.0401", "error_msg": "invalid pod identity token"}),
                request_id,
                state,
            ),
        );
    }
    let lifetime = identity.credential_lifetime;
    drop(identity);
    let (ak, sk, st, expires) = issue_keys(state, lifetime);
    // Pod identity's spellings differ from the metadata service's; whole seconds, as seen
    // (rounded down: the client then stops using the keys a little early, never late).
    let expiration = timestamp(expires.floor());
    let expiration = format!("{}Z", &expiration[..19]);
    let body = json!({"credentials": {"accessKeyId": ak, "secretAccessKey": sk, "securityToken": st, "expiration": expiration}});
    ("credentials", json_response(200, body, request_id, state))
}

/// New temporary keys, accepted by the APIG side (and IAM) until they expire.
fn issue_keys(state: &State, lifetime: Duration) -> (String, String, String, f64) {
    let ak = format!("TMPAK{}", random_hex().to_ascii_uppercase());
    let sk = format!("tmp-sk-{}{}", random_hex(), random_hex());
    let st = format!("gQpjbi1ub3J0aC00emu{}{}", random_hex(), random_hex());
    let expires = state.now_unix_f64() + lifetime.as_secs_f64();
    state.add_temporary_key(&ak, Key { sk: sk.clone(), security_token: Some(st.clone()), expires_at: Some(expires) });
    (ak, sk, st, expires)
}

/// The identity part of the control API (`/_emulator/…`); `None` when `segments` is not ours.
pub fn control(
    state: &State,
    method: &Method,
    segments: &[&str],
    body: &Value,
) -> Option<Result<Value, (u16, String)>> {
    let text = |key: &str| body.get(key).and_then(Value::as_str).map(str::to_string);
    let result = match (method, segments) {
        (&Method::GET, ["counters"]) => Ok(state.counters.to_json()),
        (&Method::PUT, ["iam", "projects"]) => match (text("name"), text("id")) {
            (Some(name), Some(id)) => {
                crate::sync::lock(&state.identity).projects.push((name, id));
                Ok(json!({}))
            }
            _ => Err((400, "give {\"name\": region, \"id\": project id}".into())),
        },
        (&Method::DELETE, ["iam", "projects"]) => {
            crate::sync::lock(&state.identity).projects.clear();
            Ok(json!({}))
        }
        (&Method::POST, ["iam", "users"]) => match (text("domain"), text("user"), text("password")) {
            (Some(d), Some(u), Some(p)) => {
                crate::sync::lock(&state.identity).users.push((d, u, p));
                Ok(json!({}))
            }
            _ => Err((400, "give {\"domain\", \"user\", \"password\"}".into())),
        },
        (&Method::PUT, ["iam", "idps"]) => match (text("id"), text("id_token")) {
            (Some(id), Some(token)) if !id.is_empty() && !token.is_empty() => {
                let mut identity = crate::sync::lock(&state.identity);
                identity.idps.retain(|(i, _)| *i != id);
                identity.idps.push((id, token));
                Ok(json!({}))
            }
            _ => Err((400, "give {\"id\": IdP id, \"id_token\": the ID token it accepts}".into())),
        },
        (&Method::POST, ["iam", "revoke"]) => {
            state.revoke_tokens();
            Ok(json!({}))
        }
        (&Method::POST, ["metadata", "revoke-keys"]) => {
            state.revoke_temporary_keys();
            Ok(json!({}))
        }
        (&Method::POST, ["metadata", "expire-sessions"]) => {
            crate::sync::lock(&state.identity).sessions.clear();
            Ok(json!({}))
        }
        (&Method::PUT, ["identity"]) => configure(state, body),
        _ => return None,
    };
    Some(result)
}

/// `PUT /_emulator/identity {"token_lifetime_s", "credential_lifetime_s", "metadata_mode", "pod_token"}`.
fn configure(state: &State, body: &Value) -> Result<Value, (u16, String)> {
    let object = body.as_object().ok_or((400, "give a JSON object".to_string()))?;
    let mut identity = crate::sync::lock(&state.identity);
    for (key, value) in object {
        let seconds = || {
            value
                .as_f64()
                .filter(|s| *s > 0.0 && *s < 1e9)
                .map(Duration::from_secs_f64)
                .ok_or((400, format!("{key} must be a positive number")))
        };
        match key.as_str() {
            "token_lifetime_s" => identity.token_lifetime = seconds()?,
            "credential_lifetime_s" => identity.credential_lifetime = seconds()?,
            "metadata_mode" => {
                identity.metadata_mode = value
                    .as_str()
                    .and_then(MetadataMode::parse)
                    .ok_or((400, "metadata_mode is normal, old or no-agency".to_string()))?
            }
            "pod_token" => {
                identity.pod_token = value.as_str().ok_or((400, "pod_token must be a string".to_string()))?.to_string()
            }
            other => return Err((400, format!("unknown identity setting {other:?}"))),
        }
    }
    Ok(json!({}))
}
