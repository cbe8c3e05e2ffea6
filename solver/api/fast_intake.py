"""The lean path of `POST /v1/intents`: well-formed bodies skip FastAPI's request and response machinery.

Intake is the venue's hottest route (a thousand intents a second on one worker), and FastAPI's per-request
work (routing, dependency solving, pydantic validation of the body, serialization of the answer) cost more
CPU than the checks themselves. This ASGI middleware, placed inside the rate/size limits, reads the body,
parses it with orjson and accepts it only if it has exactly the shape `IntentBody` documents with its
canonical JSON types (strings as strings, integers as integers, booleans as booleans, no unknown or
snake_case keys): such a body means the same to pydantic, so the intent goes through the very same
conversion (`dto.intent_of`) and service call (`IntakeService.submit`: every check, the durable insert)
and gets the same answer bytes. Anything else (not JSON, another content type, other types, which pydantic
refuses: the route reads bodies strictly, as the document types them; a body too large) is handed to the
FastAPI route unchanged, body replayed, so every refusal keeps its exact status, code and reason. The route
stays registered: OpenAPI documents it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from solver.domain.lifecycle import ReportedStatus
from solver.services.intake import IntakeService, QuoteCitation

from .dto import IntentBody, intent_of, quote_id_of
from .errors import rejection_of, rejection_response

PATH = "/v1/intents"
# The body's keys by JSON type, as IntentBody declares them (a unit test holds the two together).
STRINGS = ("settlement", "owner", "sellToken", "buyToken", "receiver", "sellAmount", "buyAmount", "nonce",
           "appData", "signature", "quoteId")  # fmt: skip
INTEGERS = ("chainId", "validTo")
BOOLEANS = ("partiallyFillable",)
LITERALS = {"kind": ("sell", "buy"), "signingScheme": ("eip712", "eip1271")}
_FIELDS = IntentBody.model_fields
DEFAULTS = {f.alias or name: f.default for name, f in _FIELDS.items() if not f.is_required()}
REQUIRED = frozenset(f.alias or name for name, f in _FIELDS.items() if f.is_required())
_JSON = b"application/json"
_STATUS = {status: status.value.encode() for status in ReportedStatus}

Cite = Callable[[bytes | None], QuoteCitation | None]


class FastIntake:
    """ASGI middleware: serves well-formed `POST /v1/intents` itself, passes everything else to `app`."""

    def __init__(self, app: ASGIApp, intake: IntakeService, cite: Cite) -> None:
        self.app, self.intake, self.cite = app, intake, cite

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        try:
            body = await _read_body(receive, messages)
        except Exception as exc:  # e.g. BodyTooLarge: the route meets it again, and answers it as it answers that
            await self.app(scope, _replay(messages, receive, exc), send)
            return
        fields = parse(body) if body is not None and _is_json(scope) else None
        if fields is None:
            await self.app(scope, _replay(messages, receive), send)
            return
        await self._submit(fields, scope, receive, send)

    async def _submit(self, fields: dict[str, Any], scope: Scope, receive: Receive, send: Send) -> None:
        try:
            intent, signature, scheme = intent_of(
                fields["owner"], fields["sellToken"], fields["buyToken"], fields["receiver"], fields["sellAmount"],
                fields["buyAmount"], fields["validTo"], fields["nonce"], fields["kind"], fields["partiallyFillable"],
                fields["appData"], fields["signingScheme"], fields["signature"],
            )  # fmt: skip
            quote = self.cite(quote_id_of(fields["quoteId"]))
            accepted = await self.intake.submit(
                intent, signature, scheme, fields["chainId"], fields["settlement"], quote
            )
        except Exception as exc:  # a refusal or an outage, answered as the route answers it; else a bug
            rejected = rejection_of(exc)
            if rejected is None:
                raise
            await rejection_response(rejected)(scope, receive, send)
            return
        # IntentAccepted as FastAPI serializes it (a test holds the two paths' bytes equal).
        answer = b'{"id":"0x' + accepted.intent_id.hex().encode() + b'","status":"' + _STATUS[accepted.status] + b'"}'
        headers = [(b"content-length", str(len(answer)).encode()), (b"content-type", _JSON)]
        await send({"type": "http.response.start", "status": 201 if accepted.created else 200, "headers": headers})
        await send({"type": "http.response.body", "body": answer})


def parse(body: bytes) -> dict[str, Any] | None:
    """The body's fields, defaults filled in, if it is an IntentBody in canonical JSON types; else None."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if type(data) is not dict or not data.keys() >= REQUIRED:
        return None
    fields = {**DEFAULTS, **data}
    if len(fields) != len(DEFAULTS) + len(REQUIRED):  # an unknown (or snake_case) key
        return None
    for key in STRINGS:
        if type(fields[key]) is not str and not (key == "quoteId" and fields[key] is None):
            return None
    for key in INTEGERS:
        if type(fields[key]) is not int:
            return None
    for key in BOOLEANS:
        if type(fields[key]) is not bool:
            return None
    for key, allowed in LITERALS.items():
        if fields[key] not in allowed:
            return None
    return fields


def _is_json(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"content-type":
            return bool(value.split(b";", 1)[0].strip().lower() == _JSON)
    return False


async def _read_body(receive: Receive, messages: list[Message]) -> bytes | None:
    """The whole request body (None if the client went away first); every message read is kept in `messages`."""
    chunks = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(messages: list[Message], receive: Receive, error: Exception | None = None) -> Receive:
    """A receive that gives `messages` again, then raises `error` if reading failed, then reads on."""
    pending = deque(messages)

    async def replay() -> Message:
        if pending:
            return pending.popleft()
        if error is not None:
            raise error
        return await receive()

    return replay
