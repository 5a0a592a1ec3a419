//! `pyapig.Client` and `pyapig.delete_certificate`: thin wrappers over the core that
//! convert arguments, release the GIL for the call, and raise the mapped exception.

use super::args;
use super::certificates::{BoundDomain, Certificate};
use super::errors::to_pyerr;
use super::guard::guarded;
use crate::builder::ClientBuilder;
use crate::client::{Client as CoreClient, DeleteOptions, Deletion, Outcome};
use crate::credentials::Secret;
use crate::error::Error;
use crate::lifecycle::{CallOptions, ListFilter};
use pyo3::prelude::*;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// Sets the option `name` from Python's `value` (`None` or absent: not given), with that
/// argument's own type check; every default, value check and message is the core's. The one
/// place the Python keyword arguments meet the builder (the list itself: `builder::OPTIONS`).
fn apply(b: ClientBuilder, func: &str, name: &str, value: Option<&Bound<'_, PyAny>>) -> PyResult<ClientBuilder> {
    fn set<T>(b: ClientBuilder, value: Option<T>, f: impl FnOnce(ClientBuilder, T) -> ClientBuilder) -> ClientBuilder {
        match value {
            Some(v) => f(b, v),
            None => b,
        }
    }
    /// A part of credentials that the Rust API takes together with others.
    fn part<T>(
        mut b: ClientBuilder,
        field: fn(&mut ClientBuilder) -> &mut Option<T>,
        value: Option<T>,
    ) -> ClientBuilder {
        *field(&mut b) = value;
        b
    }
    // None means "not given", as it did for the named parameters (PyO3 maps None to None there).
    let value = value.filter(|v| !v.is_none());
    let text = || args::opt_text(func, name, value);
    Ok(match name {
        "endpoint" => set(b, text()?, |b, v| b.endpoint(v)),
        "endpoints" => set(b, args::texts(func, name, value)?, |b, v| b.endpoints(v)),
        "project_id" => set(b, text()?, |b, v| b.project_id(v)),
        "region" => set(b, text()?, |b, v| b.region(v)),
        "token" => set(b, text()?, |b, v| b.token(v)),
        "security_token" => set(b, text()?, |b, v| b.security_token(v)),
        "proxy" => set(b, text()?, |b, v| b.proxy(v)),
        "iam_endpoint" => set(b, text()?, |b, v| b.iam_endpoint(v)),
        "metadata_endpoint" => set(b, text()?, |b, v| b.metadata_endpoint(v)),
        "timeout" => set(b, args::seconds(func, name, value)?, ClientBuilder::timeout_secs),
        "connect_timeout" => set(b, args::seconds(func, name, value)?, ClientBuilder::connect_timeout_secs),
        "max_retries" => set(b, args::count(func, name, value)?, ClientBuilder::max_retries),
        "max_rate" => set(b, args::seconds(func, name, value)?, ClientBuilder::max_rate),
        "ca_file" => set(b, args::path(func, name, value)?, |b, v| b.ca_file(v)),
        // Parts of federated identity: the core says which is missing.
        "idp_id" => part(b, |b| &mut b.idp_id, text()?),
        "id_token_file" => part(b, |b| &mut b.id_token_file, args::path(func, name, value)?),
        "verify" => set(b, args::opt_flag(func, name, value)?, ClientBuilder::verify),
        "allow_insecure_http" => set(b, args::opt_flag(func, name, value)?, ClientBuilder::allow_insecure_http),
        // Parts that the Rust API takes together: given one by one, so the core can say which is missing.
        "ak" => part(b, |b| &mut b.ak, text()?),
        "sk" => part(b, |b| &mut b.sk, text()?.map(Secret::new)),
        "user_name" => part(b, |b| &mut b.user_name, text()?),
        "password" => part(b, |b| &mut b.password, text()?.map(Secret::new)),
        "domain_name" => part(b, |b| &mut b.domain_name, text()?),
        other => {
            return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                "{func}() got an unexpected keyword argument '{other}'"
            )));
        }
    })
}

/// A client of APIG's delete-certificate call, with a pool of keep-alive connections.
/// Thread-safe: share one between threads.
#[pyclass(module = "pyapig", name = "Client", frozen)]
pub struct Client {
    inner: CoreClient,
}

const NEW: &str = "Client";
const DELETE: &str = "delete_certificate";

