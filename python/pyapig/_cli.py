"""The `pyapig` command line: delete certificates, run the emulator.

Exit codes follow the C status numbers of apig.h: 0 when every id was deleted (or was already
absent with --missing-ok), else the status of the first id (in input order) that failed;
1 (APIG_E_INVALID_ARGUMENT) for bad usage, always as one line on standard error, never a
traceback. When no id can succeed (credentials or the project id cannot be obtained), the run
stops at the first such error and exits with its code; the ids left are "not attempted".
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
EXIT_INTERNAL = 2
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # as a shell reports a process killed by SIGPIPE
# APIG_E_CREDENTIALS: pyapig.CredentialsError's code (compared by number, so that this module
# also works with a native module older than the class).
CREDENTIALS_CODE = 16
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
  federated    --idp-id and --id-token-file (an OIDC ID token exchanged at IAM for temporary keys)
  else         the official SDKs' environment (HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK,
               HUAWEICLOUD_SDK_SECURITY_TOKEN, HUAWEICLOUD_SDK_PROJECT_ID), the credentials file
               (HUAWEICLOUD_SDK_CREDENTIALS_FILE or ~/.huaweicloud/credentials, section [basic]),
               federated identity (HUAWEICLOUD_SDK_IDP_ID and HUAWEICLOUD_SDK_ID_TOKEN_FILE),
               CCE pod identity (HC_CONTAINER_CREDENTIALS_FULL_URI), the ECS instance's agency.
Without --project-id (and HUAWEICLOUD_SDK_PROJECT_ID), the project of --region is looked up in IAM.
"""

EPILOG = """\
exit codes (the C status numbers of apig.h):
  0 every id deleted         1 invalid argument / usage   2 internal error
  3 cannot connect           4 timeout                    5 TLS failure
  6 unusable answer          7 HTTP 400                   8 HTTP 401
  9 HTTP 403                10 HTTP 404                  11 HTTP 409
 12 HTTP 429                13 HTTP 5xx                  14 other HTTP status
 15 cancelled               16 credentials or project id could not be obtained
 17 the certificate is still bound to domain names (--detach-domains detaches them)
With several ids, the code is that of the first id (in input order) that failed. An error that
no id can get past (16, or a project id that is missing) stops the run at once: the ids left
are listed as not attempted. A summary line on standard error ends every run.
130 when interrupted (Ctrl-C): the ids that finished are reported, then a summary.

examples:
  pyapig delete-certificate --region cn-north-4 --project-id P c1 c2 --missing-ok
  pyapig delete-certificate --endpoint https://apig.example.com --json --from-file ids.txt
  pyapig delete-certificate --endpoint https://apig-a.internal --endpoint https://apig-b.internal c1
  printf 'c1\\nc2\\n' | pyapig delete-certificate --region cn-north-4
  APIG_PASSWORD=... pyapig delete-certificate --region cn-north-4 --user-name ops --domain-name acme c1
  pyapig delete-certificate --region cn-north-4 --ak AK --sk-file ~/.apig-sk c1
  pyapig list-certificates --region cn-north-4 --expired --with-domains
  pyapig delete-certificate --region cn-north-4 --expired --dry-run
  pyapig delete-certificate --region cn-north-4 --expires-before 2027-01-01 --detach-domains --yes
  pyapig emulator --cert P/c1 --cert P/c2=www.example.com
"""

EMULATOR_DESCRIPTION = """\
Run the local APIG emulator on 127.0.0.1 until interrupted; prints its endpoint first.
The options are those of the apig-emulator program (see docs/emulator.md).
"""


class UsageError(Exception):
    pass


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # One line, exit 1: argparse's own (the usage, then the error, exit 2) takes several
        # lines, and 2 is APIG_E_INTERNAL here.
        self.exit(EXIT_INVALID_ARGUMENT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


# Value checks for argparse (`type=`): a wrong value is a one-line usage error naming the
# option. Limits that the core checks (e.g. timeout at most 86400 s, max_retries at most 100)
# are left to it, so that the CLI says what Python, C and Rust say.

def whole(low: int, high: Optional[int] = None) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text, 10)
        except ValueError:
            value = None
        if value is None or value < low or (high is not None and value > high):
            span = f"{low}..{high}" if high is not None else f"{low} or more"
            raise argparse.ArgumentTypeError(f"expected a whole number {span}, got {text!r}")
        return value

    return parse


def signed_whole(text: str) -> int:
    try:
        return int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of seconds, got {text!r}") from None


def seconds(text: str) -> float:
    # nan, inf and negative numbers parse: the core refuses them with its own message.
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, e.g. 30 or 2.5, got {text!r}") from None


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
    add_delete_parser(commands)
    from ._cleanup import add_list_parser

    add_list_parser(commands)
    add_emulator_parser(commands)
    return parser


