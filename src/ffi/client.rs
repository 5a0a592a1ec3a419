//! The reusable client handle and its options handle.

use super::error::apig_error;
use super::guard::{guard, null, required_str};
use super::status::apig_status;
use crate::builder::ClientBuilder;
use crate::client::Client;
use crate::error::Error;
use std::ffi::c_char;
use std::time::Duration;

/// Options for `apig_client_new`. Opaque; created by `apig_client_options_new`, freed by
/// `apig_client_options_free`. Not thread-safe: use one from one thread at a time.
/// Setters store values; `apig_client_new` checks them all and explains any refusal.
#[allow(non_camel_case_types)]
#[derive(Default)]
pub struct apig_client_options {
    builder: ClientBuilder,
}

/// A client: options checked once, and a pool of keep-alive connections. Opaque; created by
/// `apig_client_new`, freed by `apig_client_free`. Thread-safe: one client may be used by
/// any number of threads at once (free it only after they are done).
#[allow(non_camel_case_types)]
pub struct apig_client {
    client: Client,
}

impl apig_client {
    /// The client behind a handle a C program passed in (NULL: an error naming `client`).
    ///
    /// # Safety
    /// `client` is NULL or a client from `apig_client_new`, not yet freed, that outlives `'a`.
    pub(super) unsafe fn get<'a>(client: *const apig_client) -> Result<&'a Client, Error> {
        // SAFETY: per the function's contract.
        unsafe { client.as_ref() }.map(|c| &c.client).ok_or_else(|| null("client"))
    }
}

/// Applies `f` to the options (NULL: an error naming them). `f` works on a copy: a failed
/// setter leaves the options exactly as they were.
fn with_options(
    options: Option<&mut apig_client_options>,
    f: impl FnOnce(ClientBuilder) -> Result<ClientBuilder, Error>,
) -> apig_status {
    with_options_reporting(options, None, f)
}

/// As [`with_options`], with the error (if any) stored in `*error`.
fn with_options_reporting(
    options: Option<&mut apig_client_options>,
    error: Option<&mut *mut apig_error>,
    f: impl FnOnce(ClientBuilder) -> Result<ClientBuilder, Error>,
) -> apig_status {
    guard(error, || {
        let options = options.ok_or_else(|| null("options"))?;
        options.builder = f(options.builder.clone())?;
        Ok(())
    })
}

/// A new, empty options object (never NULL unless memory is exhausted).
///
/// The setters' contract (every `apig_client_options_set_…` and `apig_client_options_load_env`):
/// `options` is NULL or an options object from `apig_client_options_new`, not yet freed and not
/// used by another thread during the call; every string argument is NULL or a NUL-terminated string
/// that stays valid during the call. A setter that fails leaves the options as they were.
#[unsafe(no_mangle)]
pub extern "C" fn apig_client_options_new() -> *mut apig_client_options {
    super::guard::guard_value(std::ptr::null_mut(), || Box::into_raw(Box::default()))
}

/// Frees an options object. NULL is fine.
///
/// # Safety
/// `options` is NULL or an options object from `apig_client_options_new`, not yet freed and not
/// used by another thread during the call; the object is freed once and not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn apig_client_options_free(options: *mut apig_client_options) {
    if !options.is_null() {
        // SAFETY: from apig_client_options_new, freed once.
        super::guard::guard_value((), || drop(unsafe { Box::from_raw(options) }));
    }
}

/// Stores a string option (checked for NULL and UTF-8 now, for meaning at `apig_client_new`).
///
/// # Safety
/// `options` is NULL or an options object not used by another thread; `value` is NULL or a
/// NUL-terminated string valid during the call.
unsafe fn set_string(
    options: *mut apig_client_options,
    field: &str,
    value: *const c_char,
    apply: impl FnOnce(ClientBuilder, &str) -> ClientBuilder,
) -> apig_status {
    // SAFETY: as this function's contract.
    let value = unsafe { required_str(field, value) };
    with_options(unsafe { options.as_mut() }, |b| Ok(apply(b, value?)))
}

