"""The `pyapig` command line, end to end against the emulator."""

import json
import os
import re
import shutil
import subprocess
import sys

import pytest

import pyapig
from pyapig.testing import DEFAULT_AK, DEFAULT_SK, DEFAULT_TOKEN

from conftest import PROJECT

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

# The exit code when credentials or the project id cannot be obtained: CredentialsError's
# (APIG_E_CREDENTIALS).
CREDENTIALS_CODE = 16


def cli(*args, stdin=None, env=None, console_script=False, token=True):
    """Runs the CLI; `token`: with APIG_TOKEN set to the emulator's token (secrets never go in argv)."""
    base = [shutil.which("pyapig", path=os.path.dirname(sys.executable))] if console_script else [sys.executable, "-m", "pyapig"]
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("HUAWEICLOUD_SDK_", "APIG_"))}
    full_env["HOME"] = "/nonexistent-home"
    # Never the real metadata address: a chain that gets that far finds a closed port.
    full_env["APIG_METADATA_ENDPOINT"] = "http://127.0.0.1:1"
    if token:
        full_env["APIG_TOKEN"] = DEFAULT_TOKEN
    full_env.update(env or {})
    if isinstance(stdin, bytes):  # bytes that may not be text: the output is decoded afterwards
        r = subprocess.run(base + list(args), input=stdin, capture_output=True, env=full_env, timeout=60)
        return subprocess.CompletedProcess(r.args, r.returncode, r.stdout.decode(), r.stderr.decode())
    return subprocess.run(base + list(args), input=stdin, capture_output=True, text=True, env=full_env, timeout=60)


# The end-of-run summary on standard error (the time taken is a number, never asserted).
SUMMARY = re.compile(r"pyapig: (?P<how>done|stopped|interrupted): (?P<counts>[^\n]*) in \d+\.\d\d s\n")


def where(emu):
    return ["--endpoint", emu.url, "--project-id", PROJECT]


def test_deletes_ids_given_as_arguments(emu):
    for c in ("c1", "c2"):
        emu.add_certificate(c)
    r = cli("delete-certificate", *where(emu), "c1", "c2", console_script=True)
    assert r.returncode == 0, r.stderr
    assert sorted(r.stdout.splitlines()) == ["deleted c1", "deleted c2"]
    # No progress line when not on a terminal: only the summary.
    assert SUMMARY.fullmatch(r.stderr), r.stderr
    assert SUMMARY.fullmatch(r.stderr).group("counts") == "2 deleted, 0 already absent, 0 failed, 0 not attempted"
    assert emu.certificates() == []


def test_json_output_and_exit_code_of_the_first_failure(emu):
    emu.add_certificate("ok1")
    emu.add_certificate("bound", bound_to=["www.example.com"])
    r = cli("delete-certificate", *where(emu), "--json", "ok1", "missing", "bound")
    assert r.returncode == 10  # APIG_E_NOT_FOUND, the first failure in input order
    by_id = {row["id"]: row for row in map(json.loads, r.stdout.splitlines())}
    rows = [by_id["ok1"], by_id["missing"], by_id["bound"]]
    assert rows[0] == {"id": "ok1", "outcome": "deleted", "code": 0, "http_status": 204, "error_code": None,
                       "throttled": 0,
                       "request_id": next(q["request_id"] for q in emu.requests() if q["certificate_id"] == "ok1")}
    assert (rows[1]["outcome"], rows[1]["http_status"], rows[1]["error_code"], rows[1]["code"]) == (
        "failed", 404, "APIG.3021", 10)
    assert rows[1]["request_id"].startswith("emu-")
    assert (rows[2]["http_status"], rows[2]["code"], rows[2]["domains"]) == (403, 17, ["www.example.com"])


def test_missing_ok(emu):
    r = cli("delete-certificate", *where(emu), "--missing-ok", "--json", "gone")
    assert r.returncode == 0
    assert json.loads(r.stdout)["outcome"] == "absent"


def test_bound_certificate_exit_code(emu):
    emu.add_certificate("bound", bound_to=["a.example.com"])
    r = cli("delete-certificate", *where(emu), "bound")
    assert r.returncode == 17  # APIG_E_IN_USE: bound, and to what
    assert "APIG.3474" in r.stderr and "bound to 1 domain name (a.example.com)" in r.stderr


def test_ids_from_stdin_and_from_a_file(emu, tmp_path):
    for c in ("s1", "s2", "f1", "f2"):
        emu.add_certificate(c)
    r = cli("delete-certificate", *where(emu), stdin="s1\n# comment\n\ns2\n")
    assert r.returncode == 0, r.stderr
    ids = tmp_path / "ids.txt"
    ids.write_text("f1  # first\nf2\n")
    r = cli("delete-certificate", *where(emu), "--from-file", str(ids))
    assert r.returncode == 0, r.stderr
    assert emu.certificates() == []


