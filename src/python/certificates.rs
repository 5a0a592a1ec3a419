//! `pyapig.Certificate` and `pyapig.BoundDomain`: immutable views of the core's listing types.

use crate::certificates::{BoundDomain as CoreDomain, Certificate as CoreCertificate, Scope};
use pyo3::prelude::*;
use pyo3::types::{PyDateTime, PyTuple, PyTzInfo};

/// A certificate of a listing (`Client.list_certificates`). Immutable; never holds the PEM or key.
#[pyclass(module = "pyapig", name = "Certificate", frozen, eq, hash)]
#[derive(PartialEq, Hash)]
pub struct Certificate(pub CoreCertificate);

#[pymethods]
impl Certificate {
    /// The certificate id (what delete_certificate takes).
    #[getter]
    fn id(&self) -> &str {
        &self.0.id
    }
    #[getter]
    fn name(&self) -> &str {
        &self.0.name
    }
    #[getter]
    fn common_name(&self) -> &str {
        &self.0.common_name
    }
    /// Subject alternative names, a tuple of str (may be empty).
    #[getter]
    fn san<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, &self.0.san)
    }
    /// "global" (every gateway of the project) or "instance" (one gateway: instance_id).
    #[getter]
    fn r#type(&self) -> &'static str {
        self.0.scope.as_str()
    }
    /// The gateway of an instance certificate; None for a global one.
    #[getter]
    fn instance_id(&self) -> Option<&str> {
        self.0.instance_id.as_deref()
    }
    /// When it expires: an aware datetime in UTC.
    #[getter]
    fn not_after<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDateTime>> {
        // From the calendar, not a timestamp: any time of years 1 to 9999, on every platform.
        let seconds = self.0.not_after;
        let (year, month, day) = crate::time::civil_from_days(seconds.div_euclid(86_400));
        let time = seconds.rem_euclid(86_400);
        let utc = PyTzInfo::utc(py)?;
        let (year, month, day) = (year as i32, month as u8, day as u8);
        let (hour, minute, second) = ((time / 3600) as u8, (time % 3600 / 60) as u8, (time % 60) as u8);
        PyDateTime::new(py, year, month, day, hour, minute, second, 0, Some(&utc))
    }
    /// When it expires, in Unix seconds.
    #[getter]
    fn not_after_timestamp(&self) -> i64 {
        self.0.not_after
    }
    #[getter]
    fn signature_algorithm(&self) -> &str {
        &self.0.signature_algorithm
    }
    /// "RSA", "ECC" or "SM2" from servers that say it, else None.
    #[getter]
    fn algorithm_type(&self) -> Option<&str> {
        self.0.algorithm_type.as_deref()
    }
    /// Whether it has expired now.
    #[getter]
    fn expired(&self) -> bool {
        self.0.expired()
    }

    fn __repr__(&self) -> String {
        let c = &self.0;
        let scope = match (c.scope, &c.instance_id) {
            (Scope::Instance, Some(gateway)) => format!("instance_id={gateway:?}"),
            _ => "type=\"global\"".to_string(),
        };
        format!(
            "pyapig.Certificate(id={:?}, name={:?}, common_name={:?}, {scope}, not_after={:?}{})",
            c.id,
            c.name,
            c.common_name,
            crate::time::format_seconds(c.not_after),
            if c.expired() { ", expired" } else { "" }
        )
    }
}

/// A domain name a certificate is bound to (`Client.certificate_domains`). Immutable.
#[pyclass(module = "pyapig", name = "BoundDomain", frozen, eq, hash)]
#[derive(PartialEq, Hash)]
pub struct BoundDomain(pub CoreDomain);

#[pymethods]
impl BoundDomain {
    /// The domain name.
    #[getter]
    fn domain(&self) -> &str {
        &self.0.domain
    }
    #[getter]
    fn domain_id(&self) -> &str {
        &self.0.domain_id
    }
    /// The gateway that serves it.
    #[getter]
    fn instance_id(&self) -> &str {
        &self.0.instance_id
    }
    /// Its API group.
    #[getter]
    fn group_id(&self) -> &str {
        &self.0.group_id
    }
    #[getter]
    fn group_name(&self) -> &str {
        &self.0.group_name
    }

    fn __repr__(&self) -> String {
        let d = &self.0;
        format!(
            "pyapig.BoundDomain(domain={:?}, instance_id={:?}, group_name={:?})",
            d.domain, d.instance_id, d.group_name
        )
    }
}
