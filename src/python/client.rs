//! `pyapig.Client` and `pyapig.delete_certificate`: thin wrappers over the core that
//! convert arguments, release the GIL for the call, and raise the mapped exception.

use super::errors::to_pyerr;
use crate::builder::ClientBuilder;
use crate::client::{Client as CoreClient, DeleteOptions, Outcome};
use crate::error::Error;
use pyo3::prelude::*;
use std::time::Duration;

fn seconds(field: &str, value: Option<f64>) -> Result<Option<Duration>, Error> {
    match value {
        None => Ok(None),
        Some(s) if s.is_finite() && s > 0.0 && s <= 86_400.0 => Ok(Some(Duration::from_secs_f64(s))),
        Some(_) => Err(Error::invalid(format!("{field} must be a number of seconds, more than 0 and at most 86400"))),
    }
}

/// Everything a client can be configured with, as Python passes it.
#[derive(Default)]
pub struct Settings {
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub project_id: Option<String>,
    pub token: Option<String>,
    pub ak: Option<String>,
    pub sk: Option<String>,
    pub security_token: Option<String>,
    pub timeout: Option<f64>,
    pub connect_timeout: Option<f64>,
    pub max_retries: Option<u32>,
    pub ca_file: Option<String>,
    pub verify: bool,
    pub proxy: Option<String>,
    pub allow_insecure_http: bool,
    pub iam_endpoint: Option<String>,
    pub metadata_endpoint: Option<String>,
    pub user_name: Option<String>,
    pub password: Option<String>,
    pub domain_name: Option<String>,
}

impl Settings {
    fn builder(self) -> Result<ClientBuilder, Error> {
        let mut b = CoreClient::builder().verify(self.verify).allow_insecure_http(self.allow_insecure_http);
        if let Some(v) = self.endpoint { b = b.endpoint(v) }
        if let Some(v) = self.region { b = b.region(v) }
        if let Some(v) = self.project_id { b = b.project_id(v) }
        if let Some(v) = self.token { b = b.token(v) }
        match (self.ak, self.sk) {
            (Some(ak), Some(sk)) => b = b.ak_sk(ak, sk),
            (Some(_), None) => return Err(Error::invalid("incomplete credentials: ak given without sk")),
            (None, Some(_)) => return Err(Error::invalid("incomplete credentials: sk given without ak")),
            (None, None) => {}
        }
        if let Some(v) = self.security_token { b = b.security_token(v) }
        if let Some(v) = seconds("timeout", self.timeout)? { b = b.timeout(v) }
        if let Some(v) = seconds("connect_timeout", self.connect_timeout)? { b = b.connect_timeout(v) }
        if let Some(v) = self.max_retries { b = b.max_retries(v) }
        if let Some(v) = self.ca_file { b = b.ca_file(v) }
        if let Some(v) = self.proxy { b = b.proxy(v) }
        if let Some(v) = self.iam_endpoint { b = b.iam_endpoint(v) }
        if let Some(v) = self.metadata_endpoint { b = b.metadata_endpoint(v) }
        match (self.user_name, self.password, self.domain_name) {
            (Some(user), Some(password), Some(domain)) => b = b.password(user, password, domain),
            (None, None, None) => {}
            (user, password, domain) => {
                let missing: Vec<&str> = [("user_name", user.is_none()), ("password", password.is_none()), ("domain_name", domain.is_none())]
                    .iter()
                    .filter(|(_, absent)| *absent)
                    .map(|(name, _)| *name)
                    .collect();
                return Err(Error::invalid(format!(
                    "incomplete password credentials: user_name, password and domain_name go together ({} missing)",
                    missing.join(", ")
                )));
            }
        }
        Ok(b)
    }
}

/// A client of APIG's delete-certificate call, with a pool of keep-alive connections.
/// Thread-safe: share one between threads.
#[pyclass(module = "pyapig", name = "Client", frozen)]
pub struct Client {
    inner: CoreClient,
}

