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
from os import PathLike
from typing import Any, Optional, Union

from ._native import Client, _CancelToken

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
        max_concurrency: int = 64,
    ) -> None:
        if isinstance(max_concurrency, bool) or not isinstance(max_concurrency, int):
            raise TypeError(f"AsyncClient() argument 'max_concurrency' must be int, not {type(max_concurrency).__name__}")
        if not 1 <= max_concurrency <= 1024:
            raise ValueError("AsyncClient() argument 'max_concurrency' must be 1..1024")
        self._client = Client(
            endpoint, project_id, token=token, ak=ak, sk=sk, security_token=security_token, region=region,
            timeout=timeout, connect_timeout=connect_timeout, max_retries=max_retries, ca_file=ca_file,
            verify=verify, proxy=proxy, allow_insecure_http=allow_insecure_http, from_env=from_env,
            iam_endpoint=iam_endpoint, metadata_endpoint=metadata_endpoint, user_name=user_name,
            password=password, domain_name=domain_name,
        )
        self._pool: Optional[ThreadPoolExecutor] = ThreadPoolExecutor(
            max_workers=max_concurrency, thread_name_prefix="pyapig"
        )

    @classmethod
    def from_env(cls, **options: Any) -> "AsyncClient":
        """As Client.from_env: credentials from the environment, the credentials file, CCE pod
        identity or ECS metadata; keyword arguments win."""
        return cls(from_env=True, **options)

    @property
    def endpoint(self) -> str:
        return self._client.endpoint

    @property
    def project_id(self) -> Optional[str]:
        return self._client.project_id

    async def delete_certificate(
        self, certificate_id: str, *, project_id: Optional[str] = None, missing_ok: bool = False
    ) -> bool:
        """True when this call deleted the certificate, False when it was already absent (only
        with missing_ok=True); raises a pyapig.ApigError subclass on failure."""
        if self._pool is None:
            raise RuntimeError("the AsyncClient is closed")
        token = _CancelToken()
        call = functools.partial(
            self._client._delete_detailed, certificate_id, project_id=project_id, missing_ok=missing_ok, _token=token
        )
        future = asyncio.get_running_loop().run_in_executor(self._pool, call)
        try:
            deleted, _, _ = await future
        except asyncio.CancelledError:
            token.cancel()  # the worker stops within ~50 ms; nobody waits for it here
            raise
        return deleted

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
