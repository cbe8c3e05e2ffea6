"""The HTTP API: intake, reads, cancellation, fills, quotes, health and metrics. Routes map DTO -> service -> DTO.

Every answer but a success is `{code, reason}` from the one error table (errors.py), declared per route in
the OpenAPI document (openapi.py). Middleware, outermost first: Limits (rate limits, Content-Length, body
size), FastIntake (the lean path of well-formed intents), then FastAPI's routing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, FastAPI, Path, Query, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from solver.domain.intake import RejectCode, Rejected
from solver.domain.primitives import UINT256_MAX
from solver.domain.records import FillFilter, FillRecord, StoredIntent
from solver.observe import REGISTRY
from solver.ports import AuctionLog, FillLog
from solver.services.intake import IntakeService
from solver.services.quotes import Citation, QuoteService, no_quotes

from . import openapi
from .auction_dto import AuctionView
from .dto import CancelBody, IntentAccepted, IntentBody, IntentView
from .errors import OUTAGE_TYPES, on_error, on_http_exception, on_invalid_request
from .fast_intake import FastIntake
from .fill_dto import FillSummaryView, FillView, fill_filter
from .formats import ADDRESS, BYTES32, address_of, documented, matches
from .limits import Limits
from .openapi import BODY, LIMITED, OUTAGES, errors
from .quote_dto import QuoteBody, QuoteView
from .ratelimit import LocalLimiter, Rate, SharedBuckets, SharedLimiter

C = RejectCode
_INTAKE_REFUSALS = (
    C.MALFORMED, C.INVALID_AMOUNT, C.SAME_TOKEN, C.WRONG_CHAIN, C.WRONG_DOMAIN, C.UNSUPPORTED_TOKEN, C.EXPIRED,
    C.DEADLINE_TOO_FAR, C.UNKNOWN_QUOTE, C.QUOTE_EXPIRED, C.QUOTE_MISMATCH, C.INVALID_SIGNATURE,
    C.MALLEABLE_SIGNATURE, C.NONCE_USED, C.CONFLICT, C.INTENT_CANCELLED, C.INSUFFICIENT_BALANCE,
    C.INSUFFICIENT_ALLOWANCE, C.TOO_MANY_INTENTS, *BODY, *LIMITED, *OUTAGES,
)  # fmt: skip
_READ = (C.MALFORMED, *LIMITED, *OUTAGES)
IntentId = Annotated[str, Path(description="0x intent id", json_schema_extra=documented(BYTES32))]


class Health(BaseModel):
    status: str


class Ready(BaseModel):
    ready: bool


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
    read_rate_per_s: float = 100.0,
    read_burst: int = 200,
    rate_clients: int = 100_000,
    shared_limits: SharedBuckets | None = None,
) -> FastAPI:
    """The app; the fill reads (and fills in intent reads) need `fills`, the quote endpoint `quotes`, the
    round records `auctions`. Writes (`rate_per_s`, `burst`) and reads (`read_*`) are limited per client
    address, in this process or, with `shared_limits` (Redis), across every API process."""
    app = FastAPI(
        title="Intent venue",
        version="1",
        description="Post EIP-712 signed intents; solvers compete for them in batch auctions (docs/protocol.md). "
        "Amounts are decimal strings of token base units; every refusal is `{code, reason}` (the Error schema).",
    )
    app.add_exception_handler(Rejected, on_error)
    for outage in OUTAGE_TYPES:
        app.add_exception_handler(outage, on_error)
    app.add_exception_handler(RequestValidationError, on_invalid_request)
    app.add_exception_handler(HTTPException, on_http_exception)
    # Inside the limits: well-formed intents take the lean path, the rest the documented route below.
    app.add_middleware(FastIntake, intake=intake, cite=lambda quote_id: _citation(quotes, quote_id))
    writes, reads = _limiters(Rate(rate_per_s, burst), Rate(read_rate_per_s, read_burst), rate_clients, shared_limits)
    app.add_middleware(Limits, max_body=max_body_bytes, writes=writes, reads=reads)
    openapi.install(app)

    async def fills_of(stored: list[StoredIntent], query: FillFilter) -> dict[bytes, list[FillRecord]]:
        found: dict[bytes, list[FillRecord]] = defaultdict(list)
        if fills is not None and stored:
            for fill in await fills.fills(query):
                found[fill.intent_id].append(fill)
        return found

    async def view(stored: StoredIntent) -> IntentView:
        key = stored.record.intent_id
        return IntentView.from_domain(stored.record, (await fills_of([stored], FillFilter(intent_id=key)))[key])

    repeat = {"model": IntentAccepted, "description": "the same intent again: its id and current status"}

    @app.post("/v1/intents", status_code=201, responses={200: repeat, **errors(*_INTAKE_REFUSALS)})
    async def post_intent(body: IntentBody, response: Response) -> IntentAccepted:
        """Accept a signed intent after every check (the same answer as the lean path, byte for byte). The same
        intent again answers 200 with its current status, unless it was cancelled (409 intent_cancelled)."""
        intent, signature, scheme = body.to_domain()
        quote = _citation(quotes, body.quote_id_bytes())
        accepted = await intake.submit(intent, signature, scheme, body.chain_id, body.settlement, quote)
        if not accepted.created:
            response.status_code = 200
        return IntentAccepted(id="0x" + accepted.intent_id.hex(), status=accepted.status)

    @app.get("/v1/intents/{intent_id}", responses=errors(C.NOT_FOUND, *_READ))
    async def get_intent(intent_id: IntentId) -> IntentView:
        """The intent with its status, fill progress and settled fills."""
        return await view(await intake.get(_intent_id(intent_id)))

    @app.get("/v1/intents", responses=errors(*_READ))
    async def intents_by_owner(
        owner: Annotated[str, Query(description="0x address", json_schema_extra=documented(ADDRESS))],
    ) -> list[IntentView]:
        """The owner's intents, oldest first, each with its status, fill progress and settled fills."""
        stored = await intake.by_owner(address_of(owner, "owner"))
        by_intent = await fills_of(stored, FillFilter(owner=address_of(owner, "owner")))
        return [IntentView.from_domain(s.record, by_intent[s.record.intent_id]) for s in stored]

    @app.post(
        "/v1/intents/{intent_id}/cancel",
        responses=errors(C.NOT_FOUND, C.INVALID_SIGNATURE, C.NOT_CANCELLABLE, *BODY, *LIMITED, *OUTAGES),
    )
    async def cancel_intent(intent_id: IntentId, body: CancelBody) -> IntentView:
        """Cancel with the owner's EIP-712 CancelIntent signature; answers the cancelled intent and its fills."""
        return await view(await intake.cancel(_intent_id(intent_id), body.signature_bytes()))

    if fills is not None:
        _fill_routes(app, fills)
    if auctions is not None:
        _auction_routes(app, auctions)
    if quotes is not None:
        _quote_routes(app, quotes)

    @app.get("/healthz")
    async def healthz() -> Health:
        """The process serves (never rate-limited)."""
        return Health(status="ok")

    @app.get("/readyz", responses={503: {"model": Ready, "description": "the chain node does not answer"}})
    async def readyz() -> JSONResponse:
        """The chain node answers (never rate-limited)."""
        ok = await ready()
        return JSONResponse({"ready": ok}, status_code=200 if ok else 503)

    @app.get("/metrics", response_class=PlainTextResponse)
    async def metrics() -> Response:
        """Prometheus metrics (never rate-limited)."""
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    return app


