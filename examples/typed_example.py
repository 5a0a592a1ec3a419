"""A typed use of pyapig; `mypy --strict` checks it against the package's stubs."""

from __future__ import annotations

import asyncio

import pyapig


def delete_all(client: pyapig.Client, ids: list[str]) -> dict[str, str]:
    outcome: dict[str, str] = {}
    for cert_id in ids:
        try:
            deleted: bool = client.delete_certificate(cert_id, missing_ok=True)
            outcome[cert_id] = "deleted" if deleted else "already absent"
        except pyapig.PermissionDeniedError as e:
            code: str | None = e.error_code
            outcome[cert_id] = f"refused ({code})"
        except pyapig.ApigError as e:
            status: int | None = e.status_code
            outcome[cert_id] = f"failed ({e.code}, HTTP {status})"
    return outcome


async def delete_concurrently(ids: list[str]) -> list[bool]:
    async with pyapig.AsyncClient(region="cn-north-4", user_name="ops-bot", password="…", domain_name="acme",
                                  max_concurrency=16) as client:
        return await asyncio.gather(*(client.delete_certificate(i, missing_ok=True) for i in ids))


def main() -> None:
    client = pyapig.Client.from_env(region="cn-north-4", timeout=30.0, max_retries=3)
    print(delete_all(client, ["b6f9b7e2c4b14e5e8a1f0c3d2e1f0a9b"]))
    gone: bool = pyapig.delete_certificate("c1", project_id="p", endpoint="https://apig.example.com", token="t",
                                           timeout=5.0)
    print(gone, asyncio.run(delete_concurrently(["c2", "c3"])))


if __name__ == "__main__":
    main()
