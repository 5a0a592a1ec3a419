"""Ctrl-C: a real SIGINT to a process blocked on a server that never answers. The bounds on the
time to exit are generous (these are not benchmarks): without the interrupt the calls would wait
for their 60 s deadline."""

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time

import pytest

from pyapig.testing import DEFAULT_TOKEN

from conftest import PROJECT

BOUND = 5.0  # seconds; the calls under test would otherwise block for 60


@pytest.fixture
def silent_server():
    """A port that accepts connections (into the backlog) and never answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(64)
        yield f"http://127.0.0.1:{s.getsockname()[1]}"


@pytest.fixture
def black_hole():
    """A port whose connects never complete: its accept queue is full (backlog 0, nobody
    accepts), so the kernel drops new SYNs and the client waits for its connect timeout."""
    import select

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        fillers = []
        try:
            for _ in range(8):
                filler = socket.socket()
                filler.setblocking(False)
                fillers.append(filler)
                filler.connect_ex(listener.getsockname())
                if not select.select([], [filler], [], 0.3)[1]:
                    break  # this connect hangs: so will the client's
            else:
                pytest.fail("could not fill the accept queue: no black hole on this machine")
            yield f"http://127.0.0.1:{listener.getsockname()[1]}"
        finally:
            for filler in fillers:
                filler.close()


def interrupt(args, ready, env=None):
    """Starts `args`, waits until `ready(proc)` is true, sends SIGINT; returns (proc, out, err, seconds to exit)."""
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "HOME": "/nonexistent-home", **(env or {})})
    try:
        deadline = time.monotonic() + 30
        while not ready(proc):
            assert time.monotonic() < deadline, "the process never got ready"
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.05)
        time.sleep(0.3)  # well inside the blocking wait
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        return proc, out, err, time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()


SCRIPT = """
import sys, time, pyapig
endpoint = sys.argv[1]
print("calling", flush=True)
started = time.monotonic()
try:
    {call}
except KeyboardInterrupt:
    print(f"KeyboardInterrupt after {{time.monotonic() - started:.3f}} s", flush=True)
    sys.exit(42)
"""

CALLS = {
    "Client.delete_certificate": "pyapig.Client(endpoint=endpoint, project_id='p', token='t').delete_certificate('c')",
    "pyapig.delete_certificate": "pyapig.delete_certificate('c', project_id='p', endpoint=endpoint, token='t')",
}


# Where the call waits: for an answer that never comes, or (Linux) in a connect that never
# completes; either would otherwise hold it for 60 s (the deadline) or 10 s (the connect timeout).
WAITS = ["silent_server", "black_hole"]


@pytest.mark.parametrize("where", WAITS)
@pytest.mark.parametrize("name", sorted(CALLS))
def test_ctrl_c_interrupts_a_waiting_call(request, where, name):
    endpoint = request.getfixturevalue(where)
    code = textwrap.dedent(SCRIPT.format(call=CALLS[name]))
    first_line = []

    def ready(proc):
        if not first_line:
            first_line.append(proc.stdout.readline())
        return True

    proc, out, err, seconds = interrupt([sys.executable, "-c", code, endpoint], ready)
    assert first_line == ["calling\n"]
    assert proc.returncode == 42, (out, err)
    assert "KeyboardInterrupt after" in out
    assert seconds < BOUND, seconds
    assert "Traceback" not in err


def test_ctrl_c_stops_the_cli_reports_what_finished_and_exits_130(emu):
    for c in ("fast1", "s1", "s2", "s3", "s4"):
        emu.add_certificate(c)
    for c in ("s1", "s2", "s3", "s4"):
        emu.add_rule(certificate_id=c, action="stall")
    args = [sys.executable, "-m", "pyapig", "delete-certificate", "--endpoint", emu.url, "--project-id", PROJECT,
            "--json", "--jobs", "2", "fast1", "s1", "s2", "s3", "s4"]
    proc, out, err, seconds = interrupt(args, lambda proc: len(emu.requests()) >= 3, env={"APIG_TOKEN": DEFAULT_TOKEN})
    assert proc.returncode == 130, (out, err)
    assert seconds < BOUND, seconds
    assert "Traceback" not in err, err
    rows = {row["id"]: row for row in map(json.loads, out.splitlines())}
    assert rows["fast1"]["outcome"] == "deleted"
    assert {rows["s1"]["outcome"], rows["s2"]["outcome"]} == {"interrupted"}
    assert "s3" not in rows and "s4" not in rows
    assert "interrupted: 1 deleted, 0 already absent, 0 failed, 2 stopped under way, 2 not attempted" in err
    assert len(emu.requests()) == 3, "the ids not started were never sent"


@pytest.mark.parametrize("ids", [["s1"], ["fast1", "s1", "s2"]], ids=["one id", "jobs 1"])
def test_ctrl_c_stops_the_cli_deleting_in_turn(emu, ids):
    """One id, or --jobs 1: the ids are deleted one after the other in the main thread (no worker
    to start); Ctrl-C stops the call under way and the rest are not attempted."""
    for c in ids:
        emu.add_certificate(c)
    emu.add_rule(certificate_id="s1", action="stall")
    args = [sys.executable, "-m", "pyapig", "delete-certificate", "--endpoint", emu.url, "--project-id", PROJECT,
            "--json", "--jobs", "1", *ids]
    proc, out, err, seconds = interrupt(args, lambda proc: any(r["path"].endswith("/s1") for r in emu.requests()),
                                        env={"APIG_TOKEN": DEFAULT_TOKEN})
    assert proc.returncode == 130, (out, err)
    assert seconds < BOUND, seconds
    assert "Traceback" not in err, err
    rows = {row["id"]: row for row in map(json.loads, out.splitlines())}
    assert rows["s1"]["outcome"] == "interrupted" and rows["s1"]["code"] == 130
    done = 1 if "fast1" in ids else 0
    assert rows.get("fast1", {"outcome": "deleted"})["outcome"] == "deleted"
    assert "s2" not in rows
    assert (f"interrupted: {done} deleted, 0 already absent, 0 failed, 1 stopped under way, "
            f"{len(ids) - done - 1} not attempted") in err, err
    assert not any(r["path"].endswith("/s2") for r in emu.requests()), "an id not started was never sent"
