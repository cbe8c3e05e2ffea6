"""Owners' commitments (IntentStore.add with a Budget): the same scenarios against the in-memory twin,
SQLite and PostgreSQL, including two stores on one database (two API processes) adding at once.

The rule (solver.domain.commitments): in the new intent's sell token, what the owner's live intents still
need plus the new intent's sell amount must fit the balance and the allowance; live = not terminal and
not past valid_to; a partially fillable intent needs its remainder's sell side, rounded up."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from solver.adapters.storage import Storage
from solver.domain.commitments import Budget
from solver.domain.intake import RejectCode, Rejected
from solver.domain.intent import IntentKind
from solver.domain.lifecycle import IntentRecord, IntentStatus
from solver.domain.primitives import UINT256_MAX
from solver.domain.records import StoredIntent
from tests.adapters.conftest import Backend
from tests.adapters.storage_builders import a_record
from tests.unit.builders import ALICE, BOB, USDC, WETH

ETH = 10**18
NOW = 1_900_000_000
VALID = NOW + 600


def budget(balance: int = 3 * ETH, allowance: int = UINT256_MAX, max_live: int = 1_000, now: int = NOW) -> Budget:
    return Budget(balance, allowance, max_live, now)


def selling(nonce: int, amount: int = ETH, valid_to: int = VALID, **kw: Any) -> IntentRecord:
    """ALICE's fill-or-kill sell of `amount` WETH units (see a_record)."""
    return a_record(nonce=nonce, sell_amount=amount, valid_to=valid_to, **kw)


async def refused(storage: Storage, record: IntentRecord, limits: Budget) -> Rejected:
    with pytest.raises(Rejected) as caught:
        await storage.intents.add(record, limits)
    assert await storage.intents.get(record.intent_id) is None
    return caught.value


async def test_an_owner_may_commit_its_balance_and_not_a_unit_more(storage: Storage) -> None:
    for nonce in range(3):
        await storage.intents.add(selling(nonce), budget())
    over = await refused(storage, selling(3, amount=1), budget())
    assert over.code is RejectCode.INSUFFICIENT_BALANCE
    assert "still need 3000000000000000000" in over.reason and "3000000000000000001 in all" in over.reason
    allowance = await refused(storage, selling(3, amount=1), budget(balance=10 * ETH, allowance=3 * ETH))
    assert allowance.code is RejectCode.INSUFFICIENT_ALLOWANCE
    assert "still need 3000000000000000000" in allowance.reason


async def test_other_tokens_and_other_owners_do_not_count(storage: Storage) -> None:
    await storage.intents.add(selling(0, amount=3 * ETH), budget())
    usdc = a_record(nonce=1, sell_token=USDC, buy_token=WETH, sell_amount=3 * ETH, valid_to=VALID)
    await storage.intents.add(usdc, budget())
    await storage.intents.add(selling(0, amount=3 * ETH, owner=BOB), budget())


async def test_terminal_and_expired_intents_no_longer_count(storage: Storage) -> None:
    first = await storage.intents.add(selling(0, amount=2 * ETH), budget())
    await storage.intents.add(selling(1, valid_to=NOW - 1), budget(now=NOW - 100))
    assert (await refused(storage, selling(2, amount=2 * ETH), budget())).code is RejectCode.INSUFFICIENT_BALANCE
    await storage.intents.set_status(first.record.intent_id, IntentStatus.CANCELLED, first.version)
    await storage.intents.add(selling(2, amount=3 * ETH), budget())


async def test_statuses_between_open_and_settled_still_count(storage: Storage) -> None:
    stored = await storage.intents.add(selling(0, amount=3 * ETH), budget())
    for status in (IntentStatus.IN_AUCTION, IntentStatus.WON, IntentStatus.SETTLING):
        stored = await storage.intents.set_status(stored.record.intent_id, status, stored.version)
        assert (await refused(storage, selling(1, amount=1), budget())).code is RejectCode.INSUFFICIENT_BALANCE