#[pymethods]
impl Client {
    #[new]
    #[pyo3(signature = (endpoint=None, project_id=None, **options),
        // What Python shows (help, inspect): every option, with its default (builder::OPTIONS lists
        // them; tests/python/test_surfaces.py checks this signature and the stub against it).
        text_signature = "(endpoint=None, project_id=None, *, token=None, ak=None, sk=None, security_token=None, \
            region=None, timeout=None, connect_timeout=None, max_retries=None, ca_file=None, verify=True, proxy=None, \
            allow_insecure_http=False, from_env=False, iam_endpoint=None, metadata_endpoint=None, user_name=None, \
            password=None, domain_name=None, endpoints=None, idp_id=None, id_token_file=None, max_rate=None)")]
    fn new(
        py: Python<'_>,
        endpoint: Option<&Bound<'_, PyAny>>,
        project_id: Option<&Bound<'_, PyAny>>,
        options: Option<&Bound<'_, pyo3::types::PyDict>>,
    ) -> PyResult<Client> {
        guarded(py, "Client", || {
            let mut b = apply(CoreClient::builder(), NEW, "endpoint", endpoint)?;
            b = apply(b, NEW, "project_id", project_id)?;
            let mut from_env = false;
            for (key, value) in options.into_iter().flatten() {
                let name: String = key.extract()?;
                if name == "from_env" {
                    from_env = args::flag(NEW, "from_env", Some(&value).filter(|v| !v.is_none()), false)?;
                } else {
                    b = apply(b, NEW, &name, Some(&value))?;
                }
            }
            let built = if from_env { b.from_env() } else { Ok(b) }.and_then(|b| b.build());
            built.map(|inner| Client { inner }).map_err(|e| to_pyerr(py, &e))
        })
    }

    /// A client configured from the environment (HUAWEICLOUD_SDK_AK, _SK, _SECURITY_TOKEN,
    /// _PROJECT_ID, the credentials file), else federated identity (HUAWEICLOUD_SDK_IDP_ID and
    /// _ID_TOKEN_FILE), else CCE pod identity or ECS metadata at the first call; keyword
    /// arguments win over it.
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

    /// Deletes a certificate: True when this call deleted it, False when it was already
    /// absent (only with missing_ok=True). With detach_domains=True, every domain it is bound
    /// to is detached first. A certificate still bound raises `CertificateInUseError` (its
    /// `domains`). Raises a `pyapig.ApigError` subclass on failure, KeyboardInterrupt at once on
    /// Ctrl-C.
    #[pyo3(signature = (certificate_id, *, project_id=None, missing_ok=None, detach_domains=None),
        text_signature = "($self, certificate_id, *, project_id=None, missing_ok=False, detach_domains=False)")]
    fn delete_certificate(
        &self,
        py: Python<'_>,
        certificate_id: &Bound<'_, PyAny>,
        project_id: Option<&Bound<'_, PyAny>>,
        missing_ok: Option<&Bound<'_, PyAny>>,
        detach_domains: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        guarded(py, "Client.delete_certificate", || {
            let flags = (missing_ok, detach_domains);
            self.detailed(py, certificate_id, project_id, flags, None).map(|d| d.outcome == Outcome::Deleted)
        })
    }

    /// As delete_certificate, with what settled it: (deleted, http_status, request_id,
    /// throttled); `_token` stops it. For tools that report the server's answer (the CLI) and
    /// for AsyncClient.
    #[pyo3(signature = (certificate_id, *, project_id=None, missing_ok=None, detach_domains=None, _token=None),
        text_signature = "($self, certificate_id, *, project_id=None, missing_ok=False, detach_domains=False, _token=None)")]
    fn _delete_detailed(
        &self,
        py: Python<'_>,
        certificate_id: &Bound<'_, PyAny>,
        project_id: Option<&Bound<'_, PyAny>>,
        missing_ok: Option<&Bound<'_, PyAny>>,
        detach_domains: Option<&Bound<'_, PyAny>>,
        _token: Option<&Bound<'_, CancelToken>>,
    ) -> PyResult<(bool, u16, Option<String>, u32)> {
        guarded(py, "Client._delete_detailed", || {
            self.detailed(py, certificate_id, project_id, (missing_ok, detach_domains), _token)
                .map(|d| (d.outcome == Outcome::Deleted, d.http_status, d.request_id, d.throttled))
        })
    }

    /// The client's sending rate under throttling, shared by all its calls and threads:
    /// {"rate": requests per second, or None while unlimited (no gateway throttled, no
    /// max_rate), "throttled": throttling answers seen, "paused_for": seconds a Retry-After
    /// still holds calls}.
    #[getter]
    fn rate_limit<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
        guarded(py, "Client.rate_limit", || {
            // Without the GIL: the limiter's lock may be held by a call that logs (to Python).
            let client = &self.inner;
            let state = py.detach(|| client.rate_limit());
            let dict = pyo3::types::PyDict::new(py);
            dict.set_item("rate", state.rate)?;
            dict.set_item("throttled", state.throttled)?;
            dict.set_item("paused_for", state.paused_for.as_secs_f64())?;
            Ok(dict)
        })
    }

    /// Every certificate of the project: one listing per gateway, global certificates once,
    /// paged by itself. `instance_id` lists one gateway's (and the global ones); `name` keeps
    /// names containing it, `common_name` that common name. A project without a gateway has
    /// none. `_token` stops it (AsyncClient).
    #[pyo3(signature = (*, project_id=None, instance_id=None, name=None, common_name=None, _token=None),
        text_signature = "($self, *, project_id=None, instance_id=None, name=None, common_name=None)")]
    fn list_certificates(
        &self,
        py: Python<'_>,
        project_id: Option<&Bound<'_, PyAny>>,
        instance_id: Option<&Bound<'_, PyAny>>,
        name: Option<&Bound<'_, PyAny>>,
        common_name: Option<&Bound<'_, PyAny>>,
        _token: Option<&Bound<'_, CancelToken>>,
    ) -> PyResult<Vec<Certificate>> {
        const FUNC: &str = "list_certificates";
        guarded(py, "Client.list_certificates", || {
            let project_id = args::opt_text(FUNC, "project_id", project_id)?;
            let instance_id = args::opt_text(FUNC, "instance_id", instance_id)?;
            let name = args::opt_text(FUNC, "name", name)?;
            let common_name = args::opt_text(FUNC, "common_name", common_name)?;
            super::logging::refresh(py);
            let token = _token.map(|t| t.get());
            let client = &self.inner;
            let listed = interruptible(py, token, |interrupt| {
                let filter = ListFilter {
                    instance_id: instance_id.as_deref(),
                    name: name.as_deref(),
                    common_name: common_name.as_deref(),
                };
                let options = CallOptions {
                    project_id: project_id.as_deref(),
                    interrupt: Some(interrupt),
                    stop: token.map(|t| &t.0),
                };
                client.list_certificates_with(&filter, &options)
            })?;
            Ok(listed.into_iter().map(Certificate).collect())
        })
    }

    /// The domain names a certificate is bound to (each once per gateway), paged by itself.
    #[pyo3(signature = (certificate_id, *, project_id=None, _token=None),
        text_signature = "($self, certificate_id, *, project_id=None)")]
    fn certificate_domains(
        &self,
        py: Python<'_>,
        certificate_id: &Bound<'_, PyAny>,
        project_id: Option<&Bound<'_, PyAny>>,
        _token: Option<&Bound<'_, CancelToken>>,
    ) -> PyResult<Vec<BoundDomain>> {
        const FUNC: &str = "certificate_domains";
        guarded(py, "Client.certificate_domains", || {
            let certificate_id = args::text(FUNC, "certificate_id", certificate_id)?;
            let project_id = args::opt_text(FUNC, "project_id", project_id)?;
            super::logging::refresh(py);
            let token = _token.map(|t| t.get());
            let client = &self.inner;
            let domains = interruptible(py, token, |interrupt| {
                let options = CallOptions {
                    project_id: project_id.as_deref(),
                    interrupt: Some(interrupt),
                    stop: token.map(|t| &t.0),
                };
                client.certificate_domains_with(&certificate_id, &options)
            })?;
            Ok(domains.into_iter().map(BoundDomain).collect())
        })
    }

    /// The ids of the project's gateways (for the CLI, which says when there is none).
    #[pyo3(signature = (*, project_id=None))]
    fn _gateways(&self, py: Python<'_>, project_id: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<String>> {
        guarded(py, "Client._gateways", || {
            let project_id = args::opt_text("_gateways", "project_id", project_id)?;
            let client = &self.inner;
            interruptible(py, None, |interrupt| {
                let options = CallOptions { project_id: project_id.as_deref(), interrupt: Some(interrupt), stop: None };
                client.list_gateways_with(&options)
            })
        })
    }

    /// Stops every call of this client running now, from any thread: each raises
    /// `pyapig.CancelledError` within about 50 ms. Calls started afterwards run normally.
    fn cancel(&self, py: Python<'_>) -> PyResult<()> {
        guarded(py, "Client.cancel", || {
            self.inner.cancel();
            Ok(())
        })
    }

    /// Closes the client: the calls running now stop (they raise `pyapig.CancelledError`
    /// within about 50 ms), and every later call raises `pyapig.CancelledError` without any
    /// I/O. Closing twice is fine; `with pyapig.Client(...) as client:` closes at the end.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        guarded(py, "Client.close", || {
            self.inner.close();
            Ok(())
        })
    }

    /// Whether close() was called.
    #[getter]
    fn closed(&self, py: Python<'_>) -> PyResult<bool> {
        guarded(py, "Client.closed", || Ok(self.inner.is_closed()))
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, py: Python<'_>, _exc: &Bound<'_, pyo3::types::PyTuple>) -> PyResult<bool> {
        self.close(py)?;
        Ok(false)
    }

    #[getter]
    fn endpoint(&self, py: Python<'_>) -> PyResult<String> {
        guarded(py, "Client.endpoint", || Ok(self.inner.endpoint()))
    }

    /// Every endpoint, in order of preference (one unless `endpoints` or the region's
    /// HUAWEICLOUD_SDK_REGION_APIG_<REGION> list gave several).
    #[getter]
    fn endpoints(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        guarded(py, "Client.endpoints", || Ok(self.inner.endpoints()))
    }

    /// The endpoint calls start at now: the one that answered last.
    #[getter]
    fn current_endpoint(&self, py: Python<'_>) -> PyResult<String> {
        guarded(py, "Client.current_endpoint", || Ok(self.inner.current_endpoint()))
    }

    #[getter]
    fn project_id(&self, py: Python<'_>) -> PyResult<Option<String>> {
        guarded(py, "Client.project_id", || Ok(self.inner.project_id().map(str::to_string)))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        guarded(py, "Client.__repr__", || {
            let endpoints = self.inner.endpoints();
            let place = match endpoints.as_slice() {
                [one] => format!("endpoint={one:?}"),
                several => format!("endpoints={several:?}"),
            };
            Ok(format!(
                "pyapig.Client({place}, project_id={:?}, auth={:?})",
                self.inner.project_id().unwrap_or(""),
                self.inner.auth_kind()
            ))
        })
    }
}

