//! The calls around the delete, from Rust, against the emulator over real sockets: the listing
//! over every gateway, bound domains, a refusal that says why, detach-then-delete.

use apig::emulator::{Binding, CertMeta, DEFAULT_TOKEN, Emulator, RecordedRequest, Rule};
use apig::{CallOptions, Client, DeleteOptions, ErrorKind, ListFilter, Outcome, Scope};
use std::collections::BTreeSet;

const PROJECT: &str = "0123456789abcdef0123456789abcdef";

fn client(emu: &Emulator) -> Client {
    Client::builder().endpoint(emu.url()).project_id(PROJECT).token(DEFAULT_TOKEN).build().unwrap()
}

fn meta(id: &str, gateway: Option<&str>, not_after: &str) -> CertMeta {
    CertMeta { instance_id: gateway.map(str::to_string), not_after: not_after.to_string(), ..CertMeta::default_for(id) }
}

fn rule(json: serde_json::Value) -> Rule {
    Rule::from_json(&json).unwrap()
}

/// The value of `name` in a recorded request's query.
fn query_value(r: &RecordedRequest, name: &str) -> Option<String> {
    r.query.split('&').filter_map(|pair| pair.split_once('=')).find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
}

fn writes(emu: &Emulator) -> Vec<String> {
    emu.requests().iter().filter(|r| r.method != "GET").map(|r| format!("{} {}", r.method, r.path)).collect()
}

#[test]
fn the_listing_covers_every_gateway_once_in_pages_of_at_most_500() {
    let emu = Emulator::start().unwrap();
    let mut expected = BTreeSet::new();
    for (prefix, gateway, count) in [("a", Some("gw-a"), 600), ("b", Some("gw-b"), 500), ("g", None, 103)] {
        for i in 0..count {
            let id = format!("{prefix}{i:04}");
            emu.put_certificate(PROJECT, &id, meta(&id, gateway, "2030-01-01T00:00:00Z"), Vec::new());
            expected.insert(id);
        }
    }
    let listed = client(&emu).list_certificates().unwrap();
    assert_eq!(listed.len(), 1203, "each certificate once, globals included");
    assert_eq!(listed.iter().map(|c| c.id.clone()).collect::<BTreeSet<_>>(), expected);
    let global = listed.iter().find(|c| c.id == "g0000").unwrap();
    assert_eq!((global.scope, global.instance_id.as_deref()), (Scope::Global, None));
    let one = listed.iter().find(|c| c.id == "a0001").unwrap();
    assert_eq!((one.scope, one.instance_id.as_deref()), (Scope::Instance, Some("gw-a")));
    assert_eq!(one.not_after, 1_893_456_000);

    let requests = emu.requests();
    // The gateways (1 page), then gw-a's 703 (2 pages) and gw-b's 603 (2 pages).
    assert_eq!(requests.len(), 5, "{:?}", requests.iter().map(|r| &r.query).collect::<Vec<_>>());
    assert!(requests[0].path.ends_with("/apigw/instances"));
    for r in &requests[1..] {
        assert!(r.path.ends_with("/apigw/certificates"), "{}", r.path);
        assert!(query_value(r, "instance_id").is_some(), "every listing names its gateway: {}", r.query);
        let limit: u32 = query_value(r, "limit").unwrap().parse().unwrap();
        assert!((1..=500).contains(&limit));
    }
}

#[test]
fn filters_go_to_apig_and_one_gateway_is_one_listing() {
    let emu = Emulator::start().unwrap();
    emu.put_certificate(PROJECT, "old-www", meta("old-www", Some("gw-a"), "2020-01-01T00:00:00Z"), Vec::new());
    emu.put_certificate(PROJECT, "new-www", meta("new-www", Some("gw-b"), "2030-01-01T00:00:00Z"), Vec::new());
    let client = client(&emu);
    let filter = ListFilter { instance_id: Some("gw-a"), name: Some("www"), ..ListFilter::default() };
    let listed = client.list_certificates_with(&filter, &CallOptions::default()).unwrap();
    assert_eq!(listed.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), ["old-www"]);
    assert!(listed[0].expired());
    let requests = emu.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(query_value(&requests[0], "name").as_deref(), Some("www"));
    // A bad filter is refused before any I/O.
    let bad = ListFilter { instance_id: Some("gw/../x"), ..ListFilter::default() };
    assert_eq!(
        client.list_certificates_with(&bad, &CallOptions::default()).unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
    assert_eq!(emu.requests().len(), 1);
}

