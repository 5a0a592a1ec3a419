"""The `pyapig` command line: delete certificates, run the emulator.

Exit codes follow the C status numbers of apig.h: 0 when every id was deleted (or was already
absent with --missing-ok), else the status of the first id (in input order) that failed;
1 (APIG_E_INVALID_ARGUMENT) for bad usage.
"""

from __future__ import annotations

import argparse
import os
import sys

from . import ApigError, CancelledError, Client, InvalidArgumentError, __version__

# A one-off delete is often the whole life of this process (a CI step, an acme hook): what is
# not needed for it (typing, json, concurrent.futures and the logging it pulls in) is imported
# only when used. (mypy reads any `if TYPE_CHECKING:` block.)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, TextIO, Tuple

EXIT_INVALID_ARGUMENT = 1
EXIT_INTERRUPTED = 130
MAX_JOBS = 64
# bench/bulk.py: 16 at once reach 87% of the round-trip bound with 20 MiB; 64 reach 81%, with
# bursts that a gateway's rate limit may answer with 429.
DEFAULT_JOBS = 16

DESCRIPTION = """\
Delete SSL certificates from Huawei Cloud API Gateway (APIG).

Credentials (a secret is never taken as a flag value: argv is visible to every user in ps):
  token        APIG_TOKEN, or --token-file FILE ('-' = standard input)
  AK/SK        --ak with HUAWEICLOUD_SDK_SK or --sk-file FILE (a security token from
               HUAWEICLOUD_SDK_SECURITY_TOKEN or --security-token-file FILE)
  IAM user     --user-name and --domain-name, the password from APIG_PASSWORD or --password-stdin
  else         the official SDKs' environment (HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK,
               HUAWEICLOUD_SDK_SECURITY_TOKEN, HUAWEICLOUD_SDK_PROJECT_ID), the credentials file
               (HUAWEICLOUD_SDK_CREDENTIALS_FILE or ~/.huaweicloud/credentials, section [basic]),
               CCE pod identity (HC_CONTAINER_CREDENTIALS_FULL_URI), the ECS instance's agency.
Without --project-id (and HUAWEICLOUD_SDK_PROJECT_ID), the project of --region is looked up in IAM.
"""

