//! A local stand-in for APIG on 127.0.0.1, for tests (ours and our users'), the demo and
//! any language: certificates per project, token and AK/SK checks, a request log, and
//! faults on demand. Started in-process ([`Emulator::start`]) or as the `apig-emulator` binary.

mod body;
mod conn;
mod identity;
mod lifecycle;
mod reply;
mod rules;
mod seed;
mod server;
mod state;
mod throttle;

pub use identity::{
    DEFAULT_DOMAIN, DEFAULT_PASSWORD, DEFAULT_POD_TOKEN, DEFAULT_PROJECT_ID, DEFAULT_REGION, DEFAULT_USER,
    MetadataMode, POD_PATH,
};
pub use rules::{Action, Rule};
pub use state::{
    BOUND_ERROR_CODE, Binding, CertMeta, DEFAULT_AK, DEFAULT_GATEWAY, DEFAULT_SK, DEFAULT_TOKEN, RecordedRequest,
};
pub use throttle::{THROTTLED_CODE, Throttle};

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// How to start an emulator.
#[derive(Debug, Clone, Default)]
pub struct EmulatorOptions {
    /// Address to listen on; default `127.0.0.1:0` (a free port).
    pub addr: Option<SocketAddr>,
    /// Close keep-alive connections that stay idle this long, silently (no `Connection: close`).
    pub idle_close: Option<Duration>,
    /// Serve HTTPS with this certificate chain and key (PEM files).
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Do not record requests (for benchmarks).
    pub no_log: bool,
    /// Worker threads (default 2).
    pub threads: Option<usize>,
}