#[test]
fn a_project_without_gateways_lists_nothing_with_one_request() {
    let emu = Emulator::start().unwrap();
    let client = client(&emu);
    assert!(client.list_certificates().unwrap().is_empty());
    assert!(client.list_gateways_with(&CallOptions::default()).unwrap().is_empty());
    assert_eq!(emu.requests().len(), 2);
}

#[test]
fn the_listing_gets_are_retried() {
    let emu = Emulator::start().unwrap();
    emu.put_certificate(PROJECT, "c1", meta("c1", Some("gw-a"), "2030-01-01T00:00:00Z"), Vec::new());
    emu.push_rule(rule(
        serde_json::json!({"path": format!("/v2/{PROJECT}/apigw/certificates"), "times": 1, "status": 503}),
    ));
    emu.push_rule(rule(
        serde_json::json!({"path": format!("/v2/{PROJECT}/apigw/instances"), "times": 1, "action": "reset"}),
    ));
    let listed = client(&emu).list_certificates().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(emu.requests().iter().filter(|r| r.status == 503).count(), 1);
}

#[test]
fn bound_domains_are_paged_and_folded() {
    let emu = Emulator::start().unwrap();
    let mut bindings: Vec<Binding> = (0..700).map(|i| Binding::new(&format!("d{i:03}.example.com"), "gw-a")).collect();
    // A domain served on two ports is listed twice on its gateway, once more on another.
    bindings.push(Binding::new("d000.example.com", "gw-a"));
    bindings.push(Binding::new("d000.example.com", "gw-b"));
    emu.put_certificate(PROJECT, "c1", CertMeta::default_for("c1"), bindings);
    let domains = client(&emu).certificate_domains("c1").unwrap();
    assert_eq!(domains.len(), 701);
    assert_eq!(domains.iter().filter(|d| d.domain == "d000.example.com").count(), 2);
    assert_eq!(domains[0].group_name, "group-d000-example-com");
    assert_eq!(emu.requests().len(), 2, "702 entries in pages of 500");
}

#[test]
fn a_bound_certificate_is_refused_with_its_domains_and_nothing_is_detached() {
    let emu = Emulator::start().unwrap();
    emu.put_certificate(
        PROJECT,
        "c1",
        CertMeta::default_for("c1"),
        vec![
            Binding::new("www.example.com", "gw-a"),
            Binding::new("api.example.com", "gw-a"),
            Binding::new("www.example.com", "gw-b"),
        ],
    );
    let err = client(&emu).delete_certificate("c1").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InUse);
    assert_eq!(err.domains(), ["www.example.com", "api.example.com"]);
    assert_eq!(err.http_status(), Some(403));
    assert!(err.error_code().is_some());
    assert!(
        err.message().starts_with("certificate c1 is still bound to 2 domain names (www.example.com, api.example.com)"),
        "{}",
        err.message()
    );
    assert_eq!(writes(&emu), [format!("DELETE /v2/{PROJECT}/apigw/certificates/c1")], "no detach");
    assert_eq!(emu.bindings(PROJECT, "c1").unwrap().len(), 3);
}

#[test]
fn detach_then_delete_sends_one_batch_with_every_gateway() {
    let emu = Emulator::start().unwrap();
    emu.put_certificate(
        PROJECT,
        "c1",
        CertMeta::default_for("c1"),
        vec![
            Binding::new("www.example.com", "gw-a"),
            Binding::new("api.example.com", "gw-a"),
            Binding::new("www.example.com", "gw-b"),
        ],
    );
    let options = DeleteOptions { detach_domains: true, ..DeleteOptions::default() };
    assert_eq!(client(&emu).delete_certificate_with("c1", &options).unwrap(), Outcome::Deleted);
    let requests = emu.requests();
    let flow: Vec<String> =
        requests.iter().map(|r| format!("{} {}", r.method, r.path.rsplit("/c1").next().unwrap())).collect();
    assert_eq!(flow, ["GET /attached-domains", "POST /domains/detach", "DELETE "]);
    let body: serde_json::Value = serde_json::from_str(&requests[1].body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"domains": [
            {"domain": "www.example.com", "instance_ids": ["gw-a", "gw-b"]},
            {"domain": "api.example.com", "instance_ids": ["gw-a"]}
        ]})
    );
    assert!(emu.certificates(PROJECT).is_empty());
}

