"""The side-by-side benchmark: run by bench/run (which builds everything first).

Every client deletes the same certificate over and over against one minimal keep-alive server
on 127.0.0.1, in its own process, interleaved round by round; the median of the rounds is
reported. Pinned: server and client on CPU 0 (the client's own cost, without the virtual
machine's cross-CPU wake-ups); unpinned: free. Also: 8 threads, import time, cold start and
peak RSS. Figures are printed as ratios to libcurl and to the official SDK. A missing peer is
skipped with a note, never faked.

    python bench/bench.py [--quick]     (bench/run runs it; the tests run --quick)
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys

from harness import (BIN, CURL, PY, ROUNDS, SCALE, SDK, available, cell, cold_command, command,
                     fmt, machine_line, process_cpu_seconds, ratio, run_child, wall)

# name, kind, calls per run (slow peers get fewer calls; per-call time is what is compared)
CLIENTS = [
    ("pyapig.Client", "py:pyapig-client", 20000),
    ("pyapig.Client, logging imported", "py:pyapig-client-log-imported", 20000),
    ("pyapig.Client, logging at INFO", "py:pyapig-client-log-info", 20000),
    ("pyapig.delete_certificate", "py:pyapig-oneshot", 20000),
    ("apig C client handle", "c:c_apig", 20000),
    (CURL, "c:c_curl", 20000),
    ("http.client (stdlib)", "py:http.client", 10000),
    ("requests.Session", "py:requests", 3000),
    (SDK, "py:sdk", 1000),
    ("raw socket loop (the floor)", "c:c_raw", 20000),
]
FLOOR = "raw socket loop (the floor)"
IMPORTS = {
    "pyapig.Client": "import pyapig",
    "pyapig.delete_certificate": "import pyapig",
    "http.client (stdlib)": "import http.client",
    "requests.Session": "import requests",
    SDK: "import huaweicloudsdkapig.v2, huaweicloudsdkcore.auth.credentials",
}


class Server:
    def __init__(self, pin):
        cmd = [os.path.join(BIN, "fast-server")]
        if pin:
            cmd = ["taskset", "-c", "0"] + cmd
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        self.url = self.proc.stdout.readline().strip()

    def cpu_seconds(self):
        """(user, system) CPU seconds the server has used so far."""
        return process_cpu_seconds(self.proc.pid)

    def served(self):
        import urllib.request

        return int(urllib.request.urlopen(self.url + "/_stats").read())

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one round of a few hundred calls (the tests' run)")
    args = parser.parse_args()
    # --quick: the code runs, the figures mean little.
    rounds, scale, samples, rss_calls = (1, 0.01, 2, 500) if args.quick else (ROUNDS, 1.0, 15, 10000)
    clients = []
    for name, kind, calls in CLIENTS:
        ok, why = available(kind)
        if ok:
            clients.append((name, kind, int(calls * scale)))
        else:
            print(f"note: skipping {name}: {why}")
    pinned_server, free_server = Server(pin=True), Server(pin=False)
    results = {name: {"pinned": [], "free": [], "threads": []} for name, _, _ in clients}
    server_cost = []  # (user µs, system µs) per request, measured around each pinned run
    try:
        for round_ in range(rounds):
            print(f"round {round_ + 1}/{rounds} …", file=sys.stderr)
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

        bare = statistics.median(wall([PY, "-c", "pass"]) for _ in range(samples))
        imports, colds, rss = {}, {}, {}
        for name, kind, _ in clients:
            if name in IMPORTS:
                times = [wall([PY, "-c", IMPORTS[name]]) - wall([PY, "-c", "pass"]) for _ in range(samples)]
                imports[name] = statistics.median(times) * 1000
            if name == FLOOR:
                continue
            colds[name] = statistics.median(wall(cold_command(kind, free_server.url)) for _ in range(min(samples, 7))) * 1000
            rss[name] = run_child(command(kind, free_server.url, rss_calls / SCALE, 1), pin=False)["vmhwm_kib"] / 1024
        rss_20k = run_child(command("py:pyapig-client", free_server.url, 2 * rss_calls / SCALE, 1), pin=False)["vmhwm_kib"] / 1024
    finally:
        pinned_server.stop()
        free_server.stop()

    med = {name: {k: statistics.median(v) for k, v in r.items() if v} for name, r in results.items()}
    floor = med.get(FLOOR, {}).get("pinned")

    def column(key):
        return {name: m.get(key) for name, m in med.items()}

    print()
    print(machine_line(rounds))
    print(f"server (bench/fast_server.rs) CPU per request, pinned runs: {server_user:.2f} µs user + "
          f"{server_sys:.2f} µs system (kernel TCP work included); floor (raw socket loop): {fmt(floor)} µs/call.")
    print("Each cell: × libcurl / × official SDK (this machine's figure); lower is better except the speed-up.")
    print()
    print("| client | µs/call pinned | µs/call unpinned | µs/call, 8 threads | 8-thread speed-up | "
          f"import ms | cold start ms | peak RSS MiB, {rss_calls:,} calls |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, _, _ in clients:
        m = med[name]
        speedup = m["free"] / m["threads"] if m.get("threads") else None
        print(f"| {name} | {cell(m.get('pinned'), column('pinned'))} "
              f"| {cell(m.get('free'), column('free'))} "
              f"| {cell(m.get('threads'), column('threads'))} "
              f"| {fmt(speedup, 2) + '×' if speedup else '—'} "
              f"| {cell(imports.get(name), imports)} "
              f"| {cell(colds.get(name), colds)} "
              f"| {cell(rss.get(name), rss)} |")
    print()
    print(f"pyapig.Client peak RSS after {rss_calls:,} calls: {fmt(rss.get('pyapig.Client'))} MiB; "
          f"after {2 * rss_calls:,}: {fmt(rss_20k)} MiB. Bare interpreter start: {bare * 1000:.1f} ms.")
    pinned = column("pinned")
    print()
    print(f"target: the C client handle ≤ 0.85× libcurl per call, pinned: "
          f"{ratio(pinned.get('apig C client handle'), pinned.get(CURL))}× "
          f"(the floor: {ratio(floor, pinned.get(CURL))}×)")


if __name__ == "__main__":
    if not shutil.which("taskset"):
        sys.exit("taskset (util-linux) is needed to pin the pinned runs")
    main()
