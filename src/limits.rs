//! Numbers and names every layer shares (layer 0: imports nothing of the crate).

use std::time::Duration;

/// How many bytes of an answer's body are read, at most.
pub const MAX_BODY_BYTES: u64 = 64 * 1024;

/// The `log` target of every record of this library (`RUST_LOG=apig=info`; in Python the
/// records go to the logger `pyapig`).
pub const LOG_TARGET: &str = "apig";

/// The `User-Agent` of every request: `apig/<version>`.
pub const USER_AGENT: &str = concat!("apig/", env!("CARGO_PKG_VERSION"));

/// The services on the machine's own link (ECS metadata, CCE pod identity) answer at once or
/// are not there: their connect timeout…
pub(crate) const LINK_LOCAL_CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// …and their read timeout.
pub(crate) const LINK_LOCAL_READ_TIMEOUT: Duration = Duration::from_secs(3);