/// The base URL, e.g. `https://apig.cn-north-4.myhuaweicloud.com`. Wins over the region.
///
/// # Safety
/// The setters' contract (see `apig_client_options_new`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn apig_client_options_set_endpoint(
    options: *mut apig_client_options,
    value: *const c_char,
) -> apig_status {
    // SAFETY: the caller's contract (see # Safety).
    unsafe { set_string(options, "endpoint", value, |b, v| b.endpoint(v)) }
}

/// Adds an endpoint to the list of endpoints in order of preference (instead of
/// `apig_client_options_set_endpoint`): a call that cannot reach one (DNS failure, connection
/// refused, connect timeout, TLS failure) tries the next within its deadline; an answer of any
/// status never moves it. Calls start at the endpoint that answered last; once a minute, one
/// call tries the first again.
///
/// # Safety
/// The setters' contract (see `apig_client_options_new`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn apig_client_options_add_endpoint(
    options: *mut apig_client_options,
    value: *const c_char,
) -> apig_status {
    // SAFETY: the caller's contract (see # Safety).
    unsafe {
        set_string(options, "endpoints", value, |mut b, v| {
            b.endpoints.get_or_insert_with(Vec::new).push(v.to_string());
            b
        })
    }
}

/// A region id such as "cn-north-4" (any well-formed id); `HUAWEICLOUD_SDK_REGION_APIG_<REGION>` overrides.
///
/// # Safety
/// The setters' contract (see `apig_client_options_new`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn apig_client_options_set_region(
    options: *mut apig_client_options,
    value: *const c_char,
) -> apig_status {
    // SAFETY: the caller's contract (see # Safety).
    unsafe { set_string(options, "region", value, |b, v| b.region(v)) }
}

/// The default project of the client's calls.
///
/// # Safety
/// The setters' contract (see `apig_client_options_new`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn apig_client_options_set_project_id(
    options: *mut apig_client_options,
    value: *const c_char,
) -> apig_status {
    // SAFETY: the caller's contract (see # Safety).
    unsafe { set_string(options, "project_id", value, |b, v| b.project_id(v)) }
}

/// Authenticate with an IAM token (X-Auth-Token). The string is copied.
///
/// # Safety
/// The setters' contract (see `apig_client_options_new`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn apig_client_options_set_token(
    options: *mut apig_client_options,
    value: *const c_char,
) -> apig_status {
    // SAFETY: the caller's contract (see # Safety).
    unsafe { set_string(options, "token", value, |b, v| b.token(v)) }
}

/// The security token of temporary AK/SK credentials. The string is copied.
///
/// # Safety
/// The setters' contract (see `apig_client_options_new`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn apig_client_options_set_security_token(
    options: *mut apig_client_options,
    value: *const c_char,
) -> apig_status {
    // SAFETY: the caller's contract (see # Safety).
    unsafe { set_string(options, "security_token", value, |b, v| b.security_token(v)) }
}

/// Also trust the CA certificates of this PEM file (added to the built-in Mozilla roots).
///
/// # Safety
/// The setters' contract (see `apig_client_options_new`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn apig_client_options_set_ca_file(
    options: *mut apig_client_options,
    value: *const c_char,
) -> apig_status {
    // SAFETY: the caller's contract (see # Safety).
    unsafe { set_string(options, "ca_file", value, |b, v| b.ca_file(v)) }
}

/// An explicit proxy URL (default: HTTPS_PROXY / HTTP_PROXY / NO_PROXY from the environment).
///
/// # Safety
/// The setters' contract (see `apig_client_options_new`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn apig_client_options_set_proxy(
    options: *mut apig_client_options,
    value: *const c_char,
) -> apig_status {
    // SAFETY: the caller's contract (see # Safety).
    unsafe { set_string(options, "proxy", value, |b, v| b.proxy(v)) }
}

