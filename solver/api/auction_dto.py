"""JSON shape of one auction round as the venue recorded it: what was offered, every bid with the score
the venue computed (or why it was discarded), and the settlement transactions. Amounts, scores and prices
are decimal strings; ids and hashes 0x hex."""

from __future__ import annotations

from pydantic import BaseModel, Field

from solver.domain.records import AuctionRecord, BidRecord, SettlementRecord


class BidView(BaseModel):
    solver: str
    status: str = Field(description="won, lost or discarded")
    score: str | None = Field(description="numeraire units (1e-36 USD), as the venue computed it")
    claimed_score: str | None = Field(serialization_alias="claimedScore")
    reason_code: str | None = Field(serialization_alias="reasonCode", description="set iff discarded")
    reason: str | None

    @classmethod
    def from_domain(cls, b: BidRecord) -> BidView:
        return cls(
            solver=b.solver, status=b.status.value, score=_text(b.score), claimed_score=_text(b.claimed_score),
            reason_code=b.reason_code, reason=b.reason,
        )  # fmt: skip


class SettlementView(BaseModel):
    tx_hash: str = Field(serialization_alias="txHash")
    solver: str = Field(description="the winning solver whose solution was settled")
    submitter: str | None = Field(
        description="the account that sent the transaction (the keeper, which the chain's Settled event names); "
        "null for settlements recorded before the venue kept it"
    )
    block: int
    gas_used: int = Field(serialization_alias="gasUsed")
    effective_gas_price: str = Field(serialization_alias="effectiveGasPrice", description="wei per gas")
    outcome: str

    @classmethod
    def from_domain(cls, s: SettlementRecord) -> SettlementView:
        return cls(
            tx_hash="0x" + s.tx_hash.hex(), solver=s.solver, submitter=s.submitter, block=s.block_number,
            gas_used=s.gas_used,
            effective_gas_price=str(s.effective_gas_price), outcome=s.outcome.value,
        )  # fmt: skip


class AuctionView(BaseModel):
    id: int
    block: int = Field(description="the chain state the auction was based on")
    deadline: float = Field(description="unix seconds")
    orders: list[str] = Field(description="intent ids offered, in auction order")
    reference_prices: dict[str, str] = Field(serialization_alias="referencePrices",
                                             description="token -> numeraire units per base unit")  # fmt: skip
    bids: list[BidView] = Field(description="best computed score first; discarded bids last")
    settlements: list[SettlementView]

    @classmethod
    def from_domain(
        cls, a: AuctionRecord, bids: list[BidRecord], settlements: list[SettlementRecord]
    ) -> AuctionView:
        return cls(
            id=a.auction_id, block=a.block_number, deadline=a.deadline, orders=["0x" + i.hex() for i in a.intent_ids],
            reference_prices={t: str(p) for t, p in a.reference_prices.items()},
            bids=[BidView.from_domain(b) for b in bids],
            settlements=[SettlementView.from_domain(s) for s in settlements],
        )  # fmt: skip


def _text(value: int | None) -> str | None:
    return None if value is None else str(value)
