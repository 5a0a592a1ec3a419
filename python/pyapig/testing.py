"""A local APIG emulator for tests: yours and ours.

    from pyapig.testing import Emulator

    def test_cleanup():
        with Emulator() as emu:
            emu.add_certificate("c1")
            emu.client().delete_certificate("c1")
            assert emu.certificates() == []

It serves on 127.0.0.1 (a free port) from a background thread of this process, checks
tokens and AK/SK signatures, records every request, and misbehaves on demand
(`fail`, `add_rule`): statuses with chosen bodies, delays, resets, stalls, redirects,
huge or dripping bodies.

On the same port it plays the identity services, so that password auth, project discovery,
ECS agency credentials and CCE pod identity are tested locally too:

    with Emulator() as emu:
        emu.add_certificate("c1")
        client = pyapig.Client(endpoint=emu.url, region=DEFAULT_REGION, iam_endpoint=emu.url,
                               user_name=DEFAULT_USER, password=DEFAULT_PASSWORD, domain_name=DEFAULT_DOMAIN)
        client.delete_certificate("c1")      # a token from its IAM; the project id from the token
        assert emu.counters()["iam_tokens"] == 1

IAM (`/v3/projects`, `/v3/auth/tokens`) lists DEFAULT_REGION's project DEFAULT_PROJECT and
knows DEFAULT_USER; the metadata service (`/meta-data/latest/api/token`,
`/openstack/latest/securitykey`; give `emu.url` as metadata_endpoint) and pod identity
(`emu.pod_uri`) hand out temporary keys that its APIG side accepts until they expire. Its IAM
also plays federated identity (`/v3.0/OS-AUTH/id-token/tokens`, then
`/v3.0/OS-CREDENTIAL/securitytokens`) for the identity providers registered with `add_idp`:

    emu.add_idp("cce-idp", "the-jwt")        # IAM accepts this ID token through this IdP
    client = pyapig.Client(endpoint=emu.url, region=DEFAULT_REGION, iam_endpoint=emu.url,
                           idp_id="cce-idp", id_token_file="/path/to/a/file/holding/the-jwt")
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence

from . import _native

if TYPE_CHECKING:
    from . import Client

__all__ = [
    "Emulator",
    "DEFAULT_PROJECT",
    "DEFAULT_TOKEN",
    "DEFAULT_AK",
    "DEFAULT_SK",
    "BOUND_ERROR_CODE",
    "DEFAULT_REGION",
    "DEFAULT_DOMAIN",
    "DEFAULT_USER",
    "DEFAULT_PASSWORD",
    "DEFAULT_POD_TOKEN",
]

#: The project the helpers use unless told otherwise.
DEFAULT_PROJECT = "0123456789abcdef0123456789abcdef"
#: Always accepted by the emulator.
DEFAULT_TOKEN = "emulator-token"
DEFAULT_AK = "EMULATORAK0000000001"
DEFAULT_SK = "emulator-secret-key-0000000000000001"
#: What the emulator answers (with 403) for a certificate still bound to a domain name.
BOUND_ERROR_CODE = "APIG.3474"
#: The region whose project (DEFAULT_PROJECT) the emulator's IAM lists.
DEFAULT_REGION = "cn-north-4"
#: The IAM user the emulator's IAM accepts (account, user, password).
DEFAULT_DOMAIN = "emulator-domain"
DEFAULT_USER = "emulator-user"
DEFAULT_PASSWORD = "emulator-password"
#: What the emulator's pod identity expects in Authorization.
DEFAULT_POD_TOKEN = "emulator-pod-token"


class Emulator:
    """The emulator as a context manager (or call start()/stop())."""

    def __init__(
        self,
        *,
        project_id: str = DEFAULT_PROJECT,
        idle_close: Optional[float] = None,
        tls_cert: Optional[str] = None,
        tls_key: Optional[str] = None,
        record: bool = True,
        threads: Optional[int] = None,
        addr: Optional[str] = None,
    ) -> None:
        self.project_id = project_id
        self._options: Dict[str, Any] = dict(
            idle_close=idle_close, tls_cert=tls_cert, tls_key=tls_key, record=record, threads=threads, addr=addr
        )
        self._native: Optional[_native.Emulator] = None

    def start(self) -> "Emulator":
        if self._native is None:
            self._native = _native.Emulator(**self._options)
        return self

    def stop(self) -> None:
        if self._native is not None:
            self._native.stop()
            self._native = None

    def __enter__(self) -> "Emulator":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def _emu(self) -> _native.Emulator:
        if self._native is None:
            raise RuntimeError("the emulator is not started (use `with Emulator() as emu:`)")
        return self._native

    @property
    def url(self) -> str:
        """The endpoint, e.g. http://127.0.0.1:40123."""
        return self._emu.url

    endpoint = url

    def client(self, **options: Any) -> "Client":
        """A pyapig.Client for this emulator (token auth unless credentials are given)."""
        from . import Client

        options.setdefault("endpoint", self.url)
        options.setdefault("project_id", self.project_id)
        if not any(k in options for k in ("token", "ak", "sk", "from_env", "user_name", "password")):
            options["token"] = DEFAULT_TOKEN
        return Client(**options)

    def add_certificate(
        self,
        certificate_id: str,
        *,
        project_id: Optional[str] = None,
        bound_to: Sequence[str] = (),
        **listing: Any,
    ) -> None:
        """Adds a certificate; one bound to domain names cannot be deleted (403).

        `listing`: what the certificate listing shows of it, all optional — `name`,
        `common_name`, `san` (list), `not_after` (RFC 3339), `instance_id` (its gateway: an
        `instance` certificate; absent: `global`), `signature_algorithm`, `algorithm_type` —
        and `bindings`, domains with their gateway and API group
        (`[{"domain", "instance_id", "group_id", "group_name"}]`). Bound domains are on the
        certificate's gateway, else on "emulator-gw-1"; the gateways named are added to the
        project."""
        project = project_id or self.project_id
        if not listing:
            self._emu.add_certificate(project, certificate_id, list(bound_to))
            return
        body = dict(listing, bound_to=list(bound_to))
        self._control("PUT", f"projects/{project}/certificates/{certificate_id}", body)

    def bindings(self, certificate_id: str, *, project_id: Optional[str] = None) -> List[Dict[str, str]]:
        """The domains still bound to a certificate: `domain`, `domain_id`, `instance_id`,
        `group_id`, `group_name` each."""
        bound: List[Dict[str, str]] = self._control(
            "GET", f"projects/{project_id or self.project_id}/certificates/{certificate_id}/bindings")
        return bound

    def add_gateway(self, instance_id: str, *, project_id: Optional[str] = None) -> None:
        """Adds a gateway (instance) to the project: every certificate listing names one."""
        self._control("PUT", f"projects/{project_id or self.project_id}/gateways/{instance_id}")

    def throttle(self, rate: Optional[float], *, burst: Optional[float] = None,
                 retry_after: Optional[int] = None) -> None:
        """Throttles APIG requests like a gateway: a token bucket admitting `rate` per second with
        a burst of `burst` (default: one second's worth), the rest answered 429 `APIGW.0308`,
        with `Retry-After: retry_after` when given. `throttle(None)` admits everything again."""
        if rate is None:
            self._control("DELETE", "throttle")
            return
        self._control("PUT", "throttle", {"rate": rate, "burst": burst, "retry_after": retry_after})

    def certificates(self, project_id: Optional[str] = None) -> List[str]:
        """The certificates a project still has."""
        return self._emu.certificates(project_id or self.project_id)

    def add_token(self, token: str) -> None:
        self._emu.add_token(token)

    def add_key(self, ak: str, sk: str) -> None:
        self._emu.add_key(ak, sk)

    def add_rule(self, **rule: Any) -> None:
        """Adds a fault rule (fields as in docs/emulator.md, "Fault rules": certificate_id, times, action, status,
        body, headers, delay_ms, drip_ms, body_bytes, location; path: any request whose path
        starts with it, identity services included)."""
        self._emu.add_rule_json(json.dumps(rule))

    def fail(
        self,
        status: int,
        body: Any = "",
        *,
        certificate_id: Optional[str] = None,
        times: Optional[int] = None,
        headers: Optional[Dict[str, str]] = None,
    ) -> None:
        """Answers `status` with `body` (a dict is sent as JSON, bytes as they are)."""
        rule: Dict[str, Any] = {"status": status}
        if isinstance(body, bytes):
            rule["body_hex"] = body.hex()
        else:
            rule["body"] = body if isinstance(body, str) else json.dumps(body)
        if certificate_id is not None:
            rule["certificate_id"] = certificate_id
        if times is not None:
            rule["times"] = times
        if headers:
            rule["headers"] = headers
        self.add_rule(**rule)

    def clear_rules(self) -> None:
        self._emu.clear_rules()

    def set_clock_offset(self, seconds: int) -> None:
        """Runs the emulator's clock this many seconds off the real one."""
        self._emu.set_clock_offset(seconds)

    def requests(self) -> List[Dict[str, Any]]:
        """Every API request received so far (secret header values redacted)."""
        requests: List[Dict[str, Any]] = json.loads(self._emu.requests_json())
        return requests

    def clear_requests(self) -> None:
        self._emu.clear_requests()

    # The identity services.

    def _control(self, method: str, path: str, body: Optional[Dict[str, Any]] = None) -> Any:
        return json.loads(self._emu.control(method, path, json.dumps(body) if body is not None else ""))

    @property
    def pod_uri(self) -> str:
        """What to give as HC_CONTAINER_CREDENTIALS_FULL_URI."""
        return self.url + "/pod-identity/v1/credentials"

    def counters(self) -> Dict[str, int]:
        """How often each identity service answered: iam_projects, iam_tokens,
        metadata_session_tokens, metadata_credentials, pod_credentials, iam_id_tokens,
        iam_security_tokens (federated identity's two calls); and expired_uses, how
        often an expired temporary key was used (never, with a correct client)."""
        counters: Dict[str, int] = self._control("GET", "counters")
        return counters

    def add_project(self, region: str, project_id: str) -> None:
        """IAM lists this project for the region (besides DEFAULT_REGION's DEFAULT_PROJECT)."""
        self._control("PUT", "iam/projects", {"name": region, "id": project_id})

    def clear_projects(self) -> None:
        """IAM lists no project at all."""
        self._control("DELETE", "iam/projects")

    def add_user(self, domain: str, user: str, password: str) -> None:
        """IAM accepts this user of this account (besides DEFAULT_USER)."""
        self._control("POST", "iam/users", {"domain": domain, "user": user, "password": password})

    def revoke_temporary_keys(self) -> None:
        """APIG refuses every temporary key the metadata service and pod identity issued."""
        self._control("POST", "metadata/revoke-keys")

    def revoke_tokens(self) -> None:
        """Invalidates every token IAM issued, as IAM does after a password change."""
        self._control("POST", "iam/revoke")

    def set_token_lifetime(self, seconds: float) -> None:
        """How long IAM's tokens live (default a day)."""
        self._control("PUT", "identity", {"token_lifetime_s": seconds})

    def set_credential_lifetime(self, seconds: float) -> None:
        """How long the temporary keys of the metadata service, pod identity and federated
        identity live (default an hour; federated keys at most what the client asked)."""
        self._control("PUT", "identity", {"credential_lifetime_s": seconds})

    def set_metadata_mode(self, mode: str) -> None:
        """"normal" (session tokens), "old" (a service without them), "no-agency" (the
        instance has no agency)."""
        self._control("PUT", "identity", {"metadata_mode": mode})

    def expire_metadata_sessions(self) -> None:
        """The metadata service forgets the session tokens it gave."""
        self._control("POST", "metadata/expire-sessions")

    def add_idp(self, idp_id: str, id_token: str) -> None:
        """IAM knows the identity provider `idp_id` and accepts `id_token` through it, and no
        other (calling it again for the same IdP replaces the token, as when the platform
        rotates it). An unknown IdP is answered 404, another token 401."""
        self._control("PUT", "iam/idps", {"id": idp_id, "id_token": id_token})

    def set_pod_token(self, token: str) -> None:
        """The token pod identity expects from now on (as when the platform rotates it)."""
        self._control("PUT", "identity", {"pod_token": token})
