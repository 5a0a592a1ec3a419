//! The options of a [`Client`], checked once when it is built.

use crate::auth::federated::{ENV_ID_TOKEN_FILE, FederatedIdentity};
use crate::auth::iam::Iam;
use crate::auth::instance::{DEFAULT_METADATA_ENDPOINT, InstanceMetadata};
use crate::auth::pod::PodIdentity;
use crate::auth::{Auth, Chain, Identity, Source};
use crate::client::Client;
use crate::credentials::{self, Secret};
use crate::endpoint::Endpoint;
use crate::env::ChainPlan;
use crate::error::{Error, Result};
use crate::transport::{self, TransportOptions};
use crate::validate;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Default connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default deadline for a whole call, retries included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// Default number of retries after the first attempt.
pub const DEFAULT_MAX_RETRIES: u32 = 2;
/// Longest timeout accepted (a day): anything longer is a mistake.
const MAX_TIMEOUT: Duration = Duration::from_secs(86_400);

/// One option of a client, and where each surface takes it: the one list every surface is
/// checked against (`tests/python/test_surfaces.py` names the surface an option is missing from).
#[cfg_attr(not(feature = "test-hooks"), allow(dead_code))]
pub(crate) struct OptionSpec {
    /// The Python keyword argument (and the Rust builder method, where it takes one value).
    pub name: &'static str,
    /// The C function that sets it (`apig_client_options_…`).
    pub c: &'static str,
    /// The CLI flag (a secret is read from a file, standard input or the environment, never argv).
    pub cli: &'static str,
}

/// Every option of a client (`from_env` included), in the order of Python's signature.
#[cfg_attr(not(feature = "test-hooks"), allow(dead_code))]
pub(crate) const OPTIONS: &[OptionSpec] = &[
    OptionSpec { name: "endpoint", c: "set_endpoint", cli: "--endpoint" },
    OptionSpec { name: "endpoints", c: "add_endpoint", cli: "--endpoint" },
    OptionSpec { name: "project_id", c: "set_project_id", cli: "--project-id" },
    OptionSpec { name: "token", c: "set_token", cli: "--token-file" },
    OptionSpec { name: "ak", c: "set_ak_sk", cli: "--ak" },
    OptionSpec { name: "sk", c: "set_ak_sk", cli: "--sk-file" },
    OptionSpec { name: "security_token", c: "set_security_token", cli: "--security-token-file" },
    OptionSpec { name: "region", c: "set_region", cli: "--region" },
    OptionSpec { name: "timeout", c: "set_timeout_ms", cli: "--timeout" },
    OptionSpec { name: "connect_timeout", c: "set_connect_timeout_ms", cli: "--connect-timeout" },
    OptionSpec { name: "max_retries", c: "set_max_retries", cli: "--max-retries" },
    OptionSpec { name: "ca_file", c: "set_ca_file", cli: "--ca-file" },
    OptionSpec { name: "verify", c: "set_verify_tls", cli: "--insecure" },
    OptionSpec { name: "proxy", c: "set_proxy", cli: "--proxy" },
    OptionSpec { name: "allow_insecure_http", c: "set_allow_insecure_http", cli: "--allow-insecure-http" },
    OptionSpec { name: "from_env", c: "load_env", cli: "" },
    OptionSpec { name: "iam_endpoint", c: "set_iam_endpoint", cli: "--iam-endpoint" },
    OptionSpec { name: "metadata_endpoint", c: "set_metadata_endpoint", cli: "--metadata-endpoint" },
    OptionSpec { name: "user_name", c: "set_password", cli: "--user-name" },
    OptionSpec { name: "password", c: "set_password", cli: "--password-stdin" },
    OptionSpec { name: "domain_name", c: "set_password", cli: "--domain-name" },
    OptionSpec { name: "idp_id", c: "set_oidc", cli: "--idp-id" },
    OptionSpec { name: "id_token_file", c: "set_oidc", cli: "--id-token-file" },
    OptionSpec { name: "max_rate", c: "set_max_rate", cli: "--max-rate" },
];

