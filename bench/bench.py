"""The side-by-side benchmark: run by bench/run (which builds everything first).

Every client deletes the same certificate over and over against one minimal keep-alive server
on 127.0.0.1, in its own process, interleaved round by round; the median of the rounds is
reported. Pinned: server and client on CPU 0 (the client's own cost, without the virtual
machine's cross-CPU wake-ups); unpinned: free. Also: 8 threads, import time, cold start and
peak RSS. Figures are printed as ratios to libcurl and to the official SDK. A missing peer is
skipped with a note, never faked.
"""

import json
import os
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BIN = os.path.join(ROOT, "target", "bench")
PY = sys.executable
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
SCALE = float(os.environ.get("BENCH_SCALE", "1"))
ENV = dict(os.environ, HOME=os.path.join(ROOT, "target", "sdk-home"))

# name, kind, calls per run (slow peers get fewer calls; per-call time is what is compared)
CLIENTS = [
    ("pyapig.Client", "py:pyapig-client", 20000),
    ("pyapig.Client, logging imported", "py:pyapig-client-log-imported", 20000),
    ("pyapig.Client, logging at INFO", "py:pyapig-client-log-info", 20000),
    ("pyapig.delete_certificate", "py:pyapig-oneshot", 20000),
    ("apig C client handle", "c:c_apig", 20000),
    ("libcurl easy handle (C)", "c:c_curl", 20000),
    ("http.client (stdlib)", "py:http.client", 10000),
    ("requests.Session", "py:requests", 3000),
    ("official SDK (huaweicloudsdkapig)", "py:sdk", 1000),
    ("raw socket loop (the floor)", "c:c_raw", 20000),
]
FLOOR = "raw socket loop (the floor)"
IMPORTS = {
    "pyapig.Client": "import pyapig",
    "pyapig.delete_certificate": "import pyapig",
    "http.client (stdlib)": "import http.client",
    "requests.Session": "import requests",
    "official SDK (huaweicloudsdkapig)": "import huaweicloudsdkapig.v2, huaweicloudsdkcore.auth.credentials",
}


def available(kind):
    tool, name = kind.split(":")
    if tool == "c":
        return os.path.exists(os.path.join(BIN, name)), f"{name} was not built"
    probe = {"sdk": "huaweicloudsdkapig", "requests": "requests"}.get(name)
    if probe is None:
        return True, ""
    ok = subprocess.run([PY, "-c", f"import {probe}"], env=ENV, capture_output=True).returncode == 0
    return ok, f"{probe} is not installed"


def command(kind, url, calls, threads):
    tool, name = kind.split(":")
    calls = max(int(calls * SCALE), threads * 50)
    if tool == "c":
        return [os.path.join(BIN, name), url, str(calls), str(threads)]
    return [PY, os.path.join(ROOT, "bench", "py_client.py"), name, url, str(calls), str(threads)]


def run_child(cmd, pin):
    if pin:
        cmd = ["taskset", "-c", "0"] + cmd
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV, text=True)
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {err.strip()[-500:]}")
    return json.loads(out.strip().splitlines()[-1])


def wall(cmd, pin=False):
    if pin:
        cmd = ["taskset", "-c", "0"] + cmd
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENV)
    _, err = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(err.decode()[-300:])
    return time.perf_counter() - start


class Server:
    def __init__(self, pin):
        cmd = [os.path.join(BIN, "fast-server")]
        if pin:
            cmd = ["taskset", "-c", "0"] + cmd
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        self.url = self.proc.stdout.readline().strip()

    def cpu_seconds(self):
        """(user, system) CPU seconds the server has used so far."""
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        tick = os.sysconf("SC_CLK_TCK")
        return int(fields[11]) / tick, int(fields[12]) / tick

    def served(self):
        import urllib.request

        return int(urllib.request.urlopen(self.url + "/_stats").read())

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def fmt(x, digits=1):
    return "—" if x is None else f"{x:,.{digits}f}"


