"""Deletes certificates with pyapig and prints what happened to each.

    APIG_TOKEN=... python delete_certificate.py ENDPOINT PROJECT_ID CERT_ID [CERT_ID...]

The token comes from the environment, never from the command line: every user of the machine
can read a process's arguments (ps, /proc/PID/cmdline).
"""

import os
import sys

import pyapig


def main(argv: list[str]) -> int:
    token = os.environ.get("APIG_TOKEN")
    if len(argv) < 4 or not token:
        print(f"usage: APIG_TOKEN=... {argv[0]} ENDPOINT PROJECT_ID CERT_ID [CERT_ID...]", file=sys.stderr)
        return 2
    endpoint, project_id, *cert_ids = argv[1:]
    client = pyapig.Client(endpoint=endpoint, project_id=project_id, token=token)
    failures = 0
    for cert_id in cert_ids:
        try:
            client.delete_certificate(cert_id)
        except pyapig.NotFoundError as e:
            failures += 1
            print(f"[Python] {cert_id:<14} not found (HTTP {e.status_code}, {e.error_code}): {e.error_msg}")
        except pyapig.CertificateInUseError as e:
            failures += 1
            print(f"[Python] {cert_id:<14} still bound to {', '.join(e.domains)} (HTTP {e.status_code})")
        except pyapig.PermissionDeniedError as e:
            failures += 1
            print(f"[Python] {cert_id:<14} refused (HTTP {e.status_code}, {e.error_code}): {e.error_msg}")
        except pyapig.ApigError as e:
            failures += 1
            print(f"[Python] {cert_id:<14} {type(e).__name__}: {e}")
        else:
            print(f"[Python] {cert_id:<14} deleted")
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
