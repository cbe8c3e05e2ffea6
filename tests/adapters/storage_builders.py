"""Builders for stored records: intent records, fills, auctions and bids with defaults, overridable by keyword."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from typing import Any

from solver.domain.batch import SigningScheme
from solver.domain.fills import Attribution
from solver.domain.intent import Eip712Domain, IntentKind
from solver.domain.lifecycle import IntentRecord, IntentStatus
from solver.domain.records import AuctionRecord, BidRecord, BidStatus, FillRecord
from tests.unit.builders import ALICE, USDC, WETH, an_intent

DOMAIN = Eip712Domain(chain_id=31337, verifying_contract="0x00000000000000000000000000000000005E77e1")
SOLVER = "0x00000000000000000000000000000000005017e2"
KEEPER = "0x00000000000000000000000000000000000B0b01"  # sends the settle transactions: the submitter
POOL = "0x00000000000000000000000000000000000000F1"
T0 = 1_700_000_000.0


def a_record(*, status: IntentStatus = IntentStatus.OPEN, accepted_at: float = T0, **intent: Any) -> IntentRecord:
    """An accepted intent (see `an_intent`), its id the EIP-712 digest."""
    signed = an_intent(**intent)
    return IntentRecord(
        intent_id=signed.digest(DOMAIN),
        intent=signed,
        signature=bytes(range(65)),
        scheme=SigningScheme.EIP712,
        status=status,
        filled=0,
        accepted_at=accepted_at,
    )


def a_fill(**overrides: Any) -> FillRecord:
    """ALICE sold 1 WETH for 3,100 USDC against a 3,000 USDC limit: 1,000 USDC matched with another
    user, 100 from inventory, 2,000 through POOL."""
    base = FillRecord(
        intent_id=bytes([1]) * 32,
        auction_id=7,
        solver=SOLVER,
        tx_hash=bytes([0xAA]) * 32,
        block_number=100,
        owner=ALICE,
        sell_token=WETH,
        buy_token=USDC,
        kind=IntentKind.SELL,
        executed_sell=10**18,
        executed_buy=3_100 * 10**6,
        clearing_price=Fraction(3_100 * 10**6, 10**18),
        limit_price=Fraction(3_000 * 10**6, 10**18),
        reference_price=Fraction(3_090 * 10**6, 10**18),
        surplus=100 * 10**6,
        surplus_value=100 * 10**30,
        volume_value=3_090 * 10**36,
        slippage_bps=Fraction(-25, 3),
        attribution=Attribution(cow=1_000 * 10**6, inventory=100 * 10**6, amm={POOL: 2_000 * 10**6}),
        gas_used=60_000,
        gas_cost=60_000 * 10**9,
        settled_at=T0 + 12,
        submitter=KEEPER,
    )
    return replace(base, **overrides)


def an_auction(auction_id: int = 7, **overrides: Any) -> AuctionRecord:
    base = AuctionRecord(
        auction_id=auction_id,
        block_number=99,
        deadline=T0 + 2,
        intent_ids=(bytes([1]) * 32, bytes([2]) * 32),
        reference_prices={WETH: 3_090 * 10**18, USDC: 10**30},
    )
    return replace(base, **overrides)


def a_bid(solver: str = SOLVER, score: int | None = 10**30, **overrides: Any) -> BidRecord:
    """A winning bid in auction 7 that scored what it claimed."""
    fields: dict[str, Any] = {"auction_id": 7, "status": BidStatus.WON, "claimed_score": score} | overrides
    return BidRecord(solver=solver, score=score, **fields)
