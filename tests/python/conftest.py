import os
import socket

import pytest

from pyapig.testing import DEFAULT_PROJECT, Emulator


# No test may reach the real ECS metadata address (169.254.169.254): a client whose
# from_env chain gets that far asks a closed loopback port instead (subprocesses inherit it).
os.environ.setdefault("APIG_METADATA_ENDPOINT", "http://127.0.0.1:1")


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
