//! Arguments from Python, converted with messages that name the function and the parameter,
//! as CPython's own builtins do: `delete_certificate() argument 'project_id' must be str, not None`.
//! (PyO3's own extraction only adds the name as a note, which many tools never show.)

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyFloat, PyInt, PyString};
use std::path::PathBuf;

fn type_error(func: &str, name: &str, want: &str, value: &Bound<'_, PyAny>) -> PyErr {
    let got = if value.is_none() {
        "None".to_string()
    } else {
        value.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "an unknown type".into())
    };
    PyTypeError::new_err(format!("{func}() argument '{name}' must be {want}, not {got}"))
}

/// A required `str`.
pub fn text(func: &str, name: &str, value: &Bound<'_, PyAny>) -> PyResult<String> {
    match value.cast::<PyString>() {
        Ok(s) => Ok(s.to_cow()?.into_owned()),
        Err(_) => Err(type_error(func, name, "str", value)),
    }
}

/// An optional `str` (`None` or absent means not given).
pub fn opt_text(func: &str, name: &str, value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<String>> {
    match value {
        None => Ok(None),
        Some(v) if v.is_none() => Ok(None),
        Some(v) => match v.cast::<PyString>() {
            Ok(s) => Ok(Some(s.to_cow()?.into_owned())),
            Err(_) => Err(type_error(func, name, "str or None", v)),
        },
    }
}

/// A `bool` (no truthiness: `verify="no"` is a mistake, not `True`).
pub fn flag(func: &str, name: &str, value: Option<&Bound<'_, PyAny>>, default: bool) -> PyResult<bool> {
    match value {
        None => Ok(default),
        Some(v) => match v.cast::<PyBool>() {
            Ok(b) => Ok(b.is_true()),
            Err(_) => Err(type_error(func, name, "bool", v)),
        },
    }
}

/// An optional `bool`: `None` (or absent) leaves the default to the core.
pub fn opt_flag(func: &str, name: &str, value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<bool>> {
    match value {
        None => Ok(None),
        Some(v) => flag(func, name, Some(v), false).map(Some),
    }
}

/// A number of seconds, `int` or `float` (not `bool`); `None` means the default.
pub fn seconds(func: &str, name: &str, value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<f64>> {
    match value {
        None => Ok(None),
        Some(v) if v.is_none() => Ok(None),
        Some(v) if v.is_instance_of::<PyBool>() => Err(type_error(func, name, "int or float", v)),
        Some(v) if v.is_instance_of::<PyInt>() || v.is_instance_of::<PyFloat>() => Ok(Some(v.extract::<f64>()?)),
        Some(v) => Err(type_error(func, name, "int or float", v)),
    }
}

/// A non-negative `int` (not `bool`); `None` means the default.
pub fn count(func: &str, name: &str, value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<u32>> {
    match value {
        None => Ok(None),
        Some(v) if v.is_none() => Ok(None),
        Some(v) if v.is_instance_of::<PyInt>() && !v.is_instance_of::<PyBool>() => match v.extract::<u32>() {
            Ok(n) => Ok(Some(n)),
            Err(_) => {
                Err(PyValueError::new_err(format!("{func}() argument '{name}' must be a non-negative int, not {v}")))
            }
        },
        Some(v) => Err(type_error(func, name, "int", v)),
    }
}

/// A list of `str` (a list or a tuple: a lone `str` is refused, not read as its characters);
/// `None` means not given.
pub fn texts(func: &str, name: &str, value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Vec<String>>> {
    let want = "a list of str";
    match value {
        None => Ok(None),
        Some(v) if v.is_none() => Ok(None),
        Some(v) if v.is_instance_of::<pyo3::types::PyList>() || v.is_instance_of::<pyo3::types::PyTuple>() => {
            let mut out = Vec::new();
            for item in v.try_iter()? {
                let item = item?;
                match item.cast::<PyString>() {
                    Ok(s) => out.push(s.to_cow()?.into_owned()),
                    Err(_) => return Err(type_error(func, name, want, &item)),
                }
            }
            Ok(Some(out))
        }
        Some(v) => Err(type_error(func, name, want, v)),
    }
}

/// A path: `str` or `os.PathLike`; `None` means not given.
pub fn path(func: &str, name: &str, value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<PathBuf>> {
    match value {
        None => Ok(None),
        Some(v) if v.is_none() => Ok(None),
        Some(v) => v.extract::<PathBuf>().map(Some).map_err(|_| type_error(func, name, "str or os.PathLike", v)),
    }
}
