//! Configuration from the environment and the credentials file, under the names the
//! official Huawei Cloud SDKs use. Only reads; nothing is ever written anywhere.

use crate::auth::federated::{ENV_ID_TOKEN_FILE, ENV_IDP_ID};
use crate::auth::pod::{ENV_POD_TOKEN_FILE, ENV_POD_URI};
use crate::credentials::Secret;
use crate::endpoint::{self, Endpoint};
use crate::error::{Error, Result};
use std::path::PathBuf;

pub const ENV_AK: &str = "HUAWEICLOUD_SDK_AK";
pub const ENV_SK: &str = "HUAWEICLOUD_SDK_SK";
pub const ENV_SECURITY_TOKEN: &str = "HUAWEICLOUD_SDK_SECURITY_TOKEN";
pub const ENV_PROJECT_ID: &str = "HUAWEICLOUD_SDK_PROJECT_ID";
pub const ENV_CREDENTIALS_FILE: &str = "HUAWEICLOUD_SDK_CREDENTIALS_FILE";
/// Prefix of the per-region endpoint override, e.g. `HUAWEICLOUD_SDK_REGION_APIG_CN_NORTH_4`.
pub const ENV_REGION_PREFIX: &str = "HUAWEICLOUD_SDK_REGION_APIG_";

/// A way to look up a variable (the process environment, or a map in tests).
pub type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// What the caller already set, which the environment never overrides.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Given {
    /// Any credentials (token, AK, SK, or a part of password auth).
    pub credentials: bool,
    pub security_token: bool,
    pub project_id: bool,
}

/// What the environment and the credentials file add to what the caller set.
#[derive(Debug, Default)]
pub(crate) struct FromEnv {
    pub ak: Option<String>,
    pub sk: Option<Secret>,
    pub security_token: Option<Secret>,
    pub project_id: Option<String>,
    /// No credentials anywhere: pod identity and ECS metadata, tried lazily by the first call.
    pub chain: Option<ChainPlan>,
}

/// What `from_env` leaves for the first call to try.
#[derive(Clone, Debug, Default)]
pub(crate) struct ChainPlan {
    /// Why the environment and the credentials file gave nothing.
    pub skipped: Vec<String>,
    /// `HUAWEICLOUD_SDK_IDP_ID` and `HUAWEICLOUD_SDK_ID_TOKEN_FILE` (both set): federated
    /// identity, and nothing after it.
    pub idp: Option<(String, PathBuf)>,
    /// `HC_CONTAINER_CREDENTIALS_FULL_URI` and `HC_CONTAINER_AUTHORIZATION_TOKEN_FILE`, when both are set.
    pub pod: Option<(String, PathBuf)>,
}

