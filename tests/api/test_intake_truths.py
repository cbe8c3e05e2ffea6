"""What intake and the intent reads tell wallets, over HTTP (ASGI) on both intake paths: an owner cannot
commit more than it holds or approved across its live intents, nor keep more than the cap of live intents;
the same intent again answers its status, and a cancelled one says so; a partly filled intent reads
`partially_filled` with its fills, filled and remaining amounts in every read, the cancel answer included.

Both paths: a canonical body sent as application/json takes the lean path; the same body sent as another
JSON media type (application/venue+json) goes through the FastAPI route. Their answers must be byte for byte
the same.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import httpx
import pytest

from solver.adapters.storage.memory import MemoryStorage
from solver.api.app import create_app
from solver.domain.fills import Attribution
from solver.domain.intake import IntakePolicy
from solver.domain.intent import Intent, cancel_digest
from solver.domain.lifecycle import IntentStatus
from solver.domain.records import FillRecord
from solver.services.intake import IntakeService

from .test_intake_api import ALICE, DOMAIN, NOW, USDC, WETH, FixedOwnerStates, an_intent, body_for

ETH = 10**18
PATHS = ["lean", "route"]


@dataclass
class Venue:
    client: httpx.AsyncClient
    storage: MemoryStorage
    states: FixedOwnerStates

    def post(self, intent: Intent, path: str = "lean", **overrides: Any) -> httpx.Response:
        body = json.dumps(body_for(intent, **overrides))
        media = "application/venue+json" if path == "route" else "application/json"  # JSON to the route only
        return self.call("POST", "/v1/intents", content=body, headers={"content-type": media})

    def call(self, method: str, path: str, **kw: Any) -> httpx.Response:
        return asyncio.run(self.client.request(method, path, **kw))

    def cancel(self, intent_id: str) -> httpx.Response:
        digest = cancel_digest(DOMAIN, bytes.fromhex(intent_id[2:]))
        signature = "0x" + bytes(ALICE.account.unsafe_sign_hash(digest).signature).hex()
        return self.call("POST", f"/v1/intents/{intent_id}/cancel", json={"signature": signature})


@pytest.fixture
def venue() -> Iterator[Venue]:
    storage, states = MemoryStorage(), FixedOwnerStates(balance=3 * ETH)
    policy = IntakePolicy(DOMAIN, frozenset({WETH, USDC}))
    intake = IntakeService(storage.intents, states, policy, clock=lambda: float(NOW), max_live=4)

    async def ready() -> bool:
        return True

    app = create_app(intake, ready, rate_per_s=1000, burst=1000, fills=storage.fills)
    yield Venue(httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://venue"), storage, states)


def selling(nonce: int, amount: int = ETH, **kw: Any) -> Intent:
    return an_intent(nonce=nonce, sell_amount=amount, **kw)


@pytest.mark.parametrize("path", PATHS)
def test_an_owner_cannot_commit_more_than_it_holds_across_its_intents(venue: Venue, path: str) -> None:
    accepted = [venue.post(selling(n), path) for n in range(3)]
    assert [r.status_code for r in accepted] == [201, 201, 201]
    over = venue.post(selling(3, amount=1), path)
    assert (over.status_code, over.json()["code"]) == (422, "insufficient_balance")
    assert "still need 3000000000000000000" in over.json()["reason"]  # names what is committed
    assert len(asyncio.run(venue.storage.intents.by_owner(ALICE.address))) == 3
    venue.states.balance, venue.states.allowance = 10 * ETH, 3 * ETH
    capped = venue.post(selling(3, amount=1), path)
    assert (capped.status_code, capped.json()["code"]) == (422, "insufficient_allowance")


def test_both_paths_refuse_an_over_commitment_with_the_same_bytes(venue: Venue) -> None:
    venue.post(selling(0, amount=3 * ETH))
    lean, route = venue.post(selling(1, amount=1), "lean"), venue.post(selling(1, amount=1), "route")
    assert (lean.status_code, lean.content) == (route.status_code, route.content) and lean.status_code == 422


def test_a_cancelled_intent_frees_its_commitment(venue: Venue) -> None:
    first = venue.post(selling(0, amount=3 * ETH)).json()["id"]
    assert venue.post(selling(1)).status_code == 422
    assert venue.cancel(first).status_code == 200
    assert venue.post(selling(1)).status_code == 201


@pytest.mark.parametrize("path", PATHS)
def test_an_owner_keeps_at_most_the_cap_of_live_intents(venue: Venue, path: str) -> None:
    venue.states.balance = 100 * ETH
    assert [venue.post(selling(n), path).status_code for n in range(4)] == [201] * 4
    over = venue.post(selling(4), path)
    assert (over.status_code, over.json()["code"]) == (422, "too_many_intents")
    assert "4 live intents" in over.json()["reason"]


def test_concurrent_intents_of_one_owner_never_both_pass_on_the_same_balance(venue: Venue) -> None:
    async def burst() -> list[httpx.Response]:
        bodies = [body_for(selling(n, amount=2 * ETH)) for n in range(6)]
        return await asyncio.gather(*(venue.client.post("/v1/intents", json=b) for b in bodies))

    codes = sorted(r.status_code for r in asyncio.run(burst()))
    assert codes == [201] + [422] * 5


@pytest.mark.parametrize("path", PATHS)
def test_the_same_intent_again_answers_its_id_and_current_status(venue: Venue, path: str) -> None:
    first = venue.post(selling(0), path)
    assert (first.status_code, first.json()) == (201, {"id": first.json()["id"], "status": "open"})
    stored = asyncio.run(venue.storage.intents.get(bytes.fromhex(first.json()["id"][2:])))
    assert stored is not None
    asyncio.run(venue.storage.intents.set_status(stored.record.intent_id, IntentStatus.IN_AUCTION, stored.version))
    again = venue.post(selling(0), path)
    assert (again.status_code, again.json()) == (200, {"id": first.json()["id"], "status": "in_auction"})


def test_both_paths_answer_a_repeat_with_the_same_bytes(venue: Venue) -> None:
    venue.post(selling(0))
    lean, route = venue.post(selling(0), "lean"), venue.post(selling(0), "route")
    assert (lean.status_code, lean.content) == (route.status_code, route.content) and lean.status_code == 200
    assert lean.headers["content-type"] == route.headers["content-type"] == "application/json"


@pytest.mark.parametrize("path", PATHS)
def test_a_cancelled_intent_posted_again_is_refused_with_its_own_code(venue: Venue, path: str) -> None:
    intent_id = venue.post(selling(0), path).json()["id"]
    assert venue.cancel(intent_id).json()["status"] == "cancelled"
    again = venue.post(selling(0), path)
    assert (again.status_code, again.json()["code"]) == (409, "intent_cancelled")
    assert "sign a new intent with another nonce" in again.json()["reason"]
    venue.states.balance = 0  # the chain no longer funds it: the answer is the same (the repeat is looked up)
    assert venue.post(selling(0), path).content == again.content


def test_both_paths_refuse_a_cancelled_repeat_with_the_same_bytes(venue: Venue) -> None:
    venue.cancel(venue.post(selling(0)).json()["id"])
    lean, route = venue.post(selling(0), "lean"), venue.post(selling(0), "route")
    assert (lean.status_code, lean.content) == (route.status_code, route.content) and lean.status_code == 409


def _fill(intent_id: bytes, executed_sell: int, n: int) -> FillRecord:
    bought = executed_sell * 3_000 * 10**6 // ETH  # all of it matched with another user
    return FillRecord(
        intent_id=intent_id, auction_id=n, solver="0x" + "50" * 20, tx_hash=bytes([n]) * 32, block_number=100 + n,
        owner=ALICE.address, sell_token=WETH, buy_token=USDC, kind=an_intent().kind, executed_sell=executed_sell,
        executed_buy=bought, clearing_price=Fraction(3_000 * 10**6, ETH),
        limit_price=Fraction(3_000 * 10**6, ETH), reference_price=Fraction(3_000 * 10**6, ETH), surplus=0,
        surplus_value=0, volume_value=executed_sell * 3_000, slippage_bps=None,
        attribution=Attribution(cow=bought, inventory=0, amm={}), gas_used=50_000, gas_cost=10**14, settled_at=NOW + n,
    )  # fmt: skip


def _partly_filled(venue: Venue, intent_id: str, executed: int) -> None:
    """What accounting does for a partially fillable intent a settlement filled in part: back to OPEN."""
    key = bytes.fromhex(intent_id[2:])
    s = asyncio.run(venue.storage.intents.get(key))
    assert s is not None
    for status in (IntentStatus.IN_AUCTION, IntentStatus.WON, IntentStatus.SETTLING):
        s = asyncio.run(venue.storage.intents.set_status(key, status, s.version))
    s = asyncio.run(venue.storage.intents.record_fill(key, executed, s.version))
    asyncio.run(venue.storage.intents.set_status(key, IntentStatus.OPEN, s.version))
    asyncio.run(venue.storage.fills.add(_fill(key, executed, 1)))


def test_a_partly_filled_intent_reads_partially_filled_with_its_fills_everywhere(venue: Venue) -> None:
    intent_id = venue.post(selling(0, amount=2 * ETH, partially_fillable=True)).json()["id"]
    other = venue.post(selling(1, amount=ETH // 2)).json()["id"]
    _partly_filled(venue, intent_id, ETH // 4)
    one = venue.call("GET", f"/v1/intents/{intent_id}").json()
    assert (one["status"], one["filled"], one["remaining"]) == ("partially_filled", str(ETH // 4), str(7 * ETH // 4))
    assert [f["executedSell"] for f in one["fills"]] == [str(ETH // 4)]
    listed = {v["id"]: v for v in venue.call("GET", "/v1/intents", params={"owner": ALICE.address}).json()}
    assert listed[intent_id] == one
    assert (listed[other]["status"], listed[other]["fills"], listed[other]["remaining"]) == ("open", [], str(ETH // 2))
    again = venue.post(selling(0, amount=2 * ETH, partially_fillable=True))
    assert (again.status_code, again.json()["status"]) == (200, "partially_filled")
    cancelled = venue.cancel(intent_id)
    assert cancelled.status_code == 200
    assert cancelled.json() == {**one, "status": "cancelled"}  # the cancel answer carries the fills too


def test_a_partly_filled_intent_commits_only_its_remainder(venue: Venue) -> None:
    intent_id = venue.post(selling(0, amount=3 * ETH, partially_fillable=True)).json()["id"]
    _partly_filled(venue, intent_id, ETH)
    venue.states.balance = 2 * ETH  # the chain paid out 1 WETH of the 3
    assert venue.post(selling(1, amount=1)).json()["code"] == "insufficient_balance"
    venue.states.balance = 3 * ETH
    assert venue.post(selling(1, amount=ETH)).status_code == 201


def test_the_lean_answer_is_what_the_route_documents(venue: Venue) -> None:
    spec = venue.call("GET", "/openapi.json").json()
    accepted = spec["components"]["schemas"]["IntentAccepted"]
    body = venue.post(selling(0)).json()
    assert set(body) == set(accepted["properties"]) == set(accepted["required"])
    assert body["status"] in spec["components"]["schemas"]["ReportedStatus"]["enum"]
