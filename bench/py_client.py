"""One benchmark client in its own process.

    py_client.py MODE ENDPOINT CALLS THREADS      -> {"us_per_call": ..., "maxrss_kib": ...}
    py_client.py MODE ENDPOINT cold               -> import + client + one delete, then exit

MODE: pyapig-client, pyapig-client-log-imported, pyapig-client-log-info, pyapig-oneshot, sdk,
requests, http.client. Imports happen inside the modes so that `cold` measures them.

An https ENDPOINT is trusted through the CA file named by BENCH_CA_FILE, each client given it in
its own way (its users' way); whether a client resumes TLS sessions is its own default.
"""

import os
import sys

# json, threading and time are imported only for timed runs, so that `cold` measures the
# client under test and not this script.

PROJECT = "0123456789abcdef0123456789abcdef"
CERT = "b6f9b7e2c4b14e5e8a1f0c3d2e1f0a9b"
TOKEN = "emulator-token"
AK = "EMULATORAK0000000001"
SK = "emulator-secret-key-0000000000000001"
CA = os.environ.get("BENCH_CA_FILE")  # None: the clients' defaults


def factory(mode, endpoint):
    """Returns make_caller(): a function returning a per-thread `delete once` callable."""
    path = f"/v2/{PROJECT}/apigw/certificates/{CERT}"
    if mode == "pyapig-client":
        import pyapig

        client = pyapig.Client(endpoint=endpoint, project_id=PROJECT, token=TOKEN, ca_file=CA)
        return lambda: (lambda: client.delete_certificate(CERT))
    if mode in ("pyapig-client-log-imported", "pyapig-client-log-info"):
        # Logging imported but not configured (its records cost nothing), or configured at INFO
        # (one record per call formatted and handed to Python's logging, to a NullHandler).
        import logging

        import pyapig

        if mode == "pyapig-client-log-info":
            logging.basicConfig(level=logging.INFO, handlers=[logging.NullHandler()])
        client = pyapig.Client(endpoint=endpoint, project_id=PROJECT, token=TOKEN, ca_file=CA)
        return lambda: (lambda: client.delete_certificate(CERT))
    if mode == "pyapig-oneshot":
        import pyapig

        return lambda: (lambda: pyapig.delete_certificate(CERT, project_id=PROJECT, endpoint=endpoint, token=TOKEN,
                                                            ca_file=CA))
    if mode == "sdk":
        from huaweicloudsdkapig.v2 import ApigClient, DeleteCertificateV2Request
        from huaweicloudsdkcore.auth.credentials import BasicCredentials
        from huaweicloudsdkcore.http.http_config import HttpConfig

        # The SDK has no token auth: AK/SK, as its users run it.
        config = HttpConfig.get_default_config()
        config.ssl_ca_cert = CA
        client = (ApigClient.new_builder().with_credentials(BasicCredentials(AK, SK, PROJECT))
                  .with_http_config(config).with_endpoints([endpoint]).build())
        request = DeleteCertificateV2Request(certificate_id=CERT)
        return lambda: (lambda: client.delete_certificate_v2(request))
    if mode == "requests":
        import requests

        url = endpoint + path

        def make():
            session = requests.Session()
            headers = {"X-Auth-Token": TOKEN}
            # Per request: a session's own `verify` loses to REQUESTS_CA_BUNDLE in the environment.
            verify = CA or True

            def call():
                r = session.delete(url, headers=headers, verify=verify)
                if r.status_code != 204:
                    raise RuntimeError(r.status_code)
            return call
        return make
    if mode == "http.client":
        import http.client
        from urllib.parse import urlsplit

        parts = urlsplit(endpoint)

        def make():
            if parts.scheme == "https":
                import ssl

                context = ssl.create_default_context(cafile=CA)
                conn = http.client.HTTPSConnection(parts.hostname, parts.port, context=context)
            else:
                conn = http.client.HTTPConnection(parts.hostname, parts.port)
            headers = {"X-Auth-Token": TOKEN}

            def call():
                conn.request("DELETE", path, headers=headers)
                r = conn.getresponse()
                r.read()
                if r.status != 204:
                    raise RuntimeError(r.status)
            return call
        return make
    raise SystemExit(f"unknown mode {mode}")


def main():
    mode, endpoint = sys.argv[1], sys.argv[2]
    if sys.argv[3] == "cold":
        factory(mode, endpoint)()()
        return
    import json
    import threading
    import time

    calls, threads = int(sys.argv[3]), int(sys.argv[4])
    make = factory(mode, endpoint)
    warm = make()
    for _ in range(min(200, calls)):
        warm()
    per_thread = calls // threads
    callers = [make() for _ in range(threads)]

    def run(call):
        for _ in range(per_thread):
            call()

    start = time.perf_counter()
    if threads == 1:
        run(callers[0])
    else:
        workers = [threading.Thread(target=run, args=(c,)) for c in callers]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
    elapsed = time.perf_counter() - start
    print(json.dumps({"us_per_call": elapsed * 1e6 / (per_thread * threads), "calls": per_thread * threads,
                      "vmhwm_kib": vmhwm_kib()}))


def vmhwm_kib():
    """Peak RSS of this process image (getrusage would count the parent's pages before exec)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


if __name__ == "__main__":
    main()