/// Reads what fills the unset options: the environment wins over the credentials file, and
/// what the caller set (`given`) wins over both. Credentials come whole from one place: if the
/// caller gave any, none are taken from elsewhere. When neither gave any, the client will use
/// federated identity if it is configured, else try CCE pod identity and then ECS metadata, at
/// its first call (nothing is fetched here). Half a federated configuration is an error here.
pub(crate) fn read(given: Given, lookup: Lookup<'_>) -> Result<FromEnv> {
    let get = |name: &str| lookup(name).filter(|v| !v.is_empty());
    let mut found = FromEnv::default();
    let env_has_keys = get(ENV_AK).is_some() || get(ENV_SK).is_some();
    if !given.credentials && env_has_keys {
        found.ak = get(ENV_AK);
        found.sk = get(ENV_SK).map(Secret::new);
        if !given.security_token {
            found.security_token = get(ENV_SECURITY_TOKEN).map(Secret::new);
        }
    }
    if !given.project_id {
        found.project_id = get(ENV_PROJECT_ID);
    }
    let needs_keys = !given.credentials && !env_has_keys;
    let mut file_reason = None;
    if needs_keys || (!given.project_id && found.project_id.is_none()) {
        let (shown, file) = credentials_file(lookup)?;
        match file {
            Some(file) => {
                if needs_keys && (file.ak.is_some() || file.sk.is_some()) {
                    found.ak = file.ak;
                    found.sk = file.sk.map(Secret::new);
                    if !given.security_token {
                        found.security_token = file.security_token.map(Secret::new);
                    }
                } else {
                    file_reason = Some(format!("{shown}: no ak/sk in section [basic]"));
                }
                if !given.project_id && found.project_id.is_none() {
                    found.project_id = file.project_id;
                }
            }
            None => file_reason = Some(format!("{shown}: not found")),
        }
    }
    if needs_keys && found.ak.is_none() && found.sk.is_none() {
        let mut skipped = vec![format!("{ENV_AK} not set")];
        skipped.extend(file_reason);
        let idp = match (get(ENV_IDP_ID), get(ENV_ID_TOKEN_FILE)) {
            (Some(idp), Some(file)) => {
                crate::auth::federated::check_idp_id(ENV_IDP_ID, &idp)?;
                // A configured IdP is the answer: no pod identity or metadata after it.
                found.chain = Some(ChainPlan { skipped, idp: Some((idp, PathBuf::from(file))), pod: None });
                return Ok(found);
            }
            (None, None) => {
                skipped.push(format!("federated identity: {ENV_IDP_ID} not set"));
                None
            }
            (Some(_), None) => return Err(half_federated(ENV_IDP_ID, ENV_ID_TOKEN_FILE)),
            (None, Some(_)) => return Err(half_federated(ENV_ID_TOKEN_FILE, ENV_IDP_ID)),
        };
        let pod = match (get(ENV_POD_URI), get(ENV_POD_TOKEN_FILE)) {
            (Some(uri), Some(file)) => Some((uri, PathBuf::from(file))),
            (None, _) => {
                skipped.push(format!("pod identity: {ENV_POD_URI} not set"));
                None
            }
            (Some(_), None) => {
                skipped.push(format!("pod identity: {ENV_POD_URI} is set but {ENV_POD_TOKEN_FILE} is not"));
                None
            }
        };
        found.chain = Some(ChainPlan { skipped, idp, pod });
    }
    Ok(found)
}

/// Half a federated configuration: never skipped silently (the pod would then use another
/// identity than the one its operator configured).
fn half_federated(set: &str, unset: &str) -> Error {
    Error::invalid(format!(
        "federated identity: {set} is set but {unset} is not: set both (or neither, to use another source)"
    ))
}

/// The endpoints for a region, in order of preference: `HUAWEICLOUD_SDK_REGION_APIG_<REGION>`
/// (a comma-separated list of URLs; empty entries are skipped, as the official SDKs do), else
/// APIG's public endpoint of the region.
pub fn region_endpoints(region: &str, lookup: Lookup<'_>) -> Result<Vec<Endpoint>> {
    endpoint::check_region(region)?;
    let name = format!("{ENV_REGION_PREFIX}{}", region.to_ascii_uppercase().replace('-', "_"));
    match lookup(&name).filter(|v| !v.trim().is_empty()) {
        Some(list) => {
            let urls: Vec<&str> = list.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
            if urls.is_empty() {
                return Err(Error::invalid(format!("{name} lists no endpoint")));
            }
            endpoint::parse_list(&urls, false).map_err(|e| Error::invalid(format!("{name}: {}", e.message())))
        }
        None => Ok(vec![Endpoint::for_region(region)?]),
    }
}

#[derive(Default, Debug)]
struct FileCredentials {
    ak: Option<String>,
    sk: Option<String>,
    security_token: Option<String>,
    project_id: Option<String>,
}

