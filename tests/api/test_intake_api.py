"""The intake API over HTTP (ASGI, no sockets): every bad request gets its 4xx code and stores nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import httpx
import pytest

from solver.adapters.chain.signer import IntentSigner
from solver.adapters.storage.memory import MemoryIntentStore
from solver.api.app import create_app
from solver.domain.intake import IntakePolicy, OwnerState
from solver.domain.intent import Eip712Domain, Intent, IntentKind, cancel_digest
from solver.domain.primitives import address
from solver.domain.signature import SECP256K1_N
from solver.services.intake import IntakeService

SETTLEMENT = address("0x5FbDB2315678afecb367f032d93F642f64180aa3")
WETH, USDC, DAI = (address("0x" + c * 40) for c in ("e", "a", "d"))
DOMAIN = Eip712Domain(31337, SETTLEMENT)
NOW = 1_900_000_000
ALICE = IntentSigner.from_key("0x" + "55" * 32)


@dataclass
class FixedOwnerStates:
    """In-memory twin of the chain reader: everyone is funded unless told otherwise."""

    balance: int = 10**30
    allowance: int = 2**256 - 1
    used_nonces: set[int] = field(default_factory=set)
    reads: int = 0

    async def state(self, owner: str, token: str, nonce: int) -> OwnerState:
        self.reads += 1
        return OwnerState(1, self.balance, self.allowance, nonce in self.used_nonces)


@dataclass
class Venue:
    client: httpx.AsyncClient
    store: MemoryIntentStore
    states: FixedOwnerStates

    def post(self, body: Any, **kw: Any) -> httpx.Response:
        return asyncio.run(self.client.post("/v1/intents", json=body, **kw))


def body_for(intent: Intent, signer: IntentSigner = ALICE, **overrides: Any) -> dict[str, Any]:
    body = {
        "chainId": 31337, "settlement": SETTLEMENT, "owner": intent.owner, "sellToken": intent.sell_token,
        "buyToken": intent.buy_token, "receiver": intent.receiver, "sellAmount": str(intent.sell_amount),
        "buyAmount": str(intent.buy_amount), "validTo": intent.valid_to, "nonce": str(intent.nonce),
        "kind": intent.kind.name.lower(), "partiallyFillable": intent.partially_fillable,
        "appData": "0x" + intent.app_data.hex(), "signingScheme": "eip712",
        "signature": "0x" + signer.sign(intent, DOMAIN).hex(),
    }  # fmt: skip
    body.update(overrides)
    return body


def an_intent(**kw: Any) -> Intent:
    base = Intent(ALICE.address, WETH, USDC, 10**18, 3_000 * 10**6, NOW + 600, 7, IntentKind.SELL)
    return replace(base, **kw)


@pytest.fixture
def venue() -> Iterator[Venue]:
    store, states = MemoryIntentStore(), FixedOwnerStates()
    policy = IntakePolicy(DOMAIN, frozenset({WETH, USDC}))
    intake = IntakeService(store, states, policy, clock=lambda: float(NOW))

    async def ready() -> bool:
        return True

    app = create_app(intake, ready, rate_per_s=1000, burst=1000)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://venue")
    yield Venue(client, store, states)


def stored(venue: Venue) -> int:
    return len(asyncio.run(venue.store.by_owner(ALICE.address)))


def test_a_valid_intent_is_accepted_stored_and_readable(venue: Venue) -> None:
    response = venue.post(body_for(an_intent()))
    assert response.status_code == 201
    intent_id = response.json()["id"]
    assert intent_id == "0x" + an_intent().digest(DOMAIN).hex()
    view = asyncio.run(venue.client.get(f"/v1/intents/{intent_id}")).json()
    assert (view["status"], view["sellAmount"], view["filled"]) == ("open", str(10**18), "0")
    listed = asyncio.run(venue.client.get("/v1/intents", params={"owner": ALICE.address})).json()
    assert [v["id"] for v in listed] == [intent_id]


def test_posting_the_same_intent_again_answers_the_same_id_without_reading_the_chain(venue: Venue) -> None:
    first = venue.post(body_for(an_intent()))
    again = venue.post(body_for(an_intent()))
    venue.states.balance, venue.states.used_nonces = 0, {1}  # the owner spent everything, the nonce is used
    after_spending = venue.post(body_for(an_intent()))
    assert (again.status_code, again.json()) == (200, first.json())
    assert (after_spending.status_code, after_spending.json()) == (200, first.json())
    assert stored(venue) == 1


def test_another_intent_with_the_same_owner_and_nonce_is_a_conflict(venue: Venue) -> None:
    venue.post(body_for(an_intent()))
    response = venue.post(body_for(an_intent(buy_amount=3_100 * 10**6)))
    assert (response.status_code, response.json()["code"]) == (409, "conflict")
    assert stored(venue) == 1


def malleable(body: dict[str, Any]) -> dict[str, Any]:
    sig = bytes.fromhex(body["signature"][2:])
    s = int.from_bytes(sig[32:64], "big")
    twin = sig[:32] + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - sig[64]])
    return {**body, "signature": "0x" + twin.hex()}


BAD_REQUESTS: list[tuple[str, Any, int, str]] = [
    ("wrong type", lambda b: {**b, "validTo": "soon"}, 400, "malformed"),
    ("missing field", lambda b: {k: v for k, v in b.items() if k != "owner"}, 400, "malformed"),
    ("unknown field", lambda b: {**b, "extra": 1}, 400, "malformed"),
    ("negative amount", lambda b: {**b, "sellAmount": "-1"}, 400, "invalid_amount"),
    ("zero amount", lambda b: {**b, "buyAmount": "0"}, 400, "invalid_amount"),
    ("amount beyond uint256", lambda b: {**b, "sellAmount": str(2**256)}, 400, "invalid_amount"),
    ("amount as a JSON number", lambda b: {**b, "sellAmount": 10**18}, 400, "malformed"),
    ("wrong chain id", lambda b: {**b, "chainId": 1}, 400, "wrong_chain"),
    ("wrong domain", lambda b: {**b, "settlement": "0x" + "12" * 20}, 400, "wrong_domain"),
    ("identical tokens", lambda b: {**b, "buyToken": b["sellToken"]}, 400, "same_token"),
    ("unsupported token", lambda b: {**b, "buyToken": DAI}, 400, "unsupported_token"),
    ("expired", lambda b: {**b, "validTo": NOW - 1}, 400, "expired"),
    ("far-future deadline", lambda b: {**b, "validTo": NOW + 10**9}, 400, "deadline_too_far"),
    ("tampered field", lambda b: {**b, "buyAmount": "1"}, 401, "invalid_signature"),
    ("bad signature bytes", lambda b: {**b, "signature": "0x1234"}, 401, "invalid_signature"),
    ("non-hex signature", lambda b: {**b, "signature": "0xzz"}, 400, "malformed"),
    ("malleable signature", malleable, 401, "malleable_signature"),
]


@pytest.mark.parametrize(("name", "mangle", "status", "code"), BAD_REQUESTS, ids=[r[0] for r in BAD_REQUESTS])
def test_bad_input_gets_its_code_and_stores_nothing(
    venue: Venue, name: str, mangle: Any, status: int, code: str
) -> None:
    response = venue.post(mangle(body_for(an_intent())))
    assert (response.status_code, response.json()["code"]) == (status, code), response.json()
    assert response.json()["reason"]
    assert stored(venue) == 0


@pytest.mark.parametrize(
    ("state", "code"),
    [({"balance": 10**18 - 1}, "insufficient_balance"), ({"allowance": 0}, "insufficient_allowance"),
     ({"used_nonces": {7}}, "nonce_used")],
)  # fmt: skip
def test_an_owner_who_cannot_pay_is_refused(venue: Venue, state: dict[str, Any], code: str) -> None:
    for k, v in state.items():
        setattr(venue.states, k, v)
    response = venue.post(body_for(an_intent()))
    assert response.json()["code"] == code and response.status_code in (409, 422)
    assert stored(venue) == 0


def test_malformed_json_and_oversized_bodies_are_refused(venue: Venue) -> None:
    raw = asyncio.run(
        venue.client.post("/v1/intents", content=b"{not json", headers={"content-type": "application/json"})
    )
    assert (raw.status_code, raw.json()["code"]) == (400, "malformed")
    big = asyncio.run(
        venue.client.post("/v1/intents", content=b"x" * 20_000, headers={"content-type": "application/json"})
    )
    assert (big.status_code, big.json()["code"]) == (413, "body_too_large")
    assert stored(venue) == 0


def test_a_flood_from_one_client_is_rate_limited_with_a_clear_429() -> None:
    store, states = MemoryIntentStore(), FixedOwnerStates()
    intake = IntakeService(store, states, IntakePolicy(DOMAIN, frozenset({WETH, USDC})), clock=lambda: float(NOW))

    async def ready() -> bool:
        return True

    app = create_app(intake, ready, rate_per_s=0.001, burst=3)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://venue")
    codes = [asyncio.run(client.post("/v1/intents", json=body_for(an_intent(nonce=n)))).status_code for n in range(5)]
    assert codes == [201, 201, 201, 429, 429]
    limited = asyncio.run(client.post("/v1/intents", json=body_for(an_intent(nonce=9))))
    # Retry-After: the whole seconds until the empty bucket has a token again, 1 / (0.001 per second).
    assert limited.json()["code"] == "rate_limited" and limited.headers["retry-after"] == "1000"


def test_unknown_ids_and_bad_owner_addresses_are_client_errors(venue: Venue) -> None:
    missing = asyncio.run(venue.client.get("/v1/intents/0x" + "00" * 32))
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
    for owner in ("alice", ALICE.address[2:], "0X" + ALICE.address[2:]):  # the documented format is 0x + 40 hex
        bad = asyncio.run(venue.client.get("/v1/intents", params={"owner": owner}))
        assert (bad.status_code, bad.json()["code"]) == (400, "malformed"), owner


def test_a_method_a_path_does_not_serve_is_a_405_naming_every_method_it_does(venue: Venue) -> None:
    for path, allowed in (("/v1/intents", "GET, POST"), ("/v1/intents/0x" + "00" * 32, "GET")):
        answer = asyncio.run(venue.client.request("DELETE", path))
        assert (answer.status_code, answer.json()["code"]) == (405, "method_not_allowed")
        assert answer.headers["allow"] == allowed


def cancel(venue: Venue, intent_id: str, key: IntentSigner) -> httpx.Response:
    digest = cancel_digest(DOMAIN, bytes.fromhex(intent_id[2:]))
    signature = bytes(key.account.unsafe_sign_hash(digest).signature)
    return asyncio.run(venue.client.post(f"/v1/intents/{intent_id}/cancel", json={"signature": "0x" + signature.hex()}))


def test_the_owner_cancels_an_open_intent_with_a_signed_message_and_nobody_else_can(venue: Venue) -> None:
    intent_id = venue.post(body_for(an_intent())).json()["id"]
    mallory = cancel(venue, intent_id, IntentSigner.from_key("0x" + "66" * 32))
    assert (mallory.status_code, mallory.json()["code"]) == (401, "invalid_signature")
    done = cancel(venue, intent_id, ALICE)
    assert (done.status_code, done.json()["status"]) == (200, "cancelled")
    again = cancel(venue, intent_id, ALICE)
    assert (again.status_code, again.json()["code"]) == (409, "not_cancellable")
