"""The `pyapig` command line: delete certificates, run the emulator.

Exit codes follow the C status numbers of apig.h: 0 when every id was deleted (or was already
absent with --missing-ok), else the status of the first id (in input order) that failed;
1 (APIG_E_INVALID_ARGUMENT) for bad usage.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterable, List, Optional, Sequence, TextIO

from . import ApigError, Client, InvalidArgumentError, NotFoundError, __version__

EXIT_INVALID_ARGUMENT = 1
MAX_JOBS = 64

DESCRIPTION = """\
Delete SSL certificates from Huawei Cloud API Gateway (APIG).

Credentials: --token (or the APIG_TOKEN environment variable), or --ak/--sk
(optionally --security-token), or an IAM user: --user-name and --domain-name with the
password from APIG_PASSWORD or --password-stdin (never as a flag value); or else the
official SDKs' environment: HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK,
HUAWEICLOUD_SDK_SECURITY_TOKEN, HUAWEICLOUD_SDK_PROJECT_ID and the credentials file
(HUAWEICLOUD_SDK_CREDENTIALS_FILE or ~/.huaweicloud/credentials, section [basic]); or else
CCE pod identity (HC_CONTAINER_CREDENTIALS_FULL_URI) or the ECS instance's agency
(metadata service). Flags win over the environment. Without --project-id (and
HUAWEICLOUD_SDK_PROJECT_ID), the project of --region is looked up in IAM.
"""

EPILOG = """\
exit codes (the C status numbers of apig.h):
  0 every id deleted         1 invalid argument / usage   2 internal error
  3 cannot connect           4 timeout                    5 TLS failure
  6 unusable answer          7 HTTP 400                   8 HTTP 401
  9 HTTP 403 (e.g. bound)   10 HTTP 404                  11 HTTP 409
 12 HTTP 429                13 HTTP 5xx                  14 other HTTP status
With several ids, the code is that of the first id (in input order) that failed.

examples:
  pyapig delete-certificate --region cn-north-4 --project-id P c1 c2 --missing-ok
  pyapig delete-certificate --endpoint https://apig.example.com --json --from-file ids.txt
  printf 'c1\\nc2\\n' | pyapig delete-certificate --region cn-north-4
  APIG_PASSWORD=... pyapig delete-certificate --region cn-north-4 --user-name ops --domain-name acme c1
  pyapig emulator --cert P/c1 --cert P/c2=www.example.com
