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


def cli(*args, stdin=None, env=None, console_script=False):
    base = [shutil.which("pyapig", path=os.path.dirname(sys.executable))] if console_script else [sys.executable, "-m", "pyapig"]
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("HUAWEICLOUD_SDK_", "APIG_"))}
    full_env["HOME"] = "/nonexistent-home"
    # Never the real metadata address: a chain that gets that far finds a closed port.
    full_env["APIG_METADATA_ENDPOINT"] = "http://127.0.0.1:1"
    full_env.update(env or {})
    return subprocess.run(base + list(args), input=stdin, capture_output=True, text=True, env=full_env, timeout=60)


def where(emu):
    return ["--endpoint", emu.url, "--project-id", PROJECT, "--token", DEFAULT_TOKEN]


def test_deletes_ids_given_as_arguments(emu):
    for c in ("c1", "c2"):
        emu.add_certificate(c)
    r = cli("delete-certificate", *where(emu), "c1", "c2", console_script=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["deleted c1", "deleted c2"]
    assert r.stderr == ""  # no progress line when not on a terminal
    assert emu.certificates() == []


def test_json_output_and_exit_code_of_the_first_failure(emu):
    emu.add_certificate("ok1")
    emu.add_certificate("bound", bound_to=["www.example.com"])
    r = cli("delete-certificate", *where(emu), "--json", "ok1", "missing", "bound")
    assert r.returncode == 10  # APIG_E_NOT_FOUND, the first failure in input order
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert [row["id"] for row in rows] == ["ok1", "missing", "bound"]
    assert rows[0] == {"id": "ok1", "outcome": "deleted", "code": 0, "http_status": 204, "error_code": None,
                       "request_id": None}
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
    assert [json.loads(line)["id"] for line in r.stdout.splitlines()] == ids
    assert len(emu.requests()) == 120
    assert len({q["connection"] for q in emu.requests()}) <= 8


def test_credentials_from_the_environment(emu):
    emu.add_certificate("e1")
    env = {"HUAWEICLOUD_SDK_AK": DEFAULT_AK, "HUAWEICLOUD_SDK_SK": DEFAULT_SK, "HUAWEICLOUD_SDK_PROJECT_ID": PROJECT}
    r = cli("delete-certificate", "--endpoint", emu.url, "e1", env=env)
    assert r.returncode == 0, r.stderr
    assert emu.requests()[0]["auth"] == "aksk"
    emu.add_certificate("e2")
    r = cli("delete-certificate", "--endpoint", emu.url, "--project-id", PROJECT, "e2", env={"APIG_TOKEN": DEFAULT_TOKEN})
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
    r = cli("delete-certificate", "--endpoint", emu.url, "--project-id", PROJECT, "c1", env={"HOME": str(tmp_path)})
    assert r.returncode == 1, r.stderr
    assert "no credentials found: HUAWEICLOUD_SDK_AK not set; ~/.huaweicloud/credentials: not found; " in r.stderr
    assert "ECS metadata http://127.0.0.1:1: connection refused" in r.stderr
    assert emu.requests() == []


def test_help_is_complete():
    r = cli("delete-certificate", "--help")
    assert r.returncode == 0
    for needle in ["--missing-ok", "--json", "--jobs", "--from-file", "--region", "--endpoint", "--token", "--ak",
                   "--sk", "--security-token", "--timeout", "--ca-file", "--insecure", "--proxy",
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


def test_progress_line_on_a_terminal_only(emu):
    import pty

    ids = [f"t{i}" for i in range(5)]
    for c in ids:
        emu.add_certificate(c)
    primary, secondary = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HUAWEICLOUD_SDK_", "APIG_"))}
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
    assert out.decode().splitlines() == [f"deleted {c}" for c in ids]  # progress never on stdout


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
    assert r.returncode == 1 and "give the ids as arguments or with --from-file FILE" in r.stderr


@pytest.mark.parametrize(
    "args, env, needle",
    [
        (["--user-name", "u", "--domain-name", "d", "--password", "Flag-Secret-1"], {}, "never taken as a flag value"),
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
    r = cli("delete-certificate", *iam(emu), "c1", env=env)
    assert r.returncode == 0, r.stderr
    assert [r["path"].split("?")[0] for r in emu.requests()] == ["/v3/projects", f"/v2/{PROJECT}/apigw/certificates/c1"]


def test_agency_credentials_from_the_metadata_service(emu):
    emu.add_certificate("c1")
    r = cli("delete-certificate", "--endpoint", emu.url, "--project-id", PROJECT, "--metadata-endpoint", emu.url, "c1")
    assert r.returncode == 0, r.stderr
    assert emu.counters()["metadata_credentials"] == 1
