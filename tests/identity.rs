//! Identity against the emulator's IAM, metadata service and pod identity, over real
//! sockets: password tokens, project discovery, the `from_env` chain, renewal.

use apig::emulator::{
    DEFAULT_AK, DEFAULT_DOMAIN, DEFAULT_PASSWORD, DEFAULT_POD_TOKEN, DEFAULT_PROJECT_ID, DEFAULT_REGION, DEFAULT_SK,
    DEFAULT_USER, Emulator, MetadataMode, Rule,
};
use apig::{Client, ClientBuilder, DeleteOptions, ErrorKind, Outcome};
use std::collections::HashMap;
use std::time::Duration;

const PROJECT: &str = DEFAULT_PROJECT_ID;

fn count(emu: &Emulator, name: &str) -> u64 {
    emu.counters()[name].as_u64().unwrap()
}

/// APIG, IAM and the metadata service all at the emulator; region set, no project id.
fn base(emu: &Emulator) -> ClientBuilder {
    Client::builder().endpoint(emu.url()).region(DEFAULT_REGION).iam_endpoint(emu.url()).metadata_endpoint(emu.url())
}

fn password(emu: &Emulator) -> Client {
    base(emu).password(DEFAULT_USER, DEFAULT_PASSWORD, DEFAULT_DOMAIN).build().unwrap()
}

/// `from_env` with nothing in the environment but what `vars` says (HOME has no credentials file).
fn from_env(builder: ClientBuilder, vars: &[(&str, String)]) -> Client {
    let mut env: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    env.entry("HOME".into()).or_insert_with(|| "/nonexistent-home".into());
    builder.from_env_with(|name| env.get(name).cloned()).unwrap().build().unwrap()
}

fn seed(emu: &Emulator, prefix: &str, n: usize) {
    for i in 0..n {
        emu.add_certificate(PROJECT, &format!("{prefix}{i}"), &[]);
    }
}

#[test]
fn password_auth_finds_the_project_in_the_token_and_reuses_the_token() {
    let emu = Emulator::start().unwrap();
    seed(&emu, "c", 5);
    let client = password(&emu);
    assert_eq!(client.auth_kind(), "password");
    for i in 0..5 {
        assert_eq!(client.delete_certificate(&format!("c{i}")).unwrap(), Outcome::Deleted);
    }
    assert_eq!(count(&emu, "iam_tokens"), 1);
    let log = emu.requests();
    assert_eq!(log.iter().filter(|r| r.path.starts_with(&format!("/v2/{PROJECT}/"))).count(), 5);
    assert!(log.iter().all(|r| r.headers.iter().all(|(_, v)| !v.starts_with("MIIemu"))), "the token is never logged");
}

#[test]
fn a_wrong_password_is_an_authentication_error_that_never_shows_the_password() {
    let emu = Emulator::start().unwrap();
    let client = base(&emu).password(DEFAULT_USER, "Wrong-Passw0rd!", DEFAULT_DOMAIN).build().unwrap();
    let e = client.delete_certificate("c").unwrap_err();
    assert_eq!((e.kind(), e.http_status()), (ErrorKind::Credentials, Some(401)));
    assert!(e.message().contains("The username or password is wrong"), "{}", e.message());
    assert!(e.request_id().is_some(), "IAM's X-IAM-Trace-Id is kept");
    assert!(!format!("{e:?} {e}").contains("Wrong-Passw0rd!"));
    assert!(!format!("{client:?}").contains("Wrong-Passw0rd!"));
}

#[test]
fn a_refused_token_is_replaced_once_and_a_second_refusal_is_final() {
    let emu = Emulator::start().unwrap();
    seed(&emu, "c", 2);
    let client = password(&emu);
    client.delete_certificate("c0").unwrap();
    emu.revoke_tokens(); // as after a password change
    assert_eq!(client.delete_certificate("c1").unwrap(), Outcome::Deleted);
    assert_eq!(count(&emu, "iam_tokens"), 2);
    // APIG refuses every token: one new token, then the refusal is final (no loop).
    emu.push_rule(Rule::from_json(&serde_json::json!({"status": 401, "body": "{\"error_code\": \"APIG.1002\", \"error_msg\": \"Incorrect token\"}"})).unwrap());
    let e = client.delete_certificate("c2").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthorized);
    assert!(e.message().contains("refused again with credentials fetched anew"), "{}", e.message());
    assert_eq!(e.attempts(), 2);
    assert_eq!(count(&emu, "iam_tokens"), 3);
}

