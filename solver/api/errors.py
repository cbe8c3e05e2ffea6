"""The one table that maps every error the API answers to an HTTP status, and the `{code, reason}` body
every 4xx and 503 carries.

Refusals are `Rejected` with a `RejectCode`. Outages are the ports' typed errors, raised by the adapters
where a library's error enters (database, chain node, Redis): each is answered 503 with a code of its own
and a `Retry-After`, never 500. Anything else is a bug and stays visible as one (a 500 and a traceback).
"""

from __future__ import annotations

import math

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.routing import Match

from solver import observe
from solver.domain.intake import RejectCode, Rejected
from solver.ports import ChainUnavailable, StateUnavailable, StorageUnavailable

STATUS: dict[RejectCode, int] = {
    RejectCode.MALFORMED: 400,
    RejectCode.INVALID_AMOUNT: 400,
    RejectCode.SAME_TOKEN: 400,
    RejectCode.WRONG_CHAIN: 400,
    RejectCode.WRONG_DOMAIN: 400,
    RejectCode.UNSUPPORTED_TOKEN: 400,
    RejectCode.EXPIRED: 400,
    RejectCode.DEADLINE_TOO_FAR: 400,
    RejectCode.INVALID_SIGNATURE: 401,
    RejectCode.MALLEABLE_SIGNATURE: 401,
    RejectCode.NONCE_USED: 409,
    RejectCode.CONFLICT: 409,
    RejectCode.INTENT_CANCELLED: 409,
    RejectCode.INSUFFICIENT_BALANCE: 422,
    RejectCode.INSUFFICIENT_ALLOWANCE: 422,
    # A state limit, not a rate: retrying soon does not help until intents settle, expire or are cancelled.
    RejectCode.TOO_MANY_INTENTS: 422,
    RejectCode.NOT_FOUND: 404,
    RejectCode.METHOD_NOT_ALLOWED: 405,
    RejectCode.NOT_CANCELLABLE: 409,
    RejectCode.BODY_TOO_LARGE: 413,
    RejectCode.RATE_LIMITED: 429,
    RejectCode.NO_ROUTE: 422,
    RejectCode.UNKNOWN_QUOTE: 400,
    RejectCode.QUOTE_EXPIRED: 400,
    RejectCode.QUOTE_MISMATCH: 400,
    RejectCode.STORAGE_UNAVAILABLE: 503,
    RejectCode.CHAIN_UNAVAILABLE: 503,
    RejectCode.STATE_UNAVAILABLE: 503,
}

# Outage -> its code and what the client is told (the detail, which may name hosts, goes to the log only).
OUTAGES: dict[type[Exception], tuple[RejectCode, str]] = {
    StorageUnavailable: (RejectCode.STORAGE_UNAVAILABLE, "the venue's database is unavailable; retry shortly"),
    ChainUnavailable: (RejectCode.CHAIN_UNAVAILABLE, "the venue cannot read the chain right now; retry shortly"),
    StateUnavailable: (RejectCode.STATE_UNAVAILABLE, "the venue's shared state is unavailable; retry shortly"),
}
OUTAGE_TYPES = tuple(OUTAGES)
# Seconds a client should wait before retrying an outage (Retry-After); a rate limit computes its own.
RETRY_AFTER_S: dict[RejectCode, float] = {code: 2.0 for code, _ in OUTAGES.values()}
# Framework refusals (unknown path, wrong method, unreadable body) by status; other 4xx are MALFORMED.
_HTTP_CODES = {404: RejectCode.NOT_FOUND, 405: RejectCode.METHOD_NOT_ALLOWED}


def error_body(code: RejectCode, reason: str) -> dict[str, str]:
    return {"code": code.value, "reason": reason}


def rejection_of(exc: BaseException) -> Rejected | None:
    """The refusal `exc` is answered with: itself, or its outage's code; None for anything else (a bug)."""
    if isinstance(exc, Rejected):
        return exc
    for kind, (code, reason) in OUTAGES.items():
        if isinstance(exc, kind):
            observe.outage(code.value, f"{type(exc).__name__}: {exc}")
            return Rejected(code, reason)
    return None


def rejection_response(
    exc: Rejected, retry_after_s: float | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    wait = retry_after_s if retry_after_s is not None else RETRY_AFTER_S.get(exc.code)
    extra = dict(headers or {})
    if wait is not None:
        extra["retry-after"] = str(max(1, math.ceil(wait)))  # whole seconds (RFC 9110), at least 1
    return JSONResponse(error_body(exc.code, exc.reason), status_code=STATUS[exc.code], headers=extra or None)


async def on_error(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's handler for Rejected and every outage type."""
    rejected = rejection_of(exc)
    if rejected is None:  # registered only for the types above
        raise exc
    return rejection_response(rejected)


async def on_invalid_request(request: Request, exc: Exception) -> JSONResponse:
    """Schema failures (wrong types, missing fields, unknown fields, not JSON) are MALFORMED."""
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
    where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
    return rejection_response(Rejected(RejectCode.MALFORMED, f"{where or 'body'}: {first.get('msg', 'invalid')}"))


async def on_http_exception(request: Request, exc: Exception) -> JSONResponse:
    """The framework's own refusals (unknown path, method not allowed, a body it could not read) in the
    venue's `{code, reason}` shape, their headers (e.g. Allow) kept. A body whose reading failed on one of
    ours (too large, an outage) is answered as that."""
    assert isinstance(exc, HTTPException)
    cause = rejection_of(exc.__cause__) if exc.__cause__ is not None else None
    if cause is not None:
        return rejection_response(cause)
    code = _HTTP_CODES.get(exc.status_code, RejectCode.MALFORMED)
    reason = exc.detail if isinstance(exc.detail, str) else "the request cannot be served"
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers = {k: v for k, v in headers.items() if k.lower() != "allow"} | {"Allow": _allowed(request)}
    return rejection_response(Rejected(code, reason), headers=headers)


def _allowed(request: Request) -> str:
    """Every method some route serves at the request's path (the router's own 405 names the first route's
    only: POST alone for /v1/intents, which also serves GET)."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        route_methods = getattr(route, "methods", None)
        if route_methods and route.matches(request.scope)[0] is not Match.NONE:
            methods |= route_methods
    return ", ".join(sorted(methods))