/// Authenticate by signing with an access key pair (SDK-HMAC-SHA256). Strings are copied.
///
/// # Safety
/// The setters' contract (see `apig_client_options_new`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn apig_client_options_set_ak_sk(
    options: *mut apig_client_options,
    ak: *const c_char,
    sk: *const c_char,
) -> apig_status {
    // SAFETY: NULL or NUL-terminated strings.
    with_options(unsafe { options.as_mut() }, |b| {
        Ok(b.ak_sk(unsafe { required_str("ak", ak) }?, unsafe { required_str("sk", sk) }?))
    })
}

/// Authenticate as an IAM user: a project-scoped token is obtained from IAM at the first call
/// (and the project id from it, when none is set), kept until shortly before it expires, and
/// obtained anew once when APIG refuses it. `domain_name` is the account name. Strings are copied;
/// the password is never shown in any message.
///
/// # Safety
/// The setters' contract (see `apig_client_options_new`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn apig_client_options_set_password(
    options: *mut apig_client_options,
    user_name: *const c_char,
    password: *const c_char,
    domain_name: *const c_char,
) -> apig_status {
    with_options(unsafe { options.as_mut() }, |b| {
        // SAFETY: NULL or NUL-terminated strings.
        let user_name = unsafe { required_str("user_name", user_name) }?;
        let password = unsafe { required_str("password", password) }?;
        let domain_name = unsafe { required_str("domain_name", domain_name) }?;
        Ok(b.password(user_name, password, domain_name))
    })
}

/// Federated identity (OIDC, as CCE workload identity): the ID token in the file
/// `id_token_file` (read again at every renewal) is exchanged at IAM, through the identity
/// provider `idp_id`, for temporary AK/SK, renewed before they expire. Needs IAM's endpoint
/// (the region or `apig_client_options_set_iam_endpoint`).
///
/// # Safety
/// The setters' contract (see `apig_client_options_new`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn apig_client_options_set_oidc(
    options: *mut apig_client_options,
    idp_id: *const c_char,
    id_token_file: *const c_char,
) -> apig_status {
    with_options(unsafe { options.as_mut() }, |b| {
        // SAFETY: NULL or NUL-terminated strings.
        let idp_id = unsafe { required_str("idp_id", idp_id) }?;
        let id_token_file = unsafe { required_str("id_token_file", id_token_file) }?;
        Ok(b.idp_id(idp_id).id_token_file(id_token_file))
    })
}

/// IAM's endpoint, for project id discovery and password tokens (default
/// `HUAWEICLOUD_SDK_IAM_ENDPOINT`, else `https://iam.{region}.myhuaweicloud.com`).
///
/// # Safety
/// The setters' contract (see `apig_client_options_new`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn apig_client_options_set_iam_endpoint(
    options: *mut apig_client_options,
    value: *const c_char,
) -> apig_status {
    // SAFETY: the caller's contract (see # Safety).
    unsafe { set_string(options, "iam_endpoint", value, |b, v| b.iam_endpoint(v)) }
}

/// The ECS metadata service, used by the `apig_client_options_load_env` chain (default
/// APIG_METADATA_ENDPOINT, else http://169.254.169.254). Never reached through a proxy.
///
/// # Safety
/// The setters' contract (see `apig_client_options_new`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn apig_client_options_set_metadata_endpoint(
    options: *mut apig_client_options,
    value: *const c_char,
) -> apig_status {
    // SAFETY: the caller's contract (see # Safety).
    unsafe { set_string(options, "metadata_endpoint", value, |b, v| b.metadata_endpoint(v)) }
}

/// Connect timeout in milliseconds (default 10000).
///
/// # Safety
/// `options` is NULL or an options object from `apig_client_options_new`, not yet freed and not
/// used by another thread during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn apig_client_options_set_connect_timeout_ms(
    options: *mut apig_client_options,
    ms: u32,
) -> apig_status {
    with_options(unsafe { options.as_mut() }, |b| Ok(b.connect_timeout(Duration::from_millis(ms.into()))))
}