impl Client {
    fn detailed(
        &self,
        py: Python<'_>,
        certificate_id: &Bound<'_, PyAny>,
        project_id: Option<&Bound<'_, PyAny>>,
        (missing_ok, detach_domains): (Option<&Bound<'_, PyAny>>, Option<&Bound<'_, PyAny>>),
        token: Option<&Bound<'_, CancelToken>>,
    ) -> PyResult<Deletion> {
        let certificate_id = args::text(DELETE, "certificate_id", certificate_id)?;
        let project_id = args::opt_text(DELETE, "project_id", project_id)?;
        let missing_ok = args::flag(DELETE, "missing_ok", missing_ok, false)?;
        let detach_domains = args::flag(DELETE, "detach_domains", detach_domains, false)?;
        super::logging::refresh(py);
        let client = &self.inner;
        let token = token.map(|t| t.get());
        interruptible(py, token, |interrupt| {
            let options = DeleteOptions {
                project_id: project_id.as_deref(),
                missing_ok,
                interrupt: Some(interrupt),
                stop: token.map(|t| &t.0),
                detach_domains,
            };
            client.delete_certificate_detailed(&certificate_id, &options)
        })
    }
}

/// A flag that stops one call (`AsyncClient` sets it when the awaiting task is cancelled).
#[pyclass(module = "pyapig._native", name = "_CancelToken", frozen)]
#[derive(Default)]
pub struct CancelToken(AtomicBool);