def test_many_ids_in_parallel(emu):
    ids = [f"p{i}" for i in range(120)]
    for c in ids:
        emu.add_certificate(c)
    r = cli("delete-certificate", *where(emu), "--jobs", "8", "--json", *ids)
    assert r.returncode == 0, r.stderr
    assert sorted(json.loads(line)["id"] for line in r.stdout.splitlines()) == sorted(ids)
    assert len(emu.requests()) == 120
    assert len({q["connection"] for q in emu.requests()}) <= 8


def test_the_default_is_16_deletes_at_once(emu):
    """--jobs defaults to 16 (bench/bulk.py: 87% of the round-trip bound, 20 MiB): 32 slow
    deletes run on 16 connections at once."""
    ids = [f"d{i}" for i in range(32)]
    for c in ids:
        emu.add_certificate(c)
    emu.add_rule(action="pass", delay_ms=300)
    r = cli("delete-certificate", *where(emu), *ids)
    assert r.returncode == 0, r.stderr
    assert len(r.stdout.splitlines()) == 32
    assert len({q["connection"] for q in emu.requests()}) == 16


def test_credentials_from_the_environment(emu):
    emu.add_certificate("e1")
    env = {"HUAWEICLOUD_SDK_AK": DEFAULT_AK, "HUAWEICLOUD_SDK_SK": DEFAULT_SK, "HUAWEICLOUD_SDK_PROJECT_ID": PROJECT}
    r = cli("delete-certificate", "--endpoint", emu.url, "e1", env=env, token=False)
    assert r.returncode == 0, r.stderr
    assert emu.requests()[0]["auth"] == "aksk"
    emu.add_certificate("e2")
    r = cli("delete-certificate", "--endpoint", emu.url, "--project-id", PROJECT, "e2", token=False,
            env={"APIG_TOKEN": DEFAULT_TOKEN})
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize(
    "args,needle",
    [
        ([], "no certificate ids"),
        (["--jobs", "0", "x"], "--jobs"),
        (["bad/id"], "certificate_id"),
        (["--from-file", "/nonexistent/ids", "x"], "--from-file"),
        (["--bogus"], "unrecognized"),
    ],
)
def test_usage_errors_exit_1(emu, args, needle):
    r = cli("delete-certificate", *where(emu), *args, stdin="")
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert needle in r.stderr
    assert emu.requests() == []


def test_no_credentials_says_what_was_tried(emu, tmp_path):
    r = cli("delete-certificate", "--endpoint", emu.url, "--project-id", PROJECT, "c1", env={"HOME": str(tmp_path)},
            token=False)
    assert r.returncode == CREDENTIALS_CODE, r.stderr
    assert "no credentials found: HUAWEICLOUD_SDK_AK not set; ~/.huaweicloud/credentials: not found; " in r.stderr
    assert "federated identity: HUAWEICLOUD_SDK_IDP_ID not set; " in r.stderr
    assert "ECS metadata http://127.0.0.1:1: connection refused" in r.stderr
    assert emu.requests() == []


def test_help_is_complete():
    r = cli("delete-certificate", "--help")
    assert r.returncode == 0
    for needle in ["--missing-ok", "--json", "--jobs", "--from-file", "--region", "--endpoint", "--token-file", "--ak",
                   "--sk-file", "--security-token-file", "--password-stdin", "APIG_TOKEN", "APIG_PASSWORD",
                   "--timeout", "--ca-file", "--insecure", "--proxy", "130 when interrupted",
                   "HUAWEICLOUD_SDK_AK", "exit codes", "10 HTTP 404"]:
        assert needle in r.stdout, needle
    r = cli("--version")
    assert r.stdout.strip() == f"pyapig {pyapig.__version__}"


def test_the_emulator_command():
    proc = subprocess.Popen([sys.executable, "-m", "pyapig", "emulator", "--cert", f"{PROJECT}/x1"],
                            stdout=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        pyapig.Client(endpoint=url, project_id=PROJECT, token=DEFAULT_TOKEN).delete_certificate("x1")
        with pytest.raises(pyapig.NotFoundError):
            pyapig.Client(endpoint=url, project_id=PROJECT, token=DEFAULT_TOKEN).delete_certificate("x1")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()


def on_a_terminal(args, env=None):
    """Runs the CLI with standard output and standard error on one pseudo-terminal, as in an
    interactive shell; returns (exit code, every byte the terminal received)."""
    import pty

    primary, secondary = pty.openpty()
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("HUAWEICLOUD_SDK_", "APIG_"))}
    full_env.update({"APIG_TOKEN": DEFAULT_TOKEN, "HOME": "/nonexistent-home", **(env or {})})
    proc = subprocess.Popen([sys.executable, "-m", "pyapig", *args], stdin=subprocess.DEVNULL, stdout=secondary,
                            stderr=secondary, env=full_env)
    os.close(secondary)
    seen = b""
    while True:
        try:
            chunk = os.read(primary, 4096)
        except OSError:  # every end of the terminal closed: the process is gone
            break
        if not chunk:
            break
        seen += chunk
    os.close(primary)
    return proc.wait(timeout=30), seen