@pytest.mark.parametrize("kind", [IntentKind.SELL, IntentKind.BUY])
async def test_a_partly_filled_intent_needs_its_remainder_rounded_up(storage: Storage, kind: IntentKind) -> None:
    # Sells 1,000 units for 3 (buy: buys exactly 3 for at most 1,000); a third is filled: 667 units still needed.
    partial = a_record(nonce=0, sell_amount=1_000, buy_amount=3, kind=kind, partially_fillable=True, valid_to=VALID)
    stored = await storage.intents.add(partial, budget(balance=1_000))
    stored = await storage.intents.set_status(stored.record.intent_id, IntentStatus.IN_AUCTION, stored.version)
    stored = await storage.intents.set_status(stored.record.intent_id, IntentStatus.WON, stored.version)
    stored = await storage.intents.set_status(stored.record.intent_id, IntentStatus.SETTLING, stored.version)
    await storage.intents.record_fill(stored.record.intent_id, 333 if kind is IntentKind.SELL else 1, stored.version)
    over = await refused(storage, selling(1, amount=334), budget(balance=1_000))
    assert "still need 667" in over.reason
    await storage.intents.add(selling(1, amount=333), budget(balance=1_000))


async def test_commitments_are_exact_up_to_uint256(storage: Storage) -> None:
    big = 2**254 + 12_345_678_901_234_567
    for nonce in range(2):
        await storage.intents.add(selling(nonce, amount=big), budget(balance=UINT256_MAX))
    rest = UINT256_MAX - 2 * big
    assert (await refused(storage, selling(2, amount=rest + 1), budget(balance=UINT256_MAX))).code is (
        RejectCode.INSUFFICIENT_BALANCE
    )
    await storage.intents.add(selling(2, amount=rest), budget(balance=UINT256_MAX))


async def test_an_owner_has_at_most_max_live_intents_in_all_tokens(storage: Storage) -> None:
    await storage.intents.add(selling(0, amount=1), budget(max_live=2))
    usdc = a_record(nonce=1, sell_token=USDC, buy_token=WETH, sell_amount=1, valid_to=VALID)
    await storage.intents.add(usdc, budget(max_live=2))
    capped = await refused(storage, selling(2, amount=1), budget(max_live=2))
    assert capped.code is RejectCode.TOO_MANY_INTENTS and "2 live intents" in capped.reason


async def test_a_repeat_answers_the_stored_intent_whatever_the_budget(storage: Storage) -> None:
    stored = await storage.intents.add(selling(0, amount=3 * ETH), budget())
    assert await storage.intents.add(selling(0, amount=3 * ETH), budget(balance=0, max_live=0)) == stored


async def test_concurrent_adds_of_one_owner_never_pass_on_the_same_figures(storage: Storage) -> None:
    results = await asyncio.gather(
        *(storage.intents.add(selling(n), budget(balance=2 * ETH)) for n in range(6)),
        return_exceptions=True,
    )
    assert sum(isinstance(r, StoredIntent) for r in results) == 2
    assert all(isinstance(r, Rejected) for r in results if not isinstance(r, StoredIntent))
    assert len(await storage.intents.by_owner(ALICE)) == 2


async def test_two_processes_on_one_database_never_over_commit_an_owner(backend: Backend) -> None:
    if not backend.durable:
        pytest.skip("the in-memory twin is one process by construction")
    first, second = await backend.open(), await backend.open()
    for attempt in range(5):  # several rounds: a race that exists shows up
        owner = "0x" + f"{attempt + 1:040x}"
        adds = [
            store.intents.add(selling(n, owner=owner), budget(balance=3 * ETH))
            for n in range(8)
            for store in (first, second)
            if (n % 2 == 0) == (store is first)
        ]
        results = await asyncio.gather(*adds, return_exceptions=True)
        assert sum(isinstance(r, StoredIntent) for r in results) == 3, results
        assert len(await first.intents.by_owner(owner)) == 3
