"""Log records on the standard logger `pyapig`: one per attempt, a warning per retry, nothing
secret, and nothing printed unless the application configures logging."""

import logging
import subprocess
import sys
import textwrap

import pytest

import pyapig
from pyapig.testing import DEFAULT_TOKEN

from conftest import PROJECT


def messages(caplog):
    return [(r.name, r.levelname, r.getMessage()) for r in caplog.records if r.name.startswith("pyapig")]


def test_a_retried_call_tells_its_story(emu, client, caplog):
    caplog.set_level(logging.INFO, logger="pyapig")
    emu.add_certificate("c1")
    emu.fail(502, "bad gateway", certificate_id="c1", times=1, headers={"Retry-After": "0"})
    assert client.delete_certificate("c1") is True
    records = messages(caplog)
    assert [level for _, level, _ in records] == ["INFO", "WARNING", "INFO"]
    assert {name for name, _, _ in records} == {"pyapig"}
    first, retry, second = (m for _, _, m in records)
    path = f"/v2/{PROJECT}/apigw/certificates/c1"
    request_ids = [r["request_id"] for r in emu.requests()]
    assert first.startswith(f"DELETE {path} -> 502 in ") and f"(attempt 1, request id {request_ids[0]})" in first
    assert retry.startswith("retrying certificate c1 in 0.000 s (retry 1 of 2, as Retry-After asks): HTTP 502")
    assert second.startswith(f"DELETE {path} -> 204 in ") and f"(attempt 2, request id {request_ids[1]})" in second


def test_a_failure_is_logged_with_its_status_and_the_level_is_read_at_each_call(emu, client, caplog):
    caplog.set_level(logging.WARNING, logger="pyapig")
    with pytest.raises(pyapig.NotFoundError):
        client.delete_certificate("missing")
    assert messages(caplog) == []  # INFO is below the level: not even formatted
    caplog.set_level(logging.DEBUG, logger="pyapig")
    with pytest.raises(pyapig.NotFoundError):
        client.delete_certificate("missing")
    [(_, debug, detail), (_, info, message)] = messages(caplog)
    assert (debug, info) == ("DEBUG", "INFO")
    assert detail.startswith(f"certificate missing of project {PROJECT}: attempt 1 with a token, ")
    assert " -> 404 in " in message and "APIG.3021" in message


def test_nothing_is_printed_unless_logging_is_configured(emu):
    emu.add_certificate("c1")
    emu.fail(503, "busy", certificate_id="c1", times=1, headers={"Retry-After": "0"})
    code = textwrap.dedent(f"""
        import logging, pyapig  # imported, not configured: a retry warning must not reach stderr
        pyapig.Client(endpoint={emu.url!r}, project_id={PROJECT!r}, token={DEFAULT_TOKEN!r}).delete_certificate("c1")
        print("done")
    """)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert (r.returncode, r.stdout, r.stderr) == (0, "done\n", "")
    assert len(emu.requests()) == 2, "the retry happened"
