"""pyapig.Client and pyapig.delete_certificate against the emulator."""

import threading

import pytest

import pyapig
from pyapig.testing import BOUND_ERROR_CODE, DEFAULT_TOKEN

from conftest import PROJECT, run_threads


def test_version():
    assert pyapig.__version__ == pyapig._native.__version__
    assert pyapig.__version__.count(".") == 2


def test_delete_then_not_found_then_missing_ok(emu, client):
    emu.add_certificate("c1")
    assert client.delete_certificate("c1") is True  # this call deleted it
    assert emu.certificates() == []
    with pytest.raises(pyapig.NotFoundError) as info:
        client.delete_certificate("c1")
    assert info.value.error_code == "APIG.3021"
    assert client.delete_certificate("c1", missing_ok=True) is False  # it was already absent
    [first, *_] = emu.requests()
    assert first["method"] == "DELETE"
    assert first["path"] == f"/v2/{PROJECT}/apigw/certificates/c1"
    assert first["headers"]["user-agent"].startswith("apig/")


def test_one_shot_function(emu):
    emu.add_certificate("c1")
    kwargs = dict(project_id=PROJECT, endpoint=emu.url, token=DEFAULT_TOKEN)
    assert pyapig.delete_certificate("c1", **kwargs) is True
    assert pyapig.delete_certificate("c1", missing_ok=True, **kwargs) is False
    with pytest.raises(pyapig.NotFoundError):
        pyapig.delete_certificate("c1", **kwargs)
    pyapig.delete_certificate("c1", missing_ok=True, timeout=5, **kwargs)
    connections = {r["connection"] for r in emu.requests()}
    assert len(connections) == 1, "one-shot calls should reuse the pooled connection"


def test_per_call_project(emu, client):
    emu.add_certificate("c1", project_id="otherproject")
    client.delete_certificate("c1", project_id="otherproject")
    assert emu.certificates("otherproject") == []


def test_bound_certificate_is_refused(emu, client):
    emu.add_certificate("bound", bound_to=["www.example.com"])
    with pytest.raises(pyapig.PermissionDeniedError) as info:
        client.delete_certificate("bound")
    assert (info.value.status_code, info.value.error_code) == (403, BOUND_ERROR_CODE)
    assert "www.example.com" in info.value.error_msg
    assert emu.certificates() == ["bound"]


@pytest.mark.parametrize("cert_id", ["", ".", "..", "a/b", "a b", "a?b", "é", "x" * 129, "a\nb"])
def test_invalid_ids_reach_no_server(emu, client, cert_id):
    with pytest.raises(pyapig.InvalidArgumentError) as info:
        client.delete_certificate(cert_id)
    assert isinstance(info.value, ValueError)
    assert "certificate_id" in str(info.value)
    assert emu.requests() == []


@pytest.mark.parametrize(
    "kwargs,field",
    [
        (dict(endpoint="ftp://x"), "endpoint"),
        (dict(endpoint="http://203.0.113.9"), "plain http"),
        (dict(endpoint="https://h?x=1"), "query"),
        (dict(token="t\r\nX-Evil: 1"), "token"),
        (dict(token=""), "token"),
        (dict(project_id="p/q"), "project_id"),
        (dict(timeout=0), "timeout"),
        (dict(timeout=-1), "timeout"),
        (dict(connect_timeout=float("nan")), "connect_timeout"),
        (dict(token="t", ak="AK", sk="SK"), "conflicting"),
        (dict(token=None, ak="AK"), "without sk"),
        (dict(region="Not A Region", endpoint=None), "region"),
    ],
)
def test_invalid_options_are_refused_before_io(emu, kwargs, field):
    options = dict(endpoint=emu.url, project_id=PROJECT, token=DEFAULT_TOKEN)
    options.update(kwargs)
    options = {k: v for k, v in options.items() if v is not None}
    with pytest.raises(pyapig.InvalidArgumentError) as info:
        pyapig.Client(**options)
    assert field in str(info.value)
    assert emu.requests() == []


def test_http_to_a_remote_host_needs_an_explicit_opt_in():
    c = pyapig.Client(endpoint="http://apig.internal.example", project_id="p", token="t", allow_insecure_http=True)
    assert c.endpoint == "http://apig.internal.example"


def test_region_endpoints():
    assert pyapig.Client(region="cn-north-4", token="t").endpoint == "https://apig.cn-north-4.myhuaweicloud.com"
    assert pyapig.Client(region="eu-west-101", token="t").endpoint == "https://apig.eu-west-101.myhuaweicloud.eu"
    assert pyapig.Client(region="xx-brand-new-9", token="t").endpoint == "https://apig.xx-brand-new-9.myhuaweicloud.com"
    c = pyapig.Client(region="cn-north-4", endpoint="https://override.example", token="t")
    assert c.endpoint == "https://override.example"


def test_region_override_from_the_environment(monkeypatch):
    monkeypatch.setenv("HUAWEICLOUD_SDK_REGION_APIG_CN_NORTH_4", "https://apig.private.example:8443,https://b")
    assert pyapig.Client(region="cn-north-4", token="t").endpoint == "https://apig.private.example:8443"