/// Options for a [`Client`]. Nothing is checked until [`ClientBuilder::build`].
#[derive(Clone, Default)]
pub struct ClientBuilder {
    pub(crate) endpoint: Option<String>,
    /// Several endpoints in order of preference (`endpoints`, C `add_endpoint`).
    pub(crate) endpoints: Option<Vec<String>>,
    pub(crate) region: Option<String>,
    pub(crate) project_id: Option<String>,
    pub(crate) token: Option<Secret>,
    pub(crate) ak: Option<String>,
    pub(crate) sk: Option<Secret>,
    pub(crate) security_token: Option<Secret>,
    connect_timeout: Option<Seconds>,
    timeout: Option<Seconds>,
    max_retries: Option<u32>,
    max_rate: Option<f64>,
    ca_file: Option<PathBuf>,
    verify: Option<bool>,
    proxy: Option<String>,
    allow_insecure_http: bool,
    /// IAM password auth, possibly given in parts (by a surface that takes them one by one):
    /// `build` says which part is missing.
    pub(crate) user_name: Option<String>,
    pub(crate) password: Option<Secret>,
    pub(crate) domain_name: Option<String>,
    iam_endpoint: Option<String>,
    metadata_endpoint: Option<String>,
    /// Federated identity, possibly given in parts (`build` says which is missing).
    pub(crate) idp_id: Option<String>,
    pub(crate) id_token_file: Option<PathBuf>,
    /// Set by `from_env` when it found no credentials: pod identity and ECS metadata, lazily.
    chain: Option<ChainPlan>,
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("endpoint", &self.endpoint)
            .field("endpoints", &self.endpoints)
            .field("region", &self.region)
            .field("project_id", &self.project_id)
            .field("token", &self.token)
            .field("ak", &self.ak)
            .field("sk", &self.sk)
            .field("security_token", &self.security_token)
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("max_retries", &self.max_retries)
            .field("max_rate", &self.max_rate)
            .field("ca_file", &self.ca_file)
            .field("verify", &self.verify)
            .field("proxy", &self.proxy.as_ref().map(|_| "<set>"))
            .field("allow_insecure_http", &self.allow_insecure_http)
            .field("user_name", &self.user_name)
            .field("password", &self.password)
            .field("domain_name", &self.domain_name)
            .field("iam_endpoint", &self.iam_endpoint)
            .field("metadata_endpoint", &self.metadata_endpoint)
            .field("idp_id", &self.idp_id)
            .field("id_token_file", &self.id_token_file)
            .field("chain", &self.chain)
            .finish()
    }
}

