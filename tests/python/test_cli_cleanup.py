"""The clean-up job on the command line, end to end against the emulator: list-certificates,
delete-certificate choosing from the listing, the dry run (GETs only), the confirmation."""

import json
import os
import subprocess
import sys

from pyapig.testing import DEFAULT_TOKEN

from conftest import PROJECT
from test_cli import cli, where


def seed(emu):
    emu.add_certificate("old-www", instance_id="gw-a", name="www-2024", common_name="www.example.com",
                        not_after="2024-01-01T00:00:00Z",
                        bindings=[{"domain": "www.example.com", "instance_id": "gw-a"}])
    emu.add_certificate("old-api", instance_id="gw-b", name="api-2024", common_name="api.example.com",
                        not_after="2024-06-01T12:00:00+08:00")
    emu.add_certificate("new-www", name="www-2031", common_name="www.example.com", not_after="2031-01-01T00:00:00Z")


def writes(emu):
    return [f"{r['method']} {r['path']}" for r in emu.requests() if r["method"] != "GET"]


def test_list_certificates_prints_a_table_and_a_summary(emu):
    seed(emu)
    r = cli("list-certificates", *where(emu), "--with-domains")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["ID", "NAME", "COMMON", "NAME", "EXPIRES", "SCOPE", "DOMAINS"]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert sorted(rows) == ["new-www", "old-api", "old-www"]
    assert "2024-01-01 00:00 UTC (expired)" in rows["old-www"] and rows["old-www"].endswith("www.example.com")
    assert "2024-06-01 04:00 UTC (expired)" in rows["old-api"] and "gw-b" in rows["old-api"]
    assert "global" in rows["new-www"] and "(expired)" not in rows["new-www"]
    assert r.stderr == "pyapig: 3 certificates, 2 expired\n"
    assert writes(emu) == []


def test_list_certificates_json_and_selection(emu):
    seed(emu)
    r = cli("list-certificates", *where(emu), "--json", "--expired")
    assert r.returncode == 0, r.stderr
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert sorted(row["id"] for row in rows) == ["old-api", "old-www"]
    api = next(row for row in rows if row["id"] == "old-api")
    assert (api["not_after"], api["expired"], api["type"], api["instance_id"]) == (
        "2024-06-01T04:00:00Z", True, "instance", "gw-b")
    # A date alone is 00:00 UTC that day; a full time keeps its offset.
    before = lambda date: sorted(json.loads(l)["id"] for l in cli(
        "list-certificates", *where(emu), "--json", "--expires-before", date).stdout.splitlines())
    assert before("2024-06-01") == ["old-www"]
    assert before("2024-06-01T12:00:01+08:00") == ["old-api", "old-www"]
    assert before("2040-01-01") == ["new-www", "old-api", "old-www"]
    r = cli("list-certificates", *where(emu), "--json", "--name", "api")
    assert [json.loads(l)["id"] for l in r.stdout.splitlines()] == ["old-api"]


def test_bad_dates_and_conflicting_selections_are_usage_errors(emu):
    for bad in ("2024-13-01", "yesterday", "2024-01-01T00:00:00", "2024-01-01T25:00:00Z"):
        r = cli("list-certificates", *where(emu), "--expires-before", bad)
        assert r.returncode == 1 and "--expires-before" in r.stderr and len(r.stderr.splitlines()) == 1, (bad, r.stderr)
    r = cli("list-certificates", *where(emu), "--expired", "--expires-before", "2024-01-01")
    assert r.returncode == 1 and "not allowed with" in r.stderr
    r = cli("delete-certificate", *where(emu), "--expired", "c1", "--yes")
    assert r.returncode == 1 and "not both" in r.stderr
    assert emu.requests() == []


def test_a_project_without_gateways_says_so(emu):
    r = cli("list-certificates", *where(emu))
    assert r.returncode == 0, r.stderr
    assert r.stdout == "" and "no gateway" in r.stderr
    r = cli("delete-certificate", *where(emu), "--expired", "--yes")
    assert r.returncode == 0 and "no gateway" in r.stderr


