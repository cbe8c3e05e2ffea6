"""What the OpenAPI document says each route answers: every status with the `{code, reason}` body (the
`Error` component, whose `code` is the enum of every RejectCode), the codes each status carries, and the
Retry-After header of 429 and 503. Built from the one error table (errors.STATUS), so the document and the
answers cannot drift apart; a test holds every route's answers to it (schemathesis, tests/api/test_fuzz.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, Field

from solver.domain.intake import RejectCode

from .errors import RETRY_AFTER_S, STATUS


class Error(BaseModel):
    """Every refusal and outage: a stable machine-readable code and a reason for people."""

    code: RejectCode = Field(description="stable, machine-readable; the HTTP status follows from it")
    reason: str = Field(description="for people; wording may change")


RETRY_AFTER = {"Retry-After": {"description": "seconds to wait before retrying", "schema": {"type": "integer"}}}
# Every rate-limited route may answer 429; every route that reads storage, the chain or Redis may answer 503.
LIMITED = (RejectCode.RATE_LIMITED,)
OUTAGES = (RejectCode.STORAGE_UNAVAILABLE, RejectCode.CHAIN_UNAVAILABLE, RejectCode.STATE_UNAVAILABLE)
# A route with a body: its Content-Length (malformed) and size are checked before the route runs.
BODY = (RejectCode.MALFORMED, RejectCode.BODY_TOO_LARGE)


def errors(*codes: RejectCode) -> dict[int | str, dict[str, Any]]:
    """FastAPI `responses` for routes that refuse with `codes`: one entry per status, naming its codes."""
    by_status: dict[int, list[RejectCode]] = defaultdict(list)
    for code in dict.fromkeys(codes):
        by_status[STATUS[code]].append(code)
    responses: dict[int | str, dict[str, Any]] = {}
    for status, grouped in sorted(by_status.items()):
        entry: dict[str, Any] = {"model": Error, "description": "code: " + ", ".join(c.value for c in grouped)}
        if any(c in RETRY_AFTER_S or c is RejectCode.RATE_LIMITED for c in grouped):
            entry["headers"] = RETRY_AFTER
        responses[status] = entry
    return responses


def install(app: FastAPI) -> None:
    """Serve the document without FastAPI's default 422 validation-error answers: a request the schema
    refuses is a 400 `malformed` here (declared per route), never a 422 of that shape."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            app.openapi_schema = _without_validation_errors(spec)
        return app.openapi_schema

    setattr(app, "openapi", openapi)  # noqa: B010 (FastAPI's documented way to replace the generator)


def _without_validation_errors(spec: dict[str, Any]) -> dict[str, Any]:
    for operations in spec.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.get("responses", {})
            if _refs(responses.get("422", {})) & {"HTTPValidationError"}:
                del responses["422"]
    schemas = spec.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    return spec


def _refs(response: dict[str, Any]) -> set[str]:
    content: Iterable[dict[str, Any]] = response.get("content", {}).values()
    return {str(c.get("schema", {}).get("$ref", "")).rsplit("/", 1)[-1] for c in content}