def screen(raw):
    """The lines a terminal shows after receiving `raw`: CR goes back to the start of the line,
    ESC [ K erases from the cursor to its end, LF starts the next line."""
    lines, line, col, text, i = [], [], 0, raw.decode(), 0
    while i < len(text):
        if text.startswith("\x1b[K", i):
            del line[col:]
            i += 3
            continue
        ch = text[i]
        i += 1
        if ch == "\r":
            col = 0
        elif ch == "\n":
            lines.append("".join(line))
            line, col = [], 0
        else:
            line[col:col + 1] = [ch]
            col += 1
    if line:
        lines.append("".join(line))
    return lines


def test_results_and_the_progress_line_never_share_a_line(emu):
    ids = [f"t{i}" for i in range(6)]
    for c in ids[:5]:
        emu.add_certificate(c)
    code, seen = on_a_terminal(["delete-certificate", *where(emu), "--jobs", "2", *ids])
    assert code == 10, seen  # t5 does not exist
    assert b"[6/6] 5 ok, 1 failed" in seen, seen  # the progress line was drawn
    lines = screen(seen)
    # Two jobs: the results come in any order, each on a line of its own.
    results = lines[:-1]
    failed = [line for line in results if line.startswith("failed  t5: ")]
    assert len(failed) == 1 and "APIG.3021" in failed[0], lines
    assert sorted(line for line in results if line not in failed) == [f"deleted t{i}" for i in range(5)], lines
    assert lines[-1].startswith("pyapig: done: 5 deleted, 0 already absent, 1 failed, 0 not attempted in "), lines


def test_no_progress_line_when_asked_or_for_one_id(emu):
    for c in ("n1", "n2", "n3"):
        emu.add_certificate(c)
    for args in (["--no-progress", "n1", "n2"], ["n3"]):
        code, seen = on_a_terminal(["delete-certificate", *where(emu), *args])
        assert code == 0
        assert b"[" not in seen and b"\x1b[K" not in seen, seen


def iam(emu):
    return ["--endpoint", emu.url, "--region", "cn-north-4", "--iam-endpoint", emu.url]


def test_password_from_the_environment_and_the_project_from_iam(emu):
    emu.add_certificate("c1")
    r = cli("delete-certificate", *iam(emu), "--user-name", "emulator-user", "--domain-name", "emulator-domain", "c1",
            env={"APIG_PASSWORD": "emulator-password"})
    assert (r.returncode, r.stdout) == (0, "deleted c1\n"), r.stderr
    assert emu.certificates() == []


def test_password_from_standard_input(emu):
    emu.add_certificate("c1")
    emu.add_certificate("c2")
    r = cli("delete-certificate", *iam(emu), "--user-name", "emulator-user", "--domain-name", "emulator-domain",
            "--password-stdin", "c1", "c2", stdin="emulator-password\n")
    assert r.returncode == 0, r.stderr
    assert emu.certificates() == []
    r = cli("delete-certificate", *iam(emu), "--user-name", "emulator-user", "--domain-name", "emulator-domain",
            "--password-stdin", stdin="emulator-password\nc3\n")
    assert r.returncode == 1 and "give the ids as arguments or with --from-file FILE" in r.stderr, r.stderr


@pytest.mark.parametrize(
    "args, env, needle",
    [
        (["--user-name", "u", "--domain-name", "d", "--password", "Flag-Secret-1"], {}, "takes no value on the command line"),
        (["--user-name", "u", "--domain-name", "d"], {}, "set APIG_PASSWORD or pass --password-stdin"),
        (["--user-name", "u"], {"APIG_PASSWORD": "x"}, "--user-name needs --domain-name"),
    ],
)
def test_password_usage_errors(emu, args, env, needle):
    r = cli("delete-certificate", *iam(emu), *args, "c1", env=env)
    assert r.returncode == 1, r.stderr
    assert needle in r.stderr
    assert "Flag-Secret-1" not in r.stderr + r.stdout
    assert emu.requests() == []


def test_region_without_project_id_looks_it_up_with_keys_from_the_environment(emu):
    emu.add_certificate("c1")
    env = {"HUAWEICLOUD_SDK_AK": "EMULATORAK0000000001", "HUAWEICLOUD_SDK_SK": "emulator-secret-key-0000000000000001"}
    r = cli("delete-certificate", *iam(emu), "c1", env=env, token=False)
    assert r.returncode == 0, r.stderr
    assert [r["path"].split("?")[0] for r in emu.requests()] == ["/v3/projects", f"/v2/{PROJECT}/apigw/certificates/c1"]


def test_agency_credentials_from_the_metadata_service(emu):
    emu.add_certificate("c1")
    r = cli("delete-certificate", "--endpoint", emu.url, "--project-id", PROJECT, "--metadata-endpoint", emu.url, "c1",
            token=False)
    assert r.returncode == 0, r.stderr
    assert emu.counters()["metadata_credentials"] == 1


