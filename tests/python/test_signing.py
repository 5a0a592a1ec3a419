"""AK/SK signing: identical to the official SDK's signer, verified end to end by the emulator,
and the emulator accepts the official SDK's own requests."""

import random
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

import pyapig
from pyapig import _native
from pyapig.testing import DEFAULT_AK, DEFAULT_SK

from conftest import PROJECT, official_sdk

Signer = pytest.importorskip("huaweicloudsdkcore.signer.signer").Signer
SdkRequest = pytest.importorskip("huaweicloudsdkcore.sdk_request").SdkRequest

ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_."


def official_authorization(ak, sk, method, host, path, headers, query=()):
    request = SdkRequest(
        method=method,
        schema="https",
        host=host,
        resource_path=path,
        query_params=list(query),
        header_params=dict(headers),
        body="",
    )
    Signer(SimpleNamespace(ak=ak, sk=sk)).sign(request)
    return request.header_params["Authorization"]


def cases(n=300):
    rng = random.Random(20261129)
    hosts = ["apig.cn-north-4.myhuaweicloud.com", "apig.eu-west-101.myhuaweicloud.eu", "127.0.0.1:8443",
             "gw.example.com:443", "localhost:1", "[::1]:9443"]
    start = datetime(2020, 1, 1, tzinfo=timezone.utc)
    for i in range(n):
        project = "".join(rng.choice("0123456789abcdef") for _ in range(32))
        cert = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 64)))
        date = (start + timedelta(seconds=rng.randint(0, 10 * 365 * 86400))).strftime("%Y%m%dT%H%M%SZ")
        ak = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") for _ in range(20))
        sk = "".join(rng.choice(ALPHABET + "+/=") for _ in range(40))
        headers = {"Host": rng.choice(hosts), "X-Project-Id": project, "X-Sdk-Date": date}
        if i % 3 == 0:
            headers["X-Security-Token"] = "".join(rng.choice(ALPHABET + "+/=") for _ in range(rng.randint(16, 400)))
        if i % 5 == 0:
            headers["Content-Type"] = "application/json"
            headers["User-Agent"] = "huaweicloud-usdk-python/3.0"
        yield ak, sk, f"/v2/{project}/apigw/certificates/{cert}", headers


def test_signatures_match_the_official_signer_across_a_spread_of_requests():
    count = 0
    for ak, sk, path, headers in cases():
        ours = _native._sign(ak, sk, "DELETE", path, [], list(headers.items()))
        theirs = official_authorization(ak, sk, "DELETE", headers["Host"], path, headers)
        assert ours == theirs, (path, headers)
        count += 1
    assert count == 300


def test_spec_vector_1_through_python():
    headers = [
        ("Content-Type", "application/json"),
        ("Host", "apig.cn-north-4.myhuaweicloud.com"),
        ("User-Agent", "huaweicloud-usdk-python/3.0"),
        ("X-Project-Id", "0123456789abcdef0123456789abcdef"),
        ("X-Sdk-Date", "20240101T000000Z"),
    ]
    path = "/v2/0123456789abcdef0123456789abcdef/apigw/certificates/b6f9b7e2c4b14e5e8a1f0c3d2e1f0a9b"
    got = _native._sign("AKIDEXAMPLE1234567890", "SKEXAMPLEsecretKey0123456789abcdefghijkl", "DELETE", path, [], headers)
    assert got.endswith("Signature=96cc06e4e613654bb61e2a8c207fdd47398bdc6ae92a28a8059165327415d653")


@pytest.mark.parametrize("security_token", [None, "TEMPORARY-SECURITY-TOKEN-0123456789"])
def test_the_clients_own_requests_match_the_official_signer(emu, security_token):
    """What our client put on the wire, re-signed by the official signer, gives the same header."""
    emu.add_certificate("c1")
    kwargs = dict(ak=DEFAULT_AK, sk=DEFAULT_SK)
    if security_token:
        kwargs["security_token"] = security_token
    emu.client(**kwargs).delete_certificate("c1")
    [request] = emu.requests()
    assert request["outcome"] == "deleted"
    sent = request["headers"]
    names = sent["authorization"].split("SignedHeaders=")[1].split(",")[0].split(";")
    signed = {name: sent[name] for name in names}
    if security_token:
        signed["x-security-token"] = security_token  # the log redacts it
    theirs = official_authorization(DEFAULT_AK, DEFAULT_SK, "DELETE", sent["host"], request["path"], signed)
    assert sent["authorization"] == theirs


