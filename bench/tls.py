"""The TLS benchmark: run by bench/run (which builds everything first); the test command runs it
with --quick (a few hundred calls) so that its code cannot rot. No figure is asserted.

One minimal TLS 1.3 server (bench/tls_server.rs, the test CA's certificate, ECDSA P-256) in three
configurations, each client in its own process, interleaved round by round, medians reported:

- kept alive: every call over one connection (per call, pinned and unpinned);
- new connection per call, full handshake: the server answers `Connection: close` and offers no
  resumption;
- new connection per call, resumption offered: the same with session tickets; the share of
  handshakes that each client resumed is counted by the server;
- a fresh process doing one delete (imports, client, handshake, call, exit): wall and CPU time.

Pinned: server and client on CPU 0; unpinned: free. Every figure is printed with its ratio to
libcurl (OpenSSL) and to the official SDK. A missing peer is skipped with a note, never faked.

    python bench/tls.py [--quick]
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import urllib.request

from harness import (CURL, ENV, ROOT, ROUNDS, SDK, available, cell, cold_command, command, fmt,
                     machine_line, process_cpu_seconds, run_child, wall_and_cpu)

FIXTURES = os.path.join(ROOT, "tests", "fixtures", "tls")
SERVER = os.environ.get("BENCH_TLS_SERVER",
                        os.path.join(ROOT, "target", "bench-emulator", "release", "examples", "bench-tls-server"))
TLS_ENV = dict(ENV, BENCH_CA_FILE=os.path.join(FIXTURES, "ca.pem"))

# name, kind, calls per kept-alive run, calls per new-connection run (slow peers get fewer calls;
# per-call time is what is compared)
CLIENTS = [
    ("pyapig.Client", "py:pyapig-client", 20000, 2000),
    ("pyapig.delete_certificate", "py:pyapig-oneshot", 5000, 2000),
    ("apig C client handle", "c:c_apig", 20000, 2000),
    (CURL, "c:c_curl", 20000, 2000),
    ("http.client + ssl (stdlib)", "py:http.client", 10000, 1000),
    ("requests.Session", "py:requests", 3000, 500),
    (SDK, "py:sdk", 1000, 300),
]
# Only in the fresh-process table: the command line tool, as a CI step or an acme hook runs it.
CLI = "pyapig CLI"
CERT = "b6f9b7e2c4b14e5e8a1f0c3d2e1f0a9b"
PROJECT = "0123456789abcdef0123456789abcdef"

# server configuration: its flags
MODES = {"kept": [], "full": ["--close", "--no-resumption"], "resume": ["--close"]}


class Server:
    def __init__(self, flags, pin):
        cmd = [SERVER, os.path.join(FIXTURES, "server.pem"), os.path.join(FIXTURES, "server.key")] + flags
        if pin:
            cmd = ["taskset", "-c", "0"] + cmd
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        self.url = self.proc.stdout.readline().strip()
        self.stats_url = self.proc.stdout.readline().strip()
        if not self.url.startswith("https://"):
            raise RuntimeError(f"{SERVER} did not start")

    def stats(self):
        """{"requests", "full", "resumed"} so far, and the server's CPU seconds (user + system)."""
        with urllib.request.urlopen(self.stats_url) as answer:
            counts = json.loads(answer.read())
        user, system = process_cpu_seconds(self.proc.pid)
        counts["cpu"] = user + system
        return counts

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def measured(server, kind, calls, pin):
    """One timed run: (µs per call, share of its handshakes resumed, server CPU µs per call)."""
    before = server.stats()
    result = run_child(command(kind, server.url, calls), pin=pin, env=TLS_ENV)
    after = server.stats()
    handshakes = (after["full"] - before["full"]) + (after["resumed"] - before["resumed"])
    resumed = (after["resumed"] - before["resumed"]) / handshakes if handshakes else None
    served = after["requests"] - before["requests"]
    server_us = (after["cpu"] - before["cpu"]) * 1e6 / served if served else None
    return result["us_per_call"], resumed, server_us


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one round of a few hundred calls (the tests' run)")
    args = parser.parse_args()
    rounds, fresh_runs = (1, 2) if args.quick else (ROUNDS, 7)
    scale = 0.01 if args.quick else 1.0  # × SCALE (harness): at least 50 calls per run

    if not os.path.exists(SERVER):
        sys.exit(f"{SERVER} is missing: build it with `cargo build --release --features emulator "
                 f"--example bench-tls-server` (bench/run does)")
    clients = []
    for name, kind, kept, new in CLIENTS:
        ok, why = available(kind)
        if ok:
            clients.append((name, kind, int(kept * scale), int(new * scale)))
        else:
            print(f"note: skipping {name}: {why}")
    servers = {(mode, pin): Server(flags, pin) for mode, flags in MODES.items() for pin in (True, False)}
    keys = [(mode, pin) for mode in MODES for pin in (True, False)]
    per_call = {name: {key: [] for key in keys} for name, *_ in clients}
    resumed = {name: [] for name, *_ in clients}
    server_cost = {mode: [] for mode in MODES}
    fresh = {name: [] for name, *_ in clients}
    try:
        for round_ in range(rounds):
            print(f"round {round_ + 1}/{rounds} …", file=sys.stderr)
            for name, kind, kept, new in clients:
                for mode, pin in keys:
                    us, share, server_us = measured(servers[mode, pin], kind, kept if mode == "kept" else new, pin)
                    per_call[name][mode, pin].append(us)
                    if pin and server_us is not None:
                        server_cost[mode].append(server_us)
                    if mode == "resume" and share is not None:
                        resumed[name].append(share)
        print("fresh processes …", file=sys.stderr)
        url = servers["full", False].url
        cli = [os.path.join(os.path.dirname(sys.executable), "pyapig"), "delete-certificate", "--endpoint", url,
               "--project-id", PROJECT, "--ca-file", TLS_ENV["BENCH_CA_FILE"], CERT]
        fresh[CLI] = []
        for _ in range(fresh_runs):
            for name, kind, _, _ in clients:
                fresh[name].append(wall_and_cpu(cold_command(kind, url), env=TLS_ENV))
            fresh[CLI].append(wall_and_cpu(cli, env=dict(TLS_ENV, APIG_TOKEN="emulator-token")))
    finally:
        for server in servers.values():
            server.stop()

    def med(values):
        return statistics.median(values) if values else None

    col = {key: {name: med(per_call[name][key]) for name, *_ in clients} for key in keys}
    fresh_wall = {name: med([w for w, _ in runs]) * 1000 for name, runs in fresh.items() if runs}
    fresh_cpu = {name: med([c for _, c in runs]) * 1000 for name, runs in fresh.items() if runs}
    share = {name: med(v) for name, v in resumed.items()}

    print()
    print(machine_line(rounds))
    print("server: bench/tls_server.rs (rustls, TLS 1.3 only, ECDSA P-256 certificate of a local CA); its CPU per "
          "call in pinned runs: " + ", ".join(f"{label} {fmt(med(server_cost[mode]))} µs" for mode, label in
                                               (("kept", "kept alive"), ("full", "full handshake"),
                                                ("resume", "resumption offered"))) + ".")
    print("Each cell: × libcurl / × official SDK (this machine's figure); lower is better.")
    print()
    print("TLS 1.3, one kept-alive connection:")
    print()
    print("| client | µs/call pinned | µs/call unpinned |")
    print("|---|---:|---:|")
    for name, *_ in clients:
        print(f"| {name} | {cell(col['kept', True][name], col['kept', True])} "
              f"| {cell(col['kept', False][name], col['kept', False])} |")
    print()
    print("A new TLS connection per call (the server closes after each answer):")
    print()
    print("| client | full handshake, µs/call pinned | unpinned | resumption offered, µs/call pinned | unpinned "
          "| handshakes resumed |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, *_ in clients:
        resumed_cell = "—" if share[name] is None else f"{share[name] * 100:.0f}%"
        print(f"| {name} | {cell(col['full', True][name], col['full', True])} "
              f"| {cell(col['full', False][name], col['full', False])} "
              f"| {cell(col['resume', True][name], col['resume', True])} "
              f"| {cell(col['resume', False][name], col['resume', False])} | {resumed_cell} |")
    print()
    print("A fresh process doing one delete over TLS (start, imports, client, handshake, call, exit; unpinned):")
    print()
    print("| client | wall ms | CPU ms (user + system) |")
    print("|---|---:|---:|")
    for name in [name for name, *_ in clients] + [CLI]:
        print(f"| {name} | {cell(fresh_wall.get(name), fresh_wall)} | {cell(fresh_cpu.get(name), fresh_cpu)} |")
    print()

    def target(what, value, limit):
        verdict = "—" if value is None else ("met" if value <= limit else "MISSED")
        shown = "—" if value is None else f"{value:.2f}"
        print(f"target: {what}: {shown} (≤ {limit:g}) {verdict}")

    def r(key, name, base=CURL):
        a, b = col[key].get(name), col[key].get(base)
        return a / b if a and b else None

    target("TLS kept alive, pyapig.Client × libcurl, pinned", r(("kept", True), "pyapig.Client"), 0.85)
    target("TLS kept alive, C client handle × libcurl, pinned", r(("kept", True), "apig C client handle"), 0.8)
    target("new connection (resumption offered), pyapig.Client × libcurl, pinned",
           r(("resume", True), "pyapig.Client"), 0.7)
    target("new connection (full handshake), pyapig.Client × libcurl, pinned", r(("full", True), "pyapig.Client"), 0.7)
    sdk_wall = fresh_wall.get(SDK)
    for name in ("pyapig.Client", "pyapig.delete_certificate", CLI):
        value = fresh_wall.get(name) / sdk_wall if sdk_wall and fresh_wall.get(name) else None
        target(f"fresh process, {name} wall × the SDK's", value, 1 / 20)


if __name__ == "__main__":
    if not shutil.which("taskset"):
        sys.exit("taskset (util-linux) is needed to pin the pinned runs")
    main()
