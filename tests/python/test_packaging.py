"""The wheel as users get it: abi3, the crate's version, checked stubs, a fresh install."""

import glob
import os
import re
import subprocess
import sys
import venv
import zipfile

import pytest

import pyapig

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def cargo_version():
    with open(os.path.join(ROOT, "Cargo.toml"), encoding="utf-8") as f:
        return re.search(r'^version = "([^"]+)"', f.read(), re.M).group(1)


def the_wheel():
    wheels = glob.glob(os.path.join(ROOT, "target", "wheels", "pyapig-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def test_version_is_the_crate_version():
    assert pyapig.__version__ == cargo_version()


def test_one_abi3_wheel_with_the_package_and_no_tests():
    wheel = the_wheel()
    assert re.fullmatch(rf"pyapig-{re.escape(cargo_version())}-cp39-abi3-manylinux_\d+_\d+_x86_64\.whl",
                        os.path.basename(wheel))
    names = zipfile.ZipFile(wheel).namelist()
    for needed in ["pyapig/__init__.py", "pyapig/_exceptions.py", "pyapig/testing.py", "pyapig/py.typed",
                   "pyapig/_native.pyi", "pyapig/__main__.py", "pyapig/_cli.py"]:
        assert needed in names
    assert any(re.fullmatch(r"pyapig/_native\.abi3\.so", n) for n in names)
    assert not any(n.startswith("tests/") for n in names)
    entry_points = [n for n in names if n.endswith("entry_points.txt")]
    text = zipfile.ZipFile(wheel).read(entry_points[0]).decode().replace(" ", "")
    assert "pyapig=pyapig.__main__:main" in text


def test_stubs_match_the_runtime():
    r = subprocess.run([sys.executable, "-m", "mypy.stubtest", "pyapig"], capture_output=True, text=True, cwd="/")
    assert r.returncode == 0, r.stdout + r.stderr


def test_the_typed_example_passes_mypy_strict():
    r = subprocess.run([sys.executable, "-m", "mypy", "--strict", os.path.join(ROOT, "examples", "typed_example.py")],
                       capture_output=True, text=True, cwd="/")
    assert r.returncode == 0, r.stdout + r.stderr


def test_the_package_itself_passes_mypy_strict():
    r = subprocess.run([sys.executable, "-m", "mypy", "--strict", "-p", "pyapig"], capture_output=True, text=True,
                       cwd="/")
    assert r.returncode == 0, r.stdout + r.stderr


def test_installs_into_a_fresh_virtualenv_without_rust(tmp_path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = str(env_dir / "bin" / "python")
    # No cargo, no rustc on PATH: installing a wheel must not need them.
    clean = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    r = subprocess.run([python, "-m", "pip", "install", "--no-index", "--no-deps", "--quiet", the_wheel()],
                       capture_output=True, text=True, env=clean)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([python, "-c", "import pyapig, pyapig.testing; print(pyapig.__version__)"],
                       capture_output=True, text=True, env=clean, cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == cargo_version()
    r = subprocess.run([str(env_dir / "bin" / "pyapig"), "--version"], capture_output=True, text=True, env=clean)
    assert r.stdout.strip() == f"pyapig {cargo_version()}"
    assert list((tmp_path).iterdir()) == [env_dir], "nothing may be written to the home directory"


@pytest.mark.parametrize("module", ["pyapig", "pyapig.testing"])
def test_import_writes_nothing_and_starts_no_thread(module, tmp_path):
    code = f"import threading, {module}; print(threading.active_count())"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}, cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "1"
    assert list(tmp_path.iterdir()) == []
