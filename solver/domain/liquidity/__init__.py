"""Pool math in exact integers, rounding as the pools' contracts round.

Every pool kind implements `Pool`: enough for routing and pricing to treat V2 pairs and V3 pools alike.
"""

from __future__ import annotations

from typing import Protocol


class Pool(Protocol):
    """A two-token pool quoted from a snapshot of its on-chain state (no I/O)."""

    @property
    def address(self) -> str: ...

    @property
    def token0(self) -> str: ...

    @property
    def token1(self) -> str: ...

    def amount_out(self, token_in: str, amount_in: int) -> int:
        """Exact output for an exact input of `token_in`, rounded as the pool rounds (down)."""
        ...
