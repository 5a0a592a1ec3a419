"""Faults over real sockets: resets, stalls, drips, huge bodies, idle keep-alive closes,
429 with Retry-After, failing the next N requests, TLS and proxies."""

import base64
import os
from pathlib import Path

import pytest

import pyapig
from pyapig.testing import DEFAULT_TOKEN, Emulator

from conftest import PROJECT

TLS = os.path.join(os.path.dirname(__file__), "..", "fixtures", "tls")


def test_reset_before_the_answer_is_retried(emu, client):
    emu.add_certificate("c1")
    emu.add_rule(action="reset", times=1)
    client.delete_certificate("c1")
    assert [r["outcome"] for r in emu.requests()] == ["fault:reset", "deleted"]


def test_reset_without_retries_is_a_connection_error(emu):
    emu.add_rule(action="reset")
    with pytest.raises(pyapig.APIConnectionError) as info:
        emu.client(max_retries=0).delete_certificate("c1")
    assert not isinstance(info.value, pyapig.APITimeoutError)


def test_failing_the_next_n_requests_then_success(emu, client):
    emu.add_certificate("c1")
    emu.fail(503, "<html>Service Unavailable</html>", times=2, headers={"Retry-After": "0"})
    client.delete_certificate("c1")
    assert [r["status"] for r in emu.requests()] == [503, 503, 204]


def test_retries_run_out_with_the_last_real_answer(emu):
    # (A 503 with Retry-After is throttling, retried until the deadline; a 502 counts retries.)
    emu.fail(502, {"error_code": "APIG.0502", "error_msg": "busy"}, times=10, headers={"Retry-After": "0"})
    with pytest.raises(pyapig.InternalServerError) as info:
        emu.client(max_retries=3).delete_certificate("c1")
    assert (info.value.status_code, info.value.error_code, info.value.attempts) == (502, "APIG.0502", 4)
    assert info.value.request_id == emu.requests()[-1]["request_id"]


def test_never_retried_statuses(emu, client):
    for status in (400, 401, 403, 404, 409):
        emu.clear_requests()
        emu.fail(status, {"error_code": "X"}, certificate_id=f"n{status}")
        with pytest.raises(pyapig.APIStatusError):
            client.delete_certificate(f"n{status}")
        # (After a 403, one GET asks what the certificate is bound to.)
        assert [r["method"] for r in emu.requests()].count("DELETE") == 1


def test_404_after_an_ambiguous_attempt_is_explained(emu, client):
    emu.fail(502, "bad gateway", times=1, headers={"Retry-After": "0"})
    with pytest.raises(pyapig.NotFoundError) as info:
        client.delete_certificate("maybe-deleted")
    assert info.value.attempts == 2
    assert "earlier attempt" in str(info.value)


def test_a_stalled_connection_ends_by_the_deadline(emu):
    emu.add_rule(action="stall")
    with pytest.raises(pyapig.APITimeoutError):
        emu.client(timeout=0.5, max_retries=0).delete_certificate("c1")
    assert emu.requests()[0]["outcome"] == "fault:stall"


def test_a_slow_drip_cannot_outlive_the_deadline(emu):
    emu.add_rule(action="drip", status=503, drip_ms=200)
    with pytest.raises(pyapig.APITimeoutError) as info:
        emu.client(timeout=1).delete_certificate("c1")
    assert info.value.status_code == 503


def test_a_huge_body_is_cut_at_the_cap(emu):
    emu.add_rule(action="huge", status=500, body_bytes=200_000_000)
    with pytest.raises(pyapig.InternalServerError) as info:
        emu.client(max_retries=0).delete_certificate("c1")
    assert len(info.value.body) <= 513


def test_idle_keep_alive_connections_closed_by_the_server_are_replaced():
    with Emulator(idle_close=0.1) as emu:
        for c in ("a", "b", "c"):
            emu.add_certificate(c)
        client = emu.client(max_retries=0)
        import time

        for c in ("a", "b", "c"):
            client.delete_certificate(c)
            time.sleep(0.3)
        log = emu.requests()
        assert [r["outcome"] for r in log] == ["deleted"] * 3
        assert len({r["connection"] for r in log}) == 3