#[pymethods]
impl CancelToken {
    #[new]
    fn new() -> CancelToken {
        CancelToken::default()
    }

    /// Stops the call this token was given to, within about 50 ms.
    fn cancel(&self, py: Python<'_>) -> PyResult<()> {
        guarded(py, "_CancelToken.cancel", || {
            self.0.store(true, Ordering::Relaxed);
            Ok(())
        })
    }
}

/// Runs `call` with the GIL released, interruptible: every 50 ms that the call waits it looks
/// at `token` and runs Python's signal handlers, so Ctrl-C raises KeyboardInterrupt at once
/// (the handlers' exception is raised, not a `CancelledError`).
fn interruptible<T>(
    py: Python<'_>,
    token: Option<&CancelToken>,
    call: impl FnOnce(&(dyn Fn() -> bool + Sync)) -> Result<T, Error> + Send,
) -> PyResult<T>
where
    T: Send,
{
    let raised: Mutex<Option<PyErr>> = Mutex::new(None);
    let check = || {
        if token.is_some_and(|t| t.0.load(Ordering::Relaxed)) {
            return true;
        }
        Python::attach(|py| match py.check_signals() {
            Ok(()) => false,
            Err(e) => {
                *crate::sync::lock(&raised) = Some(e);
                true
            }
        })
    };
    let result = py.detach(|| call(&check));
    // A signal handler that raised (Ctrl-C) is raised, whatever became of the call: the check
    // consumed the signal, and nobody else would see it.
    if let Some(signal) = crate::sync::lock(&raised).take() {
        return Err(signal);
    }
    result.map_err(|e| to_pyerr(py, &e))
}

