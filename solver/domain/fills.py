"""Fills decoded from a settlement, and where each fill's volume came from.

Every participant of a settlement gives one token and wants another: a user's fill gives its sell token
and wants its buy token; an inventory account's fill likewise; an AMM pool gives its net output and wants
its net input. A user's fill (A -> B) received B units from three kinds of source: other users (coincidence
of wants), solver inventory accounts (inventory), and pools (routed). Attribution is proportional
allocation in two stages, exact in rationals:
1. per directed pair A -> B, the participants giving B for A serve those wanting B for A, pro rata;
2. per token B, what is still wanted is served pro rata by what is still given (multi-hop routes, rings).
Parts are rounded to integers that add up to each fill's buy amount; what no participant covered was paid
from the settlement's buffer and counts as inventory.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction


class Source(enum.Enum):
    COW = "cow"  # other users' intents in the same batch
    INVENTORY = "inventory"  # a solver inventory account's intent
    AMM = "amm"  # net output of an AMM pool


@dataclass(frozen=True, slots=True)
class Fill:
    """One intent's execution in one settlement, as the Fill event reports it (token base units)."""

    intent_id: bytes
    owner: str
    sell_token: str
    buy_token: str
    sell_amount: int
    buy_amount: int


@dataclass(frozen=True, slots=True)
class PoolFlow:
    """Net token movement of one AMM pool within a settlement: positive = into the pool."""

    pool: str
    token: str
    amount: int


@dataclass(frozen=True, slots=True)
class Attribution:
    """Buy-token units of one fill, split by where they came from; `amm` is keyed by pool address."""

    cow: int
    inventory: int
    amm: Mapping[str, int]

    @property
    def total(self) -> int:
        return self.cow + self.inventory + sum(self.amm.values())

    @property
    def internalized(self) -> int:
        """Volume not routed to AMMs: matched with other users or filled from inventory."""
        return self.cow + self.inventory


SourceKey = tuple[Source, str]  # (kind, intent id hex or pool address)


@dataclass(slots=True, eq=False)  # identity semantics: two participants may hold equal amounts
class _Participant:
    key: SourceKey
    gives: dict[str, Fraction]  # token -> units still to hand out
    wants: dict[str, Fraction]  # token -> units still to receive


def attribute(
    fills: Iterable[Fill], pool_flows: Iterable[PoolFlow], inventory_accounts: frozenset[str]
) -> dict[bytes, Attribution]:
    """Attribution of every user (non-inventory) fill of one settlement, keyed by intent id."""
    fills = list(fills)
    people = _participants(fills, pool_flows, inventory_accounts)
    shares: dict[SourceKey, dict[SourceKey, Fraction]] = defaultdict(lambda: defaultdict(Fraction))
    tokens = {t for p in people for t in (*p.gives, *p.wants)}
    for sell in sorted(tokens):
        for buy in sorted(tokens - {sell}):
            wanting = [p for p in people if p.wants.get(buy) and sell in p.gives]
            giving = [p for p in people if p.gives.get(buy) and sell in p.wants]
            _serve(buy, wanting, giving, shares)
    for buy in sorted(tokens):
        _serve(buy, [p for p in people if p.wants.get(buy)], [p for p in people if p.gives.get(buy)], shares)
    return {
        f.intent_id: _to_attribution(f.buy_amount, shares[(Source.COW, f.intent_id.hex())])
        for f in fills
        if f.owner not in inventory_accounts
    }


def _participants(
    fills: list[Fill], pool_flows: Iterable[PoolFlow], inventory_accounts: frozenset[str]
) -> list[_Participant]:
    people = [
        _Participant(
            (Source.INVENTORY if f.owner in inventory_accounts else Source.COW, f.intent_id.hex()),
            {f.sell_token: Fraction(f.sell_amount)},
            {f.buy_token: Fraction(f.buy_amount)},
        )
        for f in fills
    ]
    net: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for flow in pool_flows:
        net[flow.pool][flow.token] += flow.amount
    for pool, deltas in net.items():
        gives = {t: Fraction(-v) for t, v in deltas.items() if v < 0}
        wants = {t: Fraction(v) for t, v in deltas.items() if v > 0}
        people.append(_Participant((Source.AMM, pool), gives, wants))
    return people


def _serve(
    token: str,
    wanting: list[_Participant],
    giving: list[_Participant],
    shares: dict[SourceKey, dict[SourceKey, Fraction]],
) -> None:
    """Serve what `wanting` still want of `token` from what `giving` still give, pro rata on both sides."""
    giving = [g for g in giving if g not in wanting]
    demand = sum((w.wants[token] for w in wanting), Fraction(0))
    supply = sum((g.gives[token] for g in giving), Fraction(0))
    if demand == 0 or supply == 0:
        return
    used = min(demand, supply)
    for w in wanting:
        got = used * w.wants[token] / demand
        for g in giving:
            shares[w.key][g.key] += got * g.gives[token] / supply
        w.wants[token] -= got
    for g in giving:
        g.gives[token] -= used * g.gives[token] / supply


def _to_attribution(amount: int, parts: Mapping[SourceKey, Fraction]) -> Attribution:
    """Round rational parts to integers that sum to the covered amount; the rest was the buffer's."""
    floors = {k: int(v) for k, v in parts.items() if v > 0}
    missing = int(sum(parts.values(), Fraction(0))) - sum(floors.values())
    for key in sorted(parts, key=lambda k: parts[k] - int(parts[k]), reverse=True)[: max(0, missing)]:
        floors[key] = floors.get(key, 0) + 1
    cow = sum(v for (kind, _), v in floors.items() if kind is Source.COW)
    inventory = sum(v for (kind, _), v in floors.items() if kind is Source.INVENTORY)
    amm: dict[str, int] = defaultdict(int)
    for (kind, pool), v in floors.items():
        if kind is Source.AMM:
            amm[pool] += v
    inventory += amount - cow - inventory - sum(amm.values())  # uncovered: paid from the buffer
    return Attribution(cow=cow, inventory=inventory, amm=dict(amm))
