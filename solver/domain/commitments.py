"""What an owner has already promised to pay, and whether one more intent fits.

An owner could sign a thousand intents that each fit its balance alone but never all together; every one
would be auctioned, and every solution carrying more of them than the owner can pay would revert. So a new
intent is admitted only if, in its sell token, the sell units still needed by every *live* intent of its
owner plus its own fit within the owner's balance, and within its allowance to the spender, at the head
block, and the owner has fewer than `max_live` live intents in all (any token).

- live: not terminal (open, partially filled, in auction, won, settling) and not past its `valid_to` (the
  chain refuses an intent after it, so it can never take anything again);
- still needed, in sell-token base units: a fill-or-kill intent its whole `sell_amount`; a partially
  fillable one the sell side of its remainder, rounded up: ceil(sell_amount * remaining / full_amount),
  where `remaining` and `full_amount` are in units of its exact side (sell units for a sell intent, buy
  units for a buy intent). The new intent needs its whole `sell_amount`.

The stores compute the `Commitment` (in the same transaction that inserts the intent, see the adapters);
`admit` decides.
"""

from __future__ import annotations

from dataclasses import dataclass

from .intake import RejectCode, Rejected
from .intent import Intent
from .lifecycle import LIVE, IntentRecord


@dataclass(frozen=True, slots=True)
class Budget:
    """What the owner of a new intent can pay at the head block (sell-token base units), and the cap."""

    balance: int
    allowance: int  # granted to the IntentSpender
    max_live: int  # live intents an owner may have at once, all tokens together
    now: int  # unix seconds: intents whose valid_to is before this no longer count


@dataclass(frozen=True, slots=True)
class Commitment:
    """The owner's live intents as the store holds them, the new intent not among them."""

    live: int  # live intents of the owner, every sell token
    in_token: int  # of those, the ones selling the new intent's sell token
    committed: int  # sell-token base units those still need (see the module's rule)


NO_COMMITMENT = Commitment(0, 0, 0)


def needed(intent: Intent, filled: int) -> int:
    """Sell-token base units the intent may still take from its owner, `filled` (exact-side units) done."""
    return needed_units(intent.sell_amount, intent.full_amount, filled, intent.partially_fillable)


def needed_units(sell_amount: int, full_amount: int, filled: int, partially_fillable: bool) -> int:
    """`needed` from the amounts alone (`full_amount` and `filled` in exact-side units)."""
    if not partially_fillable:
        return sell_amount
    return -(-sell_amount * (full_amount - filled) // full_amount)  # rounded up: never under-counts


def is_live(record: IntentRecord, now: int) -> bool:
    """Whether the intent still counts against its owner at unix second `now` (see the module's rule)."""
    return record.status in LIVE and record.intent.valid_to >= now


def admit(intent: Intent, commitment: Commitment, budget: Budget) -> None:
    """Raises Rejected (TOO_MANY_INTENTS, INSUFFICIENT_BALANCE, INSUFFICIENT_ALLOWANCE) unless the owner
    can pay every live intent selling this token and this one together."""
    if commitment.live >= budget.max_live:
        raise Rejected(
            RejectCode.TOO_MANY_INTENTS,
            f"owner has {commitment.live} live intents, the most this venue keeps per owner is {budget.max_live}; "
            "cancel some or wait for them to settle or expire",
        )
    total = commitment.committed + intent.sell_amount
    others = f"its {commitment.in_token} live intents selling {intent.sell_token} still need {commitment.committed}"
    if total > budget.balance:
        raise Rejected(
            RejectCode.INSUFFICIENT_BALANCE,
            f"owner holds {budget.balance}; {others} and this one sells up to {intent.sell_amount} ({total} in all)",
        )
    if total > budget.allowance:
        raise Rejected(
            RejectCode.INSUFFICIENT_ALLOWANCE,
            f"owner approved the spender for {budget.allowance}; {others} and this one sells up to "
            f"{intent.sell_amount} ({total} in all)",
        )
