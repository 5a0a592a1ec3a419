"""Bulk deletion over a realistic round trip: N deletes against the emulator with 20 ms added to
every answer (its delay rule), through the CLI with --jobs 1, 4, 16, 64, a Python loop over one
Client, AsyncClient under a semaphore of 16, and the official SDK in a loop and with a thread pool
of 16.
Prints deletes/s, the share of the round-trip bound (jobs / RTT) reached, peak RSS and the number
of requests the server saw. Then the same against a gateway that throttles (bench/throttled.py:
50 requests/s, burst 10, without and with Retry-After), with a plot of the --jobs 64 runs.

    python bench/bulk.py [--deletes N] [--quick]     (bench/run runs it; the tests run --quick)
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PY = sys.executable
EMULATOR = os.environ.get("APIG_EMULATOR", os.path.join(ROOT, "target", "debug", "apig-emulator"))
RTT = 0.020
TOKEN = "emulator-token"
AK = "EMULATORAK0000000001"
SK = "emulator-secret-key-0000000000000001"
ENV = dict(os.environ, HOME=os.path.join(ROOT, "target", "sdk-home"), APIG_TOKEN=TOKEN,
           APIG_METADATA_ENDPOINT="http://127.0.0.1:1")

LOOP = """
import sys, pyapig
endpoint, project, ids = sys.argv[1], sys.argv[2], open(sys.argv[3]).read().split()
client = pyapig.Client(endpoint=endpoint, project_id=project, token="emulator-token")
for i in ids:
    client.delete_certificate(i)
"""

ASYNC = """
import asyncio, sys, pyapig
endpoint, project, ids = sys.argv[1], sys.argv[2], open(sys.argv[3]).read().split()
async def main():
    gate = asyncio.Semaphore(16)
    async with pyapig.AsyncClient(endpoint, project, token="emulator-token") as client:
        async def one(i):
            async with gate:
                await client.delete_certificate(i)
        await asyncio.gather(*(one(i) for i in ids))
asyncio.run(main())
"""

SDK = """
import sys
from concurrent.futures import ThreadPoolExecutor
from huaweicloudsdkapig.v2 import ApigClient, DeleteCertificateV2Request
from huaweicloudsdkcore.auth.credentials import BasicCredentials
endpoint, project, ids, threads = sys.argv[1], sys.argv[2], open(sys.argv[3]).read().split(), int(sys.argv[4])
client = ApigClient.new_builder().with_credentials(BasicCredentials("%s", "%s", project)).with_endpoints([endpoint]).build()
def one(i):
    client.delete_certificate_v2(DeleteCertificateV2Request(certificate_id=i))
if threads == 1:
    for i in ids:
        one(i)
