"""The clean-up job on the command line: `pyapig list-certificates`, and what
`pyapig delete-certificate` does besides deleting ids: choosing certificates from the listing
(--expired, --expires-before, --name, --instance-id), the dry run, and the confirmation.

A dry run sends only GETs (the listing, each certificate's bound domains): nothing is changed.
"""

from __future__ import annotations

import argparse

from . import ApigError, Client, NotFoundError
from ._cli import (
    DESCRIPTION,
    Parser,
    Secrets,
    UsageError,
    add_connection_options,
    add_transport_options,
    delete_ids,
    make_client,
    stops_the_run,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from datetime import datetime
    from typing import Any, Dict, List, Optional, Sequence, TextIO

    from ._native import BoundDomain, Certificate

# APIG_E_CANCELLED: the deletion was not confirmed, nothing was done.
EXIT_NOT_CONFIRMED = 15
# What a dry run exits with when the real run would fail: APIG_E_IN_USE, APIG_E_NOT_FOUND.
IN_USE_CODE = 17
NOT_FOUND_CODE = 10

LIST_EPILOG = """\
A project's certificates are listed gateway by gateway (APIG lists them per gateway), global
certificates once. The table goes to standard output, a summary to standard error; --json writes
one object per certificate instead. Exit codes are delete-certificate's (0 when listed).

examples:
  pyapig list-certificates --region cn-north-4 --expired
  pyapig list-certificates --region cn-north-4 --expires-before 2027-01-01 --with-domains
  pyapig list-certificates --endpoint https://apig.example.com --name www --json
"""

HTTPS_WARNING = "these domains lose HTTPS unless another certificate serves them"


def date_arg(text: str) -> datetime:
    """--expires-before: a date alone (00:00 UTC that day) or an RFC 3339 time with its offset."""
    import re
    from datetime import date, datetime, timedelta, timezone

    example = "expected a date (2027-01-01: 00:00 UTC that day) or an RFC 3339 time (2027-01-01T12:00:00Z)"
    match = re.fullmatch(r"(\d{4}-\d{2}-\d{2})(?:[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2}))?", text)
    if match is None:
        raise argparse.ArgumentTypeError(f"{example}, got {text!r}")
    day, hours, minutes, secs, fraction, zone = match.groups()
    try:
        d = date.fromisoformat(day)
        if hours is None:
            return datetime(d.year, d.month, d.day, tzinfo=timezone.utc)
        offset = timedelta(0)
        if zone not in ("Z", "z"):
            if int(zone[1:3]) > 23 or int(zone[4:6]) > 59:
                raise ValueError(f"offset {zone} out of range")
            sign = -1 if zone[0] == "-" else 1
            offset = sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
        micros = int((fraction or ".0")[1:7].ljust(6, "0"))
        local = datetime(d.year, d.month, d.day, int(hours), int(minutes), int(secs), micros,
                         tzinfo=timezone(offset))
        return local.astimezone(timezone.utc)
    except (ValueError, OverflowError) as e:
        raise argparse.ArgumentTypeError(f"{text!r}: {e}") from None


def add_selection_options(parser: argparse.ArgumentParser, deleting: bool) -> None:
    group = parser.add_argument_group(
        "choosing from the listing (instead of ids; asks before deleting)" if deleting else "which certificates")
    when = group.add_mutually_exclusive_group()
    when.add_argument("--expired", action="store_true", help="certificates that have expired")
    when.add_argument("--expires-before", type=date_arg, metavar="DATE",
                      help="certificates that expire before DATE: a date (00:00 UTC that day) or an RFC 3339 time")
    if deleting:
        group.add_argument("--name", help="with --expired or --expires-before: only names that contain NAME")
        group.add_argument("--instance-id", metavar="GATEWAY", help="with --expired or --expires-before: only "
                           "this gateway's own certificates (never the global ones, which every gateway uses)")
    else:
        group.add_argument("--name", help="certificates whose name contains NAME")
        group.add_argument("--instance-id", metavar="GATEWAY", help="one gateway's certificates and the global "
                           "ones (default: every gateway of the project)")


def add_list_parser(commands: Any) -> None:
    listing = commands.add_parser(
        "list-certificates",
        help="list the project's certificates (id, name, common name, expiry, scope, bound domains)",
        description=DESCRIPTION,
        epilog=LIST_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    assert isinstance(listing, Parser)
    add_connection_options(listing)
    add_selection_options(listing, deleting=False)
    output = listing.add_argument_group("output and behaviour")
    output.add_argument("--with-domains", action="store_true", help="also ask for each certificate's bound domains")
    output.add_argument("--json", action="store_true", help="one JSON object per certificate on standard output")
    add_transport_options(output)


def selects(args: argparse.Namespace) -> bool:
    """Whether delete-certificate was asked to choose from the listing."""
    return bool(args.expired or args.expires_before is not None or args.name is not None
                or args.instance_id is not None)


def select(client: Client, args: argparse.Namespace, deleting: bool = False) -> List[Certificate]:
    """The certificates the selection options keep, in the listing's order. For a deletion, a
    gateway's selection never holds the global certificates (every gateway uses them)."""
    listed = client.list_certificates(instance_id=args.instance_id, name=args.name)
    if deleting and args.instance_id is not None:
        listed = [c for c in listed if c.instance_id == args.instance_id]
    if args.expired:
        return [c for c in listed if c.expired]
    if args.expires_before is not None:
        return [c for c in listed if c.not_after < args.expires_before]
    return listed


def no_gateway(client: Client, args: argparse.Namespace, err: TextIO) -> bool:
    """When a listing came back empty: says so if the project has no gateway at all (every
    listing names one, so there is nothing to list), and returns whether it had none."""
    if args.instance_id is not None or client._gateways():
        return False
    err.write("pyapig: the project has no gateway (APIG instance): it has no certificate to list\n")
    err.flush()
    return True


def shown(text: str) -> str:
    """What the server said, safe on a terminal: control characters (escape sequences) are
    written as escapes, never sent to it."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def expiry(cert: Certificate) -> str:
    return cert.not_after.strftime("%Y-%m-%d %H:%M UTC") + (" (expired)" if cert.expired else "")


def as_json(cert: Certificate) -> Dict[str, Any]:
    return {
        "id": cert.id,
        "name": cert.name,
        "common_name": cert.common_name,
        "san": list(cert.san),
        "type": cert.type,
        "instance_id": cert.instance_id,
        "not_after": cert.not_after.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "expired": cert.expired,
        "signature_algorithm": cert.signature_algorithm,
        "algorithm_type": cert.algorithm_type,
    }


def domain_json(domain: BoundDomain) -> Dict[str, str]:
    return {"domain": domain.domain, "instance_id": domain.instance_id, "group_id": domain.group_id,
            "group_name": domain.group_name, "domain_id": domain.domain_id}


def domain_names(domains: Sequence[BoundDomain]) -> str:
    return ", ".join(dict.fromkeys(shown(d.domain) for d in domains))


def run_list(args: argparse.Namespace, client: Client, out: TextIO, err: TextIO) -> int:
    """list-certificates: the table (or JSON lines), each row written as soon as it is known
    (with --with-domains, once its domains came back)."""
    import json

    certs = select(client, args)
    if not certs and no_gateway(client, args, err):
        return 0
    columns = ["ID", "NAME", "COMMON NAME", "EXPIRES", "SCOPE"] + (["DOMAINS"] if args.with_domains else [])
    rows = [[shown(c.id), shown(c.name), shown(c.common_name), expiry(c), shown(c.instance_id or "global")]
            for c in certs]
    widths = [max([len(columns[i])] + [len(r[i]) for r in rows]) for i in range(5)]

    def line(cells: List[str]) -> str:
        return "  ".join(cell.ljust(widths[i]) if i < len(widths) else cell for i, cell in enumerate(cells)).rstrip()

    if not args.json and certs:
        out.write(line(columns) + "\n")
        out.flush()
    first_failure = 0
    for cert, row in zip(certs, rows):
        entry = as_json(cert)
        if args.with_domains:
            try:
                domains = client.certificate_domains(cert.id)
                entry["domains"] = [domain_json(d) for d in domains]
                row.append(domain_names(domains) or "-")
            except ApigError as e:
                if stops_the_run(e):
                    raise  # the same for every certificate: said once (run() prints it)
                first_failure = first_failure or e.code
                entry.update(domains=None, error=str(e), code=e.code)
                row.append(f"? ({shown(str(e))})")
        out.write((json.dumps(entry) if args.json else line(row)) + "\n")
        out.flush()
    expired = sum(1 for c in certs if c.expired)
    what = "certificate" if len(certs) == 1 else "certificates"
    err.write(f"pyapig: {len(certs)} {what}, {expired} expired\n")
    err.flush()
    return first_failure


def plan_one(client: Client, cert_id: str, detach: bool) -> Dict[str, Any]:
    """What a delete of `cert_id` would do, asked with GETs only."""
    entry: Dict[str, Any] = {"id": cert_id, "plan": "delete", "domains": []}
    try:
        domains = client.certificate_domains(cert_id)
    except NotFoundError:
        entry["plan"] = "absent"
        return entry
    except ApigError as e:
        if stops_the_run(e):
            raise  # the same for every certificate: said once (run() prints it), never asked again
        entry.update(plan="unknown", code=e.code, error=str(e))
        return entry
    if domains:
        entry["domains"] = [domain_json(d) for d in domains]
        entry["plan"] = "detach_and_delete" if detach else "bound"
    return entry


def plan_line(entry: Dict[str, Any], missing_ok: bool) -> str:
    cert_id, plan = entry["id"], entry["plan"]
    names = ", ".join(dict.fromkeys(shown(d["domain"]) for d in entry["domains"]))
    if plan == "delete":
        return f"would delete   {cert_id}"
    if plan == "absent":
        return f"absent         {cert_id} (already deleted{'' if missing_ok else '; without --missing-ok the delete fails with 10'})"
    if plan == "bound":
        return f"bound          {cert_id} to {names}: the delete would fail (17); --detach-domains detaches them first"
    if plan == "detach_and_delete":
        return f"would detach   {cert_id} from {names}, then delete it ({HTTPS_WARNING})"
    return f"unknown        {cert_id}: {shown(entry['error'])}"


def run_dry_run(args: argparse.Namespace, client: Client, ids: Sequence[str], out: TextIO, err: TextIO) -> int:
    """--dry-run: each certificate's plan as soon as it is known, then a summary; GETs only."""
    import json

    counts = {"delete": 0, "detach_and_delete": 0, "absent": 0, "bound": 0, "unknown": 0}
    first_failure = 0
    for cert_id in ids:
        entry = plan_one(client, cert_id, args.detach_domains)
        counts[entry["plan"]] += 1
        # The code the real run would exit with: the first certificate whose delete would fail.
        would_fail = {"bound": IN_USE_CODE, "absent": 0 if args.missing_ok else NOT_FOUND_CODE}
        first_failure = first_failure or entry.get("code", would_fail.get(entry["plan"], 0))
        out.write((json.dumps(entry) if args.json else plan_line(entry, args.missing_ok)) + "\n")
        out.flush()
    err.write(f"pyapig: dry run: {counts['delete'] + counts['detach_and_delete']} would be deleted "
              f"({counts['detach_and_delete']} after detaching their domains), {counts['absent']} already absent, "
              f"{counts['bound']} bound (would fail), {counts['unknown']} unknown; nothing was changed\n")
    err.flush()
    return first_failure


def run_delete_selected(args: argparse.Namespace, secrets: Secrets, stdin: TextIO, out: TextIO, err: TextIO) -> int:
    """delete-certificate with a selection: the listing chooses, a person confirms (or --yes)."""
    if args.ids or args.from_file:
        raise UsageError("give certificate ids or choose them (--expired, --expires-before, --name, --instance-id), "
                         "not both")
    if not args.expired and args.expires_before is None:
        raise UsageError("--name and --instance-id only narrow a choice by expiry: add --expired or "
                         "--expires-before DATE (or give the ids)")
    if not args.yes and not args.dry_run:
        if secrets.uses_stdin:
            raise UsageError(f"standard input carries a secret ({secrets.uses_stdin}): it cannot answer the "
                             "confirmation; pass --yes")
        if not stdin.isatty():
            raise UsageError("deleting certificates chosen from the listing needs --yes when standard input is not "
                             "a terminal (try --dry-run first)")
    client = make_client(args, secrets)
    certs = select(client, args, deleting=True)
    if not certs:
        if not no_gateway(client, args, err):
            err.write("pyapig: no certificate matches: nothing to delete\n")
        return 0
    ids = [c.id for c in certs]
    if args.dry_run:
        return run_dry_run(args, client, ids, out, err)
    if not args.yes and not confirm(certs, args.detach_domains, stdin, err):
        err.write("pyapig: not confirmed: nothing was deleted\n")
        return EXIT_NOT_CONFIRMED
    return delete_ids(client, args, ids, out, err)


def confirm(certs: Sequence[Certificate], detach: bool, stdin: TextIO, err: TextIO) -> bool:
    """Shows what would be deleted and asks on the terminal; True only for y or yes."""
    what = "certificate" if len(certs) == 1 else "certificates"
    err.write(f"pyapig: {len(certs)} {what} chosen:\n")
    for cert in certs:
        err.write(f"  {shown(cert.id)}  {shown(cert.name)}  {shown(cert.common_name)}  expires {expiry(cert)}\n")
    if detach:
        err.write(f"their bound domain names will be detached first: {HTTPS_WARNING}\n")
    err.write(f"delete {'it' if len(certs) == 1 else 'them'}? [y/N] ")
    err.flush()
    answer = stdin.readline()
    return answer.strip().lower() in ("y", "yes")


__all__ = ["add_list_parser", "add_selection_options", "run_list", "run_delete_selected", "run_dry_run", "selects"]