/// Deadline of a whole call, retries included, in milliseconds (default 60000).
///
/// # Safety
/// `options` is NULL or an options object from `apig_client_options_new`, not yet freed and not
/// used by another thread during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn apig_client_options_set_timeout_ms(options: *mut apig_client_options, ms: u32) -> apig_status {
    with_options(unsafe { options.as_mut() }, |b| Ok(b.timeout(Duration::from_millis(ms.into()))))
}

/// Retries after the first attempt (default 2; 0 disables).
///
/// # Safety
/// `options` is NULL or an options object from `apig_client_options_new`, not yet freed and not
/// used by another thread during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn apig_client_options_set_max_retries(
    options: *mut apig_client_options,
    retries: u32,
) -> apig_status {
    with_options(unsafe { options.as_mut() }, |b| Ok(b.max_retries(retries)))
}

/// The most requests per second the client sends over all its calls and threads (your quota,
/// when you know it): 0.01 to 100000. Without it the client sends as fast as its
/// calls go until a gateway throttles, then finds the rate the gateway admits by itself.
///
/// # Safety
/// `options` is NULL or an options object from `apig_client_options_new`, not yet freed and not
/// used by another thread during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn apig_client_options_set_max_rate(
    options: *mut apig_client_options,
    requests_per_second: f64,
) -> apig_status {
    with_options(unsafe { options.as_mut() }, |b| Ok(b.max_rate(requests_per_second)))
}

/// Whether to verify TLS certificates (default true). false is for tests only.
///
/// # Safety
/// `options` is NULL or an options object from `apig_client_options_new`, not yet freed and not
/// used by another thread during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn apig_client_options_set_verify_tls(
    options: *mut apig_client_options,
    verify: bool,
) -> apig_status {
    with_options(unsafe { options.as_mut() }, |b| Ok(b.verify(verify)))
}

/// Allow plain http:// to a host that is not loopback (default false: the token would
/// travel in clear text).
///
/// # Safety
/// `options` is NULL or an options object from `apig_client_options_new`, not yet freed and not
/// used by another thread during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn apig_client_options_set_allow_insecure_http(
    options: *mut apig_client_options,
    allow: bool,
) -> apig_status {
    with_options(unsafe { options.as_mut() }, |b| Ok(b.allow_insecure_http(allow)))
}

/// Fills what is still unset from HUAWEICLOUD_SDK_AK, _SK, _SECURITY_TOKEN, _PROJECT_ID and the
/// credentials file (`HUAWEICLOUD_SDK_CREDENTIALS_FILE` or `~/.huaweicloud/credentials`, section `[basic]`).
/// Values set explicitly win. When neither gave credentials, federated identity
/// (HUAWEICLOUD_SDK_IDP_ID + HUAWEICLOUD_SDK_ID_TOKEN_FILE) is used when it is configured — its
/// failure is the call's, nothing after it is tried; else the client's first call tries CCE
/// pod identity (HC_CONTAINER_CREDENTIALS_FULL_URI + HC_CONTAINER_AUTHORIZATION_TOKEN_FILE), then
/// ECS instance metadata, and keeps the first that works (renewed before it expires); if none
/// does, the call fails with APIG_E_INVALID_ARGUMENT and a message that says why each source failed.
/// Reads only; writes nothing; no network I/O here. A credentials file named by
/// HUAWEICLOUD_SDK_CREDENTIALS_FILE that cannot be read is an error. `error` may be NULL; on
/// failure `*error` receives a new error object, and the options are left as they were.
///
/// # Safety
/// `error` is NULL or valid for writing an `apig_error *`; `options` is NULL or an options object
/// from `apig_client_options_new`, not yet freed and not used by another thread during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn apig_client_options_load_env(
    options: *mut apig_client_options,
    error: *mut *mut apig_error,
) -> apig_status {
    // SAFETY: the caller's contract (see # Safety).
    with_options_reporting(unsafe { options.as_mut() }, unsafe { error.as_mut() }, ClientBuilder::from_env)
}

