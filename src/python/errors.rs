//! The projection of [`ErrorKind`] onto the Python exception classes, which are defined
//! in Python (`pyapig/_exceptions.py`: several builtin bases, attributes, pickling).

use crate::error::{Error, ErrorKind};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyModule};

/// The class each kind raises (the error table's `python_class`).
pub fn class_name(kind: ErrorKind) -> &'static str {
    kind.info().python_class
}

static EXCEPTIONS: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

/// Builds the Python exception for `error`.
pub fn to_pyerr(py: Python<'_>, error: &Error) -> PyErr {
    match build(py, error) {
        Ok(err) => err,
        // Only if pyapig/_exceptions.py is broken; still never silent.
        Err(e) => e,
    }
}

fn build(py: Python<'_>, error: &Error) -> PyResult<PyErr> {
    let module = EXCEPTIONS.get_or_try_init(py, || py.import("pyapig._exceptions").map(Bound::unbind))?.bind(py);
    let class = module.getattr(class_name(error.kind()))?;
    let kwargs = PyDict::new(py);
    kwargs.set_item("code", error.kind().code())?;
    kwargs.set_item("status_code", error.http_status())?;
    kwargs.set_item("error_code", error.error_code())?;
    kwargs.set_item("error_msg", error.error_msg())?;
    kwargs.set_item("request_id", error.request_id())?;
    kwargs.set_item("body", error.body_excerpt())?;
    kwargs.set_item("attempts", error.attempts())?;
    kwargs.set_item("throttled", error.throttled())?;
    if error.kind() == crate::error::ErrorKind::InUse {
        kwargs.set_item("domains", pyo3::types::PyTuple::new(py, error.domains())?)?;
    }
    let instance = class.call((error.message(),), Some(&kwargs))?;
    if let Some(cause) = cause(py, error) {
        instance.setattr("__cause__", cause)?;
    }
    Ok(PyErr::from_value(instance))
}

/// The Python form of what failed underneath (`Error::source`): an I/O error becomes the
/// matching `OSError` subclass (`ConnectionRefusedError`, `TimeoutError`, …), anything else an
/// `Exception` with its text. Like every message of ours, it holds no secret.
fn cause<'py>(py: Python<'py>, error: &Error) -> Option<Bound<'py, PyAny>> {
    let source = std::error::Error::source(error)?;
    let mut current = Some(source);
    while let Some(e) = current {
        let io = e.downcast_ref::<std::io::Error>().or_else(|| match e.downcast_ref::<ureq::Error>() {
            Some(ureq::Error::Io(io)) => Some(io),
            _ => None,
        });
        if let Some(io) = io {
            let copy = std::io::Error::new(io.kind(), io.to_string());
            return Some(PyErr::from(copy).into_value(py).into_bound(py).into_any());
        }
        current = e.source();
    }
    Some(pyo3::exceptions::PyException::new_err(source.to_string()).into_value(py).into_bound(py).into_any())
}

/// Every kind with its class and C status, for the tests that walk the table.
#[cfg(feature = "test-hooks")]
#[pyfunction]
pub fn _error_table() -> Vec<(&'static str, &'static str, i32)> {
    ErrorKind::ALL.iter().map(|k| (k.name(), class_name(*k), k.code())).collect()
}

/// Raises the exception of `kind` (a name from `_error_table`), for tests of the projection.
#[cfg(feature = "test-hooks")]
#[pyfunction]
#[pyo3(signature = (kind, message, status_code=None))]
pub fn _raise_kind(py: Python<'_>, kind: &str, message: &str, status_code: Option<u16>) -> PyResult<()> {
    let kind = ErrorKind::ALL
        .iter()
        .copied()
        .find(|k| k.name() == kind)
        .ok_or_else(|| pyo3::exceptions::PyValueError::new_err(format!("unknown kind {kind:?}")))?;
    let mut error = Error::new(kind, message);
    if let Some(status) = status_code {
        error = Error::from_answer(
            kind,
            status,
            crate::error_body::parse(
                format!("{{\"error_code\":\"T.{status}\",\"error_msg\":\"{message}\"}}").as_bytes(),
                Some("req-test".into()),
            ),
        )
        .with_message(message.to_string());
    }
    Err(to_pyerr(py, &error))
}
