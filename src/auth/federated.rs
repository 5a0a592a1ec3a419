//! Federated (OIDC) identity, as CCE workload identity uses it: the pod's projected
//! service-account token (an ID token) is exchanged at IAM for an unscoped token
//! (`POST /v3.0/OS-AUTH/id-token/tokens`, header `X-Idp-Id`), and that token for temporary
//! AK/SK (`POST /v3.0/OS-CREDENTIAL/securitytokens`) — the official SDKs' wire format
//! (`huaweicloudsdkcore/auth/internal.py`, `FederalAccessor`). The token file is read again at
//! every fetch: the platform rotates it. The ID token, the IAM token and the keys are secrets.

use super::http::{self, remaining};
use super::instance::credentials_from;
use super::renewable::Fetched;
use crate::credentials::Credentials;
use crate::endpoint::Endpoint;
use crate::error::{Error, Result};
use std::path::PathBuf;
use std::time::Instant;

pub const ENV_IDP_ID: &str = "HUAWEICLOUD_SDK_IDP_ID";
pub const ENV_ID_TOKEN_FILE: &str = "HUAWEICLOUD_SDK_ID_TOKEN_FILE";
/// The lifetime asked for the temporary keys: the official SDKs' (6 h).
const DURATION_SECONDS: u64 = 6 * 3600;

pub(crate) struct FederatedIdentity {
    iam: Endpoint,
    idp_id: String,
    token_file: PathBuf,
    /// What named the file (`id_token_file` or the variable), for the messages.
    file_named_by: &'static str,
    agent: ureq::Agent,
}

/// An IdP id as IAM names them; it travels in a header and appears in messages (it is not secret).
pub(crate) fn check_idp_id(field: &str, idp_id: &str) -> Result<()> {
    crate::validate::id(field, idp_id)
}

impl FederatedIdentity {
    pub fn new(
        iam: Endpoint,
        idp_id: String,
        token_file: PathBuf,
        file_named_by: &'static str,
        agent: ureq::Agent,
    ) -> FederatedIdentity {
        FederatedIdentity { iam, idp_id, token_file, file_named_by, agent }
    }

    fn what(&self) -> String {
        format!("IAM {} (federated identity, IdP {:?})", self.iam, self.idp_id)
    }

    /// The ID token, as the file holds it now (white space around it dropped, as the SDKs do).
    fn id_token(&self) -> Result<String> {
        let path = self.token_file.display();
        let text = crate::files::read_text(&self.token_file, crate::files::MAX_FILE_BYTES).map_err(|e| {
            Error::invalid(format!(
                "federated identity: cannot read the ID token file {path} ({}): {e}",
                self.file_named_by
            ))
        })?;
        let token = text.trim();
        crate::validate::secret("the ID token", token, crate::validate::MAX_TOKEN_LEN).map_err(|e| {
            Error::invalid(format!("federated identity: {} (file {path}, {})", e.message(), self.file_named_by))
        })?;
        Ok(token.to_string())
    }

    /// New temporary credentials for the ID token, within the call's `deadline`.
    pub fn fetch(&self, deadline: Instant) -> Result<Fetched<Credentials>> {
        let what = self.what();
        let id_token = self.id_token()?;
        let base = self.iam.origin_and_base();

        let url = format!("{base}/v3.0/OS-AUTH/id-token/tokens");
        let request = self.agent.post(&url).config().timeout_global(Some(remaining(deadline, &what)?)).build();
        let body = serde_json::json!({"auth": {"id_token": {"id": id_token}}}).to_string();
        let answer = http::send_json(&what, request.header("X-Idp-Id", &self.idp_id), &body)?;
        if !(200..300).contains(&answer.status) {
            return Err(answer.error(Some(&what), &[&id_token]));
        }
        let token = answer.subject_token.clone().ok_or_else(|| answer.unusable(&what, "no X-Subject-Token header"))?;
        crate::validate::secret("token", &token, crate::validate::MAX_TOKEN_LEN)
            .map_err(|e| answer.unusable(&what, &format!("the X-Subject-Token header is unusable: {}", e.message())))?;

        let url = format!("{base}/v3.0/OS-CREDENTIAL/securitytokens");
        let request = self.agent.post(&url).config().timeout_global(Some(remaining(deadline, &what)?)).build();
        let body = serde_json::json!({"auth": {"identity": {"methods": ["token"],
            "token": {"id": token, "duration_seconds": DURATION_SECONDS}}}})
        .to_string();
        let answer = http::send_json(&what, request, &body)?;
        if !(200..300).contains(&answer.status) {
            return Err(answer.error(Some(&what), &[&id_token, &token]));
        }
        credentials_from(&answer, &what)
    }
}
