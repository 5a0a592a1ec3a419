//! `apig` deletes SSL certificates from Huawei Cloud API Gateway (APIG):
//! `DELETE /v2/{project_id}/apigw/certificates/{certificate_id}`.
//!
//! One blocking core (ureq) serves Rust directly, C through the C ABI of the `cdylib` and
//! `staticlib` (`include/apig.h`), and Python through the `pyapig` module (feature `python`).
//!
//! Against the local emulator (feature `emulator`), the way your tests can:
//!
//! ```
//! # #[cfg(feature = "emulator")] {
//! use apig::emulator::{Emulator, DEFAULT_TOKEN};
//! use apig::{Client, DeleteOptions, ErrorKind, Outcome};
//!
//! let emu = Emulator::start()?;
//! emu.add_certificate("p1", "c1", &[]);
//! emu.add_certificate("p1", "bound", &["www.example.com"]);
//! let client = Client::builder().endpoint(emu.url()).project_id("p1").token(DEFAULT_TOKEN).build()?;
//!
//! assert_eq!(client.delete_certificate("c1")?, Outcome::Deleted);
//! let err = client.delete_certificate("c1").unwrap_err();
//! assert_eq!((err.kind(), err.http_status(), err.error_code()), (ErrorKind::NotFound, Some(404), Some("APIG.3021")));
//! let again = client.delete_certificate_with("c1", &DeleteOptions { missing_ok: true, ..Default::default() })?;
//! assert_eq!(again, Outcome::AlreadyAbsent);
//! let bound = client.delete_certificate("bound").unwrap_err();
//! assert_eq!((bound.kind(), bound.domains()), (ErrorKind::InUse, &["www.example.com".to_string()][..]));
//! let detach = DeleteOptions { detach_domains: true, ..Default::default() };
//! assert_eq!(client.delete_certificate_with("bound", &detach)?, Outcome::Deleted);
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Against APIG:
//!
//! ```no_run
//! let client = apig::Client::builder()
//!     .region("cn-north-4")
//!     .project_id("0123456789abcdef0123456789abcdef")
//!     .token(std::env::var("APIG_TOKEN").unwrap_or_default())
//!     .build()?;
//! client.delete_certificate("b6f9b7e2c4b14e5e8a1f0c3d2e1f0a9b")?;
//! # Ok::<(), apig::Error>(())
//! ```

#![warn(missing_docs)]

mod answer;
mod builder;
mod certificates;
mod client;
mod connect;
mod error;
mod files;
mod interrupt;
mod lifecycle;
mod limits;
mod ratelimit;
mod resolver;
mod sync;
mod tcp;
mod text;
mod time;
mod tls;
mod transport;
mod unsent;

// Modules that are internal, but public (and hidden) with the feature `internals`: for this
// crate's integration tests, property tests and fuzz targets, never for users. Declared one by
// one, not by a macro: rustfmt (and `cargo fmt --check`) only sees modules declared in plain sight.
#[cfg(feature = "internals")]
#[doc(hidden)]
#[allow(missing_docs)]
pub mod auth;
#[cfg(not(feature = "internals"))]
mod auth;
#[cfg(feature = "internals")]
#[doc(hidden)]
#[allow(missing_docs)]
pub mod credentials;
#[cfg(not(feature = "internals"))]
mod credentials;
#[cfg(feature = "internals")]
#[doc(hidden)]
#[allow(missing_docs)]
pub mod endpoint;
#[cfg(not(feature = "internals"))]
mod endpoint;
#[cfg(feature = "internals")]
#[doc(hidden)]
#[allow(missing_docs)]
pub mod env;
#[cfg(not(feature = "internals"))]
mod env;
#[cfg(feature = "internals")]
#[doc(hidden)]
#[allow(missing_docs)]
pub mod error_body;
#[cfg(not(feature = "internals"))]
mod error_body;
#[cfg(feature = "internals")]
#[doc(hidden)]
#[allow(missing_docs)]
pub mod ffi;
#[cfg(not(feature = "internals"))]
mod ffi;
#[cfg(feature = "internals")]
#[doc(hidden)]
#[allow(missing_docs)]
pub mod retry;
#[cfg(not(feature = "internals"))]
mod retry;
#[cfg(feature = "internals")]
#[doc(hidden)]
#[allow(missing_docs)]
pub mod signing;
#[cfg(not(feature = "internals"))]
mod signing;
#[cfg(feature = "internals")]
#[doc(hidden)]
#[allow(missing_docs)]
pub mod validate;
#[cfg(not(feature = "internals"))]
mod validate;

#[cfg(feature = "python")]
mod python;

#[cfg(feature = "emulator")]
pub mod emulator;

pub use builder::{
    ClientBuilder, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, ENV_IAM_ENDPOINT,
    ENV_METADATA_ENDPOINT,
};
pub use certificates::{BoundDomain, Certificate, Scope};
pub use client::{Client, DeleteOptions, Deletion, Outcome};
pub use error::{Error, ErrorKind, Result};
pub use lifecycle::{CallOptions, ListFilter, PAGE_SIZE};
pub use limits::{LOG_TARGET, MAX_BODY_BYTES, USER_AGENT};
pub use ratelimit::RateLimitState;

/// The library's version (the crate version).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Deletes one certificate with a token, through a process-wide connection pool.
///
/// `missing_ok` makes a 404 a success ([`Outcome::AlreadyAbsent`]).
pub fn delete_certificate(
    endpoint: &str,
    project_id: &str,
    certificate_id: &str,
    token: &str,
    missing_ok: bool,
) -> Result<Outcome> {
    let client = Client::builder().endpoint(endpoint).project_id(project_id).token(token).build()?;
    client.delete_certificate_with(certificate_id, &DeleteOptions { missing_ok, ..DeleteOptions::default() })
}
