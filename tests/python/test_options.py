"""Every option through Python and the CLI: the values of tests/options/cases.json are refused
with the messages written there, as the Rust builder (tests/options.rs) and the C setters
(tests/c/test_options.c) refuse them: one definition of each option, in the core."""

import json
import pathlib

import pytest

import pyapig

from test_cli import cli

CASES = json.loads((pathlib.Path(__file__).parent.parent / "options" / "cases.json").read_text(encoding="utf-8"))
BASE = CASES["base"]
IDS = [f"{c['option']}={c['value']!r}" for c in CASES["cases"]]


def base_without(case):
    return {k: v for k, v in BASE.items() if k not in case.get("unset", [])}


@pytest.mark.parametrize("case", CASES["cases"], ids=IDS)
def test_python_refuses_with_the_core_message(case):
    options = {**base_without(case), case["option"]: case["value"], **case.get("with", {})}
    with pytest.raises(pyapig.InvalidArgumentError) as info:
        pyapig.Client(**options)
    assert str(info.value) == case["message"]


@pytest.mark.parametrize("case", [c for c in CASES["cases"] if c.get("cli") is not None],
                         ids=[i for c, i in zip(CASES["cases"], IDS) if c.get("cli") is not None])
def test_the_cli_refuses_with_the_core_message(case):
    base = base_without(case)
    args = []
    if "endpoint" in base:
        args += ["--endpoint", base["endpoint"]]
    args += ["--project-id", base["project_id"]]
    env = dict(case.get("env", {}))
    r = cli("delete-certificate", *args, *case["cli"], "c1", env=env, token="token" in base)
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert r.stderr == f"pyapig: error: {case['message']}\n"


def test_float_seconds_go_through_the_core_check():
    # (That TLS verification stays on when Python passes no `verify` is test_reliability's
    # test_tls_is_verified_by_default.)
    for bad in (float("nan"), float("inf"), -1.0, 0.0):
        with pytest.raises(pyapig.InvalidArgumentError, match="^timeout must be more than 0 and at most 86400 seconds$"):
            pyapig.delete_certificate("c", project_id="p", endpoint="https://apig.example.com", token="t", timeout=bad)
