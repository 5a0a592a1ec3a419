//! The PyO3 surface (`pyapig._native`): thin over the core. The public Python API is
//! `python/pyapig/__init__.py`.

mod args;
mod certificates;
mod client;
#[cfg(feature = "emulator")]
mod emulator;
mod errors;
mod guard;
mod logging;

use pyo3::prelude::*;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", crate::VERSION)?;
    logging::install();
    m.add("USER_AGENT", crate::USER_AGENT)?;
    m.add_class::<client::Client>()?;
    m.add_class::<client::CancelToken>()?;
    m.add_class::<certificates::Certificate>()?;
    m.add_class::<certificates::BoundDomain>()?;
    m.add_function(wrap_pyfunction!(client::delete_certificate, m)?)?;
    m.add_function(wrap_pyfunction!(client::_sign, m)?)?;
    #[cfg(feature = "test-hooks")]
    {
        m.add_function(wrap_pyfunction!(errors::_error_table, m)?)?;
        m.add_function(wrap_pyfunction!(errors::_raise_kind, m)?)?;
        m.add_function(wrap_pyfunction!(guard::_panic_next, m)?)?;
        m.add_function(wrap_pyfunction!(_options, m)?)?;
    }
    #[cfg(feature = "emulator")]
    m.add_class::<emulator::Emulator>()?;
    Ok(())
}

/// Every client option as (Python name, C function, CLI flag): the one list the tests check
/// every surface against.
#[cfg(feature = "test-hooks")]
#[pyfunction]
fn _options() -> Vec<(&'static str, &'static str, &'static str)> {
    crate::builder::OPTIONS.iter().map(|o| (o.name, o.c, o.cli)).collect()
}