def test_wrong_signature_and_expired_date_are_refused(emu):
    with pytest.raises(pyapig.AuthenticationError) as info:
        emu.client(ak=DEFAULT_AK, sk="not-the-secret-key").delete_certificate("c1")
    assert info.value.error_code == "APIGW.0301"
    assert "not-the-secret-key" not in repr(info.value)


def test_an_hour_of_clock_skew_is_fixed_by_one_re_sign(emu):
    emu.add_certificate("c1")
    emu.set_clock_offset(-3600)
    emu.client(ak=DEFAULT_AK, sk=DEFAULT_SK, max_retries=0).delete_certificate("c1")
    assert [r["status"] for r in emu.requests()] == [401, 204]


def test_temporary_credentials_delete(emu):
    emu.add_certificate("c1")
    emu.client(ak=DEFAULT_AK, sk=DEFAULT_SK, security_token="STS-TOKEN-abc").delete_certificate("c1")
    assert emu.requests()[0]["headers"]["x-security-token"] == "<redacted>"
    assert emu.certificates() == []


def test_from_env_and_the_credentials_file(emu, monkeypatch, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for name in ["HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK", "HUAWEICLOUD_SDK_SECURITY_TOKEN",
                 "HUAWEICLOUD_SDK_PROJECT_ID", "HUAWEICLOUD_SDK_CREDENTIALS_FILE"]:
        monkeypatch.delenv(name, raising=False)
    emu.add_certificate("env1")
    emu.add_certificate("file1")
    emu.add_certificate("explicit1", project_id="explicitproject")

    monkeypatch.setenv("HUAWEICLOUD_SDK_AK", DEFAULT_AK)
    monkeypatch.setenv("HUAWEICLOUD_SDK_SK", DEFAULT_SK)
    monkeypatch.setenv("HUAWEICLOUD_SDK_PROJECT_ID", PROJECT)
    c = pyapig.Client.from_env(endpoint=emu.url)
    assert c.project_id == PROJECT
    c.delete_certificate("env1")
    # Explicit arguments win over the environment.
    pyapig.Client.from_env(endpoint=emu.url, project_id="explicitproject").delete_certificate("explicit1")

    for name in ["HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK", "HUAWEICLOUD_SDK_PROJECT_ID"]:
        monkeypatch.delenv(name)
    creds = tmp_path / "credentials"
    creds.write_text(f"[basic]\nak = {DEFAULT_AK}\nsk = {DEFAULT_SK}\nproject_id = {PROJECT}\n")
    monkeypatch.setenv("HUAWEICLOUD_SDK_CREDENTIALS_FILE", str(creds))
    pyapig.Client.from_env(endpoint=emu.url).delete_certificate("file1")
    assert [r["outcome"] for r in emu.requests()] == ["deleted"] * 3
    assert list(home.iterdir()) == [], "nothing may be written to the home directory"

    monkeypatch.setenv("HUAWEICLOUD_SDK_CREDENTIALS_FILE", str(tmp_path / "missing"))
    with pytest.raises(pyapig.InvalidArgumentError):
        pyapig.Client.from_env(endpoint=emu.url)


def test_the_emulator_accepts_the_official_sdks_requests(emu, monkeypatch, tmp_path):
    emu.add_certificate("sdkcert")
    apig_v2, client = official_sdk(monkeypatch, tmp_path,
                                   lambda sdk: sdk.BasicCredentials(DEFAULT_AK, DEFAULT_SK, PROJECT),
                                   lambda b: b.with_endpoints([emu.url]))
    client.delete_certificate_v2(apig_v2.DeleteCertificateV2Request(certificate_id="sdkcert"))
    [request] = emu.requests()
    assert request["auth"] == "aksk"
    assert request["outcome"] == "deleted"


@pytest.mark.parametrize("security_token", [None, "STS-TOKEN-for-iam"])
def test_the_iam_project_lookup_is_signed_as_the_official_signer_signs_it(emu, security_token):
    emu.add_certificate("c1")
    options = dict(endpoint=emu.url, region="cn-north-4", iam_endpoint=emu.url, ak=DEFAULT_AK, sk=DEFAULT_SK)
    if security_token:
        options["security_token"] = security_token
    pyapig.Client(**options).delete_certificate("c1")
    [lookup] = [r for r in emu.requests() if r["path"].startswith("/v3/projects")]
    sent = lookup["headers"]
    headers = {"Host": sent["host"], "X-Sdk-Date": sent["x-sdk-date"]}
    if security_token:
        headers["X-Security-Token"] = security_token
    theirs = official_authorization(DEFAULT_AK, DEFAULT_SK, "GET", sent["host"], "/v3/projects", headers,
                                    query=[("name", "cn-north-4")])
    assert sent["authorization"] == theirs