/// Checks the options and creates a client in `*client_out` (free it with `apig_client_free`).
/// The options object is not consumed and may be reused or freed. `error` may be NULL; on
/// failure `*error` receives a new error object (free it with `apig_error_free`).
///
/// # Safety
/// `error` is NULL or valid for writing an `apig_error *`; `client_out` is NULL or valid for
/// writing an `apig_client *`; `options` is NULL or an options object from
/// `apig_client_options_new`, not yet freed and not used by another thread during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn apig_client_new(
    options: *const apig_client_options,
    client_out: *mut *mut apig_client,
    error: *mut *mut apig_error,
) -> apig_status {
    // SAFETY: the caller's contract (see # Safety).
    guard(unsafe { error.as_mut() }, || {
        if client_out.is_null() {
            return Err(null("client_out"));
        }
        // SAFETY: client_out checked above; options is NULL or from apig_client_options_new.
        unsafe { *client_out = std::ptr::null_mut() };
        let options = unsafe { options.as_ref() }.ok_or_else(|| null("options"))?;
        let client = options.builder.clone().build()?;
        unsafe { *client_out = Box::into_raw(Box::new(apig_client { client })) };
        Ok(())
    })
}

/// Frees a client. NULL is fine. No other thread may be using it: freeing a client while a call
/// of it runs is undefined behaviour (the call reads the freed client). To end a client that
/// other threads use, call `apig_client_cancel` (their calls return `APIG_E_CANCELLED` within
/// about 50 ms), make sure those threads start no new call and have returned, then free it.
///
/// # Safety
/// `client` is NULL or a client from `apig_client_new`, not yet freed; the object is freed once and
/// not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn apig_client_free(client: *mut apig_client) {
    if !client.is_null() {
        // SAFETY: from apig_client_new, freed once.
        super::guard::guard_value((), || drop(unsafe { Box::from_raw(client) }));
    }
}

/// The rate `client` sends requests at now (requests per second), for monitoring: 0 while it is
/// unlimited (no gateway has throttled it and no max rate was set), 0 for NULL. Thread-safe.
///
/// # Safety
/// `client` is NULL or a client from `apig_client_new`, not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn apig_client_send_rate(client: *const apig_client) -> f64 {
    // SAFETY: NULL or a client from apig_client_new that is not being freed.
    super::guard::guard_value(0.0, || {
        unsafe { client.as_ref() }.and_then(|c| c.client.rate_limit().rate).unwrap_or(0.0)
    })
}

/// How many throttling answers (429, 503 with Retry-After) the calls of `client` have met, for
/// monitoring (0 for NULL). Each was retried at the client's rate within its call's deadline.
/// Thread-safe.
///
/// # Safety
/// `client` is NULL or a client from `apig_client_new`, not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn apig_client_throttled(client: *const apig_client) -> u64 {
    // SAFETY: NULL or a client from apig_client_new that is not being freed.
    super::guard::guard_value(0, || unsafe { client.as_ref() }.map_or(0, |c| c.client.rate_limit().throttled))
}

/// Stops the calls running on `client` now, from any thread: each returns `APIG_E_CANCELLED`
/// within about 50 ms (while it connects, waits for an answer, a retry's backoff or the next
/// attempt; on systems other than Linux a connect under way finishes or times out first). A
/// stopped call's connection is closed, never
/// reused half-read. Calls started afterwards run normally. NULL is fine (nothing happens).
/// Thread-safe; the usual way to give C programs a Ctrl-C: call it from a signal-watching thread.
///
/// # Safety
/// `client` is NULL or a client from `apig_client_new`, not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn apig_client_cancel(client: *const apig_client) {
    // SAFETY: NULL or a client from apig_client_new that is not being freed.
    super::guard::guard_value((), || {
        if let Some(client) = unsafe { client.as_ref() } {
            client.client.cancel();
        }
    })
}