def test_a_dry_run_says_what_would_happen_and_sends_no_write(emu):
    seed(emu)
    emu.add_certificate("gone-soon", not_after="2020-01-01T00:00:00Z")
    r = cli("delete-certificate", *where(emu), "--expired", "--dry-run")
    assert r.returncode == 17, r.stderr  # what the real run would exit with: a bound one
    lines = sorted(r.stdout.splitlines())
    assert lines == [
        "bound          old-www to www.example.com: the delete would fail (17); --detach-domains detaches them first",
        "would delete   gone-soon",
        "would delete   old-api",
    ]
    assert "dry run: 2 would be deleted" in r.stderr and "nothing was changed" in r.stderr
    r = cli("delete-certificate", *where(emu), "--expired", "--dry-run", "--detach-domains", "--json")
    assert r.returncode == 0, r.stderr
    plans = {row["id"]: row for row in map(json.loads, r.stdout.splitlines())}
    assert plans["old-www"]["plan"] == "detach_and_delete"
    assert [d["domain"] for d in plans["old-www"]["domains"]] == ["www.example.com"]
    # Ids given: the same plan, an absent one said so.
    r = cli("delete-certificate", *where(emu), "--dry-run", "--detach-domains", "old-www", "nope")
    assert r.returncode == 10, r.stderr  # nope: not found without --missing-ok
    assert r.stdout.splitlines() == [
        "would detach   old-www from www.example.com, then delete it (these domains lose HTTPS unless another "
        "certificate serves them)",
        "absent         nope (already deleted; without --missing-ok the delete fails with 10)",
    ]
    assert writes(emu) == []
    assert sorted(emu.certificates()) == ["gone-soon", "new-www", "old-api", "old-www"]


def test_a_selected_deletion_needs_yes_without_a_terminal(emu):
    seed(emu)
    r = cli("delete-certificate", *where(emu), "--expired", stdin="y\n")
    assert r.returncode == 1 and "--yes" in r.stderr
    assert emu.requests() == [], "refused before any request"
    r = cli("delete-certificate", *where(emu), "--expired", "--yes")
    assert r.returncode == 17, r.stderr
    assert "deleted old-api" in r.stdout
    assert "failed  old-www: certificate old-www is still bound to 1 domain name (www.example.com)" in r.stderr
    r = cli("delete-certificate", *where(emu), "--expired", "--yes", "--detach-domains", "--json")
    assert r.returncode == 0, r.stderr
    assert [json.loads(l)["outcome"] for l in r.stdout.splitlines()] == ["deleted"]
    assert emu.certificates() == ["new-www"]
    assert emu.bindings("new-www") == []


def test_an_ids_failure_in_json_carries_the_domains(emu):
    emu.add_certificate("c1", bound_to=["www.example.com", "api.example.com"])
    r = cli("delete-certificate", *where(emu), "--json", "c1")
    assert r.returncode == 17
    row = json.loads(r.stdout)
    assert (row["outcome"], row["code"], row["domains"]) == ("failed", 17, ["www.example.com", "api.example.com"])


