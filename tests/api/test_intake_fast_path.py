"""The lean intake path takes only bodies pydantic would read the same way, and leaves the route documented;
the route reads bodies as the document types them (strictly: no coercion) and refuses every other."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from solver.api import fast_intake
from solver.api.dto import IntentBody

from .test_intake_api import Venue, an_intent, body_for, stored, venue  # noqa: F401 (the fixture)


def raw(body: Any) -> bytes:
    return json.dumps(body).encode()


def test_the_lean_paths_field_table_is_the_documented_body() -> None:
    table = {*fast_intake.STRINGS, *fast_intake.INTEGERS, *fast_intake.BOOLEANS, *fast_intake.LITERALS}
    assert table == {f.alias or name for name, f in IntentBody.model_fields.items()}
    assert len(table) == len(fast_intake.STRINGS + fast_intake.INTEGERS + fast_intake.BOOLEANS) + 2


def test_a_canonical_body_is_read_with_the_documented_defaults() -> None:
    body = body_for(an_intent())
    for optional in ("receiver", "appData", "signingScheme", "partiallyFillable"):
        del body[optional]
    fields = fast_intake.parse(raw(body))
    assert fields is not None
    assert fields == {**fast_intake.DEFAULTS, **body}
    assert (fields["signingScheme"], fields["partiallyFillable"], fields["quoteId"]) == ("eip712", False, None)


IRREGULAR: list[tuple[str, Any]] = [
    ("numeric string for an integer", lambda b: {**b, "chainId": str(b["chainId"])}),
    ("float for an integer", lambda b: {**b, "validTo": float(b["validTo"])}),
    ("boolean for an integer", lambda b: {**b, "chainId": True}),
    ("integer for a boolean", lambda b: {**b, "partiallyFillable": 0}),
    ("number for a string", lambda b: {**b, "sellAmount": 10**18}),
    ("null for a string", lambda b: {**b, "signature": None}),
    ("unknown literal", lambda b: {**b, "kind": "SELL"}),
    ("unknown key", lambda b: {**b, "extra": 1}),
    ("snake_case key", lambda b: {("chain_id" if k == "chainId" else k): v for k, v in b.items()}),
    ("missing key", lambda b: {k: v for k, v in b.items() if k != "owner"}),
]


@pytest.mark.parametrize(("name", "mangle"), IRREGULAR, ids=[i[0] for i in IRREGULAR])
def test_a_body_pydantic_would_coerce_or_refuse_goes_to_the_route(name: str, mangle: Any) -> None:
    assert fast_intake.parse(raw(mangle(body_for(an_intent())))) is None


@pytest.mark.parametrize("body", [b"", b"{not json", b"[]", b"null", b"\xef\xbb\xbf{}", b'{"validTo": NaN}'])
def test_what_is_not_a_json_object_goes_to_the_route(body: bytes) -> None:
    assert fast_intake.parse(body) is None


def test_the_same_body_answers_the_same_on_either_path(venue: Venue) -> None:  # noqa: F811
    lean = venue.post(body_for(an_intent()))
    again = asyncio.run(
        venue.client.post("/v1/intents", content=raw(body_for(an_intent())), headers={"content-type": "text/json"})
    )  # not application/json: the route's answer (FastAPI reads no JSON from it)
    assert lean.status_code == 201 and lean.headers["content-type"] == "application/json"
    assert again.status_code == 400 and again.json()["code"] == "malformed"
    repeat = asyncio.run(venue.client.post("/v1/intents", content=raw(body_for(an_intent())),
                                           headers={"content-type": "application/venue+json"}))  # fmt: skip
    assert (repeat.status_code, repeat.content) == (200, lean.content)  # the route (a +json type is JSON to it)


@pytest.mark.parametrize(("name", "mangle"), IRREGULAR, ids=[i[0] for i in IRREGULAR])
def test_the_route_refuses_what_the_document_does_not_type_so(venue: Venue, name: str, mangle: Any) -> None:  # noqa: F811
    answer = venue.post(mangle(body_for(an_intent())))  # "31337" for chainId, 0 for false: never coerced
    assert (answer.status_code, answer.json()["code"]) == (400, "malformed"), answer.text
    assert stored(venue) == 0


def test_the_route_stays_documented_with_its_body_schema(venue: Venue) -> None:  # noqa: F811
    spec = asyncio.run(venue.client.get("/openapi.json")).json()
    post = spec["paths"]["/v1/intents"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/IntentBody")
    assert "quoteId" in spec["components"]["schemas"]["IntentBody"]["properties"]
