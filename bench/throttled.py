"""Bulk deletion against a gateway that throttles (bench/bulk.py's second table): N deletes against
the emulator admitting RATE requests/s with a burst of BURST (429 APIGW.0308 for the rest), 20 ms
added to every answer, once without and once with `Retry-After: 1`; the CLI at --jobs 4, 16, 64,
an AsyncClient with 64 at once, and the official SDK with 16 threads. While each client runs,
the emulator's counters are sampled every 100 ms: the table's figures and the plot come from
those samples.

Columns: deletes/s as a share of the admitted rate, certificates not deleted, requests answered
429 as a share of all requests, and the time until the rate settled (the first of three seconds
in a row admitting at least 90 % of the rate with at most 10 % more sent than admitted). Targets, printed as met or not: 0 not
deleted in every pyapig row, at least 85 % of the admitted rate, at most 10 % of requests 429.
"""

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

RATE = 50.0
BURST = 10
SAMPLE = 0.1

ASYNC_64 = """
import asyncio, sys, pyapig
endpoint, project, ids = sys.argv[1], sys.argv[2], open(sys.argv[3]).read().split()
async def main():
    gate = asyncio.Semaphore(64)
    async with pyapig.AsyncClient(endpoint, project, token="emulator-token", max_concurrency=64) as client:
        async def one(i):
            async with gate:
                await client.delete_certificate(i)
        await asyncio.gather(*(one(i) for i in ids), return_exceptions=True)
asyncio.run(main())
"""


def counters(url):
    return json.load(urllib.request.urlopen(url + "/_emulator/counters"))


def remaining(url, project):
    return len(json.load(urllib.request.urlopen(f"{url}/_emulator/projects/{project}/certificates")))


class Sampler(threading.Thread):
    """(seconds since start, APIG requests, of them throttled) every SAMPLE seconds."""

    def __init__(self, url):
        super().__init__(daemon=True)
        self.url = url
        self.samples = []
        self.done = threading.Event()
        self.started = time.perf_counter()

    def run(self):
        while not self.done.is_set():
            c = counters(self.url)
            self.samples.append((time.perf_counter() - self.started, c["apig_requests"], c["apig_throttled"]))
            self.done.wait(SAMPLE)

    def stop(self):
        self.done.set()
        self.join()
        c = counters(self.url)
        self.samples.append((time.perf_counter() - self.started, c["apig_requests"], c["apig_throttled"]))
        return self.samples


def per_second(samples):
    """[(t, sent/s, admitted/s, throttled/s)] over one-second windows that slide by SAMPLE."""
    out = []
    base_req, base_thr = samples[0][1], samples[0][2]
    points = [(t, r - base_req, h - base_thr) for t, r, h in samples]
    j = 0
    for i, (t, r, h) in enumerate(points):
        while j < i and points[j][0] < t - 1.0:
            j += 1
        t0, r0, h0 = points[j]
        if t - t0 < 0.5:
            continue
        span = t - t0
        sent = (r - r0) / span
        throttled = (h - h0) / span
        out.append((t, sent, sent - throttled, throttled))
    return out


def settled_after(series, rate):
    """The end of the first of three seconds in a row in which the client admitted at least 90 %
    of `rate` while sending at most 10 % more than was admitted (few 429s): how long it takes to
    find the gateway's rate (None: never). A client that floods the gateway never settles, however
    much gets through. (The share column says how well it stays there.)"""
    good = [admitted >= 0.9 * rate and sent <= 1.1 * admitted for _, sent, admitted, _ in series]
    span = max(1, round(3.0 / SAMPLE))  # three seconds of samples
    for i in range(len(series) - span + 1):
        if all(good[i:i + span]):
            return series[i][0]
    return None


def svg(series_by_name, rate, path, title):
    """A line plot of the sending and admitted rates over time, by hand (no plotting library)."""
    width, height, left, bottom, top, right = 760, 360, 56, 40, 30, 16
    t_max = max(t for series in series_by_name.values() for t, *_ in series) or 1.0
    y_max = max([rate * 1.5] + [s for series in series_by_name.values() for _, s, _, _ in series])
    x = lambda t: left + (width - left - right) * t / t_max
    y = lambda v: height - bottom - (height - bottom - top) * v / y_max
    colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
             f'font-size="12"><rect width="100%" height="100%" fill="white"/>',
             f'<text x="{left}" y="18" font-size="14">{title}</text>']
    for v in range(0, int(y_max) + 1, 25):
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#eee"/>'
                     f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{v}</text>')
    for s in range(0, int(t_max) + 1, 5):
        parts.append(f'<text x="{x(s):.1f}" y="{height - bottom + 16}" text-anchor="middle">{s}</text>')
    parts.append(f'<text x="{(width + left) / 2}" y="{height - 6}" text-anchor="middle">seconds</text>')
    parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y(rate):.1f}" y2="{y(rate):.1f}" stroke="#888" '
                 f'stroke-dasharray="6 4"/><text x="{width - right}" y="{y(rate) - 4:.1f}" text-anchor="end" '
                 f'fill="#555">admitted rate {rate:.0f}/s</text>')
    legend_y = top + 6
    for (name, series), colour in zip(series_by_name.items(), colours):
        sent = " ".join(f"{x(t):.1f},{y(s):.1f}" for t, s, _, _ in series)
        admitted = " ".join(f"{x(t):.1f},{y(a):.1f}" for t, _, a, _ in series)
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{sent}"/>')
        parts.append(f'<polyline fill="none" stroke="{colours[1]}" stroke-width="1" stroke-dasharray="3 2" '
                     f'points="{admitted}"/>')
        parts.append(f'<text x="{left + 10}" y="{legend_y + 10}" fill="{colour}">{name}: requests sent/s</text>')
        parts.append(f'<text x="{left + 10}" y="{legend_y + 26}" fill="{colours[1]}">admitted (not 429)/s</text>')
        legend_y += 32
    parts.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(parts) + "\n")


