"""What the benchmark scripts share: where things are, running one client in its own process
(pinned or free), timing a whole process (wall and CPU), and the `value (× libcurl / × SDK)` cells."""

import json
import os
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BIN = os.path.join(ROOT, "target", "bench")
PY = sys.executable
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
SCALE = float(os.environ.get("BENCH_SCALE", "1"))
# The official SDK writes into the home directory when imported: give it a private one.
ENV = dict(os.environ, HOME=os.path.join(ROOT, "target", "sdk-home"))
CURL = "libcurl easy handle (C)"
SDK = "official SDK (huaweicloudsdkapig)"


def available(kind):
    """(True, "") when the client `kind` ("c:NAME" or "py:MODE") can run here, else (False, why)."""
    tool, name = kind.split(":")
    if tool == "c":
        return os.path.exists(os.path.join(BIN, name)), f"{name} was not built"
    probe = {"sdk": "huaweicloudsdkapig", "requests": "requests"}.get(name)
    if probe is None:
        return True, ""
    ok = subprocess.run([PY, "-c", f"import {probe}"], env=ENV, capture_output=True).returncode == 0
    return ok, f"{probe} is not installed"


def command(kind, url, calls, threads=1):
    """The command line of one timed run: `calls` deletes (at least 50 per thread) on `threads`."""
    tool, name = kind.split(":")
    calls = max(int(calls * SCALE), threads * 50)
    if tool == "c":
        return [os.path.join(BIN, name), url, str(calls), str(threads)]
    return [PY, os.path.join(ROOT, "bench", "py_client.py"), name, url, str(calls), str(threads)]


def cold_command(kind, url):
    """The command line of a fresh process doing one delete (imports and client included)."""
    tool, name = kind.split(":")
    if tool == "c":
        return [os.path.join(BIN, name), url, "cold"]
    return [PY, os.path.join(ROOT, "bench", "py_client.py"), name, url, "cold"]


def run_child(cmd, pin, env=None):
    """Runs one timed client and returns its JSON result line."""
    if pin:
        cmd = ["taskset", "-c", "0"] + cmd
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env or ENV, text=True)
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {err.strip()[-500:]}")
    return json.loads(out.strip().splitlines()[-1])


def wall(cmd, pin=False, env=None):
    """Seconds from the start of `cmd` to its exit."""
    return wall_and_cpu(cmd, pin, env)[0]


def wall_and_cpu(cmd, pin=False, env=None):
    """(wall seconds, CPU seconds: user + system) of one whole process, from start to exit."""
    if pin:
        cmd = ["taskset", "-c", "0"] + cmd
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env or ENV)
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    proc.stderr.close()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {err.decode()[-300:]}")
    return elapsed, usage.ru_utime + usage.ru_stime


def process_cpu_seconds(pid):
    """(user, system) CPU seconds process `pid` has used so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def fmt(x, digits=1):
    return "—" if x is None else f"{x:,.{digits}f}"


def ratio(value, base):
    if value is None or not base:
        return "—"
    r = value / base
    return f"{r:.2f}" if r >= 0.1 else f"{r:.3f}"


def cell(value, column, digits=1):
    """`× libcurl / × SDK (value)`: ratios first, to both peers of the column (`column` maps a
    client's name to its figure in the same column), then this machine's absolute figure."""
    if value is None:
        return "—"
    return f"{ratio(value, column.get(CURL))} / {ratio(value, column.get(SDK))} ({fmt(value, digits)})"


def platform():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def machine_line(rounds=ROUNDS):
    return (f"machine: {os.cpu_count()} CPUs, {platform()}; {time.strftime('%Y-%m-%d')}; "
            f"{rounds} round{'s' if rounds != 1 else ''}, medians.")
