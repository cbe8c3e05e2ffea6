"""Coalesces concurrent intake checks into one batched chain read per block.

Each accepted intent needs its owner's balance, allowance and nonce bit at the current head. Requests that
arrive while a read is in flight wait for the next batch, so under load one JSON-RPC batch (one HTTP
request) serves hundreds of intents, and the reader's per-block cache absorbs repeats.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Protocol

from solver.domain.intake import OwnerState, StateQuery


class StateReader(Protocol):
    async def block_number(self) -> int: ...

    async def read(self, block: int, queries: list[StateQuery]) -> list[OwnerState]: ...


class CoalescingOwnerStates:
    def __init__(
        self, reader: StateReader, head_ttl_s: float = 0.25, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._reader, self._head_ttl_s, self._clock = reader, head_ttl_s, clock
        self._head: tuple[float, int] = (float("-inf"), -1)  # (read at, block)
        self._pending: list[tuple[StateQuery, asyncio.Future[OwnerState]]] = []
        self._flushing: asyncio.Task[None] | None = None

    async def state(self, owner: str, token: str, nonce: int) -> OwnerState:
        """The owner's state at the current head (at most `head_ttl_s` old)."""
        future: asyncio.Future[OwnerState] = asyncio.get_running_loop().create_future()
        self._pending.append((StateQuery(owner, token, nonce), future))
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.create_task(self._flush())
        return await future

    async def head(self) -> int:
        read_at, block = self._head
        if self._clock() - read_at > self._head_ttl_s:
            block = await self._reader.block_number()
            self._head = (self._clock(), block)
        return block

    async def _flush(self) -> None:
        while self._pending:
            await asyncio.sleep(0)  # let requests that arrive in the same tick join this batch
            batch, self._pending = self._pending, []
            try:
                states = await self._reader.read(await self.head(), [q for q, _ in batch])
            except Exception as exc:  # the reader's error reaches every waiting request
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), state in zip(batch, states, strict=True):
                if not future.done():
                    future.set_result(state)
