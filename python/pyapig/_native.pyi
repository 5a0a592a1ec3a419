from datetime import datetime
from os import PathLike
from typing import Any, Literal, Optional, Union, final

from typing_extensions import Self

__all__ = ["__version__", "USER_AGENT", "Client", "Certificate", "BoundDomain", "_CancelToken", "delete_certificate", "_sign", "_error_table", "_raise_kind", "_panic_next", "_options", "Emulator"]

__version__: str
USER_AGENT: str

@final
class Client:
    """A client of APIG's delete-certificate call, with a pool of keep-alive connections.

    Give one kind of credentials: token; ak + sk (+ security_token); or user_name +
    password + domain_name (IAM tokens, obtained and renewed for you); or idp_id +
    id_token_file (federated identity: temporary keys for an OIDC ID token). Without project_id,
    it is looked up in IAM for `region` at the first call. `Client.from_env()` also finds
    credentials in the environment, the credentials file, federated identity, CCE pod identity
    or ECS metadata. `endpoints=[...]` gives several endpoints in order of preference.
    Thread-safe: share one client between threads.
    """

    def __new__(
        cls,
        endpoint: Optional[str] = None,
        project_id: Optional[str] = None,
        *,
        token: Optional[str] = None,
        ak: Optional[str] = None,
        sk: Optional[str] = None,
        security_token: Optional[str] = None,
        region: Optional[str] = None,
        timeout: Optional[float] = None,
        connect_timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        ca_file: Optional[Union[str, PathLike[str]]] = None,
        verify: bool = True,
        proxy: Optional[str] = None,
        allow_insecure_http: bool = False,
        from_env: bool = False,
        iam_endpoint: Optional[str] = None,
        metadata_endpoint: Optional[str] = None,
        user_name: Optional[str] = None,
        password: Optional[str] = None,
        domain_name: Optional[str] = None,
        endpoints: Union[list[str], tuple[str, ...], None] = None,
        idp_id: Optional[str] = None,
        id_token_file: Optional[Union[str, PathLike[str]]] = None,
        max_rate: Optional[float] = None,
    ) -> Self: ...
    @classmethod
    def from_env(cls, **kwargs: object) -> "Client": ...
    def delete_certificate(
        self,
        certificate_id: str,
        *,
        project_id: Optional[str] = None,
        missing_ok: bool = False,
        detach_domains: bool = False,
    ) -> bool:
        """True when this call deleted the certificate, False when it was already absent
        (only with missing_ok=True). detach_domains=True detaches its domains first; a
        certificate still bound raises CertificateInUseError (its `domains`)."""
    def _delete_detailed(
        self,
        certificate_id: str,
        *,
        project_id: Optional[str] = None,
        missing_ok: bool = False,
        detach_domains: bool = False,
        _token: Optional[_CancelToken] = None,
    ) -> tuple[bool, int, Optional[str], int]: ...
    def list_certificates(
        self,
        *,
        project_id: Optional[str] = None,
        instance_id: Optional[str] = None,
        name: Optional[str] = None,
        common_name: Optional[str] = None,
    ) -> list[Certificate]:
        """Every certificate of the project: one listing per gateway, global ones once, paged."""
    def certificate_domains(self, certificate_id: str, *, project_id: Optional[str] = None) -> list[BoundDomain]:
        """The domain names the certificate is bound to (each once per gateway), paged."""
    def _gateways(self, *, project_id: Optional[str] = None) -> list[str]: ...
    def cancel(self) -> None:
        """Stops every call of this client running now (each raises CancelledError)."""
    def close(self) -> None:
        """Stops the calls running now; every later call raises CancelledError without I/O."""
    @property
    def closed(self) -> bool: ...
    def __enter__(self) -> "Client": ...
    def __exit__(self, *exc: object) -> bool: ...
    @property
    def endpoint(self) -> str: ...
    @property
    def endpoints(self) -> list[str]: ...
    @property
    def current_endpoint(self) -> str: ...
    @property
    def project_id(self) -> Optional[str]: ...
    @property
    def rate_limit(self) -> dict[str, Any]:
        """{"rate": requests/s or None while unlimited, "throttled": int, "paused_for": seconds}."""

@final
class Certificate:
    """A certificate of a listing. Immutable; never holds the PEM or key."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def common_name(self) -> str: ...
    @property
    def san(self) -> tuple[str, ...]: ...
    @property
    def type(self) -> Literal["global", "instance"]: ...
    @property
    def instance_id(self) -> Optional[str]: ...
    @property
    def not_after(self) -> datetime: ...
    @property
    def not_after_timestamp(self) -> int: ...
    @property
    def signature_algorithm(self) -> str: ...
    @property
    def algorithm_type(self) -> Optional[str]: ...
    @property
    def expired(self) -> bool: ...

@final
class BoundDomain:
    """A domain name a certificate is bound to. Immutable."""

    @property
    def domain(self) -> str: ...
    @property
    def domain_id(self) -> str: ...
    @property
    def instance_id(self) -> str: ...
    @property
    def group_id(self) -> str: ...
    @property
    def group_name(self) -> str: ...

@final
class _CancelToken:
    def __new__(cls) -> Self: ...
    def cancel(self) -> None: ...

def delete_certificate(
    certificate_id: str,
    *,
    project_id: str,
    endpoint: str,
    token: str,
    timeout: Optional[float] = None,
    missing_ok: bool = False,
    ca_file: Optional[Union[str, PathLike[str]]] = None,
) -> bool: ...
def _sign(
    ak: str, sk: str, method: str, path: str, query: list[tuple[str, str]], headers: list[tuple[str, str]]
) -> str: ...
# Test hooks: only in the wheel the tests build (feature test-hooks), never in a release wheel.
def _error_table() -> list[tuple[str, str, int]]: ...
def _raise_kind(kind: str, message: str, status_code: Optional[int] = None) -> None: ...
def _panic_next(name: str) -> None: ...
def _options() -> list[tuple[str, str, str]]: ...

@final
class Emulator:
    def __new__(
        cls,
        *,
        idle_close: Optional[float] = None,
        tls_cert: Optional[Union[str, PathLike[str]]] = None,
        tls_key: Optional[Union[str, PathLike[str]]] = None,
        record: bool = True,
        threads: Optional[int] = None,
        addr: Optional[str] = None,
    ) -> Self: ...
    @property
    def url(self) -> str: ...
    def add_certificate(self, project_id: str, certificate_id: str, bound_to: list[str] = ...) -> None: ...
    def certificates(self, project_id: str) -> list[str]: ...
    def add_token(self, token: str) -> None: ...
    def add_key(self, ak: str, sk: str) -> None: ...
    def add_rule_json(self, rule: str) -> None: ...
    def clear_rules(self) -> None: ...
    def set_clock_offset(self, seconds: int) -> None: ...
    def requests_json(self) -> str: ...
    def control(self, method: str, path: str, body: str = ...) -> str: ...
    def clear_requests(self) -> None: ...
    def stop(self) -> None: ...