/// Deletes one certificate with a token, through a process-wide connection pool: True when
/// this call deleted it, False when it was already absent (only with missing_ok=True).
#[pyfunction]
#[pyo3(signature = (certificate_id, *, project_id, endpoint, token, timeout=None, missing_ok=None, ca_file=None),
    text_signature = "(certificate_id, *, project_id, endpoint, token, timeout=None, missing_ok=False, ca_file=None)")]
#[allow(clippy::too_many_arguments)] // Python's keyword arguments, one parameter each
pub fn delete_certificate(
    py: Python<'_>,
    certificate_id: &Bound<'_, PyAny>,
    project_id: &Bound<'_, PyAny>,
    endpoint: &Bound<'_, PyAny>,
    token: &Bound<'_, PyAny>,
    timeout: Option<&Bound<'_, PyAny>>,
    missing_ok: Option<&Bound<'_, PyAny>>,
    ca_file: Option<&Bound<'_, PyAny>>,
) -> PyResult<bool> {
    let args = OneShot { certificate_id, project_id, endpoint, token, timeout, missing_ok, ca_file };
    guarded(py, "delete_certificate", || one_shot(py, args))
}

/// The one-shot call's arguments as Python gave them.
struct OneShot<'a, 'py> {
    certificate_id: &'a Bound<'py, PyAny>,
    project_id: &'a Bound<'py, PyAny>,
    endpoint: &'a Bound<'py, PyAny>,
    token: &'a Bound<'py, PyAny>,
    timeout: Option<&'a Bound<'py, PyAny>>,
    missing_ok: Option<&'a Bound<'py, PyAny>>,
    ca_file: Option<&'a Bound<'py, PyAny>>,
}

fn one_shot(py: Python<'_>, given: OneShot<'_, '_>) -> PyResult<bool> {
    let certificate_id = args::text(DELETE, "certificate_id", given.certificate_id)?;
    // Required here (keyword-only, no default), optional for a Client.
    let mut b = CoreClient::builder()
        .project_id(args::text(DELETE, "project_id", given.project_id)?)
        .endpoint(args::text(DELETE, "endpoint", given.endpoint)?)
        .token(args::text(DELETE, "token", given.token)?);
    b = apply(b, DELETE, "timeout", given.timeout)?;
    b = apply(b, DELETE, "ca_file", given.ca_file)?;
    let missing_ok = args::flag(DELETE, "missing_ok", given.missing_ok, false)?;
    super::logging::refresh(py);
    let outcome = interruptible(py, None, |interrupt| {
        let client = b.build()?;
        let options = DeleteOptions { missing_ok, interrupt: Some(interrupt), ..DeleteOptions::default() };
        client.delete_certificate_with(&certificate_id, &options)
    })?;
    Ok(outcome == Outcome::Deleted)
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
