"""A gateway that throttles, against the emulator's token bucket: every certificate deleted with
the default options, a Retry-After that holds every call, the limiter's state, --max-rate kept.
No wall-clock time is asserted: counts and order only."""

import json
import threading

import pytest

import pyapig

from test_cli import cli, where


def delete_all(client, ids, threads):
    """Deletes `ids` with `threads` threads sharing `client`; returns the errors."""
    todo = list(ids)
    errors = []
    lock = threading.Lock()

    def work():
        while True:
            with lock:
                if not todo:
                    return
                cert = todo.pop()
            try:
                client.delete_certificate(cert)
            except pyapig.ApigError as e:  # pragma: no cover - reported by the assertion below
                errors.append(e)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return errors


@pytest.mark.parametrize("retry_after", [None, 1], ids=["no Retry-After", "Retry-After 1"])
def test_every_certificate_is_deleted_under_throttling_with_the_default_options(emu, retry_after):
    ids = [f"t{i}" for i in range(60)]
    for c in ids:
        emu.add_certificate(c)
    emu.throttle(40, burst=4, retry_after=retry_after)
    client = emu.client()
    assert client.rate_limit == {"rate": None, "throttled": 0, "paused_for": 0.0}, "off until a gateway throttles"
    assert delete_all(client, ids, threads=16) == []
    assert emu.certificates() == []
    throttled = emu.counters()["apig_throttled"]
    assert throttled > 0, "the gateway did throttle"
    state = client.rate_limit
    assert state["throttled"] == throttled and state["rate"] > 0
    assert sum(r["status"] == 429 for r in emu.requests()) == throttled


def test_a_retry_after_received_by_one_call_holds_the_others(emu):
    emu.add_certificate("c1")
    emu.add_certificate("c2")
    emu.fail(429, {"error_code": "APIGW.0308", "error_msg": "throttled"}, times=1, headers={"Retry-After": "30"},
             certificate_id="c1")
    client = emu.client(timeout=2)
    with pytest.raises(pyapig.RateLimitError) as first:
        client.delete_certificate("c1")
    assert first.value.throttled == 1 and "deadline comes before its turn" in str(first.value)
    assert client.rate_limit["paused_for"] > 20
    # Another call of the same client: held by the Retry-After, its deadline comes first — it
    # sends nothing at all.
    with pytest.raises(pyapig.APITimeoutError) as second:
        client.delete_certificate("c2")
    assert "deadline comes before its turn" in str(second.value)
    assert len(emu.requests()) == 1
    # A client of its own is not held.
    assert emu.client().delete_certificate("c2") is True


def test_max_rate_is_checked_and_holds_from_the_first_call(emu):
    for bad in (0, 0.001, -1, float("nan"), float("inf"), 100_001):
        with pytest.raises(pyapig.InvalidArgumentError, match="max_rate"):
            emu.client(max_rate=bad)
    with pytest.raises(TypeError, match="argument 'max_rate' must be int or float, not str"):
        emu.client(max_rate="10")
    assert emu.client(max_rate=12.5).rate_limit["rate"] == 12.5
    assert emu.requests() == []


def per_second_peak(requests):
    """The most requests any 1,000 ms window of the log holds (by the emulator's arrival times)."""
    times = sorted(r["at_ms"] for r in requests)
    peak, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= 1000:
            start += 1
        peak = max(peak, end - start + 1)
    return peak


def test_the_cli_keeps_max_rate_and_reports_the_throttling(emu):
    ids = [f"m{i}" for i in range(45)]
    for c in ids:
        emu.add_certificate(c)
    r = cli("delete-certificate", *where(emu), "--max-rate", "20", "--jobs", "16", "--json", *ids)
    assert r.returncode == 0, r.stderr
    # Paced one at a time, never more than 20 leave in a second (21 with the first's token); one
    # more may arrive in a window when new connections delay the first requests.
    assert per_second_peak(emu.requests()) <= 22, "never more than --max-rate in any second"
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert {row["throttled"] for row in rows} == {0}
    # Throttled by the gateway: each id's row says how many 429s it met; the summary the rate.
    more = [f"n{i}" for i in range(60)]
    for c in more:
        emu.add_certificate(c)
    emu.throttle(30, burst=3)
    r = cli("delete-certificate", *where(emu), "--jobs", "16", "--json", *more)
    assert r.returncode == 0, r.stderr
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert sum(row["throttled"] for row in rows) == emu.counters()["apig_throttled"] > 0
    assert "the gateway throttled" in r.stderr and "the rate reached" in r.stderr


def test_the_progress_line_says_the_rate_when_throttled(emu):
    from test_cli import on_a_terminal, screen

    ids = [f"p{i}" for i in range(40)]
    for c in ids:
        emu.add_certificate(c)
    emu.throttle(30, burst=2)
    code, raw = on_a_terminal(["delete-certificate", *where(emu), "--jobs", "16", *ids])
    assert code == 0, raw
    assert b"throttled: sending " in raw
    assert any("the gateway throttled" in line for line in screen(raw))


def test_the_rate_change_is_logged_at_most_once_a_second(emu, caplog):
    import logging

    caplog.set_level(logging.INFO, logger="pyapig")
    ids = [f"l{i}" for i in range(30)]
    for c in ids:
        emu.add_certificate(c)
    emu.throttle(30, burst=2)
    assert delete_all(emu.client(), ids, threads=16) == []
    lines = [r for r in caplog.records if "the gateway throttles" in r.getMessage()]
    assert lines and all(r.levelname == "INFO" for r in lines)
    # At most one a second: never two within the same second of their own timestamps.
    stamps = [r.created for r in lines]
    assert all(b - a >= 0.99 for a, b in zip(stamps, stamps[1:])), stamps