@pytest.mark.parametrize(
    "flag, instead",
    [("--token", "APIG_TOKEN"), ("--sk", "HUAWEICLOUD_SDK_SK"), ("--security-token", "HUAWEICLOUD_SDK_SECURITY_TOKEN")],
)
def test_a_secret_as_a_flag_value_is_refused(emu, flag, instead):
    r = cli("delete-certificate", *where(emu), "--ak", DEFAULT_AK, flag, "Flag-Secret-2", "c1")
    assert r.returncode == 1
    assert f"{flag} takes no value on the command line" in r.stderr and instead in r.stderr
    assert "Flag-Secret-2" not in r.stderr + r.stdout
    assert emu.requests() == []


def test_secrets_from_files_and_standard_input(emu, tmp_path):
    for c in ("f1", "f2", "f3"):
        emu.add_certificate(c)
    token_file = tmp_path / "token"
    token_file.write_text(DEFAULT_TOKEN + "\n")
    r = cli("delete-certificate", *where(emu), "--token-file", str(token_file), "f1", token=False)
    assert r.returncode == 0, r.stderr
    r = cli("delete-certificate", *where(emu), "--token-file", "-", "f2", stdin=DEFAULT_TOKEN + "\n", token=False)
    assert r.returncode == 0, r.stderr
    sk_file = tmp_path / "sk"
    sk_file.write_text(DEFAULT_SK)
    r = cli("delete-certificate", *where(emu), "--ak", DEFAULT_AK, "--sk-file", str(sk_file), "f3", token=False)
    assert r.returncode == 0, r.stderr
    assert [q["auth"] for q in emu.requests()] == ["token", "token", "aksk"]
    r = cli("delete-certificate", *where(emu), "--ak", DEFAULT_AK, "f4", token=False)
    assert r.returncode == 1 and "set HUAWEICLOUD_SDK_SK or pass --sk-file FILE" in r.stderr


