"""Federated (OIDC) identity from Python against the emulator's IAM: from_env and the options,
its place in the chain, its failures, no secret anywhere, and the official SDK's own federated
provider against the same IAM (so that the emulator's wire format is the SDK's)."""

import json
import logging
import pathlib

import pytest

import pyapig
from pyapig.testing import DEFAULT_AK, DEFAULT_POD_TOKEN, DEFAULT_REGION, DEFAULT_SK

from conftest import PROJECT, official_sdk, run_threads

IDP = "cce-oidc-idp"
JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6a3ViZS1zeXN0ZW06Y2xlYW51cCJ9.cHktc2lnbmF0dXJl"
VARIABLES = [
    "HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK", "HUAWEICLOUD_SDK_SECURITY_TOKEN", "HUAWEICLOUD_SDK_PROJECT_ID",
    "HUAWEICLOUD_SDK_CREDENTIALS_FILE", "HUAWEICLOUD_SDK_IAM_ENDPOINT", "HUAWEICLOUD_SDK_IDP_ID",
    "HUAWEICLOUD_SDK_ID_TOKEN_FILE", "HC_CONTAINER_CREDENTIALS_FULL_URI", "HC_CONTAINER_AUTHORIZATION_TOKEN_FILE",
]


@pytest.fixture
def env(monkeypatch, tmp_path, emu):
    """No credentials in the environment but the IdP's (a registered IdP, its token in a file)."""
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    token_file = tmp_path / "oidc-token"
    token_file.write_text(JWT + "\n")
    emu.add_idp(IDP, JWT)
    monkeypatch.setenv("HUAWEICLOUD_SDK_IDP_ID", IDP)
    monkeypatch.setenv("HUAWEICLOUD_SDK_ID_TOKEN_FILE", str(token_file))
    return monkeypatch


def at(emu, **options):
    return dict(endpoint=emu.url, region=DEFAULT_REGION, iam_endpoint=emu.url, metadata_endpoint=emu.url, **options)


def test_from_env_deletes_with_exchanged_keys_one_exchange_for_many_deletes(emu, env):
    for i in range(10):
        emu.add_certificate(f"c{i}")
    client = pyapig.Client.from_env(**at(emu))
    assert 'auth="federated identity"' in repr(client)
    for i in range(10):
        assert client.delete_certificate(f"c{i}") is True
    counters = emu.counters()
    assert (counters["iam_id_tokens"], counters["iam_security_tokens"], counters["iam_projects"]) == (1, 1, 1)
    assert emu.certificates() == []
    deletes = [r for r in emu.requests() if r["method"] == "DELETE"]
    assert all(r["auth"] == "aksk" for r in deletes)


def test_explicit_options_take_a_path_and_say_what_is_missing(emu, env, tmp_path):
    env.delenv("HUAWEICLOUD_SDK_IDP_ID")
    emu.add_certificate("c1")
    client = pyapig.Client(**at(emu, project_id=PROJECT, idp_id=IDP, id_token_file=tmp_path / "oidc-token"))
    assert client.delete_certificate("c1") is True
    with pytest.raises(pyapig.InvalidArgumentError, match="idp_id given without id_token_file"):
        pyapig.Client(**at(emu, idp_id=IDP))
    with pytest.raises(pyapig.InvalidArgumentError, match="conflicting credentials"):
        pyapig.Client(**at(emu, idp_id=IDP, id_token_file="f", token="t"))
    with pytest.raises(TypeError, match="argument 'id_token_file' must be str or os.PathLike, not int"):
        pyapig.Client(**at(emu, idp_id=IDP, id_token_file=3))
    # Half of the variables: from_env refuses it (never a silent fall-through to pod identity).
    with pytest.raises(pyapig.InvalidArgumentError,
                       match="HUAWEICLOUD_SDK_ID_TOKEN_FILE is set but HUAWEICLOUD_SDK_IDP_ID is not"):
        pyapig.Client.from_env(**at(emu))


def test_a_rotated_token_file_is_read_at_the_next_renewal(emu, env, tmp_path):
    import time

    emu.set_credential_lifetime(3)
    for i in range(3):
        emu.add_certificate(f"c{i}")
    client = pyapig.Client.from_env(**at(emu, project_id=PROJECT))
    client.delete_certificate("c0")
    client.delete_certificate("c1")
    emu.add_idp(IDP, "rotated.jwt.token")
    (tmp_path / "oidc-token").write_text("rotated.jwt.token")
    time.sleep(2.7)
    client.delete_certificate("c2")
    assert (emu.counters()["iam_id_tokens"], emu.counters()["expired_uses"]) == (2, 0)


def test_eight_threads_share_one_exchange(emu, env):
    client = pyapig.Client.from_env(**at(emu, project_id=PROJECT))
    for i in range(64):
        emu.add_certificate(f"t{i}")

    def work(n):
        for i in range(n, 64, 8):
            client.delete_certificate(f"t{i}")

    run_threads(work, 8)
    assert (emu.counters()["iam_id_tokens"], emu.counters()["iam_security_tokens"]) == (1, 1)
    assert emu.certificates() == []