def main():
    clients = []
    for name, kind, calls in CLIENTS:
        ok, why = available(kind)
        if ok:
            clients.append((name, kind, calls))
        else:
            print(f"note: skipping {name}: {why}")
    pinned_server, free_server = Server(pin=True), Server(pin=False)
    results = {name: {"pinned": [], "free": [], "threads": []} for name, _, _ in clients}
    server_cost = []  # (user µs, system µs) per request, measured around each pinned run
    try:
        for round_ in range(ROUNDS):
            print(f"round {round_ + 1}/{ROUNDS} …", file=sys.stderr)
            for name, kind, calls in clients:
                (u0, s0), n0 = pinned_server.cpu_seconds(), pinned_server.served()
                results[name]["pinned"].append(run_child(command(kind, pinned_server.url, calls, 1), pin=True)["us_per_call"])
                (u1, s1), n1 = pinned_server.cpu_seconds(), pinned_server.served()
                if n1 - n0 >= 2000:
                    server_cost.append(((u1 - u0) * 1e6 / (n1 - n0 - 1), (s1 - s0) * 1e6 / (n1 - n0 - 1)))
                results[name]["free"].append(run_child(command(kind, free_server.url, calls, 1), pin=False)["us_per_call"])
                if kind != "c:c_raw":
                    results[name]["threads"].append(run_child(command(kind, free_server.url, calls, 8), pin=False)["us_per_call"])
        server_user = statistics.median(u for u, _ in server_cost) if server_cost else float("nan")
        server_sys = statistics.median(s for _, s in server_cost) if server_cost else float("nan")

        bare = statistics.median(wall([PY, "-c", "pass"]) for _ in range(15))
        imports, colds, rss = {}, {}, {}
        for name, kind, _ in clients:
            if name in IMPORTS:
                samples = []
                for _ in range(15):
                    samples.append(wall([PY, "-c", IMPORTS[name]]) - wall([PY, "-c", "pass"]))
                imports[name] = statistics.median(samples) * 1000
            tool, mode = kind.split(":")
            if name == FLOOR:
                continue
            if tool == "py":
                colds[name] = statistics.median(
                    wall([PY, os.path.join(ROOT, "bench", "py_client.py"), mode, free_server.url, "cold"]) for _ in range(7)) * 1000
            else:
                colds[name] = statistics.median(wall(command(kind, free_server.url, 1, 1)) for _ in range(7)) * 1000
            rss[name] = run_child(command(kind, free_server.url, 10000 / SCALE, 1), pin=False)["vmhwm_kib"] / 1024
        rss_20k = run_child(command("py:pyapig-client", free_server.url, 20000 / SCALE, 1), pin=False)["vmhwm_kib"] / 1024
    finally:
        pinned_server.stop()
        free_server.stop()

    med = {name: {k: statistics.median(v) for k, v in r.items() if v} for name, r in results.items()}
    curl_name, sdk_name = "libcurl easy handle (C)", "official SDK (huaweicloudsdkapig)"
    floor = med.get(FLOOR, {}).get("pinned")

    def cell(value, of, digits=1):
        """`value (×libcurl / ×SDK)`: every figure side by side with both peers."""
        if value is None:
            return "—"
        base_curl, base_sdk = of(curl_name), of(sdk_name)
        def r(base):
            return "—" if not base else f"{value / base:.2f}" if value / base >= 0.1 else f"{value / base:.3f}"

        r_curl, r_sdk = r(base_curl), r(base_sdk)
        return f"{fmt(value, digits)} ({r_curl} / {r_sdk})"

    print()
    print(f"machine: {os.cpu_count()} CPUs, {platform()}; {time.strftime('%Y-%m-%d')}; {ROUNDS} rounds, medians.")
    print(f"server (bench/fast_server.rs) CPU per request, pinned runs: {server_user:.2f} µs user + "
          f"{server_sys:.2f} µs system (kernel TCP work included); floor (raw socket loop): {fmt(floor)} µs/call.")
    print("Each cell: value (× libcurl / × official SDK); lower is better except the speed-up.")
    print()
    print("| client | µs/call pinned | µs/call unpinned | µs/call, 8 threads | 8-thread speed-up | "
          "import ms | cold start ms | peak RSS MiB, 10k calls |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, _, _ in clients:
        m = med[name]
        speedup = m["free"] / m["threads"] if m.get("threads") else None
        print(f"| {name} | {cell(m.get('pinned'), lambda n: med.get(n, {}).get('pinned'))} "
              f"| {cell(m.get('free'), lambda n: med.get(n, {}).get('free'))} "
              f"| {cell(m.get('threads'), lambda n: med.get(n, {}).get('threads'))} "
              f"| {fmt(speedup, 2) + '×' if speedup else '—'} "
              f"| {cell(imports.get(name), imports.get)} "
              f"| {cell(colds.get(name), colds.get)} "
              f"| {cell(rss.get(name), rss.get)} |")
    print()
    print(f"pyapig.Client peak RSS after 10,000 calls: {fmt(rss.get('pyapig.Client'))} MiB; "
          f"after 20,000: {fmt(rss_20k)} MiB. Bare interpreter start: {bare * 1000:.1f} ms.")


def platform():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


if __name__ == "__main__":
    if not shutil.which("taskset"):
        sys.exit("taskset (util-linux) is needed to pin the pinned runs")
    main()