def test_results_stream_as_they_finish_not_behind_a_slow_one(emu):
    for c in ("slow", "fast1", "fast2"):
        emu.add_certificate(c)
    emu.add_rule(certificate_id="slow", action="pass", delay_ms=1500)
    proc = subprocess.Popen([sys.executable, "-m", "pyapig", "delete-certificate", *where(emu), "--jobs", "3",
                             "slow", "fast1", "fast2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "APIG_TOKEN": DEFAULT_TOKEN, "HOME": "/nonexistent-home"})
    first = proc.stdout.readline()
    assert first.startswith("deleted fast"), first
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert out.splitlines()[-1] == "deleted slow"


@pytest.mark.parametrize("status", [200, 202, 204])
def test_json_reports_the_status_the_server_sent(emu, status):
    emu.add_certificate("c1")
    emu.add_rule(certificate_id="c1", status=status, times=1)
    r = cli("delete-certificate", *where(emu), "--json", "c1")
    assert r.returncode == 0, r.stderr
    row = json.loads(r.stdout)
    assert (row["outcome"], row["http_status"]) == ("deleted", status)
    assert row["request_id"].startswith("emu-")


# --- every option with a wrong value: exit 1, one line on standard error, never a traceback ----

NOT_UTF8 = b"caf\xe9-latin-1\n"  # "café" in Latin-1: not UTF-8


def delete_cases(tmp_path):
    """{option: [argument lists that give it a wrong value]}, every option of delete-certificate."""
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes(NOT_UTF8)
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    sk = tmp_path / "sk"
    sk.write_text(DEFAULT_SK)
    missing = str(tmp_path / "missing")
    user = ["--user-name", "u", "--domain-name", "d"]
    return {
        "--from-file": [["--from-file", str(latin1)], ["--from-file", missing], ["--from-file", str(tmp_path)]],
        "--endpoint": [["--endpoint", "ftp://x"], ["--endpoint", "http://example.com"],
                       ["--endpoint", "https://a.example", "--endpoint", "https://a.example/"]],
        "--region": [["--region", "CN-north"]],
        "--project-id": [["--project-id", "a/b"]],
        "--token-file": [["--token-file", str(latin1)], ["--token-file", missing], ["--token-file", str(empty)]],
        "--ak": [["--ak", "A K", "--sk-file", str(sk)], ["--ak", DEFAULT_AK]],
        "--sk-file": [["--ak", DEFAULT_AK, "--sk-file", str(latin1)], ["--sk-file", str(sk)]],
        "--security-token-file": [["--ak", DEFAULT_AK, "--sk-file", str(sk), "--security-token-file", str(latin1)]],
        "--token": [["--token", "Flag-Secret-3"]],
        "--sk": [["--ak", DEFAULT_AK, "--sk", "Flag-Secret-3"]],
        "--security-token": [["--security-token", "Flag-Secret-3"]],
        "--user-name": [["--user-name", "u"]],
        "--domain-name": [["--domain-name", "d"]],
        "--password-stdin": [[*user, "--password-stdin=yes"], ["--password-stdin"]],
        "--password": [[*user, "--password", "Flag-Secret-3"]],
        "--iam-endpoint": [["--iam-endpoint", "ftp://iam"]],
        "--idp-id": [["--idp-id", "bad idp", "--id-token-file", str(sk), "--region", "cn-north-4"],
                     ["--idp-id", "idp", "--id-token-file", str(sk)]],
        "--id-token-file": [["--id-token-file", str(sk), "--region", "cn-north-4"]],
        "--metadata-endpoint": [["--metadata-endpoint", "metadata"]],
        "--missing-ok": [["--missing-ok=yes"]],
        "--json": [["--json=1"]],
        "--jobs": [["--jobs", "0"], ["--jobs", "65"], ["--jobs", "x"], ["-j", "-3"]],
        "--timeout": [["--timeout", t] for t in ("nan", "-1", "abc", "inf", "0", "86401")],
        "--connect-timeout": [["--connect-timeout", t] for t in ("nan", "abc", "0")],
        "--max-retries": [["--max-retries", n] for n in ("-1", "x", "2.5", "101", "9" * 30)],
        "--ca-file": [["--ca-file", missing], ["--ca-file", str(latin1)]],
        "--insecure": [["--insecure=no"]],
        "--proxy": [["--proxy", "bad proxy"], ["--proxy", "socks5://127.0.0.1:1080"]],
        "--allow-insecure-http": [["--allow-insecure-http=1"]],
        "--no-progress": [["--no-progress=1"]],
        "--help": [["--help=x"]],
        "--max-rate": [["--max-rate", r] for r in ("0", "-1", "nan", "abc", "inf", "100001")],
        "--expired": [["--expired=1"], ["--expired", "--expires-before", "2030-01-01"]],
        "--expires-before": [["--expires-before", d] for d in ("x", "2030-02-30", "2030-01-01T00:00:00")],
        "--name": [["--name", "bad\x01name", "--expired", "--yes"], ["--name", " padded", "--expired", "--yes"],
                   ["--name", "www", "--yes"]],
        "--instance-id": [["--instance-id", "../gw", "--expired", "--yes"], ["--instance-id", "", "--expired", "--yes"],
                          ["--instance-id", "gw-a", "--yes"]],
        "--detach-domains": [["--detach-domains=1"]],
        "--dry-run": [["--dry-run=yes"]],
        "--yes": [["--yes=1"], ["--expired"]],
    }


def options_of(subcommand):
    from pyapig._cli import build_parser

    commands = next(a for a in build_parser()._actions if a.dest == "command")
    return {flag for action in commands.choices[subcommand]._actions for flag in action.option_strings
            if flag.startswith("--")}


def assert_one_line_error(r):
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert "Traceback" not in r.stderr, r.stderr
    assert len(r.stderr.splitlines()) == 1 and r.stderr.endswith("\n"), r.stderr
    assert "Flag-Secret-3" not in r.stdout + r.stderr


def test_every_delete_option_with_a_wrong_value(emu, tmp_path):
    cases = delete_cases(tmp_path)
    assert set(cases) == options_of("delete-certificate"), "give each option of delete-certificate a wrong value here"
    for option, variants in cases.items():
        for args in variants:
            base = [] if "--endpoint" in args else ["--endpoint", emu.url]
            base += [] if "--project-id" in args else ["--project-id", PROJECT]
            chooses = any(a.split("=")[0] in ("--expired", "--expires-before", "--name", "--instance-id") for a in args)
            ids = [] if "--from-file" in args or chooses else ["c1"]
            r = cli("delete-certificate", *base, *args, *ids, stdin="", env={"APIG_PASSWORD": "x"})
            assert_one_line_error(r)
    assert emu.requests() == []


@pytest.mark.parametrize("args, stdin, env", [
    ([], NOT_UTF8, {}),  # the ids on standard input
    (["--from-file", "-"], NOT_UTF8, {}),
    (["--token-file", "-", "c1"], NOT_UTF8, {}),
    (["--user-name", "u", "--domain-name", "d", "--password-stdin", "c1"], NOT_UTF8, {}),
    (["c1", os.fsdecode(b"caf\xe9")], b"", {}),  # an argument that is not UTF-8
    (["c1"], b"", {"APIG_TOKEN": os.fsdecode(b"tok\xe9n")}),
], ids=["ids on stdin", "--from-file -", "--token-file -", "--password-stdin", "argv", "APIG_TOKEN"])
def test_text_that_is_not_utf8(emu, args, stdin, env):
    r = cli("delete-certificate", *where(emu), *args, stdin=stdin, env=env, token="APIG_TOKEN" not in env)
    assert_one_line_error(r)
    assert "UTF-8" in r.stderr, r.stderr
    assert emu.requests() == []


def test_usage_errors_print_no_summary(emu):
    """A run that never started has nothing to sum up: the one line is the whole output."""
    r = cli("delete-certificate", *where(emu), "--jobs", "0", "c1")
    assert r.stderr.startswith("pyapig delete-certificate: error: argument --jobs/-j: expected a whole number 1..64")
    assert_one_line_error(r)


def emulator_cases(tmp_path):
    """{option: [argument lists that give it a wrong value]}, every option of `pyapig emulator`."""
    def rules(name, content):
        path = tmp_path / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        return ["--rules", str(path)]

    return {
        "--port": [["--port", "65536"], ["--port", "x"], ["--port", "-1"]],
        "--listen": [["--listen", "10.0.0.1:80"]],
        "--cert": [["--cert", "no-project"], ["--cert", "/c1"]],
        "--cert-range": [["--cert-range", "p/x"], ["--cert-range", "p/x/many"]],
        "--token": [["--token"]],
        "--key": [["--key", "no-colon"]],
        "--rules": [rules("list-of-number.json", "[1]"), rules("object.json", '{"bad": 1}'),
                    rules("unknown-field.json", '[{"bad": 1}]'), rules("bad-status.json", '[{"status": "x"}]'),
                    rules("not-json.json", "[{"), rules("latin1.json", b'[{"body": "caf\xe9"}]'),
                    ["--rules", str(tmp_path / "missing.json")]],
        "--clock-offset": [["--clock-offset", "x"], ["--clock-offset", "1.5"], ["--clock-offset", "9" * 30]],
        "--idle-close-ms": [["--idle-close-ms", "0"], ["--idle-close-ms", "x"]],
        "--tls-cert": [["--tls-cert", str(tmp_path / "cert.pem")]],
        "--tls-key": [["--tls-key", str(tmp_path / "key.pem")],
                      ["--tls-cert", str(tmp_path / "no-cert.pem"), "--tls-key", str(tmp_path / "no-key.pem")]],
        "--project": [["--project", "no-equals"]],
        "--user": [["--user", "no-colon"], ["--user", "no-slash:password"]],
        "--token-lifetime": [["--token-lifetime", "x"], ["--token-lifetime", "nan"], ["--token-lifetime", "-5"]],
        "--credential-lifetime": [["--credential-lifetime", "-5"], ["--credential-lifetime", "inf"]],
        "--metadata-mode": [["--metadata-mode", "bogus"]],
        "--pod-token": [["--pod-token"]],
        "--idp": [["--idp", "no-equals"]],
        "--cert-json": [["--cert-json", "p/c"], ["--cert-json", "p/c={not json"], ["--cert-json", "p/c=[1]"],
                        ["--cert-json", 'p/c={"san": "not a list"}']],
        "--gateway": [["--gateway", "no-slash"]],
        "--throttle": [["--throttle", t] for t in ("", "x", "0/1", "50/0", "50/10:x", "-1", "inf", "50/10:-1")],
        "--no-log": [["--no-log=1"]],
        "--threads": [["--threads", "0"], ["--threads", "65"]],
        "--help": [["--help=x"]],
    }


def test_every_emulator_option_with_a_wrong_value(tmp_path):
    cases = emulator_cases(tmp_path)
    assert set(cases) == options_of("emulator"), "give each option of `pyapig emulator` a wrong value here"
    for option, variants in cases.items():
        for args in variants:
            # A bad value must end the command (it never serves): the timeout of cli() says so.
            assert_one_line_error(cli("emulator", *args))


def apig_emulator():
    path = os.environ.get("APIG_EMULATOR") or os.path.join(ROOT, "target", "debug", "apig-emulator")
    assert os.access(path, os.X_OK), f"{path}: build it first (cargo build --features emulator --bins)"
    return path


def test_pyapig_emulator_takes_every_option_of_apig_emulator():
    rust = subprocess.run([apig_emulator(), "--help"], capture_output=True, text=True, timeout=30)
    assert rust.returncode == 0, rust.stderr
    # The option lines of its help: "  --port N   port on ..." (the control API's lines have none).
    theirs = set(re.findall(r"(?m)^\s*(--[a-z][a-z-]*)", rust.stdout))
    assert {"--port", "--cert", "--rules", "--key"} <= theirs, rust.stdout
    ours = cli("emulator", "--help")
    assert ours.returncode == 0, ours.stderr
    missing = sorted(flag for flag in theirs if not re.search(rf"(?<![\w-]){flag}(?![\w-])", ours.stdout))
    assert not missing, f"pyapig emulator lacks these options of apig-emulator: {', '.join(missing)}"


def start_emulator_command(*args, tmp_path=None):
    """`pyapig emulator ARGS` in the background: (process, its endpoint)."""
    proc = subprocess.Popen([sys.executable, "-m", "pyapig", "emulator", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    url = proc.stdout.readline().strip()
    if not url.startswith(("http://127.0.0.1:", "https://127.0.0.1:")):
        proc.kill()
        raise AssertionError(f"no endpoint: {url!r} {proc.communicate()[1]}")
    return proc, url


def http_json(url, path):
    import urllib.request

    with urllib.request.urlopen(url + path, timeout=10) as answer:
        return json.load(answer)


def stop(proc):
    proc.terminate()
    proc.communicate(timeout=10)


def test_the_emulator_command_seeds_what_its_options_say(tmp_path):
    rules = tmp_path / "rules.json"
    rules.write_text('[{"certificate_id": "r1", "status": 500, "times": 1}]')
    proc, url = start_emulator_command(
        "--cert-range", f"{PROJECT}/r/3", "--cert", f"{PROJECT}/b1=www.example.com", "--token", "extra-token",
        "--key", "EXTRAAK0000000000001:extra-secret", "--rules", str(rules), "--project", f"eu-west-101={PROJECT}",
        "--user", "acme/ops:ops-password", "--threads", "4", "--idle-close-ms", "5000", "--clock-offset", "0",
        "--token-lifetime", "7200", "--credential-lifetime", "600", "--metadata-mode", "old", "--pod-token", "pod-t")
    try:
        def client(**credentials):
            return pyapig.Client(endpoint=url, project_id=PROJECT, max_retries=0, **credentials)

        client(token="extra-token").delete_certificate("r0")
        client(ak="EXTRAAK0000000000001", sk="extra-secret").delete_certificate("r2")
        with pytest.raises(pyapig.InternalServerError):  # the rule from --rules
            client(token=DEFAULT_TOKEN).delete_certificate("r1")
        with pytest.raises(pyapig.PermissionDeniedError):  # bound by --cert ...=domain
            client(token=DEFAULT_TOKEN).delete_certificate("b1")
        # --user and --project: password auth for region eu-west-101 through the emulator's IAM.
        pyapig.Client(endpoint=url, iam_endpoint=url, region="eu-west-101", user_name="ops", password="ops-password",
                      domain_name="acme").delete_certificate("r1")
        assert http_json(url, f"/_emulator/projects/{PROJECT}/certificates") == ["b1"]
    finally:
        stop(proc)


def test_the_emulator_command_listens_where_it_is_told(closed_port):
    """--port N and --listen choose the address, as apig-emulator's do; a port in use is one
    line, no traceback."""
    proc, url = start_emulator_command("--port", str(closed_port), "--no-log")
    try:
        assert url == f"http://127.0.0.1:{closed_port}"
        assert http_json(url, f"/_emulator/projects/{PROJECT}/certificates") == []
        r = cli("emulator", "--port", str(closed_port))
        assert_one_line_error(r)
    finally:
        stop(proc)
    proc, url = start_emulator_command("--listen", f"127.0.0.1:{closed_port}", "--no-log")
    stop(proc)
    assert url == f"http://127.0.0.1:{closed_port}"


# --- one error instead of a storm --------------------------------------------------------------

def test_no_credentials_with_48_ids_is_one_error(emu, tmp_path):
    ids = [f"n{i}" for i in range(48)]
    r = cli("delete-certificate", "--endpoint", emu.url, "--project-id", PROJECT, *ids, env={"HOME": str(tmp_path)},
            token=False)
    assert r.returncode == CREDENTIALS_CODE, r.stderr
    lines = r.stderr.splitlines()
    assert len(lines) == 3, r.stderr  # the error, the summary, the ids not attempted
    assert lines[0].startswith("failed  n") and "no credentials found" in lines[0], lines
    assert SUMMARY.fullmatch(lines[1] + "\n").group("how", "counts") == (
        "stopped", "0 deleted, 0 already absent, 1 failed, 47 not attempted"), lines
    failed = lines[0].split()[1].rstrip(":")
    assert lines[2] == "pyapig: not attempted: " + " ".join(i for i in ids if i != failed)
    assert r.stdout == ""
    assert emu.requests() == []


def test_json_marks_the_ids_not_attempted(emu, tmp_path):
    ids = [f"n{i}" for i in range(20)]
    r = cli("delete-certificate", "--endpoint", emu.url, "--project-id", PROJECT, "--json", *ids,
            env={"HOME": str(tmp_path)}, token=False)
    assert r.returncode == CREDENTIALS_CODE, r.stderr
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert sorted(row["id"] for row in rows) == sorted(ids)  # every id has its line
    assert [row["outcome"] for row in rows] == ["failed"] + ["not_attempted"] * 19
    assert rows[0]["code"] == CREDENTIALS_CODE and "no credentials found" in rows[0]["error"]
    assert all(row["code"] == CREDENTIALS_CODE and row["error"].startswith("not attempted: ") for row in rows[1:])


@pytest.mark.parametrize("jobs", ["1", "16"])
def test_a_token_without_a_project_id_is_one_error(emu, jobs):
    ids = [f"p{i}" for i in range(10)]
    r = cli("delete-certificate", "--endpoint", emu.url, "--jobs", jobs, *ids)
    assert r.returncode in (1, CREDENTIALS_CODE), r.stderr
    failures = [line for line in r.stderr.splitlines() if line.startswith("failed")]
    assert len(failures) == 1 and "project_id is missing" in failures[0], r.stderr
    assert "1 failed, 9 not attempted" in r.stderr
    assert emu.requests() == []


def test_a_wrong_password_with_6_ids_is_one_login_and_one_error(emu):
    ids = [f"w{i}" for i in range(6)]
    r = cli("delete-certificate", *iam(emu), "--user-name", "emulator-user", "--domain-name", "emulator-domain", *ids,
            env={"APIG_PASSWORD": "wrong-password"})
    assert r.returncode == CREDENTIALS_CODE, r.stderr
    assert [q["path"].split("?")[0] for q in emu.requests()] == ["/v3/auth/tokens"], "one IAM login, no more"
    assert len([line for line in r.stderr.splitlines() if line.startswith("failed")]) == 1, r.stderr
    assert "1 failed, 5 not attempted" in r.stderr


# --- the project id from HUAWEICLOUD_SDK_PROJECT_ID, whatever the credentials ----------------------

@pytest.mark.parametrize("kind", ["APIG_TOKEN", "--token-file", "--sk-file", "APIG_PASSWORD"])
def test_the_project_id_from_the_environment_with_every_kind_of_credentials(emu, tmp_path, kind):
    emu.add_certificate("e1")
    secret = tmp_path / "secret"
    env = {"HUAWEICLOUD_SDK_PROJECT_ID": PROJECT}
    args = {
        "APIG_TOKEN": [],
        "--token-file": ["--token-file", str(secret)],
        "--sk-file": ["--ak", DEFAULT_AK, "--sk-file", str(secret)],
        "APIG_PASSWORD": ["--iam-endpoint", emu.url, "--user-name", "emulator-user", "--domain-name", "emulator-domain"],
    }[kind]
    secret.write_text({"--token-file": DEFAULT_TOKEN, "--sk-file": DEFAULT_SK}.get(kind, ""))
    if kind == "APIG_PASSWORD":
        env["APIG_PASSWORD"] = "emulator-password"
    r = cli("delete-certificate", "--endpoint", emu.url, *args, "e1", env=env, token=kind == "APIG_TOKEN")
    assert (r.returncode, r.stdout) == (0, "deleted e1\n"), r.stderr
    assert emu.requests()[-1]["path"] == f"/v2/{PROJECT}/apigw/certificates/e1"


def test_repeated_endpoints_fail_over_and_all_down_is_one_error(emu, closed_port):
    emu.add_certificate("c1")
    closed = f"http://127.0.0.1:{closed_port}"
    r = cli("delete-certificate", "--endpoint", closed, "--endpoint", emu.url, "--project-id", PROJECT, "c1")
    assert (r.returncode, r.stdout) == (0, "deleted c1\n"), r.stderr
    r = cli("delete-certificate", "--endpoint", closed, "--endpoint", "http://127.0.0.1:1", "--project-id", PROJECT,
            "--max-retries", "0", "c1")
    assert r.returncode == 3, r.stderr
    assert (f"no endpoint could be reached: connection refused ({closed}); "
            "connection refused (http://127.0.0.1:1)") in r.stderr


def test_the_regions_endpoint_list_from_the_environment(emu, closed_port):
    emu.add_certificate("c1")
    env = {"HUAWEICLOUD_SDK_REGION_APIG_CN_NORTH_4": f"http://127.0.0.1:{closed_port},{emu.url}"}
    r = cli("delete-certificate", "--region", "cn-north-4", "--project-id", PROJECT, "c1", env=env)
    assert (r.returncode, r.stdout) == (0, "deleted c1\n"), r.stderr


def test_federated_identity_from_flags_and_from_the_environment(emu, tmp_path):
    token_file = tmp_path / "oidc-token"
    token_file.write_text("cli.jwt.token\n")
    emu.add_idp("cli-idp", "cli.jwt.token")
    for c in ("c1", "c2"):
        emu.add_certificate(c)
    at = ["--endpoint", emu.url, "--region", "cn-north-4", "--iam-endpoint", emu.url]
    r = cli("delete-certificate", *at, "--idp-id", "cli-idp", "--id-token-file", str(token_file), "c1")
    assert (r.returncode, r.stdout) == (0, "deleted c1\n"), r.stderr
    env = {"HUAWEICLOUD_SDK_IDP_ID": "cli-idp", "HUAWEICLOUD_SDK_ID_TOKEN_FILE": str(token_file)}
    r = cli("delete-certificate", *at, "c2", env=env, token=False)
    assert (r.returncode, r.stdout) == (0, "deleted c2\n"), r.stderr
    assert emu.counters()["iam_id_tokens"] == 2
    # One flag, the other half from the environment (as the help says); neither: a usage error.
    emu.add_certificate("c4")
    r = cli("delete-certificate", *at, "--idp-id", "cli-idp", "c4",
            env={"HUAWEICLOUD_SDK_ID_TOKEN_FILE": str(token_file)}, token=False)
    assert (r.returncode, r.stdout) == (0, "deleted c4\n"), r.stderr
    r = cli("delete-certificate", *at, "--id-token-file", str(token_file), "c4", token=False)
    assert r.returncode == 1 and "set HUAWEICLOUD_SDK_IDP_ID" in r.stderr, r.stderr
    assert emu.counters()["iam_id_tokens"] == 3
    # Refused by IAM: a credentials error (16) that stops the run, without the token anywhere.
    emu.add_idp("cli-idp", "another.jwt.token")
    emu.add_certificate("c3")
    r = cli("delete-certificate", *at, "c3", env=env, token=False)
    assert r.returncode == CREDENTIALS_CODE, r.stderr
    assert "IAM.0101" in r.stderr and "cli.jwt.token" not in r.stdout + r.stderr