/// Reads the `[basic]` section of the credentials file, if there is one; also says which
/// file was looked for (for the message of an empty chain).
fn credentials_file(lookup: Lookup<'_>) -> Result<(String, Option<FileCredentials>)> {
    let (path, explicit) = match lookup(ENV_CREDENTIALS_FILE).filter(|v| !v.is_empty()) {
        Some(p) => (PathBuf::from(p), true),
        None => match lookup("HOME").filter(|v| !v.is_empty()) {
            Some(home) => (PathBuf::from(home).join(".huaweicloud").join("credentials"), false),
            None => return Ok(("credentials file (HOME not set)".into(), None)),
        },
    };
    let shown = if explicit { path.display().to_string() } else { "~/.huaweicloud/credentials".to_string() };
    let text = match crate::files::read_text(&path, crate::files::MAX_FILE_BYTES) {
        Ok(text) => text,
        Err(e) if !explicit && e.kind() == std::io::ErrorKind::NotFound => return Ok((shown, None)),
        Err(e) => {
            return Err(Error::invalid(format!("credentials file {}: cannot read it: {e}", path.display())));
        }
    };
    Ok((shown, Some(parse_ini_basic(&text))))
}

fn parse_ini_basic(text: &str) -> FileCredentials {
    let mut creds = FileCredentials::default();
    let mut in_basic = false;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(section) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            in_basic = section.trim() == "basic";
            continue;
        }
        if !in_basic {
            continue;
        }
        let Some((key, value)) = line.split_once('=').or_else(|| line.split_once(':')) else { continue };
        let value = Some(value.trim().to_string()).filter(|v| !v.is_empty());
        match key.trim().to_ascii_lowercase().as_str() {
            "ak" => creds.ak = value,
            "sk" => creds.sk = value,
            "security_token" => creds.security_token = value,
            "project_id" => creds.project_id = value,
            _ => {}
        }
    }
    creds
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup_from<'a>(map: &'a HashMap<&'a str, String>) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| map.get(k).cloned()
    }

    #[test]
    fn ini() {
        let c = parse_ini_basic("[other]\nak=no\n[basic]\nak = AK1\nsk=SK1\n# c\nproject_id=p1\n");
        assert_eq!(c.ak.as_deref(), Some("AK1"));
        assert_eq!(c.sk.as_deref(), Some("SK1"));
        assert_eq!(c.project_id.as_deref(), Some("p1"));
    }

    #[test]
    fn env_fills_and_explicit_wins() {
        let mut env = HashMap::new();
        env.insert(ENV_AK, "ENVAK".to_string());
        env.insert(ENV_SK, "ENVSK".to_string());
        env.insert(ENV_PROJECT_ID, "envproject".to_string());
        env.insert("HOME", "/nonexistent-home".to_string());
        let b = read(Given::default(), &lookup_from(&env)).unwrap();
        assert_eq!(b.ak.as_deref(), Some("ENVAK"));
        assert_eq!(b.project_id.as_deref(), Some("envproject"));
        let b = read(Given { credentials: true, project_id: true, ..Given::default() }, &lookup_from(&env)).unwrap();
        assert_eq!(b.ak, None);
        assert_eq!(b.project_id, None, "the caller's project wins");
    }

    #[test]
    fn region_override() {
        let mut env = HashMap::new();
        env.insert("HUAWEICLOUD_SDK_REGION_APIG_CN_NORTH_4", "https://apig.internal:8443, https://b".to_string());
        let urls = |env: &HashMap<&str, String>, region| -> Vec<String> {
            region_endpoints(region, &lookup_from(env)).unwrap().iter().map(Endpoint::origin_and_base).collect()
        };
        assert_eq!(urls(&env, "cn-north-4"), ["https://apig.internal:8443", "https://b"]);
        assert_eq!(urls(&env, "ap-southeast-1"), ["https://apig.ap-southeast-1.myhuaweicloud.com"]);
        env.insert("HUAWEICLOUD_SDK_REGION_APIG_CN_NORTH_4", ",https://a,, https://b ,".to_string());
        assert_eq!(urls(&env, "cn-north-4"), ["https://a", "https://b"]);
        for bad in [" , ", "https://a,https://a/", "https://a,http://b.example"] {
            env.insert("HUAWEICLOUD_SDK_REGION_APIG_CN_NORTH_4", bad.to_string());
            let e = region_endpoints("cn-north-4", &lookup_from(&env)).unwrap_err();
            assert!(e.message().starts_with("HUAWEICLOUD_SDK_REGION_APIG_CN_NORTH_4"), "{bad}: {}", e.message());
        }
    }

    #[test]
    fn no_credentials_leaves_a_chain_that_says_what_was_tried() {
        let mut env = HashMap::new();
        env.insert("HOME", "/nonexistent-home".to_string());
        let b = read(Given::default(), &lookup_from(&env)).unwrap();
        let plan = b.chain.unwrap();
        assert_eq!(
            plan.skipped,
            [
                "HUAWEICLOUD_SDK_AK not set",
                "~/.huaweicloud/credentials: not found",
                "federated identity: HUAWEICLOUD_SDK_IDP_ID not set",
                "pod identity: HC_CONTAINER_CREDENTIALS_FULL_URI not set"
            ]
        );
        env.insert(ENV_POD_URI, "http://127.0.0.1:9/pod".to_string());
        env.insert(ENV_POD_TOKEN_FILE, "/run/token".to_string());
        let plan = read(Given::default(), &lookup_from(&env)).unwrap().chain.unwrap();
        assert_eq!(plan.pod.unwrap().1, PathBuf::from("/run/token"));
        // Explicit credentials, or keys in the environment: no chain.
        let token = Given { credentials: true, ..Given::default() };
        assert!(read(token, &lookup_from(&env)).unwrap().chain.is_none());
        env.insert(ENV_AK, "A".to_string());
        env.insert(ENV_SK, "S".to_string());
        assert!(read(Given::default(), &lookup_from(&env)).unwrap().chain.is_none());
    }

    #[test]
    fn a_configured_idp_ends_the_chain_and_half_of_one_is_an_error() {
        let mut env = HashMap::new();
        env.insert("HOME", "/nonexistent-home".to_string());
        env.insert(ENV_POD_URI, "http://127.0.0.1:9/pod".to_string());
        env.insert(ENV_POD_TOKEN_FILE, "/run/token".to_string());
        env.insert(ENV_IDP_ID, "cce-idp".to_string());
        let e = read(Given::default(), &lookup_from(&env)).unwrap_err();
        assert_eq!(
            e.message(),
            "federated identity: HUAWEICLOUD_SDK_IDP_ID is set but HUAWEICLOUD_SDK_ID_TOKEN_FILE is not: \
             set both (or neither, to use another source)"
        );
        env.insert(ENV_ID_TOKEN_FILE, "/var/run/secrets/tokens/oidc-token".to_string());
        let plan = read(Given::default(), &lookup_from(&env)).unwrap().chain.unwrap();
        assert_eq!(plan.idp, Some(("cce-idp".to_string(), PathBuf::from("/var/run/secrets/tokens/oidc-token"))));
        assert!(plan.pod.is_none(), "nothing after a configured IdP");
        env.remove(ENV_IDP_ID);
        assert!(
            read(Given::default(), &lookup_from(&env))
                .unwrap_err()
                .message()
                .contains("HUAWEICLOUD_SDK_ID_TOKEN_FILE is set but")
        );
        // Keys in the environment win: the IdP is not looked at.
        env.insert(ENV_AK, "A".to_string());
        env.insert(ENV_SK, "S".to_string());
        assert!(read(Given::default(), &lookup_from(&env)).unwrap().chain.is_none());
        env.insert(ENV_IDP_ID, "bad idp".to_string());
        env.remove(ENV_AK);
        env.remove(ENV_SK);
        assert!(
            read(Given::default(), &lookup_from(&env))
                .unwrap_err()
                .message()
                .starts_with("HUAWEICLOUD_SDK_IDP_ID contains")
        );
    }

    #[test]
    fn explicit_missing_file_is_an_error() {
        let mut env = HashMap::new();
        env.insert(ENV_CREDENTIALS_FILE, "/nonexistent/creds".to_string());
        assert!(read(Given::default(), &lookup_from(&env)).is_err());
    }
}
