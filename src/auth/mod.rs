//! Identity: the credentials a request is authenticated with and the project it is for,
//! from whatever source the client was given (docs/identity.md): a token, an AK/SK,
//! an IAM password (tokens obtained from IAM), or the chain `from_env` falls back on (CCE
//! pod identity, ECS metadata). Nothing here does I/O before the first call needs it.

mod chain;
pub(crate) mod federated;
mod http;
pub(crate) mod iam;
pub(crate) mod instance;
pub(crate) mod pod;
mod renewable;
#[cfg(feature = "internals")]
pub mod wire;
#[cfg(not(feature = "internals"))]
pub(crate) mod wire;

pub(crate) use crate::credentials::Password;
pub(crate) use chain::{Chain, Source};

use crate::credentials::Credentials;
use crate::error::{Error, Result};
use iam::{Iam, IamToken, Scope};
use renewable::{Fetched, Renewable};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

/// Where a client's credentials come from.
pub(crate) enum Auth {
    Static(Arc<Credentials>),
    Password { password: Password, tokens: Mutex<HashMap<Scope, Arc<Renewable<IamToken>>>> },
    Chain(Chain),
}

/// What one attempt uses.
pub(crate) struct Resolved {
    pub credentials: Arc<Credentials>,
    pub project_id: String,
    /// Where `credentials` came from, to forget them when APIG refuses them.
    origin: Origin,
}

/// Where the credentials of an attempt came from, when they can be fetched anew.
enum Origin {
    Given,
    /// An IAM token for a password.
    Token(Arc<Renewable<IamToken>>, Arc<IamToken>),
    /// Temporary keys from the source of the chain at this index.
    Temporary(usize),
}

/// What an attempt brings to the identity sources: its deadline, and whether it retries after
/// an identity failure.
#[derive(Clone, Copy)]
struct Attempt {
    deadline: Instant,
    ask_again: bool,
}

/// How long a discovered project id is kept: for the client's life.
const FOR_GOOD: Duration = Duration::from_secs(10 * 365 * 86_400);

pub(crate) struct Identity {
    auth: Auth,
    iam: Option<Iam>,
    region: Option<String>,
    /// The project id found through IAM (when none was given), kept for the client's life;
    /// asked once while the other calls wait within their deadlines.
    discovered: Renewable<String>,
}

impl Identity {
    pub fn new(auth: Auth, iam: Option<Iam>, region: Option<String>) -> Identity {
        Identity { auth, iam, region, discovered: Renewable::default() }
    }