def test_repr_and_errors_hide_secrets(emu):
    token = "PY-TOKEN-SECRET-19af"
    emu.add_token(token)
    emu.fail(400, {"error_code": "X", "error_msg": f"echo {token}"}, certificate_id="echo")
    c = emu.client(token=token)
    texts = [repr(c), str(c)]
    for cert in ["echo", "missing"]:
        with pytest.raises(pyapig.ApigError) as info:
            c.delete_certificate(cert)
        e = info.value
        texts += [str(e), repr(e), str(e.error_msg), str(e.body), repr(e.__reduce__())]
    for bad in [token + "\n", token + "\x00"]:
        with pytest.raises(pyapig.InvalidArgumentError) as info:
            pyapig.Client(endpoint=emu.url, token=bad)
        texts.append(str(info.value))
    sk = "PY-SK-SECRET-88c1"
    with pytest.raises(pyapig.InvalidArgumentError) as info:
        pyapig.Client(endpoint=emu.url, token=token, ak="AK", sk=sk)
    texts.append(str(info.value))
    texts.append(repr(pyapig.Client(endpoint=emu.url, ak="AK", sk=sk, security_token="PY-ST-SECRET-aa")))
    blob = "\n".join(texts)
    for secret in [token, sk, "PY-ST-SECRET-aa"]:
        assert secret not in blob
    assert "<redacted>" in blob


def test_gil_is_released_during_the_call(emu):
    """While a call waits on a slow server, other Python threads keep running."""
    emu.add_certificate("c1")
    emu.add_certificate("c2")
    emu.add_rule(action="pass", delay_ms=700)
    client = emu.client()
    done = []

    def call(cert):
        client.delete_certificate(cert)
        done.append(cert)

    threads = [threading.Thread(target=call, args=(c,)) for c in ("c1", "c2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(done) == ["c1", "c2"]
    # Had the GIL been held, the calls would have run one after the other on the one pooled
    # connection; both were in flight at once, so the server saw two connections.
    assert len({r["connection"] for r in emu.requests()}) == 2


def test_one_client_shared_by_eight_threads(emu):
    per_thread = 250
    for t in range(8):
        for i in range(per_thread):
            emu.add_certificate(f"t{t}-{i}")
    client = emu.client()
    errors = []

    def work(t):
        try:
            for i in range(per_thread):
                client.delete_certificate(f"t{t}-{i}")
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    run_threads(work, 8)
    assert errors == []
    assert emu.certificates() == []
    log = emu.requests()
    assert len(log) == 8 * per_thread
    assert {r["status"] for r in log} == {204}
    assert len({r["certificate_id"] for r in log}) == 8 * per_thread


NAMED = [
    (lambda e: pyapig.delete_certificate("c", project_id=None, endpoint=e, token="t"),
     "delete_certificate() argument 'project_id' must be str, not None"),
    (lambda e: pyapig.delete_certificate(None, project_id="p", endpoint=e, token="t"),
     "delete_certificate() argument 'certificate_id' must be str, not None"),
    (lambda e: pyapig.delete_certificate("c", project_id="p", endpoint=5, token="t"),
     "delete_certificate() argument 'endpoint' must be str, not int"),
    (lambda e: pyapig.delete_certificate("c", project_id="p", endpoint=e, token=b"t"),
     "delete_certificate() argument 'token' must be str, not bytes"),
    (lambda e: pyapig.delete_certificate("c", project_id="p", endpoint=e, token="t", timeout="5"),
     "delete_certificate() argument 'timeout' must be int or float, not str"),
    (lambda e: pyapig.delete_certificate("c", project_id="p", endpoint=e, token="t", missing_ok="yes"),
     "delete_certificate() argument 'missing_ok' must be bool, not str"),
    (lambda e: pyapig.delete_certificate("c", project_id="p", endpoint=e, token="t", ca_file=b"ca.pem"),
     "delete_certificate() argument 'ca_file' must be str or os.PathLike, not bytes"),
    (lambda e: pyapig.Client(endpoint=e, token="t").delete_certificate(3),
     "delete_certificate() argument 'certificate_id' must be str, not int"),
    (lambda e: pyapig.Client(endpoint=e, token="t").delete_certificate("c", project_id=7),
     "delete_certificate() argument 'project_id' must be str or None, not int"),
    (lambda e: pyapig.Client(endpoint=e, token=1), "Client() argument 'token' must be str or None, not int"),
    (lambda e: pyapig.Client(endpoint=e, token="t", verify="no"), "Client() argument 'verify' must be bool, not str"),
    (lambda e: pyapig.Client(endpoint=e, token="t", timeout=True), "Client() argument 'timeout' must be int or float, not bool"),
    (lambda e: pyapig.Client(endpoint=e, token="t", max_retries=2.5), "Client() argument 'max_retries' must be int, not float"),
    (lambda e: pyapig.Client(endpoint=e, token="t", ca_file=3), "Client() argument 'ca_file' must be str or os.PathLike, not int"),
    (lambda e: pyapig.Client.from_env(endpoint=e, password=["x"]), "Client() argument 'password' must be str or None, not list"),
]


@pytest.mark.parametrize("call, message", NAMED, ids=[m.split("'")[1] + "-" + m.split("(")[0] for _, m in NAMED])
def test_a_wrong_type_names_the_argument(emu, call, message):
    with pytest.raises(TypeError) as info:
        call(emu.url)
    assert str(info.value) == message
    assert emu.requests() == []


def test_a_negative_count_names_the_argument(emu):
    with pytest.raises(ValueError, match="Client\\(\\) argument 'max_retries' must be a non-negative int, not -1"):
        pyapig.Client(endpoint=emu.url, token="t", max_retries=-1)