#[test]
fn nothing_left_to_detach_is_done() {
    let emu = Emulator::start().unwrap();
    // The listing says a domain is bound; by the time of the detach it no longer is (APIG.2000).
    emu.add_certificate(PROJECT, "c1", &[]);
    let stale = serde_json::json!({"total": 1, "size": 1, "bound_domains": [
        {"url_domain": "gone.example.com", "id": "d1", "instance_id": "gw-a", "api_group_id": "g", "api_group_name": "g"}]});
    emu.push_rule(rule(serde_json::json!({
        "path": format!("/v2/{PROJECT}/apigw/certificates/c1/attached-domains"), "times": 1, "status": 200,
        "body": stale.to_string()})));
    let options = DeleteOptions { detach_domains: true, ..DeleteOptions::default() };
    assert_eq!(client(&emu).delete_certificate_with("c1", &options).unwrap(), Outcome::Deleted);
    let outcomes: Vec<(String, u16)> = emu.requests().iter().map(|r| (r.method.clone(), r.status)).collect();
    // APIG.2000 is also APIG's generic parameter error: the bindings are asked for again first.
    assert_eq!(outcomes, [("GET".into(), 200), ("POST".into(), 400), ("GET".into(), 200), ("DELETE".into(), 204)]);
}

#[test]
fn a_permission_refusal_stays_as_it_was() {
    let emu = Emulator::start().unwrap();
    emu.add_certificate(PROJECT, "free", &[]);
    emu.add_certificate(PROJECT, "bound", &["www.example.com"]);
    let refusal = serde_json::json!({"error_code": "APIG.1005", "error_msg": "No permissions to request this method"});
    // Nothing bound: the refusal is the answer.
    emu.push_rule(rule(serde_json::json!({"path": format!("/v2/{PROJECT}/apigw/certificates/free"), "times": 1,
        "status": 403, "body": refusal.to_string()})));
    let err = client(&emu).delete_certificate("free").unwrap_err();
    assert_eq!((err.kind(), err.error_code()), (ErrorKind::Forbidden, Some("APIG.1005")));
    assert!(err.message().starts_with("HTTP 403: APIG.1005"), "{}", err.message());
    assert!(err.domains().is_empty());
    // A refusal APIG documents as a lack of permission asks nothing more.
    assert_eq!(emu.requests().iter().map(|r| r.method.as_str()).collect::<Vec<_>>(), ["DELETE"]);
    // Another 403 code on a certificate that is not bound: asked, and left as it was.
    let other = serde_json::json!({"error_code": "APIG.3999", "error_msg": "refused"});
    emu.push_rule(rule(serde_json::json!({"path": format!("/v2/{PROJECT}/apigw/certificates/free"), "times": 1,
        "status": 403, "body": other.to_string()})));
    emu.clear_requests();
    let err = client(&emu).delete_certificate("free").unwrap_err();
    assert_eq!((err.kind(), err.error_code()), (ErrorKind::Forbidden, Some("APIG.3999")));
    assert_eq!(emu.requests().iter().map(|r| r.method.as_str()).collect::<Vec<_>>(), ["DELETE", "GET"]);
    // The look-up of the bindings is refused too: the first refusal stands.
    emu.push_rule(rule(serde_json::json!({"path": format!("/v2/{PROJECT}/apigw/certificates/bound/attached-domains"),
        "status": 403, "body": refusal.to_string()})));
    let err = client(&emu).delete_certificate("bound").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Forbidden);
    assert_ne!(err.error_code(), Some("APIG.1005"), "the delete's own refusal");
    assert_eq!(emu.certificates(PROJECT).len(), 2);
}

#[test]
fn a_server_serving_smaller_pages_than_asked_is_read_to_its_total() {
    let emu = Emulator::start().unwrap();
    for id in ["c0", "c1", "c2"] {
        emu.put_certificate(PROJECT, id, meta(id, Some("gw-a"), "2030-01-01T00:00:00Z"), Vec::new());
    }
    // The first page holds 2 of 3 (a server whose pages are smaller than the 500 asked for).
    let page = serde_json::json!({"total": 3, "size": 2, "certs": [
        {"id": "c0", "type": "instance", "instance_id": "gw-a", "not_after": "2030-01-01T00:00:00Z"},
        {"id": "c1", "type": "instance", "instance_id": "gw-a", "not_after": "2030-01-01T00:00:00Z"}]});
    emu.push_rule(rule(serde_json::json!({"path": format!("/v2/{PROJECT}/apigw/certificates"), "times": 1,
        "status": 200, "body": page.to_string()})));
    let listed = client(&emu).list_certificates().unwrap();
    assert_eq!(listed.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), ["c0", "c1", "c2"]);
    let offsets: Vec<Option<String>> = emu.requests()[1..].iter().map(|r| query_value(r, "offset")).collect();
    assert_eq!(offsets, [Some("0".to_string()), Some("2".to_string())]);
}

