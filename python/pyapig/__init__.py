"""pyapig: delete SSL certificates from Huawei Cloud API Gateway (APIG).

    import pyapig
    client = pyapig.Client(region="cn-north-4", project_id="...", token="...")
    client.delete_certificate("b6f9b7e2c4b14e5e8a1f0c3d2e1f0a9b", missing_ok=True)

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
    ConflictError,
    InternalError,
    InternalServerError,
    InvalidArgumentError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    TLSError,
)
from ._native import Client, __version__, delete_certificate

__all__ = [
    "Client",
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
    "NotFoundError",
    "ConflictError",
    "RateLimitError",
    "InternalServerError",
    "CancelledError",
]