#[test]
fn a_token_is_renewed_before_it_expires() {
    let emu = Emulator::start().unwrap();
    seed(&emu, "c", 3);
    emu.set_token_lifetime(Duration::from_secs(3));
    let client = password(&emu);
    client.delete_certificate("c0").unwrap();
    client.delete_certificate("c1").unwrap();
    assert_eq!(count(&emu, "iam_tokens"), 1);
    std::thread::sleep(Duration::from_millis(1700)); // past half its life
    client.delete_certificate("c2").unwrap();
    assert_eq!(count(&emu, "iam_tokens"), 2);
}

#[test]
fn aksk_discovers_the_project_once_per_iam_endpoint_ak_and_region() {
    let emu = Emulator::start().unwrap();
    seed(&emu, "c", 4);
    emu.add_project("ap-southeast-1", "apse1project");
    emu.add_certificate("apse1project", "x", &[]);
    let aksk = |region: &str| base(&emu).region(region).ak_sk(DEFAULT_AK, DEFAULT_SK).build().unwrap();
    aksk(DEFAULT_REGION).delete_certificate("c0").unwrap();
    aksk(DEFAULT_REGION).delete_certificate("c1").unwrap();
    assert_eq!(count(&emu, "iam_projects"), 1, "a second client in the same region asks no more");
    aksk("ap-southeast-1").delete_certificate("x").unwrap();
    assert_eq!(count(&emu, "iam_projects"), 2, "another region is another lookup");
    emu.add_key("OTHERAK0000000000001", "other-secret");
    base(&emu).ak_sk("OTHERAK0000000000001", "other-secret").build().unwrap().delete_certificate("c2").unwrap();
    assert_eq!(count(&emu, "iam_projects"), 3, "another AK is another lookup");
    let lookup = emu.requests().into_iter().find(|r| r.path.starts_with("/v3/projects")).unwrap();
    assert_eq!(lookup.path, "/v3/projects?name=cn-north-4");
    let auth = lookup.headers.iter().find(|(k, _)| k == "authorization").unwrap();
    assert!(auth.1.contains("SignedHeaders=host;x-sdk-date,"), "{}", auth.1);
}

#[test]
fn discovery_says_what_to_do_when_it_finds_no_project_or_several() {
    let emu = Emulator::start().unwrap();
    emu.clear_projects();
    let client = || base(&emu).ak_sk(DEFAULT_AK, DEFAULT_SK).build().unwrap();
    let e = client().delete_certificate("c").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Credentials);
    assert!(
        e.message().contains("no project named cn-north-4 in this account") && e.message().contains("give project_id"),
        "{}",
        e.message()
    );
    emu.add_project(DEFAULT_REGION, "p1aaaa");
    emu.add_project(DEFAULT_REGION, "p2bbbb");
    let e = client().delete_certificate("c").unwrap_err();
    assert!(
        e.message().contains("several projects named cn-north-4 (p1aaaa, p2bbbb): give project_id"),
        "{}",
        e.message()
    );
}

#[test]
fn an_iam_refusal_keeps_iams_code_message_and_trace_id() {
    let emu = Emulator::start().unwrap();
    let e =
        base(&emu).ak_sk("UNKNOWNAK00000000001", "SECRETSECRET").build().unwrap().delete_certificate("c").unwrap_err();
    assert_eq!((e.kind(), e.http_status(), e.error_code()), (ErrorKind::Credentials, Some(401), Some("401")));
    assert!(e.error_msg().unwrap().contains("requires authentication"));
    let trace = emu.requests().last().unwrap().request_id.clone();
    assert_eq!(e.request_id(), Some(trace.as_str()));
    assert!(!e.message().contains("SECRETSECRET"));
}

#[test]
fn no_project_and_no_region_is_refused_before_any_io() {
    let emu = Emulator::start().unwrap();
    let client = Client::builder().endpoint(emu.url()).ak_sk(DEFAULT_AK, DEFAULT_SK).build().unwrap();
    let e = client.delete_certificate("c").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(e.message().contains("give region to look it up in IAM"), "{}", e.message());
    let token = Client::builder().endpoint(emu.url()).region(DEFAULT_REGION).token("t").build().unwrap();
    assert!(token.delete_certificate("c").unwrap_err().message().contains("with a token it cannot be looked up"));
    assert!(emu.requests().is_empty());
}