def confirm_on_a_terminal(emu, answer, *extra):
    """Runs a selected deletion with standard input on a pseudo-terminal and answers `answer`."""
    import pty

    primary, secondary = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HUAWEICLOUD_SDK_", "APIG_"))}
    env.update(APIG_TOKEN=DEFAULT_TOKEN, HOME="/nonexistent-home", APIG_METADATA_ENDPOINT="http://127.0.0.1:1")
    proc = subprocess.Popen([sys.executable, "-m", "pyapig", "delete-certificate", *where(emu), "--expired", *extra],
                            stdin=secondary, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    os.close(secondary)
    os.write(primary, answer.encode())
    out, err = proc.communicate(timeout=60)
    os.close(primary)
    return proc.returncode, out.decode(), err.decode()


def test_a_selected_deletion_asks_on_a_terminal(emu):
    emu.add_certificate("old", instance_id="gw-a", not_after="2020-01-01T00:00:00Z")
    emu.add_certificate("new", instance_id="gw-a", not_after="2040-01-01T00:00:00Z")
    code, out, err = confirm_on_a_terminal(emu, "n\n")
    assert code == 15 and "old" in err and "delete it? [y/N]" in err and "nothing was deleted" in err
    assert sorted(emu.certificates()) == ["new", "old"]
    code, out, err = confirm_on_a_terminal(emu, "y\n", "--detach-domains")
    assert code == 0, err
    assert "lose HTTPS" in err
    assert out == "deleted old\n" and emu.certificates() == ["new"]


def test_the_project_flag_and_retries_hold_for_listing(emu):
    emu.add_certificate("c1", instance_id="gw-a", project_id="p2")
    emu.add_rule(path="/v2/p2/apigw/instances", times=1, status=503)
    r = cli("list-certificates", "--endpoint", emu.url, "--project-id", "p2", "--json")
    assert r.returncode == 0, r.stderr
    assert [json.loads(l)["id"] for l in r.stdout.splitlines()] == ["c1"]
    assert [r["status"] for r in emu.requests()] == [503, 200, 200]
    assert all(r["path"].startswith("/v2/p2/") for r in emu.requests())


def test_no_secret_flag_is_taken_by_the_new_command(emu):
    r = cli("list-certificates", *where(emu), "--token", "s3cret")
    assert r.returncode == 1 and "s3cret" not in r.stderr and "APIG_TOKEN" in r.stderr


def test_every_list_option_with_a_wrong_value(emu, tmp_path):
    """list-certificates takes delete-certificate's options for where and how (each refused as
    there, in one line, before any request), and its own."""
    from test_cli import assert_one_line_error, delete_cases, options_of

    own = options_of("list-certificates")
    assert own - options_of("delete-certificate") == {"--with-domains"}
    cases = {option: variants for option, variants in delete_cases(tmp_path).items() if option in own}
    cases["--with-domains"] = [["--with-domains=1"]]
    cases["--json"] = [["--json=1"]]
    # Alone, these choose nothing wrong when listing: only their bad values.
    cases["--name"] = [["--name", "bad\x01name"], ["--name", " padded"]]
    cases["--instance-id"] = [["--instance-id", "../gw"], ["--instance-id", ""]]
    assert set(cases) == own
    for variants in cases.values():
        for args in variants:
            args = [a for a in args if a != "--yes"]
            base = [] if "--endpoint" in args else ["--endpoint", emu.url]
            base += [] if "--project-id" in args else ["--project-id", PROJECT]
            r = cli("list-certificates", *base, *args, stdin="", env={"APIG_PASSWORD": "x"})
            assert_one_line_error(r)
    assert emu.requests() == []


def test_ctrl_c_stops_a_listing_and_a_dry_run_after_the_rows_that_came(emu):
    """The rows already known are on standard output (streamed), then exit 130 at once."""
    from test_interrupt import BOUND, interrupt

    emu.add_certificate("a1", instance_id="gw-a", bound_to=["www.example.com"])
    emu.add_certificate("a2", instance_id="gw-a")
    emu.add_rule(path=f"/v2/{PROJECT}/apigw/certificates/a2/attached-domains", action="stall")
    base = [sys.executable, "-m", "pyapig"]
    stalled = lambda proc: any("a2/attached-domains" in r["path"] for r in emu.requests())
    for args in (["list-certificates", *where(emu), "--with-domains", "--json"],
                 ["delete-certificate", *where(emu), "--name", "a", "--expires-before", "9999-01-01", "--dry-run", "--json"]):
        emu.clear_requests()
        proc, out, err, seconds = interrupt(base + args, stalled, env={"APIG_TOKEN": DEFAULT_TOKEN})
        assert proc.returncode == 130, (out, err)
        assert seconds < BOUND and "Traceback" not in err
        assert [json.loads(line)["id"] for line in out.splitlines()] == ["a1"]
        assert err.endswith("pyapig: interrupted\n"), err
    assert writes(emu) == []


def test_a_choice_needs_an_expiry_and_a_gateways_choice_never_holds_the_globals(emu):
    emu.add_certificate("own-old", instance_id="gw-a", not_after="2020-01-01T00:00:00Z")
    emu.add_certificate("global-old", not_after="2020-01-01T00:00:00Z")
    emu.add_certificate("other-old", instance_id="gw-b", not_after="2020-01-01T00:00:00Z")
    for narrow in (["--name", "old"], ["--instance-id", "gw-a"]):
        r = cli("delete-certificate", *where(emu), *narrow, "--yes")
        assert r.returncode == 1 and "--expired" in r.stderr, r.stderr
    assert emu.requests() == []
    # The gateway's own expired certificate; the global one (every gateway uses it) stays.
    r = cli("delete-certificate", *where(emu), "--instance-id", "gw-a", "--expired", "--yes")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "deleted own-old\n"
    assert sorted(emu.certificates()) == ["global-old", "other-old"]
    # Listing a gateway shows the global ones too, as APIG does.
    r = cli("list-certificates", *where(emu), "--instance-id", "gw-a", "--json")
    assert [json.loads(l)["id"] for l in r.stdout.splitlines()] == ["global-old"]


def test_an_error_no_certificate_can_get_past_stops_a_dry_run_at_once(emu):
    for c in ("c1", "c2", "c3"):
        emu.add_certificate(c)
    r = cli("delete-certificate", "--endpoint", emu.url, "--iam-endpoint", emu.url, "--project-id", PROJECT,
            "--user-name", "emulator-user", "--domain-name", "emulator-domain", "--dry-run", "c1", "c2", "c3",
            env={"APIG_PASSWORD": "wrong-password"}, token=False)
    assert r.returncode == 16, r.stderr
    assert r.stdout == ""
    assert len(r.stderr.splitlines()) == 1 and r.stderr.startswith("pyapig: error:"), r.stderr


def test_server_text_reaches_the_terminal_escaped(emu):
    emu.add_certificate("c1", instance_id="gw-a", name="evil\x1b]0;pwned\x07name",
                        bindings=[{"domain": "www.example.com\x1b[2J", "instance_id": "gw-a"}])
    r = cli("list-certificates", *where(emu), "--with-domains")
    assert r.returncode == 0, r.stderr
    assert "\x1b" not in r.stdout and "\x07" not in r.stdout
    assert "evil\\x1b]0;pwned\\x07name" in r.stdout and "www.example.com\\x1b[2J" in r.stdout