else:
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, ids))
""" % (AK, SK)


class Emulator:
    """apig-emulator with one project per run, each seeded with N certificates, 20 ms per answer."""

    def __init__(self, runs, deletes, rules):
        self.rules = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
        json.dump(rules, self.rules)
        self.rules.close()
        args = [EMULATOR, "--no-log", "--threads", "2", "--rules", self.rules.name]
        for r in range(runs):
            args += ["--cert-range", f"bulk{r}/b/{deletes}"]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
        self.url = self.proc.stdout.readline().strip()

    def counters(self):
        return json.load(urllib.request.urlopen(self.url + "/_emulator/counters"))

    def remaining(self, project):
        return len(json.load(urllib.request.urlopen(f"{self.url}/_emulator/projects/{project}/certificates")))

    def stop(self):
        self.proc.terminate()
        self.proc.wait()
        self.proc.stdout.close()
        os.unlink(self.rules.name)


def run(cmd):
    """Runs a client to completion: (seconds, peak RSS in MiB, exit status)."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENV)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code not in (0,):
        print(f"  note: {' '.join(cmd[:6])}… exited {code}: {err.strip()[-300:]}", file=sys.stderr)
    return seconds, usage.ru_maxrss / 1024, code


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--deletes", type=int, default=2000)
    parser.add_argument("--quick", action="store_true", help="a few hundred deletes: the code runs, the figures mean little")
    parser.add_argument("--no-plots", action="store_true", help="do not write the plots under bench/")
    parser.add_argument("--throttled-only", action="store_true", help="only the table of a throttling gateway")
    args = parser.parse_args()
    n = 100 if args.quick else args.deletes
    if args.throttled_only:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import throttled

        work = tempfile.mkdtemp(prefix="apig-bulk-")
        ids = os.path.join(work, "ids.txt")
        with open(ids, "w") as f:
            f.write("\n".join(f"b{i}" for i in range(n)) + "\n")
        plots = tempfile.mkdtemp(prefix="apig-plots-") if args.quick or args.no_plots else os.path.join(ROOT, "bench")
        throttled.measure(EMULATOR, PY, ENV, n, ids, SDK, args.quick, plots)
        return
    sdk = subprocess.run([PY, "-c", "import huaweicloudsdkapig"], env=ENV, capture_output=True).returncode == 0
    clients = [(f"pyapig CLI --jobs {j}", j, ["cli", j]) for j in (1, 4, 16, 64)]
    clients += [("pyapig.Client, a loop", 1, ["loop"]), ("pyapig.AsyncClient, gather, 16 at once", 16, ["async"])]
    if sdk:
        clients += [("official SDK, a loop", 1, ["sdk", 1]), ("official SDK, 16 threads", 16, ["sdk", 16])]
    work = tempfile.mkdtemp(prefix="apig-bulk-")
    ids = os.path.join(work, "ids.txt")
    with open(ids, "w") as f:
        f.write("\n".join(f"b{i}" for i in range(n)) + "\n")
    delay = {"action": "pass", "delay_ms": int(RTT * 1000)}
    rows = []
    emu = Emulator(len(clients), n, [delay])
    try:
        for r, (name, jobs, (kind, *extra)) in enumerate(clients):
            project = f"bulk{r}"
            before = emu.counters()["apig_requests"]
            if kind == "cli":
                cmd = [PY, "-m", "pyapig", "delete-certificate", "--endpoint", emu.url, "--project-id", project,
                       "--jobs", str(extra[0]), "--from-file", ids, "--no-progress"]
            elif kind == "loop":
                cmd = [PY, "-c", LOOP, emu.url, project, ids]
            elif kind == "async":
                cmd = [PY, "-c", ASYNC, emu.url, project, ids]
            else:
                cmd = [PY, "-c", SDK, emu.url, project, ids, str(extra[0])]
            seconds, rss, code = run(cmd)
            seen = emu.counters()["apig_requests"] - before
            left = emu.remaining(project)
            rows.append((name, jobs, n, seconds, rss, seen, left, code))
    finally:
        emu.stop()
    print(f"\n{n} deletes, {RTT * 1000:.0f} ms added to every answer (this machine's figures)\n")
    print("| client | deletes/s | share of the bound (jobs / RTT) | peak RSS MiB | requests the server saw | not deleted |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, jobs, count, seconds, rss, seen, left, code in rows:
        rate = (count - left) / seconds
        bound = jobs / RTT
        print(f"| {name} | {rate:,.0f} | {rate / bound:.0%} | {rss:.1f} | {seen:,} | {left} |")
    failures = [r for r in rows if r[6] != 0]
    if failures:
        sys.exit(f"some deletes did not happen: {[r[0] for r in failures]}")
    # The second table: a gateway that throttles (bench/throttled.py).
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import throttled

    plots = tempfile.mkdtemp(prefix="apig-plots-") if args.quick or args.no_plots else os.path.join(ROOT, "bench")
    throttled.measure(EMULATOR, PY, ENV, n, ids, SDK, args.quick, plots)


if __name__ == "__main__":
    main()
