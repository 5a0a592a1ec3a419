"""What the identity services are asked for 100 deletes, per source of credentials: pyapig side by
side with the official SDK (where it has the source), each against a fresh emulator, counted by
the emulator itself. Nothing is asserted.

    .venv/bin/python bench/identity.py [--deletes N]
"""

import argparse
import logging
import os
import sys
import tempfile

import pyapig
from pyapig.testing import (DEFAULT_AK, DEFAULT_DOMAIN, DEFAULT_PASSWORD, DEFAULT_POD_TOKEN, DEFAULT_PROJECT,
                            DEFAULT_REGION, DEFAULT_SK, DEFAULT_TOKEN, DEFAULT_USER, Emulator)

IDP, JWT = "bench-idp", "bench.jwt.token"
COLUMNS = ["iam_tokens", "iam_projects", "iam_id_tokens", "iam_security_tokens", "metadata_session_tokens",
           "metadata_credentials", "pod_credentials"]


def pyapig_source(source, emu, files):
    at = dict(endpoint=emu.url, region=DEFAULT_REGION, iam_endpoint=emu.url, metadata_endpoint=emu.url)
    if source == "token":
        return pyapig.Client(project_id=DEFAULT_PROJECT, token=DEFAULT_TOKEN, **at)
    if source == "AK/SK, project looked up":
        return pyapig.Client(ak=DEFAULT_AK, sk=DEFAULT_SK, **at)
    if source == "IAM password":
        return pyapig.Client(user_name=DEFAULT_USER, password=DEFAULT_PASSWORD, domain_name=DEFAULT_DOMAIN, **at)
    if source == "ECS metadata":
        return pyapig.Client.from_env(**at)
    if source == "CCE pod identity":
        os.environ["HC_CONTAINER_CREDENTIALS_FULL_URI"] = emu.pod_uri
        os.environ["HC_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = files["pod"]
        return pyapig.Client.from_env(**at)
    if source == "federated identity (OIDC)":
        return pyapig.Client(idp_id=IDP, id_token_file=files["jwt"], **at)
    raise ValueError(source)


def official_source(source, emu, files):
    """The official SDK's client for a source it has (None when it has not)."""
    from huaweicloudsdkapig.v2 import ApigClient
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkcore.http.http_config import HttpConfig
    from huaweicloudsdkcore.region.region import Region

    if source == "AK/SK, project looked up":
        credentials = BasicCredentials(DEFAULT_AK, DEFAULT_SK).with_iam_endpoint(emu.url)
    elif source == "federated identity (OIDC)":
        credentials = BasicCredentials().with_idp_id(IDP).with_id_token_file(files["jwt"]).with_iam_endpoint(emu.url)
    else:
        return None  # no token auth; its password, metadata and pod sources cannot be pointed at the emulator
    config = HttpConfig.get_default_config()
    return ApigClient.new_builder().with_http_config(config).with_credentials(credentials) \
        .with_region(Region(DEFAULT_REGION, emu.url)).build()


def run(make, source, deletes, files):
    for name in ("HC_CONTAINER_CREDENTIALS_FULL_URI", "HC_CONTAINER_AUTHORIZATION_TOKEN_FILE"):
        os.environ.pop(name, None)
    with Emulator() as emu:
        emu.add_idp(IDP, JWT)
        client = make(source, emu, files)
        if client is None:
            return None
        for i in range(deletes):
            emu.add_certificate(f"c{i}")
        for i in range(deletes):
            if isinstance(client, pyapig.Client):
                client.delete_certificate(f"c{i}")
            else:
                from huaweicloudsdkapig.v2 import DeleteCertificateV2Request
                client.delete_certificate_v2(DeleteCertificateV2Request(certificate_id=f"c{i}"))
        counters = emu.counters()
        left = len(emu.certificates())
    return [counters[c] for c in COLUMNS] + [deletes - left]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deletes", type=int, default=100)
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)
    home = tempfile.mkdtemp(prefix="apig-bench-home-")
    os.environ["HOME"] = home  # no credentials file; the official SDK writes into the home directory
    for name in list(os.environ):
        if name.startswith("HUAWEICLOUD_SDK_"):
            del os.environ[name]
    files = {"jwt": os.path.join(home, "jwt"), "pod": os.path.join(home, "pod-token")}
    with open(files["jwt"], "w") as f:
        f.write(JWT)
    with open(files["pod"], "w") as f:
        f.write(DEFAULT_POD_TOKEN)
    clients = [("pyapig", pyapig_source)]
    try:
        import huaweicloudsdkapig  # noqa: F401
        clients.append(("official SDK", official_source))
    except ImportError:
        print("NOTE: the official SDK is not installed: its rows are skipped", file=sys.stderr)
    print(f"Identity requests for {args.deletes} deletes with one client (a fresh emulator per row)\n")
    print("| source | client | " + " | ".join(COLUMNS) + " | deleted |")
    print("|---|---|" + "---:|" * (len(COLUMNS) + 1))
    for source in ("token", "AK/SK, project looked up", "IAM password", "ECS metadata", "CCE pod identity",
                   "federated identity (OIDC)"):
        for name, make in clients:
            row = run(make, source, args.deletes, files)
            if row is not None:
                print(f"| {source} | {name} | " + " | ".join(str(n) for n in row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