impl ClientBuilder {
    /// The base URL, e.g. `https://apig.cn-north-4.myhuaweicloud.com`; wins over `region`.
    pub fn endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoint = Some(url.into());
        self
    }
    /// Several endpoints, in order of preference (instead of [`ClientBuilder::endpoint`]): a
    /// call that cannot reach one (DNS failure, connection refused, connect timeout, TLS
    /// failure) tries the next within its deadline; an answer of any status never moves it.
    /// Calls start at the endpoint that answered last, and once a minute one call tries the
    /// first again (see `docs/identity.md`).
    pub fn endpoints<S: Into<String>>(mut self, urls: impl IntoIterator<Item = S>) -> Self {
        self.endpoints = Some(urls.into_iter().map(Into::into).collect());
        self
    }
    /// A region id such as `cn-north-4`; gives `https://apig.{region}.myhuaweicloud.com`
    /// (`HUAWEICLOUD_SDK_REGION_APIG_<REGION>` overrides).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }
    /// The default project for calls.
    pub fn project_id(mut self, id: impl Into<String>) -> Self {
        self.project_id = Some(id.into());
        self
    }
    /// Authenticate with an IAM token (`X-Auth-Token`).
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(Secret::new(token));
        self
    }
    /// Authenticate by signing with an access key pair.
    pub fn ak_sk(mut self, ak: impl Into<String>, sk: impl Into<String>) -> Self {
        self.ak = Some(ak.into());
        self.sk = Some(Secret::new(sk));
        self
    }
    /// The security token of temporary AK/SK credentials.
    pub fn security_token(mut self, token: impl Into<String>) -> Self {
        self.security_token = Some(Secret::new(token));
        self
    }
    /// Connect timeout (default 10 s; more than 0, at most a day).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(Seconds::Exact(timeout));
        self
    }
    /// Deadline for a whole call, retries included (default 60 s; more than 0, at most a day).
    /// A call of several requests (a listing of several pages and gateways, detach-then-delete,
    /// the look-up of a refused delete's bindings) has this deadline for all of them.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(Seconds::Exact(timeout));
        self
    }
    /// [`ClientBuilder::connect_timeout`] in seconds, as languages with floats give it
    /// (checked at [`ClientBuilder::build`], like every option: NaN, negative or too long is refused).
    pub fn connect_timeout_secs(mut self, seconds: f64) -> Self {
        self.connect_timeout = Some(Seconds::Float(seconds));
        self
    }
    /// [`ClientBuilder::timeout`] in seconds (checked at [`ClientBuilder::build`]).
    pub fn timeout_secs(mut self, seconds: f64) -> Self {
        self.timeout = Some(Seconds::Float(seconds));
        self
    }
    /// Retries after the first attempt (default 2; 0 disables).
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = Some(retries);
        self
    }
    /// The most requests per second the client sends, over all its calls and threads (your
    /// quota, when you know it): 0.01 to 100,000. Without it the client sends as fast
    /// as its calls go until the gateway throttles, then finds the rate it admits by itself.
    pub fn max_rate(mut self, requests_per_second: f64) -> Self {
        self.max_rate = Some(requests_per_second);
        self
    }
    /// Also trust the CA certificates of this PEM file (added to the built-in Mozilla roots).
    pub fn ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_file = Some(path.into());
        self
    }
    /// `false` disables TLS certificate verification (default `true`). Only for tests.
    pub fn verify(mut self, verify: bool) -> Self {
        self.verify = Some(verify);
        self
    }
    /// An explicit proxy URL; by default `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY` apply.
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.proxy = Some(url.into());
        self
    }
    /// Allow plain `http://` to a host that is not loopback (the token then travels in clear text).
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }
    /// Authenticate as an IAM user: a project-scoped token is obtained from IAM at the first
    /// call, kept until shortly before it expires, and obtained anew once if APIG refuses it.
    /// `domain_name` is the account name. The password is never shown.
    pub fn password(
        mut self,
        user_name: impl Into<String>,
        password: impl Into<String>,
        domain_name: impl Into<String>,
    ) -> Self {
        self.user_name = Some(user_name.into());
        self.password = Some(Secret::new(password));
        self.domain_name = Some(domain_name.into());
        self
    }
    /// IAM's endpoint, for project id discovery and password tokens (default
    /// `HUAWEICLOUD_SDK_IAM_ENDPOINT`, else `https://iam.{region}.myhuaweicloud.com`).
    pub fn iam_endpoint(mut self, url: impl Into<String>) -> Self {
        self.iam_endpoint = Some(url.into());
        self
    }
    /// The ECS metadata service (default `APIG_METADATA_ENDPOINT`, else `http://169.254.169.254`);
    /// used only by the `from_env` chain. Plain http is allowed; never through a proxy.
    pub fn metadata_endpoint(mut self, url: impl Into<String>) -> Self {
        self.metadata_endpoint = Some(url.into());
        self
    }

    /// Federated identity (OIDC, as CCE workload identity): the ID token in `id_token_file`
    /// (read again at every renewal) is exchanged at IAM, through the identity provider
    /// `idp_id`, for temporary AK/SK, renewed before they expire. Needs IAM's endpoint
    /// (`region` or `iam_endpoint`). Given with [`ClientBuilder::id_token_file`].
    pub fn idp_id(mut self, idp_id: impl Into<String>) -> Self {
        self.idp_id = Some(idp_id.into());
        self
    }
    /// The file holding the ID token of federated identity (see [`ClientBuilder::idp_id`]).
    pub fn id_token_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.id_token_file = Some(path.into());
        self
    }

    /// Fills what is still unset from the environment and the credentials file, as the
    /// official SDKs name them: `HUAWEICLOUD_SDK_AK`, `_SK`, `_SECURITY_TOKEN`, `_PROJECT_ID`,
    /// then the file (`HUAWEICLOUD_SDK_CREDENTIALS_FILE`, else `~/.huaweicloud/credentials`,
    /// section `[basic]`). Explicit settings win. When neither gives credentials, the first call
    /// uses federated identity (`HUAWEICLOUD_SDK_IDP_ID` and `HUAWEICLOUD_SDK_ID_TOKEN_FILE`) if
    /// they are set, else tries CCE pod identity, then ECS instance metadata (no network I/O here).
    pub fn from_env(self) -> Result<Self> {
        self.from_env_with(|name| std::env::var(name).ok())
    }

    /// As [`ClientBuilder::from_env`], with the variables from `lookup` instead of the
    /// process environment (tests, or a configuration held elsewhere).
    ///
    /// ```
    /// let vars = [("HUAWEICLOUD_SDK_AK", "AK0000000000000000001"), ("HUAWEICLOUD_SDK_SK", "secret"),
    ///             ("HUAWEICLOUD_SDK_PROJECT_ID", "0123456789abcdef0123456789abcdef")];
    /// let client = apig::Client::builder()
    ///     .region("cn-north-4")
    ///     .from_env_with(|name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string()))?
    ///     .build()?;
    /// assert_eq!((client.auth_kind(), client.project_id()), ("ak/sk", Some("0123456789abcdef0123456789abcdef")));
    /// # Ok::<(), apig::Error>(())
    /// ```
    pub fn from_env_with(mut self, lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let given = crate::env::Given {
            credentials: self.token.is_some()
                || self.ak.is_some()
                || self.sk.is_some()
                || self.user_name.is_some()
                || self.password.is_some()
                || self.domain_name.is_some()
                || self.idp_id.is_some()
                || self.id_token_file.is_some(),
            security_token: self.security_token.is_some(),
            project_id: self.project_id.is_some(),
        };
        let found = crate::env::read(given, &lookup)?;
        // `read` fills only what `given` says is unset: nothing the caller set is replaced.
        self.ak = self.ak.or(found.ak);
        self.sk = self.sk.or(found.sk);
        self.security_token = self.security_token.or(found.security_token);
        self.project_id = self.project_id.or(found.project_id);
        self.chain = self.chain.or(found.chain);
        // Half of federated identity given: the other half from the environment.
        let set = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        match (&self.idp_id, &self.id_token_file) {
            (Some(_), None) => self.id_token_file = set(crate::auth::federated::ENV_ID_TOKEN_FILE).map(Into::into),
            (None, Some(_)) => self.idp_id = set(crate::auth::federated::ENV_IDP_ID),
            _ => {}
        }
        Ok(self)
    }

    /// Checks every option and builds the client. No I/O except reading `ca_file`.
    ///
    /// ```
    /// let err = apig::Client::builder().endpoint("http://apig.example.com").token("t").build().unwrap_err();
    /// assert_eq!(err.kind(), apig::ErrorKind::InvalidArgument);
    /// assert!(err.message().contains("plain http"));
    ///
    /// let err = apig::Client::builder().region("cn-north-4").token("t").ak_sk("AK", "SK").build().unwrap_err();
    /// assert!(err.message().starts_with("conflicting credentials"));
    ///
    /// let client = apig::Client::builder().region("eu-west-101").token("t").build()?;
    /// assert_eq!(client.endpoint(), "https://apig.eu-west-101.myhuaweicloud.eu");
    /// # Ok::<(), apig::Error>(())
    /// ```
    pub fn build(self) -> Result<Client> {
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let endpoints = match (&self.endpoint, &self.endpoints, &self.region) {
            (Some(_), Some(_), _) => {
                return Err(Error::invalid("conflicting endpoints: give endpoint or endpoints, not both"));
            }
            (Some(url), None, _) => vec![Endpoint::parse(url, self.allow_insecure_http)?],
            (None, Some(urls), _) if urls.is_empty() => return Err(Error::invalid("endpoints is empty")),
            (None, Some(urls), _) => {
                let urls: Vec<&str> = urls.iter().map(String::as_str).collect();
                crate::endpoint::parse_list(&urls, self.allow_insecure_http)?
            }
            (None, None, Some(region)) => crate::env::region_endpoints(region, &|n| std::env::var(n).ok())?,
            (None, None, None) => return Err(Error::invalid("no endpoint: give endpoint or region")),
        };
        if let Some(region) = &self.region {
            crate::endpoint::check_region(region)?;
        }
        if let Some(project) = &self.project_id {
            validate::id("project_id", project)?;
        }
        let given = credentials::from_parts(
            self.token.map(|s| s.expose().to_string()),
            self.ak,
            self.sk.map(|s| s.expose().to_string()),
            self.security_token.map(|s| s.expose().to_string()),
            (self.user_name, self.password, self.domain_name),
        )?;
        let federated = match (self.idp_id, self.id_token_file) {
            (None, None) => None,
            (Some(_), _) | (_, Some(_)) if given.is_some() => {
                return Err(Error::invalid(
                    "conflicting credentials: give one of token, ak/sk, user_name/password/domain_name, \
                     or idp_id/id_token_file",
                ));
            }
            (Some(idp_id), Some(file)) => {
                crate::auth::federated::check_idp_id("idp_id", &idp_id)?;
                if file.as_os_str().is_empty() {
                    return Err(Error::invalid("id_token_file is empty"));
                }
                Some((idp_id, file, "id_token_file"))
            }
            (Some(_), None) => {
                return Err(Error::invalid("incomplete federated credentials: idp_id given without id_token_file"));
            }
            (None, Some(_)) => {
                return Err(Error::invalid("incomplete federated credentials: id_token_file given without idp_id"));
            }
        };
        let connect_timeout = check_timeout("connect_timeout", self.connect_timeout, DEFAULT_CONNECT_TIMEOUT)?;
        let timeout = check_timeout("timeout", self.timeout, DEFAULT_TIMEOUT)?;
        let max_retries = self.max_retries.unwrap_or(DEFAULT_MAX_RETRIES);
        if max_retries > 100 {
            return Err(Error::invalid("max_retries is over 100"));
        }
        if let Some(rate) = self.max_rate {
            if !(rate.is_finite() && (0.01..=100_000.0).contains(&rate)) {
                return Err(Error::invalid("max_rate must be 0.01 to 100000 requests per second"));
            }
        }
        if let Some(proxy) = &self.proxy {
            if proxy.is_empty() || proxy.chars().any(|c| c.is_control() || c.is_whitespace()) {
                return Err(Error::invalid("proxy is not a valid proxy URL"));
            }
        }
        let iam_endpoint = match (self.iam_endpoint, env(ENV_IAM_ENDPOINT), &self.region) {
            (Some(url), _, _) => Some(named_endpoint("iam_endpoint", &url, self.allow_insecure_http)?),
            // As the Go SDK does: a bare host name means https.
            (None, Some(url), _) => {
                Some(named_endpoint(ENV_IAM_ENDPOINT, &with_scheme(&url), self.allow_insecure_http)?)
            }
            (None, None, Some(region)) => Some(Endpoint::for_service(region, "iam")?),
            (None, None, None) => None,
        };
        // The metadata service is link-local by nature: plain http is its normal form.
        let metadata_endpoint = match self.metadata_endpoint.or_else(|| env(ENV_METADATA_ENDPOINT)) {
            Some(url) => named_endpoint("metadata_endpoint", &url, true)?,
            None => Endpoint::parse(DEFAULT_METADATA_ENDPOINT, true)?,
        };
        let transport = TransportOptions {
            connect_timeout,
            verify_tls: self.verify.unwrap_or(true),
            ca_file: self.ca_file,
            proxy: self.proxy,
        };
        // The pool of these transport options: looked up in the chain's branch (its link-local
        // agent shares the pool's TLS configuration), else after the credentials are checked.
        let mut pooled = None;
        let needs_iam = || {
            iam_endpoint
                .clone()
                .ok_or_else(|| Error::invalid("federated identity needs IAM's endpoint: give region or iam_endpoint"))
        };
        let env_idp = self.chain.as_ref().and_then(|plan| plan.idp.clone());
        let auth = match (given, federated, self.chain) {
            (Some(credentials::Given::Credentials(c)), ..) => Auth::Static(Arc::new(c)),
            (Some(credentials::Given::Password(p)), ..) => Auth::Password { password: p, tokens: Default::default() },
            (None, Some((idp_id, file, named_by)), _) => {
                let (agent, _) = transport::shared_pool(&transport)?;
                pooled = Some(agent.clone());
                let idp = FederatedIdentity::new(needs_iam()?, idp_id, file, named_by, agent);
                Auth::Chain(Chain::new(Vec::new(), vec![Source::Federated(idp)]))
            }
            (None, None, Some(plan)) if env_idp.is_some() => {
                let (idp_id, file) = env_idp.unwrap_or_default();
                let (agent, _) = transport::shared_pool(&transport)?;
                pooled = Some(agent.clone());
                let idp = FederatedIdentity::new(needs_iam()?, idp_id, file, ENV_ID_TOKEN_FILE, agent);
                Auth::Chain(Chain::new(plan.skipped, vec![Source::Federated(idp)]))
            }
            (None, None, Some(plan)) => {
                let (agent, tls) = transport::shared_pool(&transport)?;
                let local = transport::build_local_agent(&tls);
                pooled = Some(agent);
                let mut sources = Vec::new();
                if let Some((uri, token_file)) = plan.pod {
                    let pod = named_endpoint(crate::auth::pod::ENV_POD_URI, &uri, true)?.check_local_http(
                        crate::auth::pod::ENV_POD_URI,
                        true,
                        self.allow_insecure_http,
                    )?;
                    sources.push(Source::Pod(PodIdentity::new(pod, token_file, local.clone())));
                }
                // Checked only where it is used: the chain asks it for keys.
                let metadata_endpoint =
                    metadata_endpoint.check_local_http("metadata_endpoint", true, self.allow_insecure_http)?;
                sources.push(Source::Metadata(InstanceMetadata::new(metadata_endpoint, local)));
                Auth::Chain(Chain::new(plan.skipped, sources))
            }
            (None, None, None) => {
                return Err(Error::invalid(
                    "no credentials: give a token, ak and sk (optionally with security_token), \
                     user_name, password and domain_name, or idp_id and id_token_file; or use from_env",
                ));
            }
        };
        let agent = match pooled {
            Some(agent) => agent,
            None => transport::shared_pool(&transport)?.0,
        };
        let iam = iam_endpoint.map(|e| Iam::new(e, agent.clone()));
        let identity = Identity::new(auth, iam, self.region);
        let limits = crate::client::Limits { timeout, max_retries, max_rate: self.max_rate };
        Ok(Client::new(endpoints, self.project_id, identity, limits, agent))
    }
}