"""


class UsageError(Exception):
    pass


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # argparse exits with 2, which is APIG_E_INTERNAL here: use the usage code instead.
        self.print_usage(sys.stderr)
        self.exit(EXIT_INVALID_ARGUMENT, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="pyapig",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"pyapig {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    commands.required = True

    delete = commands.add_parser(
        "delete-certificate",
        help="delete one or more certificates",
        description=DESCRIPTION + "\nIds come from the arguments, --from-file, or standard input.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    delete.add_argument("ids", nargs="*", metavar="CERT_ID", help="certificate ids")
    delete.add_argument("--from-file", metavar="FILE", help="read ids from FILE, one per line ('-' = stdin; # comments)")
    where = delete.add_argument_group("where")
    where.add_argument("--endpoint", help="APIG endpoint URL (wins over --region)")
    where.add_argument("--region", help="region id, e.g. cn-north-4")
    where.add_argument("--project-id", help="project id (default: HUAWEICLOUD_SDK_PROJECT_ID)")
    auth = delete.add_argument_group("credentials")
    auth.add_argument("--token", help="IAM token (default: $APIG_TOKEN); visible to other users in ps, prefer the variable")
    auth.add_argument("--ak", help="access key id")
    auth.add_argument("--sk", help="secret access key (prefer HUAWEICLOUD_SDK_SK)")
    auth.add_argument("--security-token", help="security token of temporary credentials")
    auth.add_argument("--user-name", help="IAM user name (password auth; the password from APIG_PASSWORD or --password-stdin)")
    auth.add_argument("--domain-name", help="account (domain) name of the IAM user")
    auth.add_argument("--password-stdin", action="store_true",
                      help="read the IAM user's password from the first line of standard input")
    auth.add_argument("--password", dest="password_flag", help=argparse.SUPPRESS)
    auth.add_argument("--iam-endpoint", help="IAM endpoint (default: HUAWEICLOUD_SDK_IAM_ENDPOINT, else from --region)")
    auth.add_argument("--metadata-endpoint", help="ECS metadata endpoint (default: APIG_METADATA_ENDPOINT, else 169.254.169.254)")
    behaviour = delete.add_argument_group("behaviour")
    behaviour.add_argument("--missing-ok", action="store_true", help="treat a certificate that does not exist as deleted")
    behaviour.add_argument("--json", action="store_true", help="one JSON object per id on standard output")
    behaviour.add_argument("--jobs", "-j", type=int, default=4, help=f"deletes in parallel (1..{MAX_JOBS}, default 4)")
    behaviour.add_argument("--timeout", type=float, help="deadline per certificate in seconds, retries included (default 60)")
    behaviour.add_argument("--connect-timeout", type=float, help="connect timeout in seconds (default 10)")
    behaviour.add_argument("--max-retries", type=int, help="retries of safe failures (default 2)")
    behaviour.add_argument("--ca-file", help="also trust the CAs in this PEM file")
    behaviour.add_argument("--insecure", action="store_true", help="do not verify TLS certificates (tests only)")
    behaviour.add_argument("--proxy", help="proxy URL (default: HTTPS_PROXY / NO_PROXY)")
    behaviour.add_argument("--allow-insecure-http", action="store_true", help="allow plain http to a non-loopback host")
    behaviour.add_argument("--no-progress", action="store_true", help="no progress line even on a terminal")

    emulator = commands.add_parser(
        "emulator",
        help="run the local APIG emulator",
        description="Run the local APIG emulator on 127.0.0.1 until interrupted; prints its endpoint first.",
    )
    emulator.add_argument("--cert", action="append", default=[], metavar="P/C[=DOMAINS]",
                          help="seed certificate C in project P, bound to comma-separated DOMAINS if given")
    emulator.add_argument("--token", action="append", default=[], help="accept this token too")
    emulator.add_argument("--rules", metavar="FILE", help="fault rules, a JSON array (see the README)")
    return parser


def read_password(args: argparse.Namespace, stdin: TextIO) -> Optional[str]:
    """The IAM password: never from a flag value (argv is visible to every user in ps)."""
    if args.password_flag is not None:
        raise UsageError("the password is never taken as a flag value (it would show in ps): "
                         "set APIG_PASSWORD or pass --password-stdin")
    if not args.user_name:
        if args.password_stdin or args.domain_name:
            raise UsageError("--password-stdin and --domain-name go with --user-name")
        return None
    if not args.domain_name:
        raise UsageError("--user-name needs --domain-name (the account name)")
    if args.password_stdin:
        if args.from_file == "-" or (not args.ids and not args.from_file):
            raise UsageError("with --password-stdin, give the ids as arguments or with --from-file FILE")
        line = stdin.readline().rstrip("\r\n")
        if not line:
            raise UsageError("--password-stdin: standard input has no password")
        return line
    from_env = os.environ.get("APIG_PASSWORD")
    if not from_env:
        raise UsageError("--user-name needs a password: set APIG_PASSWORD or pass --password-stdin")
    return from_env


def read_ids(args: argparse.Namespace, stdin: TextIO) -> List[str]:
    ids = list(args.ids)
    source: Optional[Iterable[str]] = None
    if args.from_file == "-":
        source = stdin
    elif args.from_file:
        try:
            with open(args.from_file, encoding="utf-8") as f:
                source = f.readlines()
        except OSError as e:
            raise UsageError(f"--from-file {args.from_file}: {e.strerror}") from None
    elif not ids and not stdin.isatty():
        source = stdin
    if source is not None:
        for line in source:
            line = line.split("#", 1)[0].strip()
            if line:
                ids.append(line)
    if not ids:
        raise UsageError("no certificate ids: give them as arguments, with --from-file, or on standard input")
    return ids


def make_client(args: argparse.Namespace, password: Optional[str]) -> Client:
    if not 1 <= args.jobs <= MAX_JOBS:
        raise UsageError(f"--jobs must be 1..{MAX_JOBS}")
    token = args.token or (None if (args.ak or args.sk or password) else os.environ.get("APIG_TOKEN") or None)
    options = dict(
        endpoint=args.endpoint,
        region=args.region,
        project_id=args.project_id,
        token=token,
        ak=args.ak,
        sk=args.sk,
        security_token=args.security_token,
        timeout=args.timeout,
        connect_timeout=args.connect_timeout,
        max_retries=args.max_retries,
        ca_file=args.ca_file,
        verify=not args.insecure,
        proxy=args.proxy,
        allow_insecure_http=args.allow_insecure_http,
        iam_endpoint=args.iam_endpoint,
        metadata_endpoint=args.metadata_endpoint,
        user_name=args.user_name,
        password=password,
        domain_name=args.domain_name,
    )
    options = {k: v for k, v in options.items() if v is not None}
    if token or (args.ak and args.sk) or password:
        return Client(**options)
    return Client.from_env(**options)


def delete_all(args: argparse.Namespace, ids: Sequence[str], password: Optional[str], out: TextIO, err: TextIO) -> int:
    client = make_client(args, password)
    progress = not args.no_progress and len(ids) > 1 and err.isatty()

    def delete(cert_id: str) -> dict[str, Any]:
        result = {"id": cert_id, "outcome": "deleted", "code": 0, "http_status": None, "error_code": None,
                  "request_id": None}
        try:
            client.delete_certificate(cert_id, missing_ok=False)
            result["http_status"] = 204
        except NotFoundError as e:
            outcome = "absent" if args.missing_ok else "failed"
            result.update(outcome=outcome, code=0 if args.missing_ok else e.code, http_status=e.status_code,
                          error_code=e.error_code, request_id=e.request_id, error=str(e))
        except ApigError as e:
            result.update(outcome="failed", code=e.code, http_status=e.status_code, error_code=e.error_code,
                          request_id=e.request_id, error=str(e))
        return result

    exit_code = 0
    done = failed = 0
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for result in pool.map(delete, ids):
            done += 1
            if result["code"]:
                failed += 1
                if exit_code == 0:
                    exit_code = result["code"]
            if args.json:
                out.write(json.dumps(result) + "\n")
            elif result["outcome"] == "deleted":
                out.write(f"deleted {result['id']}\n")
            elif result["outcome"] == "absent":
                out.write(f"absent  {result['id']} (already deleted)\n")
            else:
                err.write(f"failed  {result['id']}: {result['error']}\n")
            if progress:
                err.write(f"\r[{done}/{len(ids)}] {done - failed} ok, {failed} failed")
                err.flush()
            out.flush()
    if progress:
        err.write("\n")
    return exit_code


def run_emulator(args: argparse.Namespace, out: TextIO) -> int:
    import time

    from .testing import Emulator

    emu = Emulator().start()
    for token in args.token:
        emu.add_token(token)
    for spec in args.cert:
        ids, _, domains = spec.partition("=")
        project, sep, cert = ids.partition("/")
        if not sep or not project or not cert:
            raise UsageError(f"--cert {spec!r}: expected PROJECT/CERT[=domain,...]")
        emu.add_certificate(cert, project_id=project, bound_to=[d for d in domains.split(",") if d])
    if args.rules:
        try:
            with open(args.rules, encoding="utf-8") as f:
                rules = json.load(f)
        except (OSError, ValueError) as e:
            raise UsageError(f"--rules {args.rules}: {e}") from None
        for rule in rules if isinstance(rules, list) else [rules]:
            try:
                emu.add_rule(**rule)
            except ValueError as e:
                raise UsageError(f"--rules {args.rules}: {e}") from None
    out.write(emu.url + "\n")
    out.write("token: emulator-token  ak: EMULATORAK0000000001  sk: emulator-secret-key-0000000000000001\n")
    out.write("IAM (--iam-endpoint, the same URL): region cn-north-4, project 0123456789abcdef0123456789abcdef, "
              "user emulator-user of account emulator-domain, password emulator-password\n")
    out.write("ECS metadata: --metadata-endpoint (the same URL); "
              f"pod identity: HC_CONTAINER_CREDENTIALS_FULL_URI={emu.pod_uri} with token emulator-pod-token\n")
    out.flush()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        return 0
    finally:
        emu.stop()


def run(argv: Sequence[str], stdin: TextIO = sys.stdin, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "emulator":
            return run_emulator(args, out)
        password = read_password(args, stdin)
        ids = read_ids(args, stdin)
        return delete_all(args, ids, password, out, err)
    except UsageError as e:
        err.write(f"pyapig: error: {e}\n")
        return EXIT_INVALID_ARGUMENT
    except InvalidArgumentError as e:
        err.write(f"pyapig: error: {e}\n")
        return EXIT_INVALID_ARGUMENT
    except ApigError as e:
        err.write(f"pyapig: error: {e}\n")
        return e.code
