"""Per-client rate limiting (token buckets) and the request-body size cap, as ASGI middleware."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from solver.domain.intake import RejectCode

from .errors import STATUS, error_body


@dataclass(slots=True)
class TokenBucket:
    """Allows `burst` requests at once and `rate` per second sustained (times in seconds)."""

    rate: float
    burst: float
    tokens: float
    updated: float

    def take(self, now: float) -> bool:
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class Limits:
    """ASGI middleware: 413 for bodies over `max_body` bytes, 429 once a client's bucket is empty."""

    def __init__(
        self, app: ASGIApp, max_body: int, rate: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.app, self.max_body, self.rate, self.burst, self.clock = app, max_body, rate, burst, clock
        self.buckets: dict[str, TokenBucket] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "DELETE"):
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("?", 0))[0]
        now = self.clock()
        bucket = self.buckets.setdefault(client, TokenBucket(self.rate, self.burst, self.burst, now))
        if not bucket.take(now):
            await _refuse(send, RejectCode.RATE_LIMITED, "too many requests from this client; retry in a second")
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and int(length) > self.max_body:
            await _refuse(send, RejectCode.BODY_TOO_LARGE, f"request bodies are limited to {self.max_body} bytes")
            return
        await self.app(scope, _capped(receive, self.max_body), send)


def _capped(receive: Receive, limit: int) -> Receive:
    """A receive that fails a chunked body once it passes `limit` bytes (no Content-Length to trust)."""
    seen = 0

    async def wrapped() -> Message:
        nonlocal seen
        message = await receive()
        seen += len(message.get("body", b""))
        if seen > limit:
            raise BodyTooLarge(limit)
        return message

    return wrapped


class BodyTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"request bodies are limited to {limit} bytes")


async def _refuse(send: Send, code: RejectCode, reason: str) -> None:
    body = json.dumps(error_body(code, reason)).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if code is RejectCode.RATE_LIMITED:
        headers.append((b"retry-after", b"1"))
    await send({"type": "http.response.start", "status": STATUS[code], "headers": headers})
    await send({"type": "http.response.body", "body": body})
