"""What a dead first endpoint costs per call: pyapig with two endpoints (the first refused, or
black-holed: its SYNs are dropped) side by side with the official SDK given the same two, in
the same run, against the emulator on 127.0.0.1 (plain HTTP). The first call pays to find the
first endpoint dead; the later ones show where each client starts. Figures are medians;
nothing is asserted.

    .venv/bin/python bench/failover.py [--calls N] [--connect-timeout S]
"""

import argparse
import logging
import os
import socket
import statistics
import sys
import tempfile
import time

import pyapig
from pyapig.testing import DEFAULT_AK, DEFAULT_PROJECT, DEFAULT_SK, Emulator


def refused():
    """A loopback port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}", []


def black_hole():
    """A port whose accept queue is full: further SYNs are dropped, a connect waits for its timeout."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    filler = socket.create_connection(("127.0.0.1", port))
    return f"http://127.0.0.1:{port}", [listener, filler]


def pyapig_client(endpoints, connect_timeout):
    client = pyapig.Client(endpoints=endpoints, project_id=DEFAULT_PROJECT, ak=DEFAULT_AK, sk=DEFAULT_SK,
                           connect_timeout=connect_timeout, max_retries=0)
    return lambda cert: client.delete_certificate(cert)


def official_client(endpoints, connect_timeout):
    from huaweicloudsdkapig.v2 import ApigClient, DeleteCertificateV2Request
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkcore.http.http_config import HttpConfig

    config = HttpConfig.get_default_config()
    config.timeout = (connect_timeout, 10)
    config.retry_times = 0
    credentials = BasicCredentials(DEFAULT_AK, DEFAULT_SK, DEFAULT_PROJECT)
    client = ApigClient.new_builder().with_http_config(config).with_credentials(credentials) \
        .with_endpoints(list(endpoints)).build()
    return lambda cert: client.delete_certificate_v2(DeleteCertificateV2Request(certificate_id=cert))


def measure(emu, make, endpoints, calls, connect_timeout, tag):
    """(first call ms, median ms of the later calls, how many of all calls deleted, the first error)."""
    for i in range(calls + 1):
        emu.add_certificate(f"{tag}-{i}")
    delete = make(endpoints, connect_timeout)
    times, ok, first_error = [], 0, None
    for i in range(calls + 1):
        started = time.perf_counter()
        try:
            delete(f"{tag}-{i}")
            ok += 1
        except Exception as e:  # noqa: BLE001 - a peer's failure is a figure here
            first_error = first_error or f"{type(e).__name__}: {str(e)[:90]}"
        times.append((time.perf_counter() - started) * 1000)
    return times[0], statistics.median(times[1:]), ok, first_error


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=50, help="calls after the first (default 50)")
    parser.add_argument("--connect-timeout", type=float, default=1.0, help="seconds (default 1)")
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)  # the official SDK logs every failed call on standard error
    home = tempfile.mkdtemp(prefix="apig-bench-home-")
    os.environ["HOME"] = home  # the official SDK writes into the home directory
    clients = [("pyapig.Client", pyapig_client)]
    try:
        import huaweicloudsdkapig  # noqa: F401
        clients.append(("official SDK (huaweicloudsdkapig)", official_client))
    except ImportError:
        print("NOTE: the official SDK is not installed: its rows are skipped", file=sys.stderr)
    total = args.calls + 1
    print(f"{args.calls + 1} deletes per cell, connect timeout {args.connect_timeout:g} s, "
          "emulator on 127.0.0.1 (plain HTTP)\n")
    print("| client | first endpoint | first call, ms | later calls, ms/call (median) | deleted |")
    print("|---|---|---:|---:|---|")
    with Emulator() as emu:
        for name, make in clients:
            for label, dead in (("live (one endpoint)", None), ("refused", refused), ("black-holed", black_hole)):
                held = []
                if dead is None:
                    endpoints = [emu.url]
                else:
                    url, held = dead()
                    endpoints = [url, emu.url]
                tag = f"{name.split()[0]}-{label.split()[0]}".replace(".", "-")
                first, later, ok, error = measure(emu, make, endpoints, args.calls, args.connect_timeout, tag)
                for s in held:
                    s.close()
                note = f"{ok}/{total}" + (f" ({error})" if error else "")
                print(f"| {name} | {label} | {first:,.1f} | {later:,.2f} | {note} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
