//! IAM: the project id of a region (`GET /v3/projects?name=…`, signed with the AK/SK) and
//! project-scoped user tokens from a password (`POST /v3/auth/tokens`).

use super::http::{self, Answer};
use super::renewable::{Fetched, expired_on_arrival};
use super::wire;
use crate::credentials::{Credentials, Password, Secret};
use crate::endpoint::Endpoint;
use crate::error::{Error, ErrorKind, Result};
use crate::signing;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Which project a token is for: by id when it is known, else the region's main project by name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Scope {
    Id(String),
    Name(String),
    /// Not a scope: where a client keeps IAM's refusal of its password.
    Refused,
}

/// A project-scoped IAM token and the project it is for.
pub(crate) struct IamToken {
    pub credentials: std::sync::Arc<Credentials>,
    pub project_id: Option<String>,
}

pub(crate) struct Iam {
    endpoint: Endpoint,
    agent: ureq::Agent,
}

/// (IAM endpoint, AK, region) → project id.
type Discovered = Mutex<HashMap<(String, String, String), String>>;

/// Project ids found, per (IAM endpoint, AK, region), for the life of the process.
fn discovered() -> &'static Discovered {
    static CACHE: std::sync::OnceLock<Discovered> = std::sync::OnceLock::new();
    CACHE.get_or_init(Default::default)
}

impl Iam {
    pub fn new(endpoint: Endpoint, agent: ureq::Agent) -> Iam {
        Iam { endpoint, agent }
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    fn what(&self) -> String {
        format!("IAM {}", self.endpoint)
    }

    /// The id of the project named `region`, looked up once per (IAM endpoint, AK, region).
    pub fn project_id(&self, keys: &Credentials, region: &str, deadline: Instant, clock_offset: i64) -> Result<String> {
        let Credentials::AkSk { ak, sk, security_token } = keys else {
            return Err(Error::invalid("project_id is missing: with a token, give project_id"));
        };
        let key = (self.endpoint.origin_and_base(), ak.clone(), region.to_string());
        if let Some(id) = crate::sync::lock(discovered()).get(&key) {
            return Ok(id.clone());
        }
        let what = format!("{} (looking up the project id of region {region})", self.what());
        let path = format!("{}/v3/projects", self.endpoint.base_path());
        let url =
            format!("{}/v3/projects?name={}", self.endpoint.origin_and_base(), signing::encode(region.as_bytes()));
        let host = self.endpoint.host_header();
        let now = unix_now() + clock_offset;
        let date = signing::sdk_date(now);
        let mut headers: Vec<(&str, &str)> = vec![("Host", &host), ("X-Sdk-Date", &date)];
        if let Some(st) = security_token {
            headers.push(("X-Security-Token", st.expose()));
        }
        let input = signing::SigningInput {
            method: "GET",
            path: &path,
            query: &[("name", region)],
            headers: &headers,
            body_sha256: signing::EMPTY_BODY_SHA256,
        };
        let authorization = signing::authorization(ak, sk.expose(), &date, &input);
        let mut request = self.agent.get(&url).config().timeout_global(Some(http::remaining(deadline, &what)?)).build();
        request = request.header("Authorization", &authorization);
        for (name, value) in &headers {
            request = request.header(*name, *value);
        }
        let answer = http::send(&what, request)?;
        let secrets = keys.secrets();
        if !(200..300).contains(&answer.status) {
            return Err(answer.error(Some(&what), &secrets));
        }
        let ids = wire::project_ids(answer.bytes(), region).map_err(|why| answer.unusable(&what, &why))?;
        match ids.as_slice() {
            [id] => {
                crate::validate::id("the project id IAM gave", id).map_err(|e| answer.unusable(&what, e.message()))?;
                crate::sync::lock(discovered()).insert(key, id.clone());
                log::info!(target: crate::limits::LOG_TARGET, "project id of region {region} from {}: {id}", self.what());
                Ok(id.clone())
            }
            [] => Err(Error::invalid(format!(
                "{what}: no project named {region} in this account: check the region, or give project_id"
            ))),
            several => Err(Error::invalid(format!(
                "{what}: several projects named {region} ({}): give project_id",
                several.join(", ")
            ))),
        }
    }

    /// A new project-scoped token for `password` (`X-Subject-Token` of a 201).
    pub fn password_token(&self, password: &Password, scope: &Scope, deadline: Instant) -> Result<Fetched<IamToken>> {
        let scope_json = match scope {
            Scope::Id(id) => serde_json::json!({"project": {"id": id}}),
            Scope::Name(name) => serde_json::json!({"project": {"name": name}}),
            Scope::Refused => return Err(Error::new(ErrorKind::Internal, "a refused password was tried again")),
        };
        let body = serde_json::json!({"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": password.user_name,
                "password": password.password.expose(),
                "domain": {"name": password.domain_name}}}},
            "scope": scope_json}})
        .to_string();
        let what = format!(
            "{} (token for IAM user {:?} of account {:?})",
            self.what(),
            password.user_name,
            password.domain_name
        );
        let url = format!("{}/v3/auth/tokens?nocatalog=true", self.endpoint.origin_and_base());
        let request = self.agent.post(&url).config().timeout_global(Some(http::remaining(deadline, &what)?)).build();
        let answer = http::send_json(&what, request, &body)?;
        let secrets = [password.password.expose()];
        if !(200..300).contains(&answer.status) {
            return Err(answer.error(Some(&what), &secrets));
        }
        let token = token_from(&answer, &what)?;
        log::info!(
            target: crate::limits::LOG_TARGET,
            "{what}: a token for project {}, valid until {}",
            token.value.project_id.as_deref().unwrap_or("?"),
            wire::format_timestamp(token.expires_at)
        );
        Ok(token)
    }
}

fn token_from(answer: &Answer, what: &str) -> Result<Fetched<IamToken>> {
    let token = answer.subject_token.as_deref().ok_or_else(|| answer.unusable(what, "no X-Subject-Token header"))?;
    crate::validate::secret("token", token, crate::validate::MAX_TOKEN_LEN)
        .map_err(|e| answer.unusable(what, &format!("the X-Subject-Token header is unusable: {}", e.message())))?;
    let body = wire::token_body(answer.bytes()).map_err(|why| answer.unusable(what, &why))?;
    if let Some(why) = expired_on_arrival(body.expires_at) {
        return Err(answer.unusable(what, &format!("the token is unusable: {why}")));
    }
    let credentials = std::sync::Arc::new(Credentials::Token(Secret::new(token)));
    Ok(Fetched { value: IamToken { credentials, project_id: body.project_id }, expires_at: body.expires_at })
}

fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}
