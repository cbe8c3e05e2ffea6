"""The one table that maps domain refusals to HTTP statuses, and the error body every 4xx carries."""

from __future__ import annotations

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from solver.domain.intake import RejectCode, Rejected

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
    RejectCode.INSUFFICIENT_BALANCE: 422,
    RejectCode.INSUFFICIENT_ALLOWANCE: 422,
    RejectCode.NOT_FOUND: 404,
    RejectCode.NOT_CANCELLABLE: 409,
    RejectCode.BODY_TOO_LARGE: 413,
    RejectCode.RATE_LIMITED: 429,
    RejectCode.NO_ROUTE: 422,
    RejectCode.UNKNOWN_QUOTE: 400,
    RejectCode.QUOTE_EXPIRED: 400,
    RejectCode.QUOTE_MISMATCH: 400,
}


def error_body(code: RejectCode, reason: str) -> dict[str, str]:
    return {"code": code.value, "reason": reason}


def rejection_response(exc: Rejected) -> JSONResponse:
    return JSONResponse(error_body(exc.code, exc.reason), status_code=STATUS[exc.code])


async def on_rejected(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Rejected)
    return rejection_response(exc)


async def on_invalid_request(request: Request, exc: Exception) -> JSONResponse:
    """Schema failures (wrong types, missing fields, unknown fields, not JSON) are MALFORMED."""
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
    where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
    return rejection_response(Rejected(RejectCode.MALFORMED, f"{where or 'body'}: {first.get('msg', 'invalid')}"))
