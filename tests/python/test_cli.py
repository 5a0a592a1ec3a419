"""The `pyapig` command line, end to end against the emulator."""

import json
import os
import shutil
import subprocess
import sys

import pytest

import pyapig
from pyapig.testing import DEFAULT_AK, DEFAULT_SK, DEFAULT_TOKEN

from conftest import PROJECT


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
    return subprocess.run(base + list(args), input=stdin, capture_output=True, text=True, env=full_env, timeout=60)


def where(emu):
    return ["--endpoint", emu.url, "--project-id", PROJECT]


def test_deletes_ids_given_as_arguments(emu):
    for c in ("c1", "c2"):
        emu.add_certificate(c)
    r = cli("delete-certificate", *where(emu), "c1", "c2", console_script=True)
    assert r.returncode == 0, r.stderr
    assert sorted(r.stdout.splitlines()) == ["deleted c1", "deleted c2"]
    assert r.stderr == ""  # no progress line when not on a terminal
    assert emu.certificates() == []


def test_json_output_and_exit_code_of_the_first_failure(emu):
    emu.add_certificate("ok1")
    emu.add_certificate("bound", bound_to=["www.example.com"])
    r = cli("delete-certificate", *where(emu), "--json", "ok1", "missing", "bound")
    assert r.returncode == 10  # APIG_E_NOT_FOUND, the first failure in input order
    by_id = {row["id"]: row for row in map(json.loads, r.stdout.splitlines())}
    rows = [by_id["ok1"], by_id["missing"], by_id["bound"]]
    assert rows[0] == {"id": "ok1", "outcome": "deleted", "code": 0, "http_status": 204, "error_code": None,
                       "request_id": next(q["request_id"] for q in emu.requests() if q["certificate_id"] == "ok1")}
    assert (rows[1]["outcome"], rows[1]["http_status"], rows[1]["error_code"], rows[1]["code"]) == (
        "failed", 404, "APIG.3021", 10)
    assert rows[1]["request_id"].startswith("emu-")
    assert (rows[2]["http_status"], rows[2]["code"]) == (403, 9)


def test_missing_ok(emu):
    r = cli("delete-certificate", *where(emu), "--missing-ok", "--json", "gone")
    assert r.returncode == 0
    assert json.loads(r.stdout)["outcome"] == "absent"


def test_bound_certificate_exit_code(emu):
    emu.add_certificate("bound", bound_to=["a.example.com"])
    r = cli("delete-certificate", *where(emu), "bound")
    assert r.returncode == 9
    assert "APIG.3474" in r.stderr


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


def test_no_credentials_is_a_usage_error_that_says_what_was_tried(emu, tmp_path):
    r = cli("delete-certificate", "--endpoint", emu.url, "--project-id", PROJECT, "c1", env={"HOME": str(tmp_path)},
            token=False)
    assert r.returncode == 1, r.stderr
    assert "no credentials found: HUAWEICLOUD_SDK_AK not set; ~/.huaweicloud/credentials: not found; " in r.stderr
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


def test_progress_line_on_a_terminal_only(emu):
    import pty

    ids = [f"t{i}" for i in range(5)]
    for c in ids:
        emu.add_certificate(c)
    primary, secondary = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HUAWEICLOUD_SDK_", "APIG_"))}
    env["APIG_TOKEN"] = DEFAULT_TOKEN
    proc = subprocess.Popen([sys.executable, "-m", "pyapig", "delete-certificate", *where(emu), *ids],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=secondary, env=env)
    os.close(secondary)
    seen = b""
    while True:
        try:
            chunk = os.read(primary, 4096)
        except OSError:  # the terminal closed
            break
        if not chunk:
            break
        seen += chunk
    os.close(primary)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert b"[5/5] 5 ok, 0 failed" in seen
    assert sorted(out.decode().splitlines()) == [f"deleted {c}" for c in ids]  # progress never on stdout


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
