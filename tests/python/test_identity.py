"""Identity from Python against the emulator's IAM, metadata service and pod identity: password
tokens, project discovery, the from_env chain, renewal, the official SDK's own discovery, and no
secret anywhere."""

import json
import threading
import time

import pytest

import pyapig
from pyapig.testing import (
    DEFAULT_AK,
    DEFAULT_DOMAIN,
    DEFAULT_PASSWORD,
    DEFAULT_POD_TOKEN,
    DEFAULT_REGION,
    DEFAULT_SK,
    DEFAULT_USER,
    Emulator,
)

from conftest import PROJECT, official_sdk, run_threads

CHAIN_VARIABLES = [
    "HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK", "HUAWEICLOUD_SDK_SECURITY_TOKEN", "HUAWEICLOUD_SDK_PROJECT_ID",
    "HUAWEICLOUD_SDK_CREDENTIALS_FILE", "HUAWEICLOUD_SDK_IAM_ENDPOINT", "HC_CONTAINER_CREDENTIALS_FULL_URI",
    "HC_CONTAINER_AUTHORIZATION_TOKEN_FILE", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy",
    "NO_PROXY", "no_proxy",
]
# What the emulator's issued secrets start with: none may appear in an error, a repr or its log.
ISSUED_SECRETS = ["MIIemu", "tmp-sk-", "gQpjbi1ub3J0aC00emu", "emu-session-", DEFAULT_PASSWORD, DEFAULT_POD_TOKEN]


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No credentials anywhere in the environment; HOME without a credentials file."""
    for name in CHAIN_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    return monkeypatch


def at(emu, **options):
    """Options that send APIG, IAM and metadata requests to the emulator, region cn-north-4."""
    return dict(endpoint=emu.url, region=DEFAULT_REGION, iam_endpoint=emu.url, metadata_endpoint=emu.url, **options)


def password_client(emu, **options):
    return pyapig.Client(**at(emu, user_name=DEFAULT_USER, password=DEFAULT_PASSWORD, domain_name=DEFAULT_DOMAIN, **options))


def seed(emu, prefix, n):
    for i in range(n):
        emu.add_certificate(f"{prefix}{i}")


def test_password_auth_gets_one_token_and_the_project_from_it(emu):
    seed(emu, "c", 3)
    client = password_client(emu)
    assert 'auth="password"' in repr(client) and DEFAULT_PASSWORD not in repr(client)
    for i in range(3):
        client.delete_certificate(f"c{i}")
    assert emu.counters()["iam_tokens"] == 1
    assert emu.certificates() == []
    token_request = next(r for r in emu.requests() if r["path"].startswith("/v3/auth/tokens"))
    assert token_request["path"] == "/v3/auth/tokens?nocatalog=true"


def test_a_wrong_password_raises_credentials_error_without_the_password(emu):
    client = pyapig.Client(**at(emu, user_name=DEFAULT_USER, password="Py-Wr0ng-Secret", domain_name=DEFAULT_DOMAIN))
    with pytest.raises(pyapig.CredentialsError) as info:
        client.delete_certificate("c")
    e = info.value
    assert (e.status_code, e.code) == (401, 16)  # IAM's 401, not APIG's
    assert "The username or password is wrong" in str(e)
    assert e.request_id == emu.requests()[-1]["request_id"]
    for text in (str(e), repr(e), repr(e.args), repr(client)):
        assert "Py-Wr0ng-Secret" not in text


def test_a_revoked_token_is_replaced_once(emu):
    seed(emu, "c", 2)
    client = password_client(emu)
    client.delete_certificate("c0")
    emu.revoke_tokens()
    client.delete_certificate("c1")
    assert emu.counters()["iam_tokens"] == 2
    emu.fail(401, {"error_code": "APIG.1002", "error_msg": "Incorrect token or token resolution failed"})
    with pytest.raises(pyapig.AuthenticationError, match="refused again with credentials fetched anew"):
        client.delete_certificate("c2")
    assert emu.counters()["iam_tokens"] == 3, "one new token, no loop"


@pytest.mark.parametrize(
    "options, missing",
    [
        (dict(user_name="u"), "password, domain_name missing"),
        (dict(user_name="u", password="p"), "domain_name missing"),
        (dict(password="p", domain_name="d"), "user_name missing"),
    ],
)
def test_incomplete_password_credentials_name_what_is_missing(emu, options, missing):
    with pytest.raises(pyapig.InvalidArgumentError, match=missing):
        pyapig.Client(**at(emu, **options))


def test_aksk_discovers_the_project_once(emu):
    seed(emu, "c", 3)
    for i in range(3):
        pyapig.Client(**at(emu, ak=DEFAULT_AK, sk=DEFAULT_SK)).delete_certificate(f"c{i}")
    assert emu.counters()["iam_projects"] == 1
    [lookup] = [r for r in emu.requests() if r["path"].startswith("/v3/projects")]
    assert lookup["path"] == "/v3/projects?name=cn-north-4"


def test_discovery_errors_say_which_region_and_what_to_do(emu):
    emu.clear_projects()
    with pytest.raises(pyapig.CredentialsError, match="no project named cn-north-4 in this account: check the region, or give project_id"):
        pyapig.Client(**at(emu, ak=DEFAULT_AK, sk=DEFAULT_SK)).delete_certificate("c")
    emu.add_project(DEFAULT_REGION, "pa1")
    emu.add_project(DEFAULT_REGION, "pb2")
    with pytest.raises(pyapig.CredentialsError, match=r"several projects named cn-north-4 \(pa1, pb2\): give project_id"):
        pyapig.Client(**at(emu, ak=DEFAULT_AK, sk=DEFAULT_SK)).delete_certificate("c")


def test_no_project_and_no_region_is_refused_before_any_io(emu):
    client = pyapig.Client(endpoint=emu.url, ak=DEFAULT_AK, sk=DEFAULT_SK)
    with pytest.raises(pyapig.InvalidArgumentError, match="give region to look it up in IAM"):
        client.delete_certificate("c")
    assert emu.requests() == []


def test_from_env_uses_the_instance_metadata_and_fetches_once(emu, clean_env):
    clean_env.setenv("APIG_METADATA_ENDPOINT", emu.url)
    seed(emu, "c", 5)
    client = pyapig.Client.from_env(endpoint=emu.url, project_id=PROJECT)
    assert 'auth="pod identity or ECS metadata"' in repr(client)
    for i in range(5):
        client.delete_certificate(f"c{i}")
    counters = emu.counters()
    assert (counters["metadata_session_tokens"], counters["metadata_credentials"]) == (1, 1)


@pytest.mark.parametrize("mode", ["old"])
def test_an_old_metadata_service_is_asked_without_a_session_token(emu, clean_env, mode):
    emu.set_metadata_mode(mode)
    emu.add_certificate("c1")
    pyapig.Client.from_env(**at(emu, project_id=PROJECT)).delete_certificate("c1")
    assert [r["status"] for r in emu.requests() if not r["path"].startswith("/v2/")] == [404, 200]


def test_no_agency_is_a_configuration_error(emu, clean_env):
    emu.set_metadata_mode("no-agency")
    with pytest.raises(pyapig.CredentialsError, match="this instance has no agency"):
        pyapig.Client.from_env(**at(emu, project_id=PROJECT)).delete_certificate("c")


def test_pod_identity_wins_over_metadata_and_rereads_its_token(emu, clean_env, tmp_path):
    token_file = tmp_path / "pod-token"
    token_file.write_text(DEFAULT_POD_TOKEN)
    clean_env.setenv("HC_CONTAINER_CREDENTIALS_FULL_URI", emu.pod_uri)
    clean_env.setenv("HC_CONTAINER_AUTHORIZATION_TOKEN_FILE", str(token_file))
    emu.set_credential_lifetime(3)
    seed(emu, "c", 3)
    client = pyapig.Client.from_env(**at(emu, project_id=PROJECT))
    client.delete_certificate("c0")
    client.delete_certificate("c1")
    assert (emu.counters()["pod_credentials"], emu.counters()["metadata_credentials"]) == (1, 0)
    emu.set_pod_token("rotated-token")
    token_file.write_text("rotated-token")
    time.sleep(2.7)
    client.delete_certificate("c2")
    assert emu.counters()["pod_credentials"] == 2


def test_an_empty_chain_lists_every_source(clean_env, closed_port):
    clean_env.setenv("APIG_METADATA_ENDPOINT", f"http://127.0.0.1:{closed_port}")
    client = pyapig.Client.from_env(endpoint="http://127.0.0.1:1", project_id=PROJECT)
    started = time.monotonic()
    with pytest.raises(pyapig.CredentialsError) as info:
        client.delete_certificate("c")
    assert time.monotonic() - started < 30  # a generous bound: "a few seconds, not a minute"
    assert str(info.value) == (
        "no credentials found: HUAWEICLOUD_SDK_AK not set; ~/.huaweicloud/credentials: not found; "
        "federated identity: HUAWEICLOUD_SDK_IDP_ID not set; pod identity: HC_CONTAINER_CREDENTIALS_FULL_URI not set; "
        f"ECS metadata http://127.0.0.1:{closed_port}: connection refused"
    )


def test_metadata_requests_bypass_http_proxy(emu, clean_env):
    with Emulator() as proxy:
        clean_env.setenv("HTTP_PROXY", proxy.url)
        clean_env.setenv("APIG_METADATA_ENDPOINT", emu.url)
        # connect_timeout makes a client with its own pool, which reads HTTP_PROXY now.
        client = pyapig.Client.from_env(endpoint=emu.url, project_id=PROJECT, connect_timeout=5)
        # APIG's request went through the proxy (which tunnels to its own APIG: unknown keys).
        with pytest.raises(pyapig.AuthenticationError):
            client.delete_certificate("c")
        # Refused keys are fetched anew once (they may have been revoked), straight from the service.
        assert emu.counters()["metadata_credentials"] == 2
        through_proxy = [r["method"] + " " + r["path"] for r in proxy.requests()]
        assert any(r.startswith("CONNECT") for r in through_proxy)
        assert not any("securitykey" in r or "api/token" in r for r in through_proxy), through_proxy


def test_eight_threads_renew_expiring_keys_once_each_time(emu, clean_env):
    emu.set_credential_lifetime(2)
    client = pyapig.Client.from_env(**at(emu, project_id=PROJECT))
    errors = []
    stop = time.monotonic() + 4.5

    def work(t):
        i = 0
        while time.monotonic() < stop:
            emu.add_certificate(f"t{t}-{i}")
            try:
                client.delete_certificate(f"t{t}-{i}")
            except pyapig.ApigError as e:  # pragma: no cover - reported below
                errors.append(repr(e))
            i += 1

    run_threads(work, 8)
    assert errors == []
    fetches = emu.counters()["metadata_credentials"]
    keys = {r["headers"]["authorization"].split("Access=")[1].split(",")[0] for r in emu.requests() if r["method"] == "DELETE"}
    assert 3 <= fetches <= 6, fetches
    assert len(keys) == fetches, "one fetch per renewal, every set used"
    assert emu.counters()["expired_uses"] == 0


def test_no_secret_in_any_error_repr_or_log(emu, clean_env, tmp_path, closed_port, caplog):
    import logging

    caplog.set_level(logging.DEBUG, logger="pyapig")
    seen = []
    emu.set_credential_lifetime(2)
    emu.add_certificate("c1")
    clients = [
        password_client(emu),
        pyapig.Client(**at(emu, user_name=DEFAULT_USER, password="not-" + DEFAULT_PASSWORD, domain_name=DEFAULT_DOMAIN)),
        pyapig.Client.from_env(**at(emu, project_id=PROJECT)),
    ]
    emu.fail(401, {"error_code": "APIG.1002", "error_msg": "Incorrect token"}, times=2)
    for client in clients:
        seen.append(repr(client))
        for cert in ("c1", "missing"):
            try:
                client.delete_certificate(cert)
            except pyapig.ApigError as e:
                seen += [str(e), repr(e), repr(e.args), str(e.error_msg)]
    seen.append(json.dumps(emu.requests()))
    log = [r.getMessage() for r in caplog.records]
    seen += log
    text = "\n".join(seen)
    assert "Incorrect token" in text and "The username or password is wrong" in text
    assert any("temporary credentials from ECS metadata" in m for m in log), log
    assert any("a token for project" in m for m in log), log
    assert not any("Authorization" in m or "SDK-HMAC-SHA256" in m for m in log)
    for secret in ISSUED_SECRETS:
        assert secret not in text, secret


def test_the_official_sdks_own_discovery_works_against_the_emulators_iam(emu, monkeypatch, tmp_path):
    region = pytest.importorskip("huaweicloudsdkcore.region.region")
    emu.add_certificate("sdk-discovered")
    credentials = None

    def discovering(sdk):
        nonlocal credentials
        credentials = sdk.BasicCredentials(DEFAULT_AK, DEFAULT_SK).with_iam_endpoint(emu.url)
        return credentials

    apig_v2, client = official_sdk(monkeypatch, tmp_path, discovering,
                                   lambda b: b.with_region(region.Region(DEFAULT_REGION, emu.url)))
    client.delete_certificate_v2(apig_v2.DeleteCertificateV2Request(certificate_id="sdk-discovered"))
    assert credentials.project_id == PROJECT
    paths = [r["path"] for r in emu.requests()]
    assert paths == ["/v3/projects?name=cn-north-4", f"/v2/{PROJECT}/apigw/certificates/sdk-discovered"]
    assert emu.certificates() == []


def test_a_metadata_service_that_holds_the_token_call_is_asked_without_a_token(emu, clean_env):
    """An older service may accept the PUT for a session token and never answer it: after the
    read timeout (3 s) the key is asked for without a token."""
    import http.server

    expires = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
    seen = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_PUT(self):  # noqa: N802 - the http.server API
            seen.append(("PUT", self.path))
            time.sleep(5)

        def do_GET(self):  # noqa: N802
            seen.append(("GET", self.path, self.headers.get("X-Metadata-Token")))
            body = json.dumps({"credential": {"access": DEFAULT_AK, "secret": DEFAULT_SK,
                                              "securitytoken": "old-service-token", "expires_at": expires}}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        emu.add_certificate("c1")
        metadata = f"http://127.0.0.1:{server.server_address[1]}"
        pyapig.Client.from_env(endpoint=emu.url, project_id=PROJECT, metadata_endpoint=metadata).delete_certificate("c1")
    finally:
        server.shutdown()
        server.server_close()
    assert seen == [("PUT", "/meta-data/latest/api/token"), ("GET", "/openstack/latest/securitykey", None)]
    assert emu.certificates() == []
