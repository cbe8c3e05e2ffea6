"""A small async JSON-RPC client over one aiohttp session: single calls and batches, errors translated."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import aiohttp

from .rpc import RpcError, RpcUnavailable


class AsyncRpc:
    def __init__(self, url: str, session: aiohttp.ClientSession) -> None:
        self.url, self._session, self._ids = url, session, itertools.count(1)

    async def call(self, method: str, *params: Any) -> Any:
        (result,) = await self.batch([(method, list(params))])
        return result

    async def batch(self, calls: Sequence[tuple[str, list[Any]]]) -> list[Any]:
        """Results in the order of `calls`, sent as one HTTP request; the first error raises RpcError."""
        ids = [next(self._ids) for _ in calls]
        body = [{"jsonrpc": "2.0", "id": i, "method": m, "params": p} for i, (m, p) in zip(ids, calls, strict=True)]
        try:
            async with self._session.post(self.url, json=body) as response:
                replies = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise RpcUnavailable(f"{len(calls)} call(s) to {self.url}: {exc}") from exc
        by_id = {r["id"]: r for r in replies}
        for i, (method, _) in zip(ids, calls, strict=True):
            error = by_id[i].get("error")
            if error is not None:
                raise RpcError(method, int(error.get("code", 0)), str(error.get("message", "")), error.get("data"))
        return [by_id[i]["result"] for i in ids]