/// A running emulator; stops when dropped.
pub struct Emulator {
    addr: SocketAddr,
    https: bool,
    state: Arc<state::State>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Emulator {
    /// Starts an emulator on a free port of 127.0.0.1.
    pub fn start() -> io::Result<Emulator> {
        Emulator::start_with(EmulatorOptions::default())
    }

    /// Starts an emulator with options (address, TLS, idle close, threads, no request log).
    pub fn start_with(options: EmulatorOptions) -> io::Result<Emulator> {
        let tls = match &options.tls {
            Some((cert, key)) => Some(tls_acceptor(cert, key)?),
            None => None,
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(options.threads.unwrap_or(2).max(1))
            .thread_name("apig-emulator")
            .enable_all()
            .build()?;
        let addr = options.addr.unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0)));
        let std_listener = std::net::TcpListener::bind(addr)?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let listener = {
            let _guard = runtime.enter();
            tokio::net::TcpListener::from_std(std_listener)?
        };
        let state = Arc::new(state::State::new(!options.no_log));
        let server_options = Arc::new(server::ServerOptions { idle_close: options.idle_close, tls });
        runtime.spawn(server::accept_loop(listener, state.clone(), server_options));
        Ok(Emulator { addr, https: options.tls.is_some(), state, runtime: Some(runtime) })
    }

    /// The endpoint to give a client, e.g. `http://127.0.0.1:40123`.
    pub fn url(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Adds a certificate to a project; a certificate bound to domain names cannot be deleted.
    pub fn add_certificate(&self, project_id: &str, certificate_id: &str, bound_to: &[&str]) {
        self.state.add_certificate(project_id, certificate_id, bound_to.iter().map(|d| d.to_string()).collect());
    }

    /// Adds (or replaces) a certificate with its listing's fields and the domains bound to it;
    /// the gateways it names are added to the project.
    pub fn put_certificate(&self, project_id: &str, certificate_id: &str, meta: CertMeta, bindings: Vec<Binding>) {
        self.state.put_certificate(project_id, certificate_id, meta, bindings);
    }

    /// Throttles APIG requests like a gateway (a token bucket: `rate` per second, `burst` at
    /// once; the rest answered 429 `APIGW.0308`), or no more with None.
    pub fn set_throttle(&self, throttle: Option<Throttle>) {
        self.state.set_throttle(throttle);
    }

    /// Adds a gateway (instance) to a project: every listing of certificates names one.
    pub fn add_gateway(&self, project_id: &str, instance_id: &str) {
        self.state.add_gateway(project_id, instance_id);
    }

    /// The domains still bound to a certificate (None: no such certificate).
    pub fn bindings(&self, project_id: &str, certificate_id: &str) -> Option<Vec<Binding>> {
        self.state.certificate(project_id, certificate_id).map(|c| c.bindings)
    }

    /// The certificates a project still has.
    pub fn certificates(&self, project_id: &str) -> Vec<String> {
        self.state.certificates(project_id)
    }

    /// Accepts another token (the default [`DEFAULT_TOKEN`] is always accepted).
    pub fn add_token(&self, token: &str) {
        self.state.add_token(token);
    }

    /// Accepts another access key pair (the default [`DEFAULT_AK`]/[`DEFAULT_SK`] is always accepted).
    pub fn add_key(&self, ak: &str, sk: &str) {
        self.state.add_key(ak, sk);
    }

    /// Adds a fault rule (checked in the order added).
    pub fn push_rule(&self, rule: Rule) {
        self.state.push_rule(rule);
    }

    /// Removes every fault rule.
    pub fn clear_rules(&self) {
        self.state.clear_rules();
    }

    /// Sets the emulator's clock this many seconds off the real one.
    pub fn set_clock_offset(&self, seconds: i64) {
        self.state.set_clock_offset(seconds);
    }

    /// IAM lists this project for the region `name` (besides [`DEFAULT_REGION`] → [`DEFAULT_PROJECT_ID`]).
    pub fn add_project(&self, name: &str, id: &str) {
        self.identity().projects.push((name.to_string(), id.to_string()));
    }

    /// IAM forgets every project (so that a lookup finds none).
    pub fn clear_projects(&self) {
        self.identity().projects.clear();
    }

    /// IAM accepts this user (besides [`DEFAULT_DOMAIN`]/[`DEFAULT_USER`]/[`DEFAULT_PASSWORD`]).
    pub fn add_user(&self, domain: &str, user: &str, password: &str) {
        self.identity().users.push((domain.to_string(), user.to_string(), password.to_string()));
    }

    /// How long the tokens IAM issues live (default a day).
    pub fn set_token_lifetime(&self, lifetime: Duration) {
        self.identity().token_lifetime = lifetime;
    }

    /// Invalidates every token IAM issued, as IAM does after a password change.
    pub fn revoke_tokens(&self) {
        self.state.revoke_tokens();
    }

    /// Revokes every temporary key the metadata service and pod identity issued (APIG refuses
    /// them from now on), as after an agency's keys were rotated.
    pub fn revoke_temporary_keys(&self) {
        self.state.revoke_temporary_keys();
    }

    /// How long the temporary keys of the metadata service and pod identity live (default an hour).
    pub fn set_credential_lifetime(&self, lifetime: Duration) {
        self.identity().credential_lifetime = lifetime;
    }

    /// How the metadata service behaves (default [`MetadataMode::Normal`]).
    pub fn set_metadata_mode(&self, mode: MetadataMode) {
        self.identity().metadata_mode = mode;
    }

    /// Forgets the metadata session tokens handed out (as if they expired).
    pub fn expire_metadata_sessions(&self) {
        self.identity().sessions.clear();
    }

    /// The token pod identity expects in `Authorization` (default [`DEFAULT_POD_TOKEN`]).
    pub fn set_pod_token(&self, token: &str) {
        self.identity().pod_token = token.to_string();
    }

    /// IAM knows the identity provider `idp_id` and accepts `id_token` through it, and no
    /// other (again for the same IdP: replaced, as when the platform rotates the token).
    pub fn add_idp(&self, idp_id: &str, id_token: &str) {
        let mut identity = self.identity();
        identity.idps.retain(|(i, _)| i != idp_id);
        identity.idps.push((idp_id.to_string(), id_token.to_string()));
    }

    /// The URI to give as `HC_CONTAINER_CREDENTIALS_FULL_URI`.
    pub fn pod_uri(&self) -> String {
        format!("{}{POD_PATH}", self.url())
    }

    /// How often each identity service was asked, and how often an expired temporary key
    /// was used, as JSON (`iam_projects`, `iam_tokens`, `metadata_session_tokens`,
    /// `metadata_credentials`, `pod_credentials`, `iam_id_tokens`, `iam_security_tokens`,
    /// `expired_uses`).
    pub fn counters(&self) -> serde_json::Value {
        self.state.counters.to_json()
    }

    /// The control API (`/_emulator/…`) in-process: `path` without the prefix, e.g. `("GET", "counters")`.
    pub fn control(&self, method: &str, path: &str, body: &str) -> Result<serde_json::Value, String> {
        let method = hyper::Method::from_bytes(method.as_bytes()).map_err(|_| format!("bad method {method:?}"))?;
        let path = format!("/_emulator/{}", path.trim_matches('/'));
        server::control_action(&method, &path, &bytes::Bytes::copy_from_slice(body.as_bytes()), &self.state)
            .map_err(|(status, message)| format!("{status}: {message}"))
    }

    fn identity(&self) -> std::sync::MutexGuard<'_, identity::IdentityStore> {
        crate::sync::lock(&self.state.identity)
    }

    /// Every API request received so far (control requests excluded).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.requests()
    }

    /// Forgets the requests recorded so far.
    pub fn clear_requests(&self) {
        self.state.clear_requests();
    }

    /// Stops serving; open connections are dropped.
    pub fn stop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.stop();
    }
}

fn tls_acceptor(cert: &PathBuf, key: &PathBuf) -> io::Result<tokio_rustls::TlsAcceptor> {
    use tokio_rustls::rustls;
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let bad =
        |what: &str, e: &dyn std::fmt::Display| io::Error::new(io::ErrorKind::InvalidInput, format!("{what}: {e}"));
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| bad("TLS certificate", &e))?
        .collect::<Result<_, _>>()
        .map_err(|e| bad("TLS certificate", &e))?;
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| bad("TLS key", &e))?;
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| bad("TLS", &e))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| bad("TLS", &e))?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}
