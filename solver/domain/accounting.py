"""Settlement accounting: one FillRecord per user fill of a mined settlement, from its decoded events.

Prices are buy-token units per sell-token unit, as exact Fractions: the clearing price is the fill's own
executed_buy / executed_sell (the batch's ratio as the contract executed it, rounding included), the limit
is the signed buy_amount / sell_amount, the reference price ref_sell / ref_buy from the auction. Surplus is
CoW's (`scoring.surplus`); values in numeraire units are rounded down. The settlement's gas is split evenly
across its user fills (inventory fills take none): the division's remainder goes one unit each to the first
fills in event order, so the shares add up to the receipt's gas.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from .errors import DomainError
from .fills import Fill, PoolFlow, attribute
from .intent import Intent, IntentKind
from .records import FillRecord
from .scoring import surplus

BPS = 10_000


class MissingReferencePrice(DomainError):
    """Neither token of a fill has a reference price in the auction: the fill cannot be valued."""


@dataclass(frozen=True, slots=True)
class MinedSettlement:
    """One mined, successful settle transaction with its decoded events."""

    auction_id: int
    solver: str  # the winning solver whose solution this is
    submitter: str  # the account that sent the transaction (the keeper)
    tx_hash: bytes
    block_number: int
    settled_at: float  # the block's timestamp, unix seconds
    gas_used: int  # gas units, from the receipt
    effective_gas_price: int  # wei per gas unit
    fills: tuple[Fill, ...]  # every Fill event, user and inventory
    pool_flows: tuple[PoolFlow, ...]


def user_fills(fills: Sequence[Fill], inventory_accounts: frozenset[str]) -> list[Fill]:
    """The fills of users' intents (not signed by an inventory account), in event order."""
    return [f for f in fills if f.owner not in inventory_accounts]


def gas_shares(gas_used: int, count: int) -> list[int]:
    """`gas_used` split into `count` shares differing by at most one unit, the larger ones first."""
    if count == 0:
        return []
    base, extra = divmod(gas_used, count)
    return [base + (1 if i < extra else 0) for i in range(count)]


def exact_units(intent: Intent, fill: Fill) -> int:
    """The fill's executed amount on the intent's exact side (what fill progress counts)."""
    return fill.sell_amount if intent.kind is IntentKind.SELL else fill.buy_amount


def slippage_bps(clearing: Fraction, quoted: Fraction | None) -> Fraction | None:
    """(clearing - quoted) / quoted in basis points: positive when the user got more than quoted."""
    return None if quoted is None else (clearing - quoted) / quoted * BPS


def numeraire_prices(reference: Mapping[str, int], fill: Fill) -> tuple[Fraction, Fraction]:
    """(sell, buy) token values in numeraire units per base unit. A token the auction has no reference price
    for is valued through the fill's own clearing price against the other token."""
    ref_sell, ref_buy = reference.get(fill.sell_token), reference.get(fill.buy_token)
    clearing = Fraction(fill.buy_amount, fill.sell_amount)
    if ref_sell and ref_buy:
        return Fraction(ref_sell), Fraction(ref_buy)
    if ref_sell:
        return Fraction(ref_sell), ref_sell / clearing
    if ref_buy:
        return ref_buy * clearing, Fraction(ref_buy)
    raise MissingReferencePrice(f"no reference price for {fill.sell_token} or {fill.buy_token}")


def fill_records(
    settlement: MinedSettlement,
    intents: Mapping[bytes, Intent],
    reference_prices: Mapping[str, int],
    quoted_prices: Mapping[bytes, Fraction],
    inventory_accounts: frozenset[str],
) -> list[FillRecord]:
    """FillRecords of the settlement's user fills whose intent is in `intents` (others are left out, but
    still take their gas share). Raises MissingReferencePrice."""
    users = user_fills(settlement.fills, inventory_accounts)
    parts = attribute(settlement.fills, settlement.pool_flows, inventory_accounts)
    records = []
    for fill, gas in zip(users, gas_shares(settlement.gas_used, len(users)), strict=True):
        intent = intents.get(fill.intent_id)
        if intent is None or not (fill.sell_amount and fill.buy_amount):
            continue  # not ours, or a degenerate fill that has no price
        p_sell, p_buy = numeraire_prices(reference_prices, fill)
        clearing = Fraction(fill.buy_amount, fill.sell_amount)
        # The contract enforces the limit on the clearing prices; rounding the executed amounts can still
        # leave CoW's formula a unit short, which is reported as no surplus rather than a negative one.
        gained = max(0, surplus(intent, fill.sell_amount, fill.buy_amount))
        records.append(FillRecord(
            intent_id=fill.intent_id, auction_id=settlement.auction_id, solver=settlement.solver,
            tx_hash=settlement.tx_hash, block_number=settlement.block_number, owner=fill.owner,
            sell_token=fill.sell_token, buy_token=fill.buy_token, kind=intent.kind,
            executed_sell=fill.sell_amount, executed_buy=fill.buy_amount, clearing_price=clearing,
            limit_price=Fraction(intent.buy_amount, intent.sell_amount), reference_price=p_sell / p_buy,
            surplus=gained, surplus_value=int(gained * (p_buy if intent.kind is IntentKind.SELL else p_sell)),
            volume_value=int(fill.sell_amount * p_sell),
            slippage_bps=slippage_bps(clearing, quoted_prices.get(fill.intent_id)),
            attribution=parts[fill.intent_id], gas_used=gas, gas_cost=gas * settlement.effective_gas_price,
            settled_at=settlement.settled_at, submitter=settlement.submitter,
        ))  # fmt: skip
    return records