def _limiters(
    writes: Rate, reads: Rate, clients: int, shared: SharedBuckets | None
) -> tuple[LocalLimiter | SharedLimiter, LocalLimiter | SharedLimiter]:
    local_writes, local_reads = LocalLimiter(writes, clients), LocalLimiter(reads, clients)
    if shared is None:
        return local_writes, local_reads
    return SharedLimiter(shared, "writes", local_writes), SharedLimiter(shared, "reads", local_reads)


def _fill_query(
    intent_id: Annotated[
        str | None, Query(alias="intentId", description="0x intent id", json_schema_extra=documented(BYTES32))
    ] = None,
    owner: Annotated[str | None, Query(description="0x address", json_schema_extra=documented(ADDRESS))] = None,
    auction_id: Annotated[int | None, Query(alias="auctionId", ge=0, le=UINT256_MAX)] = None,
    since: Annotated[float | None, Query(description="unix seconds, inclusive")] = None,
    until: Annotated[float | None, Query(description="unix seconds, exclusive")] = None,
) -> FillFilter:
    return fill_filter(intent_id, owner, auction_id, since, until)


def _fill_routes(app: FastAPI, log: FillLog) -> None:
    @app.get("/v1/fills", responses=errors(*_READ))
    async def list_fills(query: Annotated[FillFilter, Depends(_fill_query)]) -> list[FillView]:
        """Fills matching every filter given, oldest first."""
        return [FillView.from_domain(f) for f in await log.fills(query)]

    @app.get("/v1/fills/summary", responses=errors(*_READ))
    async def fill_summary(query: Annotated[FillFilter, Depends(_fill_query)]) -> FillSummaryView:
        """Volume, surplus, internalization and slippage over the fills matching every filter given."""
        return FillSummaryView.from_domain(await log.summary(query))


def _auction_routes(app: FastAPI, log: AuctionLog) -> None:
    @app.get("/v1/auctions/{auction_id}", responses=errors(C.NOT_FOUND, *_READ))
    async def get_auction(auction_id: Annotated[int, Path(ge=0, le=UINT256_MAX)]) -> AuctionView:
        """One round as recorded: the orders offered, each bid with the venue's score or discard reason,
        and the settlement transactions."""
        record = await log.auction(auction_id)
        if record is None:
            raise Rejected(RejectCode.NOT_FOUND, f"no auction {auction_id}")
        return AuctionView.from_domain(record, await log.bids(auction_id), await log.settlements(auction_id))


def _quote_routes(app: FastAPI, quotes: QuoteService) -> None:
    refusals = (C.MALFORMED, C.INVALID_AMOUNT, C.SAME_TOKEN, C.UNSUPPORTED_TOKEN, C.NO_ROUTE, *BODY, *LIMITED,
                *OUTAGES)  # fmt: skip

    @app.post("/v1/quote", responses=errors(*refusals))
    async def post_quote(body: QuoteBody) -> QuoteView:
        """Price a prospective intent on the best route over the current block's pools; citable for 10 minutes."""
        return QuoteView.from_domain(*await quotes.quote(body.to_domain()))


def _citation(quotes: QuoteService | None, quote_id: bytes | None) -> Citation | None:
    if quote_id is None:
        return None
    return no_quotes(quote_id) if quotes is None else quotes.cite(quote_id)


def _intent_id(text: str) -> bytes:
    if not matches(BYTES32, text):
        raise Rejected(RejectCode.MALFORMED, "an intent id is 0x followed by 64 hex digits")
    return bytes.fromhex(text[2:])
