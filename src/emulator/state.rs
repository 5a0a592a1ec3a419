//! The emulator's state: certificates per project, accepted credentials, fault rules
//! and the log of every request received.

use super::rules::Rule;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// The token the emulator accepts unless told otherwise.
pub const DEFAULT_TOKEN: &str = "emulator-token";
/// The access key pair the emulator accepts unless told otherwise: the access key id...
pub const DEFAULT_AK: &str = "EMULATORAK0000000001";
/// ...and its secret key.
pub const DEFAULT_SK: &str = "emulator-secret-key-0000000000000001";
/// The error code the emulator answers (with 403) for a certificate still bound to a domain.
/// APIG documents no code for it; related "still bound" refusals are APIG.34xx with 403.
pub const BOUND_ERROR_CODE: &str = "APIG.3474";

/// One request as the emulator saw it. Secret header values are never recorded.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// The order in which requests arrived (from 1).
    pub seq: u64,
    /// The connection it came on (from 1): tells a reused connection from a new one.
    pub connection: u64,
    /// The HTTP method.
    pub method: String,
    /// The path (with the query, for the identity services).
    pub path: String,
    /// The project of an APIG path.
    pub project_id: Option<String>,
    /// The certificate of an APIG path.
    pub certificate_id: Option<String>,
    /// "token", "aksk" or "none".
    pub auth: &'static str,
    /// Names of the headers received (lower case), with non-secret values.
    pub headers: Vec<(String, String)>,
    /// The status answered (0 when the emulator answered nothing, on purpose).
    pub status: u16,
    /// What the emulator made of it: "deleted", "not_found", "bound", "unauthorized", "fault:…", …
    pub outcome: String,
    /// The `X-Request-Id` (also `X-IAM-Trace-Id`) it answered with.
    pub request_id: String,
    /// The query string of an APIG call (`instance_id=…&offset=0&limit=500`), else empty.
    pub query: String,
    /// The body of an APIG write that has one (the batch detach's JSON), else empty.
    pub body: String,
    /// When it arrived, in milliseconds since the emulator started (rates can be counted).
    pub at_ms: u64,
}

impl RecordedRequest {
    /// The JSON form (as `GET /_emulator/requests` shows it).
    pub fn to_json(&self) -> Value {
        let headers: serde_json::Map<String, Value> =
            self.headers.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
        json!({
            "seq": self.seq,
            "connection": self.connection,
            "method": self.method,
            "path": self.path,
            "project_id": self.project_id,
            "certificate_id": self.certificate_id,
            "auth": self.auth,
            "headers": headers,
            "status": self.status,
            "outcome": self.outcome,
            "request_id": self.request_id,
            "query": self.query,
            "body": self.body,
            "at_ms": self.at_ms,
        })
    }
}

#[derive(Default)]
struct Store {
    /// project → certificate id → the certificate.
    projects: HashMap<String, BTreeMap<String, Cert>>,
    /// project → its gateways (instance ids), in the order they were added.
    gateways: HashMap<String, Vec<String>>,
    tokens: BTreeSet<String>,
    /// Tokens IAM issued: token → (project id, expiry on the emulator's clock).
    issued_tokens: HashMap<String, (String, f64)>,
    keys: HashMap<String, Key>,
    /// Each rule with how many requests it applied to, and how many it matched (for `every`).
    rules: Vec<(Rule, u64, u64)>,
    log: Vec<RecordedRequest>,
}

/// The gateway a certificate's domains are on unless told otherwise.
pub const DEFAULT_GATEWAY: &str = "emulator-gw-1";

/// What the listing says of a certificate (the PEM and the key are never kept).
#[derive(Debug, Clone, PartialEq)]
pub struct CertMeta {
    /// The certificate's name in APIG.
    pub name: String,
    /// The subject's common name.
    pub common_name: String,
    /// Subject alternative names (may be empty).
    pub san: Vec<String>,
    /// RFC 3339, as APIG writes it (`2027-04-26T09:03:30Z`).
    pub not_after: String,
    /// The gateway of an `instance` certificate; None for a `global` one.
    pub instance_id: Option<String>,
    /// `SHA256-RSA` and the like.
    pub signature_algorithm: String,
    /// `RSA`, `ECC` or `SM2`; absent on older servers.
    pub algorithm_type: Option<String>,
}

impl CertMeta {
    /// A global certificate named as its id, for `id.example.com`, valid for years.
    pub fn default_for(id: &str) -> CertMeta {
        CertMeta {
            name: id.to_string(),
            common_name: format!("{id}.example.com"),
            san: Vec::new(),
            not_after: "2036-01-01T00:00:00Z".into(),
            instance_id: None,
            signature_algorithm: "SHA256-RSA".into(),
            algorithm_type: Some("RSA".into()),
        }
    }
}

