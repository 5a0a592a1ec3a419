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
