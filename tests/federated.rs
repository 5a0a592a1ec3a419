//! Federated (OIDC) identity against the emulator's IAM, over real sockets: the exchange, its
//! renewal with a rotated token file, its place in the `from_env` chain, its failures.

use apig::emulator::{DEFAULT_AK, DEFAULT_POD_TOKEN, DEFAULT_PROJECT_ID, DEFAULT_REGION, DEFAULT_SK, Emulator};
use apig::{Client, ClientBuilder, ErrorKind, Outcome};
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

const PROJECT: &str = DEFAULT_PROJECT_ID;
const IDP: &str = "cce-oidc-idp";
const JWT: &str = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6ZGVmYXVsdDpjbGVhbnVwIn0.c2lnbmF0dXJl";

fn count(emu: &Emulator, name: &str) -> u64 {
    emu.counters()[name].as_u64().unwrap()
}

/// APIG, IAM and the metadata service all at the emulator; region set, no project id.
fn base(emu: &Emulator) -> ClientBuilder {
    Client::builder().endpoint(emu.url()).region(DEFAULT_REGION).iam_endpoint(emu.url()).metadata_endpoint(emu.url())
}

/// A directory of this test's own, removed when dropped.
struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let dir = std::env::temp_dir().join(format!("apig-federated-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Dir(dir)
    }
    fn file(&self, name: &str, content: &str) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, content).unwrap();
        path.display().to_string()
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `from_env` with nothing in the environment but `vars` (HOME has no credentials file).
fn from_env(builder: ClientBuilder, vars: &[(&str, String)]) -> apig::Result<Client> {
    let mut env: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    env.entry("HOME".into()).or_insert_with(|| "/nonexistent-home".into());
    builder.from_env_with(|name| env.get(name).cloned())?.build()
}

fn idp_vars(token_file: &str) -> Vec<(&'static str, String)> {
    vec![("HUAWEICLOUD_SDK_IDP_ID", IDP.to_string()), ("HUAWEICLOUD_SDK_ID_TOKEN_FILE", token_file.to_string())]
}

fn seed(emu: &Emulator, prefix: &str, n: usize) {
    for i in 0..n {
        emu.add_certificate(PROJECT, &format!("{prefix}{i}"), &[]);
    }
}

#[test]
fn from_env_exchanges_the_id_token_once_and_deletes_with_the_keys() {
    let emu = Emulator::start().unwrap();
    emu.add_idp(IDP, JWT);
    seed(&emu, "c", 5);
    let dir = Dir::new("once");
    let client = from_env(base(&emu), &idp_vars(&dir.file("token", &format!("{JWT}\n")))).unwrap();
    assert_eq!(client.auth_kind(), "federated identity");
    for i in 0..5 {
        assert_eq!(client.delete_certificate(&format!("c{i}")).unwrap(), Outcome::Deleted);
    }
    // One exchange (two IAM calls) and one project discovery for five deletes.
    assert_eq!(
        (count(&emu, "iam_id_tokens"), count(&emu, "iam_security_tokens"), count(&emu, "iam_projects")),
        (1, 1, 1)
    );
    let log = emu.requests();
    let exchange = log.iter().find(|r| r.path == "/v3.0/OS-AUTH/id-token/tokens").unwrap();
    assert_eq!(exchange.method, "POST");
    assert!(exchange.headers.iter().any(|(k, v)| k == "x-idp-id" && v == IDP), "{:?}", exchange.headers);
    let deletes: Vec<_> = log.iter().filter(|r| r.method == "DELETE").collect();
    assert_eq!(deletes.len(), 5);
    assert!(deletes.iter().all(|r| r.auth == "aksk" && r.status == 204), "signed with the temporary keys");
    assert!(deletes.iter().all(|r| r.headers.iter().any(|(k, _)| k == "x-security-token")));
}

#[test]
fn explicit_options_work_and_half_of_them_or_a_second_kind_is_refused_before_any_io() {
    let emu = Emulator::start().unwrap();
    emu.add_idp(IDP, JWT);
    seed(&emu, "c", 1);
    let dir = Dir::new("explicit");
    let file = dir.file("token", JWT);
    let client = base(&emu).idp_id(IDP).id_token_file(&file).build().unwrap();
    assert_eq!(client.delete_certificate("c0").unwrap(), Outcome::Deleted);
    for (builder, want) in [
        (base(&emu).idp_id(IDP), "incomplete federated credentials: idp_id given without id_token_file"),
        (base(&emu).id_token_file(&file), "incomplete federated credentials: id_token_file given without idp_id"),
        (base(&emu).idp_id(IDP).id_token_file(&file).token("t"), "conflicting credentials"),
        (base(&emu).idp_id("an idp").id_token_file(&file), "idp_id contains"),
        (Client::builder().endpoint(emu.url()).project_id(PROJECT).idp_id(IDP).id_token_file(&file), "IAM's endpoint"),
    ] {
        let e = builder.build().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert!(e.message().contains(want), "{}", e.message());
    }
    assert_eq!(count(&emu, "iam_id_tokens"), 1, "no I/O for a refused configuration");
    // With from_env, half given explicitly takes the other half from the environment.
    let vars = idp_vars(&file);
    for builder in [base(&emu).idp_id(IDP), base(&emu).id_token_file(&file)] {
        assert_eq!(from_env(builder, &vars).unwrap().auth_kind(), "federated identity");
    }
    let e = from_env(base(&emu).idp_id(IDP), &vars[..1]).unwrap_err();
    assert!(e.message().contains("idp_id given without id_token_file"), "{}", e.message());
}

