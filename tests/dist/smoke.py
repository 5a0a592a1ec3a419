"""What a user does first after `pip install pyapig-….whl`: import it, start the emulator that
ships in the wheel, delete a certificate, and see the errors they will handle."""

import sys

import pyapig
from pyapig.testing import Emulator

with Emulator() as emu:
    emu.add_certificate("c1")
    emu.add_certificate("bound", bound_to=["www.example.com"])
    client = emu.client()
    client.delete_certificate("c1")
    assert emu.certificates() == ["bound"], emu.certificates()
    try:
        client.delete_certificate("bound")
    except pyapig.CertificateInUseError as e:  # a PermissionDeniedError that says to what
        assert e.status_code == 403 and e.domains == ("www.example.com",), e
    else:
        raise AssertionError("a bound certificate was deleted")
    # The identity services ship too: password auth with project discovery.
    emu.add_certificate("c2")
    pyapig.Client(endpoint=emu.url, region="cn-north-4", iam_endpoint=emu.url, user_name="emulator-user",
                  password="emulator-password", domain_name="emulator-domain").delete_certificate("c2")
print(f"smoke: pyapig {pyapig.__version__} from {pyapig.__file__} on Python {sys.version.split()[0]}: ok")
