"""What a call reports is what happened (issue 17): an identity service's answer is never APIG's,
Ctrl-C and cancel() stop a call wherever it waits, close() means close, no user code runs under
our locks. Ctrl-C goes to a process of its own (a real SIGINT); the bounds on the time to exit are
generous (these are not benchmarks): without the stop each call would wait for its 60 s deadline."""

import asyncio
import logging
import os
import socket
import subprocess
import sys
import textwrap
import threading

import pytest

import pyapig
from pyapig.testing import DEFAULT_TOKEN

from conftest import PROJECT
from test_interrupt import BOUND, interrupt, silent_server  # noqa: F401 - silent_server is a fixture


def chain_client(emu, **options):
    """A from_env client whose only source is the emulator's metadata service."""
    return pyapig.Client.from_env(endpoint=emu.url, project_id=PROJECT, metadata_endpoint=emu.url, **options)


@pytest.fixture(autouse=True)
def no_credentials_in_the_environment(monkeypatch, tmp_path):
    for name in ("HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK", "HC_CONTAINER_CREDENTIALS_FULL_URI"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))


@pytest.mark.parametrize("status", [404, 403, 500])
def test_a_metadata_error_is_a_credentials_error_never_apigs_answer(emu, status):
    emu.add_certificate("c1")
    emu.add_rule(path="/openstack/", status=status, body="<html>error page</html>")
    client = chain_client(emu, max_retries=0)
    with pytest.raises(pyapig.CredentialsError) as caught:
        client.delete_certificate("c1", missing_ok=True)
    e = caught.value
    assert (e.code, e.status_code) == (16, status)
    assert not isinstance(e, (pyapig.NotFoundError, pyapig.PermissionDeniedError, pyapig.APIStatusError))
    assert "ECS metadata" in str(e)
    assert not [r for r in emu.requests() if r["path"].startswith("/v2/")], "APIG was never asked"
    assert emu.certificates() == ["c1"]


def test_the_cli_reports_an_identity_404_as_a_failure_not_as_absent(emu):
    emu.add_certificate("c1")
    emu.add_rule(path="/openstack/", status=404)
    env = {**os.environ, "HOME": "/nonexistent-home", "APIG_METADATA_ENDPOINT": emu.url}
    for name in ("APIG_TOKEN", "HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK"):
        env.pop(name, None)
    proc = subprocess.run(
        [sys.executable, "-m", "pyapig", "delete-certificate", "--endpoint", emu.url, "--project-id", PROJECT,
         "--missing-ok", "c1"],
        capture_output=True, text=True, env=env, timeout=60,
    )
    assert proc.returncode == 16, (proc.stdout, proc.stderr)
    assert "absent" not in proc.stdout
    assert emu.certificates() == ["c1"]


@pytest.fixture
def silent_tls(silent_server):
    """An https:// endpoint whose TLS handshake never gets an answer."""
    return silent_server.replace("http://", "https://", 1)


@pytest.fixture
def silent_proxy():
    """An HTTP CONNECT proxy that opens the tunnel, then never passes a byte: the TLS handshake
    through it waits."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held = []

    def serve():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = conn.recv(1024)
                if not chunk:
                    break
                head += chunk
            conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            held.append(conn)

    threading.Thread(target=serve, daemon=True).start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    listener.close()
    for conn in held:
        conn.close()


SCRIPT = """
import sys, threading, time, pyapig
endpoint = sys.argv[1]
client = {client}
{before}
print("calling", flush=True)
started = time.monotonic()
try:
    client.delete_certificate("c1")
except KeyboardInterrupt:
    print(f"KeyboardInterrupt after {{time.monotonic() - started:.3f}} s", flush=True)
    sys.exit(42)
