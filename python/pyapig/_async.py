"""pyapig.AsyncClient: the Client for asyncio applications.

Each call runs on a worker thread of the client's own pool (the GIL released while it waits),
so the event loop never blocks and many deletes run at once. Cancelling the awaiting task
stops its call within about 50 ms (its connection is dropped, never reused half-read) and
the task's CancelledError is raised at once.
"""

from __future__ import annotations

import asyncio
import functools
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Dict, List, Optional

from ._native import BoundDomain, Certificate, Client, _CancelToken

__all__ = ["AsyncClient"]


class AsyncClient:
    """An asyncio client of APIG's delete-certificate call: the options of pyapig.Client, plus
    `max_concurrency` (default 64), the number of calls that run at once (more wait their turn).

        async with pyapig.AsyncClient(region="cn-north-4", token=token) as client:
            deleted = await client.delete_certificate("b6f9…", missing_ok=True)
    """

    def __init__(
        self,
        endpoint: Optional[str] = None,
        project_id: Optional[str] = None,
        *,
        max_concurrency: int = 64,
        **options: Any,
    ) -> None:
        """`options`: every keyword argument of pyapig.Client (checked there, with its messages)."""
        if isinstance(max_concurrency, bool) or not isinstance(max_concurrency, int):
            raise TypeError(f"AsyncClient() argument 'max_concurrency' must be int, not {type(max_concurrency).__name__}")
        if not 1 <= max_concurrency <= 1024:
            raise ValueError("AsyncClient() argument 'max_concurrency' must be 1..1024")
        # Forwarded, never re-typed: the option list is Client's (and the core's).
        self._client = Client(endpoint, project_id, **options)
        self._pool: Optional[ThreadPoolExecutor] = ThreadPoolExecutor(
            max_workers=max_concurrency, thread_name_prefix="pyapig"
        )

    @classmethod
    def from_env(cls, **options: Any) -> "AsyncClient":
        """As Client.from_env: credentials from the environment, the credentials file, federated
        identity (HUAWEICLOUD_SDK_IDP_ID and _ID_TOKEN_FILE), CCE pod identity or ECS metadata;
        keyword arguments win."""
        return cls(from_env=True, **options)

    @property
    def endpoint(self) -> str:
        return self._client.endpoint

    @property
    def endpoints(self) -> List[str]:
        return self._client.endpoints

    @property
    def current_endpoint(self) -> str:
        return self._client.current_endpoint

    @property
    def project_id(self) -> Optional[str]:
        return self._client.project_id

    @property
    def rate_limit(self) -> Dict[str, Any]:
        """As Client.rate_limit: the sending rate shared by every call of this client."""
        return self._client.rate_limit

    async def delete_certificate(
        self,
        certificate_id: str,
        *,
        project_id: Optional[str] = None,
        missing_ok: bool = False,
        detach_domains: bool = False,
    ) -> bool:
        """True when this call deleted the certificate, False when it was already absent (only
        with missing_ok=True); with detach_domains=True, its bound domains are detached first.
        Raises a pyapig.ApigError subclass on failure (CertificateInUseError when still bound)."""
        deleted, _, _, _ = await self._run(
            self._client._delete_detailed,
            certificate_id,
            project_id=project_id,
            missing_ok=missing_ok,
            detach_domains=detach_domains,
        )
        return bool(deleted)

    async def list_certificates(
        self,
        *,
        project_id: Optional[str] = None,
        instance_id: Optional[str] = None,
        name: Optional[str] = None,
        common_name: Optional[str] = None,
    ) -> List[Certificate]:
        """As Client.list_certificates: every certificate of the project, over every gateway."""
        listed: List[Certificate] = await self._run(
            self._client.list_certificates,
            project_id=project_id,
            instance_id=instance_id,
            name=name,
            common_name=common_name,
        )
        return listed

    async def certificate_domains(self, certificate_id: str, *, project_id: Optional[str] = None) -> List[BoundDomain]:
        """As Client.certificate_domains: the domain names the certificate is bound to."""
        domains: List[BoundDomain] = await self._run(
            self._client.certificate_domains, certificate_id, project_id=project_id
        )
        return domains

    async def _run(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Runs one call of the client on the pool; cancelling the awaiting task stops it."""
        if self._pool is None:
            raise RuntimeError("the AsyncClient is closed")
        token = _CancelToken()
        call = functools.partial(method, *args, _token=token, **kwargs)
        future = asyncio.get_running_loop().run_in_executor(self._pool, call)
        try:
            return await future
        except asyncio.CancelledError:
            token.cancel()  # the worker stops within ~50 ms; nobody waits for it here
            raise

    async def aclose(self) -> None:
        """Closes the client: the calls under way stop and the calls still queued never run
        (all raise pyapig.CancelledError); then waits for the worker threads to end."""
        pool, self._pool = self._pool, None
        if pool is not None:
            # Closed first: a queued call that a worker takes from now on raises
            # pyapig.CancelledError without any I/O (so its task sees the same error as a call
            # stopped under way).
            self._client.close()
            await asyncio.get_running_loop().run_in_executor(None, functools.partial(pool.shutdown, wait=True))

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return repr(self._client).replace("pyapig.Client(", "pyapig.AsyncClient(", 1)