def https_emulator():
    return Emulator(tls_cert=os.path.join(TLS, "server.pem"), tls_key=os.path.join(TLS, "server.key"))


def test_tls_is_verified_by_default():
    with https_emulator() as emu:
        assert emu.url.startswith("https://")
        with pytest.raises(pyapig.TLSError) as info:
            emu.client(max_retries=0).delete_certificate("c1")
        assert isinstance(info.value, pyapig.APIConnectionError)
        assert emu.requests() == []


def test_ca_file_adds_trust_and_verify_false_disables_it():
    with https_emulator() as emu:
        emu.add_certificate("a")
        emu.add_certificate("b")
        emu.client(ca_file=os.path.join(TLS, "ca.pem")).delete_certificate("a")
        with pytest.raises(pyapig.TLSError):
            emu.client(ca_file=os.path.join(TLS, "other-ca.pem"), max_retries=0).delete_certificate("b")
        # verify=False really disables verification, whatever ca_file says.
        emu.client(verify=False, ca_file=os.path.join(TLS, "other-ca.pem")).delete_certificate("b")
        assert emu.certificates() == []


def test_the_one_shot_call_takes_a_ca_file():
    """A gateway behind a private CA is reachable without building a client."""
    with https_emulator() as emu:
        emu.add_certificate("a")
        call = dict(project_id=PROJECT, endpoint=emu.url, token=DEFAULT_TOKEN)
        with pytest.raises(pyapig.TLSError):
            pyapig.delete_certificate("a", **call)
        with pytest.raises(pyapig.TLSError):
            pyapig.delete_certificate("a", ca_file=os.path.join(TLS, "other-ca.pem"), **call)
        assert emu.certificates() == ["a"]
        assert pyapig.delete_certificate("a", ca_file=Path(TLS) / "ca.pem", **call) is True
        assert emu.certificates() == []
        with pytest.raises(pyapig.InvalidArgumentError, match="ca_file .*missing.pem: cannot read it"):
            pyapig.delete_certificate("a", ca_file=os.path.join(TLS, "missing.pem"), **call)


def test_a_slow_tls_answer_is_read_whole_and_its_connection_reused():
    """A call waits for its answer in 50 ms slices (so that it can be stopped): over TLS, each
    slice that runs out must leave the TLS stream intact for the next one, and the connection
    fit to be reused."""
    with https_emulator() as emu:
        for c in ("slow1", "slow2", "fast"):
            emu.add_certificate(c)
        emu.add_rule(certificate_id="slow1", action="pass", delay_ms=400)
        # A body that drips a byte every 120 ms: slices run out in the middle of it.
        emu.add_rule(certificate_id="slow2", action="drip", status=200, body="{\"ok\": true}", drip_ms=120)
        client = emu.client(ca_file=os.path.join(TLS, "ca.pem"), max_retries=0)
        assert client.delete_certificate("slow1") is True
        assert client.delete_certificate("slow2") is True
        assert client.delete_certificate("fast") is True
        log = emu.requests()
        assert len({r["connection"] for r in log}) == 1, "every answer was read whole; the connection was reused"


def test_explicit_proxy_with_escaped_credentials(emu):
    emu.add_certificate("c1")
    client = pyapig.Client(
        endpoint="http://apig.example.invalid",
        allow_insecure_http=True,
        project_id=PROJECT,
        token=DEFAULT_TOKEN,
        proxy=f"http://ops%40corp:p%3Ass%2Fw@{emu.url[len('http://'):]}",
    )
    client.delete_certificate("c1")
    connect, delete = emu.requests()
    assert connect["method"] == "CONNECT"
    expected = "Basic " + base64.b64encode(b"ops@corp:p:ss/w").decode()
    assert connect["headers"]["proxy-authorization"] == expected
    assert delete["outcome"] == "deleted" and "proxy-authorization" not in delete["headers"]


