"""The HTTP API: intake, reads, cancellation, health and metrics. Routes map DTO -> service -> DTO."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from solver.domain.intake import RejectCode, Rejected
from solver.domain.primitives import address
from solver.observe import REGISTRY
from solver.services.intake import IntakeService

from .dto import HEX, CancelBody, IntentBody, IntentView
from .errors import on_invalid_request, on_rejected, rejection_response
from .limits import BodyTooLarge, Limits


def create_app(
    intake: IntakeService,
    ready: Callable[[], Awaitable[bool]],
    max_body_bytes: int = 16_384,
    rate_per_s: float = 50.0,
    burst: int = 100,
) -> FastAPI:
    app = FastAPI(
        title="Intent venue",
        version="1",
        description="Post EIP-712 signed intents; solvers compete for them in batch auctions (docs/protocol.md).",
    )
    app.add_exception_handler(Rejected, on_rejected)
    app.add_exception_handler(RequestValidationError, on_invalid_request)
    app.add_exception_handler(BodyTooLarge, _on_body_too_large)
    app.add_middleware(Limits, max_body=max_body_bytes, rate=rate_per_s, burst=burst)

    @app.post("/v1/intents", status_code=201, responses={200: {"description": "already accepted"}})
    async def post_intent(body: IntentBody, response: Response) -> dict[str, str]:
        intent, signature, scheme = body.to_domain()
        accepted = await intake.submit(intent, signature, scheme, body.chain_id, body.settlement)
        if not accepted.created:
            response.status_code = 200
        return {"id": "0x" + accepted.intent_id.hex()}

    @app.get("/v1/intents/{intent_id}")
    async def get_intent(intent_id: str) -> IntentView:
        stored = await intake.get(_intent_id(intent_id))
        return IntentView.from_domain(stored.record)

    @app.get("/v1/intents")
    async def intents_by_owner(owner: str = Query(description="0x address")) -> list[IntentView]:
        return [IntentView.from_domain(s.record) for s in await intake.by_owner(_address(owner))]

    @app.post("/v1/intents/{intent_id}/cancel")
    async def cancel_intent(intent_id: str, body: CancelBody) -> IntentView:
        stored = await intake.cancel(_intent_id(intent_id), body.signature_bytes())
        return IntentView.from_domain(stored.record)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        ok = await ready()
        return JSONResponse({"ready": ok}, status_code=200 if ok else 503)

    @app.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    return app


def _intent_id(text: str) -> bytes:
    if not HEX.fullmatch(text) or len(text) != 66:
        raise Rejected(RejectCode.MALFORMED, "an intent id is 0x followed by 64 hex digits")
    return bytes.fromhex(text[2:])


def _address(text: str) -> str:
    try:
        return address(text)
    except ValueError as exc:
        raise Rejected(RejectCode.MALFORMED, str(exc)) from exc


async def _on_body_too_large(request: Request, exc: Exception) -> JSONResponse:
    return rejection_response(Rejected(RejectCode.BODY_TOO_LARGE, str(exc)))