"""

TOKEN_CLIENT = f"pyapig.Client(endpoint=endpoint, project_id='{PROJECT}', token='{DEFAULT_TOKEN}', timeout=60)"
CHAIN_CLIENT = (f"pyapig.Client.from_env(endpoint=endpoint, project_id='{PROJECT}', metadata_endpoint=endpoint, "
                "timeout=60)")
# Another thread fetches the credentials first (and stalls): the main thread's call waits for it.
OTHER_FETCHES = ("threading.Thread(target=lambda: client.delete_certificate('c0'), daemon=True).start()\n"
                 "time.sleep(0.3)")


def phase(request, name):
    """(client expression, code to run first, endpoint, extra environment) of each phase."""
    if name in ("body", "credential fetch", "waiting for another call's fetch"):
        emu = request.getfixturevalue("emu")
        if name == "body":
            emu.add_rule(action="drip", status=404, drip_ms=200, body="x" * 1000)
            return TOKEN_CLIENT, "", emu.url, {}
        emu.add_rule(path="/openstack/", action="stall")
        before = OTHER_FETCHES if name.startswith("waiting") else ""
        return CHAIN_CLIENT, before, emu.url, {}
    if name == "TLS handshake":
        return TOKEN_CLIENT, "", request.getfixturevalue("silent_tls"), {}
    if name == "TLS handshake through a proxy":
        proxy = request.getfixturevalue("silent_proxy")
        return TOKEN_CLIENT, "", "https://apig.cn-north-4.myhuaweicloud.com", {"HTTPS_PROXY": proxy}
    raise AssertionError(name)


PHASES = ["body", "TLS handshake", "TLS handshake through a proxy", "credential fetch",
          "waiting for another call's fetch"]


@pytest.mark.parametrize("name", PHASES)
def test_ctrl_c_stops_a_call_in_every_phase(request, name):
    client, before, endpoint, env = phase(request, name)
    code = textwrap.dedent(SCRIPT.format(client=client, before=before))
    first_line = []

    def ready(proc):
        if not first_line:
            first_line.append(proc.stdout.readline())
        return True

    env = {"NO_PROXY": "", "no_proxy": "", **env}
    proc, out, err, seconds = interrupt([sys.executable, "-c", code, endpoint], ready, env=env)
    assert first_line == ["calling\n"], err
    assert proc.returncode == 42, (out, err)
    assert seconds < BOUND, seconds
    assert "Traceback" not in err


@pytest.mark.parametrize("name", PHASES)
def test_cancel_stops_a_call_in_every_phase(request, monkeypatch, name):
    client_code, before, endpoint, env = phase(request, name)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("NO_PROXY", "")
    client = eval(client_code, {"pyapig": pyapig, "endpoint": endpoint})  # the same client as the script's
    errors = []

    def call(certificate_id):
        try:
            client.delete_certificate(certificate_id)
        except Exception as e:  # noqa: BLE001 - the test looks at what it was
            errors.append(e)

    workers = [threading.Thread(target=call, args=(c,)) for c in (["c0", "c1"] if before else ["c1"])]
    for worker in workers:
        worker.start()
        worker.join(0.3)  # the first one fetches; the second waits for it
    for worker in workers:
        assert worker.is_alive(), "the call waits"
    client.cancel()
    for worker in workers:
        worker.join(BOUND)
        assert not worker.is_alive(), "cancel() stopped it"
    assert len(errors) == len(workers), errors
    assert all(isinstance(e, pyapig.CancelledError) for e in errors), errors


def test_aclose_runs_no_queued_call(emu):
    for i in range(40):
        emu.add_certificate(f"c{i}")
    emu.add_rule(delay_ms=300, action="pass")

    async def main():
        client = pyapig.AsyncClient(emu.url, PROJECT, token=DEFAULT_TOKEN, max_concurrency=4)
        tasks = [asyncio.create_task(client.delete_certificate(f"c{i}")) for i in range(40)]
        await asyncio.sleep(0.1)
        await client.aclose()
        return await asyncio.gather(*tasks, return_exceptions=True)

    results = asyncio.run(main())
    assert all(isinstance(r, pyapig.CancelledError) for r in results), results
    sent = [r for r in emu.requests() if r["path"].startswith("/v2/")]
    assert len(sent) <= 4, "only the calls under way had reached the gateway"
    assert len(emu.certificates()) >= 36, "no queued delete ran"


def test_a_closed_client_makes_no_call_and_with_closes(emu):
    emu.add_certificate("c1")
    with emu.client() as client:
        assert not client.closed
    assert client.closed
    with pytest.raises(pyapig.CancelledError, match="closed"):
        client.delete_certificate("c1")
    assert emu.certificates() == ["c1"]
    client.close()  # twice is fine


def test_close_stops_the_calls_under_way(emu):
    emu.add_rule(action="stall")
    client = emu.client(timeout=60)
    errors = []
    worker = threading.Thread(target=lambda: errors.append(pytest.raises(pyapig.CancelledError,
                                                                          client.delete_certificate, "c1")))
    worker.start()
    worker.join(0.3)
    client.close()
    worker.join(BOUND)
    assert not worker.is_alive() and errors


def test_a_log_handler_that_calls_the_client_during_a_fetch_finishes(emu):
    """A handler runs the application's code in the thread that logs: while credentials are
    being fetched, a call from it must not wait for the fetch it is part of."""
    emu.add_certificate("c1")
    emu.add_certificate("inner")
    client = chain_client(emu)
    seen = []

    class Reentrant(logging.Handler):
        def emit(self, record):
            if "temporary credentials from" in record.getMessage() and not seen:
                try:
                    client.delete_certificate("inner")
                    seen.append("deleted")
                except pyapig.ApigError as e:
                    seen.append(type(e).__name__)

    logger = logging.getLogger("pyapig")
    handler = Reentrant()
    logger.addHandler(handler)
    old_level = logger.level
    logger.setLevel(logging.INFO)
    try:
        worker = threading.Thread(target=lambda: seen.append(client.delete_certificate("c1")))
        worker.start()
        worker.join(20)
        assert not worker.is_alive(), "deadlocked"
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    assert True in seen, seen
    assert len(seen) == 2, seen


def test_a_refused_password_is_one_iam_login_for_every_call(emu):
    client = emu.client(region="cn-north-4", iam_endpoint=emu.url, project_id=None, user_name="emulator-user",
                        password="Wrong-Passw0rd!", domain_name="emulator-domain")
    for i in range(6):
        with pytest.raises(pyapig.CredentialsError) as caught:
            client.delete_certificate(f"c{i}")
        assert caught.value.status_code == 401
        assert "Wrong-Passw0rd!" not in repr(caught.value) + str(caught.value)
    assert len([r for r in emu.requests() if r["path"].startswith("/v3/auth/tokens")]) == 1


def test_revoked_temporary_keys_are_fetched_anew_once(emu):
    emu.add_certificate("c1")
    emu.add_certificate("c2")
    client = chain_client(emu)
    assert client.delete_certificate("c1") is True
    emu.revoke_temporary_keys()
    assert client.delete_certificate("c2") is True
    assert len([r for r in emu.requests() if r["path"] == "/openstack/latest/securitykey"]) == 2


def test_clear_text_identity_endpoints_off_the_machine_are_refused(monkeypatch):
    monkeypatch.setenv("HC_CONTAINER_CREDENTIALS_FULL_URI", "http://pod-identity.example.com/creds")
    monkeypatch.setenv("HC_CONTAINER_AUTHORIZATION_TOKEN_FILE", "/nonexistent/token")
    with pytest.raises(pyapig.InvalidArgumentError, match="clear text"):
        pyapig.Client.from_env(endpoint="https://apig.example.com", project_id=PROJECT)
    monkeypatch.delenv("HC_CONTAINER_CREDENTIALS_FULL_URI")
    with pytest.raises(pyapig.InvalidArgumentError, match="metadata_endpoint"):
        pyapig.Client.from_env(endpoint="https://apig.example.com", project_id=PROJECT,
                               metadata_endpoint="http://metadata.example.com")


def test_the_error_table_has_credentials_error():
    assert pyapig.CredentialsError.code == 16
    assert issubclass(pyapig.CredentialsError, pyapig.ApigError)
    assert "CredentialsError" in pyapig.__all__

