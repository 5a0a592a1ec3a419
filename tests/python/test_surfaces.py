"""Each fact once: the core declares the client's options (builder.rs, OPTIONS); every surface
— Python's Client, its stub, AsyncClient, the CLI and the C header — is checked against that one
list here, and a failure names the option and the surface that lacks it."""

import ast
import inspect
import os

import pytest

import pyapig
from pyapig import _native
from pyapig._cli import build_parser

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
OPTIONS = _native._options()


def client_parameters():
    return set(inspect.signature(pyapig.Client).parameters)


def stub_parameters():
    tree = ast.parse(read("python", "pyapig", "_native.pyi"))
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == "Client":
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name in ("__new__", "__init__"):
                    args = item.args
                    return {a.arg for a in args.args + args.kwonlyargs} - {"self", "cls"}
    raise AssertionError("_native.pyi has no Client constructor")


def cli_flags():
    parser = build_parser()
    flags = set()
    for action in parser._subparsers._group_actions[0].choices["delete-certificate"]._actions:  # noqa: SLF001
        flags.update(action.option_strings)
    return flags


def read(*parts):
    with open(os.path.join(ROOT, *parts), encoding="utf-8") as f:
        return f.read()


HEADER = read("include", "apig.h")


def test_the_list_is_the_core_s_and_is_not_empty():
    names = [name for name, _, _ in OPTIONS]
    assert len(names) == len(set(names)) and "endpoint" in names and "from_env" in names


@pytest.mark.parametrize("name,c,cli", OPTIONS, ids=[o[0] for o in OPTIONS])
def test_every_surface_takes_the_option(name, c, cli):
    missing = []
    if name not in client_parameters():
        missing.append("pyapig.Client (src/python/client.rs)")
    if name not in stub_parameters():
        missing.append("the stub (python/pyapig/_native.pyi)")
    if f"apig_client_options_{c}(" not in HEADER:
        missing.append(f"C (apig_client_options_{c} in include/apig.h)")
    if cli and cli not in cli_flags():
        missing.append(f"the CLI ({cli} in python/pyapig/_cli.py)")
    assert not missing, f"option {name!r} is missing from: {', '.join(missing)}"


def test_no_surface_takes_an_option_the_core_does_not_list():
    listed = {name for name, _, _ in OPTIONS}
    assert client_parameters() - listed == set(), "pyapig.Client takes options the core does not list"
    assert stub_parameters() - listed == set(), "the stub lists options the core does not list"
    setters = {line.split("apig_client_options_", 1)[1].split("(", 1)[0]
               for line in HEADER.splitlines() if line.startswith("apig_status apig_client_options_")}
    assert setters - {c for _, c, _ in OPTIONS} == set(), "C has setters the core does not list"


def test_async_client_forwards_every_option_to_client(emu):
    """AsyncClient does not re-type the options: it hands them to Client, whose checks and
    messages they meet."""
    parameters = inspect.signature(pyapig.AsyncClient).parameters
    assert any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
    with pytest.raises(pyapig.InvalidArgumentError, match="max_retries is over 100"):
        pyapig.AsyncClient(emu.url, "p1", token="t", max_retries=101)
    with pytest.raises(TypeError, match="no_such_option"):
        pyapig.AsyncClient(emu.url, "p1", token="t", no_such_option=1)


def test_none_means_not_given_for_every_option(emu):
    """As with named parameters: None leaves an option to its default (and AsyncClient, which
    forwards, behaves the same)."""
    names = [name for name, _, _ in OPTIONS if name not in ("endpoint", "project_id", "token")]
    client = pyapig.Client(emu.url, "p1", token="emulator-token", **{name: None for name in names})
    assert client.endpoint == emu.url
    pyapig.AsyncClient(emu.url, "p1", token="emulator-token", verify=None, from_env=None)
