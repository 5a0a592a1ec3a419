//! The sources of temporary keys: federated identity (OIDC, given as options or found by
//! `from_env`), and what `from_env` falls back on when neither the caller, the environment nor
//! the credentials file gave credentials: CCE pod identity, then ECS instance metadata. Tried
//! lazily at the first call; the first that works is kept (and renewed); if none works,
//! one error says why each failed, the environment and the file included. A configured IdP is
//! never followed by another source: its failure is the answer (falling through to pod
//! identity or metadata would hide the misconfiguration).

use super::federated::FederatedIdentity;
use super::instance::InstanceMetadata;
use super::pod::PodIdentity;
use super::renewable::Renewable;
use crate::credentials::Credentials;
use crate::error::{Error, ErrorKind, Result};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

pub(crate) enum Source {
    Federated(FederatedIdentity),
    Pod(PodIdentity),
    Metadata(InstanceMetadata),
}

struct Temporary {
    source: Source,
    cache: Renewable<Credentials>,
}

pub(crate) struct Chain {
    /// Why the sources before these gave nothing ("HUAWEICLOUD_SDK_AK not set", …).
    skipped: Vec<String>,
    sources: Vec<Temporary>,
    selected: OnceLock<usize>,
}

impl Temporary {
    fn get(&self, deadline: Instant, ask_again: bool) -> Result<Arc<Credentials>> {
        self.cache.get(deadline, ask_again, || {
            let (name, fetched) = match &self.source {
                Source::Federated(idp) => ("federated identity (OIDC)", idp.fetch(deadline)),
                Source::Pod(pod) => ("CCE pod identity", pod.fetch(deadline)),
                Source::Metadata(metadata) => ("ECS metadata", metadata.fetch(deadline)),
            };
            // No lock is held here (see `Renewable`): the records may go to the application's code.
            match &fetched {
                Ok(f) => log::info!(
                    target: crate::limits::LOG_TARGET,
                    "temporary credentials from {name}, valid until {}",
                    super::wire::format_timestamp(f.expires_at)
                ),
                Err(e) => log::warn!(target: crate::limits::LOG_TARGET, "no temporary credentials from {name}: {}", e.message()),
            }
            fetched
        })
    }
}

impl Chain {
    pub fn new(skipped: Vec<String>, sources: Vec<Source>) -> Chain {
        let sources = sources.into_iter().map(|source| Temporary { source, cache: Renewable::default() }).collect();
        Chain { skipped, sources, selected: OnceLock::new() }
    }

    /// The credentials of the source in use (and which source it is), renewed when due;
    /// `ask_again`: see [`Renewable::get`].
    pub fn current(&self, deadline: Instant, ask_again: bool) -> Result<(usize, Arc<Credentials>)> {
        if let Some(&i) = self.selected.get() {
            return self.sources[i].get(deadline, ask_again).map(|c| (i, c));
        }
        let mut reasons = self.skipped.clone();
        // The first source that answered (an HTTP status): its status, code and request id are kept.
        let mut answered: Option<Error> = None;
        for (i, source) in self.sources.iter().enumerate() {
            match source.get(deadline, ask_again) {
                Ok(credentials) => {
                    let _ = self.selected.set(i);
                    return Ok((i, credentials));
                }
                Err(e) if e.kind() == ErrorKind::Cancelled => return Err(e),
                Err(e) if matches!(source.source, Source::Federated(_)) => return Err(e.into_credentials()),
                Err(e) => {
                    reasons.push(e.message().to_string());
                    if answered.is_none() && e.http_status().is_some() {
                        answered = Some(e);
                    }
                }
            }
        }
        let message = format!("no credentials found: {}", reasons.join("; "));
        Err(match answered {
            Some(e) => e.with_message(message).into_credentials(),
            None => Error::new(ErrorKind::Credentials, message),
        })
    }

    /// What the chain gets keys from, for `repr` and logs.
    pub fn describe(&self) -> &'static str {
        match self.sources.first().map(|t| &t.source) {
            Some(Source::Federated(_)) => "federated identity",
            _ => "pod identity or ECS metadata",
        }
    }

    /// APIG refused `used`, from source `index`: forget them, so that the next attempt fetches anew.
    pub fn refused(&self, index: usize, used: &Arc<Credentials>) {
        if let Some(source) = self.sources.get(index) {
            source.cache.invalidate(used);
        }
    }
}