#[test]
fn a_rotated_token_file_is_read_at_the_next_renewal() {
    let emu = Emulator::start().unwrap();
    emu.add_idp(IDP, JWT);
    emu.set_credential_lifetime(Duration::from_secs(3));
    seed(&emu, "c", 3);
    let dir = Dir::new("rotated");
    let file = dir.file("token", JWT);
    let client = from_env(base(&emu).project_id(PROJECT), &idp_vars(&file)).unwrap();
    client.delete_certificate("c0").unwrap();
    client.delete_certificate("c1").unwrap();
    assert_eq!(count(&emu, "iam_id_tokens"), 1);
    // The platform rotates the projected token: IAM accepts only the new one from now on.
    emu.add_idp(IDP, "rotated-jwt.payload.signature");
    dir.file("token", "rotated-jwt.payload.signature\n");
    std::thread::sleep(Duration::from_millis(2700));
    client.delete_certificate("c2").unwrap();
    assert_eq!((count(&emu, "iam_id_tokens"), count(&emu, "iam_security_tokens")), (2, 2));
    assert_eq!(count(&emu, "expired_uses"), 0);
}

#[test]
fn eight_threads_across_renewals_make_one_exchange_per_renewal() {
    let emu = Emulator::start().unwrap();
    emu.add_idp(IDP, JWT);
    emu.set_credential_lifetime(Duration::from_secs(2));
    let dir = Dir::new("threads");
    let client = from_env(base(&emu).project_id(PROJECT), &idp_vars(&dir.file("token", JWT))).unwrap();
    let stop = std::time::Instant::now() + Duration::from_millis(4500);
    std::thread::scope(|s| {
        for t in 0..8 {
            let (client, emu) = (&client, &emu);
            s.spawn(move || {
                let mut i = 0;
                while std::time::Instant::now() < stop {
                    let id = format!("t{t}-{i}");
                    emu.add_certificate(PROJECT, &id, &[]);
                    assert_eq!(client.delete_certificate(&id).unwrap(), Outcome::Deleted, "{id}");
                    i += 1;
                }
            });
        }
    });
    let exchanges = count(&emu, "iam_id_tokens");
    let keys: std::collections::BTreeSet<String> = emu
        .requests()
        .iter()
        .filter(|r| r.method == "DELETE")
        .filter_map(|r| r.headers.iter().find(|(k, _)| k == "authorization"))
        .map(|(_, v)| v.split("Access=").nth(1).unwrap().split(',').next().unwrap().to_string())
        .collect();
    assert!((3..=6).contains(&exchanges), "about one exchange per second of 2-second keys: {exchanges}");
    assert_eq!(count(&emu, "iam_security_tokens"), exchanges, "each exchange is the two calls");
    assert_eq!(keys.len() as u64, exchanges, "every set of keys was used, and only those: one exchange per renewal");
    assert_eq!(count(&emu, "expired_uses"), 0);
}

#[test]
fn the_chain_order_is_file_then_idp_then_pod_and_metadata() {
    let emu = Emulator::start().unwrap();
    emu.add_idp(IDP, JWT);
    seed(&emu, "c", 2);
    let dir = Dir::new("order");
    let mut vars = idp_vars(&dir.file("token", JWT));
    vars.push(("HC_CONTAINER_CREDENTIALS_FULL_URI", emu.pod_uri()));
    vars.push(("HC_CONTAINER_AUTHORIZATION_TOKEN_FILE", dir.file("pod-token", DEFAULT_POD_TOKEN)));
    // The IdP wins over pod identity and metadata.
    let client = from_env(base(&emu).project_id(PROJECT), &vars).unwrap();
    client.delete_certificate("c0").unwrap();
    assert_eq!(
        (count(&emu, "iam_id_tokens"), count(&emu, "pod_credentials"), count(&emu, "metadata_credentials")),
        (1, 0, 0)
    );
    // A credentials file with keys wins over the IdP.
    let creds = dir.file("credentials", &format!("[basic]\nak = {DEFAULT_AK}\nsk = {DEFAULT_SK}\n"));
    vars.push(("HUAWEICLOUD_SDK_CREDENTIALS_FILE", creds));
    let client = from_env(base(&emu).project_id(PROJECT), &vars).unwrap();
    assert_eq!(client.auth_kind(), "ak/sk");
    client.delete_certificate("c1").unwrap();
    assert_eq!(count(&emu, "iam_id_tokens"), 1);
}

