//! The sources `from_env` falls back on when neither the caller, the environment nor the
//! credentials file gave credentials: CCE pod identity, then ECS instance metadata. Tried
//! lazily at the first call; the first that works is kept (and renewed); if none works,
//! one error says why each failed, the environment and the file included.

use super::instance::InstanceMetadata;
use super::pod::PodIdentity;
use super::renewable::Renewable;
use crate::credentials::Credentials;
use crate::error::{Error, ErrorKind, Result};
use std::sync::{Arc, OnceLock};

pub(crate) enum Source {
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
    fn get(&self) -> Result<Arc<Credentials>> {
        self.cache.get(|| {
            let (name, fetched) = match &self.source {
                Source::Pod(pod) => ("CCE pod identity", pod.fetch()),
                Source::Metadata(metadata) => ("ECS metadata", metadata.fetch()),
            };
            match &fetched {
                Ok(f) => log::info!(
                    target: crate::client::LOG_TARGET,
                    "temporary credentials from {name}, valid until {}",
                    super::wire::format_timestamp(f.expires_at)
                ),
                Err(e) => log::warn!(target: crate::client::LOG_TARGET, "no temporary credentials from {name}: {}", e.message()),
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

    /// The credentials of the source in use, renewed when due.
    pub fn current(&self) -> Result<Arc<Credentials>> {
        if let Some(&i) = self.selected.get() {
            return self.sources[i].get();
        }
        let mut reasons = self.skipped.clone();
        let mut kind = ErrorKind::InvalidArgument;
        for (i, source) in self.sources.iter().enumerate() {
            match source.get() {
                Ok(credentials) => {
                    let _ = self.selected.set(i);
                    return Ok(credentials);
                }
                Err(e) => {
                    // A source that is there but answered badly says more than "not configured".
                    if !matches!(e.kind(), ErrorKind::InvalidArgument | ErrorKind::Connect | ErrorKind::Timeout) {
                        kind = e.kind();
                    }
                    reasons.push(e.message().to_string());
                }
            }
        }
        Err(Error::new(kind, format!("no credentials found: {}", reasons.join("; "))))
    }
}
