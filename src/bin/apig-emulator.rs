//! `apig-emulator`: the local APIG stand-in as a program, for C tests, the demo and any
//! language. Prints its endpoint as the first line of output, then serves until killed.

use apig::emulator::{Emulator, EmulatorOptions, Rule};
use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

const HELP: &str = "\
apig-emulator: a local stand-in for Huawei Cloud APIG's delete-certificate call.

USAGE: apig-emulator [OPTIONS]

Prints its endpoint (e.g. http://127.0.0.1:40123) as the first line, then serves until killed.

OPTIONS:
  --port N              port on 127.0.0.1 (default 0: a free one)
  --listen ADDR:PORT    listen on another loopback address instead
  --cert P/C[=D1,D2]    seed certificate C in project P; bound to domains D1,D2 if given
  --cert-json P/C=JSON  seed certificate C with its listing's fields and bindings, e.g.
                        '{\"not_after\":\"2025-01-01T00:00:00Z\",\"instance_id\":\"gw-1\",\"bound_to\":[\"a.example.com\"]}'
                        (see docs/emulator.md, \"Listing and bindings\")
  --gateway P/ID        project P has gateway (instance) ID (certificate listings name one)
 --cert-range P/X/N    seed certificates X0 .. X(N-1) in project P
  --token T             accept this token too (always accepted: emulator-token)
  --key AK:SK           accept this access key pair too (always: EMULATORAK0000000001:emulator-secret-key-0000000000000001)
  --rules FILE          fault rules, a JSON array (see docs/emulator.md, \"Fault rules\")
  --clock-offset S      run the emulator's clock S seconds off (clock-skew tests)
  --idle-close-ms N     close keep-alive connections idle for N ms, silently
  --tls-cert FILE       serve HTTPS with this PEM certificate chain ...
  --tls-key FILE        ... and this PEM private key
  --project NAME=ID     IAM lists project ID for region NAME (always: cn-north-4=0123456789abcdef0123456789abcdef)
  --user D/U:PASSWORD   IAM accepts user U of account D (always: emulator-domain/emulator-user:emulator-password)
  --token-lifetime S    IAM tokens live S seconds (default 86400)
  --credential-lifetime S  temporary keys of the metadata service and pod identity live S seconds (default 3600)
  --metadata-mode M     normal (session tokens), old (no session tokens) or no-agency
  --pod-token T         what pod identity expects in Authorization (default emulator-pod-token)
  --idp ID=ID_TOKEN     IAM knows identity provider ID and accepts ID_TOKEN through it (federated identity)
  --throttle RATE[/BURST][:RETRY_AFTER]
                        throttle APIG requests like a gateway: admit RATE per second with a burst of
                        BURST (default: one second's worth), answer the rest 429 APIGW.0308, with
                        Retry-After: RETRY_AFTER seconds if given (e.g. 50/10:1)
  --no-log              do not record requests (benchmarks)
  --threads N           worker threads (default 2)
  -h, --help            this text

IDENTITY (same port): IAM at /v3/projects and /v3/auth/tokens (give the endpoint as iam_endpoint),
  federated identity at /v3.0/OS-AUTH/id-token/tokens and /v3.0/OS-CREDENTIAL/securitytokens,
  ECS metadata at /meta-data/latest/api/token and /openstack/latest/securitykey (metadata_endpoint),
  CCE pod identity at /pod-identity/v1/credentials (HC_CONTAINER_CREDENTIALS_FULL_URI).

CONTROL API (JSON, same port): GET/DELETE /_emulator/requests, GET /_emulator/counters,
  PUT /_emulator/projects/P/certificates/C {\"bound_to\": [...]}, GET /_emulator/projects/P/certificates,
  POST/GET/DELETE /_emulator/rules, POST /_emulator/tokens {\"token\"}, POST /_emulator/keys {\"ak\",\"sk\"},
  PUT /_emulator/clock {\"offset_s\": N}, PUT/DELETE /_emulator/iam/projects {\"name\",\"id\"},
  POST /_emulator/iam/users {\"domain\",\"user\",\"password\"}, POST /_emulator/iam/revoke,
  PUT /_emulator/iam/idps {\"id\",\"id_token\"}, POST /_emulator/metadata/revoke-keys,
  PUT /_emulator/identity {\"token_lifetime_s\",\"credential_lifetime_s\",\"metadata_mode\",\"pod_token\"},
  POST /_emulator/metadata/expire-sessions, PUT/GET/DELETE /_emulator/throttle {\"rate\",\"burst\",\"retry_after\"}
";

struct Seed {
    certs: Vec<(String, String, Vec<String>)>,
    tokens: Vec<String>,
    keys: Vec<(String, String)>,
    rules: Vec<Rule>,
    clock_offset: i64,
    /// Control requests for the identity services, applied after start: (method, path, body).
    identity: Vec<(&'static str, &'static str, String)>,
    /// Control requests for certificates with their listing's fields, and gateways: (path, body).
    listing: Vec<(String, String)>,
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("apig-emulator: {message}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), String> {
    let mut options = EmulatorOptions::default();
    let mut seed = Seed {
        certs: vec![],
        tokens: vec![],
        keys: vec![],
        rules: vec![],
        clock_offset: 0,
        identity: vec![],
        listing: vec![],
    };
    let mut tls_cert = None;
    let mut tls_key = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "-h" | "--help" => {
                print!("{HELP}");
                return Ok(());
            }
            "--port" => {
                let port: u16 = value("--port")?.parse().map_err(|_| "--port takes 0..65535")?;
                options.addr = Some(SocketAddr::from(([127, 0, 0, 1], port)));
            }
            "--listen" => {
                let addr: SocketAddr = value("--listen")?.parse().map_err(|_| "--listen takes ADDR:PORT")?;
                if !addr.ip().is_loopback() {
                    return Err("--listen takes a loopback address only".into());
                }
                options.addr = Some(addr);
            }
            "--cert" => {
                let spec = value("--cert")?;
                let (ids, domains) = spec.split_once('=').unwrap_or((&spec, ""));
                let (project, cert) = ids.split_once('/').ok_or("--cert takes PROJECT/CERT[=domain,...]")?;
                let domains = domains.split(',').filter(|d| !d.is_empty()).map(str::to_string).collect();
                seed.certs.push((project.to_string(), cert.to_string(), domains));
            }
            "--cert-json" => {
                let spec = value("--cert-json")?;
                let usage = "--cert-json takes PROJECT/CERT=JSON";
                let (ids, json) = spec.split_once('=').ok_or(usage)?;
                let (project, cert) = ids.split_once('/').ok_or(usage)?;
                serde_json::from_str::<serde_json::Value>(json).map_err(|e| format!("--cert-json {ids}: {e}"))?;
                seed.listing.push((format!("projects/{project}/certificates/{cert}"), json.to_string()));
            }
            "--gateway" => {
                let spec = value("--gateway")?;
                let (project, gateway) = spec.split_once('/').ok_or("--gateway takes PROJECT/INSTANCE_ID")?;
                seed.listing.push((format!("projects/{project}/gateways/{gateway}"), String::new()));
            }
            "--cert-range" => {
                let spec = value("--cert-range")?;
                let parts: Vec<&str> = spec.splitn(3, '/').collect();
                let [project, prefix, count] = parts.as_slice() else {
                    return Err("--cert-range takes PROJECT/PREFIX/COUNT".into());
                };
                let count: usize = count.parse().map_err(|_| "--cert-range: COUNT is a number")?;
                for i in 0..count {
                    seed.certs.push((project.to_string(), format!("{prefix}{i}"), Vec::new()));
                }
            }
            "--token" => seed.tokens.push(value("--token")?),
            "--key" => {
                let spec = value("--key")?;
                let (ak, sk) = spec.split_once(':').ok_or("--key takes AK:SK")?;
                seed.keys.push((ak.to_string(), sk.to_string()));
            }
            "--rules" => {
                let path = value("--rules")?;
                let text = std::fs::read_to_string(&path).map_err(|e| format!("--rules {path}: {e}"))?;
                let json: serde_json::Value =
                    serde_json::from_str(&text).map_err(|e| format!("--rules {path}: not JSON: {e}"))?;
                let items = json.as_array().ok_or_else(|| format!("--rules {path}: expected a JSON array"))?;
                for item in items {
                    seed.rules.push(Rule::from_json(item).map_err(|e| format!("--rules {path}: {e}"))?);
                }
            }
            "--clock-offset" => {
                seed.clock_offset = value("--clock-offset")?.parse().map_err(|_| "--clock-offset takes seconds")?;
            }
            "--idle-close-ms" => {
                let ms: u64 = value("--idle-close-ms")?.parse().map_err(|_| "--idle-close-ms takes a number")?;
                options.idle_close = Some(Duration::from_millis(ms));
            }
            "--tls-cert" => tls_cert = Some(value("--tls-cert")?.into()),
            "--tls-key" => tls_key = Some(value("--tls-key")?.into()),
            "--project" => {
                let spec = value("--project")?;
                let (name, id) = spec.split_once('=').ok_or("--project takes NAME=ID")?;
                seed.identity.push(("PUT", "iam/projects", serde_json::json!({"name": name, "id": id}).to_string()));
            }
            "--user" => {
                let spec = value("--user")?;
                let (who, password) = spec.split_once(':').ok_or("--user takes DOMAIN/USER:PASSWORD")?;
                let (domain, user) = who.split_once('/').ok_or("--user takes DOMAIN/USER:PASSWORD")?;
                let body = serde_json::json!({"domain": domain, "user": user, "password": password});
                seed.identity.push(("POST", "iam/users", body.to_string()));
            }
            flag @ ("--token-lifetime" | "--credential-lifetime") => {
                let seconds: f64 = value(flag)?.parse().map_err(|_| format!("{flag} takes seconds"))?;
                let key = if flag == "--token-lifetime" { "token_lifetime_s" } else { "credential_lifetime_s" };
                seed.identity.push(("PUT", "identity", serde_json::json!({ key: seconds }).to_string()));
            }
            "--metadata-mode" => {
                let mode = value("--metadata-mode")?;
                seed.identity.push(("PUT", "identity", serde_json::json!({"metadata_mode": mode}).to_string()));
            }
            "--pod-token" => {
                let token = value("--pod-token")?;
                seed.identity.push(("PUT", "identity", serde_json::json!({"pod_token": token}).to_string()));
            }
            "--idp" => {
                let spec = value("--idp")?;
                let (id, token) = spec.split_once('=').ok_or("--idp takes ID=ID_TOKEN")?;
                seed.identity.push(("PUT", "iam/idps", serde_json::json!({"id": id, "id_token": token}).to_string()));
            }
            "--throttle" => {
                let spec = value("--throttle")?;
                let throttle = apig::emulator::Throttle::parse(&spec).map_err(|e| format!("--throttle {spec}: {e}"))?;
                seed.identity.push(("PUT", "throttle", throttle.to_json().to_string()));
            }
            "--no-log" => options.no_log = true,
            "--threads" => {
                options.threads = Some(value("--threads")?.parse().map_err(|_| "--threads takes a number")?);
            }
            other => return Err(format!("unknown argument {other:?} (see --help)")),
        }
    }
    options.tls = match (tls_cert, tls_key) {
        (Some(c), Some(k)) => Some((c, k)),
        (None, None) => None,
        _ => return Err("--tls-cert and --tls-key go together".into()),
    };
    let emulator = Emulator::start_with(options).map_err(|e| format!("cannot start: {e}"))?;
    for (project, cert, domains) in &seed.certs {
        let domains: Vec<&str> = domains.iter().map(String::as_str).collect();
        emulator.add_certificate(project, cert, &domains);
    }
    seed.tokens.iter().for_each(|t| emulator.add_token(t));
    seed.keys.iter().for_each(|(ak, sk)| emulator.add_key(ak, sk));
    seed.rules.into_iter().for_each(|r| emulator.push_rule(r));
    emulator.set_clock_offset(seed.clock_offset);
    for (path, body) in &seed.listing {
        emulator.control("PUT", path, body).map_err(|e| format!("{path}: {e}"))?;
    }
    for (method, path, body) in &seed.identity {
        emulator.control(method, path, body).map_err(|e| format!("{path}: {e}"))?;
    }
    let mut out = std::io::stdout();
    writeln!(out, "{}", emulator.url()).and_then(|_| out.flush()).map_err(|e| e.to_string())?;
    loop {
        std::thread::park();
    }
}
