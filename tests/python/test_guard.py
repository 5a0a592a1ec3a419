"""A panic inside pyapig is an InternalError (an Exception), never PyO3's PanicException (a
BaseException that `except Exception` misses); bad arguments are refused before anything can
panic."""

import pytest

import pyapig
from pyapig import _native
from pyapig.testing import DEFAULT_TOKEN, Emulator

from conftest import PROJECT


def entry_points(emu):
    client = pyapig.Client(endpoint=emu.url, project_id=PROJECT, token=DEFAULT_TOKEN)
    native = emu._emu
    return {
        "Client": lambda: pyapig.Client(endpoint=emu.url, project_id=PROJECT, token=DEFAULT_TOKEN),
        "Client.delete_certificate": lambda: client.delete_certificate("x", missing_ok=True),
        "Client._delete_detailed": lambda: client._delete_detailed("x", missing_ok=True),
        "Client.cancel": lambda: client.cancel(),
        "Client.endpoint": lambda: client.endpoint,
        "Client.project_id": lambda: client.project_id,
        "Client.__repr__": lambda: repr(client),
        "_CancelToken.cancel": lambda: _native._CancelToken().cancel(),
        "delete_certificate": lambda: pyapig.delete_certificate(
            "x", project_id=PROJECT, endpoint=emu.url, token=DEFAULT_TOKEN, missing_ok=True),
        "Emulator": lambda: _native.Emulator().stop(),
        "Emulator.url": lambda: native.url,
        "Emulator.add_certificate": lambda: native.add_certificate(PROJECT, "y", []),
        "Emulator.certificates": lambda: native.certificates(PROJECT),
        "Emulator.add_token": lambda: native.add_token("t2"),
        "Emulator.add_key": lambda: native.add_key("AK2", "SK2"),
        "Emulator.add_rule_json": lambda: native.add_rule_json('{"certificate_id": "never"}'),
        "Emulator.clear_rules": lambda: native.clear_rules(),
        "Emulator.set_clock_offset": lambda: native.set_clock_offset(0),
        "Emulator.requests_json": lambda: native.requests_json(),
        "Emulator.control": lambda: native.control("GET", "counters"),
        "Emulator.clear_requests": lambda: native.clear_requests(),
    }


NAMES = sorted([
    "Client", "Client.delete_certificate", "Client._delete_detailed", "Client.cancel", "Client.endpoint",
    "Client.project_id", "Client.__repr__", "_CancelToken.cancel", "delete_certificate", "Emulator", "Emulator.url",
    "Emulator.add_certificate", "Emulator.certificates", "Emulator.add_token", "Emulator.add_key",
    "Emulator.add_rule_json", "Emulator.clear_rules", "Emulator.set_clock_offset", "Emulator.requests_json",
    "Emulator.control", "Emulator.clear_requests",
])


def test_the_list_covers_every_entry_point(emu):
    assert sorted(entry_points(emu)) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_a_panic_in_an_entry_point_is_an_internal_error(emu, name):
    call = entry_points(emu)[name]
    _native._panic_next(name)
    with pytest.raises(pyapig.InternalError) as info:
        call()
    assert isinstance(info.value, Exception)
    assert str(info.value) == f"internal error in {name} (a panic was caught); please report it"
    assert info.value.code == 2
    call()  # the next call works as usual


@pytest.mark.parametrize(
    "options, message",
    [
        (dict(idle_close=-1), "'idle_close' must be seconds"),
        (dict(idle_close=float("nan")), "'idle_close' must be seconds"),
        (dict(threads=0), "'threads' must be 1..64"),
        (dict(tls_cert="cert.pem"), "'tls_cert' and 'tls_key' go together"),
    ],
)
def test_bad_emulator_options_are_invalid_arguments_not_panics(options, message):
    with pytest.raises(pyapig.InvalidArgumentError, match=message):
        Emulator(**options).start()


@pytest.mark.parametrize(
    "call",
    [
        lambda n: n.add_certificate(None, "c", []),
        lambda n: n.add_certificate("p", 5, []),
        lambda n: n.certificates(None),
        lambda n: n.add_key("AK", None),
        lambda n: n.add_rule_json(None),
        lambda n: n.set_clock_offset("1"),
        lambda n: n.control("GET", None),
    ],
)
def test_bad_types_in_the_emulator_are_type_errors(emu, call):
    with pytest.raises(TypeError):
        call(emu._emu)
