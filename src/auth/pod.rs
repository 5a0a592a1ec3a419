//! CCE pod identity: temporary AK/SK for the pod's service account
//! (`POST` to the URI with the token file's content as `Authorization`). The token file is read again at every fetch: the platform rotates it.

use super::http::remaining;
use super::instance::{credentials_from, read};
use super::renewable::Fetched;
use crate::credentials::Credentials;
use crate::endpoint::Endpoint;
use crate::error::{Error, Result};
use std::path::PathBuf;
use std::time::Instant;

pub const ENV_POD_URI: &str = "HC_CONTAINER_CREDENTIALS_FULL_URI";
pub const ENV_POD_TOKEN_FILE: &str = "HC_CONTAINER_AUTHORIZATION_TOKEN_FILE";

pub(crate) struct PodIdentity {
    endpoint: Endpoint,
    token_file: PathBuf,
    agent: ureq::Agent,
}

impl PodIdentity {
    pub fn new(endpoint: Endpoint, token_file: PathBuf, agent: ureq::Agent) -> PodIdentity {
        PodIdentity { endpoint, token_file, agent }
    }

    /// The pod's temporary credentials, within the call's `deadline`.
    pub fn fetch(&self, deadline: Instant) -> Result<Fetched<Credentials>> {
        let what = format!("pod identity {}", self.endpoint);
        let token = crate::files::read_text(&self.token_file, crate::files::MAX_FILE_BYTES).map_err(|e| {
            Error::invalid(format!(
                "{what}: cannot read the token file {} ({ENV_POD_TOKEN_FILE}): {e}",
                self.token_file.display()
            ))
        })?;
        // As is (no "Bearer "); only the line end a file usually has is dropped.
        let token = token.trim_end_matches(['\n', '\r']);
        crate::validate::secret("the pod identity token", token, crate::validate::MAX_TOKEN_LEN)
            .map_err(|e| Error::invalid(format!("{what}: {} ({})", e.message(), self.token_file.display())))?;
        let request = self.agent.post(&self.endpoint.origin_and_base()).config();
        let request = request.timeout_global(Some(remaining(deadline, &what)?)).build().header("Authorization", token);
        let answer = read(&what, request.header("Content-Type", "application/json").send("{}"))?;
        if !(200..300).contains(&answer.status) {
            return Err(answer.error(Some(&what), &[token]));
        }
        credentials_from(&answer, &what)
    }
}
