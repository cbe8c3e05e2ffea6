"""JSON shapes of fills and fill summaries, and the query that filters them.

Amounts and numeraire values are decimal strings; every ratio (prices in buy-token units per sell-token
unit, slippage in basis points, rates) is a `Ratio`: the exact reduced fraction "num/den" for machines and
a decimal approximation (18 significant digits) for people.
"""

from __future__ import annotations

from decimal import Decimal, localcontext
from fractions import Fraction

from pydantic import BaseModel, Field

from solver.domain.fills import Attribution
from solver.domain.intake import RejectCode, Rejected
from solver.domain.records import FillFilter, FillRecord, FillSummary

from .formats import BYTES32, address_of, matches


class Ratio(BaseModel):
    fraction: str = Field(description='exact, reduced: "numerator/denominator"')
    decimal: str = Field(description="approximation to 18 significant digits, for people")

    @classmethod
    def of(cls, value: Fraction) -> Ratio:
        with localcontext() as ctx:
            ctx.prec = 18
            approx = Decimal(value.numerator) / Decimal(value.denominator)
        return cls(fraction=f"{value.numerator}/{value.denominator}", decimal=format(approx.normalize(), "f"))


class AttributionView(BaseModel):
    """Where the bought units came from (buy-token base units); `amm` is keyed by pool address."""

    cow: str
    inventory: str
    amm: dict[str, str]

    @classmethod
    def from_domain(cls, a: Attribution) -> AttributionView:
        return cls(cow=str(a.cow), inventory=str(a.inventory), amm={p: str(v) for p, v in a.amm.items()})


class GasView(BaseModel):
    used: int = Field(description="this fill's even share of the settlement's gas, in gas units")
    cost_wei: str = Field(serialization_alias="costWei")


class FillView(BaseModel):
    """One intent's execution in one settlement, with its accounting."""

    intent_id: str = Field(serialization_alias="intentId")
    auction_id: int = Field(serialization_alias="auctionId")
    solver: str = Field(description="the winning solver whose solution carried the fill")
    submitter: str | None = Field(
        description="the account that sent the settle transaction (the keeper, which the chain's Settled event "
        "names); null for fills recorded before the venue kept it"
    )
    tx_hash: str = Field(serialization_alias="txHash")
    block: int
    settled_at: float = Field(serialization_alias="settledAt", description="the block's timestamp, unix seconds")
    owner: str
    sell_token: str = Field(serialization_alias="sellToken")
    buy_token: str = Field(serialization_alias="buyToken")
    kind: str
    executed_sell: str = Field(serialization_alias="executedSell", description="sell-token base units paid")
    executed_buy: str = Field(serialization_alias="executedBuy", description="buy-token base units received")
    clearing_price: Ratio = Field(
        serialization_alias="clearingPrice",
        description="buy-token base units per sell-token base unit the batch cleared at (its uniform prices, "
        "p_sell / p_buy), as an exact reduced fraction and a decimal",
    )
    limit_price: Ratio = Field(
        serialization_alias="limitPrice",
        description="buy-token base units per sell-token base unit the intent signed for, buyAmount / sellAmount "
        "(either kind): the worst rate it accepts, so clearingPrice is at or above it",
    )
    reference_price: Ratio = Field(
        serialization_alias="referencePrice",
        description="buy-token base units per sell-token base unit at the auction's reference prices",
    )
    surplus: str = Field(description="buy units for sell intents, sell units for buy intents")
    surplus_value: str = Field(serialization_alias="surplusValue", description="numeraire units")
    volume_value: str = Field(serialization_alias="volumeValue", description="numeraire units")
    slippage_bps: Ratio | None = Field(serialization_alias="slippageBps", description="vs the quote; null: none")
    attribution: AttributionView
    gas: GasView

    @classmethod
    def from_domain(cls, f: FillRecord) -> FillView:
        return cls(
            intent_id="0x" + f.intent_id.hex(), auction_id=f.auction_id, solver=f.solver, submitter=f.submitter,
            tx_hash="0x" + f.tx_hash.hex(), block=f.block_number, settled_at=f.settled_at, owner=f.owner,
            sell_token=f.sell_token, buy_token=f.buy_token, kind=f.kind.name.lower(),
            executed_sell=str(f.executed_sell), executed_buy=str(f.executed_buy),
            clearing_price=Ratio.of(f.clearing_price), limit_price=Ratio.of(f.limit_price),
            reference_price=Ratio.of(f.reference_price), surplus=str(f.surplus),
            surplus_value=str(f.surplus_value), volume_value=str(f.volume_value),
            slippage_bps=None if f.slippage_bps is None else Ratio.of(f.slippage_bps),
            attribution=AttributionView.from_domain(f.attribution),
            gas=GasView(used=f.gas_used, cost_wei=str(f.gas_cost)),
        )  # fmt: skip


class FillSummaryView(BaseModel):
    """Aggregates over the fills a query matches; values in numeraire units."""

    fills: int
    volume: str
    surplus: str
    internalization_rate: Ratio = Field(serialization_alias="internalizationRate")
    average_surplus: Ratio = Field(serialization_alias="averageSurplus")
    average_slippage_bps: Ratio | None = Field(serialization_alias="averageSlippageBps")

    @classmethod
    def from_domain(cls, s: FillSummary) -> FillSummaryView:
        slippage = s.average_slippage_bps
        return cls(
            fills=s.fills, volume=str(s.volume), surplus=str(s.surplus),
            internalization_rate=Ratio.of(s.internalization), average_surplus=Ratio.of(s.average_surplus),
            average_slippage_bps=None if slippage is None else Ratio.of(slippage),
        )  # fmt: skip


def fill_filter(
    intent_id: str | None, owner: str | None, auction_id: int | None, since: float | None, until: float | None
) -> FillFilter:
    """The domain filter of the query parameters; Rejected(MALFORMED) on a bad id or address."""
    if intent_id is not None and not matches(BYTES32, intent_id):
        raise Rejected(RejectCode.MALFORMED, "intentId is 0x followed by 64 hex digits")
    return FillFilter(
        intent_id=None if intent_id is None else bytes.fromhex(intent_id[2:]),
        owner=None if owner is None else address_of(owner, "owner"), auction_id=auction_id, since=since, until=until,
    )  # fmt: skip
