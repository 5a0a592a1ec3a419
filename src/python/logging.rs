//! The core's log records on Python's standard `logging` logger `pyapig`.
//!
//! Our own bridge rather than pyo3-log: pyo3-log caches each logger's level at its first
//! record and keeps it until told to reset, so `logging.basicConfig(level=logging.DEBUG)`
//! after a first call changes nothing. Here the level is read from `pyapig`'s logger at the
//! start of every call (one Python method call, with the GIL already held), and records
//! below it cost one atomic load: with logging not configured, nothing else happens.
//! A `NullHandler` on `pyapig` (as libraries should have) means nothing is printed unless
//! the application configures logging.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

static LOGGER: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

fn logger(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    LOGGER
        .get_or_try_init(py, || -> PyResult<Py<PyAny>> {
            let logging = py.import("logging")?;
            let logger = logging.call_method1("getLogger", ("pyapig",))?;
            logger.call_method1("addHandler", (logging.call_method0("NullHandler")?,))?;
            Ok(logger.unbind())
        })
        .map(|l| l.bind(py))
}

struct PyLogger;

impl log::Log for PyLogger {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        // Only our records: the HTTP and TLS crates' own are not held to our rules on secrets.
        metadata.level() <= log::max_level() && metadata.target() == crate::limits::LOG_TARGET
    }

    fn log(&self, record: &log::Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let level = match record.level() {
            log::Level::Error => 40,
            log::Level::Warn => 30,
            log::Level::Info => 20,
            log::Level::Debug => 10,
            log::Level::Trace => 5,
        };
        let message = record.args().to_string();
        Python::attach(|py| {
            // An exception pending in this thread (a Ctrl-C being raised) is kept aside.
            let pending = PyErr::take(py);
            if let Ok(logger) = logger(py) {
                // A failing handler is the application's business; never our caller's.
                if logger.call_method1("log", (level, "%s", message)).is_err() {
                    let _ = PyErr::take(py);
                }
            }
            if let Some(e) = pending {
                e.restore(py);
            }
        });
    }

    fn flush(&self) {}
}

/// Installs the bridge (once per process). Nothing is logged until a call finds that the
/// application configured logging.
pub fn install() {
    let _ = log::set_logger(&PyLogger);
}

/// Reads what `pyapig`'s logger lets through now (its effective level and `logging.disable`),
/// so that the records below it cost nothing during the call. An application that never
/// imported `logging` cannot have configured it: then nothing is logged, and `logging` is not
/// imported by us either (it costs milliseconds).
pub fn refresh(py: Python<'_>) {
    static MODULES: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let imported = MODULES
        .get_or_try_init(py, || py.import("sys")?.getattr("modules").map(Bound::unbind))
        .and_then(|modules| modules.bind(py).contains("logging"))
        .unwrap_or(false);
    if !imported {
        log::set_max_level(log::LevelFilter::Off);
        return;
    }
    let lowest = (|| -> PyResult<i64> {
        let logger = logger(py)?;
        let effective: i64 = logger.call_method0("getEffectiveLevel")?.extract()?;
        let disabled: i64 = logger.getattr("manager")?.getattr("disable")?.extract()?;
        Ok(effective.max(disabled + 1))
    })()
    .unwrap_or(i64::MAX);
    log::set_max_level(match lowest {
        i64::MIN..=5 => log::LevelFilter::Trace,
        6..=10 => log::LevelFilter::Debug,
        11..=20 => log::LevelFilter::Info,
        21..=30 => log::LevelFilter::Warn,
        31..=40 => log::LevelFilter::Error,
        _ => log::LevelFilter::Off,
    });
}