#[test]
fn a_gateway_gone_since_the_gateways_were_listed_is_skipped_but_a_named_one_is_an_error() {
    let emu = Emulator::start().unwrap();
    emu.put_certificate(PROJECT, "a1", meta("a1", Some("gw-a"), "2030-01-01T00:00:00Z"), Vec::new());
    emu.put_certificate(PROJECT, "b1", meta("b1", Some("gw-b"), "2030-01-01T00:00:00Z"), Vec::new());
    let gone = r#"{"error_code":"APIG.3030","error_msg":"The instance does not exist"}"#;
    let vanish = || {
        rule(serde_json::json!({"path": format!("/v2/{PROJECT}/apigw/certificates"), "times": 1, "status": 404,
            "body": gone}))
    };
    emu.push_rule(vanish());
    let client = client(&emu);
    let listed = client.list_certificates().unwrap();
    assert_eq!(listed.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), ["b1"]);
    emu.push_rule(vanish());
    let named = ListFilter { instance_id: Some("gw-a"), ..ListFilter::default() };
    let err = client.list_certificates_with(&named, &CallOptions::default()).unwrap_err();
    assert_eq!((err.kind(), err.error_code()), (ErrorKind::NotFound, Some("APIG.3030")));
}

#[test]
fn detach_domains_without_the_right_to_look_bindings_up_still_deletes() {
    let emu = Emulator::start().unwrap();
    emu.add_certificate(PROJECT, "free", &[]);
    let refusal = serde_json::json!({"error_code": "APIG.1005", "error_msg": "No permissions to request this method"});
    emu.push_rule(rule(serde_json::json!({"path": format!("/v2/{PROJECT}/apigw/certificates/free/attached-domains"),
        "status": 403, "body": refusal.to_string()})));
    let options = DeleteOptions { detach_domains: true, ..DeleteOptions::default() };
    assert_eq!(client(&emu).delete_certificate_with("free", &options).unwrap(), Outcome::Deleted);
    assert_eq!(writes(&emu), [format!("DELETE /v2/{PROJECT}/apigw/certificates/free")]);
}

#[test]
fn a_refusal_after_detaching_says_the_domains_were_detached() {
    let emu = Emulator::start().unwrap();
    emu.add_certificate(PROJECT, "c1", &["www.example.com"]);
    // The detach answers 204 but the domain is still bound at the delete (bound again meanwhile).
    emu.push_rule(rule(serde_json::json!({"path": format!("/v2/{PROJECT}/apigw/certificates/c1/domains/detach"),
        "times": 1, "status": 204})));
    let options = DeleteOptions { detach_domains: true, ..DeleteOptions::default() };
    let err = client(&emu).delete_certificate_with("c1", &options).unwrap_err();
    assert_eq!((err.kind(), err.domains()), (ErrorKind::InUse, &["www.example.com".to_string()][..]));
    assert!(err.message().ends_with("; its domains were detached before the delete"), "{}", err.message());
    let flow: Vec<String> = emu.requests().iter().map(|r| format!("{} {}", r.method, r.status)).collect();
    assert_eq!(flow, ["GET 200", "POST 204", "DELETE 403", "GET 200"]);
}

#[test]
fn a_server_that_ignores_offset_or_serves_long_pages_is_refused() {
    let emu = Emulator::start().unwrap();
    emu.add_gateway(PROJECT, "gw-a");
    let cert = |i: usize| {
        serde_json::json!({"id": format!("c{i}"), "type": "instance", "instance_id": "gw-a",
        "not_after": "2030-01-01T00:00:00Z"})
    };
    let same = serde_json::json!({"total": 3, "size": 2, "certs": [cert(0), cert(1)]});
    emu.push_rule(rule(serde_json::json!({"path": format!("/v2/{PROJECT}/apigw/certificates"), "times": 2,
        "status": 200, "body": same.to_string()})));
    let err = client(&emu).list_certificates().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol);
    assert!(err.message().contains("the server ignores offset"), "{}", err.message());
    let long = serde_json::json!({"total": 501, "size": 501, "certs": (0..501).map(cert).collect::<Vec<_>>()});
    emu.push_rule(rule(serde_json::json!({"path": format!("/v2/{PROJECT}/apigw/certificates"), "times": 1,
        "status": 200, "body": long.to_string()})));
    let err = client(&emu).list_certificates().unwrap_err();
    assert!(err.message().contains("501 entries where at most 500 were asked for"), "{}", err.message());
}
