"""Value safety: no bid takes value out of the settlement, and no bid pays users at prices far from the market.

The settlement contract enforces the first rule on-chain (README, "Value safety"): after `settle` it holds at
least what it held before, token by token and in ETH, less at most one base unit per trade of rounding dust,
and it never grants an allowance. The venue applies the same rule to what the node reports when it simulates
a bid (the settlement's balances before and after, read from the tokens themselves, and every allowance the
settlement would leave behind), over every token of the auction, not only the bid's own list, so a bid is
discarded with a reason that names the rule before anything is sent on-chain.

The second rule is the venue's alone: scores value each user's surplus at the auction's reference prices,
so clearing prices far from them could shift value between users (or from a solver to a colluding user)
and inflate a score. A trade whose clearing rate strays from the reference rate by more than the auction's
bound is discarded (`price_out_of_bounds`), never merely flagged: a flag would still let such a bid win and
settle users at off-market prices, while an honest solver, told the bound in every auction, stays inside it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from .batch import Batch
from .intent import IntentKind
from .primitives import ZERO_ADDRESS
from .rejections import ReasonCode, SolutionRejected

BPS = 10_000
ETH = ZERO_ADDRESS  # the settlement's native balance, as the contract's BalanceDecreased reports it


@dataclass(frozen=True, slots=True)
class Holding:
    """The settlement's balance of `token` (ETH: the zero address) before and after a simulated settle."""

    token: str
    before: int  # base units (wei for ETH)
    after: int


@dataclass(frozen=True, slots=True)
class Allowance:
    """An allowance the settlement would still have granted once the simulated settle returns."""

    token: str
    spender: str
    amount: int  # base units


@dataclass(frozen=True, slots=True)
class SimulatedSettle:
    """What the node reports of a settle call that did not revert: its gas and its effect on the settlement."""

    gas_used: int  # the whole transaction's gas, as a receipt would report it
    holdings: tuple[Holding, ...]  # every watched token, and ETH
    allowances: tuple[Allowance, ...] = ()  # allowances the settlement would still have granted afterwards


def check_price_bounds(
    batch: Batch, reference: Mapping[str, int], max_bps: int, intent_ids: Sequence[bytes | None] = ()
) -> None:
    """Raises PRICE_OUT_OF_BOUNDS if a trade's clearing rate p_sell / p_buy and the reference rate
    r_sell / r_buy differ by more than `max_bps` basis points: the larger exceeds the smaller by more than
    max_bps / 10,000 of it (symmetric, so it does not matter which token is the numerator). Exact integers.

    `reference` is numeraire units per base unit by checksummed address; a traded token without a positive
    reference price raises MISSING_REFERENCE_PRICE. `intent_ids[i]` names the order of `batch.trades[i]`."""
    for i, trade in enumerate(batch.trades):
        intent = trade.intent
        intent_id = intent_ids[i] if i < len(intent_ids) else None
        r_sell, r_buy = reference.get(intent.sell_token, 0), reference.get(intent.buy_token, 0)
        if r_sell <= 0 or r_buy <= 0:
            missing = intent.sell_token if r_sell <= 0 else intent.buy_token
            raise SolutionRejected(ReasonCode.MISSING_REFERENCE_PRICE, f"no reference price for {missing}", intent_id)
        p_sell, p_buy = batch.price(intent.sell_token), batch.price(intent.buy_token)
        if not rate_within_bound(p_sell, p_buy, r_sell, r_buy, max_bps):
            clearing, market = p_sell * r_buy, p_buy * r_sell
            deviation = (max(clearing, market) - min(clearing, market)) * BPS // min(clearing, market)
            raise SolutionRejected(
                ReasonCode.PRICE_OUT_OF_BOUNDS,
                f"the clearing rate of {intent.sell_token}/{intent.buy_token} is {deviation} bps from the reference "
                f"rate (bound {max_bps} bps)",
                intent_id,
            )


def rate_within_bound(p_sell: int, p_buy: int, r_sell: int, r_buy: int, max_bps: int) -> bool:
    """True if the clearing rate p_sell / p_buy and the reference rate r_sell / r_buy (all positive) differ by
    at most `max_bps`: the larger is at most (1 + max_bps / 10,000) times the smaller. Exact integers."""
    clearing, market = p_sell * r_buy, p_buy * r_sell  # both rates scaled by p_buy * r_buy
    return max(clearing, market) * BPS <= min(clearing, market) * (BPS + max_bps)


def rounding_dust(batch: Batch) -> dict[str, int]:
    """Base units of each token the contract lets `batch` take from the settlement: one per trade whose
    rounding favours its owner in that token (a sell trade's buy amount rounds up, a buy trade's sell amount
    rounds down), exactly as the contract counts it. ETH: none."""
    dust = dict.fromkeys(batch.tokens, 0)
    for trade in batch.trades:
        intent = trade.intent
        dust[intent.buy_token if intent.kind is IntentKind.SELL else intent.sell_token] += 1
    return dust


def check_holdings(batch: Batch, holdings: Iterable[Holding]) -> None:
    """Raises BUFFER_DRAINED if the settlement would hold less of any token (or ETH) after `batch` than
    before, beyond the batch's rounding dust (`rounding_dust`; tokens outside the batch: none)."""
    dust = rounding_dust(batch)
    for h in holdings:
        allowed = dust.get(h.token, 0)
        if h.after + allowed < h.before:
            what = "ETH" if h.token == ETH else h.token
            raise SolutionRejected(
                ReasonCode.BUFFER_DRAINED,
                f"the settlement would hold {h.after} of {what} after the batch, {h.before} before "
                f"({h.before - h.after} taken; rounding may take at most {allowed})",
            )


def check_allowances(allowances: Iterable[Allowance]) -> None:
    """Raises LASTING_APPROVAL if the settlement would leave any allowance behind."""
    for a in allowances:
        if a.amount > 0:
            raise SolutionRejected(
                ReasonCode.LASTING_APPROVAL,
                f"the settlement would still allow {a.spender} to spend {a.amount} of {a.token} after the batch",
            )


# The contract's custom errors (ISettlement.sol) that name a value-safety rule, and the discard code of each.
REVERT_REASONS: dict[str, ReasonCode] = {
    "BalanceDecreased": ReasonCode.BUFFER_DRAINED,
    "ForbiddenInteraction": ReasonCode.FORBIDDEN_INTERACTION,
    "ForbiddenInteractionTarget": ReasonCode.FORBIDDEN_INTERACTION,
    "UnlistedToken": ReasonCode.FORBIDDEN_INTERACTION,
    "UnexpectedCallback": ReasonCode.FORBIDDEN_INTERACTION,
    "InvalidSellTo": ReasonCode.INVALID_SELL_TO,
    "UnsortedTokens": ReasonCode.INVALID_CLEARING_PRICES,
}


def revert_reason(error: str | None) -> ReasonCode:
    """The discard code for a simulation that reverted with the contract's custom error `error`."""
    return REVERT_REASONS.get(error or "", ReasonCode.SIMULATION_FAILED)
