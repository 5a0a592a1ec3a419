import socket

import pytest

from pyapig.testing import DEFAULT_PROJECT, Emulator


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
