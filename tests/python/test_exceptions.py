"""The exception hierarchy: every kind, its class, C status, builtin bases, attributes, pickling."""

import pickle

import pytest

import pyapig
from pyapig import _native

BUILTIN_BASES = {
    "InvalidArgumentError": (ValueError,),
    "APIConnectionError": (ConnectionError,),
    "APITimeoutError": (TimeoutError, ConnectionError, pyapig.APIConnectionError),
    "TLSError": (pyapig.APIConnectionError, ConnectionError),
}
STATUS_CLASSES = {
    "BadRequestError": 400,
    "AuthenticationError": 401,
    "PermissionDeniedError": 403,
    "CertificateInUseError": 403,
    "NotFoundError": 404,
    "ConflictError": 409,
    "RateLimitError": 429,
    "InternalServerError": 500,
    "APIStatusError": 418,
}


def test_the_table_covers_every_kind_once():
    table = _native._error_table()
    assert len(table) == 17
    assert sorted(code for _, _, code in table) == list(range(1, 18))
    assert len({name for _, name, _ in table}) == 17
    for _, class_name, code in table:
        cls = getattr(pyapig, class_name)
        assert issubclass(cls, pyapig.ApigError)
        assert cls.code == code
        assert class_name in pyapig.__all__


@pytest.mark.parametrize("kind,class_name,code", _native._error_table())
def test_each_kind_raises_its_class_with_attributes(kind, class_name, code):
    status = STATUS_CLASSES.get(class_name)
    with pytest.raises(pyapig.ApigError) as info:
        _native._raise_kind(kind, f"message for {kind}", status)
    e = info.value
    assert type(e).__name__ == class_name
    assert e.code == code
    assert str(e) == f"message for {kind}"
    for base in BUILTIN_BASES.get(class_name, ()):
        assert isinstance(e, base)
    if status is not None:
        assert isinstance(e, pyapig.APIStatusError)
        assert e.status_code == status
        assert e.error_code == f"T.{status}"
        assert e.request_id == "req-test"
    else:
        assert not isinstance(e, pyapig.APIStatusError)
        assert e.status_code is None and e.error_code is None and e.request_id is None
    copy = pickle.loads(pickle.dumps(e))
    assert type(copy) is type(e)
    assert (copy.message, copy.code, copy.status_code, copy.error_code, copy.error_msg, copy.request_id) == (
        e.message,
        e.code,
        e.status_code,
        e.error_code,
        e.error_msg,
        e.request_id,
    )


def test_builtin_bases_let_generic_handlers_catch():
    assert issubclass(pyapig.InvalidArgumentError, ValueError)
    assert issubclass(pyapig.APITimeoutError, TimeoutError)
    assert issubclass(pyapig.APITimeoutError, pyapig.APIConnectionError)
    assert issubclass(pyapig.APIConnectionError, ConnectionError)
    assert issubclass(pyapig.TLSError, pyapig.APIConnectionError)
    for name in STATUS_CLASSES:
        assert issubclass(getattr(pyapig, name), pyapig.APIStatusError)
    assert not issubclass(pyapig.APIResponseError, pyapig.APIStatusError)


def test_real_answers_raise_the_right_class(emu, client):
    rows = [
        (400, pyapig.BadRequestError),
        (401, pyapig.AuthenticationError),
        (403, pyapig.PermissionDeniedError),
        (404, pyapig.NotFoundError),
        (409, pyapig.ConflictError),
        (418, pyapig.APIStatusError),
        (501, pyapig.InternalServerError),
    ]
    for status, cls in rows:
        cert = f"s{status}"
        emu.fail(status, {"error_code": f"APIG.{status}", "error_msg": f"m{status}"}, certificate_id=cert)
        with pytest.raises(cls) as info:
            client.delete_certificate(cert)
        e = info.value
        assert (e.status_code, e.error_code, e.error_msg) == (status, f"APIG.{status}", f"m{status}")
        # (After a 403, a GET asks what the certificate is bound to: the error is the DELETE's.)
        delete = [r for r in emu.requests() if r["method"] == "DELETE"][-1]
        assert e.request_id == delete["request_id"]
        assert e.code == cls.code


