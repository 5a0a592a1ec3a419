"""Several endpoints from Python: `endpoints=[...]` and the region's
HUAWEICLOUD_SDK_REGION_APIG_<REGION> list; a call that cannot reach one moves to the next; an
answer never moves it; every endpoint down is one error naming each; the log says when a call moved."""

import logging

import pytest

import pyapig
from pyapig.testing import DEFAULT_REGION, DEFAULT_TOKEN, Emulator

from conftest import PROJECT


@pytest.fixture
def closed(closed_port):
    return f"http://127.0.0.1:{closed_port}"


def test_a_closed_first_endpoint_moves_the_call_to_the_second(emu, closed, caplog):
    caplog.set_level(logging.INFO, logger="pyapig")
    emu.add_certificate("c1")
    emu.add_certificate("c2")
    client = pyapig.Client(endpoints=[closed, emu.url], project_id=PROJECT, token=DEFAULT_TOKEN)
    assert client.endpoints == [closed, emu.url] and client.endpoint == closed
    assert client.delete_certificate("c1") is True
    assert client.current_endpoint == emu.url
    assert client.delete_certificate("c2") is True
    assert [r["method"] for r in emu.requests()] == ["DELETE", "DELETE"]
    log = [r.getMessage() for r in caplog.records]
    assert any(m == f"connection refused ({closed}): trying the next endpoint, {emu.url}" for m in log), log
    assert any(m.startswith(f"calls now go to {emu.url}") for m in log), log


def test_the_regions_environment_list_fails_over_too(emu, closed, monkeypatch):
    emu.add_certificate("c1")
    monkeypatch.setenv("HUAWEICLOUD_SDK_REGION_APIG_CN_NORTH_4", f"{closed}, {emu.url}")
    client = pyapig.Client(region=DEFAULT_REGION, project_id=PROJECT, token=DEFAULT_TOKEN)
    assert client.endpoints == [closed, emu.url]
    assert client.delete_certificate("c1") is True


@pytest.mark.parametrize("status", [503, 404])
def test_an_answer_never_moves_the_call(emu, status):
    with Emulator() as second:
        second.add_certificate("c1")
        emu.fail(status, {"error_code": "APIG.9999", "error_msg": "no"})
        client = pyapig.Client(endpoints=[emu.url, second.url], project_id=PROJECT, token=DEFAULT_TOKEN,
                               max_retries=1)
        with pytest.raises(pyapig.APIStatusError) as info:
            client.delete_certificate("c1")
        assert info.value.status_code == status
        assert second.requests() == []
        assert client.current_endpoint == emu.url


def test_every_endpoint_down_is_one_error_naming_each(closed):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        other = f"http://127.0.0.1:{s.getsockname()[1]}"
    client = pyapig.Client(endpoints=[closed, other], project_id=PROJECT, token=DEFAULT_TOKEN, max_retries=0)
    with pytest.raises(pyapig.APIConnectionError) as info:
        client.delete_certificate("c1")
    assert str(info.value) == (
        f"no endpoint could be reached: connection refused ({closed}); connection refused ({other})"
    )


def test_bad_endpoint_lists_are_refused_before_any_io(emu):
    with pytest.raises(TypeError, match="argument 'endpoints' must be a list of str, not str"):
        pyapig.Client(endpoints=emu.url, project_id=PROJECT, token=DEFAULT_TOKEN)
    with pytest.raises(pyapig.InvalidArgumentError, match="endpoints is empty"):
        pyapig.Client(endpoints=[], project_id=PROJECT, token=DEFAULT_TOKEN)
    with pytest.raises(pyapig.InvalidArgumentError, match="is given twice"):
        pyapig.Client(endpoints=[emu.url, emu.url + "/"], project_id=PROJECT, token=DEFAULT_TOKEN)
    with pytest.raises(pyapig.InvalidArgumentError, match="conflicting endpoints"):
        pyapig.Client(emu.url, PROJECT, endpoints=[emu.url], token=DEFAULT_TOKEN)
    assert emu.requests() == []


async def _delete_async(endpoints):
    async with pyapig.AsyncClient(endpoints=endpoints, project_id=PROJECT, token=DEFAULT_TOKEN) as client:
        return await client.delete_certificate("c1")


def test_async_client_fails_over(emu, closed):
    import asyncio

    emu.add_certificate("c1")
    assert asyncio.run(_delete_async([closed, emu.url])) is True


def test_repr_and_the_async_client_show_every_endpoint(emu, closed):
    import asyncio

    client = pyapig.Client(endpoints=[closed, emu.url], project_id=PROJECT, token=DEFAULT_TOKEN)
    assert repr(client) == f'pyapig.Client(endpoints=["{closed}", "{emu.url}"], project_id="{PROJECT}", auth="token")'
    one = pyapig.Client(endpoint=emu.url, project_id=PROJECT, token=DEFAULT_TOKEN)
    assert repr(one).startswith(f'pyapig.Client(endpoint="{emu.url}", ')
    emu.add_certificate("c1")

    async def main():
        async with pyapig.AsyncClient(endpoints=(closed, emu.url), project_id=PROJECT, token=DEFAULT_TOKEN) as a:
            assert a.endpoints == [closed, emu.url] and a.current_endpoint == closed
            assert await a.delete_certificate("c1") is True
            assert a.current_endpoint == emu.url

    asyncio.run(main())