/// `HUAWEICLOUD_SDK_IAM_ENDPOINT`: the official SDKs' name for IAM's endpoint.
pub const ENV_IAM_ENDPOINT: &str = "HUAWEICLOUD_SDK_IAM_ENDPOINT";
/// `APIG_METADATA_ENDPOINT`: another address for the ECS metadata service (tests, the emulator).
pub const ENV_METADATA_ENDPOINT: &str = "APIG_METADATA_ENDPOINT";

fn named_endpoint(name: &str, url: &str, allow_insecure_http: bool) -> Result<Endpoint> {
    Endpoint::parse(url, allow_insecure_http).map_err(|e| Error::invalid(format!("{name}: {}", e.message())))
}

fn with_scheme(url: &str) -> String {
    let lower = url.trim().to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        url.trim().to_string()
    } else {
        format!("https://{}", url.trim())
    }
}

/// A timeout as a surface gave it: exact (Rust, C milliseconds) or as float seconds (Python,
/// the CLI), which may be anything a float can be.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Seconds {
    Exact(Duration),
    Float(f64),
}

/// The one check of every timeout, whatever surface it came from.
fn check_timeout(field: &str, value: Option<Seconds>, default: Duration) -> Result<Duration> {
    let refuse = || Error::invalid(format!("{field} must be more than 0 and at most 86400 seconds"));
    let value = match value {
        None => default,
        Some(Seconds::Exact(d)) => d,
        Some(Seconds::Float(s)) if s.is_finite() && s > 0.0 && s <= MAX_TIMEOUT.as_secs_f64() => {
            Duration::from_secs_f64(s)
        }
        Some(Seconds::Float(_)) => return Err(refuse()),
    };
    if value.is_zero() || value > MAX_TIMEOUT {
        return Err(refuse());
    }
    Ok(value)
}