def test_rate_limit_keeps_body_and_request_id(emu):
    emu.fail(429, {"error_code": "APIG.0308", "error_msg": "throttled"}, headers={"Retry-After": "0"})
    with pytest.raises(pyapig.RateLimitError) as info:
        # Throttling is retried at the client's rate until the deadline, whatever max_retries says.
        emu.client(max_retries=1, timeout=2).delete_certificate("c1")
    e = info.value
    assert (e.status_code, e.error_code, e.error_msg) == (429, "APIG.0308", "throttled")
    assert e.attempts > 2 and e.throttled == e.attempts == len(emu.requests())
    assert "throttled" in e.body and "the call's deadline comes before its turn" in str(e)
    assert e.request_id == emu.requests()[-1]["request_id"]


def test_html_answer_keeps_status_and_excerpt(emu, client):
    emu.fail(502, "<html><body><h1>502 Bad Gateway</h1></body></html>")
    with pytest.raises(pyapig.InternalServerError) as info:
        emu.client(max_retries=0).delete_certificate("c1")
    assert info.value.status_code == 502
    assert info.value.error_code is None
    assert "502 Bad Gateway" in info.value.body


def test_non_utf8_and_empty_answers_keep_the_status(emu):
    client = emu.client(max_retries=0)
    emu.fail(503, b"\xff\xfe\x00binary", certificate_id="bin")
    with pytest.raises(pyapig.InternalServerError) as info:
        client.delete_certificate("bin")
    assert info.value.status_code == 503
    assert info.value.error_code is None
    assert "binary" in info.value.body and "\ufffd" in info.value.body
    emu.fail(400, "", certificate_id="empty")
    with pytest.raises(pyapig.BadRequestError) as info:
        client.delete_certificate("empty")
    assert (info.value.status_code, info.value.body) == (400, None)
    assert "empty body" in str(info.value)


def test_connection_refused_is_a_connection_error_not_a_timeout(emu, closed_port):
    c = pyapig.Client(endpoint=f"http://127.0.0.1:{closed_port}", project_id="p", token="t", max_retries=0)
    with pytest.raises(pyapig.APIConnectionError) as info:
        c.delete_certificate("c1")
    assert not isinstance(info.value, pyapig.APITimeoutError)
    assert info.value.code == 3


def test_a_stalled_answer_is_a_timeout(emu):
    emu.add_rule(action="pass", delay_ms=5000)
    with pytest.raises(pyapig.APITimeoutError) as info:
        emu.client(timeout=0.5).delete_certificate("c1")
    assert isinstance(info.value, TimeoutError)
    assert info.value.code == 4


def test_a_redirect_is_a_response_error(emu, client):
    emu.add_rule(action="redirect", status=301, location="http://127.0.0.1:9/x")
    with pytest.raises(pyapig.APIResponseError) as info:
        client.delete_certificate("c1")
    assert info.value.status_code == 301
    assert len(emu.requests()) == 1


def test_a_transport_failure_keeps_its_cause(closed_port):
    with pytest.raises(pyapig.APIConnectionError) as info:
        pyapig.Client(endpoint=f"http://127.0.0.1:{closed_port}", project_id="p", token="t",
                      max_retries=0).delete_certificate("c")
    cause = info.value.__cause__
    assert isinstance(cause, ConnectionRefusedError), repr(cause)
    assert "refused" in str(cause).lower(), str(cause)


def test_an_http_answer_has_no_transport_cause(emu):
    with pytest.raises(pyapig.NotFoundError) as info:
        emu.client().delete_certificate("missing")
    assert info.value.__cause__ is None