    /// A short name of the kind of credentials, for `repr` and logs.
    pub fn describe(&self) -> &'static str {
        match &self.auth {
            Auth::Static(c) => match c.as_ref() {
                Credentials::Token(_) => "token",
                Credentials::AkSk { security_token: Some(_), .. } => "temporary ak/sk",
                Credentials::AkSk { .. } => "ak/sk",
            },
            Auth::Password { .. } => "password",
            Auth::Chain(chain) => chain.describe(),
        }
    }

    pub fn is_aksk(credentials: &Credentials) -> bool {
        matches!(credentials, Credentials::AkSk { .. })
    }

    /// Secrets that are not in the credentials of a request (the password), for scrubbing.
    pub fn password(&self) -> Option<&str> {
        match &self.auth {
            Auth::Password { password, .. } => Some(password.password.expose()),
            _ => None,
        }
    }

    fn discovered(&self) -> Option<String> {
        self.discovered.peek().map(|id| id.as_ref().clone())
    }

    /// Checks, before any I/O, that a call can know its project.
    pub fn check_project(&self, given: Option<&str>) -> Result<()> {
        if given.is_some() || self.discovered().is_some() {
            return Ok(());
        }
        if matches!(&self.auth, Auth::Static(c) if matches!(c.as_ref(), Credentials::Token(_))) {
            return Err(Error::invalid(
                "project_id is missing: give it to the client or to the call (with a token it cannot be looked up)",
            ));
        }
        if self.region.is_none() {
            return Err(Error::invalid(
                "project_id is missing: give it to the client or to the call, or give region to look it up in IAM",
            ));
        }
        Ok(())
    }

    /// The credentials and project of one attempt; `given` is the caller's project, if any.
    /// Any failure to obtain them is a [`crate::ErrorKind::Credentials`] error (a stop stays a
    /// stop): an identity service's answer is never taken for APIG's.
    /// `ask_again`: this call failed to obtain them before and retries, so a failure that
    /// another call shared is not its answer (the service is asked again).
    pub fn resolve(
        &self,
        given: Option<&str>,
        deadline: Instant,
        clock_offset: i64,
        ask_again: bool,
    ) -> Result<Resolved> {
        let at = Attempt { deadline, ask_again };
        self.resolve_any(given, at, clock_offset).map_err(Error::into_credentials)
    }

    fn resolve_any(&self, given: Option<&str>, at: Attempt, clock_offset: i64) -> Result<Resolved> {
        let (credentials, origin) = match &self.auth {
            Auth::Static(c) => (c.clone(), Origin::Given),
            Auth::Chain(chain) => {
                let (index, credentials) = chain.current(at.deadline, at.ask_again)?;
                (credentials, Origin::Temporary(index))
            }
            Auth::Password { password, tokens } => return self.resolve_password(password, tokens, given, at),
        };
        let project_id = match given {
            Some(p) => p.to_string(),
            None => self.discover(&credentials, at, clock_offset)?,
        };
        Ok(Resolved { credentials, project_id, origin })
    }

    fn iam(&self) -> Result<&Iam> {
        self.iam.as_ref().ok_or_else(|| Error::invalid("no IAM endpoint: give region or iam_endpoint"))
    }

    fn region(&self) -> Result<&str> {
        self.region.as_deref().ok_or_else(|| Error::invalid("project_id is missing: give project_id or region"))
    }

    /// The project of `region`, asked of IAM once per client (and cached per process).
    fn discover(&self, credentials: &Credentials, at: Attempt, clock_offset: i64) -> Result<String> {
        let id = self.discovered.get(at.deadline, at.ask_again, || {
            let id = self.iam()?.project_id(credentials, self.region()?, at.deadline, clock_offset)?;
            Ok(Fetched { value: id, expires_at: SystemTime::now() + FOR_GOOD })
        })?;
        Ok(id.as_ref().clone())
    }

    fn resolve_password(
        &self,
        password: &Password,
        tokens: &Mutex<HashMap<Scope, Arc<Renewable<IamToken>>>>,
        given: Option<&str>,
        at: Attempt,
    ) -> Result<Resolved> {
        let deadline = at.deadline;
        let known = given.map(str::to_string).or_else(|| self.discovered());
        let scope = match &known {
            Some(id) => Scope::Id(id.clone()),
            None => Scope::Name(self.region()?.to_string()),
        };
        let iam = self.iam()?;
        // One login for every scope: a refused password is refused whatever the project.
        let refused = crate::sync::lock(tokens).get(&Scope::Refused).cloned();
        if let Some(refused) = refused {
            refused.get(deadline, false, unreachable_fetch)?;
        }
        let cell = crate::sync::lock(tokens).entry(scope.clone()).or_default().clone();
        let token = match cell.get(deadline, at.ask_again, || iam.password_token(password, &scope, deadline)) {
            Ok(token) => token,
            Err(e) if e.http_status() == Some(401) => {
                // IAM refused the password: never again with this client (each try counts towards
                // the account's lock-out), and every call says so at once.
                let refused = Arc::new(Renewable::default());
                refused.fail_for_good(e.clone().into_credentials());
                cell.fail_for_good(e.clone().into_credentials());
                crate::sync::lock(tokens).insert(Scope::Refused, refused);
                return Err(e);
            }
            Err(e) => return Err(e),
        };
        let project_id = match (known, &token.project_id) {
            (Some(id), _) => id,
            (None, Some(id)) => {
                crate::validate::id("the project id in IAM's token", id)?;
                // Later calls ask by id: the token scoped by name serves them too.
                tokens
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .entry(Scope::Id(id.clone()))
                    .or_insert_with(|| cell.clone());
                self.discovered.offer(id.clone(), SystemTime::now() + FOR_GOOD).as_ref().clone()
            }
            (None, None) => {
                return Err(Error::new(
                    crate::error::ErrorKind::Protocol,
                    format!("IAM {}: the token names no project: give project_id", iam.endpoint()),
                ));
            }
        };
        Ok(Resolved { credentials: token.credentials.clone(), project_id, origin: Origin::Token(cell, token) })
    }

    /// APIG refused the credentials of `resolved` (401): forget an IAM token or temporary keys
    /// so that the next attempt fetches new ones. True when that is worth a retry.
    pub fn refused(&self, resolved: &Resolved) -> bool {
        match (&resolved.origin, &self.auth) {
            (Origin::Token(cell, token), _) => {
                cell.invalidate(token);
                true
            }
            (Origin::Temporary(index), Auth::Chain(chain)) => {
                chain.refused(*index, &resolved.credentials);
                true
            }
            _ => false,
        }
    }
}

/// The fetch of a cell that holds a refusal for good: never run.
fn unreachable_fetch<T>() -> Result<Fetched<T>> {
    Err(Error::new(crate::error::ErrorKind::Internal, "a refused password was tried again"))
}
