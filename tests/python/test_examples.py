"""examples/delete_certificate.py as a user runs it: the token from APIG_TOKEN, never argv.
(The C example runs in tests/c/run.sh and tests/dist/run.sh; typed_example.py in test_packaging.)"""

import os
import subprocess
import sys

from pyapig.testing import DEFAULT_TOKEN

from conftest import PROJECT

EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "delete_certificate.py")


def run_example(*args, token):
    env = {k: v for k, v in os.environ.items() if k != "APIG_TOKEN"}
    if token is not None:
        env["APIG_TOKEN"] = token
    return subprocess.run([sys.executable, EXAMPLE, *args], capture_output=True, text=True, env=env, timeout=60)


def test_the_python_example_deletes_with_the_token_from_the_environment(emu):
    emu.add_certificate("c1")
    emu.add_certificate("bound", bound_to=["www.example.com"])
    r = run_example(emu.url, PROJECT, "c1", "nope", "bound", token=DEFAULT_TOKEN)
    assert r.returncode == 1, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["[Python]", "c1", "deleted"]
    assert lines[1].startswith("[Python] nope") and "not found (HTTP 404, APIG.3021)" in lines[1]
    assert lines[2].startswith("[Python] bound") and "still bound to www.example.com (HTTP 403)" in lines[2]
    assert emu.certificates() == ["bound"]


def test_the_python_example_without_a_token_says_how_to_give_it(emu):
    emu.add_certificate("c1")
    r = run_example(emu.url, PROJECT, "c1", token=None)
    assert r.returncode == 2
    assert r.stderr.startswith("usage: APIG_TOKEN=... ")
    assert emu.requests() == []
