"""pyapig.AsyncClient: never blocks the event loop, runs deletes concurrently, and a cancelled
task returns at once (its call stops, its connection is not reused)."""

import asyncio
import time

import pytest

import pyapig
from pyapig.testing import DEFAULT_TOKEN

from conftest import PROJECT


def run(coro):
    return asyncio.run(coro)


def test_deletes_and_reports_the_outcome(emu):
    emu.add_certificate("c1")

    async def main():
        async with pyapig.AsyncClient(emu.url, PROJECT, token=DEFAULT_TOKEN) as client:
            assert "AsyncClient(" in repr(client) and DEFAULT_TOKEN not in repr(client)
            assert await client.delete_certificate("c1") is True
            assert await client.delete_certificate("c1", missing_ok=True) is False
            with pytest.raises(pyapig.NotFoundError):
                await client.delete_certificate("c1")

    run(main())


def test_the_event_loop_keeps_ticking_while_calls_wait(emu):
    for i in range(16):
        emu.add_certificate(f"c{i}")
    emu.add_rule(action="pass", delay_ms=300)

    async def main():
        ticks = 0
        done = asyncio.Event()

        async def ticker():
            nonlocal ticks
            while not done.is_set():
                ticks += 1
                await asyncio.sleep(0.01)

        ticking = asyncio.create_task(ticker())
        async with pyapig.AsyncClient(emu.url, PROJECT, token=DEFAULT_TOKEN) as client:
            started = time.monotonic()
            results = await asyncio.gather(*(client.delete_certificate(f"c{i}") for i in range(16)))
            took = time.monotonic() - started
        done.set()
        await ticking
        return results, took, ticks

    results, took, ticks = run(main())
    assert results == [True] * 16
    # 16 calls of 300 ms each ran at once, not one after another (that would be 4.8 s)...
    assert took < 3.0, took
    # ...and the loop ran its ticker all along (about 30 ticks in 300 ms if never blocked).
    assert ticks >= 10, ticks
    assert emu.certificates() == []


def test_cancelling_a_task_returns_at_once_and_stops_its_call(emu):
    emu.add_certificate("after")
    emu.add_rule(certificate_id="stalled", action="stall")

    async def main():
        async with pyapig.AsyncClient(emu.url, PROJECT, token=DEFAULT_TOKEN) as client:
            task = asyncio.create_task(client.delete_certificate("stalled"))
            await asyncio.sleep(0.3)
            started = time.monotonic()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            cancelled_in = time.monotonic() - started
            # The client goes on working; the stalled connection was not reused.
            assert await client.delete_certificate("after") is True
            return cancelled_in

    cancelled_in = run(main())
    assert cancelled_in < 1.0, cancelled_in
    log = emu.requests()
    assert [r["certificate_id"] for r in log] == ["stalled", "after"]
    assert log[0]["connection"] != log[1]["connection"]


def test_aclose_stops_calls_under_way(emu):
    emu.add_rule(certificate_id="stalled", action="stall")

    async def main():
        client = pyapig.AsyncClient(emu.url, PROJECT, token=DEFAULT_TOKEN)
        task = asyncio.create_task(client.delete_certificate("stalled"))
        await asyncio.sleep(0.3)
        started = time.monotonic()
        await client.aclose()
        with pytest.raises(pyapig.CancelledError):
            await task
        with pytest.raises(RuntimeError, match="closed"):
            await client.delete_certificate("x")
        return time.monotonic() - started

    assert run(main()) < 5.0


def test_bad_options_are_refused_with_their_name(emu):
    with pytest.raises(TypeError, match="AsyncClient\\(\\) argument 'max_concurrency' must be int, not str"):
        pyapig.AsyncClient(emu.url, PROJECT, token=DEFAULT_TOKEN, max_concurrency="8")
    with pytest.raises(TypeError, match="Client\\(\\) argument 'token' must be str or None, not int"):
        pyapig.AsyncClient(emu.url, PROJECT, token=5)
