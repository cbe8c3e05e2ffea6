"""The HTTP API: intake, reads, cancellation, fills, quotes, health and metrics. Routes map DTO -> service -> DTO."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, FastAPI, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from solver.domain.intake import RejectCode, Rejected
from solver.domain.primitives import UINT256_MAX, address
from solver.domain.records import FillFilter
from solver.observe import REGISTRY
from solver.ports import AuctionLog, FillLog
from solver.services.intake import IntakeService
from solver.services.quotes import Citation, QuoteService, no_quotes

from .auction_dto import AuctionView
from .dto import HEX, CancelBody, IntentBody, IntentView
from .errors import on_invalid_request, on_rejected, rejection_response
from .fast_intake import FastIntake
from .fill_dto import FillSummaryView, FillView, fill_filter
from .limits import BodyTooLarge, Limits
from .quote_dto import QuoteBody, QuoteView


def create_app(
    intake: IntakeService,
    ready: Callable[[], Awaitable[bool]],
    max_body_bytes: int = 16_384,
    rate_per_s: float = 50.0,
    burst: int = 100,
    *,
    fills: FillLog | None = None,
    quotes: QuoteService | None = None,
    auctions: AuctionLog | None = None,
) -> FastAPI:
    """The app; the fill reads (and fills in intent reads) need `fills`, the quote endpoint `quotes`, the
    round records `auctions`."""
    app = FastAPI(
        title="Intent venue",
        version="1",
        description="Post EIP-712 signed intents; solvers compete for them in batch auctions (docs/protocol.md).",
    )
    app.add_exception_handler(Rejected, on_rejected)
    app.add_exception_handler(RequestValidationError, on_invalid_request)
    app.add_exception_handler(BodyTooLarge, _on_body_too_large)
    # Inside the limits: well-formed intents take the lean path, the rest the documented route below.
    app.add_middleware(FastIntake, intake=intake, cite=lambda quote_id: _citation(quotes, quote_id))
    app.add_middleware(Limits, max_body=max_body_bytes, rate=rate_per_s, burst=burst)

    @app.post("/v1/intents", status_code=201, responses={200: {"description": "already accepted"}})
    async def post_intent(body: IntentBody, response: Response) -> dict[str, str]:
        intent, signature, scheme = body.to_domain()
        quote = _citation(quotes, body.quote_id_bytes())
        accepted = await intake.submit(intent, signature, scheme, body.chain_id, body.settlement, quote)
        if not accepted.created:
            response.status_code = 200
        return {"id": "0x" + accepted.intent_id.hex()}

    @app.get("/v1/intents/{intent_id}")
    async def get_intent(intent_id: str) -> IntentView:
        key = _intent_id(intent_id)
        stored = await intake.get(key)
        settled = None if fills is None else await fills.fills(FillFilter(intent_id=key))
        return IntentView.from_domain(stored.record, settled)

    @app.get("/v1/intents")
    async def intents_by_owner(owner: str = Query(description="0x address")) -> list[IntentView]:
        return [IntentView.from_domain(s.record) for s in await intake.by_owner(_address(owner))]

    @app.post("/v1/intents/{intent_id}/cancel")
    async def cancel_intent(intent_id: str, body: CancelBody) -> IntentView:
        stored = await intake.cancel(_intent_id(intent_id), body.signature_bytes())
        return IntentView.from_domain(stored.record)

    if fills is not None:
        _fill_routes(app, fills)
    if auctions is not None:
        _auction_routes(app, auctions)
    if quotes is not None:
        _quote_routes(app, quotes)

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


def _fill_query(
    intent_id: Annotated[str | None, Query(alias="intentId", description="0x intent id")] = None,
    owner: Annotated[str | None, Query(description="0x address")] = None,
    auction_id: Annotated[int | None, Query(alias="auctionId", ge=0)] = None,
    since: Annotated[float | None, Query(description="unix seconds, inclusive")] = None,
    until: Annotated[float | None, Query(description="unix seconds, exclusive")] = None,
) -> FillFilter:
    return fill_filter(intent_id, owner, auction_id, since, until)


def _fill_routes(app: FastAPI, log: FillLog) -> None:
    @app.get("/v1/fills")
    async def list_fills(query: Annotated[FillFilter, Depends(_fill_query)]) -> list[FillView]:
        return [FillView.from_domain(f) for f in await log.fills(query)]

    @app.get("/v1/fills/summary")
    async def fill_summary(query: Annotated[FillFilter, Depends(_fill_query)]) -> FillSummaryView:
        return FillSummaryView.from_domain(await log.summary(query))


def _auction_routes(app: FastAPI, log: AuctionLog) -> None:
    @app.get("/v1/auctions/{auction_id}")
    async def get_auction(auction_id: Annotated[int, Path(ge=0, le=UINT256_MAX)]) -> AuctionView:
        """One round as recorded: the orders offered, each bid with the venue's score or discard reason,
        and the settlement transactions."""
        record = await log.auction(auction_id)
        if record is None:
            raise Rejected(RejectCode.NOT_FOUND, f"no auction {auction_id}")
        return AuctionView.from_domain(record, await log.bids(auction_id), await log.settlements(auction_id))


def _quote_routes(app: FastAPI, quotes: QuoteService) -> None:
    @app.post("/v1/quote")
    async def post_quote(body: QuoteBody) -> QuoteView:
        return QuoteView.from_domain(*await quotes.quote(body.to_domain()))


def _citation(quotes: QuoteService | None, quote_id: bytes | None) -> Citation | None:
    if quote_id is None:
        return None
    return no_quotes(quote_id) if quotes is None else quotes.cite(quote_id)


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
