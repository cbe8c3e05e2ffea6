"""HTTP edge cases at the venue's gate: bodies without a Content-Length (chunked) past the cap get a 413
`{code, reason}` on both intake paths and every POST route; a malformed Content-Length (non-numeric,
negative, several) is a 400 `malformed`; nothing is stored and nothing answers 500.

Two levels: the ASGI app driven with hand-built messages (what any ASGI server may hand it), and a real
uvicorn with raw bytes on the socket (whose own HTTP parser refuses a malformed Content-Length before the
app sees it: a plain-text 400, never a 500).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI

from solver.adapters.storage.memory import MemoryStorage
from solver.api.app import create_app
from solver.domain.intake import IntakePolicy
from solver.domain.quoting import PoolSnapshot
from solver.services.intake import IntakeService
from solver.services.quotes import QuoteService

from .serving import raw_exchange, running_uvicorn
from .test_intake_api import ALICE, DOMAIN, NOW, USDC, WETH, FixedOwnerStates, an_intent, body_for

MAX_BODY = 4_096
CANCEL = "/v1/intents/0x" + "00" * 32 + "/cancel"


@dataclass
class Answer:
    status: int
    headers: dict[bytes, bytes]
    body: bytes = b""
    messages: list[dict[str, Any]] = field(default_factory=list)

    def json(self) -> Any:
        return json.loads(self.body)


async def asgi(app: FastAPI, method: str, path: str, headers: list[tuple[bytes, bytes]], chunks: list[bytes]) -> Answer:
    """One request through the ASGI app: `chunks` as successive http.request messages."""
    pending = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1} for i, c in enumerate(chunks)]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return pending.pop(0) if pending else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "", "headers": headers,
        "client": ("127.0.0.1", 50_000), "server": ("venue", 80),
    }  # fmt: skip
    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return Answer(start["status"], dict(start["headers"]), body, sent)


@dataclass
class Venue:
    app: FastAPI
    storage: MemoryStorage

    def stored(self) -> int:
        return len(asyncio.run(self.storage.intents.by_owner(ALICE.address)))


@pytest.fixture
def venue() -> Iterator[Venue]:
    storage = MemoryStorage()
    policy = IntakePolicy(DOMAIN, frozenset({WETH, USDC}))
    intake = IntakeService(storage.intents, FixedOwnerStates(), policy, clock=lambda: float(NOW))

    async def liquidity() -> PoolSnapshot:
        return PoolSnapshot(1, ())

    async def ready() -> bool:
        return True

    quotes = QuoteService(liquidity, policy.supported_tokens, store=storage.quotes, book=storage.quote_book)
    app = create_app(intake, ready, MAX_BODY, rate_per_s=1000, burst=1000, quotes=quotes, fills=storage.fills)
    yield Venue(app, storage)


JSON = (b"content-type", b"application/json")
TEXT_JSON = (b"content-type", b"text/json")  # not application/json: the lean path leaves it to the route
CHUNKED = (b"transfer-encoding", b"chunked")
# Every POST route, with the content types that send an intent to the lean path and to the route.
POSTS = [("/v1/intents", JSON), ("/v1/intents", TEXT_JSON), ("/v1/quote", JSON), (CANCEL, JSON)]
POST_IDS = ["intents lean", "intents route", "quote", "cancel"]


def padded_intent(size: int) -> bytes:
    """A valid intent's JSON padded with whitespace (still valid JSON) to `size` bytes."""
    raw = json.dumps(body_for(an_intent())).encode()
    return raw + b" " * (size - len(raw))


@pytest.mark.parametrize(("path", "content_type"), POSTS, ids=POST_IDS)
def test_a_chunked_body_past_the_cap_is_a_413_on_every_post_route(venue: Venue, path: str, content_type: Any) -> None:
    body = padded_intent(3 * MAX_BODY)
    chunks = [body[i : i + 1_000] for i in range(0, len(body), 1_000)]
    answer = asyncio.run(asgi(venue.app, "POST", path, [content_type, CHUNKED], chunks))
    assert (answer.status, answer.json()["code"]) == (413, "body_too_large"), answer.body
    assert answer.json()["reason"] == f"request bodies are limited to {MAX_BODY} bytes"
    assert venue.stored() == 0