EPILOG = """\
exit codes (the C status numbers of apig.h):
  0 every id deleted         1 invalid argument / usage   2 internal error
  3 cannot connect           4 timeout                    5 TLS failure
  6 unusable answer          7 HTTP 400                   8 HTTP 401
  9 HTTP 403 (e.g. bound)   10 HTTP 404                  11 HTTP 409
 12 HTTP 429                13 HTTP 5xx                  14 other HTTP status
With several ids, the code is that of the first id (in input order) that failed.
130 when interrupted (Ctrl-C): the ids that finished are reported, then a summary.

examples:
  pyapig delete-certificate --region cn-north-4 --project-id P c1 c2 --missing-ok
  pyapig delete-certificate --endpoint https://apig.example.com --json --from-file ids.txt
  printf 'c1\\nc2\\n' | pyapig delete-certificate --region cn-north-4
  APIG_PASSWORD=... pyapig delete-certificate --region cn-north-4 --user-name ops --domain-name acme c1
  pyapig delete-certificate --region cn-north-4 --ak AK --sk-file ~/.apig-sk c1
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
    auth.add_argument("--token-file", metavar="FILE", help="read the IAM token from FILE ('-' = stdin); default: APIG_TOKEN")
    auth.add_argument("--ak", help="access key id (the secret key from HUAWEICLOUD_SDK_SK or --sk-file)")
    auth.add_argument("--sk-file", metavar="FILE", help="read the secret access key from FILE ('-' = stdin)")
    auth.add_argument("--security-token-file", metavar="FILE",
                      help="read the security token of temporary keys from FILE ('-' = stdin)")
    for secret in ("--token", "--sk", "--security-token"):
        auth.add_argument(secret, dest=secret[2:].replace("-", "_") + "_flag", help=argparse.SUPPRESS)
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
    behaviour.add_argument("--jobs", "-j", type=int, default=DEFAULT_JOBS,
                           help=f"deletes in parallel (1..{MAX_JOBS}, default {DEFAULT_JOBS})")
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


SECRET_FLAGS = {
    "token_flag": ("--token", "set APIG_TOKEN or pass --token-file FILE"),
    "sk_flag": ("--sk", "set HUAWEICLOUD_SDK_SK or pass --sk-file FILE"),
    "security_token_flag": ("--security-token", "set HUAWEICLOUD_SDK_SECURITY_TOKEN or pass --security-token-file FILE"),
    "password_flag": ("--password", "set APIG_PASSWORD or pass --password-stdin"),
}


class Secrets:
    """The secrets of a run, from the environment, files or standard input: never from argv."""

    def __init__(self, args: argparse.Namespace, stdin: TextIO) -> None:
        for dest, (flag, instead) in SECRET_FLAGS.items():
            if getattr(args, dest) is not None:
                raise UsageError(f"{flag} takes no value on the command line (every user of the machine sees it "
                                 f"in ps): {instead}")
        self._stdin = stdin
        self._stdin_taken: Optional[str] = None
        self.token = self._file(args.token_file, "--token-file") or (
            None if (args.ak or args.user_name) else os.environ.get("APIG_TOKEN") or None)
        self.sk: Optional[str] = None
        self.security_token: Optional[str] = None
        if args.ak:
            self.sk = self._file(args.sk_file, "--sk-file") or os.environ.get("HUAWEICLOUD_SDK_SK") or None
            if not self.sk:
                raise UsageError("--ak needs a secret key: set HUAWEICLOUD_SDK_SK or pass --sk-file FILE")
            self.security_token = self._file(args.security_token_file, "--security-token-file") or (
                os.environ.get("HUAWEICLOUD_SDK_SECURITY_TOKEN") or None)
        elif args.sk_file or args.security_token_file:
            raise UsageError("--sk-file and --security-token-file go with --ak")
        self.password = self._password(args)

    def _file(self, path: Optional[str], flag: str) -> Optional[str]:
        if path is None:
            return None
        if path == "-":
            if self._stdin_taken is not None:
                raise UsageError(f"{flag} -: standard input is already used by {self._stdin_taken}")
            self._stdin_taken = flag
            text = self._stdin.readline()
        else:
            try:
                with open(path, encoding="utf-8") as f:
                    text = f.readline()
            except OSError as e:
                raise UsageError(f"{flag} {path}: {e.strerror}") from None
        value = text.rstrip("\r\n")
        if not value:
            raise UsageError(f"{flag} {path}: no value on its first line")
        return value

    def _password(self, args: argparse.Namespace) -> Optional[str]:
        if not args.user_name:
            if args.password_stdin or args.domain_name:
                raise UsageError("--password-stdin and --domain-name go with --user-name")
            return None
        if not args.domain_name:
            raise UsageError("--user-name needs --domain-name (the account name)")
        if args.password_stdin:
            return self._file("-", "--password-stdin")
        from_env = os.environ.get("APIG_PASSWORD")
        if not from_env:
            raise UsageError("--user-name needs a password: set APIG_PASSWORD or pass --password-stdin")
        return from_env

    @property
    def uses_stdin(self) -> Optional[str]:
        return self._stdin_taken


def read_ids(args: argparse.Namespace, stdin: TextIO, secrets: Secrets) -> List[str]:
    ids = list(args.ids)
    source: Optional[Iterable[str]] = None
    if secrets.uses_stdin and (args.from_file == "-" or (not ids and not args.from_file)):
        raise UsageError(f"standard input carries a secret ({secrets.uses_stdin}): "
                         "give the ids as arguments or with --from-file FILE")
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


def make_client(args: argparse.Namespace, secrets: Secrets) -> Client:
    if not 1 <= args.jobs <= MAX_JOBS:
        raise UsageError(f"--jobs must be 1..{MAX_JOBS}")
    options = dict(
        endpoint=args.endpoint,
        region=args.region,
        project_id=args.project_id,
        token=secrets.token,
        ak=args.ak,
        sk=secrets.sk,
        security_token=secrets.security_token,
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
        password=secrets.password,
        domain_name=args.domain_name,
    )
    options = {k: v for k, v in options.items() if v is not None}
    if secrets.token or secrets.sk or secrets.password:
        return Client(**options)
    return Client.from_env(**options)


def delete_one(client: Client, cert_id: str, missing_ok: bool) -> Dict[str, Any]:
    """One id's result row, as --json prints it."""
    result: Dict[str, Any] = {"id": cert_id, "outcome": "deleted", "code": 0, "http_status": None,
                              "error_code": None, "request_id": None}
    try:
        deleted, status, request_id = client._delete_detailed(cert_id, missing_ok=missing_ok)
        result.update(outcome="deleted" if deleted else "absent", http_status=status, request_id=request_id)
    except CancelledError as e:
        result.update(interrupted(cert_id, str(e)))
    except ApigError as e:
        result.update(outcome="failed", code=e.code, http_status=e.status_code, error_code=e.error_code,
                      request_id=e.request_id, error=str(e))
    return result


def interrupted(cert_id: str, why: str) -> Dict[str, Any]:
    """The result row of a call stopped under way."""
    return {"id": cert_id, "outcome": "interrupted", "code": EXIT_INTERRUPTED, "http_status": None,
            "error_code": None, "request_id": None, "error": why,
            "note": "the request may have reached the server before it was stopped"}


