"""A small async JSON-RPC client over one aiohttp session: single calls and batches, errors translated.

Whatever goes wrong on the way is one of two typed errors (both `solver.ports.ChainUnavailable`): the node
did not answer or answered something that is not a JSON-RPC reply (`RpcUnavailable`), or it answered a
call with an error object (`RpcError`).
"""

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
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:  # ValueError: the body is not JSON
            raise RpcUnavailable(f"{len(calls)} call(s) to {self.url}: {exc}") from exc
        if isinstance(replies, dict) and isinstance(replies.get("error"), dict):  # the whole batch refused
            error = replies["error"]
            raise RpcError("batch", int(error.get("code", 0)), str(error.get("message", "")), error.get("data"))
        by_id = {r.get("id"): r for r in replies if isinstance(r, dict)} if isinstance(replies, list) else {}
        if any(i not in by_id for i in ids):
            raise RpcUnavailable(f"{self.url} answered {len(calls)} call(s) with {str(replies)[:200]!r}")
        for i, (method, _) in zip(ids, calls, strict=True):
            error = by_id[i].get("error")
            if isinstance(error, dict):
                raise RpcError(method, int(error.get("code", 0)), str(error.get("message", "")), error.get("data"))
            if error is not None:
                raise RpcError(method, 0, str(error))
        return [by_id[i].get("result") for i in ids]
