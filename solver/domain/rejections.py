"""Why the venue discards a bid: the machine-readable reason codes, and the exception that carries one.

Every code is sent back to the solver in its `result` message and stored with the bid; docs/protocol.md
lists them. Codes name the rule the bid broke, so a solver team can tell a bug in its bid from a venue fault.
"""

from __future__ import annotations

import enum

from .errors import DomainError


class ReasonCode(enum.StrEnum):
    """Why the venue discarded a bid (sent back to the solver and stored with the bid)."""

    WRONG_AUCTION = "wrong_auction"  # the bid names another auction
    EMPTY_SOLUTION = "empty_solution"  # no user order is executed
    UNKNOWN_ORDER = "unknown_order"  # a fulfilment names an intent that is not in the auction
    DUPLICATE_FULFILLMENT = "duplicate_fulfillment"  # the same intent fulfilled twice
    INVALID_EXECUTED_AMOUNT = "invalid_executed_amount"  # zero, above the remaining, or a partial fill-or-kill
    INVALID_CLEARING_PRICES = "invalid_clearing_prices"  # missing, non-positive, overflowing or two for one token
    LIMIT_VIOLATED = "limit_violated"  # the clearing prices break a signed limit
    NEGATIVE_SURPLUS = "negative_surplus"  # a user order gets less than its limit
    EBBO_VIOLATED = "ebbo_violated"  # a user gets less than the best route alone would give
    PRICE_OUT_OF_BOUNDS = "price_out_of_bounds"  # a trade's clearing rate strays too far from the reference rate
    INVALID_INVENTORY_TRADE = "invalid_inventory_trade"  # unsigned, not an inventory account, or a user intent
    INVALID_SELL_TO = "invalid_sell_to"  # a trade sends its sell amount somewhere other than the settlement or a pair
    MISSING_REFERENCE_PRICE = "missing_reference_price"  # the auction has no reference price for a traded token
    # Set by the service from the bid's simulation (the node's execution, not the solver's word):
    BUFFER_DRAINED = "buffer_drained"  # the settlement would hold less of a token (or ETH) than before, beyond dust
    LASTING_APPROVAL = "lasting_approval"  # an allowance over the settlement's tokens would outlive the batch
    FORBIDDEN_INTERACTION = "forbidden_interaction"  # an interaction the contract refuses (target, call or token)
    SIMULATION_FAILED = "simulation_failed"  # the settle call reverts for another reason


class SolutionRejected(DomainError):
    """A bid the venue discards; `reason` is machine-readable, `intent_id` names the offending order."""

    def __init__(self, reason: ReasonCode, detail: str, intent_id: bytes | None = None) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail
        self.intent_id = intent_id
