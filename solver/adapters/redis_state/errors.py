"""Redis errors, translated where they enter: a Redis that is down or times out is `StateUnavailable`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from redis.exceptions import RedisError

from solver.ports import StateUnavailable


@contextmanager
def translated(what: str) -> Iterator[None]:
    """Run a Redis command block; a RedisError (refused, reset, timed out, read-only replica...) leaves it
    as StateUnavailable naming `what`."""
    try:
        yield
    except RedisError as exc:
        raise StateUnavailable(f"redis {what}: {type(exc).__name__}: {exc}") from exc