def test_proxy_from_the_environment_and_no_proxy(emu, monkeypatch):
    emu.add_certificate("c1")
    emu.add_certificate("c2")
    monkeypatch.setenv("HTTP_PROXY", emu.url)
    monkeypatch.setenv("HTTPS_PROXY", emu.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    options = dict(project_id=PROJECT, token=DEFAULT_TOKEN, allow_insecure_http=True, connect_timeout=5)
    pyapig.Client(endpoint="http://apig.example.invalid", **options).delete_certificate("c1")
    assert [r["method"] for r in emu.requests()] == ["CONNECT", "DELETE"]
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    emu.clear_requests()
    pyapig.Client(endpoint=emu.url, **options).delete_certificate("c2")
    assert [r["method"] for r in emu.requests()] == ["DELETE"]


def test_secrets_never_appear_in_any_error_kind():
    """Provoke every error kind with recognisable secrets and search all the text produced.
    The emulator echoes every secret back in its error bodies; each client must scrub its own."""
    token, sk, st = "TOKEN-9c1e-SECRET", "SK-4b7d-SECRET", "ST-2a8f-SECRET"
    seen = set()

    def collect(texts, fn):
        try:
            fn()
        except pyapig.ApigError as e:
            texts.extend([str(e), repr(e), repr(e.__reduce__()), str(e.body), str(e.error_msg)])
            seen.add(type(e))
            return
        raise AssertionError("no error")

    with Emulator() as emu, https_emulator() as tls_emu:
        emu.add_token(token)
        echo = {"error_code": "X", "error_msg": f"{token} {sk} {st}"}
        for status in (400, 401, 403, 404, 409, 418, 429, 500):
            emu.fail(status, echo, certificate_id=f"s{status}", headers={"Retry-After": "0"})
        emu.add_rule(certificate_id="redirect", action="redirect", location=f"http://x/{token}/{sk}/{st}")
        emu.add_rule(certificate_id="slow", action="pass", delay_ms=3000)
        emu.add_rule(certificate_id="reset", action="reset")
        cases = [
            ([token], dict(token=token)),
            ([sk, st], dict(ak="AKID", sk=sk, security_token=st)),
        ]
        for secrets, credentials in cases:
            texts = []
            c = emu.client(timeout=0.5, max_retries=0, **credentials)
            texts.append(repr(c))
            for cert in ["s400", "s401", "s403", "s404", "s409", "s418", "s429", "s500", "redirect", "slow",
                         "reset", "bad/id"]:
                collect(texts, lambda: c.delete_certificate(cert))
            collect(texts, lambda: pyapig.Client(endpoint=tls_emu.url, project_id="p", max_retries=0,
                                                 **credentials).delete_certificate("c"))
            collect(texts, lambda: pyapig.Client(endpoint="http://127.0.0.1:1", project_id="p", max_retries=0,
                                                 **credentials).delete_certificate("c"))
            collect(texts, lambda: pyapig.Client(endpoint=emu.url, token=token + "\n"))
            collect(texts, lambda: pyapig.Client(endpoint=emu.url, token=token, ak="A", sk=sk, security_token=st))
            blob = "\n".join(texts)
            for secret in secrets:
                assert secret not in blob
            assert "<redacted>" in blob
    expected = {getattr(pyapig, name) for name in (
        "BadRequestError", "AuthenticationError", "PermissionDeniedError", "NotFoundError", "ConflictError",
        "APIStatusError", "RateLimitError", "InternalServerError", "APIResponseError", "APITimeoutError",
        "APIConnectionError", "InvalidArgumentError", "TLSError")}
    assert expected <= seen


def test_a_connect_that_hangs_is_a_timeout_by_the_connect_timeout():
    """A listener whose accept queue is full drops new SYNs, so connecting hangs."""
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    fillers = []
    try:
        for _ in range(4):  # fill the accept queue; later connects are left hanging
            s = socket.socket()
            s.settimeout(0.3)
            try:
                s.connect(("127.0.0.1", port))
            except OSError:
                pass
            fillers.append(s)
        client = pyapig.Client(endpoint=f"http://127.0.0.1:{port}", project_id="p", token="t",
                               connect_timeout=0.5, timeout=30, max_retries=0)
        with pytest.raises(pyapig.APITimeoutError) as info:
            client.delete_certificate("c1")
        assert "connect" in str(info.value).lower()
    finally:
        for s in fillers:
            s.close()
        server.close()
