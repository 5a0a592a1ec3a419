//! Log records for C programs: one callback for the process, installed with
//! `apig_set_log_callback`. Nothing is logged (and nothing costs more than an atomic load)
//! until one is installed.

use std::ffi::{CString, c_char, c_void};
use std::sync::RwLock;

/// How much to log, and the level of each record given to the callback.
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum apig_log_level {
    /// Nothing.
    APIG_LOG_OFF = 0,
    /// A call failed in a way worth an operator's attention.
    APIG_LOG_ERROR = 1,
    /// A retry, a re-sign with the server's clock, a new IAM token after a refusal, a source of
    /// credentials that failed.
    APIG_LOG_WARN = 2,
    /// One line per HTTP attempt (method, path, status, time, attempt, request id); credentials
    /// and project ids found.
    APIG_LOG_INFO = 3,
    /// Details.
    APIG_LOG_DEBUG = 4,
    /// Everything.
    APIG_LOG_TRACE = 5,
}

/// Receives one record: its level, the message (NUL-terminated UTF-8, valid only during the
/// call; it never holds a token, key, password or `Authorization` value) and the `user_data`
/// given to `apig_set_log_callback`. Called from the thread that runs the call being logged,
/// possibly several at once: it must be thread-safe, and must not call back into apig.
#[allow(non_camel_case_types)]
pub type apig_log_callback =
    Option<unsafe extern "C" fn(level: apig_log_level, message: *const c_char, user_data: *mut c_void)>;

struct Sink {
    callback: unsafe extern "C" fn(apig_log_level, *const c_char, *mut c_void),
    /// An address the C program owns; we only hand it back.
    user_data: usize,
}

static SINK: RwLock<Option<Sink>> = RwLock::new(None);

struct CLogger;

impl log::Log for CLogger {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        // Only our records: the HTTP and TLS crates' own are not held to our rules on secrets.
        metadata.level() <= log::max_level() && metadata.target() == crate::limits::LOG_TARGET
    }

    fn log(&self, record: &log::Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let sink = SINK.read().unwrap_or_else(|p| p.into_inner());
        let Some(sink) = sink.as_ref() else { return };
        let text = record.args().to_string().replace('\0', "\\0");
        let Ok(message) = CString::new(text) else { return };
        let level = match record.level() {
            log::Level::Error => apig_log_level::APIG_LOG_ERROR,
            log::Level::Warn => apig_log_level::APIG_LOG_WARN,
            log::Level::Info => apig_log_level::APIG_LOG_INFO,
            log::Level::Debug => apig_log_level::APIG_LOG_DEBUG,
            log::Level::Trace => apig_log_level::APIG_LOG_TRACE,
        };
        // SAFETY: the callback and user_data are what the C program installed; the message
        // lives until the call returns.
        unsafe { (sink.callback)(level, message.as_ptr(), sink.user_data as *mut c_void) };
    }

    fn flush(&self) {}
}

fn filter(level: apig_log_level) -> log::LevelFilter {
    match level {
        apig_log_level::APIG_LOG_OFF => log::LevelFilter::Off,
        apig_log_level::APIG_LOG_ERROR => log::LevelFilter::Error,
        apig_log_level::APIG_LOG_WARN => log::LevelFilter::Warn,
        apig_log_level::APIG_LOG_INFO => log::LevelFilter::Info,
        apig_log_level::APIG_LOG_DEBUG => log::LevelFilter::Debug,
        apig_log_level::APIG_LOG_TRACE => log::LevelFilter::Trace,
    }
}

/// Sends the library's log records up to `max_level` to `callback` (with `user_data`), for the
/// whole process; NULL (or `APIG_LOG_OFF`) stops logging. Replaces any earlier callback. Returns
/// `APIG_E_INVALID_ARGUMENT` if `max_level` is not a level. The default is no logging at all.
/// Not to be called while another thread is in this function.
///
/// # Safety
/// `callback` is NULL or a function that may be called from any thread, with `user_data`, until it
/// is replaced.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn apig_set_log_callback(
    callback: apig_log_callback,
    user_data: *mut c_void,
    max_level: std::ffi::c_int,
) -> super::status::apig_status {
    super::guard::guard_value(super::status::apig_status::APIG_E_INTERNAL, || {
        let level = match max_level {
            0 => apig_log_level::APIG_LOG_OFF,
            1 => apig_log_level::APIG_LOG_ERROR,
            2 => apig_log_level::APIG_LOG_WARN,
            3 => apig_log_level::APIG_LOG_INFO,
            4 => apig_log_level::APIG_LOG_DEBUG,
            5 => apig_log_level::APIG_LOG_TRACE,
            _ => return super::status::apig_status::APIG_E_INVALID_ARGUMENT,
        };
        // Installed once; a Rust host that set its own logger keeps it (and gets our records).
        static INSTALL: std::sync::Once = std::sync::Once::new();
        INSTALL.call_once(|| {
            let _ = log::set_logger(&CLogger);
        });
        let mut sink = SINK.write().unwrap_or_else(|p| p.into_inner());
        *sink = callback.map(|callback| Sink { callback, user_data: user_data as usize });
        log::set_max_level(if sink.is_some() { filter(level) } else { log::LevelFilter::Off });
        super::status::apig_status::APIG_OK
    })
}