#[test]
fn metadata_credentials_are_fetched_once_and_used_for_every_call() {
    let emu = Emulator::start().unwrap();
    seed(&emu, "c", 10);
    let client = from_env(base(&emu), &[]);
    for i in 0..10 {
        client.delete_certificate(&format!("c{i}")).unwrap();
    }
    let counts = emu.counters();
    assert_eq!(
        (counts["metadata_session_tokens"].as_u64(), counts["metadata_credentials"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(counts["iam_projects"].as_u64(), Some(1), "the project is looked up with the temporary keys");
    let deletes: Vec<_> = emu.requests().into_iter().filter(|r| r.method == "DELETE").collect();
    assert_eq!(deletes.len(), 10);
    for r in &deletes {
        let header = |n: &str| r.headers.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
        assert!(header("authorization").unwrap().contains("Access=TMPAK"));
        assert_eq!(header("x-security-token"), Some("<redacted>"));
    }
}

#[test]
fn an_old_metadata_service_and_an_expired_session_still_give_credentials() {
    let emu = Emulator::start().unwrap();
    seed(&emu, "c", 2);
    emu.set_metadata_mode(MetadataMode::OldService);
    from_env(base(&emu).project_id(PROJECT), &[]).delete_certificate("c0").unwrap();
    assert_eq!(count(&emu, "metadata_credentials"), 1);
    let calls = |path: &str| emu.requests().iter().filter(|r| r.path == path).count();
    assert_eq!(calls("/meta-data/latest/api/token"), 1);

    emu.set_metadata_mode(MetadataMode::Normal);
    emu.set_credential_lifetime(Duration::from_secs(3));
    let client = from_env(base(&emu).project_id(PROJECT), &[]);
    client.delete_certificate("c1").unwrap();
    emu.expire_metadata_sessions();
    std::thread::sleep(Duration::from_millis(2700)); // the keys are now past their guard: renewed
    emu.add_certificate(PROJECT, "c2", &[]);
    client.delete_certificate("c2").unwrap();
    let securitykey = emu
        .requests()
        .iter()
        .filter(|r| r.path == "/openstack/latest/securitykey")
        .map(|r| r.status)
        .collect::<Vec<_>>();
    assert_eq!(securitykey, vec![200, 200, 401, 200], "one 401 for the expired session, then a new one");
}

#[test]
fn an_instance_without_an_agency_is_a_configuration_error() {
    let emu = Emulator::start().unwrap();
    emu.set_metadata_mode(MetadataMode::NoAgency);
    let e = from_env(base(&emu).project_id(PROJECT), &[]).delete_certificate("c").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Credentials);
    assert!(
        e.message().contains("this instance has no agency") && e.message().contains("attach an agency"),
        "{}",
        e.message()
    );
}

#[test]
fn pod_identity_comes_before_metadata_and_its_token_file_is_read_at_each_renewal() {
    let emu = Emulator::start().unwrap();
    seed(&emu, "c", 3);
    emu.set_credential_lifetime(Duration::from_secs(3));
    let dir = std::env::temp_dir().join(format!("apig-pod-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let token_file = dir.join("token");
    std::fs::write(&token_file, format!("{DEFAULT_POD_TOKEN}\n")).unwrap();
    let vars = [
        ("HC_CONTAINER_CREDENTIALS_FULL_URI", emu.pod_uri()),
        ("HC_CONTAINER_AUTHORIZATION_TOKEN_FILE", token_file.display().to_string()),
    ];
    let client = from_env(base(&emu).project_id(PROJECT), &vars);
    assert_eq!(client.auth_kind(), "pod identity or ECS metadata");
    client.delete_certificate("c0").unwrap();
    client.delete_certificate("c1").unwrap();
    assert_eq!((count(&emu, "pod_credentials"), count(&emu, "metadata_credentials")), (1, 0));
    // The platform rotates the token; the next renewal must read the new one.
    emu.set_pod_token("rotated-pod-token");
    std::fs::write(&token_file, "rotated-pod-token").unwrap();
    std::thread::sleep(Duration::from_millis(2700));
    client.delete_certificate("c2").unwrap();
    assert_eq!(count(&emu, "pod_credentials"), 2);
    let pod_calls: Vec<_> = emu.requests().into_iter().filter(|r| r.path.starts_with("/pod-identity")).collect();
    assert!(pod_calls.iter().all(|r| r.headers.iter().any(|(k, v)| k == "authorization" && v == "<redacted>")));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_empty_chain_says_why_each_source_failed() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let client = from_env(
        Client::builder()
            .endpoint("http://127.0.0.1:9")
            .project_id(PROJECT)
            .metadata_endpoint(format!("http://127.0.0.1:{port}")),
        &[],
    );
    let e = client.delete_certificate("c").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Credentials);
    assert_eq!(
        e.message(),
        format!(
            "no credentials found: HUAWEICLOUD_SDK_AK not set; ~/.huaweicloud/credentials: not found; \
             federated identity: HUAWEICLOUD_SDK_IDP_ID not set; \
             pod identity: HC_CONTAINER_CREDENTIALS_FULL_URI not set; ECS metadata http://127.0.0.1:{port}: connection refused"
        )
    );
    assert_eq!(e.attempts(), 0);
}

#[test]
fn metadata_requests_never_go_through_the_proxy() {
    let emu = Emulator::start().unwrap();
    let proxy = Emulator::start().unwrap();
    proxy.add_certificate(PROJECT, "c", &[]);
    // The proxy emulator tunnels to itself: what went through it is in its log.
    let client = from_env(base(&emu).project_id(PROJECT).proxy(proxy.url()), &[]);
    // The delete went through the proxy, to the proxy's own APIG, which does not know the keys.
    let e = client.delete_certificate("c").unwrap_err();
    assert_eq!((e.kind(), e.error_code()), (ErrorKind::Unauthorized, Some("APIGW.0301")));
    // APIG refused the keys: fetched once more (they may have been revoked), refused again.
    assert_eq!(count(&emu, "metadata_credentials"), 2, "the keys came straight from the metadata service");
    let through_proxy: Vec<String> = proxy.requests().into_iter().map(|r| r.method + " " + &r.path).collect();
    assert!(through_proxy.iter().any(|r| r.starts_with("CONNECT")), "{through_proxy:?}");
    assert!(through_proxy.iter().all(|r| !r.contains("securitykey") && !r.contains("api/token")), "{through_proxy:?}");
}

#[test]
fn eight_threads_share_expiring_credentials_one_fetch_per_renewal() {
    let emu = Emulator::start().unwrap();
    emu.set_credential_lifetime(Duration::from_secs(2));
    let client = from_env(base(&emu).project_id(PROJECT), &[]);
    let stop = std::time::Instant::now() + Duration::from_millis(4500);
    std::thread::scope(|s| {
        for t in 0..8 {
            let client = &client;
            let emu = &emu;
            s.spawn(move || {
                let mut i = 0;
                while std::time::Instant::now() < stop {
                    let id = format!("t{t}-{i}");
                    emu.add_certificate(PROJECT, &id, &[]);
                    let outcome = client.delete_certificate_with(&id, &DeleteOptions::default());
                    assert_eq!(outcome.unwrap(), Outcome::Deleted, "{id}");
                    i += 1;
                }
            });
        }
    });
    let fetches = count(&emu, "metadata_credentials");
    let log = emu.requests();
    let keys: Vec<String> = log
        .iter()
        .filter(|r| r.method == "DELETE")
        .filter_map(|r| r.headers.iter().find(|(k, _)| k == "authorization"))
        .map(|(_, v)| v.split("Access=").nth(1).unwrap().split(',').next().unwrap().to_string())
        .collect();
    let distinct: std::collections::BTreeSet<_> = keys.iter().collect();
    assert!((3..=6).contains(&fetches), "about one fetch per second of 2-second keys: {fetches}");
    assert_eq!(distinct.len() as u64, fetches, "every fetched set was used, and only those: one fetch per renewal");
    assert_eq!(count(&emu, "expired_uses"), 0, "no call was signed with an expired set");
    eprintln!(
        "8 threads, 4.5 s, 2 s keys: {} deletes, {fetches} metadata fetches",
        log.iter().filter(|r| r.method == "DELETE").count()
    );
}

#[test]
fn a_source_that_fails_never_stops_the_chain() {
    let emu = Emulator::start().unwrap();
    seed(&emu, "c", 1);
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let token_file = std::env::temp_dir().join(format!("apig-pod-token-{}", std::process::id()));
    std::fs::write(&token_file, DEFAULT_POD_TOKEN).unwrap();
    // Pod identity is configured but refuses connections (a transport error): the chain goes
    // on to the metadata service.
    let vars = [
        ("HC_CONTAINER_CREDENTIALS_FULL_URI", format!("http://127.0.0.1:{port}/pod")),
        ("HC_CONTAINER_AUTHORIZATION_TOKEN_FILE", token_file.display().to_string()),
    ];
    let client = from_env(base(&emu).project_id(PROJECT), &vars);
    assert_eq!(client.delete_certificate("c0").unwrap(), Outcome::Deleted);
    assert_eq!((count(&emu, "pod_credentials"), count(&emu, "metadata_credentials")), (0, 1));
    std::fs::remove_file(&token_file).unwrap();
}