#[pymethods]
impl Client {
    #[new]
    #[pyo3(signature = (endpoint=None, project_id=None, *, token=None, ak=None, sk=None, security_token=None,
        region=None, timeout=None, connect_timeout=None, max_retries=None, ca_file=None, verify=true,
        proxy=None, allow_insecure_http=false, from_env=false, iam_endpoint=None, metadata_endpoint=None,
        user_name=None, password=None, domain_name=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        endpoint: Option<String>,
        project_id: Option<String>,
        token: Option<String>,
        ak: Option<String>,
        sk: Option<String>,
        security_token: Option<String>,
        region: Option<String>,
        timeout: Option<f64>,
        connect_timeout: Option<f64>,
        max_retries: Option<u32>,
        ca_file: Option<std::path::PathBuf>,
        verify: bool,
        proxy: Option<String>,
        allow_insecure_http: bool,
        from_env: bool,
        iam_endpoint: Option<String>,
        metadata_endpoint: Option<String>,
        user_name: Option<String>,
        password: Option<String>,
        domain_name: Option<String>,
    ) -> PyResult<Client> {
        let settings = Settings {
            endpoint,
            region,
            project_id,
            token,
            ak,
            sk,
            security_token,
            timeout,
            connect_timeout,
            max_retries,
            ca_file: ca_file.map(|p| p.to_string_lossy().into_owned()),
            verify,
            proxy,
            allow_insecure_http,
            iam_endpoint,
            metadata_endpoint,
            user_name,
            password,
            domain_name,
        };
        let built = settings.builder().and_then(|b| if from_env { b.from_env() } else { Ok(b) }).and_then(|b| b.build());
        match built {
            Ok(inner) => Ok(Client { inner }),
            Err(e) => Err(to_pyerr(py, &e)),
        }
    }

    /// A client configured from the environment (HUAWEICLOUD_SDK_AK, _SK, _SECURITY_TOKEN,
    /// _PROJECT_ID, the credentials file), else CCE pod identity or ECS metadata at the first
    /// call; keyword arguments win over it.
    #[classmethod]
    #[pyo3(signature = (**kwargs))]
    fn from_env<'py>(
        cls: &Bound<'py, pyo3::types::PyType>,
        kwargs: Option<&Bound<'py, pyo3::types::PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let kwargs = match kwargs {
            Some(k) => k.copy()?,
            None => pyo3::types::PyDict::new(cls.py()),
        };
        kwargs.set_item("from_env", true)?;
        cls.call((), Some(&kwargs))
    }

    /// Deletes a certificate. Returns None; raises a `pyapig.ApigError` subclass on failure.
    #[pyo3(signature = (certificate_id, *, project_id=None, missing_ok=false))]
    fn delete_certificate(&self, py: Python<'_>, certificate_id: &str, project_id: Option<&str>, missing_ok: bool) -> PyResult<()> {
        let client = &self.inner;
        let result = py.detach(|| client.delete_certificate_with(certificate_id, &DeleteOptions { project_id, missing_ok }));
        result.map(|_: Outcome| ()).map_err(|e| to_pyerr(py, &e))
    }

    #[getter]
    fn endpoint(&self) -> String {
        self.inner.endpoint()
    }

    #[getter]
    fn project_id(&self) -> Option<&str> {
        self.inner.project_id()
    }

    fn __repr__(&self) -> String {
        format!(
            "pyapig.Client(endpoint={:?}, project_id={:?}, auth={:?})",
            self.inner.endpoint(),
            self.inner.project_id().unwrap_or(""),
            self.inner.auth_kind()
        )
    }
}

/// Deletes one certificate with a token, through a process-wide connection pool.
#[pyfunction]
#[pyo3(signature = (certificate_id, *, project_id, endpoint, token, timeout=None, missing_ok=false))]
pub fn delete_certificate(
    py: Python<'_>,
    certificate_id: &str,
    project_id: String,
    endpoint: String,
    token: String,
    timeout: Option<f64>,
    missing_ok: bool,
) -> PyResult<()> {
    let settings = Settings { endpoint: Some(endpoint), project_id: Some(project_id), token: Some(token), timeout, verify: true, ..Settings::default() };
    let result = py.detach(|| {
        let client = settings.builder()?.build()?;
        client.delete_certificate_with(certificate_id, &DeleteOptions { project_id: None, missing_ok })
    });
    result.map(|_| ()).map_err(|e| to_pyerr(py, &e))
}

/// The `Authorization` header for a request (for the cross-check against the official signer).
#[pyfunction]
pub fn _sign(
    ak: &str,
    sk: &str,
    method: &str,
    path: &str,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
) -> PyResult<String> {
    let date = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("x-sdk-date"))
        .map(|(_, v)| v.clone())
        .ok_or_else(|| pyo3::exceptions::PyValueError::new_err("X-Sdk-Date is required"))?;
    let query: Vec<(&str, &str)> = query.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let input = crate::signing::SigningInput {
        method,
        path,
        query: &query,
        headers: &headers,
        body_sha256: crate::signing::EMPTY_BODY_SHA256,
    };
    Ok(crate::signing::authorization(ak, sk, &date, &input))
}