/// A custom domain of an API group a certificate is bound to.
#[derive(Debug, Clone, PartialEq)]
pub struct Binding {
    /// The domain name (`url_domain`).
    pub domain: String,
    /// The domain's id.
    pub domain_id: String,
    /// The gateway the domain's API group is on.
    pub instance_id: String,
    /// The API group's id.
    pub group_id: String,
    /// The API group's name.
    pub group_name: String,
}

impl Binding {
    /// `domain` on `instance_id`, in a group of its own (ids derived from the names).
    pub fn new(domain: &str, instance_id: &str) -> Binding {
        let slug: String = domain.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
        Binding {
            domain: domain.to_string(),
            domain_id: format!("dom-{slug}"),
            instance_id: instance_id.to_string(),
            group_id: format!("grp-{slug}"),
            group_name: format!("group-{slug}"),
        }
    }
}

/// A certificate: what is listed of it, and the domains bound to it.
#[derive(Debug, Clone)]
pub struct Cert {
    /// What the listing shows.
    pub meta: CertMeta,
    /// The domains bound to it.
    pub bindings: Vec<Binding>,
}

/// An access key the APIG side accepts: a static one, or temporary (with a security token
/// and an expiry) as issued by the metadata service or pod identity.
#[derive(Debug, Clone)]
pub struct Key {
    pub sk: String,
    pub security_token: Option<String>,
    pub expires_at: Option<f64>,
}

/// How often the identity services were asked, and how often an expired temporary
/// credential was used (never, with a correct client).
#[derive(Debug, Default)]
pub struct Counters {
    pub iam_projects: AtomicU64,
    pub iam_tokens: AtomicU64,
    pub metadata_session_tokens: AtomicU64,
    pub metadata_credentials: AtomicU64,
    pub pod_credentials: AtomicU64,
    pub iam_id_tokens: AtomicU64,
    pub iam_security_tokens: AtomicU64,
    /// Every APIG request (counted even with the request log off: benchmarks read it).
    pub apig_requests: AtomicU64,
    /// APIG requests answered 429 by the throttle.
    pub apig_throttled: AtomicU64,
    pub expired_uses: AtomicU64,
    /// TLS handshakes, full and resumed (HTTPS mode): whether clients resume their sessions.
    pub tls_full_handshakes: AtomicU64,
    pub tls_resumed_handshakes: AtomicU64,
}

impl Counters {
    pub fn to_json(&self) -> Value {
        let n = |c: &AtomicU64| c.load(Ordering::Relaxed);
        json!({
            "iam_projects": n(&self.iam_projects),
            "iam_tokens": n(&self.iam_tokens),
            "metadata_session_tokens": n(&self.metadata_session_tokens),
            "metadata_credentials": n(&self.metadata_credentials),
            "pod_credentials": n(&self.pod_credentials),
            "iam_id_tokens": n(&self.iam_id_tokens),
            "iam_security_tokens": n(&self.iam_security_tokens),
            "apig_requests": n(&self.apig_requests),
            "expired_uses": n(&self.expired_uses),
            "tls_full_handshakes": n(&self.tls_full_handshakes),
            "tls_resumed_handshakes": n(&self.tls_resumed_handshakes),
            "apig_throttled": n(&self.apig_throttled),
        })
    }
}

/// What the APIG side makes of an `X-Auth-Token`.
pub enum TokenCheck {
    Valid,
    OtherProject,
    Expired,
    Unknown,
}

/// Shared by the server's tasks and the controlling API.
pub struct State {
    store: Mutex<Store>,
    /// IAM users and projects, the metadata service's and pod identity's settings.
    pub identity: Mutex<super::identity::IdentityStore>,
    pub counters: Counters,
    next_seq: AtomicU64,
    /// Seconds added to the real clock: the emulator's idea of "now" (for clock-skew tests).
    clock_offset: std::sync::atomic::AtomicI64,
    /// When false, requests are not recorded (the benchmark mode).
    pub record: bool,
    /// Throttling like a gateway (`--throttle`): None admits everything.
    throttle: Mutex<Option<super::throttle::Bucket>>,
    started: std::time::Instant,
}

/// What the certificate logic decided.
pub enum Decision {
    Deleted,
    NotFound,
    Bound(Vec<String>),
}

impl State {
    pub fn new(record: bool) -> State {
        let mut store = Store::default();
        store.tokens.insert(DEFAULT_TOKEN.to_string());
        store
            .keys
            .insert(DEFAULT_AK.to_string(), Key { sk: DEFAULT_SK.to_string(), security_token: None, expires_at: None });
        State {
            store: Mutex::new(store),
            identity: Mutex::new(Default::default()),
            counters: Counters::default(),
            next_seq: AtomicU64::new(1),
            clock_offset: Default::default(),
            record,
            throttle: Mutex::new(None),
            started: std::time::Instant::now(),
        }
    }

    fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        // A panic elsewhere must not take the emulator down with a poisoned lock.
        crate::sync::lock(&self.store)
    }

    /// A global certificate (default metadata) bound to `bound_to` on [`DEFAULT_GATEWAY`].
    pub fn add_certificate(&self, project: &str, certificate: &str, bound_to: Vec<String>) {
        let bindings = bound_to.iter().map(|d| Binding::new(d, DEFAULT_GATEWAY)).collect();
        self.put_certificate(project, certificate, CertMeta::default_for(certificate), bindings);
    }

    /// Adds (or replaces) a certificate; the gateways it names (its own, its bindings') are
    /// added to the project when it does not have them yet.
    pub fn put_certificate(&self, project: &str, certificate: &str, meta: CertMeta, bindings: Vec<Binding>) {
        let mut store = self.store();
        for gateway in meta.instance_id.iter().chain(bindings.iter().map(|b| &b.instance_id)) {
            add_gateway_to(&mut store, project, gateway);
        }
        store.projects.entry(project.to_string()).or_default().insert(certificate.to_string(), Cert { meta, bindings });
    }

    /// Adds a gateway (instance) to a project.
    pub fn add_gateway(&self, project: &str, instance_id: &str) {
        add_gateway_to(&mut self.store(), project, instance_id);
    }

    /// The gateways of a project, in the order they were added.
    pub fn gateways(&self, project: &str) -> Vec<String> {
        self.store().gateways.get(project).cloned().unwrap_or_default()
    }

    /// A copy of a certificate.
    pub fn certificate(&self, project: &str, certificate: &str) -> Option<Cert> {
        self.store().projects.get(project).and_then(|c| c.get(certificate)).cloned()
    }

    /// The certificates a listing for gateway `instance_id` shows: its own and the global ones,
    /// by id.
    pub fn listed(&self, project: &str, instance_id: &str) -> Vec<(String, Cert)> {
        let store = self.store();
        let Some(certs) = store.projects.get(project) else { return Vec::new() };
        certs
            .iter()
            .filter(|(_, c)| c.meta.instance_id.as_deref().is_none_or(|g| g == instance_id))
            .map(|(id, c)| (id.clone(), c.clone()))
            .collect()
    }

    /// Detaches `domain` from a certificate (on `instance_ids` only, when given): how many
    /// bindings went; None when the certificate does not exist.
    pub fn detach(
        &self,
        project: &str,
        certificate: &str,
        domain: &str,
        instance_ids: Option<&[String]>,
    ) -> Option<usize> {
        let mut store = self.store();
        let cert = store.projects.get_mut(project)?.get_mut(certificate)?;
        let before = cert.bindings.len();
        cert.bindings.retain(|b| b.domain != domain || instance_ids.is_some_and(|ids| !ids.contains(&b.instance_id)));
        Some(before - cert.bindings.len())
    }

    pub fn certificates(&self, project: &str) -> Vec<String> {
        self.store().projects.get(project).map(|c| c.keys().cloned().collect()).unwrap_or_default()
    }

    pub fn add_token(&self, token: &str) {
        self.store().tokens.insert(token.to_string());
    }

    pub fn add_key(&self, ak: &str, sk: &str) {
        self.store().keys.insert(ak.to_string(), Key { sk: sk.to_string(), security_token: None, expires_at: None });
    }

    /// Accepts temporary credentials until `expires_at` (emulator clock).
    pub fn add_temporary_key(&self, ak: &str, key: Key) {
        let mut store = self.store();
        // Forget long-expired keys so that a long run does not grow without bound.
        let now = self.now_unix_f64();
        store.keys.retain(|_, k| k.expires_at.is_none_or(|t| t > now - 3600.0));
        store.keys.insert(ak.to_string(), key);
    }

    /// Accepts a token IAM issued, for `project_id`, until `expires_at`.
    pub fn issue_token(&self, token: &str, project_id: &str, expires_at: f64) {
        self.store().issued_tokens.insert(token.to_string(), (project_id.to_string(), expires_at));
    }

    /// Forgets every token IAM issued (as IAM does after a password change).
    pub fn revoke_tokens(&self) {
        self.store().issued_tokens.clear();
    }

    /// Forgets every temporary key (metadata, pod identity): APIG refuses them from now on.
    pub fn revoke_temporary_keys(&self) {
        self.store().keys.retain(|_, k| k.security_token.is_none());
    }

    pub fn token_check(&self, token: &str, project: &str) -> TokenCheck {
        let store = self.store();
        if store.tokens.contains(token) {
            return TokenCheck::Valid;
        }
        match store.issued_tokens.get(token) {
            None => TokenCheck::Unknown,
            Some((_, expires)) if self.now_unix_f64() >= *expires => TokenCheck::Expired,
            Some((p, _)) if p != project => TokenCheck::OtherProject,
            Some(_) => TokenCheck::Valid,
        }
    }

    pub fn secret_key(&self, ak: &str) -> Option<Key> {
        self.store().keys.get(ak).cloned()
    }

    pub fn push_rule(&self, rule: Rule) {
        self.store().rules.push((rule, 0, 0));
    }

    pub fn clear_rules(&self) {
        self.store().rules.clear();
    }

    pub fn rules(&self) -> Vec<Rule> {
        self.store().rules.iter().map(|(r, _, _)| r.clone()).collect()
    }

    /// The first rule that matches and is not used up; counts the use.
    pub fn take_rule(&self, project: &str, certificate: &str) -> Option<Rule> {
        self.take_matching(|rule| rule.matches(project, certificate))
    }

    /// The first rule with a `path` that `path` starts with (any service), counted as used.
    pub fn take_path_rule(&self, path: &str) -> Option<Rule> {
        self.take_matching(|rule| rule.matches_path(path))
    }

    fn take_matching(&self, matches: impl Fn(&Rule) -> bool) -> Option<Rule> {
        let mut store = self.store();
        for (rule, used, matched) in store.rules.iter_mut() {
            if !matches(rule) || rule.times.is_some_and(|t| *used >= t) {
                continue;
            }
            *matched += 1;
            // `every: N`: only every N-th matching request (a share of the traffic).
            if rule.every.is_some_and(|n| *matched % n != 0) {
                continue;
            }
            *used += 1;
            return Some(rule.clone());
        }
        None
    }

    pub fn delete(&self, project: &str, certificate: &str) -> Decision {
        let mut store = self.store();
        let Some(certs) = store.projects.get_mut(project) else { return Decision::NotFound };
        match certs.get(certificate) {
            None => Decision::NotFound,
            Some(cert) if !cert.bindings.is_empty() => {
                let mut domains: Vec<String> = cert.bindings.iter().map(|b| b.domain.clone()).collect();
                domains.dedup();
                Decision::Bound(domains)
            }
            Some(_) => {
                certs.remove(certificate);
                Decision::Deleted
            }
        }
    }

    pub fn set_clock_offset(&self, seconds: i64) {
        self.clock_offset.store(seconds, Ordering::Relaxed);
    }

    /// Milliseconds since the emulator started.
    pub fn uptime_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Throttles APIG requests from now on (a full bucket), or no more with None.
    pub fn set_throttle(&self, throttle: Option<super::throttle::Throttle>) {
        *crate::sync::lock(&self.throttle) = throttle.map(super::throttle::Bucket::new);
    }

    /// The throttle's settings, if any.
    pub fn throttle(&self) -> Option<super::throttle::Throttle> {
        crate::sync::lock(&self.throttle).as_ref().map(|b| b.throttle.clone())
    }

    /// Whether an APIG request arriving now is admitted; if not, the throttled answer's
    /// `Retry-After` (seconds), if any.
    pub fn admit(&self) -> Result<(), Option<u32>> {
        let mut throttle = crate::sync::lock(&self.throttle);
        let Some(bucket) = throttle.as_mut() else { return Ok(()) };
        if bucket.admit() {
            return Ok(());
        }
        self.counters.apig_throttled.fetch_add(1, Ordering::Relaxed);
        Err(bucket.throttle.retry_after)
    }

    /// The emulator's clock, in Unix seconds.
    pub fn now_unix(&self) -> i64 {
        unix_now() + self.clock_offset.load(Ordering::Relaxed)
    }

    /// The emulator's clock with sub-second precision (credentials of a few seconds' life).
    pub fn now_unix_f64(&self) -> f64 {
        let real = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        real.as_secs_f64() + self.clock_offset.load(Ordering::Relaxed) as f64
    }

    pub fn next_seq(&self) -> u64 {
        self.next_seq.fetch_add(1, Ordering::Relaxed)
    }

    pub fn record(&self, request: RecordedRequest) {
        if self.record {
            self.store().log.push(request);
        }
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.store().log.clone()
    }

    pub fn clear_requests(&self) {
        self.store().log.clear();
    }
}

/// Adds a gateway to a project unless it has it.
fn add_gateway_to(store: &mut Store, project: &str, instance_id: &str) {
    let gateways = store.gateways.entry(project.to_string()).or_default();
    if !gateways.iter().any(|g| g == instance_id) {
        gateways.push(instance_id.to_string());
    }
}

/// The real clock, in Unix seconds.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}