def test_the_idp_wins_over_pod_identity_and_the_credentials_file_over_the_idp(emu, env, tmp_path):
    pod_token = tmp_path / "pod-token"
    pod_token.write_text(DEFAULT_POD_TOKEN)
    env.setenv("HC_CONTAINER_CREDENTIALS_FULL_URI", emu.pod_uri)
    env.setenv("HC_CONTAINER_AUTHORIZATION_TOKEN_FILE", str(pod_token))
    emu.add_certificate("c1")
    emu.add_certificate("c2")
    pyapig.Client.from_env(**at(emu, project_id=PROJECT)).delete_certificate("c1")
    counters = emu.counters()
    assert (counters["iam_id_tokens"], counters["pod_credentials"], counters["metadata_credentials"]) == (1, 0, 0)
    credentials = tmp_path / "credentials"
    credentials.write_text(f"[basic]\nak = {DEFAULT_AK}\nsk = {DEFAULT_SK}\n")
    env.setenv("HUAWEICLOUD_SDK_CREDENTIALS_FILE", str(credentials))
    client = pyapig.Client.from_env(**at(emu, project_id=PROJECT))
    assert 'auth="ak/sk"' in repr(client)
    client.delete_certificate("c2")
    assert emu.counters()["iam_id_tokens"] == 1


def test_the_idp_refusing_is_a_credentials_error_with_iams_status_and_code(emu, env):
    emu.add_idp(IDP, "not.the.same.token")
    emu.add_certificate("c1")
    client = pyapig.Client.from_env(**at(emu, project_id=PROJECT))
    with pytest.raises(pyapig.CredentialsError) as info:
        client.delete_certificate("c1", missing_ok=True)
    e = info.value
    assert (e.code, e.status_code, e.error_code) == (16, 401, "IAM.0101")
    assert f"federated identity, IdP \"{IDP}\"" in str(e)
    assert emu.certificates() == ["c1"]
    assert (emu.counters()["pod_credentials"], emu.counters()["metadata_credentials"]) == (0, 0)


def test_a_missing_token_file_names_the_variable_and_the_path(emu, env, tmp_path):
    missing = tmp_path / "gone"
    env.setenv("HUAWEICLOUD_SDK_ID_TOKEN_FILE", str(missing))
    client = pyapig.Client.from_env(**at(emu, project_id=PROJECT))
    with pytest.raises(pyapig.CredentialsError,
                       match=f"cannot read the ID token file {missing} \\(HUAWEICLOUD_SDK_ID_TOKEN_FILE\\)"):
        client.delete_certificate("c1")
    assert emu.counters()["iam_id_tokens"] == 0


def test_no_secret_in_errors_reprs_or_logs(emu, env, caplog):
    caplog.set_level(logging.DEBUG, logger="pyapig")
    seen = []
    emu.set_credential_lifetime(2)
    emu.add_certificate("c1")
    client = pyapig.Client.from_env(**at(emu, project_id=PROJECT))
    client.delete_certificate("c1")
    emu.add_idp(IDP, "another.jwt")
    emu.revoke_temporary_keys()
    with pytest.raises(pyapig.ApigError) as info:
        client.delete_certificate("c2")
    seen += [repr(client), str(info.value), repr(info.value), repr(info.value.args), str(info.value.body)]
    seen += [r.getMessage() for r in caplog.records]
    seen.append(json.dumps(emu.requests()))
    text = "\n".join(seen)
    assert "temporary credentials from federated identity (OIDC)" in text
    issued = [r for r in emu.requests() if r["path"].startswith("/v3.0/")]
    assert issued and all("x-subject-token" not in dict(r["headers"]) for r in issued)
    for secret in (JWT, "MIIemu", "tmp-sk-", "gQpjbi1ub3J0aC00emu"):
        assert secret not in text, secret


def test_the_official_sdks_federated_provider_works_against_the_emulators_iam(emu, env, monkeypatch, tmp_path):
    region = pytest.importorskip("huaweicloudsdkcore.region.region")
    emu.add_certificate("sdk-federated")
    token_file = str(tmp_path / "oidc-token")

    def federated(sdk):
        return sdk.BasicCredentials().with_idp_id(IDP).with_id_token_file(token_file).with_iam_endpoint(emu.url)

    apig_v2, client = official_sdk(monkeypatch, tmp_path, federated,
                                   lambda b: b.with_region(region.Region(DEFAULT_REGION, emu.url)))
    client.delete_certificate_v2(apig_v2.DeleteCertificateV2Request(certificate_id="sdk-federated"))
    paths = [r["path"] for r in emu.requests()]
    assert paths[:2] == ["/v3.0/OS-AUTH/id-token/tokens", "/v3.0/OS-CREDENTIAL/securitytokens"], paths
    assert paths[-1] == f"/v2/{PROJECT}/apigw/certificates/sdk-federated"
    assert emu.certificates() == []


def test_id_token_file_accepts_a_pathlib_path(emu, env, tmp_path):
    env.delenv("HUAWEICLOUD_SDK_IDP_ID")
    client = pyapig.Client(**at(emu, project_id=PROJECT, idp_id=IDP, id_token_file=pathlib.Path(tmp_path) / "oidc-token"))
    emu.add_certificate("c1")
    assert client.delete_certificate("c1") is True