def add_delete_parser(commands: Any) -> None:
    delete = commands.add_parser(
        "delete-certificate",
        help="delete one or more certificates",
        description=DESCRIPTION + "\nIds come from the arguments, --from-file, or standard input; or they are chosen\n"
        "from the project's listing with --expired / --expires-before DATE (and --name).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    delete.add_argument("ids", nargs="*", metavar="CERT_ID", help="certificate ids")
    delete.add_argument("--from-file", metavar="FILE", help="read ids from FILE, one per line ('-' = stdin; # comments)")
    add_connection_options(delete)
    from ._cleanup import add_selection_options

    add_selection_options(delete, deleting=True)
    behaviour = delete.add_argument_group("behaviour")
    behaviour.add_argument("--missing-ok", action="store_true", help="treat a certificate that does not exist as deleted")
    behaviour.add_argument("--detach-domains", action="store_true",
                           help="detach the domain names a certificate is bound to, then delete it (those domains "
                                "lose HTTPS unless another certificate serves them)")
    behaviour.add_argument("--dry-run", action="store_true",
                           help="say what would happen to each certificate (delete, absent, bound to which domains, "
                                "detach) and change nothing")
    behaviour.add_argument("--yes", "-y", action="store_true",
                           help="delete what --expired / --expires-before chose without asking (required when "
                                "standard input is not a terminal)")
    behaviour.add_argument("--json", action="store_true", help="one JSON object per id on standard output")
    behaviour.add_argument("--jobs", "-j", type=whole(1, MAX_JOBS), default=DEFAULT_JOBS,
                           help=f"deletes in parallel (1..{MAX_JOBS}, default {DEFAULT_JOBS})")
    add_transport_options(behaviour)
    behaviour.add_argument("--no-progress", action="store_true", help="no progress line even on a terminal")


def add_connection_options(parser: argparse.ArgumentParser) -> None:
    """Where APIG is and the credentials: the same for every command that calls it."""
    where = parser.add_argument_group("where")
    where.add_argument("--endpoint", action="append", metavar="URL",
                       help="APIG endpoint URL (wins over --region); repeat it to give several in order of preference: "
                            "a call that cannot reach one tries the next (default: the region's, or its "
                            "HUAWEICLOUD_SDK_REGION_APIG_<REGION> list)")
    where.add_argument("--region", help="region id, e.g. cn-north-4")
    where.add_argument("--project-id", help="project id (default: HUAWEICLOUD_SDK_PROJECT_ID, with any credentials)")
    auth = parser.add_argument_group("credentials")
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
    auth.add_argument("--idp-id", help="federated identity (OIDC): the IAM identity provider of the ID token "
                      "(default: HUAWEICLOUD_SDK_IDP_ID)")
    auth.add_argument("--id-token-file", metavar="FILE", help="federated identity: the file holding the ID token, "
                      "read again at every renewal (default: HUAWEICLOUD_SDK_ID_TOKEN_FILE)")
    auth.add_argument("--iam-endpoint", help="IAM endpoint (default: HUAWEICLOUD_SDK_IAM_ENDPOINT, else from --region)")
    auth.add_argument("--metadata-endpoint", help="ECS metadata endpoint (default: APIG_METADATA_ENDPOINT, else 169.254.169.254)")


def add_transport_options(group: Any) -> None:
    """Deadlines, retries and TLS: the same for every command that calls APIG."""
    group.add_argument("--timeout", type=seconds,
                       help="deadline per call in seconds, retries included: a certificate's delete (its "
                            "detach too), a whole listing (default 60)")
    group.add_argument("--connect-timeout", type=seconds, help="connect timeout in seconds (default 10)")
    group.add_argument("--max-retries", type=whole(0), help="retries of safe failures (default 2, at most 100)")
    group.add_argument("--ca-file", help="also trust the CAs in this PEM file")
    group.add_argument("--insecure", action="store_true", help="do not verify TLS certificates (tests only)")
    group.add_argument("--proxy", help="proxy URL (default: HTTPS_PROXY / NO_PROXY)")
    group.add_argument("--allow-insecure-http", action="store_true", help="allow plain http to a non-loopback host")
    group.add_argument("--max-rate", type=seconds, metavar="N",
                       help="send at most N requests per second over all jobs (your quota, if you know it); "
                            "without it the rate a throttling gateway admits is found by itself")


def add_emulator_parser(commands: Any) -> None:
    """The options of the apig-emulator program (src/bin/apig-emulator.rs), with its names and
    meanings; test_cli.py fails when one of its options is missing here."""
    emulator = commands.add_parser("emulator", help="run the local APIG emulator", description=EMULATOR_DESCRIPTION,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    add = emulator.add_argument
    add("--port", type=whole(0, 65535), default=0, metavar="N",
        help="port on 127.0.0.1 (default 0: a free one)")
    add("--listen", metavar="ADDR:PORT", help="listen on another loopback address instead")
    add("--cert", action="append", default=[], metavar="P/C[=D1,D2]",
        help="seed certificate C in project P; bound to domains D1,D2 if given")
    add("--cert-range", action="append", default=[], metavar="P/X/N", help="seed certificates X0 .. X(N-1) in project P")
    add("--token", action="append", default=[], metavar="T", help="accept this token too (always accepted: emulator-token)")
    add("--key", action="append", default=[], metavar="AK:SK", help="accept this access key pair too")
    add("--rules", metavar="FILE", help="fault rules, a JSON array of objects (see docs/emulator.md)")
    add("--clock-offset", type=signed_whole, metavar="S", help="run the emulator's clock S seconds off (clock-skew tests)")
    add("--idle-close-ms", type=whole(1), metavar="N", help="close keep-alive connections idle for N ms, silently")
    add("--tls-cert", metavar="FILE", help="serve HTTPS with this PEM certificate chain ...")
    add("--tls-key", metavar="FILE", help="... and this PEM private key")
    # The identity services, in the order given (as apig-emulator applies them).
    identity = dict(action="append", dest="identity", default=[])
    add("--project", type=tagged("project"), metavar="NAME=ID", help="IAM lists project ID for region NAME", **identity)
    add("--user", type=tagged("user"), metavar="D/U:PASSWORD", help="IAM accepts user U of account D", **identity)
    add("--token-lifetime", type=tagged("token-lifetime"), metavar="S",
        help="IAM tokens live S seconds (default 86400)", **identity)
    add("--credential-lifetime", type=tagged("credential-lifetime"), metavar="S",
        help="temporary keys of the metadata service and pod identity live S seconds (default 3600)", **identity)
    add("--metadata-mode", type=tagged("metadata-mode"), metavar="M",
        help="normal (session tokens), old (no session tokens) or no-agency", **identity)
    add("--pod-token", type=tagged("pod-token"), metavar="T",
        help="what pod identity expects in Authorization (default emulator-pod-token)", **identity)
    add("--idp", type=tagged("idp"), metavar="ID=ID_TOKEN",
        help="IAM knows identity provider ID and accepts ID_TOKEN through it (federated identity)", **identity)
    # Certificates with their listing's fields, and gateways: applied in the same ordered pass.
    add("--cert-json", type=tagged("cert-json"), metavar="P/C=JSON",
        help="seed certificate C with its listing's fields and bindings (see docs/emulator.md)", **identity)
    add("--gateway", type=tagged("gateway"), metavar="P/ID",
        help="project P has gateway (instance) ID (certificate listings name one)", **identity)
    add("--throttle", type=tagged("throttle"), metavar="RATE[/BURST][:RETRY_AFTER]",
        help="throttle APIG requests like a gateway: admit RATE per second with a burst of BURST (default: one "
             "second's worth), answer the rest 429 APIGW.0308, with Retry-After if given (e.g. 50/10:1)", **identity)
    add("--no-log", action="store_true", help="do not record requests (benchmarks)")
    add("--threads", type=whole(1, 64), metavar="N", help="worker threads (default 2)")


def tagged(flag: str) -> Callable[[str], Tuple[str, str]]:
    """Keeps which option gave a value, so that options appended to one list stay in order."""
    return lambda text: (flag, text)


SECRET_FLAGS = {
    "token_flag": ("--token", "set APIG_TOKEN or pass --token-file FILE"),
    "sk_flag": ("--sk", "set HUAWEICLOUD_SDK_SK or pass --sk-file FILE"),
    "security_token_flag": ("--security-token", "set HUAWEICLOUD_SDK_SECURITY_TOKEN or pass --security-token-file FILE"),
    "password_flag": ("--password", "set APIG_PASSWORD or pass --password-stdin"),
}


def read_text(path: str, flag: str, first_line_only: bool) -> str:
    """A file given on the command line, as UTF-8 text; any failure is a usage error naming it."""
    try:
        with open(path, encoding="utf-8") as f:
            return f.readline() if first_line_only else f.read()
    except OSError as e:
        raise UsageError(f"{flag} {path}: {e.strerror or e}") from None
    except UnicodeDecodeError as e:
        raise UsageError(f"{flag} {path}: not UTF-8 text (byte {e.start})") from None


def read_stdin(stdin: TextIO, flag: str, first_line_only: bool) -> List[str]:
    try:
        lines = [stdin.readline()] if first_line_only else stdin.readlines()
    except UnicodeDecodeError as e:
        raise UsageError(f"{flag}: standard input is not UTF-8 text (byte {e.start})") from None
    for line in lines:
        # Python decodes standard input with surrogateescape in some locales: a byte that is
        # not UTF-8 then arrives as a lone surrogate instead of an error.
        if not is_utf8(line):
            raise UsageError(f"{flag}: standard input is not UTF-8 text")
    return lines


def is_utf8(text: str) -> bool:
    """False for text that came from bytes that are not UTF-8 (argv and, in some locales,
    standard input are decoded with surrogateescape): the core would refuse it with a traceback."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def secret_env(name: str) -> Optional[str]:
    value = os.environ.get(name)
    if value is not None and not is_utf8(value):
        raise UsageError(f"{name} is not UTF-8 text")
    return value


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
            None if (args.ak or args.user_name or args.idp_id or args.id_token_file)
            else secret_env("APIG_TOKEN") or None)
        self.sk: Optional[str] = None
        self.security_token: Optional[str] = None
        if args.ak:
            self.sk = self._file(args.sk_file, "--sk-file") or secret_env("HUAWEICLOUD_SDK_SK") or None
            if not self.sk:
                raise UsageError("--ak needs a secret key: set HUAWEICLOUD_SDK_SK or pass --sk-file FILE")
            self.security_token = self._file(args.security_token_file, "--security-token-file") or (
                secret_env("HUAWEICLOUD_SDK_SECURITY_TOKEN") or None)
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
            text = read_stdin(self._stdin, flag, first_line_only=True)[0]
        else:
            text = read_text(path, flag, first_line_only=True)
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
        from_env = secret_env("APIG_PASSWORD")
        if not from_env:
            raise UsageError("--user-name needs a password: set APIG_PASSWORD or pass --password-stdin")
        return from_env

    @property
    def uses_stdin(self) -> Optional[str]:
        return self._stdin_taken


def read_ids(args: argparse.Namespace, stdin: TextIO, secrets: Secrets) -> List[str]:
    ids = list(args.ids)
    lines: List[str] = []
    if secrets.uses_stdin and (args.from_file == "-" or (not ids and not args.from_file)):
        raise UsageError(f"standard input carries a secret ({secrets.uses_stdin}): "
                         "give the ids as arguments or with --from-file FILE")
    if args.from_file == "-":
        lines = read_stdin(stdin, "--from-file -", first_line_only=False)
    elif args.from_file:
        lines = read_text(args.from_file, "--from-file", first_line_only=False).splitlines()
    elif not ids and not stdin.isatty():
        lines = read_stdin(stdin, "the ids on standard input", first_line_only=False)
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if line:
            ids.append(line)
    if not ids:
        raise UsageError("no certificate ids: give them as arguments, with --from-file, or on standard input")
    return ids


# The client options whose flag carries the option's own name (--max-retries: max_retries).
PLAIN_OPTIONS = ("region", "project_id", "ak", "timeout", "connect_timeout", "max_retries", "max_rate", "ca_file",
                 "proxy", "allow_insecure_http", "iam_endpoint", "metadata_endpoint", "user_name", "domain_name",
                 "idp_id", "id_token_file")


def make_client(args: argparse.Namespace, secrets: Secrets) -> Client:
    """Always through from_env: the credentials given here win, and the environment fills in the
    rest (HUAWEICLOUD_SDK_PROJECT_ID and the credentials file's project id with any kind of
    credentials; the credentials themselves only when none were given)."""
    # The flags named as the option they set; the secrets come from Secrets, never argv.
    options: Dict[str, Any] = {name: getattr(args, name) for name in PLAIN_OPTIONS}
    # --endpoint once is the endpoint; repeated, the endpoints in order of preference.
    endpoints = args.endpoint or []
    options.update(endpoint=endpoints[0] if len(endpoints) == 1 else None,
                   endpoints=endpoints if len(endpoints) > 1 else None)
    options.update(token=secrets.token, sk=secrets.sk, security_token=secrets.security_token,
                   password=secrets.password, verify=not args.insecure)
    # One federated flag: from_env takes the other half from the environment, as their help
    # says; without it, say so in the flags' terms.
    if bool(args.idp_id) != bool(args.id_token_file):
        flag, other, variable = (("--idp-id", "--id-token-file FILE", "HUAWEICLOUD_SDK_ID_TOKEN_FILE")
                                 if args.idp_id else ("--id-token-file", "--idp-id ID", "HUAWEICLOUD_SDK_IDP_ID"))
        if not os.environ.get(variable, "").strip():
            raise UsageError(f"{flag} needs the other half of federated identity: pass {other} or set {variable}")
    options = {k: v for k, v in options.items() if v is not None}
    try:
        return Client.from_env(**options)
    except (TypeError, ValueError, OverflowError) as e:
        # The core's message (InvalidArgumentError is a ValueError), or its argument
        # conversion's (e.g. a number too big for it).
        raise UsageError(str(e)) from None


def stops_the_run(error: ApigError) -> bool:
    """True when no other id can succeed either: credentials or the project id could not be
    obtained (CredentialsError), or an invalid argument that is not the certificate id (the
    client's project id, credentials or IAM settings: the same for every id). Going on would
    say the same thing once per id, and repeat failed logins that can lock an IAM account."""
    if error.code == CREDENTIALS_CODE:
        return True
    return isinstance(error, InvalidArgumentError) and "certificate_id" not in str(error)


def delete_one(client: Client, cert_id: str, flags: Dict[str, bool]) -> Tuple[Dict[str, Any], bool]:
    """One id's result row, as --json prints it, and whether its error stops the run. `flags`:
    missing_ok and detach_domains."""
    result: Dict[str, Any] = {"id": cert_id, "outcome": "deleted", "code": 0, "http_status": None,
                              "error_code": None, "request_id": None, "throttled": 0}
    try:
        deleted, status, request_id, throttled = client._delete_detailed(
            cert_id, missing_ok=flags["missing_ok"], detach_domains=flags["detach_domains"])
        result.update(outcome="deleted" if deleted else "absent", http_status=status, request_id=request_id,
                      throttled=throttled)
    except CancelledError as e:
        result.update(interrupted(cert_id, str(e)))
    except ApigError as e:
        result.update(outcome="failed", code=e.code, http_status=e.status_code, error_code=e.error_code,
                      request_id=e.request_id, error=str(e), throttled=getattr(e, "throttled", 0))
        domains = getattr(e, "domains", None)
        if domains:
            result["domains"] = list(domains)
        return result, stops_the_run(e)
    except Exception as e:  # noqa: BLE001 - a worker thread must not die with an id unreported
        result.update(outcome="failed", code=EXIT_INTERNAL, error=f"internal error: {type(e).__name__}: {e}")
    return result, False


def interrupted(cert_id: str, why: str) -> Dict[str, Any]:
    """The result row of a call stopped under way."""
    return {"id": cert_id, "outcome": "interrupted", "code": EXIT_INTERRUPTED, "http_status": None,
            "error_code": None, "request_id": None, "error": why,
            "note": "the request may have reached the server before it was stopped"}


def not_attempted(cert_id: str, code: int, why: str) -> Dict[str, Any]:
    """The result row of an id never sent to APIG because the run stopped at an error that no id
    can get past."""
    return {"id": cert_id, "outcome": "not_attempted", "code": code, "http_status": None,
            "error_code": None, "request_id": None, "error": f"not attempted: {why}"}


class Progress:
    """The progress line, on standard error when it is a terminal. Results (on standard output
    or standard error, often the same terminal) are written through `above`: it clears the line
    first and draws it again after, so that a result never shares a line with it."""

    CLEAR = "\r\033[K"

    def __init__(self, err: TextIO, total: int, shown: bool) -> None:
        self.err = err
        self.total = total
        self.shown = shown
        self.text = ""

    def above(self, write: Callable[[], None]) -> None:
        """Clears the line, writes (a result), and draws the line again with the current text."""
        self.clear()
        write()
        self.draw()

    def update(self, done: int, ok: int, failed: int, rate: Optional[float] = None) -> None:
        self.text = f"[{done}/{self.total}] {ok} ok, {failed} failed"
        if rate is not None:
            self.text += f", throttled: sending {rate:.1f}/s"

    def draw(self) -> None:
        if self.shown and self.text:
            self.err.write(self.text)
            self.err.flush()

    def clear(self) -> None:
        if self.shown and self.text:
            self.err.write(self.CLEAR)
            self.err.flush()


class Tally:
    """What a run did, id by id: prints each result as it comes, counts them, and keeps the
    first failure (in input order) and the error that stopped the run, if any."""

    def __init__(self, args: argparse.Namespace, ids: Sequence[str], out: TextIO, err: TextIO) -> None:
        self.json = args.json
        self.ids = ids
        self.out = out
        self.err = err
        self.counts = {"deleted": 0, "absent": 0, "failed": 0, "interrupted": 0}
        self.first_failure: Optional[Tuple[int, int]] = None  # (input position, code)
        self.stopped_by: Optional[Dict[str, Any]] = None  # the result whose error stopped the run
        self.skipped: List[int] = []  # positions of the ids not attempted
        self.client: Optional[Client] = None  # whose sending rate the progress line and summary show
        self.progress = Progress(err, len(ids), not args.no_progress and len(ids) > 1 and err.isatty())
        self.progress.update(0, 0, 0)
        self.progress.draw()

    def report(self, position: int, result: Dict[str, Any], stops: bool = False) -> None:
        if stops and self.stopped_by is not None:
            # The same error again, from a call that was waiting with the first one (for the same
            # credentials): it never reached APIG. Said once, not once per id.
            self.skipped.append(position)
            return
        if stops:
            self.stopped_by = result
        self.counts[result["outcome"]] += 1
        if result["outcome"] == "failed" and (self.first_failure is None or position < self.first_failure[0]):
            self.first_failure = (position, result["code"])
        done = sum(self.counts.values())
        self.progress.update(done, self.counts["deleted"] + self.counts["absent"], self.counts["failed"],
                             self.throttled_rate())
        self.progress.above(lambda: self._write(result))

    def throttled_rate(self) -> Optional[float]:
        """The client's sending rate once a gateway throttled it (None before, or without a client)."""
        if self.client is None:
            return None
        state = self.client.rate_limit
        rate: Optional[float] = state["rate"] if state["throttled"] else None
        return rate

    def _write(self, result: Dict[str, Any]) -> None:
        if self.json:
            import json

            self.out.write(json.dumps(result) + "\n")
        elif result["outcome"] == "deleted":
            self.out.write(f"deleted {result['id']}\n")
        elif result["outcome"] == "absent":
            self.out.write(f"absent  {result['id']} (already deleted)\n")
        else:
            self.err.write(f"{result['outcome']:<7} {result['id']}: {result['error']}\n")
        self.out.flush()
        self.err.flush()

    def not_attempted(self, positions: Iterable[int]) -> None:
        self.skipped.extend(positions)

    def finish(self, seconds: float, was_interrupted: bool) -> int:
        """Prints the summary (always, on standard error) and returns the exit code."""
        skipped = sorted(set(self.skipped))
        stopped = self.stopped_by
        if stopped is not None and self.json:
            import json

            # Every id has its line: the ones left say why they were not attempted.
            why = f"the run stopped at the error of {stopped['id']}"
            for position in skipped:
                self.out.write(json.dumps(not_attempted(self.ids[position], stopped["code"], why)) + "\n")
            self.out.flush()
        self.progress.clear()
        c = self.counts
        how = "interrupted" if was_interrupted else ("stopped" if stopped is not None else "done")
        under_way = f"{c['interrupted']} stopped under way, " if was_interrupted or c["interrupted"] else ""
        throttling = ""
        state = self.client.rate_limit if self.client is not None else None
        if state is not None and state["throttled"] and state["rate"] is not None:
            throttling = (f"; the gateway throttled {state['throttled']} requests, the rate reached "
                          f"{state['rate']:.1f}/s")
        self.err.write(f"pyapig: {how}: {c['deleted']} deleted, {c['absent']} already absent, {c['failed']} failed, "
                       f"{under_way}{len(skipped)} not attempted in {seconds:.2f} s{throttling}\n")
        if skipped:
            self.err.write(f"pyapig: not attempted: {' '.join(self.ids[p] for p in skipped)}\n")
        self.err.flush()
        if was_interrupted:
            return EXIT_INTERRUPTED
        if stopped is not None:
            return int(stopped["code"])
        return self.first_failure[1] if self.first_failure else 0


def delete_all(args: argparse.Namespace, ids: Sequence[str], secrets: Secrets, out: TextIO, err: TextIO) -> int:
    """Deletes every id with --jobs workers, printing each result as it comes, then a summary.
    Ctrl-C stops the calls under way, drops the ones not started, and exits 130; an error that
    no id can get past stops the run at once."""
    client = make_client(args, secrets)
    return delete_ids(client, args, ids, out, err)


def delete_ids(client: Client, args: argparse.Namespace, ids: Sequence[str], out: TextIO, err: TextIO) -> int:
    """Deletes `ids` with `client` as delete_all says."""
    import time

    started = time.monotonic()
    tally = Tally(args, ids, out, err)
    tally.client = client
    flags = {"missing_ok": args.missing_ok, "detach_domains": args.detach_domains}
    if len(ids) == 1 or args.jobs == 1:
        was_interrupted = delete_in_turn(client, ids, flags, tally)
    else:
        was_interrupted = delete_in_parallel(client, ids, flags, args.jobs, tally)
    return tally.finish(time.monotonic() - started, was_interrupted)


def delete_in_turn(client: Client, ids: Sequence[str], flags: Dict[str, bool], tally: Tally) -> bool:
    """One id after the other in this thread (one id, or --jobs 1: no worker thread to start).
    Ctrl-C stops the call under way (it looks every 50 ms). Returns True when interrupted."""
    for position, cert_id in enumerate(ids):
        try:
            result, stops = delete_one(client, cert_id, flags)
        except KeyboardInterrupt:
            tally.report(position, interrupted(cert_id, "interrupted (Ctrl-C)"))
            tally.not_attempted(range(position + 1, len(ids)))
            return True
        tally.report(position, result, stops)
        if stops:
            tally.not_attempted(range(position + 1, len(ids)))
            break
    return False


def delete_in_parallel(client: Client, ids: Sequence[str], flags: Dict[str, bool], jobs: int, tally: Tally) -> bool:
    """`jobs` worker threads take the ids in turn; their results are reported (here, in the main
    thread) as they finish. An error that stops the run keeps the workers from taking more ids;
    Ctrl-C also stops the calls under way (client.cancel()). Returns True when interrupted."""
    import queue
    import threading

    todo: queue.SimpleQueue[Tuple[int, str]] = queue.SimpleQueue()
    for position_and_id in enumerate(ids):
        todo.put(position_and_id)
    # (position, result, stops), or None when a worker is done.
    finished: queue.SimpleQueue[Optional[Tuple[int, Dict[str, Any], bool]]] = queue.SimpleQueue()
    stop = threading.Event()

    def work() -> None:
        try:
            while not stop.is_set():
                try:
                    position, cert_id = todo.get_nowait()
                except queue.Empty:
                    return
                result, stops = delete_one(client, cert_id, flags)
                if stops:
                    stop.set()
                finished.put((position, result, stops))
        finally:
            finished.put(None)

    workers = [threading.Thread(target=work, daemon=True) for _ in range(min(jobs, len(ids)))]
    for worker in workers:
        worker.start()
    running = len(workers)
    was_interrupted = False
    try:
        while running:
            try:
                # Waits in slices: the main thread must stay free for Ctrl-C.
                item = finished.get(timeout=0.2)
            except queue.Empty:
                continue
            if item is None:
                running -= 1
            else:
                tally.report(*item)
    except KeyboardInterrupt:
        was_interrupted = True
        stop.set()
        for worker in workers:
            while worker.is_alive():
                # Again and again: a call that started just after one cancel() sees the next.
                client.cancel()
                worker.join(0.05)
        while not finished.empty():
            item = finished.get_nowait()
            if item is not None:
                tally.report(*item)
    for worker in workers:
        worker.join()
    left = []
    while not todo.empty():
        left.append(todo.get_nowait()[0])
    tally.not_attempted(left)
    return was_interrupted


def run_emulator(args: argparse.Namespace, out: TextIO) -> int:
    """Starts pyapig.testing.Emulator with apig-emulator's options, prints its endpoint first,
    and serves until interrupted."""
    import time

    from .testing import Emulator

    addr = args.listen if args.listen is not None else f"127.0.0.1:{args.port}"
    if (args.tls_cert is None) != (args.tls_key is None):
        raise UsageError("--tls-cert and --tls-key go together")
    rules = read_rules(args.rules) if args.rules else []
    seeds = [parse_cert(spec) for spec in args.cert] + [c for spec in args.cert_range for c in parse_cert_range(spec)]
    keys = [parse_key(spec) for spec in args.key]
    emu = Emulator(idle_close=args.idle_close_ms / 1000 if args.idle_close_ms else None, tls_cert=args.tls_cert,
                   tls_key=args.tls_key, record=not args.no_log, threads=args.threads, addr=addr)
    try:
        emu.start()
    except (ValueError, RuntimeError, OSError) as e:
        raise UsageError(f"the emulator cannot start: {e}") from None
    try:
        seed_emulator(emu, seeds, args.token, keys, rules, args.clock_offset, args.identity)
        print_emulator(emu, out)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        return 0
    finally:
        emu.stop()


def parse_cert(spec: str) -> Tuple[str, str, List[str]]:
    ids, _, domains = spec.partition("=")
    project, sep, cert = ids.partition("/")
    if not sep or not project or not cert:
        raise UsageError(f"--cert {spec!r}: expected PROJECT/CERT[=domain,...]")
    return project, cert, [d for d in domains.split(",") if d]


def parse_cert_range(spec: str) -> List[Tuple[str, str, List[str]]]:
    parts = spec.split("/", 2)
    if len(parts) != 3 or not parts[0] or not parts[2].isdigit():
        raise UsageError(f"--cert-range {spec!r}: expected PROJECT/PREFIX/COUNT")
    project, prefix, count = parts
    return [(project, f"{prefix}{i}", []) for i in range(int(count))]


def parse_key(spec: str) -> Tuple[str, str]:
    ak, sep, sk = spec.partition(":")
    if not sep:
        raise UsageError(f"--key {spec!r}: expected AK:SK")
    return ak, sk


def read_rules(path: str) -> List[Dict[str, Any]]:
    """The fault rules of --rules FILE: a JSON array of objects, as apig-emulator reads it."""
    import json

    try:
        rules = json.loads(read_text(path, "--rules", first_line_only=False))
    except ValueError as e:
        raise UsageError(f"--rules {path}: not JSON: {e}") from None
    if not isinstance(rules, list) or not all(isinstance(rule, dict) for rule in rules):
        raise UsageError(f"--rules {path}: expected a JSON array of objects (rules), e.g. "
                         '[{"certificate_id": "c1", "status": 500}]')
    return rules


def seed_emulator(emu: Any, certs: Sequence[Tuple[str, str, List[str]]], tokens: Sequence[str],
                  keys: Sequence[Tuple[str, str]], rules: Sequence[Dict[str, Any]], clock_offset: Optional[int],
                  identity: Sequence[Tuple[str, str]]) -> None:
    """Seeds a started emulator in apig-emulator's order; a value it refuses is a usage error."""
    for project, cert, domains in certs:
        emu.add_certificate(cert, project_id=project, bound_to=domains)
    for token in tokens:
        emu.add_token(token)
    for ak, sk in keys:
        emu.add_key(ak, sk)
    for number, rule in enumerate(rules, 1):
        try:
            emu.add_rule(**rule)
        except ValueError as e:
            raise UsageError(f"--rules: rule {number}: {e}") from None
    if clock_offset is not None:
        try:
            emu.set_clock_offset(clock_offset)
        except (ValueError, OverflowError) as e:
            raise UsageError(f"--clock-offset {clock_offset}: {e}") from None
    for flag, value in identity:
        try:
            apply_identity(emu, flag, value)
        except ValueError as e:
            raise UsageError(f"--{flag} {value!r}: {e}") from None


def apply_identity(emu: Any, flag: str, value: str) -> None:
    """One ordered option (identity services, listed certificates, gateways), through the same
    control calls as apig-emulator's."""
    if flag == "project":
        name, sep, project_id = value.partition("=")
        if not sep:
            raise ValueError("expected NAME=ID")
        emu.add_project(name, project_id)
    elif flag == "user":
        who, sep, password = value.partition(":")
        domain, slash, user = who.partition("/")
        if not sep or not slash:
            raise ValueError("expected DOMAIN/USER:PASSWORD")
        emu.add_user(domain, user, password)
    elif flag in ("token-lifetime", "credential-lifetime"):
        try:
            lifetime = float(value)
        except ValueError:
            lifetime = float("nan")
        if lifetime != lifetime or lifetime in (float("inf"), float("-inf")):
            raise ValueError("expected seconds, e.g. 3600 or 0.5")
        (emu.set_token_lifetime if flag == "token-lifetime" else emu.set_credential_lifetime)(lifetime)
    elif flag == "metadata-mode":
        emu.set_metadata_mode(value)
    elif flag == "pod-token":
        emu.set_pod_token(value)
    elif flag == "gateway":
        project, sep, gateway = value.partition("/")
        if not sep or not project or not gateway:
            raise ValueError("expected PROJECT/INSTANCE_ID")
        emu.add_gateway(gateway, project_id=project)
    elif flag == "cert-json":
        ids, sep, text = value.partition("=")
        project, slash, cert = ids.partition("/")
        if not sep or not slash or not project or not cert:
            raise ValueError("expected PROJECT/CERT=JSON")
        import json

        listing = json.loads(text)
        if not isinstance(listing, dict):
            raise ValueError("expected a JSON object")
        emu._control("PUT", f"projects/{project}/certificates/{cert}", listing)
    elif flag == "throttle":
        import re

        match = re.fullmatch(r"([^/:]+)(?:/([^/:]+))?(?::(\d+))?", value)
        if match is None:
            raise ValueError("expected RATE[/BURST][:RETRY_AFTER], e.g. 50/10:1")
        try:
            rate, burst = float(match.group(1)), float(match.group(2)) if match.group(2) else None
        except ValueError:
            raise ValueError("expected RATE[/BURST][:RETRY_AFTER] with numbers, e.g. 50/10:1") from None
        retry_after = int(match.group(3)) if match.group(3) else None
        emu.throttle(rate, burst=burst, retry_after=retry_after)
    elif flag == "idp":
        idp_id, sep, id_token = value.partition("=")
        if not sep:
            raise ValueError("expected ID=ID_TOKEN")
        emu.add_idp(idp_id, id_token)


def print_emulator(emu: Any, out: TextIO) -> None:
    out.write(emu.url + "\n")
    out.write("token: emulator-token  ak: EMULATORAK0000000001  sk: emulator-secret-key-0000000000000001\n")
    out.write("IAM (--iam-endpoint, the same URL): region cn-north-4, project 0123456789abcdef0123456789abcdef, "
              "user emulator-user of account emulator-domain, password emulator-password\n")
    out.write("ECS metadata: --metadata-endpoint (the same URL); "
              f"pod identity: HC_CONTAINER_CREDENTIALS_FULL_URI={emu.pod_uri} with token emulator-pod-token\n")
    out.flush()


def run(argv: Sequence[str], stdin: TextIO = sys.stdin, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    for position, arg in enumerate(argv, 1):
        if not is_utf8(arg):
            err.write(f"pyapig: error: argument {position} is not UTF-8 text\n")
            return EXIT_INVALID_ARGUMENT
    args = build_parser().parse_args(argv)
    try:
        if args.command == "emulator":
            return run_emulator(args, out)
        secrets = Secrets(args, stdin)
        if args.command == "list-certificates":
            from ._cleanup import run_list

            return run_list(args, make_client(args, secrets), out, err)
        from ._cleanup import run_delete_selected, selects

        if selects(args):
            return run_delete_selected(args, secrets, stdin, out, err)
        ids = read_ids(args, stdin, secrets)
        if args.dry_run:
            from ._cleanup import run_dry_run

            return run_dry_run(args, make_client(args, secrets), ids, out, err)
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
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): nothing more to say, and nowhere to say it;
        # standard output goes to /dev/null so that Python's own flush at exit stays quiet.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except Exception as e:  # noqa: BLE001 - the last resort: one line, never a traceback
        err.write(f"pyapig: internal error: {type(e).__name__}: {e} (please report it)\n")
        return EXIT_INTERNAL
