"""The exception hierarchy of pyapig.

Every class derives from ApigError; errors that carry an HTTP answer derive from
APIStatusError. Each instance keeps everything the server said, and pickles with it.
The mapping from the library's error kinds to these classes lives in one place
(src/python/errors.rs); the C status numbers are the same as in apig.h.
"""

from __future__ import annotations

# `typing` costs ~15 ms to import (re, enum, collections…); annotations here are never
# evaluated at run time, so it is imported for type checkers only.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional, Sequence


def _rebuild(cls: type[ApigError], message: str, fields: dict[str, Any]) -> ApigError:
    return cls(message, **fields)


class ApigError(Exception):
    """Base class of every error raised by pyapig."""

    #: The C status number of this class (apig_status in apig.h).
    code: int = 2

    def __init__(
        self,
        message: str,
        *,
        code: Optional[int] = None,
        status_code: Optional[int] = None,
        error_code: Optional[str] = None,
        error_msg: Optional[str] = None,
        request_id: Optional[str] = None,
        body: Optional[str] = None,
        attempts: int = 0,
        throttled: int = 0,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.status_code = status_code
        self.error_code = error_code
        self.error_msg = error_msg
        self.request_id = request_id
        self.body = body
        self.attempts = attempts
        #: Throttling answers (429, 503 with Retry-After) the call met, each retried at the
        #: client's rate until its deadline.
        self.throttled = throttled

    def _fields(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "status_code": self.status_code,
            "error_code": self.error_code,
            "error_msg": self.error_msg,
            "request_id": self.request_id,
            "body": self.body,
            "attempts": self.attempts,
            "throttled": self.throttled,
        }

    def __reduce__(self) -> Any:
        return (_rebuild, (type(self), self.message, self._fields()))

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        parts = [repr(self.message)]
        for name in ("status_code", "error_code", "request_id"):
            value = getattr(self, name)
            if value is not None:
                parts.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(parts)})"


class InvalidArgumentError(ApigError, ValueError):
    """A bad argument, refused before any I/O."""

    code = 1


class InternalError(ApigError):
    """A bug in pyapig (including a caught panic). Please report it."""

    code = 2


class APIConnectionError(ApigError, ConnectionError):
    """The connection could not be made or was lost (DNS, refused, reset)."""

    code = 3


class APITimeoutError(APIConnectionError, TimeoutError):
    """The connect timeout or the call's deadline passed."""

    code = 4


class TLSError(APIConnectionError):
    """TLS failed (handshake, certificate verification)."""

    code = 5


class APIResponseError(ApigError):
    """The answer was unusable: oversized, malformed, or a redirect (never followed)."""

    code = 6


class APIStatusError(ApigError):
    """The server answered with a non-2xx status; base of the per-status classes."""

    code = 14


class BadRequestError(APIStatusError):
    """HTTP 400."""

    code = 7


class AuthenticationError(APIStatusError):
    """HTTP 401: the token or signature was refused."""

    code = 8


class PermissionDeniedError(APIStatusError):
    """HTTP 403: no permission (a certificate still bound to domain names raises
    CertificateInUseError, a subclass)."""

    code = 9


class CertificateInUseError(PermissionDeniedError):
    """HTTP 403 because the certificate is still bound to domain names: `domains` lists them
    (a tuple of str), as APIG's attached-domains call answered after the refusal. Delete with
    detach_domains=True, or detach them first."""

    code = 17

    def __init__(self, message: str, *, domains: Sequence[str] = (), **fields: Any) -> None:
        super().__init__(message, **fields)
        self.domains: tuple[str, ...] = tuple(domains)

    def _fields(self) -> dict[str, Any]:
        return {**super()._fields(), "domains": self.domains}

    def __repr__(self) -> str:
        return f"{super().__repr__()[:-1]}, domains={self.domains!r})"


class NotFoundError(APIStatusError):
    """HTTP 404: the certificate does not exist."""

    code = 10


class ConflictError(APIStatusError):
    """HTTP 409."""

    code = 11


class RateLimitError(APIStatusError):
    """HTTP 429 (after the retries allowed by the deadline)."""

    code = 12


class InternalServerError(APIStatusError):
    """HTTP 5xx."""

    code = 13


class CancelledError(ApigError):
    """The call was stopped while it waited, by Client.cancel() (or an AsyncClient task's
    cancellation). Ctrl-C raises KeyboardInterrupt instead, as everywhere in Python."""

    code = 15


class CredentialsError(ApigError):
    """Credentials or the project id could not be obtained: no source was found, or IAM, the
    ECS metadata service or CCE pod identity refused or failed. status_code, error_code,
    error_msg and request_id are that service's (named in the message), never APIG's: nothing
    is said about the certificate, and missing_ok never turns this into success."""

    code = 16