def run_client(cmd, env):
    started = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    return time.perf_counter() - started, proc.returncode, proc.stderr.decode(errors="replace")


def measure(emulator, py, env, n, ids, sdk_script, quick, plot_dir):
    """Runs every row with and without Retry-After; prints the table; returns whether the
    targets were met by every pyapig row."""
    clients = [(f"pyapig CLI --jobs {j}", ["cli", j]) for j in (4, 16, 64)]
    clients.append(("pyapig.AsyncClient, 64 at once", ["async"]))
    has_sdk = subprocess.run([py, "-c", "import huaweicloudsdkapig"], env=env, capture_output=True).returncode == 0
    if has_sdk:
        clients.append(("official SDK, 16 threads", ["sdk", 16]))
    rows, plots = [], {}
    for retry_after in (None, 1):
        spec = f"{RATE:g}/{BURST}" + (f":{retry_after}" if retry_after else "")
        for name, (kind, *extra) in clients:
            rules = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
            json.dump([{"action": "pass", "delay_ms": 20}], rules)
            rules.close()
            proc = subprocess.Popen([emulator, "--no-log", "--threads", "2", "--rules", rules.name, "--throttle", spec,
                                     "--cert-range", f"t/b/{n}"], stdout=subprocess.PIPE, text=True)
            url = proc.stdout.readline().strip()
            try:
                if kind == "cli":
                    cmd = [py, "-m", "pyapig", "delete-certificate", "--endpoint", url, "--project-id", "t",
                           "--jobs", str(extra[0]), "--from-file", ids, "--no-progress"]
                elif kind == "async":
                    cmd = [py, "-c", ASYNC_64, url, "t", ids]
                else:
                    cmd = [py, "-c", sdk_script, url, "t", ids, str(extra[0])]
                sampler = Sampler(url)
                sampler.start()
                seconds, code, err = run_client(cmd, env)
                samples = sampler.stop()
                left = remaining(url, "t")
                c = counters(url)
            finally:
                proc.terminate()
                proc.wait()
                proc.stdout.close()
                os.unlink(rules.name)
            series = per_second(samples)
            rows.append((name, retry_after, n, seconds, left, c["apig_requests"], c["apig_throttled"],
                         settled_after(series, RATE), kind != "sdk"))
            if kind == "cli" and extra[0] == 64:
                plots["no Retry-After" if retry_after is None else "Retry-After: 1"] = series
    print(f"\n{n} deletes against a gateway admitting {RATE:g} requests/s (burst {BURST}), 20 ms per answer "
          f"(this machine's figures)\n")
    print("| client | Retry-After | deletes/s | share of the admitted rate | not deleted | requests 429 | "
          "settled after |")
    print("|---|---|---:|---:|---:|---:|---:|")
    met = True
    for name, retry_after, count, seconds, left, requests, throttled, settled, ours in rows:
        rate = (count - left) / seconds
        share_429 = throttled / requests if requests else 0.0
        settled_text = "never" if settled is None else f"{settled:.1f} s"
        print(f"| {name} | {'1 s' if retry_after else 'none'} | {rate:.1f} | {rate / RATE:.0%} | {left} | "
              f"{share_429:.1%} | {settled_text} |")
        if ours and not quick:
            met &= left == 0 and rate / RATE >= 0.85 and share_429 <= 0.10
    if not quick:
        print("\ntargets (every pyapig row: 0 not deleted, >= 85 % of the admitted rate, <= 10 % of requests 429): "
              + ("met" if met else "NOT met"))
    for label, series in plots.items():
        if plot_dir and series:
            path = os.path.join(plot_dir, "throttled-jobs64-" + ("retry-after" if "1" in label else "plain") + ".svg")
            svg({"pyapig CLI --jobs 64": series}, RATE, path,
                f"pyapig CLI --jobs 64, a gateway admitting {RATE:g}/s (burst {BURST}), {label}")
            print(f"plot: {os.path.relpath(path)}")
    return met