def delete_all(args: argparse.Namespace, ids: Sequence[str], secrets: Secrets, out: TextIO, err: TextIO) -> int:
    """Deletes every id with --jobs workers, printing each result as it comes. Ctrl-C stops the
    calls under way, drops the ones not started, and exits 130."""
    client = make_client(args, secrets)
    progress = not args.no_progress and len(ids) > 1 and err.isatty()
    counts = {"deleted": 0, "absent": 0, "failed": 0, "interrupted": 0}
    first_failure: Optional[Tuple[int, int]] = None  # (input position, code)

    def report(position: int, result: Dict[str, Any]) -> None:
        nonlocal first_failure
        counts[result["outcome"]] += 1
        if result["outcome"] == "failed" and (first_failure is None or position < first_failure[0]):
            first_failure = (position, result["code"])
        if args.json:
            import json

            out.write(json.dumps(result) + "\n")
        elif result["outcome"] == "deleted":
            out.write(f"deleted {result['id']}\n")
        elif result["outcome"] == "absent":
            out.write(f"absent  {result['id']} (already deleted)\n")
        else:
            err.write(f"{result['outcome']:<7} {result['id']}: {result['error']}\n")
        out.flush()
        if progress:
            done = sum(counts.values())
            err.write(f"\r[{done}/{len(ids)}] {done - counts['failed']} ok, {counts['failed']} failed")
            err.flush()

    if len(ids) == 1 or args.jobs == 1:
        not_started = delete_in_turn(client, ids, args.missing_ok, report)
    else:
        not_started = delete_in_parallel(client, ids, args.missing_ok, args.jobs, report)
    if progress:
        err.write("\n")
    if not_started is not None:
        err.write(f"pyapig: interrupted: {counts['deleted']} deleted, {counts['absent']} already absent, "
                  f"{counts['failed']} failed, {counts['interrupted']} stopped under way, {not_started} not attempted\n")
        return EXIT_INTERRUPTED
    return first_failure[1] if first_failure else 0


def delete_in_turn(client: Client, ids: Sequence[str], missing_ok: bool,
                   report: Callable[[int, Dict[str, Any]], None]) -> Optional[int]:
    """One id after the other in this thread (one id, or --jobs 1: no worker thread to start).
    Ctrl-C stops the call under way (it looks every 50 ms). Returns the number of ids not
    attempted when interrupted, else None."""
    for position, cert_id in enumerate(ids):
        try:
            result = delete_one(client, cert_id, missing_ok)
        except KeyboardInterrupt:
            report(position, interrupted(cert_id, "interrupted (Ctrl-C)"))
            return len(ids) - position - 1
        report(position, result)
    return None


def delete_in_parallel(client: Client, ids: Sequence[str], missing_ok: bool, jobs: int,
                       report: Callable[[int, Dict[str, Any]], None]) -> Optional[int]:
    """`jobs` worker threads take the ids in turn; their results are reported (here, in the main
    thread) as they finish. Ctrl-C stops the calls under way (client.cancel()) and leaves the ids
    not yet taken. Returns the number of ids not attempted when interrupted, else None."""
    import queue
    import threading

    todo: queue.SimpleQueue[Tuple[int, str]] = queue.SimpleQueue()
    for item in enumerate(ids):
        todo.put(item)
    finished: queue.SimpleQueue[Tuple[int, Dict[str, Any]]] = queue.SimpleQueue()
    stop = threading.Event()

    def work() -> None:
        while not stop.is_set():
            try:
                position, cert_id = todo.get_nowait()
            except queue.Empty:
                return
            finished.put((position, delete_one(client, cert_id, missing_ok)))

    workers = [threading.Thread(target=work, daemon=True) for _ in range(min(jobs, len(ids)))]
    for worker in workers:
        worker.start()
    reported = 0
    try:
        while reported < len(ids):
            try:
                # Waits in slices: the main thread must stay free for Ctrl-C.
                position, result = finished.get(timeout=0.2)
            except queue.Empty:
                continue
            report(position, result)
            reported += 1
    except KeyboardInterrupt:
        stop.set()
        for worker in workers:
            while worker.is_alive():
                # Again and again: a call that started just after one cancel() sees the next.
                client.cancel()
                worker.join(0.05)
        while not finished.empty():
            report(*finished.get_nowait())
        return todo.qsize()
    for worker in workers:
        worker.join()
    return None


def run_emulator(args: argparse.Namespace, out: TextIO) -> int:
    import json
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
        secrets = Secrets(args, stdin)
        ids = read_ids(args, stdin, secrets)
        return delete_all(args, ids, secrets, out, err)
    except UsageError as e:
        err.write(f"pyapig: error: {e}\n")
        return EXIT_INVALID_ARGUMENT
    except InvalidArgumentError as e:
        err.write(f"pyapig: error: {e}\n")
        return EXIT_INVALID_ARGUMENT
    except ApigError as e:
        err.write(f"pyapig: error: {e}\n")
        return e.code
    except KeyboardInterrupt:
        err.write("pyapig: interrupted\n")
        return EXIT_INTERRUPTED