def test_a_chunked_body_within_the_cap_is_served_on_both_intake_paths(venue: Venue) -> None:
    lean_body = padded_intent(MAX_BODY)
    lean = asyncio.run(asgi(venue.app, "POST", "/v1/intents", [JSON, CHUNKED], [lean_body[:100], lean_body[100:]]))
    assert lean.status == 201, lean.body
    route = asyncio.run(asgi(venue.app, "POST", "/v1/intents", [TEXT_JSON, CHUNKED], [lean_body]))
    assert (route.status, route.json()["code"]) == (400, "malformed")  # the route reads JSON bodies only
    assert venue.stored() == 1


@pytest.mark.parametrize(("path", "content_type"), POSTS, ids=POST_IDS)
def test_a_body_longer_than_its_content_length_is_a_413(venue: Venue, path: str, content_type: Any) -> None:
    body = padded_intent(2 * MAX_BODY)
    headers = [content_type, (b"content-length", b"1000")]  # the client lies: more bytes follow
    answer = asyncio.run(asgi(venue.app, "POST", path, headers, [body[:1_000], body[1_000:]]))
    assert (answer.status, answer.json()["code"]) == (413, "body_too_large"), answer.body
    assert venue.stored() == 0


MALFORMED_LENGTHS: list[tuple[str, list[bytes]]] = [
    ("non-numeric", [b"abc"]),
    ("negative", [b"-1"]),
    ("signed", [b"+12"]),
    ("fractional", [b"12.0"]),
    ("empty", [b""]),
    ("hexadecimal", [b"0x10"]),
    ("absurdly long", [b"9" * 40]),
    ("several, equal", [b"10", b"10"]),
    ("several, different", [b"10", b"12"]),
]


@pytest.mark.parametrize(("name", "values"), MALFORMED_LENGTHS, ids=[m[0] for m in MALFORMED_LENGTHS])
@pytest.mark.parametrize(("path", "content_type"), POSTS, ids=POST_IDS)
def test_a_malformed_content_length_is_a_400_malformed(
    venue: Venue, path: str, content_type: Any, name: str, values: list[bytes]
) -> None:
    headers = [content_type, *((b"content-length", v) for v in values)]
    answer = asyncio.run(asgi(venue.app, "POST", path, headers, [padded_intent(1_200)]))
    assert (answer.status, answer.json()["code"]) == (400, "malformed"), answer.body
    assert "Content-Length" in answer.json()["reason"]
    assert venue.stored() == 0


def test_a_declared_length_past_the_cap_is_refused_before_the_body_is_read(venue: Venue) -> None:
    headers = [JSON, (b"content-length", str(MAX_BODY + 1).encode())]
    answer = asyncio.run(asgi(venue.app, "POST", "/v1/intents", headers, [b"x" * (MAX_BODY + 1)]))
    assert (answer.status, answer.json()["code"]) == (413, "body_too_large")


def test_over_the_wire_chunked_past_the_cap_is_a_413_and_a_bad_length_never_a_500(venue: Venue) -> None:
    async def scenario() -> None:
        async with running_uvicorn(venue.app) as url:
            for content_type in (b"application/json", b"text/json"):
                body = padded_intent(3 * MAX_BODY)
                chunked = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in (body[:5_000], body[5_000:])) + b"0\r\n\r\n"
                answer = await raw_exchange(url, _request(content_type, b"Transfer-Encoding: chunked\r\n", chunked))
                head, _, payload = answer.partition(b"\r\n\r\n")
                assert head.startswith(b"HTTP/1.1 413 ")
                assert json.loads(payload)["code"] == "body_too_large"
            for length in (b"abc", b"-1", b"10\r\nContent-Length: 12"):
                answer = await raw_exchange(url, _request(b"application/json", b"Content-Length: " + length + b"\r\n"))
                assert answer.startswith(b"HTTP/1.1 400 "), answer  # uvicorn's own parser refuses it
                assert b"Traceback" not in answer

    asyncio.run(scenario())
    assert venue.stored() == 0


def _request(content_type: bytes, framing: bytes, body: bytes = b"{}") -> bytes:
    return (
        b"POST /v1/intents HTTP/1.1\r\nHost: venue\r\nConnection: close\r\nContent-Type: " + content_type + b"\r\n"
        + framing + b"\r\n" + body
    )  # fmt: skip
