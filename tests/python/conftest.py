import faulthandler
import os
import socket

import pytest

from pyapig.testing import DEFAULT_PROJECT, Emulator


# No test may reach the real ECS metadata address (169.254.169.254): a client whose
# from_env chain gets that far asks a closed loopback port instead (subprocesses inherit it).
os.environ.setdefault("APIG_METADATA_ENDPOINT", "http://127.0.0.1:1")


# A test that hangs fails fast: after this many seconds the run stops (exit 1) and every
# thread's traceback is in HANG_LOG (pytest captures stderr, and a process that exits this way
# never prints what it captured; scripts/test shows the file), instead of waiting for CI's limit.
PER_TEST_TIMEOUT = float(os.environ.get("APIG_TEST_TIMEOUT", "180"))
HANG_LOG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "target", "pytest-hang.log")


@pytest.fixture(autouse=True)
def a_hang_fails_fast(request):
    os.makedirs(os.path.dirname(HANG_LOG), exist_ok=True)
    with open(HANG_LOG, "w", encoding="utf-8") as log:
        log.write(f"{request.node.nodeid} ran over {PER_TEST_TIMEOUT:.0f} s:\n")
        log.flush()
        faulthandler.dump_traceback_later(PER_TEST_TIMEOUT, exit=True, file=log)
        yield
        faulthandler.cancel_dump_traceback_later()
    os.remove(HANG_LOG)


@pytest.fixture
def emu():
    with Emulator() as emulator:
        yield emulator


@pytest.fixture
def client(emu):
    return emu.client(timeout=20)


@pytest.fixture
def closed_port():
    """A port on 127.0.0.1 that nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


PROJECT = DEFAULT_PROJECT


def run_threads(work, n):
    """Runs work(0) … work(n - 1) on n threads at once and waits for them all."""
    import threading

    threads = [threading.Thread(target=work, args=(t,)) for t in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def official_sdk(monkeypatch, tmp_path, credentials_of, configure):
    """The official SDK's APIG client (skipped where it is not installed), with a home of its own
    (it writes into the home directory), TLS checks off for the emulator: `credentials_of` gets the
    SDK's credentials module, `configure` the client builder. Returns (the apig v2 module, client)."""
    monkeypatch.setenv("HOME", str(tmp_path))
    apig_v2 = pytest.importorskip("huaweicloudsdkapig.v2")
    from huaweicloudsdkcore.auth import credentials as sdk_credentials
    from huaweicloudsdkcore.http.http_config import HttpConfig

    config = HttpConfig.get_default_config()
    config.ignore_ssl_verification = True
    builder = apig_v2.ApigClient.new_builder().with_http_config(config)
    builder = configure(builder.with_credentials(credentials_of(sdk_credentials)))
    return apig_v2, builder.build()
