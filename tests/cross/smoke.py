"""The x86_64 wheel's smoke scenario for a wheel of another platform, run by that platform's
CPython (under qemu-aarch64, or a musl build) against an emulator running natively (the
emulator inside the wheel is not used: tokio's runtime does not run under qemu-user).

The emulator holds the certificates c1, c2 and bound (bound to www.example.com), and accepts
its default token and access key pair.
Usage: python smoke.py ENDPOINT PROJECT_ID
"""

import platform
import sys
import sysconfig

import pyapig

endpoint, project = sys.argv[1:3]
client = pyapig.Client(endpoint=endpoint, project_id=project, token="emulator-token")

listed = sorted(c.id for c in client.list_certificates())
assert listed == ["bound", "c1", "c2"], listed

assert client.delete_certificate("c1") is True
try:
    client.delete_certificate("c1")
except pyapig.NotFoundError as e:
    assert e.status_code == 404, e
else:
    raise AssertionError("a second delete of c1 did not raise NotFoundError")
assert client.delete_certificate("c1", missing_ok=True) is False

try:
    client.delete_certificate("bound")
except pyapig.CertificateInUseError as e:
    assert e.status_code == 403 and e.domains == ("www.example.com",), e
else:
    raise AssertionError("a bound certificate was deleted")

# AK/SK signing (SDK-HMAC-SHA256) computed on this platform, checked by the emulator.
signed = pyapig.Client(endpoint=endpoint, project_id=project, ak="EMULATORAK0000000001",
                       sk="emulator-secret-key-0000000000000001")
assert signed.delete_certificate("c2") is True

listed = [c.id for c in client.list_certificates()]
assert listed == ["bound"], listed
# The platform the interpreter was built for, e.g. aarch64-pc-linux-musl (3.11's SOABI says
# linux-gnu on musl too).
host = sysconfig.get_config_var("HOST_GNU_TYPE")
print(f"cross smoke: pyapig {pyapig.__version__} from {pyapig.__file__} on {platform.machine()} "
      f"({host}), Python {sys.version.split()[0]}: ok")
