"""Fills decoded from a settlement, and where each fill's volume came from.

A user's fill (selling A for B) received B units that came from three kinds of source: other users
selling B (coincidence of wants), solver inventory accounts selling B (inventory), and AMM pools whose net
output is B (routed). Attribution is two-staged proportional allocation:
1. per directed pair A->B: sources that trade exactly the opposite way (fills B->A, pools taking A and
   giving B) are shared pro rata among the A->B fills, up to their demand;
2. what is left (multi-hop routes, rings) is shared pro rata over the remaining sources of B.
Parts are integers that add up to each fill's buy amount (largest remainder goes to the largest part);
anything no source covers was paid from the settlement's buffer and counts as inventory.
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


SourceKey = tuple[Source, str]  # (kind, owner or pool address)


def attribute(
    fills: Iterable[Fill], pool_flows: Iterable[PoolFlow], inventory_accounts: frozenset[str]
) -> dict[bytes, Attribution]:
    """Attribution of every user (non-inventory) fill of one settlement, keyed by intent id."""
    fills = list(fills)
    supply = _sources(fills, pool_flows, inventory_accounts)
    users = [f for f in fills if f.owner not in inventory_accounts]
    shares: dict[bytes, dict[SourceKey, Fraction]] = {f.intent_id: defaultdict(Fraction) for f in users}
    left = {f.intent_id: Fraction(f.buy_amount) for f in users}
    _allocate_pairs(users, supply, shares, left)
    _allocate_tokens(users, supply, shares, left)
    return {f.intent_id: _to_attribution(f.buy_amount, shares[f.intent_id]) for f in users}


@dataclass(slots=True)
class _Supply:
    token: str  # what the source provides
    paid_for_with: frozenset[str]  # tokens it took in return (pair-level match when it holds A)
    amount: Fraction


def _sources(
    fills: list[Fill], pool_flows: Iterable[PoolFlow], inventory_accounts: frozenset[str]
) -> dict[SourceKey, list[_Supply]]:
    supply: dict[SourceKey, list[_Supply]] = defaultdict(list)
    for f in fills:
        kind = Source.INVENTORY if f.owner in inventory_accounts else Source.COW
        supply[(kind, f.intent_id.hex())].append(
            _Supply(f.sell_token, frozenset({f.buy_token}), Fraction(f.sell_amount))
        )
    by_pool: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for flow in pool_flows:
        by_pool[flow.pool][flow.token] += flow.amount
    for pool, net in by_pool.items():
        taken = frozenset(t for t, v in net.items() if v > 0)
        for token, v in net.items():
            if v < 0:
                supply[(Source.AMM, pool)].append(_Supply(token, taken, Fraction(-v)))
    return supply


def _allocate_pairs(
    users: list[Fill], supply: dict[SourceKey, list[_Supply]],
    shares: dict[bytes, dict[SourceKey, Fraction]], left: dict[bytes, Fraction],
) -> None:
    pairs: dict[tuple[str, str], list[Fill]] = defaultdict(list)
    for f in users:
        pairs[(f.sell_token, f.buy_token)].append(f)
    for (sell, buy), group in pairs.items():
        own = {f.intent_id.hex() for f in group}
        matched = [
            (key, s) for key, entries in supply.items() for s in entries
            if s.token == buy and sell in s.paid_for_with and key[1] not in own
        ]
        _share(group, matched, shares, left)


def _allocate_tokens(
    users: list[Fill], supply: dict[SourceKey, list[_Supply]],
    shares: dict[bytes, dict[SourceKey, Fraction]], left: dict[bytes, Fraction],
) -> None:
    tokens: dict[str, list[Fill]] = defaultdict(list)
    for f in users:
        tokens[f.buy_token].append(f)
    for buy, group in tokens.items():
        own = {f.intent_id.hex() for f in group}
        matched = [
            (key, s) for key, entries in supply.items() for s in entries if s.token == buy and key[1] not in own
        ]
        _share(group, matched, shares, left)


def _share(
    group: list[Fill], matched: list[tuple[SourceKey, _Supply]],
    shares: dict[bytes, dict[SourceKey, Fraction]], left: dict[bytes, Fraction],
) -> None:
    """Give the fills in `group` their pro-rata part of `matched`, up to what each still needs."""
    demand = sum((left[f.intent_id] for f in group), Fraction(0))
    available = sum((s.amount for _, s in matched), Fraction(0))
    if demand == 0 or available == 0:
        return
    used = min(demand, available)
    for f in group:
        need = left[f.intent_id]
        for key, s in matched:
            shares[f.intent_id][key] += used * (need / demand) * (s.amount / available)
        left[f.intent_id] -= used * need / demand
    for _, s in matched:
        s.amount -= used * s.amount / available


def _to_attribution(amount: int, parts: Mapping[SourceKey, Fraction]) -> Attribution:
    floors = {k: int(v) for k, v in parts.items() if v > 0}
    covered = sum(floors.values())
    by_rest = sorted(parts, key=lambda k: parts[k] - int(parts[k]), reverse=True)
    for key in by_rest[: max(0, round(sum(parts.values(), Fraction(0))) - covered)]:
        floors[key] = floors.get(key, 0) + 1
    cow = sum(v for (kind, _), v in floors.items() if kind is Source.COW)
    inventory = sum(v for (kind, _), v in floors.items() if kind is Source.INVENTORY)
    amm: dict[str, int] = defaultdict(int)
    for (kind, pool), v in floors.items():
        if kind is Source.AMM:
            amm[pool] += v
    inventory += amount - cow - inventory - sum(amm.values())  # uncovered: paid from the buffer
    return Attribution(cow=cow, inventory=inventory, amm=dict(amm))
