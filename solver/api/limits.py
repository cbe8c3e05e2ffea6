"""The API's outer gate, as ASGI middleware: per-client rate limits, then the request-body checks.

Rate limits: every HTTP request but the probes (`EXEMPT`: /healthz, /readyz, /metrics, which orchestrators
and scrapers call on a schedule) takes a token from its client's bucket, reads (GET, HEAD, OPTIONS) from
the read bucket, everything else from the write bucket (see ratelimit.py); an empty bucket is a 429 with
Retry-After.

Bodies (every method but the reads): a Content-Length must be one non-negative decimal integer (else 400
`malformed`: several, negative or non-numeric values are refused, never guessed) of at most `max_body`
bytes (else 413 `body_too_large`, before anything is read). A body without one (chunked) is read here, up
to `max_body` bytes, before the app sees it, so an oversized one is a 413 on every route and both intake
paths alike; the app then reads it from memory. Everything is answered in the `{code, reason}` shape.
"""

from __future__ import annotations

import re
from collections import deque

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from solver.domain.intake import RejectCode, Rejected

from .errors import rejection_response
from .ratelimit import Limiter

EXEMPT = frozenset({"/healthz", "/readyz", "/metrics"})
READS = frozenset({"GET", "HEAD", "OPTIONS"})
_DIGITS = re.compile(rb"[0-9]{1,20}")  # 20 digits: far past any cap, short enough that int() is trivial


class BodyTooLarge(Rejected):
    """A body that grew past the cap while being read (the app meets it inside its own body reading)."""

    def __init__(self, limit: int) -> None:
        super().__init__(RejectCode.BODY_TOO_LARGE, f"request bodies are limited to {limit} bytes")


class Limits:
    """ASGI middleware: 429 once a client's bucket is empty, 400 for a malformed Content-Length, 413 for
    bodies over `max_body` bytes, declared or not."""

    def __init__(self, app: ASGIApp, max_body: int, writes: Limiter, reads: Limiter) -> None:
        self.app, self.max_body, self.writes, self.reads = app, max_body, writes, reads

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in EXEMPT:
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("?", 0))[0]
        read = scope["method"] in READS
        wait = await (self.reads if read else self.writes).take(client)
        if wait > 0:
            reason = "too many requests from this client; retry after the Retry-After header's seconds"
            answer = rejection_response(Rejected(RejectCode.RATE_LIMITED, reason), retry_after_s=wait)
            await answer(scope, receive, send)
            return
        if read:
            await self.app(scope, receive, send)
            return
        lengths = [value for name, value in scope["headers"] if name == b"content-length"]
        if len(lengths) > 1:
            await _refuse(scope, receive, send, RejectCode.MALFORMED, "a request has at most one Content-Length")
            return
        if lengths and not _DIGITS.fullmatch(lengths[0]):
            reason = "Content-Length must be a non-negative decimal integer"
            await _refuse(scope, receive, send, RejectCode.MALFORMED, reason)
            return
        if lengths and int(lengths[0]) > self.max_body:
            await _refuse(scope, receive, send, RejectCode.BODY_TOO_LARGE, _too_large(self.max_body))
            return
        if lengths:
            await self.app(scope, _capped(receive, self.max_body), send)
            return
        messages = await _read_capped(receive, self.max_body)
        if messages is None:
            await _refuse(scope, receive, send, RejectCode.BODY_TOO_LARGE, _too_large(self.max_body))
            return
        await self.app(scope, _replay(messages, receive), send)


def _too_large(limit: int) -> str:
    return f"request bodies are limited to {limit} bytes"


async def _refuse(scope: Scope, receive: Receive, send: Send, code: RejectCode, reason: str) -> None:
    await rejection_response(Rejected(code, reason))(scope, receive, send)


async def _read_capped(receive: Receive, limit: int) -> list[Message] | None:
    """Every message of a body sent without a Content-Length; None as soon as it passes `limit` bytes."""
    messages, seen = [], 0
    while True:
        message = await receive()
        messages.append(message)
        seen += len(message.get("body", b""))
        if seen > limit:
            return None
        if message["type"] != "http.request" or not message.get("more_body", False):
            return messages


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = deque(messages)

    async def replay() -> Message:
        return pending.popleft() if pending else await receive()

    return replay


def _capped(receive: Receive, limit: int) -> Receive:
    """A receive that fails a body once it passes `limit` bytes (a client sending more than it declared;
    HTTP servers refuse that themselves, this keeps the cap true under any server)."""
    seen = 0

    async def wrapped() -> Message:
        nonlocal seen
        message = await receive()
        seen += len(message.get("body", b""))
        if seen > limit:
            raise BodyTooLarge(limit)
        return message

    return wrapped