#[test]
fn a_failing_idp_ends_the_chain_with_its_own_error_and_never_shows_a_secret() {
    let emu = Emulator::start().unwrap();
    emu.add_certificate(PROJECT, "c", &[]);
    let dir = Dir::new("refused");
    let file = dir.file("token", JWT);
    let mut vars = idp_vars(&file);
    vars.push(("HC_CONTAINER_CREDENTIALS_FULL_URI", emu.pod_uri()));
    vars.push(("HC_CONTAINER_AUTHORIZATION_TOKEN_FILE", dir.file("pod-token", DEFAULT_POD_TOKEN)));
    let client = from_env(base(&emu).project_id(PROJECT), &vars).unwrap();
    // Unknown to IAM: its 404 says nothing about the certificate, even with missing_ok.
    let options = apig::DeleteOptions { missing_ok: true, ..Default::default() };
    let e = client.delete_certificate_with("c", &options).unwrap_err();
    assert_eq!((e.kind(), e.http_status(), e.error_code()), (ErrorKind::Credentials, Some(404), Some("IAM.0004")));
    assert!(
        e.message().starts_with(&format!("IAM {} (federated identity, IdP \"{IDP}\")", emu.url())),
        "{}",
        e.message()
    );
    // Known, but this token is not the one it accepts.
    emu.add_idp(IDP, "another.jwt.token");
    let client = from_env(base(&emu).project_id(PROJECT), &vars).unwrap();
    let e = client.delete_certificate("c").unwrap_err();
    assert_eq!((e.kind(), e.http_status(), e.error_code()), (ErrorKind::Credentials, Some(401), Some("IAM.0101")));
    for text in [e.message().to_string(), format!("{e:?}"), format!("{client:?}")] {
        assert!(!text.contains(JWT) && !text.contains("MIIemu"), "{text}");
    }
    // Never past the IdP to pod identity or metadata; the certificate is still there.
    assert_eq!((count(&emu, "pod_credentials"), count(&emu, "metadata_credentials")), (0, 0));
    assert_eq!(emu.certificates(PROJECT), ["c"]);
    assert!(emu.requests().iter().all(|r| r.method != "DELETE"));
}

#[test]
fn a_missing_or_empty_token_file_is_a_clear_error_naming_the_variable_and_the_path() {
    let emu = Emulator::start().unwrap();
    emu.add_idp(IDP, JWT);
    let dir = Dir::new("missing");
    let missing = dir.0.join("no-such-token").display().to_string();
    let client = from_env(base(&emu).project_id(PROJECT), &idp_vars(&missing)).unwrap();
    let e = client.delete_certificate("c").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Credentials);
    assert!(
        e.message().contains(&format!("cannot read the ID token file {missing} (HUAWEICLOUD_SDK_ID_TOKEN_FILE)")),
        "{}",
        e.message()
    );
    let empty = dir.file("empty", "\n");
    let client = base(&emu).project_id(PROJECT).idp_id(IDP).id_token_file(&empty).build().unwrap();
    let e = client.delete_certificate("c").unwrap_err();
    assert!(e.message().contains(&format!("the ID token is empty (file {empty}, id_token_file)")), "{}", e.message());
    assert_eq!(count(&emu, "iam_id_tokens"), 0);
    // Half of the variables: refused by from_env itself, before any I/O.
    let e = from_env(base(&emu), &[("HUAWEICLOUD_SDK_ID_TOKEN_FILE", missing)]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(e.message().contains("HUAWEICLOUD_SDK_ID_TOKEN_FILE is set but HUAWEICLOUD_SDK_IDP_ID is not"));
}

#[test]
fn apig_refusing_the_keys_gets_new_ones_once() {
    let emu = Emulator::start().unwrap();
    emu.add_idp(IDP, JWT);
    seed(&emu, "c", 2);
    let dir = Dir::new("revoked");
    let client = from_env(base(&emu).project_id(PROJECT), &idp_vars(&dir.file("token", JWT))).unwrap();
    client.delete_certificate("c0").unwrap();
    emu.revoke_temporary_keys();
    client.delete_certificate("c1").unwrap();
    assert_eq!(count(&emu, "iam_id_tokens"), 2);
}
