//! ECS instance metadata: the temporary AK/SK of the instance's agency
//! (`GET /openstack/latest/securitykey`), with a session token where the service has them.

use super::http::{self, Answer};
use super::renewable::{Fetched, expired_on_arrival};
use super::wire;
use crate::credentials::{Credentials, Secret};
use crate::endpoint::Endpoint;
use crate::error::{Error, ErrorKind, Result};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Where the service is unless told otherwise.
pub const DEFAULT_METADATA_ENDPOINT: &str = "http://169.254.169.254";
/// Lifetime asked for a session token (the maximum), and how long before its end a new one is taken.
const SESSION_TTL: Duration = Duration::from_secs(21_600);
const SESSION_MARGIN: Duration = Duration::from_secs(60);
const NO_AGENCY: &str = "Please configure Cloud Service Agency first";

pub(crate) struct InstanceMetadata {
    endpoint: Endpoint,
    agent: ureq::Agent,
    session: Mutex<Option<(Secret, Instant)>>,
}

enum Session {
    Token(Secret),
    /// An older service without session tokens: ask without one.
    None,
}

impl InstanceMetadata {
    pub fn new(endpoint: Endpoint, agent: ureq::Agent) -> InstanceMetadata {
        InstanceMetadata { endpoint, agent, session: Mutex::new(None) }
    }

    fn what(&self) -> String {
        format!("ECS metadata {}", self.endpoint)
    }

    /// The instance's temporary credentials, within the call's `deadline`.
    pub fn fetch(&self, deadline: Instant) -> Result<Fetched<Credentials>> {
        let what = self.what();
        let mut answer = self.security_key(&self.session(deadline)?, deadline)?;
        if answer.status == 401 && !answer.text().contains(NO_AGENCY) {
            // The session token expired: a new one, once.
            *crate::sync::lock(&self.session) = None;
            answer = self.security_key(&self.session(deadline)?, deadline)?;
        }
        let session_secret = crate::sync::lock(&self.session).as_ref().map(|(s, _)| s.clone());
        let secrets: Vec<&str> = session_secret.iter().map(Secret::expose).collect();
        if answer.text().contains(NO_AGENCY) {
            return Err(Error::invalid(format!(
                "{what}: this instance has no agency (the service says {NO_AGENCY:?}): in the ECS console, \
                 attach an agency that grants APIG permissions to the instance, or give credentials"
            )));
        }
        if !(200..300).contains(&answer.status) {
            return Err(answer.error(Some(&what), &secrets));
        }
        credentials_from(&answer, &what)
    }

    /// A session token (cached), or `Session::None` where the service has none.
    fn session(&self, deadline: Instant) -> Result<Session> {
        if let Some((token, until)) = crate::sync::lock(&self.session).as_ref() {
            if Instant::now() < *until {
                return Ok(Session::Token(token.clone()));
            }
        }
        let what = self.what();
        let url = format!("{}/meta-data/latest/api/token", self.endpoint.origin_and_base());
        let left = http::remaining(deadline, &what)?;
        let request = self.agent.put(&url).config().timeout_global(Some(left)).build();
        let request = request.header("X-Metadata-Token-Ttl-Seconds", SESSION_TTL.as_secs().to_string());
        let answer = match request.send_empty() {
            // An older service may hold the PUT without answering: ask without a token.
            Err(ureq::Error::Timeout(t)) if t != ureq::Timeout::Connect => return Ok(Session::None),
            result => read(&what, result)?,
        };
        match answer.status {
            200..=299 => {
                let token = answer.text().trim().to_string();
                crate::validate::secret("session token", &token, crate::validate::MAX_TOKEN_LEN)
                    .map_err(|e| answer.unusable(&what, e.message()))?;
                let token = Secret::new(token);
                let until = Instant::now() + SESSION_TTL - SESSION_MARGIN;
                *crate::sync::lock(&self.session) = Some((token.clone(), until));
                Ok(Session::Token(token))
            }
            404 | 405 | 503 => Ok(Session::None),
            _ => Err(answer.error(Some(&what), &[])),
        }
    }

    fn security_key(&self, session: &Session, deadline: Instant) -> Result<Answer> {
        let url = format!("{}/openstack/latest/securitykey", self.endpoint.origin_and_base());
        let left = http::remaining(deadline, &self.what())?;
        let mut request = self.agent.get(&url).config().timeout_global(Some(left)).build();
        if let Session::Token(token) = session {
            request = request.header("X-Metadata-Token", token.expose());
        }
        read(&self.what(), request.call())
    }
}

/// Reads an answer; a connect timeout says how long was waited, since this is the usual
/// way of learning that the machine is not an ECS instance.
pub(crate) fn read(
    what: &str,
    result: std::result::Result<ureq::http::Response<ureq::Body>, ureq::Error>,
) -> Result<Answer> {
    match result {
        Err(ureq::Error::Timeout(ureq::Timeout::Connect)) => Err(Error::new(
            ErrorKind::Timeout,
            format!("{what}: connect timed out after {} s", crate::limits::LINK_LOCAL_CONNECT_TIMEOUT.as_secs()),
        )),
        result => http::read(what, result),
    }
}

pub(crate) fn credentials_from(answer: &Answer, what: &str) -> Result<Fetched<Credentials>> {
    let fetched = wire::temporary_credentials(answer.bytes()).map_err(|why| answer.unusable(what, &why))?;
    if let Some(why) = expired_on_arrival(fetched.expires_at) {
        return Err(answer.unusable(what, &format!("the credentials are unusable: {why}")));
    }
    Ok(fetched)
}
