//! The in-process emulator behind `pyapig.testing.Emulator` (which adds the Pythonic API).

use super::errors::to_pyerr;
use super::guard::guarded;
use crate::emulator::{Emulator as CoreEmulator, EmulatorOptions, Rule};
use crate::error::Error;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use std::sync::Mutex;
use std::time::Duration;

#[pyclass(module = "pyapig._native", name = "Emulator", frozen)]
pub struct Emulator {
    inner: Mutex<Option<CoreEmulator>>,
}

impl Emulator {
    fn with<T>(&self, f: impl FnOnce(&CoreEmulator) -> T) -> PyResult<T> {
        let guard = crate::sync::lock(&self.inner);
        guard.as_ref().map(f).ok_or_else(|| PyRuntimeError::new_err("the emulator is stopped"))
    }
}

#[pymethods]
impl Emulator {
    #[new]
    #[pyo3(signature = (*, idle_close=None, tls_cert=None, tls_key=None, record=true, threads=None, addr=None))]
    #[allow(clippy::too_many_arguments)] // Python's keyword arguments, one parameter each
    fn new(
        py: Python<'_>,
        idle_close: Option<f64>,
        tls_cert: Option<std::path::PathBuf>,
        tls_key: Option<std::path::PathBuf>,
        record: bool,
        threads: Option<usize>,
        addr: Option<String>,
    ) -> PyResult<Emulator> {
        guarded(py, "Emulator", || {
            let invalid = |message: &str| to_pyerr(py, &Error::invalid(message.to_string()));
            let idle_close = match idle_close {
                None => None,
                Some(s) if s.is_finite() && s > 0.0 && s <= 86_400.0 => Some(Duration::from_secs_f64(s)),
                Some(_) => {
                    return Err(invalid(
                        "Emulator() argument 'idle_close' must be seconds, more than 0 and at most 86400",
                    ));
                }
            };
            if threads.is_some_and(|t| !(1..=64).contains(&t)) {
                return Err(invalid("Emulator() argument 'threads' must be 1..64"));
            }
            let tls = match (tls_cert, tls_key) {
                (Some(c), Some(k)) => Some((c, k)),
                (None, None) => None,
                _ => return Err(invalid("Emulator() arguments 'tls_cert' and 'tls_key' go together")),
            };
            // A loopback address only, as apig-emulator's --listen: the emulator accepts any token.
            let addr = match addr {
                None => None,
                Some(text) => match text.parse::<std::net::SocketAddr>() {
                    Ok(a) if a.ip().is_loopback() => Some(a),
                    Ok(_) => return Err(invalid("Emulator() argument 'addr' must be a loopback address")),
                    Err(_) => return Err(invalid("Emulator() argument 'addr' must be ADDR:PORT, e.g. 127.0.0.1:8080")),
                },
            };
            let options = EmulatorOptions { addr, idle_close, tls, no_log: !record, threads };
            let inner =
                CoreEmulator::start_with(options).map_err(|e| PyRuntimeError::new_err(format!("emulator: {e}")))?;
            Ok(Emulator { inner: Mutex::new(Some(inner)) })
        })
    }

    #[getter]
    fn url(&self, py: Python<'_>) -> PyResult<String> {
        guarded(py, "Emulator.url", || self.with(|e| e.url()))
    }

    #[pyo3(signature = (project_id, certificate_id, bound_to=Vec::new()))]
    fn add_certificate(
        &self,
        py: Python<'_>,
        project_id: &str,
        certificate_id: &str,
        bound_to: Vec<String>,
    ) -> PyResult<()> {
        guarded(py, "Emulator.add_certificate", || {
            let domains: Vec<&str> = bound_to.iter().map(String::as_str).collect();
            self.with(|e| e.add_certificate(project_id, certificate_id, &domains))
        })
    }

    fn certificates(&self, py: Python<'_>, project_id: &str) -> PyResult<Vec<String>> {
        guarded(py, "Emulator.certificates", || self.with(|e| e.certificates(project_id)))
    }

    fn add_token(&self, py: Python<'_>, token: &str) -> PyResult<()> {
        guarded(py, "Emulator.add_token", || self.with(|e| e.add_token(token)))
    }

    fn add_key(&self, py: Python<'_>, ak: &str, sk: &str) -> PyResult<()> {
        guarded(py, "Emulator.add_key", || self.with(|e| e.add_key(ak, sk)))
    }

    /// Adds a fault rule given as JSON (the format of docs/emulator.md, "Fault rules").
    fn add_rule_json(&self, py: Python<'_>, rule: &str) -> PyResult<()> {
        guarded(py, "Emulator.add_rule_json", || {
            let value: serde_json::Value =
                serde_json::from_str(rule).map_err(|e| PyValueError::new_err(e.to_string()))?;
            let rule = Rule::from_json(&value).map_err(PyValueError::new_err)?;
            self.with(|e| e.push_rule(rule))
        })
    }

    fn clear_rules(&self, py: Python<'_>) -> PyResult<()> {
        guarded(py, "Emulator.clear_rules", || self.with(|e| e.clear_rules()))
    }

    fn set_clock_offset(&self, py: Python<'_>, seconds: i64) -> PyResult<()> {
        guarded(py, "Emulator.set_clock_offset", || self.with(|e| e.set_clock_offset(seconds)))
    }

    /// The request log as JSON (a list of objects).
    fn requests_json(&self, py: Python<'_>) -> PyResult<String> {
        guarded(py, "Emulator.requests_json", || {
            self.with(|e| serde_json::Value::Array(e.requests().iter().map(|r| r.to_json()).collect()).to_string())
        })
    }

    /// The control API in-process (`path` without `/_emulator/`): the JSON answer as text.
    #[pyo3(signature = (method, path, body=""))]
    fn control(&self, py: Python<'_>, method: &str, path: &str, body: &str) -> PyResult<String> {
        guarded(py, "Emulator.control", || {
            self.with(|e| e.control(method, path, body))?.map(|v| v.to_string()).map_err(PyValueError::new_err)
        })
    }

    fn clear_requests(&self, py: Python<'_>) -> PyResult<()> {
        guarded(py, "Emulator.clear_requests", || self.with(|e| e.clear_requests()))
    }

    fn stop(&self, py: Python<'_>) -> PyResult<()> {
        guarded(py, "Emulator.stop", || {
            let taken = crate::sync::lock(&self.inner).take();
            py.detach(move || drop(taken));
            Ok(())
        })
    }
}
