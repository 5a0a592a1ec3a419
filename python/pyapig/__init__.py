"""pyapig: delete SSL certificates from Huawei Cloud API Gateway (APIG).

    import pyapig
    client = pyapig.Client(region="cn-north-4", project_id="...", token="...")
    client.delete_certificate("b6f9b7e2c4b14e5e8a1f0c3d2e1f0a9b", missing_ok=True)  # -> bool

    async with pyapig.AsyncClient(region="cn-north-4", token="...") as client:
        await client.delete_certificate("b6f9b7e2c4b14e5e8a1f0c3d2e1f0a9b")

Every error is a pyapig.ApigError; see the README for the table of classes.
"""

from ._exceptions import (
    APIConnectionError,
    APIResponseError,
    APIStatusError,
    APITimeoutError,
    ApigError,
    AuthenticationError,
    BadRequestError,
    CancelledError,
    CertificateInUseError,
    ConflictError,
    CredentialsError,
    InternalError,
    InternalServerError,
    InvalidArgumentError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    TLSError,
)
from ._native import BoundDomain, Certificate, Client, __version__, delete_certificate

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ._async import AsyncClient


def __getattr__(name: str) -> object:
    # asyncio takes ~10 ms to import: only programs that use AsyncClient pay for it.
    if name == "AsyncClient":
        from ._async import AsyncClient

        return AsyncClient
    raise AttributeError(f"module 'pyapig' has no attribute {name!r}")


__all__ = [
    "Client",
    "AsyncClient",
    "Certificate",
    "BoundDomain",
    "delete_certificate",
    "__version__",
    "ApigError",
    "InvalidArgumentError",
    "InternalError",
    "APIConnectionError",
    "APITimeoutError",
    "TLSError",
    "APIResponseError",
    "APIStatusError",
    "BadRequestError",
    "AuthenticationError",
    "PermissionDeniedError",
    "CertificateInUseError",
    "NotFoundError",
    "ConflictError",
    "RateLimitError",
    "InternalServerError",
    "CancelledError",
    "CredentialsError",
]
